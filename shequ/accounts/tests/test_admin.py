"""The Django admin for accounts: scoped, and the audit log for auditors only, read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import AuditRecord, RoleGrant, User
from shequ.accounts.tests.helpers import user_with

AUDIT_LIST = reverse("admin:accounts_auditrecord_changelist")
USER_LIST = reverse("admin:accounts_user_changelist")
GRANT_LIST = reverse("admin:accounts_rolegrant_changelist")


def staff(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def record(db) -> AuditRecord:
    return audit_append(actor=Actor.system(via="test"), action="test.entry")


def test_the_system_administrator_is_refused_the_audit_log(sysadmin, client_for, record):
    client = client_for(staff(sysadmin))
    assert client.get(AUDIT_LIST).status_code == 403
    assert client.get(reverse("admin:accounts_auditrecord_change", args=[record.pk])).status_code == 403
    assert AUDIT_LIST not in client.get(reverse("admin:index")).content.decode()


def test_a_superuser_without_the_auditor_role_is_refused_the_audit_log(db, client_for, record):
    root = User.objects.create_superuser(username="root", password="Root-Horse-99")
    assert client_for(root).get(AUDIT_LIST).status_code == 403


def test_the_auditor_reads_the_log_in_the_admin(auditor, client_for, record):
    client = client_for(staff(auditor))
    response = client.get(AUDIT_LIST)
    assert response.status_code == 200 and "test.entry" in response.content.decode()
    assert AuditRecord.objects.filter(action="audit.viewed", actor=auditor, detail__via="admin").exists()


def test_nobody_adds_changes_or_deletes_a_record_in_the_admin(auditor, client_for, record):
    client = client_for(staff(auditor))
    assert client.get(reverse("admin:accounts_auditrecord_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditrecord_delete", args=[record.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:accounts_auditrecord_change", args=[record.pk]), {"action": "test.forged"})
    assert AuditRecord.objects.get(pk=record.pk).action == "test.entry"


def test_the_auditor_gets_nothing_else_from_the_admin(auditor, client_for):
    client = client_for(staff(auditor))
    assert client.get(USER_LIST).status_code == 403
    assert client.get(GRANT_LIST).status_code == 403


def test_the_system_administrator_sees_users_inside_their_areas_only(tree, client_for, worker, outsider):
    local = staff(user_with("sysadmin_b", "system_admin", tree.community_b))
    listed = {user.username for user in client_for(local).get(USER_LIST).context["cl"].result_list}
    assert "worker_b" in listed and "worker_a" not in listed
    assert client_for(local).get(reverse("admin:accounts_user_change", args=[worker.pk])).status_code == 302


def test_the_system_administrator_cannot_manage_the_other_administrators(sysadmin, client_for, auditor, secadmin):
    client = client_for(staff(sysadmin))
    listed = {user.username for user in client.get(USER_LIST).context["cl"].result_list}
    assert not listed & {"auditor", "secadmin", "sysadmin"}
    response = client.post(reverse("admin:auth_user_password_change", args=[auditor.pk]),
                           {"password1": "Taken-Over-123", "password2": "Taken-Over-123"})
    assert response.status_code in (302, 403, 404)
    auditor.refresh_from_db()
    assert auditor.check_password("Correct-Horse-9")


def test_the_system_administrator_changes_a_user_and_it_is_audited(sysadmin, client_for, worker):
    client = client_for(staff(sysadmin))
    response = client.post(reverse("admin:accounts_user_change", args=[worker.pk]), {
        "username": "worker_a", "display_name": "新名字", "email": "", "first_name": "", "last_name": "",
        "is_active": "on", "date_joined_0": "2024-01-01", "date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    worker.refresh_from_db()
    assert worker.display_name == "新名字"
    record = AuditRecord.objects.get(action="user.updated")
    assert record.actor_id == sysadmin.pk and "display_name" in record.detail["fields"]


def test_the_system_administrator_cannot_make_a_superuser(sysadmin, client_for, worker):
    client = client_for(staff(sysadmin))
    client.post(reverse("admin:accounts_user_change", args=[worker.pk]), {
        "username": "worker_a", "is_active": "on", "is_superuser": "on", "is_staff": "on",
    })
    worker.refresh_from_db()
    assert not worker.is_superuser


def test_the_security_administrator_grants_through_the_admin(secadmin, client_for, tree):
    newcomer = User.objects.create_user(username="newcomer", password="Another-Horse-7")
    client = client_for(staff(secadmin))
    response = client.post(reverse("admin:accounts_rolegrant_add"),
                           {"user": "newcomer", "role": "guard", "area": tree.complex_a.code})
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=newcomer)
    assert grant.granted_by == secadmin
    assert AuditRecord.objects.filter(action="grant.created", object_id=str(grant.pk), detail__via="admin").exists()


def test_the_security_administrator_revokes_through_the_admin(secadmin, client_for, worker):
    grant = RoleGrant.objects.get(user=worker)
    client = client_for(staff(secadmin))
    client.post(GRANT_LIST, {"action": "revoke_selected", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert RoleGrant.objects.filter(pk=grant.pk).exists()  # history stays


def test_the_admin_login_page_sends_to_the_two_step_login(db):
    response = Client().get(reverse("admin:login"), {"next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_system_administrator_sets_a_password_and_it_is_audited(sysadmin, client_for, worker):
    client = client_for(staff(sysadmin))
    response = client.post(reverse("admin:auth_user_password_change", args=[worker.pk]),
                           {"password1": "Brand-New-Horse-5", "password2": "Brand-New-Horse-5"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Brand-New-Horse-5") and worker.password.startswith("argon2")
    record = AuditRecord.objects.get(action="user.password_changed")
    assert record.actor_id == sysadmin.pk and record.object_id == str(worker.pk)
    assert "Brand-New-Horse-5" not in str(record.detail)


def test_the_system_administrator_adds_a_user_and_it_is_audited(sysadmin, client_for):
    client = client_for(staff(sysadmin))
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "fresh", "display_name": "新同事", "usable_password": "true",
        "password1": "Fresh-Horse-77", "password2": "Fresh-Horse-77",
    })
    assert response.status_code == 302
    fresh = User.objects.get(username="fresh")
    assert fresh.check_password("Fresh-Horse-77")
    record = AuditRecord.objects.get(action="user.created")
    assert record.object_id == str(fresh.pk) and record.detail["password_changed"] is True
    assert "Fresh-Horse-77" not in str(record.detail)
