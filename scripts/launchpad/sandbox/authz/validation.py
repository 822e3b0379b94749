"""Policies are checked when they are put, as each service checks them, before moto stores anything.

A malformed document, or one over its size limit, is refused with the service's own error (IAM
``MalformedPolicyDocument``/``LimitExceeded``, S3 ``MalformedPolicy``, KMS
``MalformedPolicyDocumentException``/``LimitExceededException``, SNS ``InvalidParameter``, ECR
``InvalidParameterException``, SageMaker and STS ``ValidationError``/``MalformedPolicyDocument``), naming
the policy and the element. A valid document the sandbox cannot evaluate (a condition key it cannot supply,
a policy variable in a Resource) is refused with ``LaunchpadSandboxUnsupported`` (HTTP 400) rather than
stored and guessed at: AWS would accept it, the sandbox says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.iam.models import iam_backends

from launchpad.sandbox import authz
from launchpad.sandbox.authz import context, documents
from launchpad.sandbox.authz.calls import Call
from launchpad.sandbox.authz.documents import PolicyDocument, PolicyError, PolicyKind, UnsupportedPolicy

UNSUPPORTED_CODE = "LaunchpadSandboxUnsupported"


@dataclass(frozen=True)
class Put:
    """Where a call carries a policy, what kind it is, its limit and the service's errors."""

    text: Callable[[Mapping[str, Any]], Any]
    kind: PolicyKind
    name: Callable[[Mapping[str, Any]], str]
    max_size: int | None
    count_whitespace: bool
    malformed: str  # the service's error code for a malformed document
    too_large: str  # ... and for one over the limit
    resource_implied: bool = False  # statements may leave Resource out (it is the resource itself)


def _iam(kind: PolicyKind, text: str, name: Callable[[Mapping[str, Any]], str], limit: int) -> Put:
    return Put(lambda p: p.get(text), kind, name, limit, False, "MalformedPolicyDocument", "LimitExceeded")


def _sns_policy(params: Mapping[str, Any]) -> Any:
    if params.get("AttributeName") == "Policy":
        return params.get("AttributeValue")
    attributes = params.get("Attributes") or {}
    return attributes.get("Policy") if isinstance(attributes, Mapping) else None


PUTS: dict[tuple[str, str], Put] = {
    ("iam", "CreateRole"): _iam(
        PolicyKind.TRUST,
        "AssumeRolePolicyDocument",
        lambda p: f"trust policy of role {p.get('RoleName')}",
        documents.ROLE_TRUST_POLICY_MAX,
    ),
    ("iam", "UpdateAssumeRolePolicy"): _iam(
        PolicyKind.TRUST,
        "PolicyDocument",
        lambda p: f"trust policy of role {p.get('RoleName')}",
        documents.ROLE_TRUST_POLICY_MAX,
    ),
    ("iam", "PutRolePolicy"): _iam(
        PolicyKind.IDENTITY,
        "PolicyDocument",
        lambda p: f'inline policy "{p.get("PolicyName")}" of role {p.get("RoleName")}',
        documents.ROLE_INLINE_POLICIES_MAX,
    ),
    ("iam", "PutUserPolicy"): _iam(
        PolicyKind.IDENTITY,
        "PolicyDocument",
        lambda p: f'inline policy "{p.get("PolicyName")}" of user {p.get("UserName")}',
        documents.USER_INLINE_POLICIES_MAX,
    ),
    ("iam", "PutGroupPolicy"): _iam(
        PolicyKind.IDENTITY,
        "PolicyDocument",
        lambda p: f'inline policy "{p.get("PolicyName")}" of group {p.get("GroupName")}',
        documents.GROUP_INLINE_POLICIES_MAX,
    ),
    ("iam", "CreatePolicy"): _iam(
        PolicyKind.IDENTITY,
        "PolicyDocument",
        lambda p: f"managed policy {p.get('PolicyName')}",
        documents.MANAGED_POLICY_MAX,
    ),
    ("iam", "CreatePolicyVersion"): _iam(
        PolicyKind.IDENTITY,
        "PolicyDocument",
        lambda p: f"managed policy {p.get('PolicyArn')}",
        documents.MANAGED_POLICY_MAX,
    ),
    ("sts", "AssumeRole"): Put(
        lambda p: p.get("Policy"),
        PolicyKind.IDENTITY,
        lambda p: f"session policy of {p.get('RoleArn')}",
        2048,  # STS AssumeRole Policy: "The plaintext ... can't exceed 2,048 characters"
        True,
        "MalformedPolicyDocument",
        "PackedPolicyTooLarge",
    ),
    ("s3", "PutBucketPolicy"): Put(
        lambda p: p.get("Policy"),
        PolicyKind.RESOURCE,
        lambda p: f"bucket policy of {p.get('Bucket')}",
        documents.BUCKET_POLICY_MAX,
        True,
        "MalformedPolicy",
        "MalformedPolicy",
    ),
    ("kms", "CreateKey"): Put(
        lambda p: p.get("Policy"),
        PolicyKind.RESOURCE,
        lambda p: "key policy of the new key",
        documents.KEY_POLICY_MAX,
        True,
        "MalformedPolicyDocumentException",
        "LimitExceededException",
    ),
    ("kms", "PutKeyPolicy"): Put(
        lambda p: p.get("Policy"),
        PolicyKind.RESOURCE,
        lambda p: f"key policy of {p.get('KeyId')}",
        documents.KEY_POLICY_MAX,
        True,
        "MalformedPolicyDocumentException",
        "LimitExceededException",
    ),
    ("sns", "CreateTopic"): Put(
        _sns_policy,
        PolicyKind.RESOURCE,
        lambda p: f"topic policy of {p.get('Name')}",
        documents.TOPIC_POLICY_MAX,
        True,
        "InvalidParameter",
        "InvalidParameter",
    ),
    ("sns", "SetTopicAttributes"): Put(
        _sns_policy,
        PolicyKind.RESOURCE,
        lambda p: f"topic policy of {p.get('TopicArn')}",
        documents.TOPIC_POLICY_MAX,
        True,
        "InvalidParameter",
        "InvalidParameter",
    ),
    ("ecr", "SetRepositoryPolicy"): Put(
        lambda p: p.get("policyText"),
        PolicyKind.RESOURCE,
        lambda p: f"repository policy of {p.get('repositoryName')}",
        documents.REPOSITORY_POLICY_MAX,
        True,
        "InvalidParameterException",
        "InvalidParameterException",
        resource_implied=True,
    ),
    ("sagemaker", "PutModelPackageGroupPolicy"): Put(
        lambda p: p.get("ResourcePolicy"),
        PolicyKind.RESOURCE,
        lambda p: f"resource policy of model package group {p.get('ModelPackageGroupName')}",
        documents.MODEL_PACKAGE_GROUP_POLICY_MAX,
        True,
        "ValidationException",
        "ValidationException",
    ),
}


