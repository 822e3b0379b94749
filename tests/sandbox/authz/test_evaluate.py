"""The evaluator decides requests as AWS's policy evaluation logic does (pure unit tests, no sandbox).

Each table row is a request (principal, action, resource, context) with the policies that apply, and the
decision AWS documents for it; the reason of a denial is AWS's wording (``evaluate.EXPLICIT_*``,
``evaluate.no_*``). Rows whose id starts with ``aws-doc`` are the guides' own worked examples; the page is in
the id or in the comment above the table. Pages (IAM User Guide unless said otherwise):

- eval-logic: reference_policies_evaluation-logic.html ("Determining whether a request is allowed or denied
  within an account", the resource-based policy table by principal type, "Example identity-based and
  resource-based policy evaluation" (Carlos), "The difference between explicit and implicit denies").
- cross-account: reference_policies_evaluation-logic-cross-account.html ("Example cross-account policy
  evaluation", Carlos and the Production bucket).
- boundaries: access_policies_boundaries.html ("Evaluating effective permissions with boundaries",
  "Delegating responsibility to others using permissions boundaries": María and Zhang).
- session-policies: access_policies.html#policies_session.
- policies-json: access_policies.html ("Examples of JSON policy syntax": a bucket policy that trusts an
  account, whose users "must still be granted permissions").
- notprincipal: reference_policies_elements_notprincipal.html ("NotPrincipal with Deny": Bob, and the
  cross-account-audit-app role session).
- kms-access: AWS KMS Developer Guide, determining-access.html ("Understanding policy evaluation": CMK1, CMK2,
  Alice, Bob, Charlie); kms-conditions: conditions-kms.html (kms:CallerAccount, the AWS managed key for
  Amazon EBS); kms-grants: grants.html.
- confused-deputy: confused-deputy.html (aws:SourceArn, aws:SourceAccount in role trust policies).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from launchpad.sandbox.authz import context, principals
from launchpad.sandbox.authz.calls import Transport
from launchpad.sandbox.authz.documents import PolicyDocument, PolicyKind, parse
from launchpad.sandbox.authz.evaluate import (
    EXPLICIT_BOUNDARY,
    EXPLICIT_IDENTITY,
    EXPLICIT_RESOURCE,
    EXPLICIT_SESSION,
    Allow,
    Decision,
    Grant,
    Identity,
    Request,
    Resource,
    evaluate,
    no_boundary,
    no_identity,
    no_resource,
    no_session,
)
from launchpad.sandbox.authz.principals import Principal

REGION = "us-east-1"
VERSION = "2012-10-17"


# -- building requests ------------------------------------------------------------------------------------
def policy(
    name: str, *statements: Mapping[str, Any], kind: PolicyKind = PolicyKind.IDENTITY
) -> PolicyDocument:
    """A parsed policy document named ``name`` (as decisions and evidence name it)."""
    return parse(json.dumps({"Version": VERSION, "Statement": list(statements)}), name=name, kind=kind)


def resource_policy(name: str, *statements: Mapping[str, Any]) -> PolicyDocument:
    return policy(name, *statements, kind=PolicyKind.RESOURCE)


def trust_policy(name: str, *statements: Mapping[str, Any]) -> PolicyDocument:
    return policy(name, *statements, kind=PolicyKind.TRUST)


def allow(
    action: str | list[str], resource: str | list[str] = "*", sid: str | None = None, **more: Any
) -> dict:
    return {
        **({"Sid": sid} if sid else {}),
        "Effect": "Allow",
        "Action": action,
        "Resource": resource,
        **more,
    }


def deny(
    action: str | list[str], resource: str | list[str] = "*", sid: str | None = None, **more: Any
) -> dict:
    return {**({"Sid": sid} if sid else {}), "Effect": "Deny", "Action": action, "Resource": resource, **more}


def request_context(principal: Principal, extra: Mapping[str, str | Sequence[str]] | None = None) -> dict:
    """The global keys of a TLS request by ``principal``, plus ``extra`` (lowercased keys)."""
    ctx: dict[str, tuple[str, ...]] = dict(context.base(principal, REGION, Transport()))
    for key, value in (extra or {}).items():
        ctx[key.lower()] = (value,) if isinstance(value, str) else tuple(value)
    return ctx


@dataclass(frozen=True)
class Case:
    principal: Principal
    action: str
    resource: str
    identity: Identity = field(default_factory=Identity)
    on: Resource | None = None  # the resource-based side
    extra: Mapping[str, str | Sequence[str]] = field(default_factory=dict)

    def decide(self) -> Decision:
        ctx = request_context(self.principal, self.extra)
        return evaluate(Request(self.principal, self.action, self.resource, ctx), self.identity, self.on)


def row(case: Case, allowed: bool, reason: str = "", *, id: str) -> Any:
    return pytest.param(case, allowed, reason, id=id)


def _assert_decision(case: Case, allowed: bool, reason: str) -> Decision:
    decision = case.decide()
    assert decision.allowed is allowed, decision
    assert decision.reason == reason, decision
    return decision


# -- eval-logic: Carlos, same account; explicit and implicit denies ------------------------------------------
ACCOUNT = "123456789012"
CARLOS = principals.user(f"arn:aws:iam::{ACCOUNT}:user/carlossalazar")
CARLOS_POLICY = policy(
    "identity policy of carlossalazar",
    allow(
        [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "arn:aws:s3:::*",
        sid="AllowS3ListRead",
    ),
    allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"], sid="AllowS3Self"),
    deny("s3:*", "arn:aws:s3:::*log*", sid="DenyS3Logs"),
)
CARLOS_BUCKET = Resource(
    ACCOUNT,
    resource_policy(
        "bucket policy of carlossalazar",
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"},
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        },
    ),
)
NO_POLICY_BUCKET = Resource(ACCOUNT)
REPORTS_USER = principals.user(f"arn:aws:iam::{ACCOUNT}:user/auditor")
REPORTS_POLICY = policy(
    "AllowGetList-DenyReports",
    allow(["iam:Get*", "iam:List*"], sid="AllowGetList"),
    deny("iam:*Report", sid="DenyReports"),
)
REPORT_GRANT = policy("grants reports", allow("iam:GenerateCredentialReport"))
# policies-json: "Because the policy grants trust only to the account, individual users in the account must
# still be granted permissions for the specified Amazon S3 actions."
ACCOUNT_TRUSTING_BUCKET = Resource(
    ACCOUNT,
    resource_policy(
        "bucket policy of mybucket",
        {
            "Sid": "1",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]},
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::mybucket", "arn:aws:s3:::mybucket/*"],
        },
    ),
)
SAME_ACCOUNT_CASES = [
    row(
        Case(
            CARLOS,
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar-logs/file.txt",
            Identity((CARLOS_POLICY,)),
            NO_POLICY_BUCKET,
        ),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-eval-logic-carlos-logs-bucket-explicitly-denied-by-DenyS3Logs",
    ),
    row(
        Case(
            CARLOS,
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar/file.txt",
            Identity((CARLOS_POLICY,)),
            CARLOS_BUCKET,
        ),
        True,
        id="aws-doc-eval-logic-carlos-own-bucket-allowed-by-both-policies",
    ),
    row(
        Case(
            CARLOS,
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar/file.txt",
            Identity((CARLOS_POLICY,)),
            NO_POLICY_BUCKET,
        ),
        True,
        id="aws-doc-eval-logic-identity-allow-alone-allows",
    ),
    row(
        Case(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar/file.txt", Identity(), CARLOS_BUCKET),
        True,
        id="aws-doc-eval-logic-bucket-policy-naming-the-user-alone-allows",
    ),
    row(
        Case(
            CARLOS,
            "s3:GetBucketLocation",
            "arn:aws:s3:::team-bucket",
            Identity((CARLOS_POLICY,)),
            NO_POLICY_BUCKET,
        ),
        True,
        id="aws-doc-eval-logic-carlos-AllowS3ListRead",
    ),
    row(
        Case(
            CARLOS,
            "s3:GetBucketLocation",
            "arn:aws:s3:::carlossalazar-logs",
            Identity((CARLOS_POLICY,)),
            NO_POLICY_BUCKET,
        ),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-eval-logic-carlos-deny-overrides-AllowS3ListRead",
    ),
    row(
        Case(
            CARLOS,
            "s3:DeleteBucket",
            "arn:aws:s3:::team-bucket",
            Identity((CARLOS_POLICY,)),
            NO_POLICY_BUCKET,
        ),
        False,
        no_identity("s3:DeleteBucket"),
        id="carlos-other-bucket-implicitly-denied",
    ),
    row(
        Case(REPORTS_USER, "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/any", Identity((REPORTS_POLICY,))),
        True,
        id="aws-doc-eval-logic-explicit-implicit-AllowGetList",
    ),
    row(
        Case(
            REPORTS_USER, "iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/p", Identity((REPORTS_POLICY,))
        ),
        False,
        no_identity("iam:CreatePolicy"),
        id="aws-doc-eval-logic-explicit-implicit-CreatePolicy-implicitly-denied",
    ),
    row(
        Case(REPORTS_USER, "iam:GetOrganizationsAccessReport", "*", Identity((REPORTS_POLICY,))),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-eval-logic-explicit-implicit-Get-Report-explicitly-denied",
    ),
    row(
        Case(REPORTS_USER, "iam:GenerateCredentialReport", "*", Identity((REPORTS_POLICY, REPORT_GRANT))),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-eval-logic-explicit-implicit-another-policy-granting-a-report-is-still-denied",
    ),
    row(
        Case(CARLOS, "s3:GetObject", "arn:aws:s3:::mybucket/a.txt", Identity(), ACCOUNT_TRUSTING_BUCKET),
        False,
        no_identity("s3:GetObject"),
        id="aws-doc-policies-json-bucket-trusting-the-account-needs-an-identity-allow",
    ),
    row(
        Case(
            CARLOS,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/a.txt",
            Identity((policy("p", allow("s3:GetObject", "arn:aws:s3:::mybucket/*")),)),
            ACCOUNT_TRUSTING_BUCKET,
        ),
        True,
        id="aws-doc-policies-json-bucket-trusting-the-account-with-identity-allow",
    ),
    row(
        Case(
            principals.admin(ACCOUNT),
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar-logs/x",
            Identity(),
            NO_POLICY_BUCKET,
        ),
        True,
        id="eval-logic-root-has-full-access-without-policies",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), SAME_ACCOUNT_CASES)
def test_requests_within_one_account_are_decided_as_the_user_guide_says(
    case: Case, allowed: bool, reason: str
) -> None:
    _assert_decision(case, allowed, reason)


def test_an_explicit_deny_names_the_statement_that_denied() -> None:
    case = Case(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f", Identity((CARLOS_POLICY,)))
    assert case.decide().denied_by == 'identity policy of carlossalazar: Sid "DenyS3Logs"'


# -- cross-account: Carlos (111111111111) and the Production bucket (222222222222) ---------------------------
TRUSTED, TRUSTING = "111111111111", "222222222222"
CARLOS_X = principals.user(f"arn:aws:iam::{TRUSTED}:user/carlossalazar")
CARLOS_X_POLICY = policy(
    "identity policy of carlossalazar",
    allow("s3:ListAllMyBuckets", sid="AllowS3ListRead"),
    allow("s3:*Object*", "arn:aws:s3:::Production/*", sid="AllowS3ProductionObjectActions"),
    deny("s3:*", ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"], sid="DenyS3Logs"),
)
PRODUCTION = Resource(
    TRUSTING,
    resource_policy(
        "bucket policy of Production",
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
            "Principal": {"AWS": f"arn:aws:iam::{TRUSTED}:user/carlossalazar"},
            "Resource": "arn:aws:s3:::Production/*",
        },
    ),
)
PRODUCTION_FOR_THE_ACCOUNT = Resource(
    TRUSTING,
    resource_policy(
        "bucket policy of Production",
        {
            "Effect": "Allow",
            "Principal": {"AWS": TRUSTED},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::Production/*",
        },
    ),
)
PUBLIC_READ = Resource(
    TRUSTING,
    resource_policy(
        "bucket policy of public",
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*"},
    ),
)
CARLOS_X_IDENTITY = Identity((CARLOS_X_POLICY,))
READ_ANYTHING = Identity((policy("reader", allow("s3:GetObject")),))
CROSS_ACCOUNT_CASES = [
    row(
        Case(
            CARLOS_X, "s3:PutObject", "arn:aws:s3:::Production-logs/f", CARLOS_X_IDENTITY, Resource(TRUSTING)
        ),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-cross-account-Production-logs-denied-in-the-trusted-account",
    ),
    row(
        Case(CARLOS_X, "s3:PutObject", "arn:aws:s3:::Production/f", CARLOS_X_IDENTITY, PRODUCTION),
        True,
        id="aws-doc-cross-account-Production-allowed-by-both-accounts",
    ),
    row(
        Case(CARLOS_X, "s3:DeleteObject", "arn:aws:s3:::Production/f", CARLOS_X_IDENTITY, PRODUCTION),
        False,
        no_resource("s3:DeleteObject"),
        id="aws-doc-cross-account-can-create-and-edit-but-not-delete",
    ),
    row(
        Case(CARLOS_X, "s3:PutObject", "arn:aws:s3:::Production/f", Identity(), PRODUCTION),
        False,
        no_identity("s3:PutObject"),
        id="cross-account-resource-policy-naming-the-user-is-not-enough",
    ),
    row(
        Case(CARLOS_X, "s3:PutObject", "arn:aws:s3:::Production/f", CARLOS_X_IDENTITY, Resource(TRUSTING)),
        False,
        no_resource("s3:PutObject"),
        id="cross-account-identity-allow-is-not-enough-without-a-resource-policy",
    ),
    row(
        Case(
            CARLOS_X,
            "s3:PutObject",
            "arn:aws:s3:::Production/f",
            CARLOS_X_IDENTITY,
            PRODUCTION_FOR_THE_ACCOUNT,
        ),
        True,
        id="cross-account-resource-policy-naming-the-account-with-identity-allow",
    ),
    row(
        Case(CARLOS_X, "s3:GetObject", "arn:aws:s3:::public/f", READ_ANYTHING, PUBLIC_READ),
        True,
        id="cross-account-principal-star-with-identity-allow",
    ),
    row(
        Case(CARLOS_X, "s3:GetObject", "arn:aws:s3:::public/f", Identity(), PUBLIC_READ),
        False,
        no_identity("s3:GetObject"),
        id="cross-account-principal-star-without-identity-allow",
    ),
    row(
        Case(principals.admin(TRUSTED), "s3:GetObject", "arn:aws:s3:::Production/f", Identity(), PRODUCTION),
        False,
        no_resource("s3:GetObject"),
        id="cross-account-root-of-another-account-is-not-named",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), CROSS_ACCOUNT_CASES)
def test_cross_account_requests_need_both_accounts_to_allow(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


# -- boundaries: María delegates user management to Zhang ----------------------------------------------------
ZHANG = principals.user(f"arn:aws:iam::{ACCOUNT}:user/Zhang")
X_COMPANY_BOUNDARIES = f"arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries"
DELEGATED_USER_BOUNDARY = policy(
    "permissions boundary DelegatedUserBoundary",
    allow(
        [
            "iam:CreateUser",
            "iam:DeleteUserPolicy",
            "iam:AttachUserPolicy",
            "iam:DetachUserPolicy",
            "iam:PutUserPermissionsBoundary",
            "iam:PutUserPolicy",
        ],
        sid="CreateOrChangeOnlyWithBoundary",
        Condition={"StringEquals": {"iam:PermissionsBoundary": X_COMPANY_BOUNDARIES}},
    ),
    {
        "Sid": "CloudWatchAndOtherIAMTasks",
        "Effect": "Allow",
        "Action": [
            "cloudwatch:*",
            "iam:GetUser",
            "iam:ListUsers",
            "iam:DeleteUser",
            "iam:CreateAccessKey",
            "iam:CreatePolicy",
            "iam:ListPolicies",
        ],
        "NotResource": f"arn:aws:iam::{ACCOUNT}:user/Maria",
    },
    deny(
        [
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
        ],
        [X_COMPANY_BOUNDARIES, f"arn:aws:iam::{ACCOUNT}:policy/DelegatedUserBoundary"],
        sid="NoBoundaryPolicyEdit",
    ),
    deny("iam:DeleteUserPermissionsBoundary", sid="NoBoundaryUserDelete"),
)
DELEGATED_USER_PERMISSIONS = policy(
    "managed policy DelegatedUserPermissions",
    allow("iam:*", sid="IAM"),
    allow(
        [
            "cloudwatch:GetDashboard",
            "cloudwatch:GetMetricData",
            "cloudwatch:ListDashboards",
            "cloudwatch:GetMetricStatistics",
            "cloudwatch:ListMetrics",
        ],
        sid="CloudWatchLimited",
    ),
    allow("s3:ListBucket", "arn:aws:s3:::ZhangBucket", sid="S3BucketContents"),
)
ZHANG_IDENTITY = Identity((DELEGATED_USER_PERMISSIONS,), boundary=DELEGATED_USER_BOUNDARY)
ZHANG_BUCKET = Resource(
    ACCOUNT,
    resource_policy(
        "bucket policy of ZhangBucket",
        {
            "Effect": "Allow",
            "Principal": {"AWS": ZHANG.arn},
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::ZhangBucket",
        },
    ),
)
BOUNDARY_CASES = [
    row(
        Case(ZHANG, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/Zhang", ZHANG_IDENTITY),
        True,
        id="aws-doc-boundaries-zhang-IAM-within-the-boundary",
    ),
    row(
        Case(ZHANG, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/Maria", ZHANG_IDENTITY),
        False,
        no_boundary("iam:GetUser"),
        id="aws-doc-boundaries-zhang-NotResource-Maria-outside-the-boundary",
    ),
    row(
        Case(ZHANG, "iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/x", ZHANG_IDENTITY),
        False,
        no_boundary("iam:DeleteRole"),
        id="aws-doc-boundaries-zhang-iam-star-limited-by-the-boundary",
    ),
    row(
        Case(ZHANG, "cloudwatch:GetMetricData", "*", ZHANG_IDENTITY),
        True,
        id="aws-doc-boundaries-zhang-CloudWatchLimited",
    ),
    row(
        Case(
            ZHANG,
            "cloudwatch:PutMetricAlarm",
            f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a",
            ZHANG_IDENTITY,
        ),
        False,
        no_identity("cloudwatch:PutMetricAlarm"),
        id="aws-doc-boundaries-zhang-cloudwatch-limited-by-his-permissions-policy",
    ),
    row(
        Case(ZHANG, "s3:ListBucket", "arn:aws:s3:::ZhangBucket", ZHANG_IDENTITY, Resource(ACCOUNT)),
        False,
        no_boundary("s3:ListBucket"),
        id="aws-doc-boundaries-zhang-S3BucketContents-outside-the-boundary",
    ),
    row(
        Case(
            ZHANG, "iam:DeleteUserPermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:user/Zhang", ZHANG_IDENTITY
        ),
        False,
        EXPLICIT_BOUNDARY,
        id="aws-doc-boundaries-zhang-NoBoundaryUserDelete",
    ),
    row(
        Case(ZHANG, "iam:CreatePolicyVersion", X_COMPANY_BOUNDARIES, ZHANG_IDENTITY),
        False,
        EXPLICIT_BOUNDARY,
        id="aws-doc-boundaries-zhang-NoBoundaryPolicyEdit",
    ),
    row(
        Case(
            ZHANG,
            "iam:CreateUser",
            f"arn:aws:iam::{ACCOUNT}:user/new",
            ZHANG_IDENTITY,
            extra={"iam:PermissionsBoundary": X_COMPANY_BOUNDARIES},
        ),
        True,
        id="aws-doc-boundaries-zhang-CreateUser-with-the-XCompanyBoundaries-boundary",
    ),
    row(
        Case(ZHANG, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/new", ZHANG_IDENTITY),
        False,
        no_boundary("iam:CreateUser"),
        id="aws-doc-boundaries-zhang-CreateUser-without-a-boundary",
    ),
    # "Within an account, an implicit deny in a permissions boundary does not limit the permissions granted by
    # a resource-based policy" (that names the user: eval-logic table, "IAM user").
    row(
        Case(ZHANG, "s3:ListBucket", "arn:aws:s3:::ZhangBucket", ZHANG_IDENTITY, ZHANG_BUCKET),
        True,
        id="aws-doc-boundaries-resource-policy-naming-the-user-is-not-limited-by-the-boundary",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), BOUNDARY_CASES)
def test_permissions_boundaries_limit_identity_policies(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


# -- eval-logic table, session-policies: what a same-account resource-based policy grants, by principal -----
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/examplerole"
SESSION = principals.role_session(ROLE_ARN, "examplerolesessionname")
OBJECT = "arn:aws:s3:::examplebucket/report.csv"


def bucket_naming(who: str | Mapping[str, Any], action: str = "s3:GetObject") -> Resource:
    principal = who if isinstance(who, Mapping) else {"AWS": who}
    return Resource(
        ACCOUNT,
        resource_policy(
            "bucket policy of examplebucket",
            {
                "Sid": "Named",
                "Effect": "Allow",
                "Principal": principal,
                "Action": action,
                "Resource": "arn:aws:s3:::examplebucket/*",
            },
        ),
    )


S3_EVERYTHING = policy("role policy", allow("s3:*", sid="S3"))
READS_ONLY = policy("session policy", allow("s3:GetObject", sid="Reads"))
WRITES_ONLY = policy("session policy", allow("s3:PutObject", sid="Writes"))
EC2_ONLY = policy("permissions boundary ec2-only", allow("ec2:*", sid="Ec2"))
BY_SESSION, BY_ROLE = bucket_naming(SESSION.arn), bucket_naming(ROLE_ARN)
BY_ACCOUNT = bucket_naming(f"arn:aws:iam::{ACCOUNT}:root")
PRINCIPAL_TYPE_CASES = [
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(), BY_SESSION),
        True,
        id="aws-doc-eval-logic-role-session-named-needs-no-identity-allow",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(boundary=EC2_ONLY), BY_SESSION),
        True,
        id="aws-doc-eval-logic-role-session-named-is-not-limited-by-a-boundary",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(session=WRITES_ONLY), BY_SESSION),
        True,
        id="aws-doc-session-policies-session-arn-named-is-not-limited-by-the-session-policy",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(), BY_ROLE),
        True,
        id="aws-doc-eval-logic-role-named-without-boundary-or-session-policy",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(boundary=EC2_ONLY), BY_ROLE),
        False,
        no_boundary("s3:GetObject"),
        id="aws-doc-eval-logic-role-named-is-limited-by-the-boundary",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(session=WRITES_ONLY), BY_ROLE),
        False,
        no_session("s3:GetObject"),
        id="aws-doc-session-policies-role-arn-named-is-limited-by-the-session-policy",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(session=READS_ONLY), BY_ROLE),
        True,
        id="aws-doc-session-policies-role-arn-named-within-the-session-policy-without-identity-allow",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(), BY_ACCOUNT),
        False,
        no_identity("s3:GetObject"),
        id="aws-doc-policies-json-account-named-is-a-delegation-to-iam",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity((S3_EVERYTHING,)), BY_ACCOUNT),
        True,
        id="aws-doc-policies-json-account-named-with-identity-allow",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity((S3_EVERYTHING,)), Resource(ACCOUNT)),
        True,
        id="aws-doc-eval-logic-identity-allow-alone",
    ),
    row(
        Case(SESSION, "s3:PutObject", OBJECT, Identity((S3_EVERYTHING,), session=READS_ONLY)),
        False,
        no_session("s3:PutObject"),
        id="aws-doc-session-policies-intersection-with-identity-policy",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity((S3_EVERYTHING,), session=READS_ONLY)),
        True,
        id="aws-doc-session-policies-allowed-by-identity-and-session-policy",
    ),
    row(
        Case(
            SESSION, "s3:GetObject", OBJECT, Identity((S3_EVERYTHING,), boundary=EC2_ONLY, session=READS_ONLY)
        ),
        False,
        no_boundary("s3:GetObject"),
        id="aws-doc-boundaries-session-policy-boundary-and-identity-intersect",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            Identity((S3_EVERYTHING,), boundary=EC2_ONLY, session=WRITES_ONLY),
        ),
        False,
        no_boundary("s3:GetObject"),
        id="aws-doc-eval-logic-the-boundary-is-checked-before-the-session-policy",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, Identity(), Resource(ACCOUNT)),
        False,
        no_identity("s3:GetObject"),
        id="eval-logic-no-policy-allows-implicit-deny",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), PRINCIPAL_TYPE_CASES)
def test_a_resource_policy_grants_by_how_it_names_the_principal(
    case: Case, allowed: bool, reason: str
) -> None:
    _assert_decision(case, allowed, reason)


# -- explicit denies: one in each kind of policy wins over every allow ---------------------------------------
DENY_READS = deny("s3:GetObject", sid="NoReads")
ALL_ALLOWS = Identity(
    (S3_EVERYTHING,),
    boundary=policy("boundary", allow("s3:*")),
    session=policy("session policy", allow("s3:*")),
)
EXPLICIT_DENY_CASES = [
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            Identity((S3_EVERYTHING, policy("guardrail", DENY_READS))),
            BY_SESSION,
        ),
        False,
        EXPLICIT_IDENTITY,
        id="identity-policy-deny-beats-a-resource-policy-naming-the-session",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            ALL_ALLOWS,
            Resource(ACCOUNT, resource_policy("bucket policy", {**DENY_READS, "Principal": "*"})),
        ),
        False,
        EXPLICIT_RESOURCE,
        id="resource-policy-deny-beats-identity-boundary-and-session-allows",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            Identity((S3_EVERYTHING,), boundary=policy("boundary", allow("s3:*"), DENY_READS)),
            BY_SESSION,
        ),
        False,
        EXPLICIT_BOUNDARY,
        id="boundary-deny-beats-a-resource-policy-naming-the-session",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            Identity((S3_EVERYTHING,), session=policy("session policy", allow("s3:*"), DENY_READS)),
            BY_SESSION,
        ),
        False,
        EXPLICIT_SESSION,
        id="session-policy-deny-beats-a-resource-policy-naming-the-session",
    ),
    row(
        Case(
            principals.admin(ACCOUNT),
            "s3:GetObject",
            OBJECT,
            Identity(),
            Resource(ACCOUNT, resource_policy("bucket policy", {**DENY_READS, "Principal": "*"})),
        ),
        False,
        EXPLICIT_RESOURCE,
        id="resource-policy-deny-applies-to-the-account-root",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            Identity(),
            Resource(
                ACCOUNT,
                resource_policy(
                    "bucket policy",
                    {"Effect": "Allow", "Principal": {"AWS": SESSION.arn}, "Action": "s3:*", "Resource": "*"},
                    {**DENY_READS, "Principal": {"AWS": SESSION.arn}},
                ),
            ),
        ),
        False,
        EXPLICIT_RESOURCE,
        id="deny-beats-allow-in-the-same-resource-policy",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), EXPLICIT_DENY_CASES)
def test_an_explicit_deny_in_any_policy_wins(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


def test_the_deny_reason_names_the_kind_of_policy_and_the_statement() -> None:
    case = Case(
        SESSION,
        "s3:GetObject",
        OBJECT,
        Identity((S3_EVERYTHING,), boundary=policy("boundary B", allow("s3:*"), DENY_READS)),
    )
    decision = case.decide()
    assert decision.reason == "with an explicit deny in a permissions boundary"
    assert decision.denied_by == 'boundary B: Sid "NoReads"'


# -- kms-access: CMK1 (the account's IAM policies enabled), CMK2 (Alice and Charlie) -------------------------
KMS_ACCOUNT = "111122223333"
CMK1 = f"arn:aws:kms:{REGION}:{KMS_ACCOUNT}:key/1111abcd-12ab-34cd-56ef-1234567890ab"
CMK2 = f"arn:aws:kms:{REGION}:{KMS_ACCOUNT}:key/2222abcd-12ab-34cd-56ef-1234567890ab"
ALICE = principals.user(f"arn:aws:iam::{KMS_ACCOUNT}:user/Alice")
BOB = principals.user(f"arn:aws:iam::{KMS_ACCOUNT}:user/Bob")
CHARLIE = principals.user(f"arn:aws:iam::{KMS_ACCOUNT}:user/Charlie")
ENABLE_IAM = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{KMS_ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
CMK1_SIDE = Resource(KMS_ACCOUNT, resource_policy("key policy of CMK1", ENABLE_IAM), kms_key=True)
CMK2_SIDE = Resource(
    KMS_ACCOUNT,
    resource_policy(
        "key policy of CMK2",
        {
            "Sid": "AliceAndCharlie",
            "Effect": "Allow",
            "Principal": {"AWS": [ALICE.arn, CHARLIE.arn]},
            "Action": "kms:*",
            "Resource": "*",
        },
    ),
    kms_key=True,
)
BOB_IAM = Identity((policy("Bob's IAM policy", allow("kms:*", sid="AllKms")),))
CHARLIE_IAM = Identity((policy("Charlie's IAM policy", deny("kms:*", sid="NoKms")),))
KMS_DOC_CASES = [
    row(
        Case(ALICE, "kms:Decrypt", CMK1, Identity(), CMK1_SIDE),
        False,
        no_identity("kms:Decrypt"),
        id="aws-doc-kms-access-alice-cmk1-no-iam-policy",
    ),
    row(
        Case(ALICE, "kms:Decrypt", CMK2, Identity(), CMK2_SIDE),
        True,
        id="aws-doc-kms-access-alice-cmk2-key-policy-allows-her",
    ),
    row(
        Case(BOB, "kms:Decrypt", CMK1, BOB_IAM, CMK1_SIDE),
        True,
        id="aws-doc-kms-access-bob-cmk1-key-policy-enables-iam",
    ),
    row(
        Case(BOB, "kms:Decrypt", CMK2, BOB_IAM, CMK2_SIDE),
        False,
        no_resource("kms:Decrypt"),
        id="aws-doc-kms-access-bob-cmk2-iam-policy-alone-is-not-enough",
    ),
    row(
        Case(CHARLIE, "kms:Decrypt", CMK1, CHARLIE_IAM, CMK1_SIDE),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-kms-access-charlie-cmk1-denied",
    ),
    row(
        Case(CHARLIE, "kms:Decrypt", CMK2, CHARLIE_IAM, CMK2_SIDE),
        False,
        EXPLICIT_IDENTITY,
        id="aws-doc-kms-access-charlie-cmk2-explicit-deny-overrides-the-key-policy",
    ),
]

# kms-conditions: the key policy of the AWS managed key for Amazon EBS.
EBS_KEY = Resource(
    KMS_ACCOUNT,
    resource_policy(
        "key policy of aws/ebs",
        {
            "Sid": "Allow access through EBS for all principals in the account that are authorized to use "
            "EBS",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Condition": {
                "StringEquals": {
                    "kms:CallerAccount": KMS_ACCOUNT,
                    "kms:ViaService": "ec2.us-west-2.amazonaws.com",
                }
            },
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:DescribeKey",
            ],
            "Resource": "*",
        },
    ),
    kms_key=True,
)
APP_ROLE = f"arn:aws:iam::{KMS_ACCOUNT}:role/EncryptionApp"
APP = principals.role_session(APP_ROLE, "app")
VIA_EBS = {"kms:CallerAccount": KMS_ACCOUNT, "kms:ViaService": "ec2.us-west-2.amazonaws.com"}
OTHER_ACCOUNT_APP = principals.role_session("arn:aws:iam::444455556666:role/EncryptionApp", "app")
NO_ROOT_KEY = Resource(
    KMS_ACCOUNT,
    resource_policy(
        "key policy without the account",
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": APP_ROLE},
            "Action": [
                "kms:DescribeKey",
                "kms:GenerateDataKey*",
                "kms:Encrypt",
                "kms:ReEncrypt*",
                "kms:Decrypt",
            ],
            "Resource": "*",
        },
    ),
    kms_key=True,
)
DAVE = principals.user(f"arn:aws:iam::{KMS_ACCOUNT}:user/Dave")
GRANTED_KEY = Resource(
    KMS_ACCOUNT,
    resource_policy("key policy of CMK1", ENABLE_IAM),
    kms_key=True,
    grants=(
        Grant(DAVE.arn, frozenset({"Decrypt", "GenerateDataKey"})),
        Grant(APP_ROLE, frozenset({"Decrypt"})),
    ),
)
OTHER_KEY_ONLY = Resource(
    KMS_ACCOUNT,
    resource_policy(
        "key policy naming another key",
        {"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "kms:*", "Resource": CMK2},
    ),
    kms_key=True,
)
KMS_CASES = [
    *KMS_DOC_CASES,
    row(
        Case(APP, "kms:Decrypt", CMK1, Identity(), EBS_KEY, extra=VIA_EBS),
        True,
        id="aws-doc-kms-conditions-principal-star-with-caller-account-allows-every-identity-of-the-account",
    ),
    row(
        Case(APP, "kms:Decrypt", CMK1, Identity(), EBS_KEY, extra={"kms:CallerAccount": KMS_ACCOUNT}),
        False,
        no_resource("kms:Decrypt"),
        id="aws-doc-kms-conditions-principal-star-only-through-ebs",
    ),
    row(
        Case(
            OTHER_ACCOUNT_APP,
            "kms:Decrypt",
            CMK1,
            Identity((policy("p", allow("kms:*")),)),
            EBS_KEY,
            extra={"kms:CallerAccount": "444455556666", "kms:ViaService": "ec2.us-west-2.amazonaws.com"},
        ),
        False,
        no_resource("kms:Decrypt"),
        id="aws-doc-kms-conditions-principal-star-not-for-another-caller-account",
    ),
    row(
        Case(principals.admin(KMS_ACCOUNT), "kms:DescribeKey", CMK1, Identity(), NO_ROOT_KEY),
        False,
        no_resource("kms:DescribeKey"),
        id="kms-account-root-refused-by-a-key-policy-without-the-account",
    ),
    row(
        Case(principals.admin(KMS_ACCOUNT), "kms:DescribeKey", CMK1, Identity(), CMK1_SIDE),
        True,
        id="kms-account-root-allowed-by-the-root-statement",
    ),
    row(
        Case(APP, "kms:Decrypt", CMK1, Identity(), NO_ROOT_KEY),
        True,
        id="aws-doc-kms-access-key-policy-naming-the-role-allows-its-sessions",
    ),
    row(
        Case(DAVE, "kms:Decrypt", CMK1, Identity(), GRANTED_KEY),
        True,
        id="kms-grants-a-grant-allows-the-grantee-without-key-or-iam-policy",
    ),
    row(
        Case(DAVE, "kms:Encrypt", CMK1, Identity(), GRANTED_KEY),
        False,
        no_identity("kms:Encrypt"),
        id="kms-grants-only-the-granted-operations",
    ),
    row(
        Case(APP, "kms:Decrypt", CMK1, Identity(), GRANTED_KEY),
        True,
        id="kms-grants-a-grant-to-a-role-allows-its-sessions",
    ),
    row(
        Case(DAVE, "kms:Decrypt", CMK1, Identity((policy("no kms", deny("kms:*")),)), GRANTED_KEY),
        False,
        EXPLICIT_IDENTITY,
        id="kms-grants-an-explicit-deny-still-wins",
    ),
    row(
        Case(ALICE, "kms:Decrypt", CMK1, Identity(), OTHER_KEY_ONLY),
        False,
        no_resource("kms:Decrypt"),
        id="kms-key-policy-resource-naming-another-key-does-not-apply",
    ),
    row(
        Case(ALICE, "kms:Decrypt", CMK2, Identity(), OTHER_KEY_ONLY),
        True,
        id="kms-key-policy-resource-naming-this-key-applies",
    ),
    row(
        Case(
            principals.admin(KMS_ACCOUNT),
            "kms:Decrypt",
            CMK1,
            Identity(),
            Resource(
                KMS_ACCOUNT,
                resource_policy("key policy", ENABLE_IAM, {**deny("kms:Decrypt"), "Principal": "*"}),
                kms_key=True,
            ),
        ),
        False,
        EXPLICIT_RESOURCE,
        id="kms-key-policy-deny-applies-to-the-account-root",
    ),
    # The key policy names the role; the role's sessions are limited like any resource policy naming a role
    # (eval-logic table, "IAM role"), and AWS says which policy type denied implicitly.
    row(
        Case(APP, "kms:Decrypt", CMK1, Identity(boundary=EC2_ONLY), NO_ROOT_KEY),
        False,
        no_boundary("kms:Decrypt"),
        id="kms-key-policy-naming-the-role-is-limited-by-the-boundary",
    ),
    row(
        Case(APP, "kms:Decrypt", CMK1, Identity(session=WRITES_ONLY), NO_ROOT_KEY),
        False,
        no_session("kms:Decrypt"),
        id="kms-key-policy-naming-the-role-is-limited-by-the-session-policy",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), KMS_CASES)
def test_kms_key_policies_must_allow(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


# -- role trust policies (confused-deputy, eval-logic: "IAM role trust policies ... must explicitly allow") --
SAGEMAKER = principals.service("sagemaker.amazonaws.com", ACCOUNT)
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/churn-execution"
MODEL = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/churn"
SERVICE_TRUST = Resource(
    ACCOUNT,
    trust_policy(
        "trust policy of role churn-execution",
        {
            "Sid": "SageMaker",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*"},
            },
        },
    ),
    policy_required=True,
)
ACCOUNT_TRUST = Resource(
    ACCOUNT,
    trust_policy(
        "trust policy of role deploy",
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
    ),
    policy_required=True,
)
SESSION_TRUST = Resource(
    ACCOUNT,
    trust_policy(
        "trust policy of role deploy",
        {"Effect": "Allow", "Principal": {"AWS": SESSION.arn}, "Action": "sts:AssumeRole"},
    ),
    policy_required=True,
)
DENYING_TRUST = Resource(
    ACCOUNT,
    trust_policy(
        "trust policy of role churn-execution",
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {
            "Effect": "Deny",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}},
        },
    ),
    policy_required=True,
)
SOURCE = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": MODEL}
ASSUME = Identity((policy("role policy", allow("sts:AssumeRole", sid="Assume")),))
TRUST_CASES = [
    row(
        Case(SAGEMAKER, "sts:AssumeRole", EXECUTION_ROLE, on=SERVICE_TRUST, extra=SOURCE),
        True,
        id="aws-doc-confused-deputy-service-with-its-source-account-and-arn",
    ),
    row(
        Case(
            SAGEMAKER,
            "sts:AssumeRole",
            EXECUTION_ROLE,
            on=SERVICE_TRUST,
            extra={**SOURCE, "aws:SourceAccount": "999999999999"},
        ),
        False,
        no_resource("sts:AssumeRole"),
        id="aws-doc-confused-deputy-service-for-another-account",
    ),
    row(
        Case(
            SAGEMAKER,
            "sts:AssumeRole",
            EXECUTION_ROLE,
            on=SERVICE_TRUST,
            extra={**SOURCE, "aws:SourceArn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p"},
        ),
        False,
        no_resource("sts:AssumeRole"),
        id="aws-doc-confused-deputy-service-for-a-resource-of-another-service",
    ),
    row(
        Case(SAGEMAKER, "sts:AssumeRole", EXECUTION_ROLE, on=SERVICE_TRUST),
        False,
        no_resource("sts:AssumeRole"),
        id="aws-doc-confused-deputy-conditions-on-absent-keys-do-not-match",
    ),
    row(
        Case(
            principals.service("codebuild.amazonaws.com", ACCOUNT),
            "sts:AssumeRole",
            EXECUTION_ROLE,
            on=SERVICE_TRUST,
            extra=SOURCE,
        ),
        False,
        no_resource("sts:AssumeRole"),
        id="trust-another-service-is-not-named",
    ),
    row(
        Case(principals.admin(ACCOUNT), "sts:AssumeRole", EXECUTION_ROLE, on=SERVICE_TRUST),
        False,
        no_resource("sts:AssumeRole"),
        id="trust-the-account-root-is-not-named-in-a-service-only-trust-policy",
    ),
    row(
        Case(
            SESSION,
            "sts:AssumeRole",
            EXECUTION_ROLE,
            Identity((S3_EVERYTHING, *ASSUME.policies)),
            SERVICE_TRUST,
        ),
        False,
        no_resource("sts:AssumeRole"),
        id="trust-an-identity-allow-does-not-replace-the-trust-policy",
    ),
    row(
        Case(SESSION, "sts:AssumeRole", EXECUTION_ROLE, ASSUME, ACCOUNT_TRUST),
        True,
        id="trust-naming-the-account-with-identity-allow",
    ),
    row(
        Case(SESSION, "sts:AssumeRole", EXECUTION_ROLE, Identity(), ACCOUNT_TRUST),
        False,
        no_identity("sts:AssumeRole"),
        id="trust-naming-the-account-needs-identity-allow",
    ),
    row(
        Case(SESSION, "sts:AssumeRole", EXECUTION_ROLE, Identity(), SESSION_TRUST),
        True,
        id="trust-naming-the-session-itself",
    ),
    row(
        Case(
            SAGEMAKER,
            "sts:AssumeRole",
            EXECUTION_ROLE,
            on=DENYING_TRUST,
            extra={**SOURCE, "aws:SourceAccount": "999999999999"},
        ),
        False,
        EXPLICIT_RESOURCE,
        id="trust-explicit-deny-for-the-service",
    ),
    row(
        Case(SAGEMAKER, "s3:GetObject", OBJECT, on=Resource(ACCOUNT)),
        False,
        no_resource("s3:GetObject"),
        id="a-service-principal-has-no-identity-policies",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), TRUST_CASES)
def test_role_trust_policies_must_allow_the_caller(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


# -- notprincipal: "all principals except ... are explicitly denied" -----------------------------------------
BOB_ACCOUNT = "444455556666"
BOB_N = principals.user(f"arn:aws:iam::{BOB_ACCOUNT}:user/Bob")
ALICE_N = principals.user(f"arn:aws:iam::{BOB_ACCOUNT}:user/Alice")
AUDIT_ROLE = f"arn:aws:iam::{BOB_ACCOUNT}:role/cross-account-read-only-role"
AUDIT_APP = principals.role_session(AUDIT_ROLE, "cross-account-audit-app")
AUDIT_OTHER = principals.role_session(AUDIT_ROLE, "someone-else")
EVERYONE_IN = {"Effect": "Allow", "Principal": {"AWS": BOB_ACCOUNT}, "Action": "s3:*", "Resource": "*"}


def not_principal_bucket(bucket: str, *kept: str) -> Resource:
    return Resource(
        ACCOUNT,
        resource_policy(
            f"bucket policy of {bucket}",
            EVERYONE_IN,
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": list(kept)},
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            },
        ),
    )


BOB_ONLY = not_principal_bucket("BUCKETNAME", BOB_N.arn, f"arn:aws:iam::{BOB_ACCOUNT}:root")
AUDIT_ONLY = not_principal_bucket(
    "Bucket_AccountAudit", AUDIT_APP.arn, AUDIT_ROLE, f"arn:aws:iam::{BOB_ACCOUNT}:root"
)
S3_ALL = Identity((policy("p", allow("s3:*")),))
NOT_PRINCIPAL_CASES = [
    row(
        Case(BOB_N, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/a", S3_ALL, BOB_ONLY),
        True,
        id="aws-doc-notprincipal-bob-is-not-denied",
    ),
    row(
        Case(ALICE_N, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/a", S3_ALL, BOB_ONLY),
        False,
        EXPLICIT_RESOURCE,
        id="aws-doc-notprincipal-everyone-but-bob-is-denied-even-in-bobs-account",
    ),
    row(
        Case(AUDIT_APP, "s3:GetObject", "arn:aws:s3:::Bucket_AccountAudit/a", S3_ALL, AUDIT_ONLY),
        True,
        id="aws-doc-notprincipal-the-named-role-session-is-not-denied",
    ),
    row(
        Case(AUDIT_OTHER, "s3:GetObject", "arn:aws:s3:::Bucket_AccountAudit/a", S3_ALL, AUDIT_ONLY),
        False,
        EXPLICIT_RESOURCE,
        id="aws-doc-notprincipal-another-session-of-the-role-is-denied",
    ),
    row(
        Case(
            principals.user("arn:aws:iam::777788889999:user/Eve"),
            "s3:GetObject",
            "arn:aws:s3:::BUCKETNAME/a",
            S3_ALL,
            BOB_ONLY,
        ),
        False,
        EXPLICIT_RESOURCE,
        id="notprincipal-a-principal-of-another-account-is-denied",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), NOT_PRINCIPAL_CASES)
def test_not_principal_with_deny_denies_everyone_not_listed(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


# -- Action, NotAction, Resource, NotResource matching -------------------------------------------------------
def only(statement: Mapping[str, Any]) -> Identity:
    return Identity((policy("p", statement),))


EP = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/churn"
LOG_STREAM = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/churn:log-stream:a/i-1"
MATCHING_CASES = [
    row(
        Case(SESSION, "s3:GetObject", OBJECT, only(allow("S3:GET*"))),
        True,
        id="action-wildcard-and-case-insensitive",
    ),
    row(Case(SESSION, "s3:GetObject", OBJECT, only(allow("s3:Get?bject"))), True, id="action-question-mark"),
    row(
        Case(SESSION, "s3:GetObjectTagging", OBJECT, only(allow("s3:*Object"))),
        False,
        no_identity("s3:GetObjectTagging"),
        id="action-wildcard-matches-the-whole-name",
    ),
    row(
        Case(SESSION, "s3:GetObject", OBJECT, only(allow("sagemaker:Get*"))),
        False,
        no_identity("s3:GetObject"),
        id="action-of-another-service",
    ),
    row(Case(SESSION, "s3:GetObject", OBJECT, only(allow("*"))), True, id="action-star-is-every-action"),
    row(
        Case(
            SESSION, "s3:GetObject", OBJECT, only({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
        ),
        True,
        id="notaction-allows-every-other-action",
    ),
    row(
        Case(
            SESSION,
            "iam:GetRole",
            f"arn:aws:iam::{ACCOUNT}:role/x",
            only({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        ),
        False,
        no_identity("iam:GetRole"),
        id="notaction-does-not-allow-the-listed-actions",
    ),
    row(
        Case(
            SESSION,
            "iam:GetRole",
            f"arn:aws:iam::{ACCOUNT}:role/x",
            Identity(
                (
                    policy(
                        "p",
                        allow("*"),
                        {"Effect": "Deny", "NotAction": ["s3:*", "sagemaker:*"], "Resource": "*"},
                    ),
                )
            ),
        ),
        False,
        EXPLICIT_IDENTITY,
        id="deny-with-notaction-denies-everything-else",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            Identity(
                (
                    policy(
                        "p",
                        allow("*"),
                        {"Effect": "Deny", "NotAction": ["s3:*", "sagemaker:*"], "Resource": "*"},
                    ),
                )
            ),
        ),
        True,
        id="deny-with-notaction-leaves-the-listed-actions",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            "arn:aws:s3:::secret/x",
            only({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
        ),
        False,
        no_identity("s3:GetObject"),
        id="notresource-excludes-the-listed-resources",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            OBJECT,
            only({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
        ),
        True,
        id="notresource-allows-every-other-resource",
    ),
    row(
        Case(
            SESSION,
            "sagemaker:DescribeEndpoint",
            EP,
            only(allow("sagemaker:*", f"arn:aws:sagemaker:*:{ACCOUNT}:endpoint/*")),
        ),
        True,
        id="resource-wildcard-in-the-region-part",
    ),
    row(
        Case(
            SESSION,
            "sagemaker:DescribeEndpoint",
            EP,
            only(allow("sagemaker:*", "arn:aws:sagemaker:*:999999999999:endpoint/*")),
        ),
        False,
        no_identity("sagemaker:DescribeEndpoint"),
        id="resource-account-part-must-match",
    ),
    row(
        Case(
            SESSION,
            "sagemaker:DescribeEndpoint",
            f"arn:aws:sagemaker:eu-west-1:999999999999:endpoint/x:{ACCOUNT}:endpoint/y",
            only(allow("sagemaker:*", f"arn:aws:sagemaker:*:{ACCOUNT}:endpoint/*")),
        ),
        False,
        no_identity("sagemaker:DescribeEndpoint"),
        id="resource-wildcard-stays-within-its-arn-part",
    ),
    row(
        Case(
            SESSION,
            "logs:PutLogEvents",
            LOG_STREAM,
            only(allow("logs:PutLogEvents", f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/*")),
        ),
        True,
        id="resource-part-wildcard-spans-slashes-and-colons",
    ),
    row(
        Case(
            SESSION,
            "s3:GetObject",
            "arn:aws:s3:::Production/f",
            only(allow("s3:GetObject", "arn:aws:s3:::production/*")),
        ),
        False,
        no_identity("s3:GetObject"),
        id="resource-arn-is-case-sensitive",
    ),
    row(
        Case(
            SESSION,
            "sagemaker:DescribeEndpoint",
            EP,
            only(allow("sagemaker:*", EP.replace("churn", "chur?"))),
        ),
        True,
        id="resource-question-mark",
    ),
    row(
        Case(SESSION, "ec2:DescribeVpcs", "*", only(allow("ec2:DescribeVpcs", "arn:aws:ec2:*:*:vpc/*"))),
        False,
        no_identity("ec2:DescribeVpcs"),
        id="an-action-without-resources-needs-resource-star",
    ),
]


@pytest.mark.parametrize(("case", "allowed", "reason"), MATCHING_CASES)
def test_actions_and_resources_match_with_iam_wildcards(case: Case, allowed: bool, reason: str) -> None:
    _assert_decision(case, allowed, reason)


# -- least-privilege evidence: which identity statement was necessary ----------------------------------------
def names_of(allows: Sequence[Allow]) -> list[tuple[str, str, str]]:
    return [(a.policy, a.statement, a.action_entry) for a in allows]


def test_one_allowing_statement_is_necessary() -> None:
    decision = Case(
        SESSION,
        "s3:GetObject",
        OBJECT,
        Identity((policy("reader", allow(["s3:ListBucket", "s3:GetObject"], sid="Read")),)),
    ).decide()
    assert decision.allowed
    assert names_of(decision.identity_allows) == [("reader", 'Sid "Read"', "s3:GetObject")]
    assert names_of(decision.necessary) == [("reader", 'Sid "Read"', "s3:GetObject")]


def test_two_allowing_statements_are_neither_necessary() -> None:
    identity = Identity(
        (policy("a", allow("s3:GetObject", sid="One")), policy("b", allow("s3:Get*", sid="Two")))
    )
    decision = Case(SESSION, "s3:GetObject", OBJECT, identity).decide()
    assert decision.allowed
    assert names_of(decision.identity_allows) == [
        ("a", 'Sid "One"', "s3:GetObject"),
        ("b", 'Sid "Two"', "s3:Get*"),
    ]
    assert decision.necessary == ()


def test_an_identity_statement_is_not_necessary_when_the_resource_policy_allows_directly() -> None:
    identity = Identity((policy("reader", allow("s3:GetObject", sid="Read")),))
    decision = Case(SESSION, "s3:GetObject", OBJECT, identity, BY_SESSION).decide()
    assert decision.allowed
    assert names_of(decision.identity_allows) == [("reader", 'Sid "Read"', "s3:GetObject")]
    assert decision.necessary == ()


def test_an_identity_statement_is_necessary_through_the_kms_root_delegation() -> None:
    decision = Case(BOB, "kms:Decrypt", CMK1, BOB_IAM, CMK1_SIDE).decide()
    assert decision.allowed
    assert names_of(decision.necessary) == [("Bob's IAM policy", 'Sid "AllKms"', "kms:*")]


def test_a_notaction_statement_is_recorded_as_notaction() -> None:
    identity = only({"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    decision = Case(SESSION, "s3:GetObject", OBJECT, identity).decide()
    assert names_of(decision.necessary) == [("p", 'Sid "AllButIam"', "NotAction")]


def test_a_denied_request_has_nothing_necessary() -> None:
    identity = Identity((policy("reader", allow("s3:GetObject", sid="Read")),), boundary=EC2_ONLY)
    decision = Case(SESSION, "s3:GetObject", OBJECT, identity).decide()
    assert not decision.allowed
    assert names_of(decision.identity_allows) == [("reader", 'Sid "Read"', "s3:GetObject")]
    assert decision.necessary == ()
