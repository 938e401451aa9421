"""Resident login by a one-time code sent to the phone the registry holds.

Nothing here tells whether a number is registered: the same answer, the same rate
limits and the same try limit apply to every number (see ``LoginCode``). Codes are
kept only as salted HMACs, live five minutes, work once, and die after five wrong
tries; a newer code replaces the older one.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.accounts.audit import Actor, audit_append
from shequ.core import pii
from shequ.registry.models import Person, Residence
from shequ.registry.validators import validate_mobile
from shequ.residents.models import LoginCode
from shequ.residents.sms import SmsError, sms_send

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_WRONG_TRIES = 5
_HMAC_SALT = "shequ.residents.login_code"
_LOCK_NAMESPACE = 0x5245_5349  # "RESI": pg_advisory_xact_lock(namespace, key) for one phone's requests

#: what the phone step answers for every accepted number, registered or not
CODE_SENT = gettext_lazy("如果该号码已登记为本社区住户，验证码已通过短信发送，5分钟内有效。")


class CodeRefused(Exception):
    """A code that does not log anyone in; ``message`` is safe to show."""

    def __init__(self, message, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


@dataclass(frozen=True)
class PhoneRef:
    """The number a login is about, as the session keeps it (never in clear)."""

    digest: str
    masked: str


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _anonymous(actor: Actor) -> Actor:
    return Actor(user=None, ip=actor.ip, via=actor.via)


def _code_hash(salt: str, code: str) -> str:
    return salted_hmac(_HMAC_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()


def _digits(phone: str) -> str:
    try:
        return validate_mobile(phone or "")
    except ValidationError as exc:
        raise ValidationError({"phone": exc.error_list}) from exc


def phone_ref(digits: str) -> PhoneRef:
    return PhoneRef(pii.digest("phone", digits), pii.mask_phone(digits))


def phone_normalise(phone: str) -> PhoneRef:
    """Validate a mainland mobile number; errors are keyed to ``phone``."""
    return phone_ref(_digits(phone))


def people_living_with_phone(digest: str, *, day=None) -> list[Person]:
    """People registered with this phone who live somewhere today (moved-out people do not)."""
    current = Residence.objects.current(on=day).filter(person=OuterRef("pk"))
    return list(Person.objects.filter(phone_digest=digest).filter(Exists(current)).order_by("pk"))


def _lock_phone(digest: str) -> None:
    # two requests for one number at once must not both pass the rate limit;
    # SQLite needs nothing (transactions are BEGIN IMMEDIATE, settings)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_NAMESPACE, digest])


def _rate_refusal(digest: str, ip: str, now: datetime) -> ValidationError | None:
    """Why this request is over a limit, or None."""
    interval = _limit("SHEQU_LOGIN_CODE_INTERVAL_SECONDS", 60)
    last = LoginCode.objects.filter(phone_digest=digest).order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and (now - last).total_seconds() < interval:
        wait = max(1, int(interval - (now - last).total_seconds()))
        return ValidationError({"phone": ValidationError(
            _("获取验证码过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": wait}, code="rate_phone")})
    per_day = _limit("SHEQU_LOGIN_CODE_PER_DAY", 10)
    if LoginCode.objects.filter(phone_digest=digest, created_at__gt=now - timedelta(days=1)).count() >= per_day:
        return ValidationError({"phone": ValidationError(
            _("该号码今天获取验证码的次数已达上限，请明天再试。"), code="rate_phone_day")})
    per_ip = _limit("SHEQU_LOGIN_CODE_PER_IP_HOUR", 30)
    if ip and LoginCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1)).count() >= per_ip:
        return ValidationError({"phone": ValidationError(_("请求过于频繁，请稍后再试。"), code="rate_ip")})
    return None


def login_code_request(*, phone: str, actor: Actor, now: datetime | None = None) -> PhoneRef:
    """Send a login code if ``phone`` belongs to someone living in a house.

    Returns the same for every valid number; raises ValidationError (``phone``)
    for a malformed number or a request over the rate limits.
    """
    digits = _digits(phone)
    ref = phone_ref(digits)
    now = now or timezone.now()
    code = ""
    with transaction.atomic():
        _lock_phone(ref.digest)
        refusal = _rate_refusal(ref.digest, actor.ip, now)
        if refusal is not None:
            audit_append(actor=_anonymous(actor), action="login.code_refused",
                         detail={"phone": ref.masked, "reason": refusal.error_dict["phone"][0].code})
        else:
            known = bool(people_living_with_phone(ref.digest, day=timezone.localdate(now)))
            code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}" if known else ""
            salt = secrets.token_hex(16)
            # a newer code replaces the older one
            LoginCode.objects.filter(phone_digest=ref.digest, used_at__isnull=True, expires_at__gt=now).update(
                expires_at=now)
            LoginCode.objects.create(phone_digest=ref.digest, ip=actor.ip, salt=salt,
                                     code_hash=_code_hash(salt, code) if code else "", created_at=now,
                                     expires_at=now + CODE_TTL)
            audit_append(actor=_anonymous(actor), action="login.code_requested",
                         detail={"phone": ref.masked, "sent": known})
    if refusal is not None:
        raise refusal
    if code:
        message = _("【社区服务】您的登录验证码是 %(code)s，%(minutes)d 分钟内有效。请勿告诉他人。") % {
            "code": code, "minutes": int(CODE_TTL.total_seconds() // 60)}
        try:
            sms_send(phone=digits, message=message)
        except SmsError:
            # the page still answers as for any number: a gateway failure must not tell who is registered
            logger.exception("login code for %s could not be sent", ref.masked)
    return ref


def _refuse(actor: Actor, phone: PhoneRef, reason: str, message, *, row: LoginCode | None = None) -> CodeRefused:
    audit_append(actor=_anonymous(actor), action="login.failed", detail={
        "step": "sms_code", "reason": reason, "phone": phone.masked,
        "tries": row.failed_attempts if row is not None else None})
    return CodeRefused(message, reason)


def login_code_verify(*, phone: PhoneRef, code: str, actor: Actor, now: datetime | None = None) -> list[Person]:
    """Check a code for ``phone``; it is used up on success. Returns the people it
    logs in as (usually one; family members may share a phone). Raises CodeRefused."""
    now = now or timezone.now()
    code = (code or "").strip()
    row = LoginCode.objects.filter(phone_digest=phone.digest).order_by("-created_at", "-pk").first()
    if row is None:
        raise _refuse(actor, phone, "no_code", _("请先获取验证码。"))
    if row.used_at is not None or row.expires_at <= now:
        raise _refuse(actor, phone, "expired", _("验证码已过期或已使用，请重新获取。"), row=row)
    if row.failed_attempts >= MAX_WRONG_TRIES:
        raise _refuse(actor, phone, "locked", _("验证码错误次数过多，已失效，请重新获取。"), row=row)
    # an unknown number's row has no hash: it fails here like a wrong code, tries counted alike
    if not (row.code_hash and hmac.compare_digest(row.code_hash, _code_hash(row.salt, code))):
        counted = LoginCode.objects.filter(pk=row.pk, failed_attempts__lt=MAX_WRONG_TRIES).update(
            failed_attempts=F("failed_attempts") + 1)
        row.refresh_from_db(fields=["failed_attempts"])
        if not counted or row.failed_attempts >= MAX_WRONG_TRIES:
            raise _refuse(actor, phone, "locked", _("验证码错误次数过多，已失效，请重新获取。"), row=row)
        raise _refuse(actor, phone, "invalid", _("验证码不正确，还可以再试 %(left)d 次。") % {
            "left": MAX_WRONG_TRIES - row.failed_attempts}, row=row)
    # single use, even against a second request with the same code at the same moment
    if not LoginCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        raise _refuse(actor, phone, "expired", _("验证码已过期或已使用，请重新获取。"), row=row)
    people = people_living_with_phone(phone.digest, day=timezone.localdate(now))
    if not people:
        raise _refuse(actor, phone, "no_residence", _("您目前没有登记的住址，无法登录居民服务。"), row=row)
    return people


def login_codes_purge(*, older_than: timedelta = timedelta(days=2), now: datetime | None = None) -> int:
    """Delete code rows past any rate-limit window; returns how many went."""
    now = now or timezone.now()
    deleted, _rows = LoginCode.objects.filter(created_at__lt=now - older_than).delete()
    return deleted
