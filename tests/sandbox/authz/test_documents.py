"""Policy documents: parsed into statements, or refused with every problem named, as AWS refuses them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from launchpad.sandbox.authz import conditions, documents
from launchpad.sandbox.authz.documents import (
    PolicyDocument,
    PolicyError,
    PolicyKind,
    Statement,
    UnsupportedPolicy,
    parse,
    size,
)

ACCOUNT = "123456789012"
IDENTITY, TRUST, RESOURCE = PolicyKind.IDENTITY, PolicyKind.TRUST, PolicyKind.RESOURCE
BUCKET = "arn:aws:s3:::lp-demo-artifacts"


def policy(*statements: Any, **elements: Any) -> str:
    """A policy's JSON: Version 2012-10-17 unless ``elements`` says otherwise, then the statements."""
    return json.dumps(
        {"Version": "2012-10-17", **elements, "Statement": list(statements)}, ensure_ascii=False
    )


def allow(**elements: Any) -> dict[str, Any]:
    """An identity-policy statement allowing s3:GetObject on the bucket's objects, ``elements`` over it."""
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*", **elements}


def problems(text: str | bytes, kind: PolicyKind, **options: Any) -> tuple[str, ...]:
    with pytest.raises(PolicyError) as raised:
        parse(text, name="test policy", kind=kind, **options)
    return raised.value.problems


def fields(statement: Statement) -> dict[str, Any]:
    return {field.name: getattr(statement, field.name) for field in dataclasses.fields(statement)}


def expected(**values: Any) -> dict[str, Any]:
    """A statement's fields: ``values`` over those of Statement 0, an Allow with nothing set."""
    empty = {
        "index": 0,
        "sid": None,
        "effect": "Allow",
        "principal": None,
        "not_principal": None,
        "action": None,
        "not_action": None,
        "resource": None,
        "not_resource": None,
        "condition": {},
    }
    return {**empty, **values}


# -- the shapes this project puts --------------------------------------------------------------------------

TLS_ONLY_BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}

KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "lp-demo-key-policy",
    "Statement": [
        {
            "Sid": "EnableIAMPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "AllowServiceSagemaker",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
    ],
}

SAGEMAKER_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowServiceAssumeRole",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ],
}

