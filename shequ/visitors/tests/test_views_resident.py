"""Resident pages: my passes only, a new pass from the form, QR and share text, revoking; the share link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.visitors.models import PassStatus, VisitorPass
from shequ.visitors.services import pass_revoke
from shequ.visitors.tests.conftest import actor, issue

pytestmark = pytest.mark.django_db


def _form(doors, **overrides) -> dict:
    now = timezone.localtime().replace(second=0, microsecond=0)
    data = {"visitor_name": "陈访客", "phone": "13912345678", "plate": "", "max_entries": "2",
            "valid_from": now.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "doors": [str(door.pk) for door in doors]}
    data.update(overrides)
    return data


def test_the_list_shows_my_households_passes_only(client_for, resident_user, neighbour, tree, doors):
    mine = issue(resident_user, tree.house_a.area, [doors.gate_a], visitor_name="我的客人")
    issue(neighbour, tree.house_a2.area, [doors.gate_a], visitor_name="邻居的客人")
    response = client_for(resident_user).get(reverse("visitors:my_passes"))
    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == [mine.pk]
    assert "邻居的客人" not in response.content.decode()


def test_the_form_offers_only_the_households_doors(client_for, resident_user, doors):
    response = client_for(resident_user).get(reverse("visitors:my_pass_new"))
    offered = set(response.context["form"].fields["doors"].queryset)
    assert offered == {doors.gate_a, doors.unit_door_a}


def test_a_resident_issues_a_pass_from_the_form(client_for, resident_user, tree, doors):
    response = client_for(resident_user).post(reverse("visitors:my_pass_new"), _form([doors.gate_a, doors.unit_door_a]))
    assert response.status_code == 302, response.context["form"].errors
    visitor_pass = VisitorPass.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("visitors:my_pass_detail", args=[visitor_pass.pk])
    assert (visitor_pass.area_id, visitor_pass.visitor_name, visitor_pass.issued_by) == (
        tree.house_a.area.pk, "陈访客", resident_user)
    assert set(visitor_pass.doors.all()) == {doors.gate_a, doors.unit_door_a}


def _refused(client, doors, **overrides):
    response = client.post(reverse("visitors:my_pass_new"), _form(doors, **overrides))
    assert response.status_code == 200
    assert not VisitorPass.objects.exists()
    return response.context["form"].errors


def test_a_window_ending_before_it_starts_is_a_field_error(client_for, resident_user, doors):
    now = timezone.localtime()
    errors = _refused(client_for(resident_user), [doors.gate_a],
                      valid_until=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    assert errors["valid_until"] == ["结束时间必须晚于开始时间。"]


def test_too_many_entries_is_a_field_error(client_for, resident_user, doors):
    errors = _refused(client_for(resident_user), [doors.gate_a], max_entries="50")
    assert errors["max_entries"] == ["可通行次数应为1至20次。"]


def test_a_bad_phone_is_a_field_error(client_for, resident_user, doors):
    errors = _refused(client_for(resident_user), [doors.gate_a], phone="12345")
    assert list(errors) == ["phone"]


def test_a_bad_plate_is_a_field_error(client_for, resident_user, doors):
    errors = _refused(client_for(resident_user), [doors.gate_a], plate="AB-1")
    assert list(errors) == ["plate"]


def test_a_door_of_another_complex_is_a_field_error(client_for, resident_user, doors):
    errors = _refused(client_for(resident_user), [doors.gate_a, doors.gate_b])
    assert list(errors) == ["doors"]


def test_the_detail_shows_the_qr_code_share_link_and_text(client_for, resident_user, visitor_pass):
    response = client_for(resident_user).get(reverse("visitors:my_pass_detail", args=[visitor_pass.pk]))
    page = response.content.decode()
    assert '<svg viewBox="' in page and 'class="pass-qr"' in page
    share_url = "http://testserver" + reverse("visitors:pass_share", args=[visitor_pass.share_key])
    assert response.context["share_url"] == share_url
    assert share_url in response.context["share_text"] and "王访客" in response.context["share_text"]
    assert "139****5678" in page and "13912345678" not in page


@pytest.mark.parametrize("who", ["neighbour", "resident_b"])
def test_another_households_pass_is_not_found(client_for, visitor_pass, request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("visitors:my_pass_detail", args=[visitor_pass.pk])).status_code == 404
    assert client.post(reverse("visitors:my_pass_revoke", args=[visitor_pass.pk])).status_code == 404
    visitor_pass.refresh_from_db()
    assert visitor_pass.status == PassStatus.ISSUED


def test_a_resident_revokes_their_pass(client_for, resident_user, visitor_pass):
    response = client_for(resident_user).post(reverse("visitors:my_pass_revoke", args=[visitor_pass.pk]))
    assert response.status_code == 302
    visitor_pass.refresh_from_db()
    assert visitor_pass.status == PassStatus.REVOKED


def test_staff_without_the_capability_get_403(client_for, worker):
    assert client_for(worker).get(reverse("visitors:my_passes")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("visitors:my_passes"))
    assert response.status_code == 302 and "login" in response.url


def test_the_share_link_shows_the_qr_code_without_login(client, visitor_pass):
    response = client.get(reverse("visitors:pass_share", args=[visitor_pass.share_key]))
    page = response.content.decode()
    assert response.status_code == 200 and 'class="pass-qr"' in page and "王访客" in page
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert "13912345678" not in page and "139****5678" not in page


def test_the_share_link_of_a_revoked_pass_says_revoked(client, visitor_pass, resident_user):
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    page = client.get(reverse("visitors:pass_share", args=[visitor_pass.share_key])).content.decode()
    assert "已撤销" in page and 'class="pass-qr"' not in page


def test_an_unknown_share_key_is_not_found(client, visitor_pass):
    assert client.get(reverse("visitors:pass_share", args=["x" * 32])).status_code == 404


def test_a_pass_past_its_end_shows_expired_before_the_tick_runs(client_for, resident_user, tree, doors):
    now = timezone.now()
    issue(resident_user, tree.house_a.area, [doors.gate_a], now=now - timedelta(hours=5),
          valid_from=now - timedelta(hours=6), valid_until=now - timedelta(hours=1))
    page = client_for(resident_user).get(reverse("visitors:my_passes")).content.decode()
    assert "已过期" in page and "pass-status-expired" in page
