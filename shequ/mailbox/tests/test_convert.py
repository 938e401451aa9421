"""A letter becomes a case keeping the link both ways; an anonymous letter's case
knows nothing of its sender."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.cases.models import Case, CaseEvent, Category, Channel, RequestType
from shequ.mailbox import services
from shequ.mailbox.tests.conftest import SENDER_NAME, SENDER_PHONE_MASKED, png_upload
from shequ.mailbox.tests.test_anonymity import assert_no_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db) -> Category:
    return Category.objects.get(code="garbage")


def _convert(letter, user, category, **extra) -> Case:
    return services.letter_convert_to_case(actor=Actor(user=user), letter=letter, category=category, **extra)


def test_a_letter_becomes_a_case_linked_both_ways(write, police, category, person_a, tree):
    letter = write(images=[png_upload("a.png")])
    case = _convert(letter, police, category, title="楼道灯损坏")
    letter.refresh_from_db()
    assert letter.case == case and list(case.mailbox_letters.all()) == [letter]
    assert (case.channel, case.external_ref, case.request_type) == (Channel.MAILBOX, str(letter.pk),
                                                                    RequestType.CONSULTATION)
    assert (case.title, case.description, case.area_id) == ("楼道灯损坏", letter.body, tree.house_a.area.pk)
    assert (case.reporter_id, case.reporter_name, case.reporter_phone_masked) == (person_a.pk, SENDER_NAME,
                                                                                  SENDER_PHONE_MASKED)
    assert case.photos.count() == 1
    assert AuditRecord.objects.get(action="mailbox.converted").detail["case"] == case.number


def test_an_anonymous_letter_becomes_a_case_without_its_sender(anonymous_letter, police, category, tree,
                                                               client_for):
    case = _convert(anonymous_letter, police, category)
    assert (case.area_id, case.complex_id) == (tree.complex_a.pk, tree.complex_a.pk)
    assert (case.reporter_id, case.reporter_user_id, case.reporter_name, case.reporter_phone_cipher) == (
        None, None, "", "")
    assert case.request_type == RequestType.REPORT
    events = " ".join(f"{event.note} {event.detail}" for event in CaseEvent.objects.filter(case=case))
    assert_no_sender(events)
    assert_no_sender(str(AuditRecord.objects.get(action="case.created").detail))
    assert_no_sender(client_for(police).get(reverse("cases:case_detail", args=[case.pk])).content.decode())


def test_a_letter_becomes_a_case_once(letter, police, category):
    case = _convert(letter, police, category)
    with pytest.raises(ValidationError) as caught:
        _convert(letter, police, category)
    assert case.number in str(caught.value)
    assert Case.objects.count() == 1


def test_police_of_another_community_cannot_convert(letter, police_b, category):
    with pytest.raises(PermissionDenied):
        _convert(letter, police_b, category)
    assert not Case.objects.exists()


def test_the_police_convert_from_the_letter_page(letter, police, category, client_for):
    client = client_for(police)
    response = client.post(reverse("mailbox:letter_act", args=[letter.pk, "convert"]),
                           {"category": category.pk, "title": "", "urgency": "normal"})
    case = Case.objects.get()
    assert response["Location"] == reverse("mailbox:letter_detail", args=[letter.pk])
    assert case.title == letter.subject
    page = client.get(reverse("mailbox:letter_detail", args=[letter.pk])).content.decode()
    assert case.number in page and reverse("cases:case_detail", args=[case.pk]) in page
    assert 'action="/mailbox/letters/%d/steps/convert/"' % letter.pk not in page  # not offered twice


def test_the_writer_sees_the_case_number(letter, police, category, sender, client_for):
    case = _convert(letter, police, category)
    page = client_for(sender).get(reverse("mailbox:my_letter", args=[letter.pk])).content.decode()
    assert case.number in page
