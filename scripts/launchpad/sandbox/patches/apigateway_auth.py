"""Who may call a REST API method, and how often: IAM (SigV4), Cognito user pool tokens, API keys and usage
plans, as API Gateway decides them (``launchpad.sandbox.patches.apigateway`` serves the stage).

AWS (API Gateway Developer Guide, "Control access to a REST API with IAM permissions" (``execute-api:Invoke``
on ``arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}``), "Control access to REST APIs
using Amazon Cognito user pools as an authorizer", "Usage plans and API keys for REST APIs in API Gateway",
"Throttle requests to your REST APIs for better throughput in API Gateway" (token bucket: rate and burst);
IAM User Guide "Signing AWS API requests" (SigV4, the 15-minute clock skew); Amazon Cognito Developer Guide
"Verifying a JSON Web Token"; Knowledge Center "How do I troubleshoot HTTP 403 errors from API Gateway?"):

- ``AWS_IAM``: no ``Authorization`` header is 403 ``Missing Authentication Token``; a key the sandbox did not
  issue is 403 ``The security token included in the request is invalid.`` (``AccessDeniedException``), a
  session whose ``X-Amz-Security-Token`` is not its own likewise, an expired one 403 ``The security token
  included in the request is expired``; a signature that does not match (recomputed with the key's secret:
  an STS session's or IAM user's from moto, ``launchpad.aws.SANDBOX_SECRET`` for an account's 12-digit
  administrative key) or is scoped to another service or region, or an ``X-Amz-Date`` more than 15 minutes
  off, is 403 ``InvalidSignatureException``. Then the caller (``authz.principals.KEYS``) must be allowed
  ``execute-api:Invoke`` on the method's ARN by its policies (``authz.gate.decide``), else 403 ``User: <arn>
  is not authorized to perform: execute-api:Invoke on resource: <arn>`` (``... with an explicit deny``).
- ``COGNITO_USER_POOLS``: the token is the whole value of the authorizer's ``identitySource`` header (no
  ``Bearer`` prefix). It must be an RS256 JWT signed with the key of one of the authorizer's user pools
  (moto's pool key), ``iss`` that pool, not expired (``exp``); a method without authorization scopes takes
  an ID token (``token_use`` ``id``, ``aud`` a client of the pool), one with scopes an access token
  (``client_id`` a client of the pool, a ``scope`` among the method's). Missing, forged, expired or the
  wrong kind: 401 ``Unauthorized``. The token's claims (as strings) go to the integration.
- API keys: a method with ``apiKeyRequired`` needs ``x-api-key`` naming an enabled key in a usage plan that
  has this API's stage, else 403 ``Forbidden``. Each request then takes a token from the usage plan's bucket
  for the key (``throttle``, and the plan's per-method throttle for this API stage), and from the stage's
  bucket for the method (``methodSettings`` ``throttlingRateLimit``/``throttlingBurstLimit``, the method's
  own or ``*/*``; a negative value is unset); an empty bucket is 429 ``Too Many Requests``. Then the plan's
  ``quota`` (``limit`` per ``DAY``, ``WEEK`` or ``MONTH``, UTC calendar periods) counts the request; over it,
  429 ``Limit Exceeded``.

Not modelled: the quota's ``offset`` (periods start on UTC calendar boundaries, weeks on Mondays), the
account-level throttle (10,000 requests per second), API keys from a Lambda authorizer
(``apiKeySource`` ``AUTHORIZER``, refused with 501), and presigned (query string) SigV4.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials
from joserfc import jwk, jwt
from joserfc.errors import JoseError
from moto.cognitoidp.models import cognitoidp_backends
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from launchpad.aws import SANDBOX_SECRET
from launchpad.sandbox import authz
from launchpad.sandbox.authz import context, gate
from launchpad.sandbox.authz.calls import Transport
from launchpad.sandbox.authz.principals import ADMIN, KEYS, ROLE, USER, Principal, UnknownCredentials
from launchpad.sandbox.authz.requests import Check
from launchpad.sandbox.patches.apigateway_responses import GatewayError

log = logging.getLogger(__name__)

SERVICE = "execute-api"
SKEW = timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<sig>[0-9a-f]{64})"
)
INVALID_TOKEN = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


# -- AWS_IAM -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signed:
    """What a SigV4-signed request to the stage carries."""

    method: str
    url: str  # as the client sent it (its path still percent-encoded)
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


class _Verifier(SigV4Auth):
    """botocore's SigV4, over exactly the headers the client said it signed."""

    def __init__(self, credentials: Credentials, region: str, signed: list[str]) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        chosen = HTTPHeaders()
        for name in self._signed:
            value = request.headers.get(name)
            if value is not None:
                chosen[name] = value
        return chosen


