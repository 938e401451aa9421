"""Relays: the simulated one, and the Modbus RTU adapter against a fake board on a pty."""

from __future__ import annotations

import os
import select
import threading
import time

import pytest

from shequ.edge.relay import ModbusRelay, RelayError, SimulatedRelay, crc16_modbus, relay_from_spec, write_coil_frame


class FakeBoard:
    """A Modbus RTU relay board at the far end of a pseudo-terminal: answers write-single-coil by echo."""

    def __init__(self, *, unit: int = 1, answer: bool = True) -> None:
        self.master, slave = os.openpty()
        self.port = os.ttyname(slave)
        self._slave = slave  # kept open so the pty lives while the adapter opens it by name
        self.unit, self.answer = unit, answer
        self.coils: dict[int, bool] = {}
        self.frames: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            buffer += os.read(self.master, 64)
            while len(buffer) >= 8:
                frame, buffer = buffer[:8], buffer[8:]
                self.frames.append(frame)
                body, crc = frame[:6], frame[6] | frame[7] << 8
                if crc16_modbus(body) != crc or body[0] != self.unit or body[1] != 0x05:
                    continue  # a real board stays silent on a bad frame
                self.coils[body[2] << 8 | body[3]] = body[4] == 0xFF
                if self.answer:
                    os.write(self.master, frame)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def board():
    board = FakeBoard()
    yield board
    board.close()


def wait_until(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_it_computes_the_modbus_crc():
    # the specification's example: 01 05 00 00 FF 00 -> CRC 8C 3A on the wire
    assert write_coil_frame(1, 0, True).hex() == "010500 00ff00 8c3a".replace(" ", "")


def test_it_closes_the_coil_then_opens_it_after_the_unlock_time(board):
    relay = ModbusRelay(board.port, unit=1, coil=2)
    relay.unlock(0.2)
    assert board.coils[2] is True
    assert wait_until(lambda: board.coils[2] is False)
    relay.close()


def test_it_starts_with_the_lock_shut(board):
    relay = ModbusRelay(board.port, coil=1)
    assert board.coils == {1: False}
    relay.close()


def test_it_locks_when_closed_early(board):
    relay = ModbusRelay(board.port)
    relay.unlock(30)
    relay.close()
    assert board.coils[0] is False


def test_it_notices_a_board_that_does_not_answer():
    silent = FakeBoard(answer=False)
    try:
        with pytest.raises(RelayError):
            ModbusRelay(silent.port, timeout=0.2)
    finally:
        silent.close()


def test_it_builds_a_relay_from_its_spec(board):
    relay = relay_from_spec(f"modbus:{board.port},unit=1,coil=3,baud=19200")
    assert (relay.unit, relay.coil) == (1, 3)
    relay.close()
    assert isinstance(relay_from_spec("simulated"), SimulatedRelay)


@pytest.mark.parametrize("spec", ["gpio:17", "modbus:", "modbus:/dev/null,colour=red"])
def test_it_refuses_an_unknown_relay_spec(spec):
    with pytest.raises(ValueError):
        relay_from_spec(spec)


def test_it_simulates_the_unlock_time():
    relay = SimulatedRelay()
    relay.unlock(0.05)
    assert relay.unlocked
    time.sleep(0.08)
    assert not relay.unlocked
