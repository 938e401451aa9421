"""The security administrator's page: grants in their scope, revoke, unlock, reset TOTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.models import AuditRecord, RoleGrant, User
from shequ.accounts.tests.helpers import enrol, user_with

PAGE = reverse("accounts:grants")
CREATE = reverse("accounts:grant_create")


@pytest.fixture
def secadmin_b(tree):
    """Security administrator of community B only: the outsider of this page."""
    return user_with("secadmin_b", "security_admin", tree.community_b)


@pytest.fixture
def newcomer(db):
    return User.objects.create_user(username="newcomer", password="Another-Horse-7")


def grant_of(user, role="community_staff"):
    return RoleGrant.objects.active().get(user=user, role=role)


def test_it_lists_grants_in_scope(secadmin, client_for, worker, outsider):
    response = client_for(secadmin).get(PAGE)
    assert response.status_code == 200
    listed = {grant.user.username for grant in response.context["page"].object_list}
    assert {"worker_a", "worker_b"} <= listed


def test_it_lists_only_the_grants_of_its_own_areas(secadmin_b, client_for, worker, outsider):
    response = client_for(secadmin_b).get(PAGE)
    listed = {grant.user.username for grant in response.context["page"].object_list}
    assert "worker_b" in listed and "worker_a" not in listed


@pytest.mark.parametrize("persona", ["sysadmin", "auditor", "worker"])
def test_it_refuses_everyone_else(persona, client_for, request, worker):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(reverse("accounts:grant_revoke", args=[grant_of(worker).pk])).status_code == 403
    assert grant_of(worker).revoked_at is None


def test_it_adds_a_grant(secadmin, client_for, tree, newcomer):
    response = client_for(secadmin).post(CREATE, {"user": "newcomer", "role": "grid_worker", "area": tree.community_a.code})
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=newcomer)
    assert (grant.role, grant.area, grant.granted_by) == ("grid_worker", tree.community_a, secadmin)
    record = AuditRecord.objects.get(action="grant.created")
    assert record.actor_id == secadmin.pk and record.area_path == tree.community_a.path


def test_it_refuses_an_area_outside_its_scope(secadmin_b, client_for, tree, newcomer):
    response = client_for(secadmin_b).post(CREATE, {"user": "newcomer", "role": "grid_worker",
                                                    "area": tree.community_a.code})
    assert response.status_code == 200
    assert "该区域不在您的管理范围内" in response.content.decode()
    assert not RoleGrant.objects.filter(user=newcomer).exists()


def test_it_refuses_a_user_granted_elsewhere(secadmin_b, client_for, tree, worker):
    response = client_for(secadmin_b).post(CREATE, {"user": "worker_a", "role": "grid_worker",
                                                    "area": tree.community_b.code})
    assert "该用户不在您的管理范围内" in response.content.decode()
    assert not RoleGrant.objects.filter(user=worker, area=tree.community_b).exists()


def test_it_refuses_to_grant_to_oneself(secadmin, client_for, tree):
    response = client_for(secadmin).post(CREATE, {"user": "secadmin", "role": "auditor", "area": tree.city.code})
    assert "不能给自己授权" in response.content.decode()
    assert not RoleGrant.objects.filter(user=secadmin, role="auditor").exists()


def test_it_refuses_a_second_administrator_role_for_one_account(secadmin, client_for, tree, sysadmin):
    response = client_for(secadmin).post(CREATE, {"user": "sysadmin", "role": "auditor", "area": tree.city.code})
    assert "不能由同一账户兼任" in response.content.decode()
    assert not RoleGrant.objects.filter(user=sysadmin, role="auditor").exists()


def test_it_refuses_an_unknown_role(secadmin, client_for, tree, newcomer):
    client_for(secadmin).post(CREATE, {"user": "newcomer", "role": "king", "area": tree.city.code})
    assert not RoleGrant.objects.filter(user=newcomer).exists()


def test_it_revokes_inline(secadmin, client_for, worker):
    grant = grant_of(worker)
    response = client_for(secadmin).post(reverse("accounts:grant_revoke", args=[grant.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "已撤销" in response.content.decode() and "<html" not in response.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert AuditRecord.objects.filter(action="grant.revoked", object_id=str(grant.pk)).exists()


def test_it_cannot_revoke_a_grant_of_another_community(secadmin_b, client_for, worker):
    grant = grant_of(worker)
    response = client_for(secadmin_b).post(reverse("accounts:grant_revoke", args=[grant.pk]))
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_it_lists_and_unlocks_a_locked_account(secadmin, client_for, worker):
    User.objects.filter(pk=worker.pk).update(failed_logins=5, locked_until=timezone.now() + timedelta(minutes=9))
    client = client_for(secadmin)
    assert worker in client.get(PAGE).context["locked"]
    response = client.post(reverse("accounts:user_unlock", args=[worker.pk]), HTTP_HX_REQUEST="true")
    assert "已解锁" in response.content.decode()
    worker.refresh_from_db()
    assert (worker.failed_logins, worker.locked_until) == (0, None)


def test_it_cannot_unlock_an_account_of_another_community(secadmin_b, client_for, worker):
    User.objects.filter(pk=worker.pk).update(locked_until=timezone.now() + timedelta(minutes=9))
    response = client_for(secadmin_b).post(reverse("accounts:user_unlock", args=[worker.pk]))
    assert response.status_code == 404
    worker.refresh_from_db()
    assert worker.locked_until is not None


def test_it_finds_an_account_and_resets_its_second_factor(secadmin, client_for, worker):
    enrol(worker)
    client = client_for(secadmin)
    assert client.get(PAGE, {"username": "worker_a"}).context["account"] == worker
    client.post(reverse("accounts:totp_reset", args=[worker.pk]))
    worker.refresh_from_db()
    assert not worker.has_totp
    assert AuditRecord.objects.filter(action="totp.reset", object_id=str(worker.pk)).exists()


def test_it_does_not_find_an_account_outside_its_scope(secadmin_b, client_for, worker):
    response = client_for(secadmin_b).get(PAGE, {"username": "worker_a"})
    assert response.context["account"] is None
    assert "不在您的管理范围内" in response.content.decode()


def test_it_lists_grants_with_as_many_queries_for_many_rows_as_for_few(secadmin, client_for, tree, worker):
    client = client_for(secadmin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(PAGE)
        return len(captured)

    few = queries()
    for n in range(8):
        user_with(f"guard_{n}", "guard", tree.complex_a, display_name=f"门卫{n}")
    assert queries() == few