def _secret(principal: Principal, access_key: str) -> tuple[str, str | None, datetime | None] | None:
    """(secret key, session token, expiry) of an access key the sandbox issued; None if it has none."""
    if principal.kind == ADMIN:
        return SANDBOX_SECRET, None, None
    if principal.kind == ROLE:
        backend = sts_backends[principal.account][principal.partition]
        for assumed in backend.assumed_roles:
            if assumed.access_key_id == access_key:
                return assumed.secret_access_key, assumed.session_token, assumed.expiration
        return None
    if principal.kind == USER and principal.user_name:
        user = iam_backends[principal.account][principal.partition].users.get(principal.user_name)
        for key in getattr(user, "access_keys", None) or []:
            if key.access_key_id == access_key and key.status == "Active":
                return key.secret_access_key, None, None
    return None


def _check_date(stamp: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise GatewayError("INVALID_SIGNATURE", "Date must be in ISO-8601 'basic format'.") from None
    fmt = "%Y%m%dT%H%M%SZ"
    if signed_at < now - SKEW:
        raise GatewayError(
            "INVALID_SIGNATURE",
            f"Signature expired: {stamp} is now earlier than {(now - SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} - 15 min.)",
        )
    if signed_at > now + SKEW:
        raise GatewayError(
            "INVALID_SIGNATURE",
            f"Signature not yet current: {stamp} is still later than {(now + SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} + 15 min.)",
        )


def verify(request: Signed, region: str, now: datetime | None = None) -> Principal:
    """The principal whose key signed ``request`` for ``execute-api`` in ``region`` (GatewayError if none)."""
    header = request.headers.get("authorization")
    if not header:
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", why="unsigned")
    found = _AUTHORIZATION.fullmatch(header.strip())
    stamp = request.headers.get("x-amz-date", "")
    if not found or not stamp:
        raise GatewayError(
            "INVALID_SIGNATURE",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters, and "
            "the request an X-Amz-Date header.",
            why=f"incomplete signature {header[:60]!r}",
        )
    if found["service"] != SERVICE:
        raise GatewayError(
            "INVALID_SIGNATURE", "Credential should be scoped to correct service: 'execute-api'."
        )
    if found["region"] != region:
        raise GatewayError(
            "INVALID_SIGNATURE", f"Credential should be scoped to a valid region, not '{found['region']}'."
        )
    _check_date(stamp, now or datetime.now(UTC))
    try:
        principal = KEYS.identify(found["key"])
    except UnknownCredentials:
        raise GatewayError("ACCESS_DENIED", INVALID_TOKEN, why=f"unknown key {found['key']}") from None
    secret = _secret(principal, found["key"])
    if secret is None:
        raise GatewayError("ACCESS_DENIED", INVALID_TOKEN, why=f"no secret for {found['key']}")
    secret_key, token, expires = secret
    if token is not None and not hmac.compare_digest(request.headers.get("x-amz-security-token", ""), token):
        raise GatewayError("ACCESS_DENIED", INVALID_TOKEN, why="session token is not the key's")
    if expires is not None and expires.replace(tzinfo=UTC) < (now or datetime.now(UTC)):
        raise GatewayError("EXPIRED_TOKEN", "The security token included in the request is expired")
    verifier = _Verifier(Credentials(found["key"], secret_key, token), region, found["signed"].split(";"))
    aws_request = AWSRequest(request.method, request.url, dict(request.headers), request.body)
    aws_request.context["timestamp"] = stamp
    expected = verifier.signature(
        verifier.string_to_sign(aws_request, verifier.canonical_request(aws_request)), aws_request
    )
    if not hmac.compare_digest(expected, found["sig"]):
        raise GatewayError("INVALID_SIGNATURE", MISMATCH, why=f"signature mismatch for {found['key']}")
    return principal


def authorize(principal: Principal, method_arn: str, region: str) -> None:
    """``execute-api:Invoke`` on the method's ARN, by the caller's policies (GatewayError if denied)."""
    if not authz.enabled():
        return
    needed = Check("execute-api:Invoke", method_arn, context.base(principal, region, Transport()))
    decision = gate.decide(principal, needed)
    if decision.allowed:
        return
    explicit = " with an explicit deny" if decision.denied_by else ""
    raise GatewayError(
        "ACCESS_DENIED",
        f"User: {principal.arn} is not authorized to perform: execute-api:Invoke on resource: {method_arn}"
        f"{explicit}",
        why=decision.reason,
    )


def iam_identity(principal: Principal, access_key: str) -> dict[str, Any]:
    """``requestContext.identity`` of an IAM caller."""
    caller = principal.account if principal.kind == ADMIN else principal.arn
    if principal.kind == ROLE and principal.role_arn:
        try:
            role = iam_backends[principal.account][principal.partition].get_role_by_arn(principal.role_arn)
            caller = f"{role.id}:{principal.session_name}"
        except Exception:  # the role is gone: its ARN names it
            caller = principal.arn
    return {
        "accessKey": access_key,
        "accountId": principal.account,
        "caller": caller,
        "user": caller,
        "userArn": principal.arn,
    }


# -- COGNITO_USER_POOLS --------------------------------------------------------------------------------------
def _pool(arn: str) -> Any:
    parts = arn.split(":")
    if len(parts) != 6 or not parts[5].startswith("userpool/"):
        return None
    return cognitoidp_backends[parts[4]][parts[3]].user_pools.get(parts[5].split("/", 1)[1])


def _unauthorized(why: str) -> GatewayError:
    return GatewayError("UNAUTHORIZED", "Unauthorized", why=why)


def _claims(token: str, pools: list[Any]) -> tuple[dict[str, Any], Any]:
    """The token's claims and its pool: signed with the pool's public key, ``iss`` the pool."""
    for pool in pools:
        public = jwk.RSAKey.import_key(pool.json_web_key.as_dict(private=False))
        try:
            claims = dict(jwt.decode(token, public, algorithms=["RS256"]).claims)
        except (JoseError, ValueError, TypeError):
            continue
        if claims.get("iss") == f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}":
            return claims, pool
    raise _unauthorized("no user pool of the authorizer signed the token")


