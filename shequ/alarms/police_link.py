"""The police one-click link (一键报警联动): how an alarm reaches the public-security platform.

A backend is a class with one method, :meth:`PoliceLink.send`, that makes one try
at delivering one alarm and says what happened. Retrying, backing off, recording
each try and giving up belong to ``shequ.alarms.services.police``, not to the
backend, so every backend gets them alike. The interface is documented for
integrators in ``docs/police-link.md``.

Choosing the backend (settings):

- ``SHEQU_POLICE_LINK_BACKEND``: dotted path of a :class:`PoliceLink` subclass.
  Unset: :class:`HttpJsonPoliceLink` when ``SHEQU_POLICE_LINK_URL`` is set, else
  :class:`NullPoliceLink` (which records "not configured").
- ``SHEQU_POLICE_LINK_URL``, ``SHEQU_POLICE_LINK_SECRET``, ``SHEQU_POLICE_LINK_TIMEOUT``:
  the reference backend's endpoint, HMAC key and per-try timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

from shequ.alarms.conf import setting as _setting

EXCERPT_MAX = 500
ERROR_MAX = 300
DEFAULT_TIMEOUT = 5.0
#: statuses worth another try: the platform is busy or down, not refusing the report
RETRYABLE_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))


@dataclass(frozen=True)
class LinkResult:
    """What one try gave. ``retry`` says whether trying again may help (a 5xx or a
    network error) or not (the platform refused the report, or the link is off)."""

    ok: bool
    http_status: int | None = None
    error: str = ""
    response_excerpt: str = ""
    retry: bool = False


class PoliceLink:
    """Base class of the backends. Subclasses set ``configured`` and implement ``send``."""

    #: False for a backend that cannot deliver anything: forwards are recorded as "not configured"
    configured: bool = True

    @property
    def name(self) -> str:
        return f"{type(self).__module__}.{type(self).__qualname__}"

    def send(self, payload: dict[str, Any], *, key: str) -> LinkResult:
        """Make one try at delivering ``payload`` (see docs/police-link.md). ``key`` is the
        same on every try of one forward: the platform may use it to drop duplicates.
        Must not raise for delivery failures: return a result saying what went wrong."""
        raise NotImplementedError


class NullPoliceLink(PoliceLink):
    """No platform configured: nothing is sent; each forward is recorded as not configured."""

    configured = False

    def send(self, payload: dict[str, Any], *, key: str) -> LinkResult:
        return LinkResult(ok=False, error="not configured: set SHEQU_POLICE_LINK_URL", retry=False)


class HttpJsonPoliceLink(PoliceLink):
    """The reference backend: ``POST`` the payload as JSON to ``SHEQU_POLICE_LINK_URL``.

    Headers: ``Idempotency-Key`` (the forward's key) and, when
    ``SHEQU_POLICE_LINK_SECRET`` is set, ``X-Shequ-Signature: sha256=<hex HMAC of the
    body>``. Any 2xx is delivered; 408, 425, 429, 5xx and network errors are worth a
    retry; other statuses are a refusal. Proxies from the environment are not used:
    the platform sits on the government intranet, reached directly.
    """

    def __init__(self, url: str | None = None, *, secret: str | None = None, timeout: float | None = None) -> None:
        self.url = url if url is not None else _setting("SHEQU_POLICE_LINK_URL", "")
        self.secret = secret if secret is not None else _setting("SHEQU_POLICE_LINK_SECRET", "")
        self.timeout = float(timeout if timeout is not None else _setting("SHEQU_POLICE_LINK_TIMEOUT", DEFAULT_TIMEOUT))
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def configured(self) -> bool:  # type: ignore[override]
        return bool(self.url)

    def send(self, payload: dict[str, Any], *, key: str) -> LinkResult:
        if not self.url:
            return NullPoliceLink().send(payload, key=key)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key,
                   "User-Agent": "shequ-police-link/1"}
        if self.secret:
            digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Shequ-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return LinkResult(ok=True, http_status=response.status, response_excerpt=_excerpt(response))
        except urllib.error.HTTPError as error:
            excerpt = _excerpt(error)
            return LinkResult(ok=False, http_status=error.code, error=f"HTTP {error.code} {error.reason}"[:ERROR_MAX],
                              response_excerpt=excerpt, retry=error.code in RETRYABLE_STATUSES)
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            return LinkResult(ok=False, error=f"{type(error).__name__}: {reason}"[:ERROR_MAX], retry=True)


def _excerpt(response) -> str:
    try:
        raw = response.read(EXCERPT_MAX * 4)
    except (OSError, ValueError):
        return ""
    return raw.decode("utf-8", errors="replace")[:EXCERPT_MAX]


def police_link() -> PoliceLink:
    """The configured backend, built afresh (settings may differ between calls in tests)."""
    path = _setting("SHEQU_POLICE_LINK_BACKEND", "")
    if path:
        backend = import_string(path)()
        if not isinstance(backend, PoliceLink):
            raise TypeError(f"SHEQU_POLICE_LINK_BACKEND {path!r} is not a PoliceLink")
        return backend
    return HttpJsonPoliceLink() if _setting("SHEQU_POLICE_LINK_URL", "") else NullPoliceLink()
