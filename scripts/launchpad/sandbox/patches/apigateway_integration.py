"""The integrations of a REST API method: the Lambda proxy integration (event v1.0 in, proxy response out,
run through the sandbox's Lambda) and MOCK.

Part of ``launchpad.sandbox.patches.apigateway``, whose docstring says what is modelled (API Gateway
Developer Guide, "Lambda proxy integrations in API Gateway" (input format 1.0, output format), "Amazon API
Gateway quotas" (integration timeout); Lambda Developer Guide "Invoking a Lambda function using an Amazon API
Gateway endpoint").
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.apigateway.models import RestAPI
from moto.awslambda.utils import get_backend as lambda_backend
from moto.core.exceptions import JsonRESTError

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches import awslambda
from launchpad.sandbox.patches.apigateway_request import Incoming, NotModelled, Route, Snapshot
from launchpad.sandbox.patches.apigateway_responses import Answer, GatewayError

SERVICE = "apigateway.amazonaws.com"
TIMEOUT_MS = 29_000  # the integration timeout's default (and, for Regional APIs without a raise, its maximum)
LAMBDA_URI = re.compile(r"arn:[^:]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<fn>.+)/invocations")
PROXY_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


# -- the Lambda proxy integration ----------------------------------------------------------------------------
@dataclass
class Served:
    """One request's way through the stage (what the event, logs and metrics read)."""

    request_id: str
    account: str
    region: str
    api: RestAPI
    stage: Any
    snapshot: Snapshot
    request: Incoming
    started: float = field(default_factory=time.perf_counter)
    found: Route | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None
    integration_ms: float | None = None
    integration_status: int | None = None
    error: GatewayError | None = None

    @property
    def stage_name(self) -> str:
        return str(self.stage.name)

    def arn(self, path: str) -> str:
        return (
            f"arn:aws:execute-api:{self.region}:{self.account}:{self.api.id}/{self.stage_name}/"
            f"{self.request.method}{path}"
        )


def _binary(snapshot: Snapshot, request: Incoming) -> bool:
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    return bool(content_type) and any(
        fnmatch.fnmatch(content_type, t.lower()) for t in snapshot.binary_media_types
    )


def request_context(served: Served) -> dict[str, Any]:
    request, found = served.request, served.found
    assert found is not None
    now = datetime.now(UTC)
    identity: dict[str, Any] = {
        key: None
        for key in (
            "cognitoIdentityPoolId",
            "accountId",
            "cognitoIdentityId",
            "caller",
            "principalOrgId",
            "accessKey",
            "cognitoAuthenticationType",
            "cognitoAuthenticationProvider",
            "userArn",
            "user",
        )
    }
    identity.update(sourceIp=request.source_ip, userAgent=request.header("User-Agent"), **served.identity)
    context: dict[str, Any] = {
        "resourceId": found.resource_id,
        "resourcePath": found.resource_path,
        "httpMethod": request.method,
        "extendedRequestId": served.request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{served.stage_name}{request.path}",
        "accountId": served.account,
        "protocol": "HTTP/1.1",
        "stage": served.stage_name,
        "domainPrefix": served.api.id,
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "requestId": served.request_id,
        "identity": identity,
        "domainName": f"{served.api.id}.execute-api.{served.region}.amazonaws.com",
        "apiId": served.api.id,
    }
    if served.authorizer is not None:
        context["authorizer"] = served.authorizer
    return context


def proxy_event(served: Served) -> dict[str, Any]:
    """The Lambda proxy integration's input, format 1.0."""
    request, found = served.request, served.found
    assert found is not None
    headers = [
        *[(k, v) for k, v in request.headers if k.lower() != "host"],
        ("Host", f"{served.api.id}.execute-api.{served.region}.amazonaws.com"),
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]
    multi_headers: dict[str, list[str]] = {}
    for key, value in headers:
        multi_headers.setdefault(key, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in request.query:
        multi_query.setdefault(key, []).append(value)
    binary = _binary(served.snapshot, request)
    body = None
    if request.body:
        body = base64.b64encode(request.body).decode() if binary else request.body.decode("utf-8", "replace")
    return {
        "resource": found.resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(found.parameters) or None,
        "stageVariables": dict(served.stage.variables or {}) or None,
        "requestContext": request_context(served),
        "body": body,
        "isBase64Encoded": bool(body) and binary,
    }


def _malformed(why: str) -> GatewayError:
    return GatewayError(
        "DEFAULT_5XX", "Internal server error", 502, why=f"malformed Lambda proxy response: {why}"
    )


def proxy_answer(payload: bytes, request_id: str) -> Answer:
    """The Lambda proxy integration's output as the method's answer (502 if malformed)."""
    try:
        document = json.loads(payload)
    except ValueError:
        raise _malformed("not JSON") from None
    if not isinstance(document, dict) or not set(document) <= PROXY_KEYS:
        raise _malformed(f"not an object of {sorted(PROXY_KEYS)}")
    status = document.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _malformed(f"statusCode {status!r}")
    body, single, multi = (
        document.get("body"),
        document.get("headers") or {},
        document.get("multiValueHeaders") or {},
    )
    if body is not None and not isinstance(body, str):
        raise _malformed("body is not a string")
    if (
        not isinstance(single, dict)
        or not isinstance(multi, dict)
        or not all(isinstance(v, list) for v in multi.values())
    ):
        raise _malformed("headers / multiValueHeaders")
    data = (body or "").encode()
    if document.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body or "", validate=True)
        except (binascii.Error, ValueError):
            raise _malformed("body is not base64") from None
    headers = [(str(k), _text(v)) for k, values in multi.items() for v in values]
    headers += [
        (str(k), _text(v)) for k, v in single.items() if str(k).lower() not in {h.lower() for h in multi}
    ]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Answer(status, [*headers, ("x-amzn-RequestId", request_id)], data)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _within(seconds: float, work: Callable[[], Any]) -> tuple[bool, Any]:
    """(finished, its result) of ``work`` run on its own thread for at most ``seconds``; it runs on after."""
    done, box = threading.Event(), {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the waiting request
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="apigateway-integration", daemon=True).start()
    if not done.wait(seconds):
        return False, None
    if "error" in box:
        raise box["error"]
    return True, box.get("value")