def _as_text(name: str, value: Any) -> str:
    if name in ("exp", "iat", "auth_time") and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def cognito(
    authorizer: Mapping[str, Any],
    headers: Mapping[str, str],
    scopes: list[str] | None,
    now: float | None = None,
) -> dict[str, str]:
    """The claims of the caller's Cognito token (module docstring), as strings; GatewayError 401 if none."""
    source = str(authorizer.get("identitySource") or "method.request.header.Authorization")
    token = headers.get(source.removeprefix("method.request.header.").lower(), "").strip()
    if not token:
        raise _unauthorized(f"no token in {source}")
    pools = [p for p in (_pool(a) for a in authorizer.get("providerARNs") or []) if p is not None]
    claims, pool = _claims(token, pools)
    if float(claims.get("exp") or 0) <= (now if now is not None else time.time()):
        raise _unauthorized("the token has expired")
    if scopes:
        granted = set(str(claims.get("scope") or "").split())
        if claims.get("token_use") != "access" or not granted & set(scopes):
            raise _unauthorized(f"an access token with a scope among {scopes} is needed")
        client = claims.get("client_id")
    else:
        if claims.get("token_use") != "id":
            raise _unauthorized("a method without authorization scopes takes an ID token")
        client = claims.get("aud")
    if client not in pool.clients:
        raise _unauthorized(f"{client} is not a client of user pool {pool.id}")
    return {k: _as_text(k, v) for k, v in claims.items()}


# -- API keys, usage plans, throttling and quotas ------------------------------------------------------------
def api_key(backend: Any, value: str | None, api_id: str, stage: str) -> tuple[Any, Any]:
    """(the API key, its usage plan for this API stage); 403 Forbidden unless both exist and the key is on."""
    key = next((k for k in backend.keys.values() if value and k.value == value), None)
    if key is None or not key.enabled:
        raise GatewayError("INVALID_API_KEY", "Forbidden", why="no enabled API key with that value")
    for plan in backend.usage_plans.values():
        staged = any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages)
        if staged and key.id in backend.usage_plan_keys.get(plan.id, {}):
            return key, plan
    raise GatewayError(
        "INVALID_API_KEY", "Forbidden", why=f"key {key.id} is in no usage plan of {api_id}/{stage}"
    )


