"""HTTP Digest authentication (RFC 7616, qop="auth"), server side, per device.

GA/T 1400 devices register with Digest authentication. No maintained library
fits a Django view: ``django-digest``/``python-digest`` are unmaintained since
2016 and need a model for nonces; werkzeug parses the header but verifies
nothing; ``requests``/``httpx`` only do the client side (the tests use
``requests.auth.HTTPDigestAuth`` as an independent client). So this is a small
verifier. Nonces are stateless: a timestamp and an HMAC of it under the
server's key, so a nonce cannot be forged and expires after ``NONCE_TTL`` (the
client is told ``stale=true`` and retries with a fresh one). Within that window
a captured request could be replayed; ingest is idempotent on record ids, so
a replay stores nothing new.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

NONCE_TTL = 300
ALGORITHMS: dict[str, Callable] = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


@dataclass(frozen=True)
class DigestResult:
    username: str | None  # the authenticated user name, None if not authenticated
    stale: bool = False  # a valid signature on an expired nonce: ask again with stale=true


def _sign(realm: str, stamp: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"digest-nonce|{realm}|{stamp}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def nonce_make(realm: str, now: float | None = None) -> str:
    stamp = f"{int(now if now is not None else time.time()):x}"
    return f"{stamp}.{_sign(realm, stamp)}"


def _nonce_state(realm: str, nonce: str, now: float) -> str:
    """"ok", "stale" or "bad"."""
    stamp, _dot, signature = nonce.partition(".")
    if not stamp or not hmac.compare_digest(signature, _sign(realm, stamp)):
        return "bad"
    try:
        issued = int(stamp, 16)
    except ValueError:
        return "bad"
    return "ok" if 0 <= now - issued <= NONCE_TTL else "stale"


def challenge(realm: str, *, stale: bool = False, now: float | None = None) -> str:
    """The ``WWW-Authenticate`` value for a 401."""
    value = f'Digest realm="{realm}", qop="auth", algorithm=MD5, nonce="{nonce_make(realm, now)}", opaque=""'
    return value + (", stale=true" if stale else "")


def parse_authorization(header: str) -> dict[str, str] | None:
    scheme, _space, rest = (header or "").partition(" ")
    if scheme.lower() != "digest" or not rest:
        return None
    try:
        return {key.lower(): value for key, value in urllib.request.parse_keqv_list(
            urllib.request.parse_http_list(rest)).items()}
    except ValueError:
        return None


def verify(*, header: str, method: str, realm: str, password_for: Callable[[str], str | None],
           now: float | None = None) -> DigestResult:
    """Check an ``Authorization: Digest …`` header; ``password_for(username)`` gives
    the user's password or None if there is no such user."""
    now = now if now is not None else time.time()
    params = parse_authorization(header)
    if params is None:
        return DigestResult(None)
    required = ("username", "realm", "nonce", "uri", "response")
    if any(not params.get(key) for key in required) or params["realm"] != realm:
        return DigestResult(None)
    algorithm = params.get("algorithm", "MD5").upper()
    hash_of = ALGORITHMS.get(algorithm)
    qop = params.get("qop", "")
    if hash_of is None or qop not in ("auth", ""):
        return DigestResult(None)
    password = password_for(params["username"])
    if password is None:
        return DigestResult(None)

    def h(text: str) -> str:
        return hash_of(text.encode()).hexdigest()

    ha1 = h(f"{params['username']}:{realm}:{password}")
    ha2 = h(f"{method}:{params['uri']}")
    if qop:
        if not params.get("nc") or not params.get("cnonce"):
            return DigestResult(None)
        expected = h(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{qop}:{ha2}")
    else:
        expected = h(f"{ha1}:{params['nonce']}:{ha2}")
    if not hmac.compare_digest(expected, params["response"].lower()):
        return DigestResult(None)
    state = _nonce_state(realm, params["nonce"], now)
    if state == "ok":
        return DigestResult(params["username"])
    return DigestResult(None, stale=state == "stale")
