"""The thread: the police reply, the writer follows up, either side closes, and
only the writer rates, once, after a reply."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.mailbox import services
from shequ.mailbox.models import LetterMessage, Side, Status
from shequ.mailbox.tests.conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _reply(letter, police, body="已转物业，明天修好。", when=None):
    return services.letter_reply(actor=Actor(user=police), letter=letter, body=body, at=when or at(2026, 11, 24, 9))


def test_the_first_reply_stops_the_clock(letter, police):
    message = _reply(letter, police)
    letter.refresh_from_db()
    assert (message.side, message.author_id) == (Side.POLICE, police.pk)
    assert letter.status == Status.REPLIED and letter.first_replied_at == at(2026, 11, 24, 9)
    _reply(letter, police, "补充：物业已派人。", at(2026, 11, 25, 9))
    letter.refresh_from_db()
    assert letter.first_replied_at == at(2026, 11, 24, 9)  # the deadline was met by the first one


def test_a_reply_needs_text(letter, police):
    with pytest.raises(ValidationError) as caught:
        _reply(letter, police, body="   ")
    assert "body" in caught.value.error_dict and not LetterMessage.objects.exists()


def test_police_of_another_community_cannot_reply_through_the_service(letter, police_b):
    with pytest.raises(PermissionDenied):
        _reply(letter, police_b)
    assert not LetterMessage.objects.exists()


def test_a_follow_up_makes_the_letter_unread_again(letter, police, sender):
    _reply(letter, police)
    services.letter_follow_up(actor=Actor(user=sender), letter=letter, body="灯还是不亮。")
    letter.refresh_from_db()
    assert letter.status == Status.NEW and letter.messages.last().side == Side.RESIDENT


def test_only_the_writer_follows_up(letter, housemate):
    with pytest.raises(PermissionDenied):
        services.letter_follow_up(actor=Actor(user=housemate), letter=letter, body="我也说一句")
    assert not LetterMessage.objects.exists()


def test_a_closed_letter_takes_no_more_messages(letter, police, sender):
    services.letter_close(actor=Actor(user=police), letter=letter, note="已电话答复。")
    with pytest.raises(ValidationError):
        services.letter_follow_up(actor=Actor(user=sender), letter=letter, body="还有问题")
    with pytest.raises(ValidationError):
        _reply(letter, police)
    assert list(letter.messages.values_list("body", flat=True)) == ["已电话答复。"]


def test_the_writer_may_close_their_letter(letter, sender):
    services.letter_close(actor=Actor(user=sender), letter=letter)
    letter.refresh_from_db()
    assert letter.status == Status.CLOSED and letter.closed_at is not None


# --- rating -----------------------------------------------------------------------------------------------------

def test_rating_before_a_reply_is_refused(letter, sender):
    with pytest.raises(ValidationError) as caught:
        services.letter_rate(actor=Actor(user=sender), letter=letter, rating=5)
    assert caught.value.error_dict["rating"][0].code == "rate_before_reply"
    letter.refresh_from_db()
    assert letter.rating is None


def test_the_writer_rates_after_a_reply(letter, police, sender):
    _reply(letter, police)
    services.letter_rate(actor=Actor(user=sender), letter=letter, rating=4, comment="答复及时")
    letter.refresh_from_db()
    assert (letter.rating, letter.rating_comment) == (4, "答复及时")
    assert AuditRecord.objects.get(action="mailbox.rated").detail["rating"] == 4


@pytest.mark.parametrize("who", ["police", "housemate", "chief"])
def test_only_the_writer_rates(letter, police, who, request):
    _reply(letter, police)
    with pytest.raises(PermissionDenied):
        services.letter_rate(actor=Actor(user=request.getfixturevalue(who)), letter=letter, rating=1)
    letter.refresh_from_db()
    assert letter.rating is None


def test_a_letter_is_rated_once(letter, police, sender):
    _reply(letter, police)
    services.letter_rate(actor=Actor(user=sender), letter=letter, rating=5)
    with pytest.raises(ValidationError):
        services.letter_rate(actor=Actor(user=sender), letter=letter, rating=1)
    letter.refresh_from_db()
    assert letter.rating == 5


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_rating_is_1_to_5(letter, police, sender, rating):
    _reply(letter, police)
    with pytest.raises(ValidationError):
        services.letter_rate(actor=Actor(user=sender), letter=letter, rating=rating)


# --- the pages ------------------------------------------------------------------------------------------------

def test_the_resident_page_offers_the_rating_form_only_after_a_reply(letter, police, sender, client_for):
    client = client_for(sender)
    url = reverse("mailbox:my_letter", args=[letter.pk])
    assert 'name="rating"' not in client.get(url).content.decode()
    _reply(letter, police)
    page = client.get(url).content.decode()
    assert 'name="rating"' in page and "已转物业，明天修好。" in page


def test_a_rating_posted_before_a_reply_shows_the_refusal(letter, sender, client_for):
    response = client_for(sender).post(reverse("mailbox:my_letter_act", args=[letter.pk, "rate"]), {"rating": 5},
                                       HTTP_HX_REQUEST="true")
    assert "民警答复后才能评价。" in response.content.decode()
    letter.refresh_from_db()
    assert letter.rating is None


def test_the_resident_follows_up_from_the_page(letter, sender, client_for):
    response = client_for(sender).post(reverse("mailbox:my_letter_act", args=[letter.pk, "message"]),
                                       {"body": "补充一张照片说明"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "补充一张照片说明" in response.content.decode()
    assert letter.messages.get().author_id == sender.pk


def test_the_police_reply_from_the_page(letter, police, client_for):
    response = client_for(police).post(reverse("mailbox:letter_act", args=[letter.pk, "reply"]),
                                       {"body": "您好，楼道灯由物业负责。"})
    assert response["Location"] == reverse("mailbox:letter_detail", args=[letter.pk])
    letter.refresh_from_db()
    assert letter.status == Status.REPLIED and letter.messages.get().author_id == police.pk


def test_the_police_close_from_the_page_with_htmx(letter, police, client_for):
    response = client_for(police).post(reverse("mailbox:letter_act", args=[letter.pk, "close"]), {"note": "已办结"},
                                       HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="letter-main"' in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == Status.CLOSED


def test_an_unknown_step_is_404(letter, police, client_for):
    assert client_for(police).post(reverse("mailbox:letter_act", args=[letter.pk, "delete"])).status_code == 404


def test_a_letter_written_monday_is_listed_with_its_time(letter, sender, client_for):
    page = client_for(sender).get(reverse("mailbox:my_letters")).content.decode()
    assert letter.subject in page and MONDAY.strftime("%Y-%m-%d") in page
