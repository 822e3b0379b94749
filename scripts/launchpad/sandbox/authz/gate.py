"""The gate: every signed request is authorized before moto sees it, and refused as AWS refuses it.

A denial answers with the service's error code in its protocol's form (``AccessDenied`` for query and S3,
``UnauthorizedOperation`` for EC2, ``AuthorizationError`` for SNS, ``AccessDeniedException`` for JSON and
REST-JSON services) and AWS's message: who, which action, which resource, and why
(``User: arn:aws:sts::123456789012:assumed-role/deploy/build is not authorized to perform:
cloudwatch:PutMetricAlarm on resource: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:churn-rollback-5xx-rate
because no identity-based policy allows the cloudwatch:PutMetricAlarm action``). An access key the sandbox
did not issue is ``InvalidClientTokenId`` (``InvalidAccessKeyId`` in S3, ``UnrecognizedClientException`` in
JSON services). A call the sandbox cannot map to its authorization is refused with HTTP 501
``NotImplemented`` naming what is missing, never let through.

Unsigned requests are refused ("Anonymous access is not modelled"), except the Cognito user pools operations
that AWS serves without AWS credentials (``PUBLIC_COGNITO``: a browser signs a user in with ``InitiateAuth``
and a user manages their own account with an access token) and their CORS preflight, answered as Cognito's
endpoint answers any origin. Such a call reaches moto in the account and region of the user pool it names (its
``ClientId``, or the ``iss`` of its ``AccessToken``): on AWS the app client or token names the pool, where the
sandbox's other calls take the account from their access key.

``decide`` is the same decision for what the sandbox does in-process as an AWS service would (SageMaker
reading a model artifact as the execution role, S3 writing access logs as the logging service).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from moto.cognitoidp.models import cognitoidp_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from launchpad.sandbox import authz, routes
from launchpad.sandbox.authz import acting, calls, policies, validation
from launchpad.sandbox.authz.arns import MappingError
from launchpad.sandbox.authz.calls import Call, CallError
from launchpad.sandbox.authz.evaluate import Decision, Identity, Request, evaluate
from launchpad.sandbox.authz.principals import ADMIN, KEYS, ROLE, USER, Principal, UnknownCredentials
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.authz.requests import Check

log = logging.getLogger("launchpad.sandbox.authz")

ROUTE = "/_launchpad/authz/"
# Unsigned requests that are the sandbox's own (moto's and launchpad's routes), not AWS API calls.
OWN_ROUTES = ("/moto-api", "/_launchpad/", "/favicon.ico")
# Paths a patch serves and authorizes itself, as the AWS service does (API Gateway's stages: SigV4 for
# execute-api, Cognito tokens, API keys); registered with ``serves_itself``.
_SELF_AUTHORIZED: list[re.Pattern[str]] = []
_MARK = "_launchpad_authz_gate"
# Services with resource-based policies (or STS trust policies) that apply to the administrative caller too.
_ADMIN_CHECKED = policies.RESOURCE_POLICY_SERVICES
# The access-denied error code of each service (the API references' common errors); others use
# AccessDeniedException, the JSON services' code.
_ERROR_CODES = {
    "ec2": "UnauthorizedOperation",
    "sns": "AuthorizationError",
    "s3": "AccessDenied",
    "iam": "AccessDenied",
    "sts": "AccessDenied",
    "cloudwatch": "AccessDenied",
}
# An access key the sandbox did not issue: the query services' InvalidClientTokenId (CloudWatch keeps it in
# JSON), EC2's AuthFailure, S3's InvalidAccessKeyId, the JSON services' UnrecognizedClientException.
_UNKNOWN_KEY = {"ec2": "AuthFailure", "s3": "InvalidAccessKeyId", "cloudwatch": "InvalidClientTokenId"}
UNREACHABLE = "LaunchpadSandboxUnreachable"
# VPC endpoint short names of the services a call reaches (com.amazonaws.<region>.<name>).
ENDPOINT_NAMES = {
    "sagemaker": "sagemaker.api",
    "sagemaker-runtime": "sagemaker.runtime",
    "cloudwatch": "monitoring",
    "ecr": "ecr.api",
}

# Cognito user pools' operations that take no AWS credentials: those the service model marks
# ``smithy.api#noAuth`` (botocore's cognito-idp model, "authtype": "none"; the API reference says of each
# "Amazon Cognito doesn't evaluate Identity and Access Management (IAM) policies in requests for this API
# operation"). Authorized by what they carry instead: a client id (with the user's password, code or
# session) or the user's access token, which moto checks.
COGNITO_TARGET = "AWSCognitoIdentityProviderService."
PUBLIC_COGNITO = frozenset(
    {
        "AssociateSoftwareToken",
        "ChangePassword",
        "CompleteWebAuthnRegistration",
        "ConfirmDevice",
        "ConfirmForgotPassword",
        "ConfirmSignUp",
        "DeleteUser",
        "DeleteUserAttributes",
        "DeleteWebAuthnCredential",
        "ForgetDevice",
        "ForgotPassword",
        "GetDevice",
        "GetTokensFromRefreshToken",
        "GetUser",
        "GetUserAttributeVerificationCode",
        "GetUserAuthFactors",
        "GlobalSignOut",
        "InitiateAuth",
        "ListDevices",
        "ListUserSessions",
        "ListWebAuthnCredentials",
        "ResendConfirmationCode",
        "RespondToAuthChallenge",
        "RevokeToken",
        "RevokeUserSession",
        "SetUserMFAPreference",
        "SetUserSettings",
        "SignUp",
        "StartWebAuthnRegistration",
        "UpdateAuthEventFeedback",
        "UpdateDeviceStatus",
        "UpdateUserAttributes",
        "VerifySoftwareToken",
        "VerifyUserAttribute",
    }
)
# What Cognito's endpoint answers a browser: any origin, the JSON protocol's headers, POST; the preflight
# cached a day. The answers themselves carry the origin too, and expose the error headers to the page.
COGNITO_PREFLIGHT = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST"),
    ("Access-Control-Max-Age", "86400"),
)
COGNITO_ANSWER = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
)
_POOL_ISSUER = re.compile(r"https?://cognito-idp\.(?P<region>[^./]+)\.amazonaws\.com/(?P<pool>[^/]+)")


def _endpoint_name(service: str) -> str:
    return ENDPOINT_NAMES.get(service, service)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def serves_itself(pattern: str) -> None:
    """Let requests whose path fully matches ``pattern`` through to the patch that authorizes them itself."""
    _SELF_AUTHORIZED.append(re.compile(pattern))


def decide(principal: Principal, check: Check) -> Decision:
    """Allow or deny one authorization, and note it in the usage record."""
    identity = policies.identity(principal) if principal.kind in (ROLE, USER) else Identity()
    resource = policies.resource(check.resource, check.action)
    decision = evaluate(Request(principal, check.action, check.resource, check.context), identity, resource)
    USAGE.note(principal, check, decision)
    if not decision.allowed:
        log.info(
            "denied %s %s on %s %s%s",
            principal.arn,
            check.action,
            check.resource,
            decision.reason,
            f" ({decision.denied_by})" if decision.denied_by else "",
        )
    return decision


def authorize(call: Call) -> Refusal | None:
    """None if every authorization ``call`` needs is allowed, else the refusal to answer with."""
    try:
        principal = KEYS.identify(call.access_key)
    except UnknownCredentials:
        USAGE.count("unknown credentials")
        return Refusal(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    if principal.network is not None and _endpoint_name(call.service) not in principal.network:
        USAGE.count("unreachable")
        return Refusal(
            400,
            UNREACHABLE,
            f"launchpad sandbox: {principal.arn} runs in a VPC without a NAT gateway, which has no "
            f"{_endpoint_name(call.service)} endpoint: this {call.name} call would not reach the service "
            f"(the VPC reaches {', '.join(principal.network) or 'nothing'})",
        )
    if principal.kind == ADMIN and call.signing_name not in _ADMIN_CHECKED:
        return None  # full identity permissions, and no resource policy the sandbox could apply
    try:
        denied = acting.check(principal, call)
    except MappingError as exc:
        USAGE.count("unmapped")
        log.warning("refused (unmapped): %s", exc)
        return Refusal(501, "NotImplemented", f"launchpad sandbox: {exc}")
    if denied is None:
        return None
    if denied.check.refused_as:  # the service reports the missing permission as its own validation error
        return Refusal(400, denied.check.refused_as, f"Missing permission: {denied.message}")
    return Refusal(403, "AccessDenied", denied.message)


def admit(call: Call) -> Refusal | None:
    """Authorize ``call``, then check the policy documents it puts (as AWS: authorization first)."""
    refusal = authorize(call)
    if refusal is not None:
        return refusal
    try:
        account = KEYS.identify(call.access_key).account
    except UnknownCredentials:  # pragma: no cover - authorize refused it already
        return None
    invalid = validation.check(call, account)
    if invalid is None:
        return None
    USAGE.count("invalid policies")
    log.info("refused %s: %s %s", call.name, invalid.code, invalid.message)
    return Refusal(invalid.status, invalid.code, invalid.message)


# -- answering in the service's protocol ---------------------------------------------------------------------
def response(
    service: str, refusal: Refusal, method: str, protocol: str = "json"
) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of ``refusal`` as ``service`` answers it in the request's ``protocol``."""
    request_id = str(uuid.uuid4())
    code = refusal.code
    if code == "AccessDenied":
        code = _ERROR_CODES.get(service, "AccessDeniedException")
    elif code == "InvalidClientTokenId":
        default = "UnrecognizedClientException" if protocol in ("json", "rest-json") else code
        code = _UNKNOWN_KEY.get(service, default)
        if protocol == "ec2":
            refusal = Refusal(401, code, "AWS was not able to validate the provided access credentials")
        elif protocol == "rest-xml":
            refusal = Refusal(403, code, "The AWS Access Key Id you provided does not exist in our records.")
    status = refusal.status if protocol != "json" or refusal.status == 501 else 400
    message = escape(refusal.message)
    headers = [("x-amzn-RequestId", request_id)]
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": refusal.message}).encode()
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    elif protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-xml":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    if method == "HEAD":
        body = b""
    reason = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 501: "Not Implemented"}.get(
        status, "Error"
    )
    return f"{status} {reason}", headers, body


