"""The policies that apply to a request, read from moto's backends and parsed once per text.

Identity side: a role's inline and attached managed policies and its permissions boundary, plus the session
policy of an ``AssumeRole`` that passed one; a user's inline, attached and group policies and boundary.
Resource side, by the resource's ARN: S3 bucket policies, KMS key policies and grants, SNS topic policies,
SageMaker model package group policies (which also govern the group's model packages), ECR repository
policies, Lambda functions' resource-based policies (``AddPermission``: a version or alias has its own). A
service whose resources have no policy (or that the sandbox does not model) has none.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.ecr.models import ecr_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.sns.models import sns_backends

from launchpad.sandbox.authz import patterns
from launchpad.sandbox.authz.documents import PolicyDocument, PolicyKind, parse
from launchpad.sandbox.authz.evaluate import Grant, Identity, Resource
from launchpad.sandbox.authz.principals import ROLE, USER, Principal

log = logging.getLogger(__name__)

# Services whose resources can carry a resource-based policy the sandbox evaluates (STS: role trust policies).
RESOURCE_POLICY_SERVICES = frozenset({"s3", "kms", "sns", "sagemaker", "ecr", "sts"})


@lru_cache(maxsize=4096)
def document(text: str, name: str, kind: PolicyKind, resource_implied: bool = False) -> PolicyDocument:
    """A stored policy, parsed (it was validated when it was put)."""
    return parse(text, name=name, kind=kind, resource_implied=resource_implied)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else json.dumps(value)


def _default_version(policy: Any) -> str:
    return next(v.document for v in policy.versions if v.is_default)


# -- identity ----------------------------------------------------------------------------------------------
def _managed(account: str, partition: str, arn: str) -> Any:
    backend = iam_backends[account][partition]
    policy = backend.managed_policies.get(arn)
    if policy is None:
        policy = next((p for p in backend.aws_managed_policies if p.arn == arn), None)
    return policy


def _named_documents(owner: str, inline: dict[str, str], managed: dict[str, Any]) -> list[PolicyDocument]:
    documents = [
        document(_text(text), f'inline policy "{name}" of {owner}', PolicyKind.IDENTITY)
        for name, text in inline.items()
    ]
    documents += [
        document(_text(_default_version(policy)), f"managed policy {arn}", PolicyKind.IDENTITY)
        for arn, policy in managed.items()
    ]
    return documents


def _boundary(account: str, partition: str, arn: str | None) -> PolicyDocument | None:
    if not arn:
        return None
    policy = _managed(account, partition, arn)
    if policy is None:  # IAM refuses a boundary that does not exist; a deleted one allows nothing
        return parse(
            '{"Version":"2012-10-17","Statement":[]}', name=f"boundary {arn}", kind=PolicyKind.IDENTITY
        )
    return document(_text(_default_version(policy)), f"permissions boundary {arn}", PolicyKind.IDENTITY)


def identity(principal: Principal) -> Identity:
    """The identity-based policies of a role session or user (admin and services have none to read)."""
    backend = iam_backends[principal.account][principal.partition]
    if principal.kind == ROLE and principal.role_arn:
        try:
            role = backend.get_role_by_arn(principal.role_arn)
        except Exception:  # the role was deleted: its sessions keep no permissions
            return Identity()
        session = None
        if principal.session_policy:
            session = document(
                principal.session_policy, f"session policy of {principal.arn}", PolicyKind.IDENTITY
            )
        return Identity(
            tuple(_named_documents(f"role {role.name}", role.policies, role.managed_policies)),
            _boundary(principal.account, principal.partition, role.permissions_boundary_arn),
            session,
        )
    if principal.kind == USER and principal.user_name:
        user = backend.users.get(principal.user_name)
        if user is None:
            return Identity()
        documents = _named_documents(f"user {user.name}", user.policies, user.managed_policies)
        for group in backend.groups.values():
            if user in group.users:
                documents += _named_documents(f"group {group.name}", group.policies, group.managed_policies)
        boundary = _boundary(
            principal.account, principal.partition, getattr(user, "permissions_boundary", None)
        )
        return Identity(tuple(documents), boundary)
    return Identity()


def role_trust(role_arn: str) -> tuple[str, PolicyDocument] | None:
    """(the role's account, its trust policy), or None if there is no such role."""
    parts = patterns.arn_parts(role_arn)
    if parts is None:
        return None
    try:
        role = iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
    except Exception:
        return None
    return parts[4], document(
        _text(role.assume_role_policy_document), f"trust policy of role {role.name}", PolicyKind.TRUST
    )


# -- resources ---------------------------------------------------------------------------------------------
def _bucket(name: str) -> tuple[str, Any] | None:
    owner = s3_backends.bucket_accounts.get(name)
    if owner is None:
        return None
    partition, account = owner
    bucket = s3_backends[account][partition].buckets.get(name)
    return (account, bucket) if bucket is not None else None


def _s3(resource: str) -> Resource | None:
    name = resource.split(":::", 1)[-1].split("/", 1)[0]
    found = _bucket(name)
    if found is None:
        return None
    account, bucket = found
    policy = (
        document(_text(bucket.policy), f"bucket policy of {name}", PolicyKind.RESOURCE)
        if bucket.policy
        else None
    )
    return Resource(account, policy)


def _kms(parts: list[str]) -> Resource | None:
    _, _, _, region, account, rest = parts
    if not rest.startswith("key/"):
        return None
    key = kms_backends[account][region].keys.get(rest[len("key/") :])
    if key is None:
        return None
    policy = document(_text(key.policy), f"key policy of {key.arn}", PolicyKind.RESOURCE)
    grants = tuple(Grant(g.grantee_principal, frozenset(g.operations or ())) for g in key.grants.values())
    return Resource(account, policy, kms_key=True, grants=grants)


def _sns(resource: str, parts: list[str]) -> Resource | None:
    topic = sns_backends[parts[4]][parts[3]].topics.get(resource)
    if topic is None:
        return None
    return Resource(parts[4], document(topic.policy, f"topic policy of {resource}", PolicyKind.RESOURCE))


def _sagemaker(parts: list[str]) -> Resource | None:
    kind, _, name = parts[5].partition("/")
    if kind not in ("model-package-group", "model-package"):
        return None
    group_name = name.split("/", 1)[0]
    group = sagemaker_backends[parts[4]][parts[3]].model_package_groups.get(group_name)
    text = getattr(group, "launchpad_resource_policy", None) if group is not None else None
    if not text:
        return Resource(parts[4])
    return Resource(
        parts[4], document(text, f"resource policy of model package group {group_name}", PolicyKind.RESOURCE)
    )


def _ecr(parts: list[str]) -> Resource | None:
    kind, _, name = parts[5].partition("/")
    if kind != "repository":
        return None
    repository = ecr_backends[parts[4]][parts[3]].repositories.get(name)
    if repository is None or not repository.policy:
        return Resource(parts[4])
    # A repository policy's statements may leave Resource out: the resource is the repository.
    policy = document(
        repository.policy, f"repository policy of {name}", PolicyKind.RESOURCE, resource_implied=True
    )
    return Resource(parts[4], policy)


def _lambda(parts: list[str]) -> Resource | None:
    """A function's resource-based policy (Lambda Developer Guide, "Working with resource-based IAM policies
    in Lambda"): the statements ``AddPermission`` added to the function, or to the version or alias the ARN
    names."""
    kind, _, rest = parts[5].partition(":")
    if kind != "function":
        return None
    name, _, qualifier = rest.partition(":")
    try:
        function = lambda_backend(parts[4], parts[3]).get_function(name, qualifier or None)
    except Exception:  # no such function (or version): nothing grants anything on it
        return Resource(parts[4])
    statements = function.policy.statements
    if not statements:
        return Resource(parts[4])
    text = json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements})
    return Resource(
        parts[4], document(text, f"resource-based policy of function {name}", PolicyKind.RESOURCE)
    )


def resource(arn: str, action: str = "") -> Resource | None:
    """The resource-based side of ``action`` on ``arn``: the resource's account and the policy that applies
    (a role's trust policy for ``sts:AssumeRole``); None for "*" (no resource)."""
    parts = patterns.arn_parts(arn)
    if parts is None:
        return None
    service = parts[2]
    if action.lower() == "sts:assumerole":
        trust = role_trust(arn)
        return (
            Resource(parts[4], trust[1], policy_required=True)
            if trust
            else Resource(parts[4], policy_required=True)
        )
    found = None
    if service == "s3":
        found = _s3(arn)
    elif service == "kms":
        found = _kms(parts)
    elif service == "sns":
        found = _sns(arn, parts)
    elif service == "sagemaker":
        found = _sagemaker(parts)
    elif service == "ecr":
        found = _ecr(parts)
    elif service == "lambda":
        found = _lambda(parts)
    if found is not None:
        return found
    return Resource(parts[4]) if parts[4] else None
