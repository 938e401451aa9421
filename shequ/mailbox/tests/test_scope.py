"""Who sees which letter: the writer only (not their household, not the neighbours),
and the police of the letter's community; everyone else gets 404 and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.mailbox.models import Letter, LetterMessage, Status
from shequ.mailbox.tests.conftest import png_upload

pytestmark = pytest.mark.django_db


def test_a_resident_lists_only_their_own_letters(letter, write, neighbour, client_for):
    from shequ.accounts.audit import Actor
    from shequ.mailbox import services
    from shequ.mailbox.models import Kind

    services.letter_write(actor=Actor(user=neighbour), kind=Kind.SUGGESTION, subject="邻居的建议", body="多装路灯")
    page = client_for(neighbour).get(reverse("mailbox:my_letters")).content.decode()
    assert "邻居的建议" in page and letter.subject not in page


@pytest.mark.parametrize("who", ["neighbour", "housemate", "resident_b"])
def test_another_resident_gets_404_on_the_letter(letter, who, request, client_for):
    other = request.getfixturevalue(who)
    assert client_for(other).get(reverse("mailbox:my_letter", args=[letter.pk])).status_code == 404


def test_another_resident_cannot_post_to_the_thread(letter, neighbour, client_for):
    response = client_for(neighbour).post(reverse("mailbox:my_letter_act", args=[letter.pk, "message"]),
                                          {"body": "我来插一句"})
    assert response.status_code == 404
    assert not LetterMessage.objects.exists()
    letter.refresh_from_db()
    assert letter.status == Status.NEW


def test_another_resident_cannot_rate_or_close(letter, neighbour, client_for):
    client = client_for(neighbour)
    assert client.post(reverse("mailbox:my_letter_act", args=[letter.pk, "close"]), {}).status_code == 404
    assert client.post(reverse("mailbox:my_letter_act", args=[letter.pk, "rate"]), {"rating": 1}).status_code == 404
    letter.refresh_from_db()
    assert letter.status == Status.NEW and letter.rating is None


def test_a_resident_cannot_open_the_police_page_of_their_letter(letter, sender, client_for):
    assert client_for(sender).get(reverse("mailbox:letter_detail", args=[letter.pk])).status_code == 404


def test_another_resident_cannot_see_the_images(write, neighbour, sender, client_for):
    letter = write(images=[png_upload()])
    image = letter.images.get()
    assert client_for(neighbour).get(reverse("mailbox:image", args=[image.pk])).status_code == 404
    assert client_for(sender).get(reverse("mailbox:image", args=[image.pk])).status_code == 200


def test_police_of_the_community_see_the_letter(letter, police, client_for):
    client = client_for(police)
    assert client.get(reverse("mailbox:letter_detail", args=[letter.pk])).status_code == 200
    assert letter.subject in client.get(reverse("mailbox:inbox")).content.decode()


def test_police_of_another_community_get_404_and_an_empty_inbox(letter, police_b, client_for):
    client = client_for(police_b)
    assert client.get(reverse("mailbox:letter_detail", args=[letter.pk])).status_code == 404
    assert letter.subject not in client.get(reverse("mailbox:inbox")).content.decode()


def test_police_of_another_community_cannot_reply_close_or_convert(letter, police_b, client_for):
    client = client_for(police_b)
    for step, data in (("reply", {"body": "答复"}), ("close", {}), ("convert", {"category": 1})):
        assert client.post(reverse("mailbox:letter_act", args=[letter.pk, step]), data).status_code == 404
    letter.refresh_from_db()
    assert (letter.status, letter.case_id) == (Status.NEW, None) and not LetterMessage.objects.exists()


def test_police_of_another_community_cannot_see_the_images(write, police_b, police, client_for):
    image = write(images=[png_upload()]).images.get()
    assert client_for(police_b).get(reverse("mailbox:image", args=[image.pk])).status_code == 404
    assert client_for(police).get(reverse("mailbox:image", args=[image.pk])).status_code == 200


def test_community_staff_without_the_mailbox_role_see_no_inbox(letter, worker, client_for):
    client = client_for(worker)
    assert client.get(reverse("mailbox:inbox")).status_code == 403
    assert client.get(reverse("mailbox:letter_detail", args=[letter.pk])).status_code == 404


def test_opening_an_unread_letter_marks_it_read(letter, police, client_for):
    client_for(police).get(reverse("mailbox:letter_detail", args=[letter.pk]))
    letter.refresh_from_db()
    assert letter.status == Status.READ and letter.read_at is not None


def test_the_index_sends_each_to_their_page(sender, police, client_for):
    assert client_for(sender).get(reverse("mailbox:index"))["Location"] == reverse("mailbox:my_letters")
    assert client_for(police).get(reverse("mailbox:index"))["Location"] == reverse("mailbox:inbox")


def test_letters_are_scoped_through_the_queryset(letter, police, police_b):
    from shequ.accounts.roles import Capability

    assert list(Letter.objects.visible_to(police, Capability.MAILBOX_HANDLE)) == [letter]
    assert not Letter.objects.visible_to(police_b, Capability.MAILBOX_HANDLE).exists()
