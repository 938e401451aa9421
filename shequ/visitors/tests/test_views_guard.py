"""Guard pages: expected and arrived visitors, check-in and out, walk-ins, the log and figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.registry.tests.factories import resident_id
from shequ.visitors.models import Visit, VisitKind
from shequ.visitors.selectors import visitor_figures
from shequ.visitors.tests.conftest import ingest, issue, pass_event

pytestmark = pytest.mark.django_db


def test_the_guard_sees_the_expected_visitor_then_the_arrival(client_for, guard, visitor_pass, doors):
    client = client_for(guard)
    page = client.get(reverse("visitors:guard"))
    assert [p.pk for p in page.context["expected"]] == [visitor_pass.pk]
    assert page.context["inside"] == []
    ingest(pass_event(doors.gate_a, visitor_pass))
    live = client.get(reverse("visitors:guard_live"), HTTP_HX_REQUEST="true")
    assert live.context["expected"] == []
    (visit,) = live.context["inside"]
    assert visit.visitor_pass == visitor_pass
    assert "王访客" in live.content.decode() and "已到达" in live.content.decode()


def test_the_guard_of_another_complex_sees_none_of_it(client_for, guard_b, visitor_pass, doors):
    ingest(pass_event(doors.gate_a, visitor_pass))
    page = client_for(guard_b).get(reverse("visitors:guard"))
    assert (page.context["expected"], page.context["inside"]) == ([], [])


def test_check_in_and_out_over_htmx(client_for, guard, visitor_pass):
    client = client_for(guard)
    response = client.post(reverse("visitors:guard_check_in", args=[visitor_pass.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.context["done"]
    visit = Visit.objects.get()
    response = client.post(reverse("visitors:guard_check_out", args=[visit.pk]), HTTP_HX_REQUEST="true")
    visit.refresh_from_db()
    assert visit.departed_at is not None and response.context["inside"] == []


def test_a_refused_check_in_shows_why(client_for, guard, visitor_pass):
    client = client_for(guard)
    client.post(reverse("visitors:guard_check_in", args=[visitor_pass.pk]), HTTP_HX_REQUEST="true")
    response = client.post(reverse("visitors:guard_check_in", args=[visitor_pass.pk]), HTTP_HX_REQUEST="true")
    assert response.context["errors"] == ["该访客已在小区内。"]
    assert Visit.objects.count() == 1


def test_another_complexs_pass_or_visit_is_not_found(client_for, guard_b, visitor_pass, guard):
    client = client_for(guard_b)
    assert client.post(reverse("visitors:guard_check_in", args=[visitor_pass.pk])).status_code == 404
    assert client.post(reverse("visitors:guard_revoke", args=[visitor_pass.pk])).status_code == 404
    client_for(guard).post(reverse("visitors:guard_check_in", args=[visitor_pass.pk]))
    visit = Visit.objects.get()
    assert client.post(reverse("visitors:guard_check_out", args=[visit.pk])).status_code == 404
    visit.refresh_from_db()
    assert visit.departed_at is None


def test_a_resident_cannot_open_the_guard_page(client_for, resident_user):
    assert client_for(resident_user).get(reverse("visitors:guard")).status_code == 403


def _walk_in_form(tree, **overrides) -> dict:
    data = {"house": str(tree.house_a.area.pk), "visitor_name": "赵师傅", "id_type": "resident_id",
            "id_number": resident_id(serial=88), "phone": "", "plate": "", "purpose": "送货",
            "expected_leave_at": (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "host_confirmed": "on"}
    data.update(overrides)
    return data


def test_the_guard_registers_a_walk_in(client_for, guard, tree):
    response = client_for(guard).post(reverse("visitors:walk_in"), _walk_in_form(tree))
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.kind, visit.area_id, visit.visitor_name) == (VisitKind.WALK_IN, tree.house_a.area.pk, "赵师傅")


def test_a_bad_id_number_is_a_field_error_and_nothing_is_written(client_for, guard, tree):
    response = client_for(guard).post(reverse("visitors:walk_in"), _walk_in_form(tree, id_number="610113198005170011"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["id_number"]
    assert not Visit.objects.exists()


def test_an_unconfirmed_host_is_a_field_error(client_for, guard, tree):
    data = _walk_in_form(tree)
    del data["host_confirmed"]
    response = client_for(guard).post(reverse("visitors:walk_in"), data)
    assert response.context["form"].errors["host_confirmed"] == ["请先与被访住户确认。"]
    assert not Visit.objects.exists()


def test_a_house_outside_the_guards_complex_is_refused(client_for, guard, tree):
    response = client_for(guard).post(reverse("visitors:walk_in"), _walk_in_form(tree, house=str(tree.house_b.area.pk)))
    assert list(response.context["form"].errors) == ["house"]
    assert not Visit.objects.exists()


def test_the_log_filters_and_masks(client_for, guard, tree, visitor_pass, doors):
    client = client_for(guard)
    client.post(reverse("visitors:walk_in"), _walk_in_form(tree))
    ingest(pass_event(doors.gate_a, visitor_pass))
    everything = client.get(reverse("visitors:visit_log"))
    assert len(everything.context["rows"]) == 2
    walk_ins = client.get(reverse("visitors:visit_log"), {"kind": "walk_in"})
    (row,) = walk_ins.context["rows"]
    page = walk_ins.content.decode()
    assert row.visitor_name == "赵师傅" and row.id_number_masked in page
    assert resident_id(serial=88) not in page
    assert [r.visitor_name for r in client.get(reverse("visitors:visit_log"), {"name": "王"}).context["rows"]] == ["王访客"]


def test_the_figures_count_per_complex_and_day(guard, tree, visitor_pass, doors, resident_user):
    now = timezone.now()
    issue(resident_user, tree.house_a.area, [doors.gate_a])
    ingest(pass_event(doors.gate_a, visitor_pass, occurred_at=now - timedelta(minutes=40)))
    ingest(pass_event(doors.gate_a, visitor_pass, direction="out", occurred_at=now - timedelta(minutes=10)))
    today = timezone.localdate()
    (complex_figures,) = visitor_figures(user=guard, day_from=today - timedelta(days=1), day_to=today)
    assert complex_figures.complex == tree.complex_a
    total = complex_figures.total
    assert (total.passes_issued, total.visits, total.walk_ins, total.average_stay_minutes) == (2, 1, 0, 30)
    assert [day.passes_issued for day in complex_figures.days] == [0, 2]


def test_the_figures_page_refuses_a_reversed_range(client_for, guard):
    response = client_for(guard).get(reverse("visitors:figures"), {"day_from": "2025-03-10", "day_to": "2025-03-01"})
    assert response.status_code == 200
    assert "day_to" in response.context["form"].errors


def test_the_live_fragment_costs_the_same_queries_for_one_or_many_visitors(client_for, guard, tree, doors,
                                                                          resident_user, visitor_pass):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(guard)
    ingest(pass_event(doors.gate_a, visitor_pass))
    client.get(reverse("visitors:guard_live"))  # session and grants loaded once, like a page that polls
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("visitors:guard_live"))
    for _ in range(3):
        other = issue(resident_user, tree.house_a.area, [doors.gate_a])
        ingest(pass_event(doors.gate_a, other))
    issue(resident_user, tree.house_a.area, [doors.unit_door_a])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("visitors:guard_live"))
    assert len(response.context["inside"]) == 4 and len(response.context["expected"]) == 1
    assert len(many) == len(one)
