"""The request context: the condition keys the sandbox supplies, and the ones it cannot.

Global keys (IAM User Guide, "AWS global condition context keys"), from the caller and the transport:
``aws:SecureTransport``, ``aws:CurrentTime``, ``aws:EpochTime``, ``aws:PrincipalArn``,
``aws:PrincipalAccount``, ``aws:PrincipalType``, ``aws:userid``, ``aws:username`` (users),
``aws:PrincipalTag/<key>`` (role and user tags), ``aws:PrincipalIsAWSService``, ``aws:PrincipalServiceName``
(services), ``aws:SourceIp``, ``aws:RequestedRegion``, ``aws:ViaAWSService``, ``aws:CalledVia``,
``aws:CalledViaFirst``, ``aws:CalledViaLast``, ``aws:ResourceAccount``, and for a service acting for a
resource of the account ``aws:SourceArn``, ``aws:SourceAccount`` and ``aws:SourceOwner``. From the request:
``aws:RequestTag/<key>`` and ``aws:TagKeys``. Service keys are listed in ``SERVICE_KEYS``; each is filled in
by ``launchpad.sandbox.authz.requests`` for the operations it applies to.

Not supplied, so refused when a policy is put: ``aws:ResourceTag/*`` and service ``...:ResourceTag/*`` keys
(the sandbox does not read resource tags at authorization), ``aws:PrincipalOrgID`` and the other
organization keys (no AWS Organizations), ``aws:SourceVpc``/``aws:SourceVpce``/``aws:VpcSourceIp`` (no
network path), MFA and federation keys, and every service key not listed below.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from launchpad.sandbox.authz.calls import Transport
from launchpad.sandbox.authz.principals import ROLE, SERVICE, USER, Principal

Context = dict[str, tuple[str, ...]]
SOURCE_IP = "127.0.0.1"

GLOBAL_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:sourceip",
        "aws:requestedregion",
        "aws:viaawsservice",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "aws:resourceaccount",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:tagkeys",
    }
)
GLOBAL_PREFIXES = ("aws:principaltag/", "aws:requesttag/")
SERVICE_KEYS = frozenset(
    {
        "s3:x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:x-amz-server-side-encryption-customer-algorithm",
        "s3:tlsversion",
        "s3:prefix",
        "s3:delimiter",
        "s3:versionid",
        "s3:x-amz-acl",
        "s3:authtype",
        "s3:signatureversion",
        "s3:resourceaccount",
        "kms:calleraccount",
        "kms:viaservice",
        "kms:grantisforawsresource",
        "kms:grantoperations",
        "kms:granteeprincipal",
        "kms:encryptioncontextkeys",
        "iam:passedtoservice",
        "iam:awsservicename",
        "ec2:subnet",
        "ec2:vpc",
        "ec2:authorizedservice",
        "ec2:region",
        "cloudwatch:namespace",
        "sagemaker:modelapprovalstatus",
        "sagemaker:taggingaction",
        "sagemaker:volumekmskey",
        "sagemaker:volumekmskeyarn",
        "sagemaker:outputkmskeyarn",
        "sagemaker:intercontainertrafficencryption",
        "sagemaker:maxruntimeinseconds",
        "sagemaker:networkisolation",
        "sagemaker:vpcsubnets",
        "sagemaker:vpcsecuritygroupids",
        "sagemaker:instancetypes",
        "sts:externalid",
        "sts:rolesessionname",
    }
)
SERVICE_PREFIXES = ("kms:encryptioncontext:",)


def supported(key: str) -> bool:
    """Whether the sandbox can supply the condition key ``key`` (case-insensitive) when it applies."""
    key = key.lower()
    if key in GLOBAL_KEYS or key in SERVICE_KEYS:
        return True
    return key.startswith(GLOBAL_PREFIXES + SERVICE_PREFIXES)


def _now() -> tuple[str, str]:
    now = time.time()
    iso = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return iso, str(int(now))


def principal_keys(principal: Principal, tags: Mapping[str, str] | None = None) -> Context:
    """The keys that describe the caller."""
    if principal.kind == SERVICE:
        return {
            "aws:principalisawsservice": ("true",),
            "aws:principalservicename": (principal.arn,),
        }
    context: Context = {
        "aws:principalarn": (principal.role_arn or principal.arn,),
        "aws:principalaccount": (principal.account,),
        "aws:principaltype": (principal.principal_type,),
        "aws:principalisawsservice": ("false",),
    }
    if principal.kind == ROLE:
        context["aws:userid"] = (f"{principal.role_arn}:{principal.session_name}",)
    elif principal.kind == USER:
        context["aws:username"] = (principal.user_name or "",)
        context["aws:userid"] = (principal.arn,)
    else:
        context["aws:userid"] = (principal.account,)
    for key, value in (tags or {}).items():
        context[f"aws:principaltag/{key.lower()}"] = (value,)
    return context


def base(
    principal: Principal, region: str, transport: Transport, tags: Mapping[str, str] | None = None
) -> Context:
    """The global keys of a request ``principal`` makes to ``region`` over ``transport``."""
    iso, epoch = _now()
    context: Context = {
        "aws:currenttime": (iso,),
        "aws:epochtime": (epoch,),
        "aws:securetransport": ("true" if transport.secure else "false",),
        "aws:requestedregion": (region,),
        "aws:viaawsservice": ("false",),
        **principal_keys(principal, tags),
    }
    if principal.kind != SERVICE:
        context["aws:sourceip"] = (SOURCE_IP,)
    return context


def via(context: Mapping[str, Sequence[str]], service: str) -> Context:
    """The context of a request a service makes on the caller's behalf (a forward access session):
    ``aws:ViaAWSService`` true and the service appended to ``aws:CalledVia``."""
    called = (*context.get("aws:calledvia", ()), service)
    return {
        **{k: tuple(v) for k, v in context.items()},
        "aws:viaawsservice": ("true",),
        "aws:calledvia": called,
        "aws:calledviafirst": (called[0],),
        "aws:calledvialast": (called[-1],),
    }


def tag_keys(tags: Mapping[str, str]) -> Context:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` of the tags a request sets."""
    if not tags:
        return {}
    context: Context = {f"aws:requesttag/{k.lower()}": (v,) for k, v in tags.items()}
    context["aws:tagkeys"] = tuple(tags)
    return context
