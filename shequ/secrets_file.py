"""Local secrets: generated on first run into the data directory, never committed.

The PII key encrypts ID and phone numbers at rest; the index key makes the keyed
hashes that let us find a person by an exact number without decrypting every row.
Losing this file means losing the encrypted columns, so operators must back it up.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

#: platform_signing_key: the Ed25519 private key (32 random bytes) that signs visitor passes and
#: broadcast notices; gates and terminals verify them offline with its public key
GENERATED_KEYS = ("django_secret_key", "pii_key", "index_key", "platform_signing_key")


def _new_value(name: str) -> str:
    if name == "django_secret_key":
        return secrets.token_urlsafe(50)
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def load_or_create(data_dir: Path) -> dict[str, str]:
    """Read the secrets file, creating it (mode 0600) with fresh keys if missing."""
    path = data_dir / "secrets.json"
    values: dict[str, str] = {}
    if path.exists():
        values = json.loads(path.read_text())
    missing = [name for name in GENERATED_KEYS if name not in values]
    if missing:
        data_dir.mkdir(parents=True, exist_ok=True)
        for name in missing:
            values[name] = _new_value(name)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(values, fh, indent=2)
        os.replace(tmp, path)
    return values
