"""Case fixtures: categories come from the data migration; cases are made
through ``case_create`` so test data is validated and numbered like real data."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shequ.accounts.audit import Actor
from shequ.cases.models import Category, Channel

SYSTEM = Actor.system(via="test")


def png_upload(name: str = "photo.png", size=(8, 8), fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


@pytest.fixture
def garbage(db) -> Category:
    return Category.objects.get(code="garbage")


@pytest.fixture
def make_case(tree, garbage):
    """``make_case(area=..., **overrides)``: a staff-entered case, by the system actor."""
    from shequ.cases.services import case_create

    def make(area=None, actor: Actor = SYSTEM, **overrides):
        values = {"channel": Channel.STAFF, "category": garbage, "title": "垃圾未清运",
                  "description": "3号楼门口垃圾堆放两天无人清运。"}
        values.update(overrides)
        return case_create(actor=actor, area=area or tree.building_a, **values)

    return make


@pytest.fixture
def case_a(make_case):
    return make_case()


@pytest.fixture
def team_a(tree):
    from shequ.meetings.models import Team

    return Team.objects.create(complex=tree.complex_a)


@pytest.fixture
def leader_seat(team_a, tree):
    """The complex service leader of complex A, with a "team_member" grant on it."""
    from conftest import make_user
    from shequ.meetings.models import TeamMember

    user = make_user("leader_a", "team_member", tree.complex_a, display_name="服务长王")
    return TeamMember.objects.create(team=team_a, role=TeamMember.Role.SERVICE_LEADER, user=user, name="王明",
                                     start_date=date(2026, 1, 1))


@pytest.fixture
def team_member(leader_seat):
    return leader_seat.user
