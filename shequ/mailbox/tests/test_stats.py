"""Mailbox figures: by kind, reply times (median, p90), overdue, satisfaction,
per community, over a date range."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.mailbox import services
from shequ.mailbox.models import Kind
from shequ.mailbox.stats import mailbox_figures, median, percentile
from shequ.mailbox.tests.conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def test_percentiles_use_the_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 0.9), median(values), percentile([], 0.9)) == (9.0, 5.5, None)


@pytest.fixture
def history(write, police, sender, resident_b, police_b):
    """Three letters in community A answered after 1, 2 and 30 hours, one unanswered and
    overdue, one in community B, and one before the range."""
    replies = []
    for hours, kind in ((1, Kind.CLUE), (2, Kind.CONSULTATION), (30, Kind.COMPLAINT)):
        letter = write(kind=kind, at=MONDAY)
        services.letter_reply(actor=Actor(user=police), letter=letter, body="答复",
                              at=MONDAY + timedelta(hours=hours))
        replies.append(letter)
    services.letter_rate(actor=Actor(user=sender), letter=replies[0], rating=5)
    services.letter_rate(actor=Actor(user=sender), letter=replies[1], rating=2)
    write(kind=Kind.SUGGESTION, at=MONDAY, anonymous=True)  # never answered
    services.letter_write(actor=Actor(user=resident_b), kind=Kind.CLUE, subject="B", body="B", at=MONDAY)
    write(kind=Kind.CLUE, at=at(2026, 10, 1, 10))  # outside the range
    return replies


def test_the_figures_of_a_community(history, police):
    report = mailbox_figures(user=police, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30),
                             now=at(2026, 12, 10, 9))
    total = report.total
    assert total.total == 4 and total.by_kind == {"clue": 1, "consultation": 1, "complaint": 1, "suggestion": 1}
    assert (total.replied, total.anonymous) == (3, 1)
    assert (total.reply_median_hours, total.reply_p90_hours) == (2.0, 30.0)
    # the 30-hour complaint met its 3-working-day deadline; the suggestion is past its 5 days unanswered
    assert total.overdue == 1
    assert (total.satisfaction, total.rated) == (3.5, 2)
    assert [row.community.name for row in report.communities] == ["长庆坊社区"]  # B is not the police's


def test_a_street_wide_police_user_sees_each_community(history, tree):
    chief_of_street = make_user("street_police", "police", tree.street)
    report = mailbox_figures(user=chief_of_street, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert [(row.community.name, row.total) for row in report.communities] == [("长庆坊社区", 4), ("西何社区", 1)]
    assert report.total.total == 5


def test_a_late_first_reply_counts_as_overdue(write, police):
    letter = write(kind=Kind.CLUE, at=MONDAY)  # due Tue 18:00
    services.letter_reply(actor=Actor(user=police), letter=letter, body="晚了", at=at(2026, 11, 25, 9))
    report = mailbox_figures(user=police, date_from=date(2026, 11, 23), date_to=date(2026, 11, 23))
    assert report.total.overdue == 1


def test_the_date_range_is_inclusive_of_local_days(write, police):
    write(at=at(2026, 11, 23, 0, 5))
    write(at=at(2026, 11, 23, 23, 55))
    write(at=at(2026, 11, 24, 0, 0))
    report = mailbox_figures(user=police, date_from=date(2026, 11, 23), date_to=date(2026, 11, 23))
    assert report.total.total == 2


def test_the_figures_page(history, police, client_for):
    page = client_for(police).get(reverse("mailbox:stats"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    text = page.content.decode()
    assert page.status_code == 200 and "长庆坊社区" in text and "西何社区" not in text and "3.5" in text


def test_the_figures_page_is_for_the_police(worker, client_for):
    assert client_for(worker).get(reverse("mailbox:stats")).status_code == 403


def test_a_reversed_range_is_reported(police, client_for):
    page = client_for(police).get(reverse("mailbox:stats"), {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert "截止日期不能早于起始日期。" in page.content.decode()
