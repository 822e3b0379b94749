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
    """``method route`` on the sandbox ``target`` points at; its JSON answer. A 403 is ``Refused``."""
    if not target.is_sandbox:
        raise SandboxError(f"{route} is a sandbox feature: point AWS_ENDPOINT_URL at the sandbox")
    url = f"{target.endpoint_url}{route}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(document).encode() if document is not None else None
    headers = {"Content-Type": "application/json"}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data, headers, method=method), timeout=timeout
        ) as answer:
            return dict(json.loads(answer.read()))
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
        if error.code == 403:
            raise Refused(str(body.get("message", body)), body) from error
        raise SandboxError(f"the sandbox refused {method} {route} (HTTP {error.code}): {body}") from error
    except (OSError, ValueError) as exc:
        raise SandboxError(
            f"the sandbox at {target.endpoint_url} did not answer {method} {route}: {exc}"
        ) from exc
