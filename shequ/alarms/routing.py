"""WebSocket routes of the alarms app (mounted by shequ.asgi)."""

from django.urls import path

from shequ.alarms.consumers import ConsoleConsumer, PoliceConsoleConsumer, StreetConsoleConsumer

websocket_urlpatterns = [
    path("ws/alarms/console/", ConsoleConsumer.as_asgi(), name="alarms_console_ws"),
    path("ws/alarms/police/", PoliceConsoleConsumer.as_asgi(), name="alarms_police_ws"),
    path("ws/alarms/street/", StreetConsoleConsumer.as_asgi(), name="alarms_street_ws"),
]
