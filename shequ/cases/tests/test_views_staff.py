"""Staff pages: list and filters, detail with steps over htmx, intake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from shequ.cases.models import Case, CaseEvent, Channel, Status
from shequ.cases.tests.conftest import png_upload

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def staff_client(worker, client_for):
    return client_for(worker)


def test_it_lists_cases_with_their_deadline_badge(make_case, staff_client):
    make_case(title="逾期的事", received_at=timezone.now() - timedelta(days=20))
    page = staff_client.get(reverse("cases:case_list")).content.decode()
    assert "逾期的事" in page and "已超期" in page


def test_it_filters_overdue_cases(make_case, staff_client):
    make_case(title="逾期的事", received_at=timezone.now() - timedelta(days=20))
    make_case(title="新来的事")
    page = staff_client.get(reverse("cases:case_list"), {"overdue": "on"}).content.decode()
    assert "逾期的事" in page and "新来的事" not in page


def test_it_finds_a_case_by_number(make_case, staff_client):
    wanted, other = make_case(title="要找的事"), make_case(title="别的事")
    page = staff_client.get(reverse("cases:case_list"), {"q": wanted.number}, **HTMX).content.decode()
    assert "要找的事" in page and "别的事" not in page


def test_it_refuses_the_list_to_a_resident(resident_user, client_for):
    assert client_for(resident_user).get(reverse("cases:case_list")).status_code == 403


def test_it_shows_the_timeline_and_the_steps_allowed_now(case_a, staff_client):
    page = staff_client.get(reverse("cases:case_detail", args=[case_a.pk])).content.decode()
    assert 'id="step-accept"' in page and 'id="step-start"' not in page
    assert 'data-action="created"' in page


def test_it_accepts_over_htmx_and_answers_with_the_refreshed_block(case_a, staff_client):
    response = staff_client.post(reverse("cases:case_act", args=[case_a.pk, "accept"]), {"accept-note": "已接单"},
                                 **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<div id="case-main">')
    assert 'data-action="accepted"' in body
    case_a.refresh_from_db()
    assert case_a.status == Status.ACCEPTED


def test_it_shows_a_refused_step_with_its_message_and_changes_nothing(case_a, staff_client):
    response = staff_client.post(reverse("cases:case_act", args=[case_a.pk, "start"]), {}, **HTMX)
    assert "不能开始办理" in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.status == Status.NEW


def test_it_keeps_the_form_open_with_field_errors(case_a, staff_client):
    staff_client.post(reverse("cases:case_act", args=[case_a.pk, "accept"]), {})
    response = staff_client.post(reverse("cases:case_act", args=[case_a.pk, "wait"]), {"wait-note": ""}, **HTMX)
    assert '<details id="step-wait" open>' in response.content.decode()
    assert Case.objects.get(pk=case_a.pk).status == Status.ACCEPTED


def test_it_resolves_with_photos_over_htmx(case_a, staff_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff_client.post(reverse("cases:case_act", args=[case_a.pk, "accept"]), {})
    staff_client.post(reverse("cases:case_act", args=[case_a.pk, "resolve"]),
                      {"resolve-resolution": "已清运完毕", "resolve-photos": [png_upload("after.png")]}, **HTMX)
    case_a.refresh_from_db()
    assert case_a.status == Status.RESOLVED and case_a.photos.filter(stage="resolution").count() == 1


def test_it_merges_by_typing_the_target_number(make_case, staff_client):
    keep, duplicate = make_case(), make_case()
    staff_client.post(reverse("cases:case_act", args=[duplicate.pk, "merge"]), {"merge-into_number": keep.number})
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == keep.pk


def test_it_says_when_the_merge_target_is_unknown(make_case, staff_client):
    case = make_case()
    response = staff_client.post(reverse("cases:case_act", args=[case.pk, "merge"]),
                                 {"merge-into_number": "SQ19990101-00001"}, **HTMX)
    assert "未找到该编号的事件" in response.content.decode()


def test_a_viewer_without_handling_rights_sees_no_steps_and_is_refused(case_a, tree, client_for):
    adviser = make_user("adviser", "legal_adviser", tree.complex_a)
    client = client_for(adviser)
    page = client.get(reverse("cases:case_detail", args=[case_a.pk])).content.decode()
    assert 'id="step-accept"' not in page
    assert client.post(reverse("cases:case_act", args=[case_a.pk, "accept"]), {}).status_code == 403
    assert Case.objects.get(pk=case_a.pk).status == Status.NEW


def test_it_enters_a_hotline_case(staff_client, tree, garbage):
    response = staff_client.post(reverse("cases:case_create"), {
        "channel": Channel.HOTLINE, "category": garbage.pk, "request_type": "complaint", "urgency": "normal",
        "area": tree.house_a.area.pk, "title": "楼下垃圾", "description": "电话反映楼下垃圾未清运",
        "reporter_name": "张先生", "reporter_phone": "13812345678", "external_ref": "12345-0001",
    })
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert (case.channel, case.reporter_phone_masked, case.complex_id) == (Channel.HOTLINE, "138****5678",
                                                                           tree.complex_a.pk)
    assert CaseEvent.objects.filter(case=case, action="created", actor__isnull=False).exists()


def test_it_shows_intake_errors_next_to_the_fields(staff_client, tree, garbage):
    response = staff_client.post(reverse("cases:case_create"), {
        "channel": Channel.STAFF, "category": garbage.pk, "request_type": "complaint", "urgency": "normal",
        "area": tree.house_a.area.pk, "title": "x", "description": "y", "reporter_phone": "12345",
    })
    assert response.status_code == 200 and 'id="field-reporter_phone"' in response.content.decode()
    assert 'has-error' in response.content.decode() and not Case.objects.exists()


def test_it_refuses_an_area_the_staff_member_cannot_see(staff_client, tree, garbage):
    staff_client.post(reverse("cases:case_create"), {
        "channel": Channel.STAFF, "category": garbage.pk, "request_type": "complaint", "urgency": "normal",
        "area": tree.complex_b.pk, "title": "x", "description": "y",
    })
    assert not Case.objects.exists()


def test_the_place_picker_offers_only_visible_places(staff_client, tree):
    body = staff_client.get(reverse("cases:area_picker"), {"q": "西何"}).content.decode()
    assert 'type="radio"' not in body
    body = staff_client.get(reverse("cases:area_picker"), {"q": "长庆坊"}).content.decode()
    assert f'value="{tree.complex_a.pk}"' in body


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_more_rows(make_case, staff_client, tree):
    url = reverse("cases:case_list")
    make_case()
    few = _queries(staff_client, url)
    for area in (tree.house_a.area, tree.house_a2.area, tree.unit_a, tree.complex_a):
        make_case(area=area)
    assert _queries(staff_client, url) == few


def test_the_detail_costs_the_same_queries_for_a_longer_timeline(make_case, staff_client, worker):
    from shequ.accounts.audit import Actor
    from shequ.cases import services

    short, long = make_case(), make_case()
    staff = Actor(user=worker)
    services.case_accept(actor=staff, case=long)
    services.case_wait_on_resident(actor=staff, case=long, note="等待")
    services.case_resume(actor=staff, case=long)
    services.case_escalate(actor=staff, case=long, reason="协调不了")
    assert (_queries(staff_client, reverse("cases:case_detail", args=[long.pk]))
            == _queries(staff_client, reverse("cases:case_detail", args=[short.pk])))
