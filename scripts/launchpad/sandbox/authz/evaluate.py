"""The decision: allow or deny one request, by AWS's policy evaluation logic.

IAM User Guide, "Policy evaluation logic" (reference_policies_evaluation-logic.html) and its cross-account
page, and the AWS KMS Developer Guide, "Determining access to an AWS KMS key" (determining-access.html):

1. An explicit deny in any policy that applies (identity-based, resource-based, permissions boundary, session
   policy) denies.
2. Within one account, an allow in an identity-based policy (within the permissions boundary and the session
   policy, when there are any) or in the resource-based policy allows. A resource-based policy that names the
   role session (or user) allows on its own; one that names the role allows within the boundary and session
   policy; one that names the account delegates to the account's identity policies.
3. Across accounts, both the principal's identity policies and the resource's policy must allow.
4. KMS keys are the exception to 2: the key policy must allow, either the principal itself or the account
   (which lets IAM policies grant access); a grant for the principal also allows.
5. An AWS service principal has no identity policies: the resource policy decides.

The account's administrative caller has full identity permissions (and no boundary), like the account root
user; resource policies apply to it as above.

``evaluate`` also reports which identity statements allowed (and which one of them would, alone, have been
missed), which is what ``record`` keeps as least-privilege evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from launchpad.sandbox.authz import conditions, patterns
from launchpad.sandbox.authz.documents import PolicyDocument, Statement
from launchpad.sandbox.authz.principals import ADMIN, SERVICE, Principal

Context = Mapping[str, Sequence[str]]

EXPLICIT_IDENTITY = "with an explicit deny in an identity-based policy"
EXPLICIT_RESOURCE = "with an explicit deny in a resource-based policy"
EXPLICIT_BOUNDARY = "with an explicit deny in a permissions boundary"
EXPLICIT_SESSION = "with an explicit deny in a session policy"


def no_identity(action: str) -> str:
    return f"because no identity-based policy allows the {action} action"


def no_resource(action: str) -> str:
    return f"because no resource-based policy allows the {action} action"


def no_boundary(action: str) -> str:
    return f"because no permissions boundary allows the {action} action"


def no_session(action: str) -> str:
    return f"because no session policy allows the {action} action"


@dataclass(frozen=True)
class Grant:
    """A KMS grant: ``operations`` the ``grantee`` may perform on the key (constraints are not modelled)."""

    grantee: str
    operations: frozenset[str]


@dataclass(frozen=True)
class Identity:
    """The identity-based policies of a principal: inline and attached managed policies, the permissions
    boundary and the session policy (None: none set)."""

    policies: tuple[PolicyDocument, ...] = ()
    boundary: PolicyDocument | None = None
    session: PolicyDocument | None = None


@dataclass(frozen=True)
class Resource:
    """The resource-based side: the resource's account, its policy, and (KMS keys) its grants."""

    account: str
    policy: PolicyDocument | None = None
    kms_key: bool = False  # a key policy: "*" is the key, and grants apply
    grants: tuple[Grant, ...] = ()
    policy_required: bool = False  # KMS key policies and role trust policies must allow, whatever IAM says


@dataclass(frozen=True)
class Allow:
    """One identity statement (and the Action entry in it) that allowed the request."""

    policy: str
    statement: str
    action_entry: str  # the Action element entry that matched; "NotAction" for a NotAction statement


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not, in AWS's words ("with an explicit deny in ...", "because no ... allows ...")
    identity_allows: tuple[Allow, ...] = ()
    needs_identity: bool = False  # the request would be denied without an identity allow
    denied_by: str | None = None  # the statement of an explicit deny ('<policy>: Sid "X"')
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def necessary(self) -> tuple[Allow, ...]:
        """The identity statement entries whose removal alone would deny this request."""
        if not (self.allowed and self.needs_identity and len(self.identity_allows) == 1):
            return ()
        return self.identity_allows


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str  # s3:GetObject (as the catalog spells it)
    resource: str  # an ARN, or "*" for actions without a resource
    context: Context


