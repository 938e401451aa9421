"""The audit log page: the auditor's alone, filtered, paged, itself audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import AuditRecord
from shequ.accounts.tests.helpers import disable_audit_triggers, user_with
from shequ.accounts.views.audit_log import PER_PAGE

PAGE = reverse("accounts:audit_log")
VERIFY = reverse("accounts:audit_verify")


@pytest.fixture
def records(tree, worker, outsider):
    """A login in no area, and one change in each community."""
    audit_append(actor=Actor(worker, ip="10.0.0.1"), action="login.ok", obj=worker)
    audit_append(actor=Actor(worker), action="person.updated", object_type="registry.person", object_id="41",
                 area_path=tree.house_a.area.path, detail={"changes": {"name": ["甲", "乙"]}})
    audit_append(actor=Actor(outsider), action="person.created", object_type="registry.person", object_id="42",
                 area_path=tree.house_b.area.path)


def rows(response) -> list:
    return list(response.context["page"].object_list)


def test_the_auditor_reads_the_log(auditor, client_for, records):
    response = client_for(auditor).get(PAGE)
    assert response.status_code == 200
    assert {r.action for r in rows(response)} >= {"login.ok", "person.updated", "person.created"}
    assert "person.updated" in response.content.decode()


def test_reading_the_log_is_audited(auditor, client_for, records):
    client_for(auditor).get(PAGE, {"action": "person"})
    record = AuditRecord.objects.get(action="audit.viewed")
    assert record.actor_id == auditor.pk
    assert record.detail["filters"] == {"action": "person"}


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "worker", "street_cadre", "police"])
def test_everyone_but_the_auditor_is_refused(persona, client_for, records, request):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(VERIFY).status_code == 403
    assert not AuditRecord.objects.filter(action__startswith="audit.").exists()


def test_an_anonymous_visitor_is_sent_to_log_in(db):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_it_filters_by_action_prefix(auditor, client_for, records):
    response = client_for(auditor).get(PAGE, {"action": "person."})
    assert {r.action for r in rows(response)} == {"person.updated", "person.created"}


def test_it_filters_by_actor(auditor, client_for, records):
    response = client_for(auditor).get(PAGE, {"actor": "worker_b"})
    assert [r.action for r in rows(response)] == ["person.created"]


def test_it_filters_by_object(auditor, client_for, records):
    response = client_for(auditor).get(PAGE, {"object_type": "registry.person", "object_id": "41"})
    assert [r.action for r in rows(response)] == ["person.updated"]


def test_it_filters_by_date_range(auditor, client_for, records):
    today = timezone.localdate()
    client = client_for(auditor)
    assert rows(client.get(PAGE, {"date_from": today, "date_to": today}))
    assert rows(client.get(PAGE, {"date_to": today - timedelta(days=1)})) == []


def test_it_shows_nothing_for_an_inverted_date_range(auditor, client_for, records):
    today = timezone.localdate()
    response = client_for(auditor).get(PAGE, {"date_from": today, "date_to": today - timedelta(days=3)})
    assert rows(response) == []
    assert "截止日期不能早于起始日期" in response.content.decode()


def test_it_pages(auditor, client_for, db):
    for n in range(PER_PAGE + 5):
        audit_append(actor=Actor.system(via="test"), action="test.bulk", detail={"n": n})
    client = client_for(auditor)
    first = client.get(PAGE, {"action": "test."})
    second = client.get(PAGE, {"action": "test.", "page": 2})
    assert len(rows(first)) == PER_PAGE and len(rows(second)) == 5
    assert "page=2" in first.content.decode()


def test_an_htmx_request_gets_the_table_alone(auditor, client_for, records):
    response = client_for(auditor).get(PAGE, {"action": "login"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table>" in body and "<html" not in body


def test_an_auditor_of_one_community_sees_only_its_records(tree, client_for, records):
    local = user_with("auditor_a", "auditor", tree.community_a)
    actions = {r.action for r in rows(client_for(local).get(PAGE))}
    assert "person.updated" in actions
    assert "person.created" not in actions  # community B
    assert "login.ok" not in actions  # belongs to no area: installation-wide auditors only


def test_the_chain_check_reports_an_intact_chain(auditor, client_for, records):
    count = AuditRecord.objects.count()
    response = client_for(auditor).post(VERIFY, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "哈希链完整" in body and f"共 {count} 条记录" in body
    assert AuditRecord.objects.filter(action="audit.verified", actor=auditor).exists()


def test_the_chain_check_names_a_tampered_record(auditor, client_for, records):
    disable_audit_triggers()
    AuditRecord.objects.filter(seq=2).update(detail={"changes": {}})
    body = client_for(auditor).post(VERIFY, HTTP_HX_REQUEST="true").content.decode()
    assert "记录 #2" in body and "已被修改" in body
    assert "哈希链完整" not in body


def test_the_chain_check_needs_a_post(auditor, client_for, records):
    assert client_for(auditor).get(VERIFY).status_code == 405


def test_it_lists_records_with_as_many_queries_for_many_rows_as_for_few(auditor, client_for, worker, records):
    client = client_for(auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(PAGE)
        return len(captured)

    few = queries()
    for _ in range(10):
        audit_append(actor=Actor(worker), action="person.viewed", obj=worker)
    assert queries() == few
