"""Submitting and approving: four eyes, rights at the notice's area, reject with a reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.notices import services
from shequ.notices.models import Notice, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft, worker):
    return services.notice_submit(actor=Actor(user=worker), notice=draft())


def test_the_author_submits_a_draft(submitted):
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED and submitted.submitted_at is not None


def test_another_staff_member_cannot_submit_the_authors_draft(draft, approver):
    notice = draft()
    with pytest.raises(PermissionDenied):
        services.notice_submit(actor=Actor(user=approver), notice=notice)
    notice.refresh_from_db()
    assert notice.status == Status.DRAFT


def test_the_author_cannot_approve_their_own_notice(submitted, worker):
    with pytest.raises(PermissionDenied):
        services.notice_approve(actor=Actor(user=worker), notice=submitted)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED and submitted.approved_by is None


def test_the_database_refuses_an_approver_who_is_the_author(submitted, worker):
    with pytest.raises(IntegrityError):
        Notice.objects.filter(pk=submitted.pk).update(approved_by=worker)


def test_a_second_staff_member_approves(submitted, approver):
    services.notice_approve(actor=Actor(user=approver), notice=submitted)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.approved_by_id) == (Status.APPROVED, approver.pk)
    assert submitted.approved_at is not None


def test_staff_of_another_community_cannot_approve(submitted, outsider):
    with pytest.raises(PermissionDenied):
        services.notice_approve(actor=Actor(user=outsider), notice=submitted)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_property_staff_may_draft_but_not_approve(submitted, tree):
    property_staff = make_user("property_a", "property_staff", tree.complex_a)
    with pytest.raises(PermissionDenied):
        services.notice_approve(actor=Actor(user=property_staff), notice=submitted)


def test_a_draft_cannot_be_approved_before_it_is_submitted(draft, approver):
    notice = draft()
    with pytest.raises(ValidationError) as caught:
        services.notice_approve(actor=Actor(user=approver), notice=notice)
    assert caught.value.code == "invalid_transition"


def test_a_rejected_notice_goes_back_to_draft_with_the_reason(submitted, approver, worker):
    services.notice_reject(actor=Actor(user=approver), notice=submitted, reason="请写明停水范围")
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_note) == (Status.DRAFT, "请写明停水范围")
    services.notice_submit(actor=Actor(user=worker), notice=submitted)  # fixed and sent again


def test_rejecting_needs_a_reason(submitted, approver):
    with pytest.raises(ValidationError) as caught:
        services.notice_reject(actor=Actor(user=approver), notice=submitted, reason="  ")
    assert caught.value.error_dict["reason"][0].code == "required"
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
