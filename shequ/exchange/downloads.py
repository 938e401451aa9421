"""What a spreadsheet download sends: its content type and its file name header."""

from __future__ import annotations

from urllib.parse import quote

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(name: str, ascii_name: str) -> str:
    """A Content-Disposition for ``name``; ``ascii_name`` is for clients that ignore ``filename*``."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(str(name))}"