# -- statement matching ----------------------------------------------------------------------------------
def _action_entry(statement: Statement, action: str) -> str | None:
    """The entry of ``statement``'s Action matching ``action`` ("NotAction" when NotAction excludes it)."""
    if statement.action is not None:
        return next((a for a in statement.action if patterns.action_like(action, a)), None)
    assert statement.not_action is not None
    return None if any(patterns.action_like(action, a) for a in statement.not_action) else "NotAction"


def _resource_matches(statement: Statement, resource: str, kms_key: bool) -> bool:
    if statement.resource is None and statement.not_resource is None:
        return True  # trust policies
    if kms_key:
        # In a key policy "*" means this key; an ARN must name it.
        listed = statement.resource if statement.resource is not None else statement.not_resource or ()
        hit = any(r == "*" or patterns.arn_like(resource, r) for r in listed)
        return hit if statement.resource is not None else not hit
    if statement.resource is not None:
        return any(patterns.arn_like(resource, r) for r in statement.resource)
    return not any(patterns.arn_like(resource, r) for r in statement.not_resource or ())


def names(principal: Principal, role_too: bool = True) -> set[str]:
    """The Principal element values that name ``principal`` itself (not its account)."""
    if principal.kind == SERVICE:
        return {principal.arn}
    found = {principal.arn}
    if role_too and principal.role_arn:
        found.add(principal.role_arn)
    return found


def principal_match(statement: Statement, principal: Principal) -> str | None:
    """How ``statement``'s Principal names ``principal``: "self" (its session/user ARN, or the service),
    "role" (the role of a session), "account" (its account: a delegation), "any" ("*"), or None."""
    if statement.principal is None and statement.not_principal is None:
        return None
    if statement.not_principal is not None:
        # NotPrincipal exempts only the principals it names exactly: a role session by its session ARN, a
        # user or root by its ARN (naming the account exempts only its root user) (IAM User Guide,
        # NotPrincipal).
        listed = statement.not_principal
        exempt = principal.arn in (*listed.get("AWS", ()), *listed.get("Service", ()))
        return None if exempt else "any"
    return _named(statement.principal or {}, principal)


def _named(listed: Mapping[str, Sequence[str]], principal: Principal) -> str | None:
    if principal.kind == SERVICE:
        services = listed.get("Service", ())
        if principal.arn in services:
            return "self"
        return "any" if "*" in listed.get("AWS", ()) or "*" in services else None
    aws = listed.get("AWS", ())
    if "*" in aws:
        return "any"
    if principal.arn in aws:
        return "self"
    if principal.role_arn and principal.role_arn in aws:
        return "role"
    if principal.account in aws or principal.root_arn in aws:
        return "account"
    return None


def _applies(statement: Statement, request: Request, kms_key: bool = False) -> str | None:
    """The matching Action entry if ``statement`` applies to ``request`` (principal aside), else None."""
    entry = _action_entry(statement, request.action)
    if entry is None or not _resource_matches(statement, request.resource, kms_key):
        return None
    return entry if conditions.matches(statement.condition, request.context) else None


# -- one policy --------------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    denied_by: str | None = None
    allows: list[Allow] = field(default_factory=list)


def _identity_outcome(document: PolicyDocument, request: Request) -> _Outcome:
    outcome = _Outcome()
    for statement in document.statements:
        entry = _applies(statement, request)
        if entry is None:
            continue
        if statement.effect == "Deny":
            outcome.denied_by = outcome.denied_by or f"{document.name}: {statement.label}"
        else:
            outcome.allows.append(Allow(document.name, statement.label, entry))
    return outcome