@dataclass
class TokenBucket:
    """``rate`` tokens a second up to ``burst``; a request takes one."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + max(now - self.updated, 0.0) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _limit(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number < 0 else number


def method_setting(settings: Mapping[str, Any], resource_path: str, method: str) -> Mapping[str, Any]:
    """The stage's method settings of one method: its own (``~1ask/POST``), else ``*/*``, else none."""
    escaped = resource_path.lstrip("/").replace("/", "~1")
    for key in (f"~1{escaped}/{method}", f"{resource_path.lstrip('/')}/{method}", "*/*"):
        if key in settings:
            return dict(settings[key])
    return {}


def period_start(period: str, now: datetime) -> str:
    """The quota period ``now`` falls in (UTC): DAY, WEEK (from Monday) or MONTH."""
    if period == "MONTH":
        return now.strftime("%Y-%m")
    if period == "WEEK":
        return (now.date() - timedelta(days=now.weekday())).isoformat()
    return now.date().isoformat()


class Limits:
    """The token buckets and quota counters of the sandbox; clocks injectable (tests)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clock = clock
        self.wall = wall
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._used: dict[tuple[str, str], tuple[str, int]] = {}
        self._lock = threading.Lock()

    def take(self, scope: tuple[str, ...], rate: float | None, burst: float | None) -> bool:
        """A token from the bucket of ``scope`` (True when there is no limit)."""
        if rate is None and burst is None:
            return True
        rate = rate if rate is not None else float("inf")
        burst = burst if burst is not None else max(rate, 1.0)
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(scope)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[scope] = TokenBucket(rate, burst, burst, now)
            return bucket.take(now)

    def count(self, plan: str, key: str, quota: Mapping[str, Any]) -> bool:
        """Count one request against the plan's quota for the key; False when over it."""
        limit = _limit(quota.get("limit"))
        if limit is None:
            return True
        with self._lock:
            window = period_start(str(quota.get("period") or "DAY"), self.wall())
            started, used = self._used.get((plan, key), (window, 0))
            if started != window:
                used = 0
            if used >= limit:
                return False
            self._used[(plan, key)] = (window, used + 1)
            return True

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._used.clear()


LIMITS = Limits()


@dataclass(frozen=True)
class Metered:
    """One request to meter: the API stage and method, and its usage plan key (if the method takes one)."""

    api_id: str
    stage: str
    resource_path: str
    method: str
    method_settings: Mapping[str, Any]
    plan: Any = None
    key: Any = None


Bucket = tuple[tuple[str, ...], float | None, float | None]  # scope, rate, burst


def _bucket(scope: tuple[str, ...], limits: Mapping[str, Any], rate: str, burst: str) -> Bucket:
    return scope, _limit(limits.get(rate)), _limit(limits.get(burst))


def buckets(request: Metered) -> list[Bucket]:
    """The stage's bucket for the method, and the usage plan's for the key (and for the method)."""
    method = (request.api_id, request.stage, request.resource_path, request.method)
    setting = method_setting(request.method_settings, request.resource_path, request.method)
    found = [_bucket(("stage", *method), setting, "throttlingRateLimit", "throttlingBurstLimit")]
    if request.plan is None:
        return found
    plan, key = request.plan, request.key
    found.append(_bucket(("plan", plan.id, key.id), plan.throttle or {}, "rateLimit", "burstLimit"))
    for staged in plan.api_stages:
        if (staged.get("apiId"), staged.get("stage")) == (request.api_id, request.stage):
            own = (staged.get("throttle") or {}).get(f"{request.resource_path}/{request.method}") or {}
            if own:
                found.append(
                    _bucket(("plan-method", plan.id, key.id, *method), own, "rateLimit", "burstLimit")
                )
    return found


def meter(request: Metered, limits: Limits = LIMITS) -> None:
    """Throttle (the stage's method bucket, the plan's key buckets), then the quota (GatewayError 429)."""
    for scope, rate, burst in buckets(request):
        if not limits.take(scope, rate, burst):
            raise GatewayError("THROTTLED", "Too Many Requests", why=f"bucket {scope} is empty")
    plan = request.plan
    if plan is not None and not limits.count(plan.id, request.key.id, plan.quota or {}):
        raise GatewayError("QUOTA_EXCEEDED", "Limit Exceeded", why=f"quota of plan {plan.id} used up")
