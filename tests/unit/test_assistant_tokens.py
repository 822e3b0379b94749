"""Feedback tokens (launchpad.assistant.tokens) against a fake KMS that computes a real HMAC-SHA-256 with a
test key, and refuses a wrong MAC as KMS does (KMSInvalidMacException)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.assistant import tokens
from launchpad.assistant.tokens import Claims

KEY_ID = "arn:aws:kms:eu-west-1:111122223333:key/mac"
NOW = 1_800_000_000
CALLER = "4f1c2b8e-1111-4a3b-9c2d-0123456789ab"
QUERY = "0b7a6c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b"


class FakeKms:
    """GenerateMac and VerifyMac with a real HMAC-SHA-256 over a key of its own."""

    def __init__(self, key: bytes = b"test-key-0123456789abcdef") -> None:
        self.key = key
        self.calls: list[str] = []

    def _mac(self, message: bytes) -> bytes:
        return hmac.new(self.key, message, hashlib.sha256).digest()

    def generate_mac(self, KeyId: str, MacAlgorithm: str, Message: bytes) -> dict[str, Any]:
        assert (KeyId, MacAlgorithm) == (KEY_ID, "HMAC_SHA_256")
        self.calls.append("GenerateMac")
        return {"Mac": self._mac(Message), "KeyId": KeyId, "MacAlgorithm": MacAlgorithm}

    def verify_mac(self, KeyId: str, MacAlgorithm: str, Message: bytes, Mac: bytes) -> dict[str, Any]:
        assert (KeyId, MacAlgorithm) == (KEY_ID, "HMAC_SHA_256")
        self.calls.append("VerifyMac")
        if not hmac.compare_digest(self._mac(Message), Mac):
            raise ClientError({"Error": {"Code": "KMSInvalidMacException", "Message": ""}}, "VerifyMac")
        return {"KeyId": KeyId, "MacValid": True, "MacAlgorithm": MacAlgorithm}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issued(kms: FakeKms, expires: int = NOW + 3600, caller: str = CALLER) -> str:
    return tokens.issue(kms, KEY_ID, Claims(QUERY, caller, expires))


def test_a_token_is_the_compact_payload_and_its_mac_both_base64url_without_padding() -> None:
    kms = FakeKms()
    token = issued(kms)
    payload, mac = token.split(".")
    assert "=" not in token
    assert base64.urlsafe_b64decode(payload + "==") == (
        f'{{"q":"{QUERY}","sub":"{CALLER}","exp":{NOW + 3600}}}'.encode()
    )
    assert base64.urlsafe_b64decode(mac + "=") == kms._mac(base64.urlsafe_b64decode(payload + "=="))
    assert tokens.verify(kms, KEY_ID, token, caller=CALLER, now=NOW) == Claims(QUERY, CALLER, NOW + 3600)


def test_a_token_signed_with_another_key_is_forged() -> None:
    token = issued(FakeKms(b"another key"))
    with pytest.raises(tokens.ForgedToken):
        tokens.verify(FakeKms(), KEY_ID, token, caller=CALLER, now=NOW)


def test_a_changed_payload_is_forged() -> None:
    kms = FakeKms()
    _, mac = issued(kms).split(".")
    other = json.dumps({"q": "another-query", "sub": CALLER, "exp": NOW + 3600}, separators=(",", ":"))
    with pytest.raises(tokens.ForgedToken):
        tokens.verify(kms, KEY_ID, f"{b64(other.encode())}.{mac}", caller=CALLER, now=NOW)


def test_a_kms_answer_of_an_invalid_mac_without_an_error_is_forged_too() -> None:
    class Lenient(FakeKms):
        def verify_mac(self, **call: Any) -> dict[str, Any]:
            return {"MacValid": False}

    with pytest.raises(tokens.ForgedToken):
        tokens.verify(Lenient(), KEY_ID, issued(Lenient()), caller=CALLER, now=NOW)


def test_an_expired_token_is_refused_after_its_mac_is_checked() -> None:
    kms = FakeKms()
    token = issued(kms, expires=NOW)
    with pytest.raises(tokens.ExpiredToken):
        tokens.verify(kms, KEY_ID, token, caller=CALLER, now=NOW)
    assert kms.calls == ["GenerateMac", "VerifyMac"]


def test_a_token_of_another_caller_is_refused() -> None:
    kms = FakeKms()
    with pytest.raises(tokens.WrongCaller):
        tokens.verify(kms, KEY_ID, issued(kms), caller="someone-else", now=NOW)


GOOD_MAC = b64(b"m" * 32)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dot",
        "a.b.c",
        f"{'A' * 3000}.{GOOD_MAC}",  # over the size limit: not decoded
        f"!!!.{GOOD_MAC}",
        f"{b64(b'{}')}=.{GOOD_MAC}",  # padding
        f"{b64(b'not json')}.{GOOD_MAC}",
        f"{b64(b'[1]')}.{GOOD_MAC}",
        f"{b64(json.dumps({'q': QUERY, 'sub': CALLER}).encode())}.{GOOD_MAC}",
        f"{b64(json.dumps({'q': QUERY, 'sub': CALLER, 'exp': '1'}).encode())}.{GOOD_MAC}",
        f"{b64(json.dumps({'q': QUERY, 'sub': CALLER, 'exp': True}).encode())}.{GOOD_MAC}",
        f"{b64(json.dumps({'q': QUERY, 'sub': '', 'exp': 1}).encode())}.{GOOD_MAC}",
        f"{b64(json.dumps({'q': QUERY, 'sub': CALLER, 'exp': 1, 'x': 1}).encode())}.{GOOD_MAC}",
        f"{b64(json.dumps({'q': QUERY, 'sub': CALLER, 'exp': 1}).encode())}.{b64(b'short')}",
        # the MAC's last character has bits set that its bytes do not hold: not the canonical encoding
        f"{b64(json.dumps({'q': QUERY, 'sub': CALLER, 'exp': 1}).encode())}.{GOOD_MAC[:-1]}B",
    ],
    ids=lambda token: f"{token[:24]!r}x{len(token)}",
)
def test_a_malformed_token_is_refused_without_asking_kms(token: str) -> None:
    kms = FakeKms()
    with pytest.raises(tokens.MalformedToken) as refused:
        tokens.verify(kms, KEY_ID, token, caller=CALLER, now=NOW)
    assert kms.calls == []
    assert str(refused.value) == tokens.MalformedToken.message


def test_kms_failures_other_than_an_invalid_mac_are_not_a_verdict() -> None:
    class Throttled(FakeKms):
        def verify_mac(self, **call: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": ""}}, "VerifyMac")

    with pytest.raises(ClientError):
        tokens.verify(Throttled(), KEY_ID, issued(FakeKms()), caller=CALLER, now=NOW)


def test_messages_say_nothing_of_the_token() -> None:
    for error in (tokens.MalformedToken, tokens.ForgedToken, tokens.ExpiredToken, tokens.WrongCaller):
        assert CALLER not in str(error()) and QUERY not in str(error())


def test_an_oversized_caller_gets_no_token() -> None:
    with pytest.raises(ValueError, match="caller is 1 to 1024"):
        tokens.issue(FakeKms(), KEY_ID, Claims(QUERY, "x" * 1025, NOW))
