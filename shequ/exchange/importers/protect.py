"""Batch versions of shequ.core.pii's encrypt and digest, for imports of millions of rows.

Same formats and keys as ``pii.encrypt``/``pii.digest`` (the tests check that
``pii.decrypt`` reads what this writes and that the digests are equal); they
differ only in cost: the AES-GCM object and the HMAC key are set up once, the
keyed hash starts from a copy of the HMAC state already keyed and fed the kind, and nonces are cut from one
``os.urandom`` call per batch instead of one system call per value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"  # must match shequ.core.pii._VERSION
_NONCE_BYTES = 12


class Protector:
    """Encrypts and hashes personal values with the deployment's keys."""

    def __init__(self, pii_key: str, index_key: str):
        self._aead = AESGCM(base64.urlsafe_b64decode(pii_key))
        index = base64.urlsafe_b64decode(index_key)
        # pii.digest feeds kind, NUL, value into one HMAC; the keyed state after
        # "kind NUL" is computed once per kind and copied for each value
        self._macs = {kind: hmac.new(index, f"{kind}\x00".encode(), hashlib.sha256) for kind in ("id", "phone")}
        self._index_key = index
        self._nonces = b""
        self._offset = 0

    @classmethod
    def from_settings(cls) -> Protector:
        from django.conf import settings

        return cls(settings.SHEQU_PII_KEY, settings.SHEQU_INDEX_KEY)

    def forget_nonces(self) -> None:
        """Drop unused nonces; a forked worker must call this before encrypting, else
        it would share the parent's remaining nonces with its siblings."""
        self._nonces, self._offset = b"", 0

    def _nonce(self) -> bytes:
        if self._offset >= len(self._nonces):
            self._nonces, self._offset = os.urandom(_NONCE_BYTES * 4096), 0
        start = self._offset
        self._offset += _NONCE_BYTES
        return self._nonces[start : start + _NONCE_BYTES]

    def encrypt(self, plaintext: str) -> str:
        nonce = self._nonce()
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode()

    def digest(self, kind: str, value: str) -> str:
        mac = self._macs.get(kind)
        if mac is None:
            return hmac.digest(self._index_key, f"{kind}\x00{value}".encode(), "sha256").hex()
        mac = mac.copy()
        mac.update(value.encode())
        return mac.hexdigest()
