"""The police-resident mailbox (警民信箱): letters from residents to the community
police, their threads, images and reply reminders.

A letter belongs to the sender's house, so ``Letter.objects.visible_to(user,
"mailbox.handle")`` gives the community police (granted on the community) the
letters of their community. The sender is always stored; for an anonymous letter
only the selectors' presenters decide what a page may show (see
``shequ.mailbox.selectors.LetterView``), and only ``letter_reveal_sender`` (the
police chief, audited) ever hands the identity out.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class LetterKind(models.TextChoices):
    CLUE = "clue", _("线索")
    CONSULTATION = "consultation", _("咨询")
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")


class LetterStatus(models.TextChoices):
    NEW = "new", _("未读")
    READ = "read", _("已读")
    REPLIED = "replied", _("已回复")
    CLOSED = "closed", _("已关闭")


#: short names inside the app (the class names are what the API's OpenAPI schema shows)
Kind = LetterKind
Status = LetterStatus


class Side(models.TextChoices):
    RESIDENT = "resident", _("来信人")
    POLICE = "police", _("社区民警")


class LetterQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def open(self) -> LetterQuerySet:
        return self.exclude(status=Status.CLOSED)

    def awaiting_reply(self) -> LetterQuerySet:
        """Open letters the police have not answered yet (the deadline is for the first reply)."""
        return self.open().filter(first_replied_at__isnull=True)

    def overdue(self, now) -> LetterQuerySet:
        return self.awaiting_reply().filter(reply_due_at__lt=now)


class Letter(models.Model):
    """A letter to the community police: a clue, a consultation, a complaint or a suggestion."""

    Kind = Kind
    Status = Status

    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    subject = models.CharField(_("主题"), max_length=100)
    body = models.TextField(_("内容"))
    # the sender's house: scoping only; pages of an anonymous letter never show it
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("住址"))
    # denormalised for figures per community and for the label an anonymous letter may show
    complex = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("小区"))
    community = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("社区"))

    # who wrote it, always kept so the named role can reveal an anonymous sender
    sender_user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="mailbox_letters",
                                    verbose_name=_("来信账户"))
    sender_person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="mailbox_letters", verbose_name=_("来信人"))
    sender_name = models.CharField(_("来信人姓名"), max_length=50, blank=True)
    sender_phone_cipher = models.TextField(blank=True, editable=False)
    sender_phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    sender_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    anonymous = models.BooleanField(_("匿名"), default=False)

    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.NEW)
    received_at = models.DateTimeField(_("来信时间"))
    reply_due_at = models.DateTimeField(_("答复期限"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    first_replied_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("最后留言时间"))
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rating_comment = models.TextField(_("评价"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="mailbox_letters", verbose_name=_("转办事件"))

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("来信")
        verbose_name_plural = _("来信")
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="letter_rating_1_to_5"),
            # a rating answers a reply: none before the police have replied
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(first_replied_at__isnull=False),
                                   name="letter_rating_after_reply"),
        ]
        indexes = [
            models.Index(fields=["area", "received_at"], name="letter_area_received_idx"),  # scoped inbox
            models.Index(fields=["status", "reply_due_at"], name="letter_status_due_idx"),  # reminder sweep
            models.Index(fields=["community", "received_at"], name="letter_community_recv_idx"),  # figures
            models.Index(fields=["sender_user", "received_at"], name="letter_sender_recv_idx"),  # my letters
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class LetterMessage(models.Model):
    """One message of a letter's thread: the resident's follow-up or the police's reply."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="messages", verbose_name=_("来信"))
    side = models.CharField(_("发言方"), max_length=8, choices=Side.choices)
    author = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("发言账户"))
    # the officer's name as shown then; empty on the resident's side (the letter says who, if anyone may know)
    author_name = models.CharField(_("发言人"), max_length=150, blank=True)
    body = models.TextField(_("内容"))
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("留言")
        verbose_name_plural = _("留言")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["letter", "at"], name="lettermessage_letter_at_idx")]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.side} {self.at:%Y-%m-%d %H:%M}"


def letter_image_path(instance: LetterImage, filename: str) -> str:
    return f"mailbox/{instance.letter_id}/{filename}"


class LetterImage(models.Model):
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="images", verbose_name=_("来信"))
    image = models.ImageField(_("图片"), upload_to=letter_image_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("图片")
        verbose_name_plural = _("图片")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已超期")


class ReminderQuerySet(ScopedQuerySet):
    area_path_lookup = "letter__area__path"

    def pending(self) -> ReminderQuerySet:
        """Reminders whose letter still waits for its first reply."""
        return self.filter(letter__first_replied_at__isnull=True).exclude(letter__status=Status.CLOSED)


class LetterReminder(models.Model):
    """A reminder to the police of the letter's area that its reply is nearly or already late."""

    Kind = ReminderKind

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("来信"))
    kind = models.CharField(_("类型"), max_length=10, choices=ReminderKind.choices)
    due_at = models.DateTimeField(_("答复期限"))
    created_at = models.DateTimeField(_("提醒时间"))

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("答复提醒")
        verbose_name_plural = _("答复提醒")
        constraints = [
            # two sweeps at once remind once
            models.UniqueConstraint(fields=["letter", "kind"], name="letterreminder_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.kind}"
