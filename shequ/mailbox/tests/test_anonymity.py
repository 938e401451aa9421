"""An anonymous letter hides its sender (name, phone, house, even the house number
in the address) from every page, API answer and export the police get; only the
police chief may reveal it, by an explicit, audited action that shows it once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.mailbox import services
from shequ.mailbox.tests.conftest import (
    BUILDING, HOUSE_NUMBER, SENDER_NAME, SENDER_PHONE, SENDER_PHONE_MASKED, SENDER_USERNAME,
)

pytestmark = pytest.mark.django_db

#: what would tell who wrote: name, phone (clear or masked), house number, building, account
SENDER_MARKS = (SENDER_NAME, SENDER_PHONE, SENDER_PHONE_MASKED, HOUSE_NUMBER, BUILDING, SENDER_USERNAME)


def assert_no_sender(text: str) -> None:
    leaked = [mark for mark in SENDER_MARKS if mark in text]
    assert not leaked, f"the sender leaked: {leaked}"


@pytest.fixture
def followed_up(anonymous_letter, sender, police):
    """An anonymous letter with a police reply and the sender's follow-up in its thread."""
    services.letter_reply(actor=Actor(user=police), letter=anonymous_letter, body="收到，我们会加强巡逻。")
    services.letter_follow_up(actor=Actor(user=sender), letter=anonymous_letter, body="昨晚又看到了。")
    return anonymous_letter


def test_the_inbox_does_not_show_the_anonymous_sender(followed_up, police, client_for):
    page = client_for(police).get(reverse("mailbox:inbox")).content.decode()
    assert followed_up.subject in page and "匿名来信人" in page
    assert_no_sender(page)


def test_the_htmx_inbox_fragment_does_not_show_the_sender(followed_up, police, client_for):
    page = client_for(police).get(reverse("mailbox:inbox"), HTTP_HX_REQUEST="true").content.decode()
    assert followed_up.subject in page
    assert_no_sender(page)


def test_the_letter_page_does_not_show_the_sender(followed_up, police, client_for):
    page = client_for(police).get(reverse("mailbox:letter_detail", args=[followed_up.pk])).content.decode()
    assert followed_up.body in page and "昨晚又看到了。" in page and "长庆坊" in page
    assert_no_sender(page)


def test_the_letter_page_shows_a_named_sender_with_a_masked_phone(letter, police, client_for):
    page = client_for(police).get(reverse("mailbox:letter_detail", args=[letter.pk])).content.decode()
    assert SENDER_NAME in page and SENDER_PHONE_MASKED in page and HOUSE_NUMBER in page
    assert SENDER_PHONE not in page


def test_the_overdue_list_and_the_export_do_not_show_the_sender(followed_up, police, client_for):
    from shequ.mailbox.models import Letter

    Letter.objects.filter(pk=followed_up.pk).update(first_replied_at=None)  # unanswered and long past due
    client = client_for(police)
    overdue = client.get(reverse("mailbox:overdue")).content.decode()
    export = client.get(reverse("mailbox:inbox_export")).content.decode("utf-8-sig")
    assert followed_up.subject in overdue and followed_up.subject in export
    assert_no_sender(overdue)
    assert_no_sender(export)


def test_the_export_keeps_a_named_sender_masked(letter, police, client_for):
    export = client_for(police).get(reverse("mailbox:inbox_export")).content.decode("utf-8-sig")
    assert SENDER_NAME in export and SENDER_PHONE_MASKED in export and SENDER_PHONE not in export
    assert AuditRecord.objects.get(action="mailbox.exported").actor_id == police.pk


