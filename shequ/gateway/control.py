"""The gateway's low-volume side: heartbeats, device acks, sync pushes, offline faults.

Heartbeats are coalesced per device and written every ``heartbeat_flush``
seconds. The compiled device lists are polled by version (``Device.latest_version``,
raised by the access services whenever a rule, credential, residence or consent
changes): a device whose list moved gets its retained ``state`` and a ``sync``
delta at once; a device that reports (heartbeat) or acknowledges (``sync_applied``)
a version behind its latest gets a delta from there. A sync is not pushed twice
for the same target within ``sync_resend`` seconds, so a device that ignores it
is not flooded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from shequ.access import protocol
from shequ.gateway.backoff import Backoff
from shequ.gateway.dbworker import DbWorker
from shequ.gateway.directory import DeviceDirectory, DeviceInfo, device_load, devices_load
from shequ.gateway.stats import GatewayStats

logger = logging.getLogger(__name__)

#: ``publish(device, message name, body) -> sent?``
Publish = Callable[[DeviceInfo, str, dict], bool]
#: ``broadcast(area id, message name, body) -> sent?`` (signed with the platform key)
Broadcast = Callable[[int, str, dict], bool]
#: acks kept for a database that is down; beyond this the oldest go (sync_applied is repeated by heartbeats)
MAX_WAITING_ACKS = 100_000


@dataclass(frozen=True)
class ControlTiming:
    heartbeat_flush: float = 1.0
    sync_poll: float = 1.0
    sync_resend: float = 30.0
    offline_check: float = 15.0
    #: run the platform's periodic jobs (shequ.core.jobs) from this gateway
    jobs: bool = True
    directory_refresh: float = 60.0
    stats_log: float = 60.0


class Control:
    def __init__(
        self,
        *,
        worker: DbWorker,
        directory: DeviceDirectory,
        publish: Publish,
        stats: GatewayStats,
        broadcast: Broadcast | None = None,
        timing: ControlTiming = ControlTiming(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker = worker
        self.directory = directory
        self.publish = publish
        self.broadcast = broadcast
        self.stats = stats
        self.timing = timing
        self._clock = clock
        self._beats: dict[str, tuple[DeviceInfo, datetime, int]] = {}
        self._acks: deque[tuple[DeviceInfo, object]] = deque(maxlen=MAX_WAITING_ACKS)
        self._wanted: dict[str, DeviceInfo] = {}
        self._pushed: dict[str, tuple[int, float]] = {}
        self._version_mark = 0
        self._wake = asyncio.Event()
        self._backoff = Backoff(0.5, 10.0)
        self._retry_at = 0.0
        now = clock()
        self._due = {"beats": now, "poll": now, "offline": now + timing.offline_check,
                     "refresh": now + timing.directory_refresh, "stats": now + timing.stats_log}
        self._last_stats: dict[str, int] = {}
        from shequ.core.jobs import JobClock

        self._jobs = JobClock(clock=clock) if timing.jobs else None
        self._blocking_jobs: dict[str, asyncio.Task] = {}

    # --- called on the event loop by the message dispatcher ------------------------------------------------------

    def heartbeat(self, device: DeviceInfo, body: protocol.Heartbeat, at: datetime) -> None:
        self._beats[device.device_id] = (device, at, body.synced_version)
        device.synced_version = body.synced_version
        self.want_sync(device)

    def ack(self, device: DeviceInfo, ack: object) -> None:
        self._acks.append((device, ack))
        self._wake.set()

    def want_sync(self, device: DeviceInfo) -> None:
        """Push a sync to ``device`` if it is not at its latest version (and none went out lately)."""
        # a device ahead of the platform (restored platform backup) needs a snapshot too
        if device.synced_version == device.latest_version:
            return
        last = self._pushed.get(device.device_id)
        if last is not None and last[0] >= device.latest_version and self._clock() - last[1] < self.timing.sync_resend:
            return
        self._wanted[device.device_id] = device
        self._wake.set()

    def announce_all(self) -> int:
        """Publish the retained ``state`` of every device (on every connect: an embedded
        broker forgets retained messages when it restarts)."""
        sent = 0
        for device in self.directory:
            sent += self.announce(device)
        return sent

    def start_from(self, version: int) -> None:
        """Devices changed after ``version`` are the ones the next poll reports."""
        self._version_mark = version

    # --- the loop ------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        tick = min(self.timing.heartbeat_flush, self.timing.sync_poll)
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), tick)
            self._wake.clear()
            self._log_stats()
            if self._clock() < self._retry_at:
                continue
            try:
                await self._step()
            except Exception as error:  # noqa: BLE001 - kept for the next attempt; the database may be down
                delay = self._backoff.next()
                self._retry_at = self._clock() + delay
                logger.warning("gateway control step failed (%s: %s); retrying in %.1f s", type(error).__name__,
                               error, delay, exc_info=not _is_database_error(error))
            else:
                self._backoff.reset()

    async def _step(self) -> None:
        now = self._clock()
        if self._acks:
            await self._apply_acks()
        if self._beats and now >= self._due["beats"]:
            await self._flush_beats()
            self._due["beats"] = now + self.timing.heartbeat_flush
        if now >= self._due["poll"]:
            await self._poll_versions()
            self._due["poll"] = now + self.timing.sync_poll
            await self._push_outbound()
        if self._wanted:
            await self._push_syncs()
        if now >= self._due["offline"]:
            from shequ.access.services import devices_mark_offline

            marked = await self.worker.run(devices_mark_offline)
            for device in marked:
                logger.warning("device %s is offline (no heartbeat)", device.device_id)
            self._due["offline"] = now + self.timing.offline_check
        if now >= self._due["refresh"]:
            self.directory.replace(await self.worker.run(devices_load))
            self._due["refresh"] = now + self.timing.directory_refresh
        if self._jobs is not None:
            await self._run_jobs()

    async def _run_jobs(self) -> None:
        from shequ.core.jobs import job_run, job_run_on_thread

        for job in self._jobs.due():
            if job.blocking:
                # on a thread of its own; skipped while the last round still runs
                if job.name not in self._blocking_jobs:
                    task = asyncio.create_task(asyncio.to_thread(job_run_on_thread, job))
                    self._blocking_jobs[job.name] = task
                    task.add_done_callback(lambda _t, name=job.name: self._blocking_jobs.pop(name, None))
            else:
                await self.worker.run(job_run, job)  # logs its own failures: one broken job stops nothing

    async def _apply_acks(self) -> None:
        acks = list(self._acks)
        results = await self.worker.run(_acks_apply, [(device.pk, ack) for device, ack in acks])
        # only now (they are stored) do they leave the queue; re-applying any of them is harmless
        for _ in acks:
            self._acks.popleft()
        self.stats.acks += len(acks)
        for (device, _ack), version in zip(acks, results):
            if version is not None:
                device.synced_version = version
                self.want_sync(device)

    async def _flush_beats(self) -> None:
        from shequ.access.services import devices_heartbeats_record

        beats = self._beats
        self._beats = {}
        try:
            await self.worker.run(devices_heartbeats_record,
                                  [(device.pk, at, synced) for device, at, synced in beats.values()])
        except BaseException:
            # keep them, unless newer ones came meanwhile
            self._beats = {**beats, **self._beats}
            raise
        self.stats.heartbeats += len(beats)

    async def _poll_versions(self) -> None:
        from shequ.access.services import devices_changed_since

        changed = await self.worker.run(devices_changed_since, self._version_mark)
        for device_id, latest in changed:
            device = self.directory.get(device_id)
            if device is None:  # registered since the last load
                device = await self.worker.run(device_load, device_id)
                if device is None:
                    continue
                self.directory.add(device)
            device.latest_version = max(device.latest_version, latest)
            self.announce(device)
            self.want_sync(device)
            self._version_mark = max(self._version_mark, latest)

    async def _push_outbound(self) -> None:
        """Publish queued commands and broadcasts (``shequ.access.services.outbound``),
        then mark them sent. A message that cannot go out now (broker away, device
        unknown) stays queued for the next poll, until it expires."""
        from shequ.access.services.outbound import outbound_pending

        pending = await self.worker.run(outbound_pending)
        sent: list[int] = []
        for message in pending:
            if message.device_id is not None:
                device = self.directory.get_by_pk(message.device_id)
                if device is None:
                    device = await self.worker.run(device_load, message.device.device_id)
                    if device is None:
                        continue
                    self.directory.add(device)
                ok = self.publish(device, message.name, message.body)
            else:
                ok = self.broadcast is not None and self.broadcast(message.area_id, message.name, message.body)
            if ok:
                sent.append(message.pk)
        if sent:
            from shequ.access.services.outbound import outbound_mark_sent

            await self.worker.run(outbound_mark_sent, sent)
            self.stats.outbound_sent += len(sent)

    async def _push_syncs(self) -> None:
        wanted = list(self._wanted.values())
        self._wanted.clear()
        for position, device in enumerate(wanted):
            try:
                body = await self.worker.run(_sync_body, device.pk, device.synced_version)
            except BaseException:
                for rest in wanted[position:]:
                    self._wanted.setdefault(rest.device_id, rest)
                raise
            if body is None:  # device gone
                continue
            device.latest_version = max(device.latest_version, body["version"])
            if self.publish(device, "sync", body):
                self._pushed[device.device_id] = (body["version"], self._clock())
                self.stats.syncs_sent += 1

    def announce(self, device: DeviceInfo) -> int:
        """Publish the device's retained ``state`` (signed with its current secret)."""
        if self.publish(device, "state", protocol.state_body(device.latest_version)):
            self.stats.states_sent += 1
            return 1
        return 0

    def _log_stats(self) -> None:
        now = self._clock()
        if now < self._due["stats"]:
            return
        self._due["stats"] = now + self.timing.stats_log
        current = self.stats.as_dict()
        if current != self._last_stats:
            logger.info("gateway: %s", ", ".join(f"{key} {value}" for key, value in current.items() if value))
            self._last_stats = current