def _function_arn(served: Served, integration: Mapping[str, Any]) -> str:
    found = LAMBDA_URI.fullmatch(str(integration.get("uri") or ""))
    if not found:
        raise NotModelled(f"AWS_PROXY to {integration.get('uri')!r}: only Lambda function URIs are modelled")
    variables = served.stage.variables or {}
    return re.sub(
        r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: str(variables.get(m.group(1), "")), found["fn"]
    )


def _config_error(why: str) -> GatewayError:
    return GatewayError("API_CONFIGURATION_ERROR", "Internal server error", why=why)


def check_invoke(served: Served, function_arn: str, credentials: str | None) -> None:
    """API Gateway may invoke the function: its resource policy, or the integration's role (500 if not)."""
    if not awslambda.function_exists(function_arn):
        raise _config_error(f"no function {function_arn}")
    if not authz.enabled():
        return
    assert served.found is not None
    source = served.arn(served.found.resource_path)
    if credentials:
        if ":user/*" in credentials:
            raise NotModelled(
                "integration credentials of the caller (arn:aws:iam::*:user/*) are not modelled"
            )
        try:
            principal = acting.assume(credentials, SERVICE, served.region, source, served.account)
        except acting.Refused as refused:
            raise _config_error(str(refused)) from None
        denied = awslambda.may_invoke(principal, function_arn)
    else:
        denied = awslambda.service_may_invoke(SERVICE, function_arn, source, served.account)
    if denied is not None:
        USAGE.refuse(
            served.account, "apigateway", f"invocation of {function_arn} for {source}", denied.message
        )
        raise _config_error(f"Invalid permissions on Lambda function: {denied.message}")


def lambda_proxy(served: Served, integration: Mapping[str, Any]) -> Answer:
    function_arn = _function_arn(served, integration)
    check_invoke(served, function_arn, integration.get("credentials"))
    parts = function_arn.split(":")
    fn = lambda_backend(parts[4], parts[3]).get_function(function_arn, None)
    event = json.dumps(proxy_event(served))
    timeout = int(integration.get("timeoutInMillis") or TIMEOUT_MS) / 1000.0
    started = time.perf_counter()
    try:
        finished, result = _within(timeout, lambda: awslambda.execute(fn, event, function_arn))
    except awslambda.NotModelled as exc:
        raise NotModelled(exc.message.removeprefix("launchpad sandbox: ")) from None
    except JsonRESTError as exc:
        raise GatewayError(
            "DEFAULT_5XX", "Internal server error", 502, why=f"invocation failed: {exc.message}"
        ) from None
    finally:
        served.integration_ms = (time.perf_counter() - started) * 1000
    if not finished:
        raise GatewayError("INTEGRATION_TIMEOUT", "Endpoint request timed out", why=f"after {timeout:.3f} s")
    if result.function_error:
        why = f"function error: {result.payload[:300]!r}"
        raise GatewayError("DEFAULT_5XX", "Internal server error", 502, why=why)
    served.integration_status = 200
    return proxy_answer(result.payload, served.request_id)


def mock(served: Served, integration: Mapping[str, Any]) -> Answer:
    """A MOCK integration: literal templates only (module docstring)."""
    template = (integration.get("requestTemplates") or {}).get("application/json") or ""
    try:
        status = int(json.loads(template).get("statusCode", 200)) if template.strip() else 200
    except (ValueError, AttributeError, TypeError):
        raise NotModelled('a MOCK request template beyond {"statusCode": <n>} is not modelled') from None
    response = (integration.get("integrationResponses") or {}).get(str(status)) or {}
    body = (response.get("responseTemplates") or {}).get("application/json") or ""
    headers = [
        (key[len("method.response.header.") :], value[1:-1])
        for key, value in (response.get("responseParameters") or {}).items()
        if key.startswith("method.response.header.") and value.startswith("'") and value.endswith("'")
    ]
    served.integration_status = status
    return Answer(
        status,
        [*headers, ("Content-Type", "application/json"), ("x-amzn-RequestId", served.request_id)],
        body.encode(),
    )


def integrate(served: Served) -> Answer:
    assert served.found is not None
    integration = served.found.method.get("methodIntegration") or {}
    kind = integration.get("type")
    if kind == "AWS_PROXY":
        return lambda_proxy(served, integration)
    if kind == "MOCK":
        return mock(served, integration)
    raise NotModelled(f"{kind} integrations are not modelled (AWS_PROXY to Lambda and MOCK are)")
