"""Alarm writes.

- :mod:`.raising`: alarms from stored device events (forced entry, door held, SOS),
  from SOS buttons (:func:`sos_raise`) and from the platform (:func:`alarm_raise`);
  the stream of ordinary events to the consoles.
- :mod:`.handling`: acknowledge, dispatch, on scene, close, notes; in order only.
- :mod:`.escalation`: unacknowledged alarms go to the police, then the street;
  the periodic tick.
- :mod:`.police`: the police one-click link (forwarding to the public-security platform).

Every write checks rights where a person acts, appends to the alarm's timeline,
writes the audit log, and pushes the new state to the consoles after commit.
"""

from shequ.alarms.services.common import NOTE_MAX, escalation_actor, gateway_actor
from shequ.alarms.services.escalation import TickResult, alarms_escalate_due, alarms_tick, alarms_tick_async
from shequ.alarms.services.handling import (TRANSITIONS, alarm_acknowledge, alarm_close, alarm_dispatch, alarm_note,
                                            alarm_on_scene, offered_steps)
from shequ.alarms.services.police import (police_forward, police_forward_try, police_forwards_deliver_due,
                                          police_payload)
from shequ.alarms.services.raising import (ALARM_OF_EVENT, EVENTS_PER_MESSAGE, LIVE_WINDOW, SOS_SOURCES,
                                           alarm_raise, alarms_device_back_online, alarms_from_events, events_stream,
                                           sos_raise, source_of_device)

__all__ = [
    "ALARM_OF_EVENT", "EVENTS_PER_MESSAGE", "LIVE_WINDOW", "NOTE_MAX", "SOS_SOURCES", "TRANSITIONS",
    "TickResult", "alarm_acknowledge", "alarm_close", "alarm_dispatch", "alarm_note", "alarm_on_scene",
    "alarm_raise", "alarms_device_back_online", "alarms_escalate_due", "alarms_from_events", "alarms_tick",
    "alarms_tick_async", "escalation_actor", "events_stream", "gateway_actor", "offered_steps", "police_forward",
    "police_forward_try", "police_forwards_deliver_due", "police_payload", "sos_raise", "source_of_device",
]
