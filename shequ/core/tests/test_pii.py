import pytest
from cryptography.exceptions import InvalidTag

from shequ.core import pii


def test_it_round_trips_a_value_through_encryption():
    assert pii.decrypt(pii.encrypt("610113198005170015")) == "610113198005170015"


def test_it_encrypts_the_same_value_differently_each_time():
    # a random nonce per value: equal ciphertexts would leak equal ID numbers
    assert pii.encrypt("13812345678") != pii.encrypt("13812345678")


def test_it_refuses_an_altered_ciphertext():
    token = bytearray(pii.encrypt("13812345678").encode())
    token[20] = ord("A") if token[20] != ord("A") else ord("B")
    with pytest.raises((InvalidTag, ValueError)):
        pii.decrypt(token.decode())


def test_digest_is_stable_and_keeps_kinds_apart():
    assert pii.digest("id", "123") == pii.digest("id", "123")
    assert pii.digest("id", "123") != pii.digest("phone", "123")


def test_digest_is_keyed(settings):
    before = pii.digest("phone", "13812345678")
    settings.SHEQU_INDEX_KEY = "A" * 43 + "="
    assert pii.digest("phone", "13812345678") != before


@pytest.mark.parametrize(
    "value, masked",
    [("610113198005170015", "610***********0015"), ("11010519491231002X", "110***********002X")],
)
def test_it_masks_id_numbers_keeping_region_and_last_four(value, masked):
    assert pii.mask_id_number(value) == masked


def test_it_masks_phones_keeping_prefix_and_last_four():
    assert pii.mask_phone("13812345678") == "138****5678"


def test_it_masks_short_values_entirely():
    assert pii.mask_phone("12345") == "*****"
