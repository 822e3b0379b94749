"""A caller of the assistant's API (docs/assistant.md): people sign in with Cognito and send the ID token,
services sign with SigV4; both send their client's API key.

Used by ``launchpad assistant ask``, the demo, the load bench and the tests, against a real stage
(``https://{api}.execute-api.{region}.amazonaws.com/{stage}``) or the sandbox's
(``<sandbox>/restapis/{api}/{stage}/_user_request_``). A reply is kept whole, status and body, because the
API's refusals are answers too: the caller decides what a 401, 429 or 502 means.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.errors import AssistantError

log = logging.getLogger(__name__)

PEOPLE = ""  # /ask, /feedback: a Cognito ID token
SERVICES = "/service"  # /service/ask, /service/feedback: SigV4


def stage_url(target: AwsTarget, api_id: str, stage: str) -> str:
    """The base URL of a deployed stage, on AWS or on the sandbox."""
    if target.endpoint_url:
        return f"{target.endpoint_url.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_"
    return f"https://{api_id}.execute-api.{target.region}.amazonaws.com/{stage}"


def sign_in(target: AwsTarget, client_id: str, username: str, password: str) -> str:
    """The ID token of a person, from Cognito's ``USER_PASSWORD_AUTH`` against the pool's public client.
    A challenge (a new password, MFA) is refused: answer it in the web UI or the AWS console first."""
    cognito = target.client("cognito-idp")
    try:
        answer = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AssistantError(
            f"Cognito refused the sign-in: {error.get('Code')}: {error.get('Message')}"
        ) from None
    if "AuthenticationResult" not in answer:
        raise AssistantError(
            f"Cognito asks for {answer.get('ChallengeName', 'a challenge')} before it signs {username} in: "
            f"answer it in the web UI first"
        )
    return str(answer["AuthenticationResult"]["IdToken"])


@dataclass(frozen=True)
class Reply:
    """One answer of the API: its status, its JSON body (``{"message": ...}`` for a refusal) and the
    seconds it took."""

    status: int
    body: dict[str, Any]
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


@dataclass
class Assistant:
    """The API at ``url`` as one client: ``api_key`` names its usage plan; ``id_token`` makes it a person,
    ``signer`` (the target whose credentials sign) a service. One connection pool, safe across threads."""

    url: str
    api_key: str
    id_token: str | None = None
    signer: AwsTarget | None = None
    timeout: float = 35.0

    def __post_init__(self) -> None:
        if (self.id_token is None) == (self.signer is None):
            raise ValueError("an assistant caller is a person (id_token) or a service (signer), one of them")
        self._http = urllib3.PoolManager(maxsize=16, retries=False, timeout=self.timeout)

    def ask(self, question: str) -> Reply:
        return self.post("ask", {"question": question})

    def feedback(self, token: str, helpful: bool, comment: str | None = None) -> Reply:
        body: dict[str, Any] = {"feedback_token": token, "helpful": helpful}
        if comment is not None:
            body["comment"] = comment
        return self.post("feedback", body)

    def post(self, route: str, body: Any) -> Reply:
        """POST a JSON body (or raw bytes, to send what the gateway must refuse) to ``route``."""
        tree = SERVICES if self.signer is not None else PEOPLE
        url = f"{self.url}{tree}/{route}"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "x-api-key": self.api_key}
        if self.id_token is not None:
            headers["Authorization"] = self.id_token
        else:
            headers = self._signed(url, data, headers)
        started = time.perf_counter()
        answer = self._http.request("POST", url, body=data, headers=headers)
        return Reply(answer.status, _json(answer.data), time.perf_counter() - started)

    def _signed(self, url: str, data: bytes, headers: dict[str, str]) -> dict[str, str]:
        assert self.signer is not None
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        credentials = self.signer.session().get_credentials()
        if credentials is None:
            raise AssistantError(f"no AWS credentials to sign the call to {url} with")
        SigV4Auth(credentials, "execute-api", self.signer.region).add_auth(request)
        return dict(request.headers.items())


def _json(data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data or b"{}")
    except ValueError:
        return {"message": "the API answered with a body that is not JSON"}
    return (
        parsed
        if isinstance(parsed, dict)
        else {"message": "the API answered with JSON that is not an object"}
    )