def _resource_outcome(
    document: PolicyDocument, request: Request, kms_key: bool
) -> tuple[str | None, set[str]]:
    """(the explicit deny that applies, how the allowing statements name the principal)."""
    denied_by, allowed_as = None, set()
    for statement in document.statements:
        how = principal_match(statement, request.principal)
        if how is None or _applies(statement, request, kms_key) is None:
            continue
        if statement.effect == "Deny":
            denied_by = denied_by or f"{document.name}: {statement.label}"
        else:
            allowed_as.add(how)
    return denied_by, allowed_as


# -- the decision ------------------------------------------------------------------------------------------
# The bucket owner's root user may always read, replace and delete its bucket's policy, even when the policy
# denies it (S3 API Reference: GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy).
ROOT_ALWAYS = frozenset({"s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"})


def evaluate(request: Request, identity: Identity, resource: Resource | None) -> Decision:
    principal = request.principal
    admin = principal.kind == ADMIN
    if (
        admin
        and request.action.lower() in ROOT_ALWAYS
        and (resource is None or resource.account == principal.account)
    ):
        return Decision(True)

    identity_outcomes = [_identity_outcome(p, request) for p in identity.policies]
    boundary = _identity_outcome(identity.boundary, request) if identity.boundary else None
    session = _identity_outcome(identity.session, request) if identity.session else None
    resource_denied: str | None = None
    allowed_as: set[str] = set()
    if resource is not None and resource.policy is not None:
        resource_denied, allowed_as = _resource_outcome(resource.policy, request, resource.kms_key)

    # 1. explicit denies
    for denied_by, reason in (
        (next((o.denied_by for o in identity_outcomes if o.denied_by), None), EXPLICIT_IDENTITY),
        (resource_denied, EXPLICIT_RESOURCE),
        (boundary.denied_by if boundary else None, EXPLICIT_BOUNDARY),
        (session.denied_by if session else None, EXPLICIT_SESSION),
    ):
        if denied_by:
            return Decision(False, reason, denied_by=denied_by)

    allows = tuple(a for o in identity_outcomes for a in o.allows)
    within_boundary = boundary is None or bool(boundary.allows)
    within_session = session is None or bool(session.allows)
    identity_allows = admin or (bool(allows) and within_boundary and within_session)
    limit_reason = (
        no_boundary(request.action)
        if not within_boundary
        else no_session(request.action)
        if not within_session
        else no_identity(request.action)
    )

    if principal.kind == SERVICE:
        ok = "self" in allowed_as or "any" in allowed_as
        return Decision(ok, "" if ok else no_resource(request.action))

    same_account = resource is None or resource.account == principal.account
    direct = "self" in allowed_as or "any" in allowed_as
    via_role = "role" in allowed_as and within_boundary and within_session
    named = direct or via_role or "account" in allowed_as

    if not same_account:  # both sides must allow
        if not identity_allows:
            return Decision(False, limit_reason, identity_allows=allows)
        if named:
            return Decision(True, identity_allows=allows, needs_identity=True)
        return Decision(False, no_resource(request.action), identity_allows=allows)

    if resource is not None and (resource.kms_key or resource.policy_required):
        granted = any(
            g.grantee in names(principal) and request.action.split(":", 1)[1] in g.operations
            for g in resource.grants
        )
        if direct or via_role or granted:
            return Decision(True, identity_allows=allows)
        if "account" in allowed_as and identity_allows:
            return Decision(True, identity_allows=allows, needs_identity=True)
        # A policy naming the principal's account or role decides nothing alone: the boundary or session
        # policy (or, for the account, the identity policies) that did not allow is the reason.
        named_but_limited = "account" in allowed_as or "role" in allowed_as
        reason = limit_reason if named_but_limited else no_resource(request.action)
        return Decision(False, reason, identity_allows=allows)

    if direct or via_role:
        return Decision(True, identity_allows=allows)
    if identity_allows:
        return Decision(True, identity_allows=allows, needs_identity=True)
    return Decision(False, limit_reason, identity_allows=allows)