def _is_database_error(error: Exception) -> bool:
    from django.db import Error

    return isinstance(error, Error)


# --- database side (run on the control worker's thread) ---------------------------------------------------------

def _acks_apply(acks: list[tuple[int, object]]) -> list[int | None]:
    """Apply device acks; for ``sync_applied`` the version recorded, else None."""
    from shequ.access.models import Device
    from shequ.access.services import device_sync_applied, face_deletion_confirm

    devices = Device.objects.in_bulk({pk for pk, _ack in acks})
    results: list[int | None] = []
    for pk, ack in acks:
        device = devices.get(pk)
        result = None
        if device is None:
            pass
        elif isinstance(ack, protocol.SyncApplied):
            result = device_sync_applied(device, ack.version)
        elif isinstance(ack, protocol.FaceDeleted):
            face_deletion_confirm(device=device, template_ids=ack.template_ids)
        elif isinstance(ack, protocol.CmdResult):
            logger.info("device %s: command %s %s %s", device.device_id, ack.cmd_id, "done" if ack.ok else "failed",
                        ack.reason)
        results.append(result)
    return results


def _sync_body(pk: int, since_version: int) -> dict | None:
    from shequ.access.models import Device
    from shequ.access.services import device_sync_delta

    device = Device.objects.filter(pk=pk, is_active=True).first()
    return device_sync_delta(device, since_version) if device is not None else None