# -- Cognito's public operations -----------------------------------------------------------------------------
def public_cognito_operation(environ: dict[str, Any]) -> str | None:
    """The operation of an unsigned Cognito user pools call AWS serves without credentials, else None."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO", "/") not in ("", "/"):
        return None
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith(COGNITO_TARGET):
        return None
    operation = target[len(COGNITO_TARGET) :]
    return operation if operation in PUBLIC_COGNITO else None


def is_cognito_preflight(environ: dict[str, Any]) -> bool:
    """A browser's CORS preflight for a Cognito call: ``OPTIONS /`` asking to POST with ``X-Amz-Target``."""
    if environ.get("REQUEST_METHOD") != "OPTIONS" or environ.get("PATH_INFO", "/") not in ("", "/"):
        return False
    asked = {h.strip().lower() for h in environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",")}
    return (
        environ.get("HTTP_ORIGIN") is not None
        and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").upper() == "POST"
        and "x-amz-target" in asked
    )


def _body(environ: dict[str, Any]) -> bytes:
    """The request's body, put back for moto to read again."""
    stream, length = environ.get("wsgi.input"), environ.get("CONTENT_LENGTH")
    if stream is None or not length:
        return b""
    data = stream.read(int(length))
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def _token_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified (moto verifies the token; this only finds its pool)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def pool_home(body: bytes) -> tuple[str, str] | None:
    """(account, region) of the user pool an unsigned Cognito call names, by its ``ClientId`` or the issuer
    of its ``AccessToken``; None when no pool of the sandbox has it (moto then answers as for a stranger)."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    client_id = request.get("ClientId")
    pool_id = region = None
    if not isinstance(client_id, str):
        client_id = None
        issuer = _POOL_ISSUER.fullmatch(
            str(_token_claims(str(request.get("AccessToken", ""))).get("iss", ""))
        )
        if issuer is None:
            return None
        pool_id, region = issuer["pool"], issuer["region"]
    for account, regions in list(cognitoidp_backends.items()):
        for name, backend in list(regions.items()):
            if region is not None and name != region:
                continue
            for pool in list(backend.user_pools.values()):
                if pool.id == pool_id or (client_id is not None and client_id in pool.clients):
                    return account, name
    return None


def _public_cognito(
    original: Callable[..., Iterable[bytes]],
    app: Any,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
) -> Iterable[bytes] | None:
    """Serve an unsigned request that is one of Cognito's public operations or their preflight; None if it
    is neither."""
    if is_cognito_preflight(environ):
        USAGE.count("public")
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
        start_response(
            "200 OK",
            [*COGNITO_PREFLIGHT, ("Access-Control-Allow-Headers", asked), ("Content-Length", "0")],
        )
        return [b""]
    operation = public_cognito_operation(environ)
    if operation is None:
        return None
    USAGE.count("public")
    home = pool_home(_body(environ))
    if home is not None:  # the pool's account and region, as a signed call's key and scope would name them
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = home[0]
        environ["HTTP_HOST"] = f"cognito-idp.{home[1]}.amazonaws.com"

    def with_cors(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
        kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        return start_response(status, [*kept, *COGNITO_ANSWER], *rest)

    return original(app, environ, with_cors)


# -- the sandbox's own authz routes --------------------------------------------------------------------------
def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    what = environ.get("PATH_INFO", "")[len(ROUTE) :]
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    method = environ.get("REQUEST_METHOD", "GET")
    if what == "stats" and method == "GET":
        return 200, {"enabled": authz.enabled(), **USAGE.stats()}
    if what == "stats" and method == "DELETE":  # a measurement starts from here (make bench)
        USAGE.clear_timings()
        return 200, {"cleared": True}
    if what == "refusals" and method == "GET":
        return 200, {"refusals": USAGE.refusals(query.get("account"))}
    if what == "usage" and query.get("role"):
        if method == "DELETE":
            USAGE.clear(query["role"])
            return 200, {"role": query["role"], "cleared": True}
        return 200, USAGE.report(query["role"])
    return 404, {
        "error": f"GET|DELETE {ROUTE}stats, GET {ROUTE}refusals?account=<id>, "
        f"GET|DELETE {ROUTE}usage?role=<ARN>"
    }


def apply() -> None:
    """Put the gate in front of moto (idempotent)."""
    if getattr(DomainDispatcherApplication, _MARK, False):
        return
    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not authz.enabled() or any(p.fullmatch(path) for p in _SELF_AUTHORIZED):
            return original(self, environ, start_response)
        started = time.perf_counter()
        try:
            call = calls.parse(environ)
        except CallError as exc:
            USAGE.count("unreadable")
            log.warning("refused (unreadable): %s", exc)
            status, headers, body = response(
                "sts", Refusal(501, "NotImplemented", f"launchpad sandbox: {exc}"), "POST"
            )
            start_response(status, headers)
            return [body]
        if call is None:
            if environ.get("PATH_INFO", "").startswith(OWN_ROUTES):
                return original(self, environ, start_response)
            public = _public_cognito(original, self, environ, start_response)
            if public is not None:
                return public
            USAGE.count("anonymous")
            refusal: Refusal | None
            refusal, service = (
                Refusal(
                    403, "AccessDenied", "Anonymous access is not modelled by the sandbox: sign the request."
                ),
                "sts",
            )
        else:
            service = call.service
            try:
                refusal = admit(call)
            except Exception as exc:  # a bug of the sandbox's own: refuse loudly, never let the call through
                log.exception("authorization of %s failed", call.name)
                USAGE.count("errors")
                refusal = Refusal(
                    501, "NotImplemented", f"launchpad sandbox: authorizing {call.name} failed: {exc!r}"
                )
        USAGE.time(time.perf_counter() - started)
        if refusal is None:
            return original(self, environ, start_response)
        protocol = call.protocol if call is not None else "query"
        status, headers, body = response(service, refusal, environ.get("REQUEST_METHOD", "GET"), protocol)
        start_response(status, headers)
        return [body]

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]
    routes.add(ROUTE, _route)  # outside the gate: the sandbox's own control plane
    setattr(DomainDispatcherApplication, _MARK, True)
