"""Feedback tokens: what ``POST /ask`` hands out so that only the person who asked can rate the answer, and
only for a while (docs/assistant.md, "Feedback tokens").

A token is ``<payload>.<mac>``, both base64url without padding (RFC 4648, section 5): the payload is the
compact JSON ``{"q": query_id, "sub": caller, "exp": epoch seconds}``, the MAC an HMAC-SHA-256 of the
payload's bytes that AWS KMS computes with an HMAC key that never leaves it (``GenerateMac`` and
``VerifyMac``, ``MacAlgorithm HMAC_SHA_256``; AWS KMS Developer Guide, "HMAC keys in AWS KMS"). Verifying
sends the MAC back to KMS, which compares it and refuses a wrong one with ``KMSInvalidMacException``.

``verify`` raises one ``TokenError`` subclass per reason (``MalformedToken``, ``ForgedToken``,
``ExpiredToken``, ``WrongCaller``); each message is fixed and quotes nothing of the token (it carries the
caller's identity). Sizes are bounded before anything is decoded: a token of more than ``MAX_TOKEN_CHARS``
characters is malformed without being parsed, and a caller longer than ``MAX_CALLER_CHARS`` gets no token.

Standard library and botocore only: the assistant's Lambda function imports it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

ALGORITHM = "HMAC_SHA_256"
MAC_BYTES = 32
MAX_CALLER_CHARS = 1024  # a Cognito sub is 36; an IAM role session ARN stays well under this
MAX_QUERY_ID_CHARS = 64  # InvokeEndpoint's InferenceId limit
MAX_TOKEN_CHARS = 2048  # the payload's JSON at its largest, base64url, a dot and the MAC
_PART = re.compile(r"[A-Za-z0-9_-]{1,2000}")
INVALID_MAC = "KMSInvalidMacException"


class TokenError(Exception):
    """A feedback token that does not let this caller rate this query (the API answers 403)."""

    message = "the feedback token is not valid"

    def __init__(self) -> None:
        super().__init__(self.message)


class MalformedToken(TokenError):
    message = "the feedback token is malformed; send the feedback_token the answer carried"


class ForgedToken(TokenError):
    message = "the feedback token's signature is not valid; send the feedback_token the answer carried"


class ExpiredToken(TokenError):
    message = "the feedback token has expired; feedback is taken for a limited time after the answer"


class WrongCaller(TokenError):
    message = "the feedback token was issued to another caller; only the person who asked can rate it"


@dataclass(frozen=True)
class Claims:
    """What a token says: the query, the caller it was issued to, and when it expires (epoch seconds)."""

    query_id: str
    caller: str
    expires: int

    def payload(self) -> bytes:
        """The compact JSON the MAC covers."""
        document = {"q": self.query_id, "sub": self.caller, "exp": self.expires}
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(part: str) -> bytes:
    """base64url without padding, canonical only (a string another encoding of the same bytes is refused)."""
    if not _PART.fullmatch(part) or len(part) % 4 == 1:
        raise MalformedToken
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise MalformedToken from None
    if _encode(data) != part:
        raise MalformedToken
    return data


def issue(kms: Any, key_id: str, claims: Claims) -> str:
    """The token for ``claims``, MACed by KMS with the HMAC key ``key_id``."""
    if not 0 < len(claims.caller) <= MAX_CALLER_CHARS or not 0 < len(claims.query_id) <= MAX_QUERY_ID_CHARS:
        raise ValueError(
            f"a token's caller is 1 to {MAX_CALLER_CHARS} characters and its query id 1 to "
            f"{MAX_QUERY_ID_CHARS}"
        )
    payload = claims.payload()
    mac = kms.generate_mac(KeyId=key_id, MacAlgorithm=ALGORITHM, Message=payload)["Mac"]
    return f"{_encode(payload)}.{_encode(mac)}"


def read(token: str) -> tuple[Claims, bytes, bytes]:
    """The claims of a well-formed token, its payload's bytes and its MAC, not yet verified."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise MalformedToken
    encoded_payload, encoded_mac = token.split(".")
    payload, mac = _decode(encoded_payload), _decode(encoded_mac)
    if len(mac) != MAC_BYTES:
        raise MalformedToken
    try:
        document = json.loads(payload.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedToken from None
    if not isinstance(document, dict) or set(document) != {"q", "sub", "exp"}:
        raise MalformedToken
    query_id, caller, expires = document["q"], document["sub"], document["exp"]
    if not (isinstance(query_id, str) and isinstance(caller, str)) or type(expires) is not int:
        raise MalformedToken
    if not 0 < len(query_id) <= MAX_QUERY_ID_CHARS or not 0 < len(caller) <= MAX_CALLER_CHARS:
        raise MalformedToken
    return Claims(query_id, caller, expires), payload, mac


def verify(kms: Any, key_id: str, token: str, *, caller: str, now: float) -> Claims:
    """The claims of ``token`` once KMS has verified its MAC, it has not expired at ``now`` (epoch seconds)
    and ``caller`` is the one it was issued to; else the ``TokenError`` saying which check failed. KMS
    errors other than an invalid MAC (throttling, access) are raised as they are: they are no verdict."""
    claims, payload, mac = read(token)
    try:
        answer = kms.verify_mac(KeyId=key_id, MacAlgorithm=ALGORITHM, Message=payload, Mac=mac)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == INVALID_MAC:
            raise ForgedToken from None
        raise
    if answer.get("MacValid") is not True:
        raise ForgedToken
    if claims.expires <= now:
        raise ExpiredToken
    if claims.caller != caller:
        raise WrongCaller
    return claims
