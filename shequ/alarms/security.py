"""Who may open a console socket from where.

Browsers send the session cookie with a WebSocket handshake to our host even
when a page of another site opens it, and ``ALLOWED_HOSTS`` is "*" on intranet
installs, so the stock ``AllowedHostsOriginValidator`` would let any page a
guard visits listen to the console. This one requires a browser's ``Origin`` to
be the very host the socket was opened on (or one listed in ``ALLOWED_HOSTS``).
Clients that send no ``Origin`` are not browsers and carry no ambient cookie.
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return ""


class SameOriginValidator(OriginValidator):
    def __init__(self, application):
        super().__init__(application, [host for host in settings.ALLOWED_HOSTS if host != "*"])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards WebSocket connections only")
        origin, host = _header(scope, b"origin"), _header(scope, b"host")
        if not origin or (host and urlparse(origin).netloc.lower() == host.lower()) \
                or self.validate_origin(urlparse(origin)):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
