"""Uploaded files between the dry run and the confirmed import.

The file waits in the data directory under a random name; the page carries a
signed token naming it, the user and the file's SHA-256, so "confirm" imports
exactly the file that was checked, for the user who checked it, within an hour.
No database row is needed: nothing about a pending import is worth keeping.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import signing

_SALT = "shequ.exchange.import-upload"
MAX_AGE_SECONDS = 3600


@dataclass(frozen=True)
class Upload:
    path: Path
    filename: str
    kind: str
    sha256: str
    user_id: int | None

    def token(self) -> str:
        return signing.dumps({"f": self.path.name, "n": self.filename, "k": self.kind, "h": self.sha256,
                              "u": self.user_id}, salt=_SALT, compress=True)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class UploadExpired(Exception):
    pass


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def upload_save(uploaded, *, kind: str, user_id: int | None) -> Upload:
    """Store an uploaded file (Django UploadedFile) and return its handle."""
    _sweep()
    directory = upload_dir()
    suffix = Path(uploaded.name or "").suffix.lower()[:6]
    path = directory / f"{secrets.token_hex(16)}{suffix}"
    sha = hashlib.sha256()
    # 0600: the file holds personal numbers in clear until it is imported or swept
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
        for chunk in uploaded.chunks():
            sha.update(chunk)
            fh.write(chunk)
    return Upload(path, Path(uploaded.name or path.name).name[:200], kind, sha.hexdigest(), user_id)


def upload_get(token: str, *, user_id: int | None) -> Upload:
    """The upload a token names; UploadExpired if the token is bad, old, someone
    else's, or the file is gone or changed."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:
        raise UploadExpired from exc
    path = upload_dir() / Path(data["f"]).name
    if data["u"] != user_id or not path.exists():
        raise UploadExpired
    upload = Upload(path, data["n"], data["k"], data["h"], data["u"])
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    if sha.hexdigest() != upload.sha256:
        raise UploadExpired
    return upload


def _sweep() -> None:
    """Remove uploads nobody confirmed: their tokens have expired anyway."""
    cutoff = time.time() - MAX_AGE_SECONDS - 60
    for path in upload_dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass
