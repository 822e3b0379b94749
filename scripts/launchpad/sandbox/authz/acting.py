"""AWS services acting on a customer's behalf, under the same rules as any caller.

Where AWS does work for a customer (SageMaker reading a model artifact as the execution role, S3 writing
server access logs as ``logging.s3.amazonaws.com``), the sandbox does it in-process. The service first takes
the role the way AWS does (``assume``: the role's trust policy must allow the service principal, with
``aws:SourceArn`` and ``aws:SourceAccount`` naming the resource it acts for), then each thing it does is the
API call it amounts to (``call``), authorized exactly as that call from that principal would be over HTTP
(``check``): the same action and resource mapping, the same dependent actions (an SSE-KMS write needs
``kms:GenerateDataKey``), the same policies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from launchpad.sandbox.authz import context, principals, requests
from launchpad.sandbox.authz.calls import Call, Transport
from launchpad.sandbox.authz.evaluate import Decision
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.authz.requests import Check

SIGNING_NAMES = {"cloudwatch": "monitoring", "sagemaker-runtime": "sagemaker"}
ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@/-]+/)?[\w+=,.@-]+", re.ASCII)


@dataclass(frozen=True)
class Denied:
    """A refused authorization: the check, the decision, and AWS's message for it."""

    check: Check
    decision: Decision
    message: str


class Refused(PermissionError):
    """A service could not act: ``denied`` says which authorization failed."""

    def __init__(self, message: str, denied: Denied | None = None) -> None:
        super().__init__(message)
        self.denied = denied


def call(service: str, operation: str, params: Mapping[str, Any], region: str, **headers: str) -> Call:
    """The API call an in-process action amounts to."""
    return Call(
        service=service,
        signing_name=SIGNING_NAMES.get(service, service),
        operation=operation,
        params=dict(params),
        access_key="",
        region=region,
        headers={k.replace("_", "-").lower(): v for k, v in headers.items()},
        transport=Transport(),
    )


def message(principal: Principal, check: Check, decision: Decision) -> str:
    """AWS's access-denied message: who, which action, which resource, and why."""
    return (
        f"User: {principal.arn} is not authorized to perform: {check.action} on resource: {check.resource} "
        f"{decision.reason}"
    )


def source(arn: str, account: str) -> dict[str, tuple[str, ...]]:
    """The keys a service acting for a resource of an account adds (confused-deputy conditions)."""
    return {"aws:sourcearn": (arn,), "aws:sourceaccount": (account,), "aws:sourceowner": (account,)}


def check(
    principal: Principal, made: Call, extra: Mapping[str, tuple[str, ...]] | None = None
) -> Denied | None:
    """Authorize ``made`` as ``principal``'s call (None: every authorization it needs is allowed); ``extra``
    context keys are added to each authorization (a service principal's ``aws:SourceArn``).

    Raises ``arns.MappingError`` when the sandbox cannot tell what the call needs."""
    from launchpad.sandbox.authz.gate import decide

    for needed in requests.plan(made, principal).checks:
        if extra:
            needed = Check(
                needed.action, needed.resource, {**needed.context, **extra}, needed.dependent_of, needed.via
            )
        decision = decide(principal, needed)
        if not decision.allowed:
            return Denied(needed, decision, message(principal, needed, decision))
    return None


def assume(
    role_arn: str,
    service: str,
    region: str,
    source_arn: str | None = None,
    source_account: str | None = None,
    session_name: str | None = None,
) -> Principal:
    """``service`` takes ``role_arn`` to act for ``source_arn`` of ``source_account``; Refused unless the
    role exists and its trust policy allows it."""
    from launchpad.sandbox.authz.gate import decide

    found = ROLE_ARN.fullmatch(role_arn)
    if not found:
        raise Refused(f"{role_arn!r} is not an IAM role ARN")
    partition, account = found.group(1), found.group(2)
    caller = principals.service(service, source_account or account, partition)
    ctx = context.base(caller, region, Transport())
    if source_arn:
        ctx["aws:sourcearn"] = (source_arn,)
    if source_account:
        ctx["aws:sourceaccount"] = (source_account,)
        ctx["aws:sourceowner"] = (source_account,)
    needed = Check("sts:AssumeRole", role_arn, ctx)
    decision = decide(caller, needed)
    if not decision.allowed:
        text = f"{service} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        text = f"{text} {decision.reason}"
        raise Refused(text, Denied(needed, decision, text))
    name = session_name or service.split(".")[0].capitalize()
    return principals.role_session(role_arn, name, via_service=service)
