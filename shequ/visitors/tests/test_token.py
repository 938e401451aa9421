"""The pass token alone (no Django, no database): what a door checks offline."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shequ.core import signing
from shequ.visitors.token import PassPayload, is_pass_token, token_issue, token_verify

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = signing.public_key_text(KEY)
START, END = 1_750_000_000, 1_750_014_400
PAYLOAD = PassPayload(pass_id="p-abc123", doors=("cqf-gate-01", "cqf-03-2-door"), valid_from=START, valid_until=END,
                      max_entries=2, area_id=42)
NOW = START + 60


def verify(token: str, *, device_id: str = "cqf-gate-01", now: float = NOW, key: str = PUBLIC):
    return token_verify(token, key, device_id=device_id, now=now)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def token() -> str:
    return token_issue(PAYLOAD, KEY)


def test_it_accepts_a_pass_it_signed_at_a_door_it_names(token):
    verdict = verify(token)
    assert (verdict.ok, verdict.reason, verdict.payload) == (True, "", PAYLOAD)


def test_the_token_is_prefixed_and_compact(token):
    assert token.startswith("SQP1.") and is_pass_token(token)
    assert len(token) < 300  # a small QR code


def test_it_refuses_a_pass_signed_with_another_key(token):
    forged = token_issue(PAYLOAD, Ed25519PrivateKey.generate())
    assert verify(forged).reason == "forged"


def test_it_refuses_a_pass_whose_entries_were_raised(token):
    prefix, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["n"] = 99
    altered = ".".join([prefix, _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode()), signature])
    assert verify(altered).reason == "forged"


def test_it_refuses_a_pass_whose_window_was_extended(token):
    prefix, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["u"] = END + 86400
    altered = ".".join([prefix, _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode()), signature])
    assert verify(altered, now=END + 10).reason == "forged"


@pytest.mark.parametrize("position", [0, 5, 10, 40, -1])
def test_it_refuses_any_single_character_changed_in_the_payload(token, position):
    prefix, payload, signature = token.split(".")
    chars = list(payload)
    chars[position] = "A" if chars[position] != "A" else "B"
    assert not verify(".".join([prefix, "".join(chars), signature])).ok


def test_it_refuses_a_signature_written_another_way_for_the_same_bytes(token):
    # 64 bytes in base64 leave two unused bits in the last character: flipping them
    # decodes to the same signature, but the token was edited, so it must fail
    prefix, payload, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    variant = signature[:-1] + alphabet[last ^ 1]
    assert signing.b64url_decode(variant) == signing.b64url_decode(signature)
    assert verify(".".join([prefix, payload, variant])).reason == "forged"


def test_it_refuses_stray_characters_in_the_signature(token):
    prefix, payload, signature = token.split(".")
    assert not verify(".".join([prefix, payload, signature[:10] + "!" + signature[10:]])).ok


def test_it_refuses_a_changed_prefix(token):
    assert verify("SQP2" + token[4:]).reason == "malformed"


def test_it_refuses_a_pass_before_its_window(token):
    verdict = verify(token, now=START - 1)
    assert (verdict.ok, verdict.reason, verdict.pass_id) == (False, "not_yet_valid", "p-abc123")


def test_it_refuses_a_pass_at_the_end_of_its_window(token):
    assert verify(token, now=END - 1).ok
    assert verify(token, now=END).reason == "expired"


def test_it_refuses_a_pass_at_a_door_it_does_not_name(token):
    assert verify(token, device_id="xh-gate-01").reason == "wrong_door"


@pytest.mark.parametrize("text", ["", "SQP1.", "SQP1..", "SQP1.a.b.c", "hello", "SQP1.@@@.@@@", "SQP1.é.x",
                                  "SQP1." + "A" * 3000 + ".x"])
def test_it_calls_garbage_malformed_without_raising(text):
    assert verify(text).reason in ("malformed", "forged")
    assert not verify(text).ok


def test_it_calls_a_signed_non_payload_malformed():
    signed = "SQP1." + _b64(b'{"hello":1}')
    token = f"{signed}.{signing.sign(KEY, signed.encode())}"
    assert verify(token).reason == "malformed"


def test_it_refuses_everything_with_a_bad_public_key(token):
    assert verify(token, key="not-a-key").reason == "forged"
