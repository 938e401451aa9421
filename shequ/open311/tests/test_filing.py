"""Writing a batch of requests (the group commit's write step), as a busy server does."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shequ.accounts.models import AuditRecord
from shequ.cases.models import Case
from shequ.open311.filing import ApiKeyRefused, Filing, filings_write
from shequ.open311.groupcommit import Item
from shequ.open311.models import ServiceRequest
from shequ.open311.submission import Submission


def filing(key, address_id="CQF-03", **fields) -> Item:
    fields = {"service_code": "garbage", "description": "垃圾堆了三天", "address_id": address_id, **fields}
    return Item(Filing(raw_key=key.raw, ip="10.0.0.9", submission=Submission(**fields), received_at=timezone.now()))


def test_it_files_every_request_of_a_batch(key_a, tree):
    items = [filing(key_a, code) for code in ("CQF", "CQF-03", "CQF-03-2", tree.house_a.area.code)]
    filings_write(items)
    rows = [item.result for item in items]
    assert all(isinstance(row, ServiceRequest) for row in rows)
    numbers = [row.case.number for row in rows]
    assert len(set(numbers)) == 4
    cases = Case.objects.filter(number__in=numbers)
    assert {case.channel for case in cases} == {"open311"} and cases.count() == 4
    assert {case.complex_id for case in cases} == {tree.complex_a.pk}
    assert all(case.events.get().actor == key_a.user for case in cases)


def test_it_answers_each_request_of_a_batch_on_its_own(key_a, key_b, tree):
    good, unknown, outside, bad_key = (filing(key_a), filing(key_a, service_code="potholes"), filing(key_b),
                                       filing(key_a))
    bad_key.payload = Filing(raw_key=key_a.raw[:-4] + "0000", ip="", submission=bad_key.payload.submission,
                             received_at=bad_key.payload.received_at)
    filings_write([good, unknown, outside, bad_key])
    assert isinstance(good.result, ServiceRequest)
    assert isinstance(unknown.error, ValidationError) and "service_code" in unknown.error.error_dict
    assert isinstance(outside.error, PermissionDenied) and not isinstance(outside.error, ApiKeyRefused)
    assert isinstance(bad_key.error, ApiKeyRefused)
    assert Case.objects.count() == 1


def test_it_writes_one_audit_record_per_key_user_per_batch(key_a, key_b, tree):
    items = [filing(key_a, "CQF-03"), filing(key_a, "CQF"), filing(key_b, "XH"), filing(key_a, tree.house_a.area.code)]
    filings_write(items)
    records = AuditRecord.objects.filter(action="case.created").order_by("seq")
    assert [(record.actor, record.detail["count"]) for record in records] == [(key_a.user, 3), (key_b.user, 1)]
    assert records[0].detail["numbers"] == [items[n].result.case.number for n in (0, 1, 3)]
    assert records[0].area_path == tree.complex_a.path  # the deepest area holding all three


def test_it_writes_a_batch_in_as_many_queries_as_a_single_request(key_a, tree):
    filings_write([filing(key_a)])  # the key's last_used_at is written on first use only
    with CaptureQueriesContext(connection) as single:
        filings_write([filing(key_a, "CQF-03-2")])
    with CaptureQueriesContext(connection) as batch:
        filings_write([filing(key_a, code) for code in ("CQF", "CQF-03", "CQF-03-2", tree.house_a.area.code)] * 3)
    assert len(batch.captured_queries) == len(single.captured_queries)


def test_it_writes_each_request_alone_when_the_batch_fails(key_a, tree, monkeypatch):
    real = ServiceRequest.objects.bulk_create

    def fails_for_batches(rows, *args, **kwargs):
        if len(rows) > 1:
            raise RuntimeError("a constraint nobody foresaw")
        return real(rows, *args, **kwargs)

    monkeypatch.setattr(ServiceRequest.objects, "bulk_create", fails_for_batches)
    items = [filing(key_a), filing(key_a), filing(key_a)]
    filings_write(items)
    assert all(isinstance(item.result, ServiceRequest) for item in items)
    assert Case.objects.count() == 3 and ServiceRequest.objects.count() == 3


@pytest.mark.django_db(transaction=True)  # real commits; the root conftest restores migration data
def test_it_files_concurrent_posts_together_through_the_server(key_a, tree):
    """Many threads posting at once, as uvicorn's request threads do: every one gets its own case."""
    import threading

    from django.test import Client

    answers, errors = [], []

    def post():
        try:
            response = Client().post("/open311/v2/requests.json", {
                "api_key": key_a.raw, "service_code": "garbage", "description": "垃圾", "address_id": "CQF"})
            answers.append(response.json()[0]["service_request_id"])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(set(answers)) == 12
    assert Case.objects.filter(number__in=answers, channel="open311").count() == 12


def test_it_refuses_a_revoked_key_in_a_batch(key_a, tree):
    from shequ.exchange.models import ApiKey
    from shequ.exchange.services import apikey_revoke
    from shequ.open311.tests.conftest import SYSTEM

    apikey_revoke(actor=SYSTEM, key=ApiKey.objects.get(user=key_a.user))
    item = filing(key_a)
    filings_write([item])
    assert isinstance(item.error, ApiKeyRefused)
    assert not Case.objects.exists()
