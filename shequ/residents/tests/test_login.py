"""Phone login with a one-time code: no enumeration, single use, try limit, expiry, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.test import Client
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.residents.models import LoginCode
from shequ.residents.services import CodeRefused, login_code_request, login_code_verify, phone_normalise
from shequ.residents.tests.conftest import PHONE_A, UNKNOWN_PHONE, last_code, request_code

pytestmark = pytest.mark.django_db

ACTOR = Actor(user=None, ip="10.0.0.9", via="resident_app")


def _page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_it_sends_a_six_digit_code_to_a_resident(family, sms):
    response = request_code(Client(), PHONE_A)
    assert response.status_code == 302 and response["Location"] == "/me/login/code/"
    assert len(sms) == 1 and sms[0].phone == PHONE_A
    assert len(last_code(sms)) == 6


def test_it_answers_an_unknown_phone_exactly_as_a_known_one_and_sends_nothing(family, sms):
    known = Client().post("/me/login/", {"phone": PHONE_A}, follow=True)
    unknown = Client().post("/me/login/", {"phone": UNKNOWN_PHONE}, follow=True)
    assert len(sms) == 1  # only the resident's
    assert unknown.redirect_chain == [("/me/login/code/", 302)] == known.redirect_chain
    assert _page_messages(unknown) == _page_messages(known)
    assert LoginCode.objects.get(phone_digest=phone_normalise(UNKNOWN_PHONE).digest).code_hash == ""


def test_it_sends_no_code_to_someone_who_moved_out(family, sms):
    from shequ.registry.models import Residence
    from shequ.registry.services import residence_end
    from shequ.registry.tests.factories import SYSTEM

    residence_end(actor=SYSTEM, residence=Residence.objects.get(person=family.owner),
                  end_date=timezone.localdate())
    request_code(Client(), PHONE_A)
    assert sms == []


def test_it_refuses_a_malformed_phone_number_and_records_nothing(family, sms):
    response = Client().post("/me/login/", {"phone": "12345"})
    assert response.status_code == 200 and response.context["form"].errors["phone"]
    assert not LoginCode.objects.exists() and sms == []


def test_the_code_logs_the_resident_in(family, sms):
    client = Client()
    request_code(client, PHONE_A)
    response = client.post("/me/login/code/", {"code": last_code(sms)})
    assert response.status_code == 302 and response["Location"] == "/me/"
    user = get_user(client)
    assert user.is_authenticated and user.person_id == family.owner.pk
    # a resident needs no second factor: the home page opens straight away
    assert client.get("/me/").status_code == 200


def test_the_code_works_only_once(family, sms):
    ref = login_code_request(phone=PHONE_A, actor=ACTOR)
    code = last_code(sms)
    assert login_code_verify(phone=ref, code=code, actor=ACTOR) == [family.owner]
    with pytest.raises(CodeRefused) as refused:
        login_code_verify(phone=ref, code=code, actor=ACTOR)
    assert refused.value.code == "expired"


def test_five_wrong_codes_kill_the_code(family, sms):
    client = Client()
    request_code(client, PHONE_A)
    good = last_code(sms)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        response = client.post("/me/login/code/", {"code": wrong})
        assert response.status_code == 200
    response = client.post("/me/login/code/", {"code": good})
    assert response.status_code == 200 and "错误次数过多" in str(response.context["form"].errors["code"])
    assert not get_user(client).is_authenticated
    assert LoginCode.objects.get().failed_attempts == 5


def test_an_unknown_phone_is_locked_after_five_tries_too(family, sms):
    ref = login_code_request(phone=UNKNOWN_PHONE, actor=ACTOR)
    codes = []
    for _ in range(6):
        with pytest.raises(CodeRefused) as refused:
            login_code_verify(phone=ref, code="123456", actor=ACTOR)
        codes.append(refused.value.code)
    assert codes == ["invalid"] * 4 + ["locked", "locked"]


def test_an_expired_code_is_refused(family, sms):
    client = Client()
    request_code(client, PHONE_A)
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/me/login/code/", {"code": last_code(sms)})
    assert response.status_code == 200 and "过期" in str(response.context["form"].errors["code"])
    assert not get_user(client).is_authenticated


def test_a_code_expires_after_five_minutes(family, sms):
    start = timezone.now()
    ref = login_code_request(phone=PHONE_A, actor=ACTOR, now=start)
    with pytest.raises(CodeRefused) as refused:
        login_code_verify(phone=ref, code=last_code(sms), actor=ACTOR, now=start + timedelta(minutes=5, seconds=1))
    assert refused.value.code == "expired"


def test_a_newer_code_replaces_the_older_one(family, sms):
    start = timezone.now()
    ref = login_code_request(phone=PHONE_A, actor=ACTOR, now=start)
    first = last_code(sms)
    login_code_request(phone=PHONE_A, actor=ACTOR, now=start + timedelta(seconds=61))
    second = last_code(sms)
    if first != second:  # one in a million they coincide
        with pytest.raises(CodeRefused):
            login_code_verify(phone=ref, code=first, actor=ACTOR, now=start + timedelta(seconds=62))
    assert login_code_verify(phone=ref, code=second, actor=ACTOR, now=start + timedelta(seconds=63))


def test_it_allows_one_code_a_minute_per_phone(family, sms):
    client = Client()
    request_code(client, PHONE_A)
    response = request_code(client, PHONE_A)
    assert response.status_code == 200 and "频繁" in str(response.context["form"].errors["phone"])
    assert len(sms) == 1 and LoginCode.objects.count() == 1


def test_the_rate_limit_answers_an_unknown_phone_the_same(family, sms):
    def second_refusal(phone):
        client = Client()
        request_code(client, phone)
        return request_code(client, phone).context["form"].errors["phone"]

    assert second_refusal(UNKNOWN_PHONE) == second_refusal(PHONE_A)


def test_it_allows_ten_codes_a_day_per_phone(family, sms):
    start = timezone.now()
    for n in range(10):
        login_code_request(phone=PHONE_A, actor=ACTOR, now=start + timedelta(minutes=2 * n))
    with pytest.raises(Exception) as refused:
        login_code_request(phone=PHONE_A, actor=ACTOR, now=start + timedelta(minutes=30))
    assert refused.value.error_dict["phone"][0].code == "rate_phone_day"
    assert len(sms) == 10
    # the window rolls: a day after the first, one more is allowed
    login_code_request(phone=PHONE_A, actor=ACTOR, now=start + timedelta(days=1, minutes=1))
    assert len(sms) == 11


def test_it_limits_requests_per_address(family, sms, settings):
    settings.SHEQU_LOGIN_CODE_PER_IP_HOUR = 3
    for phone in ("13700000001", "13700000002", "13700000003"):
        login_code_request(phone=phone, actor=ACTOR)
    with pytest.raises(Exception) as refused:
        login_code_request(phone=PHONE_A, actor=ACTOR)
    assert refused.value.error_dict["phone"][0].code == "rate_ip"
    assert sms == []
    # another address is not affected
    login_code_request(phone=PHONE_A, actor=Actor(user=None, ip="10.0.0.10", via="resident_app"))
    assert len(sms) == 1


def test_it_audits_a_failed_and_a_successful_login(family, sms):
    client = Client()
    request_code(client, PHONE_A)
    good = last_code(sms)
    client.post("/me/login/code/", {"code": "000000" if good != "000000" else "111111"})
    client.post("/me/login/code/", {"code": good})
    failed = AuditRecord.objects.get(action="login.failed")
    assert failed.actor_id is None and failed.detail["step"] == "sms_code" and failed.detail["phone"] == "138****5678"
    ok = AuditRecord.objects.get(action="login.ok")
    assert ok.actor_id == get_user(client).pk


def test_the_code_step_without_a_phone_sends_back_to_the_phone_step(family):
    response = Client().post("/me/login/code/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/me/login/"


def test_it_does_not_redirect_off_site_after_login(family, sms):
    client = Client()
    client.post("/me/login/?next=https://evil.example/", {"phone": PHONE_A, "next": "https://evil.example/"})
    response = client.post("/me/login/code/", {"code": last_code(sms)})
    assert response["Location"] == "/me/"


def test_family_members_sharing_a_phone_choose_who_logs_in(family, sms):
    from shequ.registry.services import person_update
    from shequ.registry.tests.factories import SYSTEM

    person_update(actor=SYSTEM, person=family.child, phone=PHONE_A)
    client = Client()
    request_code(client, PHONE_A)
    response = client.post("/me/login/code/", {"code": last_code(sms)})
    assert response["Location"] == "/me/login/choose/"
    response = client.post("/me/login/choose/", {"person": family.child.pk})
    assert response.status_code == 302
    assert get_user(client).person_id == family.child.pk


def test_the_choice_cannot_name_someone_outside_the_phone(family, neighbour, sms):
    from shequ.registry.services import person_update
    from shequ.registry.tests.factories import SYSTEM

    person_update(actor=SYSTEM, person=family.child, phone=PHONE_A)
    client = Client()
    request_code(client, PHONE_A)
    client.post("/me/login/code/", {"code": last_code(sms)})
    response = client.post("/me/login/choose/", {"person": neighbour.pk})
    assert response.status_code == 200 and not get_user(client).is_authenticated
