"""WebRTC signalling of one call: offer/answer/ice/bye relayed between its peers.

Peers are the calling terminal (``?key=`` derived from its device secret) and the
logged-in callees (residents of the called house, guards of the complex). Other
sockets are closed before the handshake: 4404 unknown call (or outsider), 4403 not a callee.
Media never passes here; the pages connect peer to peer with host candidates.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shequ.intercom import services
from shequ.intercom.models import IntercomCall
from shequ.intercom.terminal_auth import terminal_key_ok

NOT_FOUND = 4404
FORBIDDEN = 4403
RELAYED = {"offer", "answer", "ice", "bye", "hello"}


def group_name(call_id: int) -> str:
    return f"intercom.call.{call_id}"


def _second_factor_ok(user, session) -> bool:
    from shequ.accounts.services import user_needs_second_factor
    from shequ.accounts.views.access import SECOND_FACTOR_OK

    return bool(session is not None and session.get(SECOND_FACTOR_OK)) or not user_needs_second_factor(user)


@database_sync_to_async
def _role_for(scope, call_id: int) -> str | None:
    """"terminal", "callee" or None (refused); raises for a call the user may not know of."""
    key = parse_qs(scope.get("query_string", b"").decode()).get("key", [""])[0]
    if key:
        call = IntercomCall.objects.select_related("caller_device").filter(pk=call_id).first()
        if call is None or not terminal_key_ok(call.caller_device, key):
            raise Http404
        return "terminal"
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        raise Http404
    if not _second_factor_ok(user, scope.get("session")):
        raise PermissionDenied
    services.call_get_for_user(user=user, call_id=call_id)
    return "callee"


class CallSignalConsumer(AsyncJsonWebsocketConsumer):
    group = ""

    async def connect(self) -> None:
        call_id = int(self.scope["url_route"]["kwargs"]["call_id"])
        try:
            self.role = await _role_for(self.scope, call_id)
        except Http404:
            await self.close(code=NOT_FOUND)
            return
        except PermissionDenied:
            await self.close(code=FORBIDDEN)
            return
        self.group = group_name(call_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or content.get("type") not in RELAYED:
            return
        await self.channel_layer.group_send(self.group, {
            "type": "signal.relay", "sender": self.channel_name, "role": self.role,
            "message": {key: content[key] for key in ("type", "sdp", "candidate") if key in content},
        })

    async def signal_relay(self, event) -> None:
        if event["sender"] != self.channel_name:
            await self.send_json({**event["message"], "from": event["role"]})