@dataclass(frozen=True)
class Invalid:
    status: int
    code: str
    message: str


def _variables_in_resources(document: PolicyDocument) -> list[str]:
    return [
        f"{s.label}.{element}: policy variables in {element} ({value})"
        for s in document.statements
        for element, values in (("Resource", s.resource or ()), ("NotResource", s.not_resource or ()))
        for value in values
        if "${" in value
    ]


def _role_inline_total(params: Mapping[str, Any], account: str, text: str) -> int:
    """The size IAM counts for all of a role's inline policies once this one is put."""
    role = next(
        (r for r in iam_backends[account]["aws"].roles.values() if r.name == params.get("RoleName")), None
    )
    others = [t for n, t in (role.policies.items() if role else []) if n != params.get("PolicyName")]
    return sum(documents.size(t, False) for t in [*others, text])


def check(call: Call, account: str) -> Invalid | None:
    """The error a service answers for a bad policy in ``call``, or None when there is none."""
    put = PUTS.get((call.service, call.operation))
    if put is None:
        return None
    raw = put.text(call.params)
    if raw is None or raw == "":
        return None
    text = raw if isinstance(raw, str) else json.dumps(raw)
    name = put.name(call.params)
    supported = context.supported if authz.enabled() else None
    try:
        document = documents.parse(
            text,
            name=name,
            kind=put.kind,
            supported_key=supported,
            max_size=put.max_size if (call.service, call.operation) != ("iam", "PutRolePolicy") else None,
            count_whitespace=put.count_whitespace,
            resource_implied=put.resource_implied,
        )
    except PolicyError as error:
        too_large = any(p.startswith("size:") for p in error.problems)
        return Invalid(
            400 if not too_large or put.too_large != "LimitExceeded" else 409,
            put.too_large if too_large else put.malformed,
            str(error),
        )
    except UnsupportedPolicy as error:
        return Invalid(400, UNSUPPORTED_CODE, f"launchpad sandbox cannot evaluate {error}")
    if (call.service, call.operation) == ("iam", "PutRolePolicy"):
        total = _role_inline_total(call.params, account, text)
        if total > documents.ROLE_INLINE_POLICIES_MAX:
            return Invalid(
                409,
                "LimitExceeded",
                f"Maximum policy size of {documents.ROLE_INLINE_POLICIES_MAX} bytes exceeded for role "
                f"{call.params.get('RoleName')} ({name}: the role's inline policies would total {total} "
                "characters, white space not counted)",
            )
    if authz.enabled():
        unsupported = _variables_in_resources(document)
        if unsupported:
            return Invalid(
                400, UNSUPPORTED_CODE, f"launchpad sandbox cannot evaluate {name}: " + "; ".join(unsupported)
            )
    return None
