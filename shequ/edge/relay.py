"""The lock relay: a small interface, a simulated relay for tests and demos, and
one real adapter, a Modbus RTU relay board on a serial line.

Fail-secure: a relay is energised only to release the lock, for a set time, and
de-energised again by the adapter itself (and on close), so a crash of the edge
program leaves the door locked.

Modbus RTU relay boards (the common 1/2/4/8-channel DIN-rail modules sold for
access control and automation) take function 05, *Write Single Coil*: coil
``n`` is relay ``n`` (0-based), value ``FF 00`` closes it, ``00 00`` opens it,
and the board answers with an echo of the request. Frames are
``address, 0x05, coil (2 bytes), value (2 bytes), CRC-16/Modbus (low byte
first)``; line settings 9600 8N1 by default. Use it as
``--relay modbus:/dev/ttyUSB0,unit=1,coil=0,baud=9600``.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)


class RelayError(RuntimeError):
    """The relay did not confirm a command."""


class Relay(Protocol):
    def unlock(self, seconds: float) -> None:
        """Release the lock now and lock again after ``seconds``."""

    def close(self) -> None:
        """Lock and release the hardware."""


@dataclass
class SimulatedRelay:
    """Remembers its commands; ``unlocked`` follows the real timing."""

    commands: list[tuple[float, float]] = field(default_factory=list)  # (monotonic time, seconds)
    _until: float = 0.0

    def unlock(self, seconds: float) -> None:
        now = time.monotonic()
        self.commands.append((now, seconds))
        self._until = max(self._until, now + seconds)

    @property
    def unlocked(self) -> bool:
        return time.monotonic() < self._until

    def close(self) -> None:
        self._until = 0.0


def crc16_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def write_coil_frame(unit: int, coil: int, on: bool) -> bytes:
    body = bytes([unit, 0x05, coil >> 8, coil & 0xFF, 0xFF if on else 0x00, 0x00])
    crc = crc16_modbus(body)
    return body + bytes([crc & 0xFF, crc >> 8])


class ModbusRelay:
    """One coil of a Modbus RTU relay board on a serial port (stdlib termios, no pyserial)."""

    def __init__(self, port: str, *, unit: int = 1, coil: int = 0, baud: int = 9600, timeout: float = 0.5) -> None:
        if not 1 <= unit <= 247:
            raise ValueError("Modbus unit address must be 1-247")
        self.port, self.unit, self.coil, self.timeout = port, unit, coil, timeout
        self._fd = os.open(port, os.O_RDWR | os.O_NOCTTY)
        _configure_serial(self._fd, baud)
        self._lock = threading.Lock()
        self._relock: threading.Timer | None = None
        with self._lock:
            self._write(False)  # a board that does not answer is found at start, not at the first resident

    def unlock(self, seconds: float) -> None:
        with self._lock:
            if self._relock is not None:
                self._relock.cancel()
            self._write(True)
            # the timer thread, not the event loop, relocks: the door locks even if the loop is stuck
            self._relock = threading.Timer(seconds, self._set, args=(False,))
            self._relock.daemon = True
            self._relock.start()

    def close(self) -> None:
        with self._lock:
            if self._relock is not None:
                self._relock.cancel()
        try:
            self._set(False)
        finally:
            os.close(self._fd)

    def _set(self, on: bool) -> None:
        try:
            with self._lock:
                self._write(on)
        except (OSError, RelayError):
            logger.exception("relay %s coil %s: command failed", self.port, self.coil)
            if on:
                raise

    def _write(self, on: bool) -> None:
        frame = write_coil_frame(self.unit, self.coil, on)
        os.write(self._fd, frame)
        answer = self._read(len(frame))
        if answer != frame:  # a write-single-coil reply echoes the request
            raise RelayError(f"relay board answered {answer.hex() or 'nothing'} to {frame.hex()}")

    def _read(self, size: int) -> bytes:
        data = b""
        deadline = time.monotonic() + self.timeout
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._fd], [], [], remaining)[0]:
                break
            data += os.read(self._fd, size - len(data))
        return data


def _configure_serial(fd: int, baud: int) -> None:
    """Raw 8N1 at ``baud`` (a pty in tests accepts the same settings)."""
    import termios
    import tty

    speeds = {9600: termios.B9600, 19200: termios.B19200, 38400: termios.B38400, 57600: termios.B57600,
              115200: termios.B115200}
    if baud not in speeds:
        raise ValueError(f"unsupported baud rate {baud}")
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[2] = (attrs[2] & ~(termios.PARENB | termios.CSTOPB | termios.CSIZE)) | termios.CS8 | termios.CLOCAL | termios.CREAD
    attrs[4] = attrs[5] = speeds[baud]
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def relay_from_spec(spec: str) -> Relay:
    """``simulated`` or ``modbus:/dev/ttyUSB0,unit=1,coil=0,baud=9600``."""
    if spec == "simulated":
        return SimulatedRelay()
    kind, _, rest = spec.partition(":")
    if kind == "modbus" and rest:
        port, *options = rest.split(",")
        values = dict(option.split("=", 1) for option in options if "=" in option)
        unknown = set(values) - {"unit", "coil", "baud"}
        if unknown:
            raise ValueError(f"unknown modbus options: {', '.join(sorted(unknown))}")
        return ModbusRelay(port, **{key: int(value) for key, value in values.items()})
    raise ValueError(f"unknown relay {spec!r} (use 'simulated' or 'modbus:PORT,unit=1,coil=0,baud=9600')")
