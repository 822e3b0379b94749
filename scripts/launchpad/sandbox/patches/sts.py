"""STS and IAM credentials: role sessions through the role's trust policy, and who holds which access key.

AWS (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html; IAM User Guide, "Roles terms
and concepts", "How to use an external ID", "The confused deputy problem"): ``AssumeRole`` succeeds only when
the role's trust policy allows the caller (its principal, and conditions such as ``sts:ExternalId``), and,
unless the trust policy names the caller itself, the caller's identity policies allow ``sts:AssumeRole``. A
service assumes a role the same way, as its service principal, with ``aws:SourceArn`` and
``aws:SourceAccount`` naming the resource it acts for. ``GetCallerIdentity`` of the account's root
credentials answers ``arn:aws:iam::<account>:root``.

Stock moto hands out credentials for any role ARN without reading the trust policy. Here the authorization
gate checks ``AssumeRole`` against the trust policy (``launchpad.sandbox.authz``), and every key STS or
``iam:CreateAccessKey`` issues is recorded with its principal, so that later calls are made as that role
session or user.

A sandbox route plays an AWS service taking its role (what CodeBuild, CodePipeline or SageMaker do before
they act), so tests can run a workload with the role's own credentials::

    POST /_launchpad/service-session {"role_arn": ..., "service": "codebuild.amazonaws.com",
                                      "source_arn": ..., "source_account": ..., "session_name": ...}

It answers the session's credentials, or HTTP 403 with AWS's message when the trust policy refuses the
service (wrong principal, ``aws:SourceArn``/``aws:SourceAccount`` conditions unmet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.models import IAMBackend
from moto.sts.models import STSBackend, sts_backends
from moto.sts.responses import TokenResponse

from launchpad.sandbox import routes
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.principals import KEYS, Principal
from launchpad.sandbox.patches.accounts import account_from_headers

ROUTE = "/_launchpad/service-session"
_MARK = "_launchpad_sts_patch"


@dataclass(frozen=True)
class Session:
    principal: Principal
    access_key: str
    secret_key: str
    token: str

    def credentials(self) -> dict[str, str]:
        return {
            "AccessKeyId": self.access_key,
            "SecretAccessKey": self.secret_key,
            "SessionToken": self.token,
            "Arn": self.principal.arn,
        }


def _issue(role_arn: str, session_name: str, policy: str | None, via: str | None, region: str) -> Session:
    """Make the session in moto's STS and record whose it is."""
    partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
    backend = sts_backends[account][partition]
    assumed = backend.assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=policy,  # type: ignore[arg-type]
        duration=3600,
        external_id=None,  # type: ignore[arg-type]
    )
    return Session(
        principals.role_session(role_arn, session_name, policy, via_service=via),
        assumed.access_key_id,
        assumed.secret_access_key,
        assumed.session_token,
    )


def service_session(
    role_arn: str,
    service: str,
    source_arn: str | None,
    source_account: str | None,
    session_name: str,
    region: str,
) -> Session:
    """``service`` assumes ``role_arn`` for the resource ``source_arn`` of ``source_account`` and hands out
    the session's credentials (acting.Refused with AWS's message if the trust policy does not allow it)."""
    acting.assume(role_arn, service, region, source_arn, source_account, session_name)
    session = _issue(role_arn, session_name, None, service, region)
    KEYS.issue(session.access_key, session.principal)
    return session


def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if environ.get("REQUEST_METHOD") != "POST":
        return 404, {"error": "NotFound", "message": f"POST {ROUTE}"}
    try:
        session = service_session(
            body["role_arn"],
            body["service"],
            body.get("source_arn"),
            body.get("source_account"),
            body.get("session_name") or body["service"].split(".")[0],
            body.get("region") or "us-east-1",
        )
    except acting.Refused as refused:
        return 403, {"error": "AccessDenied", "message": str(refused)}
    return 200, {"Credentials": session.credentials()}


def apply() -> None:
    if getattr(STSBackend, _MARK, False):
        return
    original_assume = TokenResponse.assume_role

    def assume_role(self: TokenResponse) -> Any:
        result = original_assume(self)
        assumed = result.result["Credentials"]  # type: ignore[index]
        KEYS.issue(
            assumed.access_key_id,
            principals.role_session(assumed.role_arn, assumed.session_name, assumed.policy or None),
        )
        return result

    original_identity = TokenResponse.get_caller_identity

    def get_caller_identity(self: TokenResponse) -> Any:
        account = account_from_headers(self.headers)
        if account is None:
            return original_identity(self)
        # The account's administrative caller is its root user.
        root = principals.admin(account, self.partition).arn
        return ActionResult({"UserId": account, "Account": account, "Arn": root})

    original_create_key = IAMBackend.create_access_key

    def create_access_key(
        self: IAMBackend, user_name: str, prefix: str = "AKIA", status: str = "Active"
    ) -> Any:
        key = original_create_key(self, user_name, prefix, status)
        KEYS.issue(key.access_key_id, principals.user(self.get_user(user_name).arn))
        return key

    original_delete_key = IAMBackend.delete_access_key

    def delete_access_key(self: IAMBackend, access_key_id: str, user_name: str) -> None:
        original_delete_key(self, access_key_id, user_name)
        KEYS.revoke(access_key_id)

    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
    TokenResponse.get_caller_identity = get_caller_identity  # type: ignore[method-assign]
    IAMBackend.create_access_key = create_access_key  # type: ignore[method-assign]
    IAMBackend.delete_access_key = delete_access_key  # type: ignore[method-assign]
    routes.add(ROUTE, _route)
    setattr(STSBackend, _MARK, True)
