from __future__ import annotations

import pytest

from shequ.access import protocol
from shequ.edge.store import EdgeStore
from shequ.edge.tests import helpers as h

ALICE, BOB, CAROL = 101, 102, 103


@pytest.fixture
def store(tmp_path):
    store = EdgeStore(tmp_path / "edge.sqlite3")
    yield store
    store.close()


@pytest.fixture
def synced(store):
    """A door that knows Alice (card, PIN, QR, plate), Bob (card) and Carol (weekday staff)."""
    store.sync_apply(protocol.sync_parse(h.full(
        10,
        people=[h.person(ALICE), h.person(BOB),
                h.person(CAROL, h.grant(windows=[{"days": "12345", "start": "07:00", "end": "19:00"}]))],
        credentials=[h.credential(1, ALICE, "card", h.CARD), h.credential(2, ALICE, "pin", h.PIN),
                     h.credential(3, ALICE, "qr", h.QR), h.credential(4, ALICE, "plate", "陕A12345"),
                     h.credential(5, BOB, "card", "0B0B0B0B"), h.credential(6, CAROL, "card", "0C0C0C0C")],
    )), secret=h.SECRET)
    return store
