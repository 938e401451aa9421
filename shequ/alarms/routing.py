"""WebSocket routes of the alarms app (mounted by shequ.asgi)."""

from django.urls import path

from shequ.alarms.consumers import ConsoleConsumer

websocket_urlpatterns = [
    path("ws/alarms/console/", ConsoleConsumer.as_asgi(), name="alarms_console_ws"),
]