def test_the_reminders_and_figures_do_not_show_the_sender(followed_up, police, client_for):
    from shequ.mailbox.models import Letter
    from shequ.mailbox.services import mailbox_remind_due
    from shequ.mailbox.tests.conftest import at

    Letter.objects.filter(pk=followed_up.pk).update(first_replied_at=None)
    mailbox_remind_due(at(2026, 11, 25, 9))
    client = client_for(police)
    inbox = client.get(reverse("mailbox:inbox")).content.decode()
    figures = client.get(reverse("mailbox:stats"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    assert "答复提醒" in inbox
    assert_no_sender(inbox)
    assert_no_sender(figures.content.decode())


@pytest.mark.urls("shequ.mailbox.tests.urls")
def test_the_api_does_not_show_the_sender(followed_up, police, client_for):
    client = client_for(police)
    listing = client.get("/api/test/mailbox/letters")
    detail = client.get(f"/api/test/mailbox/letters/{followed_up.pk}")
    assert listing.status_code == 200 and detail.status_code == 200
    assert detail.json()["sender"] == "匿名来信人" and detail.json()["sender_phone_masked"] == ""
    assert len(detail.json()["messages"]) == 2
    assert_no_sender(listing.content.decode("unicode_escape") + listing.content.decode())
    assert_no_sender(detail.content.decode("unicode_escape") + detail.content.decode())


def test_the_writer_still_sees_their_own_anonymous_letter(followed_up, sender, client_for):
    page = client_for(sender).get(reverse("mailbox:my_letter", args=[followed_up.pk])).content.decode()
    assert followed_up.body in page and HOUSE_NUMBER in page and "匿名" in page


# --- the reveal ----------------------------------------------------------------------------------------------

def _reveal(client, letter, reason="涉嫌刑事案件，需要联系线索提供人"):
    return client.post(reverse("mailbox:letter_reveal", args=[letter.pk]), {"reason": reason})


def test_the_reveal_button_shows_only_for_the_police_chief(anonymous_letter, police, chief, client_for):
    url = reverse("mailbox:letter_detail", args=[anonymous_letter.pk])
    assert "查看匿名来信人" in client_for(chief).get(url).content.decode()
    assert "查看匿名来信人" not in client_for(police).get(url).content.decode()


def test_the_police_chief_sees_the_sender_once_and_it_is_audited(anonymous_letter, chief, client_for, tree):
    client = client_for(chief)
    assert_no_sender(client.get(reverse("mailbox:letter_detail", args=[anonymous_letter.pk])).content.decode())
    response = _reveal(client, anonymous_letter)
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert SENDER_NAME in page and SENDER_PHONE in page and HOUSE_NUMBER in page
    record = AuditRecord.objects.get(action="mailbox.reveal_sender")
    assert (record.actor_id, record.object_id) == (chief.pk, str(anonymous_letter.pk))
    assert record.detail["reason"] == "涉嫌刑事案件，需要联系线索提供人"
    assert record.area_path == tree.complex_a.path  # the log itself does not point at the house
    # shown once: the letter page hides the sender again
    assert_no_sender(client.get(reverse("mailbox:letter_detail", args=[anonymous_letter.pk])).content.decode())


def test_each_reveal_is_audited(anonymous_letter, chief, client_for):
    client = client_for(chief)
    _reveal(client, anonymous_letter)
    _reveal(client, anonymous_letter)
    assert AuditRecord.objects.filter(action="mailbox.reveal_sender").count() == 2


def test_a_reveal_needs_a_reason(anonymous_letter, chief, client_for):
    response = _reveal(client_for(chief), anonymous_letter, reason="")
    assert response.status_code == 422 and "查看理由" in response.content.decode()
    assert SENDER_NAME not in response.content.decode()
    assert not AuditRecord.objects.filter(action="mailbox.reveal_sender").exists()


def test_a_police_officer_without_the_role_cannot_reveal(anonymous_letter, police, client_for):
    response = _reveal(client_for(police), anonymous_letter)
    assert response.status_code == 403
    assert_no_sender(response.content.decode())
    assert not AuditRecord.objects.filter(action="mailbox.reveal_sender").exists()


def test_a_police_chief_of_another_community_gets_404(anonymous_letter, tree, client_for):
    from conftest import make_user

    other_chief = make_user("chief_b", "police_chief", tree.community_b)
    assert _reveal(client_for(other_chief), anonymous_letter).status_code == 404
    assert not AuditRecord.objects.filter(action="mailbox.reveal_sender").exists()


def test_the_reveal_service_refuses_a_named_letter(letter, chief):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.letter_reveal_sender(actor=Actor(user=chief), letter=letter, reason="核实")
    assert not AuditRecord.objects.filter(action="mailbox.reveal_sender").exists()


def test_the_audit_log_of_the_police_steps_does_not_point_at_the_house(followed_up, tree):
    records = AuditRecord.objects.filter(action__startswith="mailbox.")
    assert records.count() == 3  # written, replied, followed up
    assert {record.area_path for record in records} == {tree.complex_a.path}
    follow_up = records.get(action="mailbox.followed_up")
    assert follow_up.object_id == ""  # a step by the sender names no letter
