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
from shequ.intercom.routing import websocket_urlpatterns as intercom_websocket_urlpatterns  # noqa: E402


def _http_application():
    """Django's WSGI handler on a pool of SHEQU_HTTP_THREADS threads (a2wsgi, default
    16), or Django's ASGI handler with SHEQU_HTTP_THREADS=0. The ASGI handler starts a thread for every
    request and crosses between the event loop and threads several times per
    request: on two cores it serves about a quarter of what the thread pool does
    (bench/open311_post.py), and its per-thread database connections are never
    reused (see SHEQU_DB_POOL). The pool keeps its threads, and so their connections."""
    threads = int(os.environ.get("SHEQU_HTTP_THREADS", "16"))
    if threads <= 0:
        return django_application
    from a2wsgi import WSGIMiddleware
    from django.core.wsgi import get_wsgi_application

    return WSGIMiddleware(get_wsgi_application(), workers=threads)


application = ProtocolTypeRouter({
    "http": _http_application(),
    "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns + intercom_websocket_urlpatterns))),
})
