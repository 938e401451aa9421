"""ASGI entry point: HTTP goes to Django, WebSockets (the guard-room console) to Channels.

Sockets opened by pages of other sites are refused (shequ.alarms.security).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
# Django must be set up before the routes import models
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from shequ.alarms.routing import websocket_urlpatterns  # noqa: E402
from shequ.alarms.security import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
