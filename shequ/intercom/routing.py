"""WebSocket routes of the intercom (mounted by shequ.asgi)."""

from django.urls import path

from shequ.intercom.consumers import CallSignalConsumer

websocket_urlpatterns = [
    path("ws/intercom/call/<int:call_id>/", CallSignalConsumer.as_asgi(), name="intercom_call_ws"),
]
