"""The pluggable text-message sender."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from shequ.residents.sms import LogBackend, MemoryBackend, SmsBackend, SmsError, sms_backend, sms_send
from shequ.residents.tests.conftest import PHONE_A, UNKNOWN_PHONE


class FailingBackend(SmsBackend):
    def send(self, *, phone: str, message: str) -> None:
        raise SmsError("gateway down")


def test_the_demo_backend_writes_the_message_to_the_sms_log_with_the_number_masked(caplog):
    with caplog.at_level(logging.INFO, logger="shequ.sms"):
        LogBackend().send(phone=PHONE_A, message="验证码 123456")
    record = caplog.records[-1]
    assert record.name == "shequ.sms" and "138****5678" in record.getMessage() and "123456" in record.getMessage()
    assert PHONE_A not in record.getMessage()


def test_the_setting_chooses_the_backend(settings, sms):
    settings.SHEQU_SMS_BACKEND = "shequ.residents.sms.MemoryBackend"
    assert isinstance(sms_backend(), MemoryBackend)
    sms_send(phone=PHONE_A, message="hello")
    assert [(m.phone, m.message) for m in sms] == [(PHONE_A, "hello")]


def test_the_default_backend_is_the_log(settings):
    del settings.SHEQU_SMS_BACKEND
    assert isinstance(sms_backend(), LogBackend)


@pytest.mark.django_db
def test_a_gateway_failure_answers_like_any_other_number(family, settings, caplog):
    settings.SHEQU_SMS_BACKEND = f"{__name__}.FailingBackend"
    failed = Client().post("/me/login/", {"phone": PHONE_A}, follow=True)
    unknown = Client().post("/me/login/", {"phone": UNKNOWN_PHONE}, follow=True)
    assert failed.redirect_chain == unknown.redirect_chain == [("/me/login/code/", 302)]
    assert any("could not be sent" in r.getMessage() for r in caplog.records)
