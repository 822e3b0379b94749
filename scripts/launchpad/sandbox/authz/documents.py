"""Parsing and validating IAM policy documents for the sandbox's policy evaluation.

``parse`` turns the JSON of an identity policy, a role trust policy or a resource policy into a
``PolicyDocument`` of normalised ``Statement``s, or refuses it the way AWS would, listing every problem and
naming the element each one is in. The rules come from these pages of the IAM User Guide:

- Grammar of the IAM JSON policy language:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
  (one value or a list of them wherever a list is allowed; no key twice in one object; no Id in an
  identity-based policy; a Principal in resource-based and trust policies, never in identity-based ones)
- IAM JSON policy element reference, one page per element:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
  (Version, Id, Statement, Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource,
  Condition)
- IAM and AWS STS quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
  (the characters a policy may contain, the size limits, and that IAM does not count white space)

The Condition element is checked by ``launchpad.sandbox.authz.conditions``. Each service's size limit is
next to its constant below, with the page it comes from.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from launchpad.sandbox.authz import conditions

# IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
# "IAM and STS character quotas". IAM counts characters and does not count white space in any of these.
# Role trust policy length: 2,048 characters is the default of an adjustable quota (Service Quotas raises it
# on request: to 4,096 in the guide's table; later sources quote 8,192). The sandbox holds to the default.
ROLE_TRUST_POLICY_MAX = 2048
# Inline policies: the sum of all inline policies of one role, user or group.
ROLE_INLINE_POLICIES_MAX = 10240
USER_INLINE_POLICIES_MAX = 2048
GROUP_INLINE_POLICIES_MAX = 5120
# Each managed policy (customer managed; also a permissions boundary, which is a managed policy).
MANAGED_POLICY_MAX = 6144

# Amazon S3 User Guide, "Bucket policies and user policies"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html):
# "Bucket policies are limited to 20 KB in size." Taken as 20 KiB; white space counts.
BUCKET_POLICY_MAX = 20 * 1024
# AWS KMS Developer Guide, "Creating a key policy", key policy format
# (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html):
# "Up to 32 kilobytes (32,768 bytes)". (The API model's PolicyType allows 131,072 characters; KMS refuses
# a key policy over 32 KB with LimitExceededException.)
KEY_POLICY_MAX = 32768
# Amazon SNS Developer Guide, "Amazon SNS API permissions: Actions and resources reference", Policy quotas
# (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html):
# "Bytes: 30 kb". Taken as 30 KiB, like S3's "20 KB".
TOPIC_POLICY_MAX = 30 * 1024
# Amazon ECR API Reference, SetRepositoryPolicy, policyText
# (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html):
# "Maximum length of 10240" (botocore ecr/2015-09-21 shape RepositoryPolicyText, max 10240).
REPOSITORY_POLICY_MAX = 10240
# Amazon SageMaker API Reference, PutModelPackageGroupPolicy, ResourcePolicy
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html):
# "Maximum length of 20480" (botocore sagemaker/2017-07-24 shape PolicyString, max 20480).
MODEL_PACKAGE_GROUP_POLICY_MAX = 20480


class PolicyKind(enum.Enum):
    """What holds the policy, which decides the elements it must and must not have."""

    IDENTITY = "identity"  # policies of roles/users/groups, permissions boundaries, session policies
    TRUST = "trust"  # a role's AssumeRolePolicyDocument
    RESOURCE = "resource"  # bucket, key, topic, repository and model package group policies


@dataclass(frozen=True)
class Statement:
    """One statement of a valid policy, its string-or-list elements normalised to tuples."""

    index: int
    sid: str | None
    effect: str
    principal: Mapping[str, tuple[str, ...]] | None
    not_principal: Mapping[str, tuple[str, ...]] | None
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    condition: Mapping[str, Mapping[str, Any]]

    @property
    def label(self) -> str:
        """How messages name the statement: by its Sid when it has one, else by its 0-based position."""
        return f'Sid "{self.sid}"' if self.sid else f"Statement[{self.index}]"


@dataclass(frozen=True)
class PolicyDocument:
    """A valid policy document."""

    name: str
    kind: PolicyKind
    version: str | None
    statements: tuple[Statement, ...]
    text: str


class _PolicyProblems(ValueError):
    def __init__(self, name: str, problems: Sequence[str]) -> None:
        self.name = name
        self.problems = tuple(problems)
        super().__init__(f"{name}: " + "; ".join(self.problems))


class PolicyError(_PolicyProblems):
    """The document is not a valid policy of its kind, as AWS would refuse it (MalformedPolicyDocument and
    friends)."""


class UnsupportedPolicy(_PolicyProblems):
    """Valid for AWS, but the sandbox cannot evaluate it (a condition key it cannot supply): refused loudly
    rather than guessed."""


_VERSIONS = ("2012-10-17", "2008-10-17")
_POLICY_ELEMENTS = ("Version", "Id", "Statement")
_STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)

# IAM and AWS STS quotas: "Policy documents can contain only the following Unicode characters: horizontal tab
# (U+0009), linefeed (U+000A), carriage return (U+000D), and characters in the range U+0020 to U+00FF."
_IAM_CHARACTER = re.compile(r"[\t\n\r\x20-\xff]")
# The white space IAM leaves out of a policy's size: JSON's (the only white space IAM accepts besides U+0085
# and U+00A0, which are text, not layout).
_WHITESPACE = frozenset(" \t\n\r")
# IAM Sid: "basic alphanumeric characters (A-Z,a-z,0-9) are the only allowed characters".
_IAM_SID = re.compile(r"[A-Za-z0-9]*")

_ACTION = re.compile(r"\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
# arn:partition:service:region:account:resource; wildcards and policy variables may stand in any part.
_ARN_PART = r"(?:[A-Za-z0-9*?._-]|\$\{[^}]*\})"
_RESOURCE = re.compile(rf"\*|arn:{_ARN_PART}+:{_ARN_PART}+:{_ARN_PART}*:{_ARN_PART}*:.+", re.DOTALL)
# Principals name an account, user, role or session exactly: "You cannot use a wildcard to match part of a
# principal name or ARN" (IAM JSON policy elements: Principal).
_NAME = r"[\w+=,.@-]+"
_AWS_PRINCIPAL = re.compile(
    rf"\*|\d{{12}}|arn:aws(?:-[a-z]+)*:"
    rf"(?:iam::\d{{12}}:(?:root|(?:user|role)/(?:{_NAME}/)*{_NAME}|assumed-role/{_NAME}/{_NAME})"
    rf"|sts::\d{{12}}:(?:assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME}))",
    re.ASCII,
)
_SERVICE_PRINCIPAL = re.compile(r"\*|[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?")


class _Object(dict[str, Any]):
    """A JSON object as parsed, remembering the keys it had more than once (the last one wins in the dict)."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    parsed = _Object()
    repeated: list[str] = []
    for key, value in pairs:
        if key in parsed and key not in repeated:
            repeated.append(key)
        parsed[key] = value
    parsed.duplicates = tuple(repeated)
    return parsed


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def size(text: str, count_whitespace: bool = True) -> int:
    """The size AWS counts: every character, or (IAM, ``count_whitespace=False``) the characters that are not
    white space."""
    if count_whitespace:
        return len(text)
    return sum(1 for character in text if character not in _WHITESPACE)


