"""Reply deadlines on working days (the cases app's calendar), reminders at the
right times, and the overdue list."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.mailbox import services
from shequ.mailbox.deadlines import reply_deadline
from shequ.mailbox.models import Kind, LetterReminder, ReminderKind
from shequ.mailbox.tests.conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def test_a_consultation_is_due_in_three_working_days(write):
    assert write(kind=Kind.CONSULTATION, at=MONDAY).reply_due_at == at(2026, 11, 26, 18)


def test_the_weekend_does_not_count(write):
    # Thursday 26 Nov: Fri, (Sat, Sun), Mon, Tue
    assert write(kind=Kind.COMPLAINT, at=at(2026, 11, 26, 15)).reply_due_at == at(2026, 12, 1, 18)


def test_public_holidays_do_not_count_and_a_worked_saturday_does():
    # clue on Wed 30 Sep 2026: 1–7 Oct is National Day, Thu 8 Oct the next working day
    assert reply_deadline(Kind.CLUE, at(2026, 9, 30, 11)) == at(2026, 10, 8, 18)
    # clue on Fri 13 Feb 2026: Sat 14 Feb is a 调休 working day
    assert reply_deadline(Kind.CLUE, at(2026, 2, 13, 11)) == at(2026, 2, 14, 18)


def test_the_deadlines_come_from_the_setting(settings):
    settings.SHEQU_MAILBOX_REPLY_DEADLINES = {Kind.CLUE: (2, "hours", 1)}
    assert reply_deadline(Kind.CLUE, MONDAY) == at(2026, 11, 23, 12)
    assert reply_deadline(Kind.CONSULTATION, MONDAY) == at(2026, 11, 26, 18)  # the others keep the default


# --- reminders ------------------------------------------------------------------------------------------------

def test_no_reminder_before_the_warning_time(letter):
    # due Thu 26 Nov 18:00, warned 24 hours before
    assert services.mailbox_remind_due(at(2026, 11, 25, 17, 59)) == []


def test_a_reminder_when_the_deadline_is_near_and_another_when_it_is_past(letter):
    soon = services.mailbox_remind_due(at(2026, 11, 25, 18, 0))
    assert [(r.letter_id, r.kind) for r in soon] == [(letter.pk, ReminderKind.DUE_SOON)]
    assert services.mailbox_remind_due(at(2026, 11, 26, 12)) == []  # once per kind
    late = services.mailbox_remind_due(at(2026, 11, 26, 18, 1))
    assert [(r.letter_id, r.kind) for r in late] == [(letter.pk, ReminderKind.OVERDUE)]
    assert services.mailbox_remind_due(at(2026, 11, 30, 9)) == []


def test_a_letter_found_late_gets_only_the_overdue_reminder(letter):
    services.mailbox_remind_due(at(2026, 11, 27, 9))
    assert list(LetterReminder.objects.values_list("kind", flat=True)) == [ReminderKind.OVERDUE]


def test_a_clue_is_reminded_four_hours_before(write):
    clue = write(kind=Kind.CLUE)  # due Tue 24 Nov 18:00
    assert services.mailbox_remind_due(at(2026, 11, 24, 13, 59)) == []
    assert [r.letter_id for r in services.mailbox_remind_due(at(2026, 11, 24, 14))] == [clue.pk]


def test_answered_and_closed_letters_are_not_reminded(write, police, sender):
    answered, closed = write(), write()
    services.letter_reply(actor=Actor(user=police), letter=answered, body="已答复", at=at(2026, 11, 24, 9))
    services.letter_close(actor=Actor(user=sender), letter=closed)
    assert services.mailbox_remind_due(at(2026, 12, 1, 9)) == []


def test_the_police_see_pending_reminders_in_their_inbox(letter, police, police_b, client_for):
    services.mailbox_remind_due(at(2026, 11, 27, 9))
    assert "答复提醒" in client_for(police).get(reverse("mailbox:inbox")).content.decode()
    assert "答复提醒" not in client_for(police_b).get(reverse("mailbox:inbox")).content.decode()


def test_a_reminder_goes_from_the_inbox_once_the_letter_is_answered(letter, police, client_for):
    services.mailbox_remind_due(at(2026, 11, 27, 9))
    services.letter_reply(actor=Actor(user=police), letter=letter, body="抱歉晚了")
    assert "答复提醒" not in client_for(police).get(reverse("mailbox:inbox")).content.decode()


def test_the_tick_command_records_reminders(letter, capsys):
    call_command("mailbox_tick", now="2026-11-27T09:00:00+08:00")
    assert "reminded 1" in capsys.readouterr().out
    assert LetterReminder.objects.get().kind == ReminderKind.OVERDUE


# --- the overdue list -------------------------------------------------------------------------------------------

def test_the_overdue_list_shows_unanswered_letters_past_their_deadline(write, police, client_for):
    late = write(subject="早就该回了", at=at(2026, 11, 2, 10))
    answered = write(subject="已经回了", at=at(2026, 11, 2, 10))
    fresh = write(subject="刚来的信", at=timezone.now())
    services.letter_reply(actor=Actor(user=police), letter=answered, body="已答复")
    page = client_for(police).get(reverse("mailbox:overdue")).content.decode()
    assert late.subject in page and answered.subject not in page
    assert fresh.subject not in page
