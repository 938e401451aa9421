import time

from shequ.accounts import services
from shequ.accounts.tests.helpers import enrol


def test_it_accepts_a_code_once_only(worker):
    totp = enrol(worker)
    code = totp.now()
    assert services.totp_matches(worker, code)
    assert not services.totp_matches(worker, code)


def test_it_refuses_a_code_older_than_the_last_accepted_one(worker):
    totp = enrol(worker)
    assert services.totp_matches(worker, totp.at(time.time() + 30))
    assert not services.totp_matches(worker, totp.now())


def test_a_replayed_code_fails_even_from_a_fresh_user_object(worker):
    from shequ.accounts.models import User

    totp = enrol(worker)
    code = totp.now()
    assert services.totp_matches(User.objects.get(pk=worker.pk), code)
    assert not services.totp_matches(User.objects.get(pk=worker.pk), code)