def parse(
    text: str | bytes | Mapping[str, Any],
    *,
    name: str,
    kind: PolicyKind,
    supported_key: Callable[[str], bool] | None = None,
    max_size: int | None = None,
    count_whitespace: bool = True,
    resource_implied: bool = False,
) -> PolicyDocument:
    """Parse and validate a policy document of ``kind``.

    ``resource_implied``: the resource policy of a service whose statements may leave Resource out, the
    resource being the one the policy is attached to (ECR repository policies).

    Raises ``PolicyError`` listing every problem found, each naming its element; then, for a valid document
    and a ``supported_key``, ``UnsupportedPolicy`` listing every condition key the sandbox cannot evaluate.
    ``max_size`` is checked against ``size(text, count_whitespace)``.
    """
    source, data, unreadable = _load(text)
    if unreadable is not None:
        raise PolicyError(name, [unreadable])
    problems = _check_text(source, kind, max_size, count_whitespace)
    if not isinstance(data, Mapping):
        raise PolicyError(name, [*problems, f"document: must be a JSON object, not {_show(data)}"])
    problems += _check_policy_elements(data, kind)
    statements, statement_problems = _check_statements(
        data.get("Statement"), "Statement" in data, kind, resource_implied
    )
    problems += statement_problems
    if problems:
        raise PolicyError(name, problems)
    if supported_key is not None:
        unsupported = _unsupported_keys(statements, supported_key)
        if unsupported:
            raise UnsupportedPolicy(name, unsupported)
    version = data.get("Version")
    return PolicyDocument(name=name, kind=kind, version=version, statements=statements, text=source)


