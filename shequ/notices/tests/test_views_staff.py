"""Staff pages: the list, the editor with templates, approvals, the detail with read
counts per building, the staff board, templates; outsiders get 404 and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.notices import services
from shequ.notices.models import Notice, NoticeTemplate, Status

pytestmark = pytest.mark.django_db


def form_data(tree, **overrides) -> dict:
    data = {
        "area": tree.community_a.pk, "title": "停水通知", "body": "明天停水。", "category": "utilities",
        "audience_areas": [tree.complex_a.pk], "channels": ["residents", "terminals"],
        "expires_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "action": "submit",
    }
    data.update(overrides)
    return data


def test_the_editor_offers_my_areas_and_not_others(worker, client_for, tree):
    page = client_for(worker).get(reverse("notices:notice_create")).content.decode()
    assert f'<option value="{tree.community_a.pk}">' in page
    assert f'name="audience_areas" value="{tree.building_a.pk}"' in page
    assert f'<option value="{tree.community_b.pk}">' not in page
    assert f'name="audience_areas" value="{tree.complex_b.pk}"' not in page


def test_the_worker_drafts_and_submits_from_the_editor(worker, client_for, tree):
    response = client_for(worker).post(reverse("notices:notice_create"), form_data(tree))
    notice = Notice.objects.get()
    assert response["Location"] == reverse("notices:notice_detail", args=[notice.pk])
    assert (notice.status, notice.to_terminals, notice.author_id) == (Status.SUBMITTED, True, worker.pk)


def test_the_editor_shows_service_errors_on_their_fields_and_saves_nothing(worker, client_for, tree):
    response = client_for(worker).post(reverse("notices:notice_create"), form_data(
        tree, body="{小区}{foo}停水", audience_areas=[], expires_at="2000-01-01T00:00"))
    page = response.content.decode()
    assert response.status_code == 200 and not Notice.objects.exists()
    assert "未知的占位符：{foo}" in page and "请至少选择一个发布范围" in page and "有效期必须晚于发布时间" in page


def test_a_forged_audience_from_another_community_is_not_a_valid_choice(worker, client_for, tree):
    response = client_for(worker).post(reverse("notices:notice_create"),
                                       form_data(tree, audience_areas=[tree.complex_b.pk]))
    assert response.status_code == 200 and not Notice.objects.exists()


def test_the_template_picker_fills_the_editor(worker, client_for, tree):
    template = services.notice_template_create(actor=Actor(user=worker), area=tree.community_a, name="停水模板",
                                               title="{community}停水通知", body="{date}起停水。",
                                               category="utilities")
    page = client_for(worker).get(reverse("notices:notice_create"), {"template": template.pk}).content.decode()
    assert 'value="{community}停水通知"' in page and "{date}起停水。" in page


def test_the_approver_sees_it_in_the_queue_and_the_author_does_not(draft, worker, approver, client_for):
    notice = draft()
    services.notice_submit(actor=Actor(user=worker), notice=notice)
    url = reverse("notices:approval_queue")
    assert f'data-notice="{notice.pk}"' in client_for(approver).get(url).content.decode()
    assert f'data-notice="{notice.pk}"' not in client_for(worker).get(url).content.decode()


def test_approve_and_publish_from_the_detail_page(draft, worker, approver, client_for):
    notice = draft()
    services.notice_submit(actor=Actor(user=worker), notice=notice)
    client = client_for(approver)
    page = client.get(reverse("notices:notice_detail", args=[notice.pk])).content.decode()
    assert 'id="step-approve_publish"' in page
    client.post(reverse("notices:notice_act", args=[notice.pk, "approve_publish"]))
    notice.refresh_from_db()
    assert (notice.status, notice.approved_by_id) == (Status.PUBLISHED, approver.pk)


def test_the_author_is_not_offered_approval_and_a_forged_post_is_refused(draft, worker, client_for):
    notice = draft()
    services.notice_submit(actor=Actor(user=worker), notice=notice)
    client = client_for(worker)
    assert 'id="step-approve' not in client.get(reverse("notices:notice_detail", args=[notice.pk])).content.decode()
    assert client.post(reverse("notices:notice_act", args=[notice.pk, "approve"])).status_code == 403
    notice.refresh_from_db()
    assert notice.status == Status.SUBMITTED


def test_the_detail_shows_reads_per_building_and_the_unread_households(published, worker, resident_user, client_for,
                                                                        tree):
    notice = published()
    services.notice_read(actor=Actor(user=resident_user), notice=notice)
    page = client_for(worker).get(reverse("notices:notice_detail", args=[notice.pk])).content.decode()
    assert f'<tr data-building="{tree.building_a.pk}">' in page
    assert '<td data-col="read">1</td><td data-col="recipients">2</td>' in page
    assert f'data-house="{tree.house_a2.pk}"' in page and f'data-house="{tree.house_a.pk}"' not in page


def test_staff_of_another_community_get_404_and_change_nothing(published, outsider, client_for):
    notice = published()
    client = client_for(outsider)
    assert client.get(reverse("notices:notice_detail", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notices:notice_act", args=[notice.pk, "withdraw"])).status_code == 404
    notice.refresh_from_db()
    assert notice.status == Status.PUBLISHED


def test_the_list_filters_by_status(draft, published, worker, client_for):
    waiting, out = draft(title="草稿一则"), published(title="已发一则")
    page = client_for(worker).get(reverse("notices:notice_list"), {"status": "published"}).content.decode()
    assert f'data-notice="{out.pk}"' in page and f'data-notice="{waiting.pk}"' not in page


def test_residents_cannot_open_the_staff_pages(resident_user, client_for):
    assert client_for(resident_user).get(reverse("notices:notice_list")).status_code == 403


def test_the_staff_board_shows_staff_notices_to_staff_of_the_audience(published, guard, outsider, client_for):
    notice = published(channels=["staff"], title="消防检查安排")
    assert f'data-notice="{notice.pk}"' in client_for(guard).get(reverse("notices:staff_board")).content.decode()
    assert f'data-notice="{notice.pk}"' not in client_for(outsider).get(reverse("notices:staff_board")).content.decode()


def test_templates_are_created_listed_and_deleted(worker, client_for, tree):
    client = client_for(worker)
    response = client.post(reverse("notices:template_create"), {
        "name": "电梯检修", "area": tree.community_a.pk, "category": "notice", "title": "{complex}电梯检修",
        "body": "{date}电梯检修。"})
    template = NoticeTemplate.objects.get()
    assert response["Location"] == reverse("notices:template_list")
    assert "电梯检修" in client.get(reverse("notices:template_list")).content.decode()
    client.post(reverse("notices:template_delete", args=[template.pk]))
    assert not NoticeTemplate.objects.exists()


def test_a_template_with_an_unknown_placeholder_is_refused(worker, client_for, tree):
    response = client_for(worker).post(reverse("notices:template_create"), {
        "name": "坏模板", "area": tree.community_a.pk, "category": "notice", "title": "通知", "body": "{小区名}{xiaoqu}"})
    assert "未知的占位符：{xiaoqu}" in response.content.decode() and not NoticeTemplate.objects.exists()


def test_another_communitys_template_is_404(worker, outsider, client_for, tree):
    template = services.notice_template_create(actor=Actor(user=outsider), area=tree.community_b, name="B模板",
                                               title="通知", body="正文")
    assert client_for(worker).get(reverse("notices:template_edit", args=[template.pk])).status_code == 404
    assert client_for(worker).post(reverse("notices:template_delete", args=[template.pk])).status_code == 404
    assert NoticeTemplate.objects.filter(pk=template.pk).exists()


def test_a_street_template_is_offered_to_the_community_but_not_editable(street_cadre, worker, client_for, tree):
    template = services.notice_template_create(actor=Actor(user=street_cadre), area=tree.street, name="街道模板",
                                               title="通知", body="正文")
    page = client_for(worker).get(reverse("notices:template_list")).content.decode()
    assert f'data-template="{template.pk}"' in page
    assert reverse("notices:template_edit", args=[template.pk]) not in page
