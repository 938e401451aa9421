from shequ.mailbox.views.common import image
from shequ.mailbox.views.police import (
    inbox, inbox_export, index, letter_act, letter_detail, letter_reveal, overdue, stats,
)
from shequ.mailbox.views.resident import letter_write, my_letter, my_letter_act, my_letters

__all__ = [
    "image", "inbox", "inbox_export", "index", "letter_act", "letter_detail", "letter_reveal", "letter_write",
    "my_letter", "my_letter_act", "my_letters", "overdue", "stats",
]