def _load(text: str | bytes | Mapping[str, Any]) -> tuple[str, Any, str | None]:
    """The text, the parsed JSON, and why it could not be read (None when it could)."""
    if isinstance(text, Mapping):
        try:
            source = json.dumps(text, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            return "", None, f"not JSON: {error}"
    elif isinstance(text, bytes):
        try:
            source = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return "", None, f"not JSON: {error}"
    else:
        source = text
    try:
        data = json.loads(source, object_pairs_hook=_object, parse_constant=_no_constant)
    except ValueError as error:
        return source, None, f"not JSON: {error}"
    return source, data, None


def _check_text(source: str, kind: PolicyKind, max_size: int | None, count_whitespace: bool) -> list[str]:
    problems = []
    if kind is not PolicyKind.RESOURCE:
        outside = [
            (at, character) for at, character in enumerate(source) if not _IAM_CHARACTER.match(character)
        ]
        if outside:
            at, character = outside[0]
            others = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
            problems.append(
                f"characters: U+{ord(character):04X} at offset {at}{others} is not allowed in an IAM policy "
                "(only tab, line feed, carriage return and U+0020 to U+00FF)"
            )
    if max_size is not None:
        counted = size(source, count_whitespace)
        if counted > max_size:
            how = "characters" if count_whitespace else "characters not counting white space"
            problems.append(f"size: {counted:,} {how}, over the {max_size:,} this policy may have")
    return problems


def _check_policy_elements(data: Mapping[str, Any], kind: PolicyKind) -> list[str]:
    problems = _duplicates(data, "") + _unknown_elements(data, "", _POLICY_ELEMENTS)
    if "Version" in data and data["Version"] not in _VERSIONS:
        problems.append(f"Version: {_show(data['Version'])} is not 2012-10-17 or 2008-10-17")
    if "Id" in data:
        if kind is PolicyKind.IDENTITY:
            problems.append("Id: not allowed in an identity policy")
        elif not isinstance(data["Id"], str):
            problems.append(f"Id: must be a string, not {_show(data['Id'])}")
    return problems


def _check_statements(
    value: Any, present: bool, kind: PolicyKind, resource_implied: bool = False
) -> tuple[tuple[Statement, ...], list[str]]:
    if not present:
        return (), ["Statement: missing"]
    if isinstance(value, Mapping):
        value = [value]  # one statement may be given without the list around it
    if not isinstance(value, list):
        return (), [f"Statement: must be an object or a list of objects, not {_show(value)}"]
    if not value:
        return (), ["Statement: has no statements"]
    statements: list[Statement] = []
    problems: list[str] = []
    for index, raw in enumerate(value):
        statement, statement_problems = _check_statement(raw, index, kind, resource_implied)
        problems += statement_problems
        if statement is not None:
            statements.append(statement)
    problems += _repeated_sids(value)
    return tuple(statements), problems


def _repeated_sids(raw_statements: list[Any]) -> list[str]:
    seen: dict[str, int] = {}
    for raw in raw_statements:
        sid = raw.get("Sid") if isinstance(raw, Mapping) else None
        if isinstance(sid, str) and sid:
            seen[sid] = seen.get(sid, 0) + 1
    return [f'Sid "{sid}" is used by more than one statement' for sid, count in seen.items() if count > 1]


def _statement_path(index: int, sid: Any) -> str:
    """How messages name a statement: its position, and its Sid when it has one."""
    return f'Statement[{index}] (Sid "{sid}")' if isinstance(sid, str) and sid else f"Statement[{index}]"


def _check_statement(
    raw: Any, index: int, kind: PolicyKind, resource_implied: bool = False
) -> tuple[Statement | None, list[str]]:
    if not isinstance(raw, Mapping):
        return None, [f"Statement[{index}]: must be an object, not {_show(raw)}"]
    path = _statement_path(index, raw.get("Sid"))
    problems = _duplicates(raw, path) + _unknown_elements(raw, path, _STATEMENT_ELEMENTS)
    sid_problems = _check_sid(raw, path, kind)
    effect_problems = _check_effect(raw, path)
    principal, not_principal, principal_problems = _check_principals(raw, path, kind)
    action, not_action, action_problems = _check_pair(
        raw, path, ("Action", "NotAction"), _ACTION, 'is not a service:action (or "*")'
    )
    resource, not_resource, resource_problems = _check_resources(raw, path, kind, resource_implied)
    condition, condition_problems = _check_condition(raw, path)
    problems += (
        sid_problems
        + effect_problems
        + principal_problems
        + action_problems
        + resource_problems
        + condition_problems
    )
    if problems:
        return None, problems
    statement = Statement(
        index=index,
        sid=raw.get("Sid"),
        effect=raw["Effect"],
        principal=principal,
        not_principal=not_principal,
        action=action,
        not_action=not_action,
        resource=resource,
        not_resource=not_resource,
        condition=condition,
    )
    return statement, []


def _check_sid(raw: Mapping[str, Any], path: str, kind: PolicyKind) -> list[str]:
    if "Sid" not in raw:
        return []
    sid = raw["Sid"]
    if not isinstance(sid, str):
        return [f"{path}.Sid: must be a string, not {_show(sid)}"]
    # IAM's own documents allow only letters and digits; services with resource policies have their own rules
    # (KMS allows spaces, for one), so a resource policy's Sid may be any string.
    if kind is not PolicyKind.RESOURCE and not _IAM_SID.fullmatch(sid):
        return [f"{path}.Sid: {_show(sid)} may contain only A-Z, a-z and 0-9 in an IAM policy"]
    return []


def _check_effect(raw: Mapping[str, Any], path: str) -> list[str]:
    if "Effect" not in raw:
        return [f"{path}: needs Effect"]
    if raw["Effect"] not in ("Allow", "Deny"):
        return [f'{path}.Effect: must be "Allow" or "Deny", not {_show(raw["Effect"])}']
    return []


def _check_principals(
    raw: Mapping[str, Any], path: str, kind: PolicyKind
) -> tuple[Mapping[str, tuple[str, ...]] | None, Mapping[str, tuple[str, ...]] | None, list[str]]:
    present = [element for element in ("Principal", "NotPrincipal") if element in raw]
    if kind is PolicyKind.IDENTITY:
        return None, None, [f"{path}.{element}: not allowed in an identity policy" for element in present]
    problems = []
    if len(present) == 2:
        problems.append(f"{path}: has both Principal and NotPrincipal")
    elif not present:
        problems.append(f"{path}: needs a Principal in a {kind.value} policy")
    if "NotPrincipal" in raw and raw.get("Effect") == "Allow":
        problems.append(f'{path}.NotPrincipal: not allowed with Effect "Allow"')
    parsed: dict[str, Mapping[str, tuple[str, ...]] | None] = {}
    for element in present:
        parsed[element], element_problems = _principal_map(raw[element], f"{path}.{element}")
        problems += element_problems
    return parsed.get("Principal"), parsed.get("NotPrincipal"), problems


_PRINCIPAL_COMPLAINTS: dict[str, tuple[re.Pattern[str], str]] = {
    "AWS": (
        _AWS_PRINCIPAL,
        'is not "*", a 12-digit account id or the ARN of a principal',
    ),
    "Service": (_SERVICE_PRINCIPAL, 'is not a service principal (name.amazonaws.com) or "*"'),
    "Federated": (re.compile(r".+", re.DOTALL), "is empty"),
    "CanonicalUser": (re.compile(r".+", re.DOTALL), "is empty"),
}


def _principal_map(value: Any, where: str) -> tuple[Mapping[str, tuple[str, ...]] | None, list[str]]:
    """A Principal or NotPrincipal element as ``{type: (id, ...)}``; ``"*"`` (everyone) becomes
    ``{"AWS": ("*",)}``, which the Principal page says is the same."""
    if value == "*":
        return MappingProxyType({"AWS": ("*",)}), []
    if not isinstance(value, Mapping):
        return None, [f'{where}: must be "*" or an object of principal types, not {_show(value)}']
    problems = _duplicates(value, where)
    if not value:
        problems.append(f"{where}: names no principal")
    principals: dict[str, tuple[str, ...]] = {}
    for principal_type, ids in value.items():
        if principal_type not in _PRINCIPAL_COMPLAINTS:
            problems.append(
                f"{where}.{principal_type}: not a principal type (AWS, Service, Federated or CanonicalUser)"
            )
            continue
        pattern, complaint = _PRINCIPAL_COMPLAINTS[principal_type]
        principals[principal_type], listed = _strings(ids, f"{where}.{principal_type}")
        problems += listed + [
            f"{where}.{principal_type}: {_show(one)} {complaint}"
            for one in principals[principal_type]
            if not pattern.fullmatch(one)
        ]
    return MappingProxyType(principals), problems


def _check_resources(
    raw: Mapping[str, Any], path: str, kind: PolicyKind, implied: bool = False
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, list[str]]:
    if kind is PolicyKind.TRUST:
        # A trust policy's resource is the role it is attached to ("Has prohibited field Resource").
        return (
            None,
            None,
            [
                f"{path}.{element}: not allowed in a trust policy"
                for element in ("Resource", "NotResource")
                if element in raw
            ],
        )
    return _check_pair(
        raw, path, ("Resource", "NotResource"), _RESOURCE, 'is not an ARN or "*"', required=not implied
    )


def _check_pair(
    raw: Mapping[str, Any],
    path: str,
    elements: tuple[str, str],
    pattern: re.Pattern[str],
    complaint: str,
    required: bool = True,
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, list[str]]:
    """Action/NotAction or Resource/NotResource: exactly one of the two (at most one unless ``required``),
    each a string or a list of them that all match ``pattern``."""
    positive, negative = elements
    present = [element for element in elements if element in raw]
    problems = []
    if len(present) == 2:
        problems.append(f"{path}: has both {positive} and {negative}")
    elif not present and required:
        problems.append(f"{path}: needs {positive} or {negative}")
    values: dict[str, tuple[str, ...]] = {}
    for element in present:
        values[element], listed = _strings(raw[element], f"{path}.{element}")
        problems += listed + [
            f"{path}.{element}: {_show(one)} {complaint}"
            for one in values[element]
            if not pattern.fullmatch(one)
        ]
    return values.get(positive), values.get(negative), problems


def _check_condition(raw: Mapping[str, Any], path: str) -> tuple[Mapping[str, Mapping[str, Any]], list[str]]:
    if "Condition" not in raw:
        return MappingProxyType({}), []
    block = raw["Condition"]
    where = f"{path}.Condition"
    if not isinstance(block, Mapping):
        return MappingProxyType({}), [
            f"{where}: must be an object of condition operators, not {_show(block)}"
        ]
    problems = _duplicates(block, where)
    for operator, body in block.items():
        if isinstance(body, Mapping):
            problems += _duplicates(body, f"{where}.{operator}")
    problems += [f"{where}.{message}" for message in conditions.check_block(block)]
    written = {
        operator: MappingProxyType(dict(body)) if isinstance(body, Mapping) else body
        for operator, body in block.items()
    }
    return MappingProxyType(written), problems


def _unsupported_keys(statements: Sequence[Statement], supported_key: Callable[[str], bool]) -> list[str]:
    problems = []
    for statement in statements:
        path = _statement_path(statement.index, statement.sid)
        for operator, body in statement.condition.items():
            problems += [
                f"{path}.Condition.{operator}.{key}: the sandbox cannot evaluate this condition key"
                for key in conditions.condition_keys({operator: body})
                if not supported_key(key)
            ]
    return problems


def _strings(value: Any, where: str) -> tuple[tuple[str, ...], list[str]]:
    """A string-or-list element as a tuple of its strings, and what is wrong with its shape."""
    if isinstance(value, str):
        return (value,), []
    if not isinstance(value, list):
        return (), [f"{where}: must be a string or a list of strings, not {_show(value)}"]
    if not value:
        return (), [f"{where}: must not be an empty list"]
    problems = [f"{where}: {_show(item)} is not a string" for item in value if not isinstance(item, str)]
    return tuple(item for item in value if isinstance(item, str)), problems


def _duplicates(value: Mapping[str, Any], where: str) -> list[str]:
    prefix = f"{where}." if where else ""
    return [f"{prefix}{key}: appears more than once" for key in getattr(value, "duplicates", ())]


def _unknown_elements(value: Mapping[str, Any], where: str, known: tuple[str, ...]) -> list[str]:
    prefix = f"{where}." if where else ""
    return [f"{prefix}{key}: not a policy element" for key in value if key not in known]


def _show(value: Any) -> str:
    """A value as a message shows it: scalars as JSON, objects and lists by their kind."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value)
