"""Mailbox fixtures: a named resident (张三, 13812345678, house 0301 of 3号楼) who
writes letters, the police of both communities and the police chief of community A.

Letters are written through ``letter_write`` so test data is validated like real data."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.cases.deadlines import TZ
from shequ.cases.tests.conftest import png_upload  # noqa: F401  (re-exported for the tests)
from shequ.mailbox import services
from shequ.mailbox.models import Kind

SENDER_NAME = "张三"
SENDER_PHONE = "13812345678"
SENDER_PHONE_MASKED = "138****5678"
HOUSE_NUMBER = "0301"
BUILDING = "3号楼"
SENDER_USERNAME = "zhangsan"


def at(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


#: Monday 23 Nov 2026, 10:00 local: an ordinary working week
MONDAY = at(2026, 11, 23, 10)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sender(tree, person_a):
    """The resident of house A (0301) who writes; their account stands for 张三."""
    return make_user(SENDER_USERNAME, "resident", tree.house_a.area, display_name=SENDER_NAME, person=person_a)


@pytest.fixture
def neighbour(tree):
    """A resident of another household (house A2, same building)."""
    return make_user("resident_a2", "resident", tree.house_a2.area, display_name="王五")


@pytest.fixture
def housemate(tree):
    """Another resident of the same house: letters are personal, not the household's."""
    return make_user("resident_a_mate", "resident", tree.house_a.area, display_name="张小三")


@pytest.fixture
def resident_b(tree):
    """A resident of community B."""
    return make_user("resident_b", "resident", tree.house_b.area, display_name="赵六")


@pytest.fixture
def chief(tree):
    return make_user("chief_a", "police_chief", tree.community_a, display_name="警务室李所")


@pytest.fixture
def police_b(tree):
    return make_user("police_b", "police", tree.community_b, display_name="民警乙")


@pytest.fixture
def write(sender):
    """``write(anonymous=..., **overrides)``: a letter by the sender."""

    def make(actor_user=None, **overrides):
        values = {"kind": Kind.CONSULTATION, "subject": "楼道灯坏了谁管", "body": "请问3号楼楼道灯坏了找谁？",
                  "at": MONDAY}
        values.update(overrides)
        return services.letter_write(actor=Actor(user=actor_user or sender), **values)

    return make


@pytest.fixture
def letter(write):
    return write()


@pytest.fixture
def anonymous_letter(write):
    return write(kind=Kind.CLUE, subject="可疑人员", body="最近夜里常有陌生人在地下车库转悠。", anonymous=True)
