"""Sending text messages: a pluggable backend, chosen by ``SHEQU_SMS_BACKEND``.

A backend is a class with ``send(*, phone, message)``; the setting names it by
dotted path. The default writes the message to the ``shequ.sms`` log (the demo
reads login codes there); :class:`MemoryBackend` keeps messages for tests; a
deployment points the setting at a class that calls its SMS gateway and raises
:class:`SmsError` when the gateway refuses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from shequ.core.pii import mask_phone

DEFAULT_BACKEND = "shequ.residents.sms.LogBackend"

logger = logging.getLogger("shequ.sms")


class SmsError(Exception):
    """The message could not be handed to the gateway."""


class SmsBackend:
    """Base class: send one message to one mainland mobile number (11 digits)."""

    def send(self, *, phone: str, message: str) -> None:
        raise NotImplementedError


class LogBackend(SmsBackend):
    """Demo backend: the message goes to the ``shequ.sms`` log, the number masked."""

    def send(self, *, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), message)


@dataclass(frozen=True)
class SentMessage:
    phone: str
    message: str


class MemoryBackend(SmsBackend):
    """Test backend: messages collect in ``MemoryBackend.outbox`` (empty it in the test's setup)."""

    outbox: ClassVar[list[SentMessage]] = []

    def send(self, *, phone: str, message: str) -> None:
        self.outbox.append(SentMessage(phone, message))


def sms_backend() -> SmsBackend:
    """A fresh instance of the configured backend (read on every call: tests override the setting)."""
    return import_string(getattr(settings, "SHEQU_SMS_BACKEND", DEFAULT_BACKEND))()


def sms_send(*, phone: str, message: str) -> None:
    """Send through the configured backend; raises :class:`SmsError` on failure."""
    sms_backend().send(phone=phone, message=message)
