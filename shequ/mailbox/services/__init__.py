"""Mailbox services: every write to a letter goes through these functions, which
check the actor's rights, validate, save in one transaction and write the audit log."""

from shequ.mailbox.services.convert import letter_convert_to_case
from shequ.mailbox.services.images import MAX_IMAGE_BYTES, MAX_IMAGES, images_check
from shequ.mailbox.services.letters import (
    RevealedSender, letter_close, letter_follow_up, letter_mark_read, letter_rate, letter_reply,
    letter_reveal_sender, letter_write,
)
from shequ.mailbox.services.reminders import mailbox_remind_due

__all__ = [
    "MAX_IMAGES", "MAX_IMAGE_BYTES", "RevealedSender", "images_check", "letter_close", "letter_convert_to_case",
    "letter_follow_up", "letter_mark_read", "letter_rate", "letter_reply", "letter_reveal_sender", "letter_write",
    "mailbox_remind_due",
]