VALID = [
    pytest.param(
        RESOURCE,
        TLS_ONLY_BUCKET_POLICY,
        [
            expected(
                sid="DenyInsecureTransport",
                effect="Deny",
                principal={"AWS": ("*",)},
                action=("s3:*",),
                resource=(BUCKET, f"{BUCKET}/*"),
                condition={"Bool": {"aws:SecureTransport": "false"}},
            )
        ],
        id="tls-only-bucket-policy",
    ),
    pytest.param(
        RESOURCE,
        KEY_POLICY,
        [
            expected(
                sid="EnableIAMPolicies",
                principal={"AWS": (f"arn:aws:iam::{ACCOUNT}:root",)},
                action=("kms:*",),
                resource=("*",),
            ),
            expected(
                index=1,
                sid="AllowServiceSagemaker",
                principal={"Service": ("sagemaker.amazonaws.com",)},
                action=(
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ),
                resource=("*",),
                condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            ),
        ],
        id="key-policy-with-account-root-and-service",
    ),
    pytest.param(
        TRUST,
        SAGEMAKER_TRUST_POLICY,
        [
            expected(
                sid="AllowServiceAssumeRole",
                principal={"Service": ("sagemaker.amazonaws.com",)},
                action=("sts:AssumeRole",),
                condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            )
        ],
        id="sagemaker-trust-policy",
    ),
    pytest.param(
        IDENTITY,
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"},
                {
                    "Sid": "WriteCapture",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "S3:putobjecttagging"],
                    "Resource": [f"{BUCKET}/capture/*"],
                },
            ],
        },
        [
            expected(action=("s3:GetObject",), resource=(f"{BUCKET}/*",)),
            expected(
                index=1,
                sid="WriteCapture",
                action=("s3:PutObject", "S3:putobjecttagging"),
                resource=(f"{BUCKET}/capture/*",),
            ),
        ],
        id="identity-strings-and-lists-case-kept",
    ),
    pytest.param(
        IDENTITY,
        {"Statement": {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "*"}},
        [expected(effect="Deny", not_action=("iam:*", "sts:*"), not_resource=("*",))],
        id="identity-single-statement-object-not-action-not-resource",
    ),
    pytest.param(
        IDENTITY,
        {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        [expected(action=("*",), resource=("*",))],
        id="identity-2008-version-everything",
    ),
    pytest.param(
        IDENTITY,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "logs:PutLogEvents",
                    "Resource": [
                        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/*:log-stream:*",
                        "arn:aws:s3:::lp-*-artifacts/${aws:username}/*",
                        "arn:aws-cn:sagemaker:*:*:model-package-group/lp-?",
                        "arn:aws:iam::aws:policy/ReadOnlyAccess",
                    ],
                }
            ],
        },
        [
            expected(
                action=("logs:PutLogEvents",),
                resource=(
                    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/*:log-stream:*",
                    "arn:aws:s3:::lp-*-artifacts/${aws:username}/*",
                    "arn:aws-cn:sagemaker:*:*:model-package-group/lp-?",
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                ),
            )
        ],
        id="identity-arns-with-colons-wildcards-and-variables",
    ),
    pytest.param(
        RESOURCE,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Deny everyone but the deployer",
                    "Effect": "Deny",
                    "NotPrincipal": {
                        "AWS": [
                            ACCOUNT,
                            f"arn:aws:iam::{ACCOUNT}:role/service-role/lp-demo-deploy",
                            f"arn:aws:sts::{ACCOUNT}:assumed-role/lp-demo-deploy/ci-1234",
                            f"arn:aws:iam::{ACCOUNT}:user/ops@example.com",
                        ],
                        "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                    },
                    "Action": "s3:DeleteObject",
                    "Resource": f"{BUCKET}/*",
                }
            ],
        },
        [
            expected(
                sid="Deny everyone but the deployer",
                effect="Deny",
                not_principal={
                    "AWS": (
                        ACCOUNT,
                        f"arn:aws:iam::{ACCOUNT}:role/service-role/lp-demo-deploy",
                        f"arn:aws:sts::{ACCOUNT}:assumed-role/lp-demo-deploy/ci-1234",
                        f"arn:aws:iam::{ACCOUNT}:user/ops@example.com",
                    ),
                    "CanonicalUser": ("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",),
                },
                action=("s3:DeleteObject",),
                resource=(f"{BUCKET}/*",),
            )
        ],
        id="resource-not-principal-deny-sid-with-spaces",
    ),
    pytest.param(
        TRUST,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
                    },
                    "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                },
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            ],
        },
        [
            expected(
                principal={"Federated": (f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com",)},
                action=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"),
            ),
            expected(index=1, principal={"AWS": ("*",)}, action=("sts:AssumeRole",)),
        ],
        id="trust-federated-and-aws-star",
    ),
]


@pytest.mark.parametrize(("kind", "document", "statements"), VALID)
def test_valid_documents_parse_to_their_statements(
    kind: PolicyKind, document: dict[str, Any], statements: list[dict[str, Any]]
) -> None:
    text = json.dumps(document, indent=2)
    parsed = parse(text, name="the policy", kind=kind)
    assert parsed == PolicyDocument(
        name="the policy",
        kind=kind,
        version=document.get("Version"),
        statements=parsed.statements,
        text=text,
    )
    assert [fields(statement) for statement in parsed.statements] == statements


def test_a_mapping_or_bytes_parse_like_the_text() -> None:
    from_text = parse(json.dumps(KEY_POLICY), name="key", kind=RESOURCE)
    from_bytes = parse(json.dumps(KEY_POLICY).encode(), name="key", kind=RESOURCE)
    from_mapping = parse(KEY_POLICY, name="key", kind=RESOURCE)
    assert from_bytes == from_text
    assert from_mapping.statements == from_text.statements
    assert json.loads(from_mapping.text) == KEY_POLICY


def test_statement_labels_name_the_sid_or_the_position() -> None:
    text = policy(allow(), allow(), allow(Sid="WriteCapture"), allow(), allow(Sid=""))
    labels = [statement.label for statement in parse(text, name="p", kind=IDENTITY).statements]
    assert labels == ["Statement[0]", "Statement[1]", 'Sid "WriteCapture"', "Statement[3]", "Statement[4]"]


def test_parsed_statements_cannot_be_changed() -> None:
    statement = parse(json.dumps(TLS_ONLY_BUCKET_POLICY), name="p", kind=RESOURCE).statements[0]
    with pytest.raises(TypeError):
        statement.principal["AWS"] = ("arn:aws:iam::111122223333:root",)  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        statement.effect = "Allow"  # type: ignore[misc]


# -- malformed documents: one problem each -----------------------------------------------------------------

MALFORMED = [
    # the document
    pytest.param(
        IDENTITY, '{"Version": ', ("not JSON: Expecting value: line 1 column 13 (char 12)",), id="not-json"
    ),
    pytest.param(
        IDENTITY,
        '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": NaN}]}',
        ("not JSON: NaN is not a JSON value",),
        id="nan",
    ),
    pytest.param(IDENTITY, "[]", ("document: must be a JSON object, not a list",), id="not-an-object"),
    pytest.param(IDENTITY, '{"Version": "2012-10-17"}', ("Statement: missing",), id="no-statement"),
    pytest.param(IDENTITY, policy(), ("Statement: has no statements",), id="no-statements"),
    pytest.param(
        IDENTITY,
        '{"Statement": "s3:*"}',
        ('Statement: must be an object or a list of objects, not "s3:*"',),
        id="statement-a-string",
    ),
    pytest.param(
        IDENTITY, policy("Allow"), ('Statement[0]: must be an object, not "Allow"',), id="statement-item"
    ),
    pytest.param(
        IDENTITY,
        policy(allow(), Version="2012-10-18"),
        ('Version: "2012-10-18" is not 2012-10-17 or 2008-10-17',),
        id="version",
    ),
    pytest.param(IDENTITY, policy(allow(), Foo="bar"), ("Foo: not a policy element",), id="unknown-element"),
    pytest.param(
        IDENTITY,
        '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}',
        ("Version: appears more than once", "Statement: has no statements"),
        id="repeated-element",
    ),
    pytest.param(
        IDENTITY, policy(allow(), Id="x"), ("Id: not allowed in an identity policy",), id="id-identity"
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal="*"), Id=7),
        ("Id: must be a string, not 7",),
        id="id-not-a-string",
    ),
    # Sid
    pytest.param(
        IDENTITY,
        policy(allow(Sid="A"), allow(Sid="B"), allow(Sid="A")),
        ('Sid "A" is used by more than one statement',),
        id="sid-repeated",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Sid="Read objects")),
        (
            'Statement[0] (Sid "Read objects").Sid: "Read objects" may contain only A-Z, a-z and 0-9 '
            "in an IAM policy",
        ),
        id="sid-with-space-in-iam",
    ),
    pytest.param(
        IDENTITY, policy(allow(Sid=1)), ("Statement[0].Sid: must be a string, not 1",), id="sid-number"
    ),
    # Effect
    pytest.param(
        IDENTITY,
        policy(allow(), allow(Sid="X", Effect="allow")),
        ('Statement[1] (Sid "X").Effect: must be "Allow" or "Deny", not "allow"',),
        id="effect-lowercase",
    ),
    pytest.param(
        IDENTITY,
        policy({"Action": "s3:GetObject", "Resource": "*"}),
        ("Statement[0]: needs Effect",),
        id="effect-missing",
    ),
    pytest.param(
        IDENTITY,
        policy({"Effects": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        ("Statement[0].Effects: not a policy element", "Statement[0]: needs Effect"),
        id="statement-element-misspelt",
    ),
    pytest.param(
        IDENTITY,
        '{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}]}',
        ("Statement[0].Effect: appears more than once",),
        id="statement-element-repeated",
    ),
    # Action, NotAction
    pytest.param(
        IDENTITY,
        policy(allow(Action="s3GetObject")),
        ('Statement[0].Action: "s3GetObject" is not a service:action (or "*")',),
        id="action-no-service",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Action=["s3:Get*", "s3:Get Object"])),
        ('Statement[0].Action: "s3:Get Object" is not a service:action (or "*")',),
        id="action-space",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(NotAction="iam:*")),
        ("Statement[0]: has both Action and NotAction",),
        id="action-and-not-action",
    ),
    pytest.param(
        IDENTITY,
        policy({"Effect": "Allow", "Resource": "*"}),
        ("Statement[0]: needs Action or NotAction",),
        id="no-action",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Action=[])),
        ("Statement[0].Action: must not be an empty list",),
        id="action-empty",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Action={"s3": "GetObject"})),
        ("Statement[0].Action: must be a string or a list of strings, not an object",),
        id="action-an-object",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Action=["s3:GetObject", 3])),
        ("Statement[0].Action: 3 is not a string",),
        id="action-item-a-number",
    ),
    # Resource, NotResource
    pytest.param(
        IDENTITY,
        policy(allow(), allow(), allow(Resource="bucket/*")),
        ('Statement[2].Resource: "bucket/*" is not an ARN or "*"',),
        id="resource-not-an-arn",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Resource="arn:aws:s3:::")),
        ('Statement[0].Resource: "arn:aws:s3:::" is not an ARN or "*"',),
        id="resource-arn-without-resource",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Resource="arn:aws:sns:eu-west-1:123456789012")),
        ('Statement[0].Resource: "arn:aws:sns:eu-west-1:123456789012" is not an ARN or "*"',),
        id="resource-arn-five-parts",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(NotResource="*")),
        ("Statement[0]: has both Resource and NotResource",),
        id="resource-and-not-resource",
    ),
    pytest.param(
        IDENTITY,
        policy({"Effect": "Allow", "Action": "s3:GetObject"}),
        ("Statement[0]: needs Resource or NotResource",),
        id="no-resource",
    ),
    pytest.param(
        RESOURCE,
        policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}),
        ("Statement[0]: needs Resource or NotResource",),
        id="no-resource-in-resource-policy",
    ),
    pytest.param(
        TRUST,
        policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Resource": "*",
            }
        ),
        ("Statement[0].Resource: not allowed in a trust policy",),
        id="resource-in-trust",
    ),
    pytest.param(
        TRUST,
        policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "NotResource": "*",
            }
        ),
        ("Statement[0].NotResource: not allowed in a trust policy",),
        id="not-resource-in-trust",
    ),
    # Principal, NotPrincipal
    pytest.param(
        IDENTITY,
        policy(allow(), allow(Principal="*")),
        ("Statement[1].Principal: not allowed in an identity policy",),
        id="principal-in-identity",
    ),
    pytest.param(
        IDENTITY,
        policy(allow(Effect="Deny", NotPrincipal={"AWS": ACCOUNT})),
        ("Statement[0].NotPrincipal: not allowed in an identity policy",),
        id="not-principal-in-identity",
    ),
    pytest.param(
        RESOURCE,
        policy(allow()),
        ("Statement[0]: needs a Principal in a resource policy",),
        id="no-principal",
    ),
    pytest.param(
        TRUST,
        policy({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        ("Statement[0]: needs a Principal in a trust policy",),
        id="no-principal-in-trust",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Effect="Deny", Principal="*", NotPrincipal={"AWS": ACCOUNT})),
        ("Statement[0]: has both Principal and NotPrincipal",),
        id="principal-and-not-principal",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(NotPrincipal={"AWS": ACCOUNT})),
        ('Statement[0].NotPrincipal: not allowed with Effect "Allow"',),
        id="not-principal-with-allow",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal="everyone")),
        ('Statement[0].Principal: must be "*" or an object of principal types, not "everyone"',),
        id="principal-a-string",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal={})),
        ("Statement[0].Principal: names no principal",),
        id="principal-empty",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal={"Group": "admins"})),
        ("Statement[0].Principal.Group: not a principal type (AWS, Service, Federated or CanonicalUser)",),
        id="principal-type-unknown",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/lp-*"})),
        (
            f'Statement[0].Principal.AWS: "arn:aws:iam::{ACCOUNT}:role/lp-*" is not "*", a 12-digit '
            "account id or the ARN of a principal",
        ),
        id="principal-aws-wildcard",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal={"AWS": ["12345678901", f"arn:aws:iam::{ACCOUNT}:group/admins"]})),
        (
            'Statement[0].Principal.AWS: "12345678901" is not "*", a 12-digit account id or the ARN of a '
            "principal",
            f'Statement[0].Principal.AWS: "arn:aws:iam::{ACCOUNT}:group/admins" is not "*", a 12-digit '
            "account id or the ARN of a principal",
        ),
        id="principal-aws-short-account-and-group",
    ),
    pytest.param(
        TRUST,
        policy({"Effect": "Allow", "Principal": {"Service": "sagemaker"}, "Action": "sts:AssumeRole"}),
        (
            'Statement[0].Principal.Service: "sagemaker" is not a service principal '
            '(name.amazonaws.com) or "*"',
        ),
        id="principal-service-bare-name",
    ),
    pytest.param(
        TRUST,
        policy(
            {"Effect": "Allow", "Principal": {"Federated": ""}, "Action": "sts:AssumeRoleWithWebIdentity"}
        ),
        ('Statement[0].Principal.Federated: "" is empty',),
        id="principal-federated-empty",
    ),
    pytest.param(
        RESOURCE,
        policy(allow(Principal={"AWS": []})),
        ("Statement[0].Principal.AWS: must not be an empty list",),
        id="principal-aws-empty-list",
    ),
    pytest.param(
        RESOURCE,
        '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*", "AWS": "123456789012"}, '
        '"Action": "s3:*", "Resource": "*"}]}',
        ("Statement[0].Principal.AWS: appears more than once",),
        id="principal-type-repeated",
    ),
    # Condition
    pytest.param(
        IDENTITY,
        policy(allow(Condition="aws:SecureTransport")),
        ('Statement[0].Condition: must be an object of condition operators, not "aws:SecureTransport"',),
        id="condition-a-string",
    ),
    pytest.param(
        IDENTITY,
        '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": '
        '{"Bool": {"aws:SecureTransport": "true", "aws:SecureTransport": "false"}}}]}',
        ("Statement[0].Condition.Bool.aws:SecureTransport: appears more than once",),
        id="condition-key-repeated",
    ),
]


@pytest.mark.parametrize(("kind", "text", "messages"), MALFORMED)
def test_a_malformed_document_is_refused_naming_the_element(
    kind: PolicyKind, text: str, messages: tuple[str, ...]
) -> None:
    assert problems(text, kind) == messages


def test_condition_problems_are_those_of_the_condition_checker_under_the_statement() -> None:
    block = {"StringEqualz": {"aws:SourceAccount": ACCOUNT}}
    from_checker = conditions.check_block(block)
    assert from_checker, "the condition checker accepts an unknown operator"
    text = policy(allow(), allow(Sid="Audit", Condition=block))
    assert problems(text, IDENTITY) == tuple(
        f'Statement[1] (Sid "Audit").Condition.{m}' for m in from_checker
    )
    assert problems(policy(allow(Condition=block)), IDENTITY) == (
        "Statement[0].Condition.StringEqualz: not an IAM condition operator",
    )


def test_every_problem_in_a_document_is_reported() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-18",
            "Id": "deploy",
            "Statement": [
                {"Sid": "Read", "Effect": "allow", "Action": "s3GetObject", "Resource": "bucket/*"},
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "NotAction": "s3:*",
                },
            ],
        }
    )
    assert problems(text, IDENTITY) == (
        'Version: "2012-10-18" is not 2012-10-17 or 2008-10-17',
        "Id: not allowed in an identity policy",
        'Statement[0] (Sid "Read").Effect: must be "Allow" or "Deny", not "allow"',
        'Statement[0] (Sid "Read").Action: "s3GetObject" is not a service:action (or "*")',
        'Statement[0] (Sid "Read").Resource: "bucket/*" is not an ARN or "*"',
        'Statement[1] (Sid "Read").Principal: not allowed in an identity policy',
        'Statement[1] (Sid "Read"): has both Action and NotAction',
        'Statement[1] (Sid "Read"): needs Resource or NotResource',
        'Sid "Read" is used by more than one statement',
    )


def test_the_error_names_the_policy_and_keeps_its_problems() -> None:
    with pytest.raises(PolicyError) as raised:
        parse(
            policy(allow(Effect="allow"), allow(Action="s3")),
            name='inline policy "deploy" of role x',
            kind=IDENTITY,
        )
    error = raised.value
    assert error.name == 'inline policy "deploy" of role x'
    assert error.problems == (
        'Statement[0].Effect: must be "Allow" or "Deny", not "allow"',
        'Statement[1].Action: "s3" is not a service:action (or "*")',
    )
    assert str(error) == 'inline policy "deploy" of role x: ' + "; ".join(error.problems)
    assert isinstance(error, ValueError)


def test_invalid_utf8_is_not_json() -> None:
    (message,) = problems(b'{"Statement": "\xff"}', IDENTITY)
    assert message.startswith("not JSON: 'utf-8' codec can't decode byte 0xff")


def test_characters_outside_latin_1_are_refused_in_iam_documents_only() -> None:
    resource = f"{BUCKET}/Bob\u2019s/*"
    bucket_policy = policy(allow(Principal="*", Resource=resource))
    assert parse(bucket_policy, name="bucket", kind=RESOURCE).statements[0].resource == (resource,)
    identity_policy = policy(allow(Resource=[resource, "arn:aws:s3:::\u0100"]))
    assert problems(identity_policy, IDENTITY) == (
        f"characters: U+2019 at offset {identity_policy.index(chr(0x2019))} (and 1 more) is not allowed in "
        "an IAM policy (only tab, line feed, carriage return and U+0020 to U+00FF)",
    )


# -- sizes -------------------------------------------------------------------------------------------------

LIMITS = [
    pytest.param(documents.ROLE_TRUST_POLICY_MAX, 2048, TRUST, False, id="role-trust"),
    pytest.param(documents.ROLE_INLINE_POLICIES_MAX, 10240, IDENTITY, False, id="role-inline"),
    pytest.param(documents.USER_INLINE_POLICIES_MAX, 2048, IDENTITY, False, id="user-inline"),
    pytest.param(documents.GROUP_INLINE_POLICIES_MAX, 5120, IDENTITY, False, id="group-inline"),
    pytest.param(documents.MANAGED_POLICY_MAX, 6144, IDENTITY, False, id="managed"),
    pytest.param(documents.BUCKET_POLICY_MAX, 20480, RESOURCE, True, id="bucket"),
    pytest.param(documents.KEY_POLICY_MAX, 32768, RESOURCE, True, id="key"),
    pytest.param(documents.TOPIC_POLICY_MAX, 30720, RESOURCE, True, id="topic"),
    pytest.param(documents.REPOSITORY_POLICY_MAX, 10240, RESOURCE, True, id="repository"),
    pytest.param(documents.MODEL_PACKAGE_GROUP_POLICY_MAX, 20480, RESOURCE, True, id="model-package-group"),
]


def sized(target: int, kind: PolicyKind, count_whitespace: bool, indent: int | None = None) -> str:
    """A valid policy of ``kind`` whose size (as counted) is exactly ``target``: a Sid of the right length."""
    statement: dict[str, Any] = {"Sid": "", "Effect": "Allow", "Action": "sts:AssumeRole"}
    if kind is not PolicyKind.IDENTITY:
        statement["Principal"] = {"Service": "sagemaker.amazonaws.com"}
    if kind is not PolicyKind.TRUST:
        statement["Resource"] = "*"

    def text(sid: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Sid": sid}]}, indent=indent)

    text_of_target = text("S" * (target - size(text(""), count_whitespace)))
    assert size(text_of_target, count_whitespace) == target
    return text_of_target


@pytest.mark.parametrize(("limit", "number", "kind", "count_whitespace"), LIMITS)
def test_a_policy_at_its_limit_is_accepted_and_one_over_is_refused(
    limit: int, number: int, kind: PolicyKind, count_whitespace: bool
) -> None:
    assert limit == number
    at_limit = sized(limit, kind, count_whitespace)
    parse(at_limit, name="p", kind=kind, max_size=limit, count_whitespace=count_whitespace)
    counted = "characters" if count_whitespace else "characters not counting white space"
    over = sized(limit + 1, kind, count_whitespace)
    assert problems(over, kind, max_size=limit, count_whitespace=count_whitespace) == (
        f"size: {limit + 1:,} {counted}, over the {limit:,} this policy may have",
    )


def test_white_space_counts_only_when_asked() -> None:
    text = sized(documents.ROLE_TRUST_POLICY_MAX, TRUST, count_whitespace=False, indent=8)
    parse(text, name="trust", kind=TRUST, max_size=documents.ROLE_TRUST_POLICY_MAX, count_whitespace=False)
    assert problems(text, TRUST, max_size=documents.ROLE_TRUST_POLICY_MAX) == (
        f"size: {len(text):,} characters, over the 2,048 this policy may have",
    )


@pytest.mark.parametrize(
    ("text", "count_whitespace", "counted"),
    [
        ('{ "a" :\n\t[1, 2]\r\n}', True, 18),
        ('{ "a" :\n\t[1, 2]\r\n}', False, 11),
        ('{"Sid": "A B"}', False, 12),
        ("{\u00a0}", False, 3),
    ],
)
def test_size_counts_characters_and_leaves_out_json_white_space_when_asked(
    text: str, count_whitespace: bool, counted: int
) -> None:
    assert size(text, count_whitespace) == counted


def test_a_size_problem_is_reported_with_the_others() -> None:
    text = policy(allow(Effect="allow"))
    assert problems(text, IDENTITY, max_size=10) == (
        f"size: {len(text):,} characters, over the 10 this policy may have",
        'Statement[0].Effect: must be "Allow" or "Deny", not "allow"',
    )


# -- condition keys the sandbox cannot evaluate ------------------------------------------------------------


def supported(key: str) -> bool:
    return key.lower() in {"aws:securetransport", "aws:sourceaccount"}


def test_a_condition_key_the_sandbox_cannot_evaluate_is_refused_as_unsupported() -> None:
    text = policy(
        allow(),
        allow(Condition={"Bool": {"aws:SecureTransport": "true"}}),
        allow(
            Sid="Tagged",
            Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:PrincipalTag/team": "ml"}},
        ),
        allow(Condition={"StringEquals": {"aws:ResourceTag/team": "ml"}}),
    )
    with pytest.raises(UnsupportedPolicy) as raised:
        parse(text, name="deploy", kind=IDENTITY, supported_key=supported)
    assert not isinstance(raised.value, PolicyError)
    assert raised.value.name == "deploy"
    assert raised.value.problems == (
        'Statement[2] (Sid "Tagged").Condition.StringEquals.aws:PrincipalTag/team: '
        "the sandbox cannot evaluate this condition key",
        "Statement[3].Condition.StringEquals.aws:ResourceTag/team: "
        "the sandbox cannot evaluate this condition key",
    )
    assert str(raised.value) == "deploy: " + "; ".join(raised.value.problems)


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        pytest.param(RESOURCE, TLS_ONLY_BUCKET_POLICY, id="bucket"),
        pytest.param(RESOURCE, KEY_POLICY, id="key"),
        pytest.param(TRUST, SAGEMAKER_TRUST_POLICY, id="trust"),
    ],
)
def test_supported_keys_pass_and_every_key_is_asked_about(kind: PolicyKind, document: dict[str, Any]) -> None:
    asked: list[str] = []

    def record(key: str) -> bool:
        asked.append(key)
        return supported(key)

    parse(json.dumps(document), name="p", kind=kind, supported_key=record)
    written = [
        key
        for statement in document["Statement"]
        for block in statement.get("Condition", {}).values()
        for key in block
    ]
    assert asked == written
    assert asked


def test_a_malformed_document_is_refused_as_malformed_before_any_key_is_judged() -> None:
    text = policy(allow(Effect="allow", Condition={"StringEquals": {"aws:ResourceTag/team": "ml"}}))
    asked: list[str] = []
    with pytest.raises(PolicyError) as raised:
        parse(text, name="p", kind=IDENTITY, supported_key=lambda key: asked.append(key) or False)
    assert raised.value.problems == ('Statement[0].Effect: must be "Allow" or "Deny", not "allow"',)
    assert asked == []
