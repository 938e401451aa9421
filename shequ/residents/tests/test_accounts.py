"""Resident accounts and grants: made at the first login, following where the person lives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.test import Client
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord, RoleGrant, User
from shequ.accounts.roles import Role
from shequ.registry.models import Residence
from shequ.registry.services import residence_end
from shequ.registry.tests.factories import SYSTEM
from shequ.residents.services import resident_account_ensure, resident_grants_sweep
from shequ.residents.tests.conftest import PHONE_A, last_code, log_in, move_in, request_code

pytestmark = pytest.mark.django_db


def _move_out(person):
    residence_end(actor=SYSTEM, residence=Residence.objects.current().get(person=person), end_date=timezone.localdate())


def test_the_first_login_creates_an_account_with_a_resident_grant_on_the_house(family, sms):
    log_in(Client(), sms)
    user = User.objects.get(person=family.owner)
    assert not user.has_usable_password() and user.display_name == family.owner.name
    grant = RoleGrant.objects.active().get(user=user)
    assert (grant.role, grant.area_id) == (Role.RESIDENT, family.house.area_id)
    assert AuditRecord.objects.filter(action="user.created", object_id=str(user.pk)).exists()
    assert AuditRecord.objects.filter(action="grant.created", object_id=str(grant.pk)).exists()


def test_the_next_login_reuses_the_account(family, sms, settings):
    settings.SHEQU_LOGIN_CODE_INTERVAL_SECONDS = 0
    first = get_user(log_in(Client(), sms)).pk
    second = get_user(log_in(Client(), sms)).pk
    assert first == second and User.objects.filter(person=family.owner).count() == 1


def test_a_staff_account_of_the_same_person_is_never_opened_by_a_code(family, sms, tree):
    staff = User.objects.create_user("staff_zhang", password="Correct-Horse-9", person=family.owner)
    RoleGrant.objects.create(user=staff, role=Role.COMMUNITY_STAFF, area=tree.community_a)
    user = get_user(log_in(Client(), sms))
    assert user.pk != staff.pk and not RoleGrant.objects.active().filter(user=user).exclude(role=Role.RESIDENT)


def test_a_disabled_resident_account_cannot_log_in(family, sms):
    user = resident_account_ensure(person=family.owner, actor=SYSTEM)
    User.objects.filter(pk=user.pk).update(is_active=False)
    client = Client()
    request_code(client, PHONE_A)
    response = client.post("/me/login/code/", {"code": last_code(sms)}, follow=True)
    assert not get_user(client).is_authenticated
    assert "停用" in response.content.decode()


def test_a_resident_who_moved_out_is_logged_out_and_loses_the_grant(family, sms):
    client = log_in(Client(), sms)
    user = get_user(client)
    _move_out(family.owner)
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"] == "/me/login/"
    assert not get_user(client).is_authenticated
    assert not RoleGrant.objects.active().filter(user=user).exists()
    assert RoleGrant.objects.filter(user=user, revoked_at__isnull=False).exists()  # kept as history


def test_a_move_to_another_house_moves_the_grant(family, sms, tree):
    client = log_in(Client(), sms)
    user = get_user(client)
    _move_out(family.owner)
    move_in(family.owner, tree.house_a2)
    assert client.get("/me/").status_code == 200
    assert list(RoleGrant.objects.active().filter(user=user).values_list("area_id", flat=True)) == [tree.house_a2.area_id]


def test_a_move_out_ends_the_resident_grant_in_the_same_transaction(family):
    owner = resident_account_ensure(person=family.owner, actor=SYSTEM)
    _move_out(family.owner)
    assert not RoleGrant.objects.active().filter(user=owner).exists()


def test_the_sweep_ends_grants_once_a_future_move_out_day_has_come(family, neighbour):
    owner = resident_account_ensure(person=family.owner, actor=SYSTEM)
    other = resident_account_ensure(person=neighbour, actor=SYSTEM)
    leaving_on = timezone.localdate() + timedelta(days=3)
    residence_end(actor=SYSTEM, residence=Residence.objects.current().get(person=family.owner), end_date=leaving_on)
    assert RoleGrant.objects.active().filter(user=owner).exists()  # still living there until that day
    assert resident_grants_sweep(actor=Actor.system(), day=leaving_on + timedelta(days=1)) == 1
    assert not RoleGrant.objects.active().filter(user=owner).exists()
    assert RoleGrant.objects.active().filter(user=other).exists()
