"""Calling the sandbox's own routes (``/_launchpad/...``) from tests, the demo and the CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.quoting import shown

ANSWER_MAX_BYTES = 16 * 1024 * 1024  # the routes answer a few KiB; a larger answer is not one of theirs
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# For the sandbox and the local servers it runs on 127.0.0.1: never through HTTP_PROXY.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Refused(SandboxError):
    """A route answered 403: what the sandbox, playing an AWS service, was refused (``message``)."""

    def __init__(self, message: str, document: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.document = dict(document)


def request(
    target: AwsTarget,
    method: str,
    route: str,
    document: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> dict[str, Any]:
    """``method route`` on the sandbox ``target`` points at; its JSON answer. A 403 is ``Refused``; any other
    failure (no answer, an error status, an answer that is not a JSON object) is one ``SandboxError``."""
    if not target.is_sandbox:
        raise SandboxError(f"{route} is a sandbox feature: point AWS_ENDPOINT_URL at the sandbox")
    url = f"{target.endpoint_url}{route}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(document).encode() if document is not None else None
    headers = {"Content-Type": "application/json"}
    try:
        with _opener(url).open(
            urllib.request.Request(url, data, headers, method=method), timeout=timeout
        ) as answer:
            return _object(answer.read(ANSWER_MAX_BYTES + 1), f"{method} {route}")
    except urllib.error.HTTPError as error:
        body = _error_body(error)
        message = str(body.get("message", body))
        if error.code == 403:
            raise Refused(message, body) from error
        raise SandboxError(
            f"the sandbox refused {method} {route} (HTTP {error.code}): {shown(message, 300)}"
        ) from error
    except (OSError, ValueError) as exc:
        raise SandboxError(
            f"the sandbox at {shown(target.endpoint_url)} did not answer {method} {route}: "
            f"{shown(str(exc), 300)}"
        ) from exc


def _opener(url: str) -> urllib.request.OpenerDirector:
    """No proxy for a sandbox on this machine (a proxy from HTTP_PROXY cannot reach 127.0.0.1 here)."""
    return DIRECT if urllib.parse.urlsplit(url).hostname in _LOOPBACK else urllib.request.build_opener()


def _object(raw: bytes, what: str) -> dict[str, Any]:
    """The JSON object a route answered; ``ValueError`` saying what it was instead."""
    if len(raw) > ANSWER_MAX_BYTES:
        raise ValueError(f"the answer to {what} is over {ANSWER_MAX_BYTES} bytes")
    answer = json.loads(raw)
    if not isinstance(answer, dict):
        raise ValueError(f"the answer to {what} is a JSON {type(answer).__name__}, not an object")
    return answer


def _error_body(error: urllib.error.HTTPError) -> dict[str, Any]:
    """An error answer's JSON object; its text (cut short) under ``message`` when it is not one (moto
    answers some failures with HTML)."""
    raw = error.read(ANSWER_MAX_BYTES) or b"{}"
    try:
        body = json.loads(raw)
    except ValueError:
        return {"message": raw[:300].decode("utf-8", errors="replace")}
    return body if isinstance(body, dict) else {"message": str(body)}
