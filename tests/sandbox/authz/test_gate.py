"""The gate in front of the sandbox: every signed request is authorized, and refused as AWS refuses it.

A refusal answers in the service's protocol with AWS's error code and message (who, which action, which
resource, why); an access key the sandbox did not issue is refused; TLS-only bucket policies refuse what AWS
refuses; the administrative caller (the account's root) is subject to resource policies; a policy document
AWS would refuse is refused with the service's error before anything is stored; and the sandbox reports which
statements allowed a role's calls (/_launchpad/authz/usage) and its counts (/_launchpad/authz/stats).
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from tests.sandbox.support import client_error, unchecked_client

TRUSTED_SERVICE = "codebuild.amazonaws.com"
UNKNOWN_KEY = "AKIAXXXXXXXXXXXXXXXX"
MOTO_DEFAULT_ACCOUNT = "123456789012"


# -- helpers -------------------------------------------------------------------------------------------------
def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Role:
    """A role CodeBuild may take, and the credentials of CodeBuild's session of it."""

    target: AwsTarget
    name: str
    arn: str
    session: boto3.Session

    @property
    def session_arn(self) -> str:
        return f"arn:aws:sts::{self.target.account_id}:assumed-role/{self.name}/codebuild"

    def allow(self, *statements: Mapping[str, Any], policy: str = "permissions") -> None:
        self.target.client("iam").put_role_policy(
            RoleName=self.name, PolicyName=policy, PolicyDocument=document(*statements)
        )

    def client(self, service: str) -> Any:
        return self.session.client(
            service, endpoint_url=self.target.endpoint_url, config=Config(retries={"max_attempts": 1})
        )


def make_role(target: AwsTarget, name: str = "builder") -> Role:
    trust = document(
        {"Effect": "Allow", "Principal": {"Service": TRUSTED_SERVICE}, "Action": "sts:AssumeRole"}
    )
    arn = target.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    body = json.dumps(
        {
            "role_arn": arn,
            "service": TRUSTED_SERVICE,
            "source_account": target.account_id,
            "region": target.region,
        }
    ).encode()
    request = urllib.request.Request(
        f"{target.endpoint_url}/_launchpad/service-session", data=body, method="POST"
    )
    with urllib.request.urlopen(request) as answer:
        credentials = json.loads(answer.read())["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=target.region,
    )
    return Role(target, name, arn, session)


@pytest.fixture
def role(sandbox_target: AwsTarget) -> Role:
    return make_role(sandbox_target)


def refusal(call: Callable[[], Any]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the AWS error ``call`` raises."""
    with pytest.raises(ClientError) as raised:
        call()
    code, message = client_error(raised)
    return code, message, raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def route(target: AwsTarget, path: str, **query: str) -> dict[str, Any]:
    url = f"{target.endpoint_url}/_launchpad/authz/{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url) as answer:
        return json.loads(answer.read())


def new_bucket(target: AwsTarget, prefix: str) -> str:
    name = f"{prefix}-{target.account_id}"
    target.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region}
    )
    return name


# -- a denial in each protocol's form ------------------------------------------------------------------------
@dataclass(frozen=True)
class Denial:
    service: str
    call: Callable[[Any], Any]
    action: str
    resource: str  # {account}, {region} filled in
    code: str
    status: int | None  # None: not asserted


DENIALS = [
    pytest.param(
        Denial(
            "iam",
            lambda c: c.get_role(RoleName="other"),
            "iam:GetRole",
            "arn:aws:iam::{account}:role/other",
            "AccessDenied",
            403,
        ),
        id="query-iam-AccessDenied",
    ),
    pytest.param(
        Denial(
            "cloudwatch",
            lambda c: c.describe_alarms(AlarmNames=["churn-5xx"]),
            "cloudwatch:DescribeAlarms",
            "arn:aws:cloudwatch:{region}:{account}:alarm:churn-5xx",
            "AccessDenied",
            None,
        ),
        id="query-cloudwatch-AccessDenied",
    ),
    pytest.param(
        Denial(
            "sns",
            lambda c: c.create_topic(Name="alerts"),
            "sns:CreateTopic",
            "arn:aws:sns:{region}:{account}:alerts",
            "AuthorizationError",
            403,
        ),
        id="query-sns-AuthorizationError",
    ),
    pytest.param(
        Denial("ec2", lambda c: c.describe_vpcs(), "ec2:DescribeVpcs", "*", "UnauthorizedOperation", 403),
        id="ec2-UnauthorizedOperation",
    ),
    pytest.param(
        Denial(
            "sagemaker",
            lambda c: c.describe_endpoint(EndpointName="churn"),
            "sagemaker:DescribeEndpoint",
            "arn:aws:sagemaker:{region}:{account}:endpoint/churn",
            "AccessDeniedException",
            400,
        ),
        id="json-sagemaker-AccessDeniedException",
    ),
    pytest.param(
        Denial("kms", lambda c: c.list_keys(), "kms:ListKeys", "*", "AccessDeniedException", 400),
        id="json-kms-AccessDeniedException",
    ),
    pytest.param(
        Denial(
            "logs",
            lambda c: c.create_log_group(logGroupName="/churn"),
            "logs:CreateLogGroup",
            "arn:aws:logs:{region}:{account}:log-group:/churn",
            "AccessDeniedException",
            400,
        ),
        id="json-logs-AccessDeniedException",
    ),
    pytest.param(
        Denial(
            "ecr",
            lambda c: c.create_repository(repositoryName="churn"),
            "ecr:CreateRepository",
            "arn:aws:ecr:{region}:{account}:repository/churn",
            "AccessDeniedException",
            400,
        ),
        id="json-ecr-AccessDeniedException",
    ),
    pytest.param(
        Denial(
            "application-autoscaling",
            lambda c: c.describe_scalable_targets(ServiceNamespace="sagemaker"),
            "application-autoscaling:DescribeScalableTargets",
            "*",
            "AccessDeniedException",
            400,
        ),
        id="json-application-autoscaling-AccessDeniedException",
    ),
    pytest.param(
        Denial(
            "s3",
            lambda c: c.list_objects_v2(Bucket="churn-artifacts"),
            "s3:ListBucket",
            "arn:aws:s3:::churn-artifacts",
            "AccessDenied",
            403,
        ),
        id="rest-xml-s3-AccessDenied",
    ),
    pytest.param(
        Denial(
            "sagemaker-runtime",
            lambda c: c.invoke_endpoint(EndpointName="churn", Body=b"{}"),
            "sagemaker:InvokeEndpoint",
            "arn:aws:sagemaker:{region}:{account}:endpoint/churn",
            "AccessDeniedException",
            None,
        ),
        id="rest-json-sagemaker-runtime-AccessDeniedException",
    ),
]


@pytest.mark.parametrize("denial", DENIALS)
def test_a_denial_answers_in_the_protocols_form_with_awss_code_and_message(
    sandbox_target: AwsTarget, role: Role, denial: Denial
) -> None:
    code, message, status = refusal(lambda: denial.call(role.client(denial.service)))
    resource = denial.resource.format(account=sandbox_target.account_id, region=sandbox_target.region)
    assert (code, message) == (
        denial.code,
        f"User: {role.session_arn} is not authorized to perform: {denial.action} on resource: {resource} "
        f"because no identity-based policy allows the {denial.action} action",
    )
    if denial.status is not None:
        assert status == denial.status


def test_sts_refuses_a_role_the_callers_policies_do_not_let_it_assume(
    sandbox_target: AwsTarget, role: Role
) -> None:
    account = sandbox_target.account_id
    trust = document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    )
    target_role = sandbox_target.client("iam").create_role(
        RoleName="deployer", AssumeRolePolicyDocument=trust
    )
    arn = target_role["Role"]["Arn"]
    code, message, status = refusal(
        lambda: role.client("sts").assume_role(RoleArn=arn, RoleSessionName="deploy")
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {role.session_arn} is not authorized to perform: sts:AssumeRole on resource: {arn} "
        "because no identity-based policy allows the sts:AssumeRole action"
    )
    role.allow({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn})
    assumed = role.client("sts").assume_role(RoleArn=arn, RoleSessionName="deploy")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/deployer/deploy"


def test_a_head_request_is_refused_with_403_and_no_body(sandbox_target: AwsTarget, role: Role) -> None:
    name = new_bucket(sandbox_target, "head")
    sandbox_target.client("s3").put_object(Bucket=name, Key="k", Body=b"x")
    code, message, status = refusal(lambda: role.client("s3").head_object(Bucket=name, Key="k"))
    assert (code, message, status) == ("403", "Forbidden", 403)


def test_a_resource_policy_deny_is_named_in_the_message(sandbox_target: AwsTarget, role: Role) -> None:
    name = new_bucket(sandbox_target, "denying")
    sandbox_target.client("s3").put_bucket_policy(
        Bucket=name,
        Policy=document(
            {
                "Sid": "NoBuilds",
                "Effect": "Deny",
                "Principal": {"AWS": role.arn},
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            }
        ),
    )
    role.allow({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    code, message, _ = refusal(lambda: role.client("s3").put_object(Bucket=name, Key="k", Body=b"x"))
    assert (code, message) == (
        "AccessDenied",
        f"User: {role.session_arn} is not authorized to perform: s3:PutObject on resource: "
        f"arn:aws:s3:::{name}/k with an explicit deny in a resource-based policy",
    )
    assert "Contents" not in sandbox_target.client("s3").list_objects_v2(Bucket=name)


def test_an_identity_policy_deny_is_named_in_the_message(sandbox_target: AwsTarget, role: Role) -> None:
    role.allow(
        {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "*"},
    )
    code, message, _ = refusal(lambda: role.client("sagemaker").delete_endpoint(EndpointName="churn"))
    assert code == "AccessDeniedException"
    assert message.endswith(
        f"sagemaker:DeleteEndpoint on resource: arn:aws:sagemaker:{sandbox_target.region}:"
        f"{sandbox_target.account_id}:endpoint/churn with an explicit deny in an identity-based policy"
    )


# -- credentials the sandbox did not issue -------------------------------------------------------------------
def _unknown(target: AwsTarget, service: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=UNKNOWN_KEY, aws_secret_access_key="secret", region_name=target.region
    )
    return session.client(
        service, endpoint_url=target.endpoint_url, config=Config(retries={"max_attempts": 1})
    )


def _admins(target: AwsTarget) -> list[AwsTarget]:
    """The accounts a request with an unknown key could have changed: the target's and moto's default."""
    return [target, AwsTarget.sandbox(target.endpoint_url or "", target.region, MOTO_DEFAULT_ACCOUNT)]


def test_an_unknown_access_key_is_refused_by_iam_and_changes_nothing(sandbox_target: AwsTarget) -> None:
    name = f"unknown-{os.urandom(4).hex()}"
    trust = document(
        {"Effect": "Allow", "Principal": {"Service": TRUSTED_SERVICE}, "Action": "sts:AssumeRole"}
    )
    code, message, status = refusal(
        lambda: _unknown(sandbox_target, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    )
    assert (code, message, status) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    for admin in _admins(sandbox_target):
        assert refusal(lambda admin=admin: admin.client("iam").get_role(RoleName=name))[0] == "NoSuchEntity"


def test_an_unknown_access_key_is_refused_by_s3_and_changes_nothing(sandbox_target: AwsTarget) -> None:
    name = f"unknown-{os.urandom(6).hex()}"
    code, _, status = refusal(
        lambda: _unknown(sandbox_target, "s3").create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": sandbox_target.region}
        )
    )
    assert (code, status) == ("InvalidAccessKeyId", 403)
    # Bucket names are global: the name is still free.
    sandbox_target.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": sandbox_target.region}
    )


def test_an_unknown_access_key_is_refused_by_a_json_service_and_changes_nothing(
    sandbox_target: AwsTarget,
) -> None:
    name = f"unknown-{os.urandom(4).hex()}"
    code, message, _ = refusal(
        lambda: _unknown(sandbox_target, "sagemaker").create_model_package_group(ModelPackageGroupName=name)
    )
    assert (code, message) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    for admin in _admins(sandbox_target):
        sagemaker = admin.client("sagemaker")
        assert refusal(lambda s=sagemaker: s.describe_model_package_group(ModelPackageGroupName=name))[0] == (
            "ValidationException"
        )


def test_an_unknown_access_key_is_refused_by_ec2(sandbox_target: AwsTarget) -> None:
    # EC2 API Reference, "Common client error codes": AuthFailure, "The provided credentials could not be
    # validated."
    code, _, _ = refusal(lambda: _unknown(sandbox_target, "ec2").describe_vpcs())
    assert code == "AuthFailure"


def test_an_unknown_access_key_is_refused_by_cloudwatch(sandbox_target: AwsTarget) -> None:
    code, _, _ = refusal(lambda: _unknown(sandbox_target, "cloudwatch").describe_alarms())
    assert code == "InvalidClientTokenId"


# -- TLS-only bucket policies --------------------------------------------------------------------------------
def marked(target: AwsTarget, transport: str | None) -> Any:
    """An S3 client of the account's administrative caller whose requests say they came over ``transport``."""
    client = target.new_client("s3", Config(retries={"max_attempts": 1}))
    if transport is not None:

        def mark(request: Any, **_: Any) -> None:
            request.headers["x-launchpad-transport"] = transport

        client.meta.events.register("before-sign.s3.*", mark)
    return client


@pytest.fixture
def tls_only(sandbox_target: AwsTarget) -> str:
    name = new_bucket(sandbox_target, "tls-only")
    resources = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    sandbox_target.client("s3").put_bucket_policy(
        Bucket=name,
        Policy=document(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOutdatedTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
            },
        ),
    )
    return name


@pytest.mark.parametrize("transport", ["http", "tls1.0", "tls1.1"])
def test_a_tls_only_bucket_refuses_what_aws_refuses(
    sandbox_target: AwsTarget, tls_only: str, transport: str
) -> None:
    code, message, status = refusal(
        lambda: marked(sandbox_target, transport).put_object(Bucket=tls_only, Key="k", Body=b"x")
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("with an explicit deny in a resource-based policy")
    assert "Contents" not in sandbox_target.client("s3").list_objects_v2(Bucket=tls_only)


@pytest.mark.parametrize("transport", [None, "tls1.2", "tls1.3"])
def test_a_tls_only_bucket_accepts_tls_1_2_and_later(
    sandbox_target: AwsTarget, tls_only: str, transport: str | None
) -> None:
    marked(sandbox_target, transport).put_object(Bucket=tls_only, Key="k", Body=b"x")
    assert sandbox_target.client("s3").get_object(Bucket=tls_only, Key="k")["Body"].read() == b"x"


# -- the administrative caller: full identity permissions, but resource policies apply -----------------------
def test_the_account_root_is_held_to_a_bucket_policys_explicit_deny(sandbox_target: AwsTarget) -> None:
    kms, s3 = sandbox_target.client("kms"), sandbox_target.client("s3")
    allowed, other = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    name = new_bucket(sandbox_target, "one-key")
    s3.put_bucket_policy(
        Bucket=name,
        Policy=document(
            {
                "Sid": "OnlyTheBucketKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{name}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": allowed}},
            }
        ),
    )
    code, message, _ = refusal(
        lambda: s3.put_object(
            Bucket=name, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other
        )
    )
    assert code == "AccessDenied"
    assert message == (
        f"User: arn:aws:iam::{sandbox_target.account_id}:root is not authorized to perform: s3:PutObject on "
        f"resource: arn:aws:s3:::{name}/k with an explicit deny in a resource-based policy"
    )
    s3.put_object(Bucket=name, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=allowed)
    assert s3.head_object(Bucket=name, Key="k")["SSEKMSKeyId"] == allowed


def test_the_account_root_is_refused_by_a_key_policy_without_the_account(sandbox_target: AwsTarget) -> None:
    role_arn = make_role(sandbox_target, "key-user").arn
    kms = sandbox_target.client("kms")
    key = kms.create_key(
        Policy=document(
            {
                "Sid": "OnlyKeyUser",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
        BypassPolicyLockoutSafetyCheck=True,
    )["KeyMetadata"]["Arn"]
    code, message, _ = refusal(lambda: kms.describe_key(KeyId=key))
    assert (code, message) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{sandbox_target.account_id}:root is not authorized to perform: kms:DescribeKey "
        f"on resource: {key} because no resource-based policy allows the kms:DescribeKey action",
    )


def test_a_repository_policy_applies_without_a_resource_element(
    sandbox_target: AwsTarget, role: Role
) -> None:
    # Amazon ECR User Guide, "Private repository policies": a repository policy's statements apply to the
    # repository it is set on (its examples have no Resource element).
    ecr = sandbox_target.client("ecr")
    ecr.create_repository(repositoryName="churn")
    policy = document(
        {
            "Sid": "NoPullsByBuilds",
            "Effect": "Deny",
            "Principal": {"AWS": role.arn},
            "Action": "ecr:BatchGetImage",
        }
    )
    ecr.set_repository_policy(repositoryName="churn", policyText=policy)
    assert json.loads(ecr.get_repository_policy(repositoryName="churn")["policyText"]) == json.loads(policy)
    role.allow({"Effect": "Allow", "Action": "ecr:*", "Resource": "*"})
    builds = role.client("ecr")
    code, message, _ = refusal(
        lambda: builds.batch_get_image(repositoryName="churn", imageIds=[{"imageTag": "1.0.0"}])
    )
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in a resource-based policy")
    builds.describe_repositories(repositoryNames=["churn"])


def test_the_account_root_has_full_identity_permissions(sandbox_target: AwsTarget) -> None:
    # No policy anywhere allows these: the root user needs none.
    sandbox_target.client("ec2").describe_vpcs()
    sandbox_target.client("sagemaker").create_model_package_group(ModelPackageGroupName="root-made")
    assert sandbox_target.client("kms").create_key()["KeyMetadata"]["KeyManager"] == "CUSTOMER"


@pytest.mark.parametrize("operation", ["get_bucket_policy", "put_bucket_policy", "delete_bucket_policy"])
def test_the_bucket_owners_root_can_always_manage_the_bucket_policy(
    sandbox_target: AwsTarget, operation: str
) -> None:
    # S3 API Reference, PutBucketPolicy/GetBucketPolicy/DeleteBucketPolicy: "the root principal in a bucket
    # owner's Amazon Web Services account can perform the GetBucketPolicy, PutBucketPolicy, and
    # DeleteBucketPolicy API actions, even if their bucket policy explicitly denies the root principal's
    # access."
    s3 = sandbox_target.client("s3")
    name = new_bucket(sandbox_target, "locked")
    deny_all = document(
        {
            "Sid": "DenyEveryone",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        }
    )
    s3.put_bucket_policy(Bucket=name, Policy=deny_all)
    assert refusal(lambda: s3.list_objects_v2(Bucket=name))[0] == "AccessDenied"
    arguments: dict[str, Any] = {"Bucket": name}
    if operation == "put_bucket_policy":
        arguments["Policy"] = deny_all
    getattr(s3, operation)(**arguments)


# -- bad policy documents: refused with the service's error, and nothing changes -----------------------------
@dataclass(frozen=True)
class Put:
    """Where a policy is put: how to make its resource, put a document, read the stored one, the service's
    error code for a bad one, and how the error names the policy."""

    setup: Callable[[AwsTarget], str]
    put: Callable[[AwsTarget, str, str], Any]
    get: Callable[[AwsTarget, str], str | None]
    code: str
    label: Callable[[str], str]


def _role(target: AwsTarget) -> str:
    trust = document(
        {"Effect": "Allow", "Principal": {"Service": TRUSTED_SERVICE}, "Action": "sts:AssumeRole"}
    )
    target.client("iam").create_role(RoleName="holder", AssumeRolePolicyDocument=trust)
    return "holder"


def _role_policy(target: AwsTarget, name: str) -> str | None:
    try:
        found = target.client("iam").get_role_policy(RoleName=name, PolicyName="inline")["PolicyDocument"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise
    return json.dumps(found) if not isinstance(found, str) else urllib.parse.unquote(found)


def _bucket_policy(target: AwsTarget, name: str) -> str | None:
    try:
        return target.client("s3").get_bucket_policy(Bucket=name)["Policy"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise


def _key(target: AwsTarget) -> str:
    return target.client("kms").create_key()["KeyMetadata"]["KeyId"]


def _repository(target: AwsTarget) -> str:
    target.client("ecr").create_repository(repositoryName="churn")
    return "churn"


def _repository_policy(target: AwsTarget, name: str) -> str | None:
    try:
        return target.client("ecr").get_repository_policy(repositoryName=name)["policyText"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "RepositoryPolicyNotFoundException":
            return None
        raise


def _group(target: AwsTarget) -> str:
    target.client("sagemaker").create_model_package_group(ModelPackageGroupName="churn")
    return "churn"


def _group_policy(target: AwsTarget, name: str) -> str | None:
    try:
        return target.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName=name)[
            "ResourcePolicy"
        ]
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return None
        raise


def _topic(target: AwsTarget) -> str:
    return target.client("sns").create_topic(Name="alerts")["TopicArn"]


PUTS = {
    "iam-PutRolePolicy": Put(
        _role,
        lambda t, n, p: unchecked_client(t, "iam").put_role_policy(
            RoleName=n, PolicyName="inline", PolicyDocument=p
        ),
        _role_policy,
        "MalformedPolicyDocument",
        lambda n: f'inline policy "inline" of role {n}',
    ),
    "s3-PutBucketPolicy": Put(
        lambda t: new_bucket(t, "policed"),
        lambda t, n, p: unchecked_client(t, "s3").put_bucket_policy(Bucket=n, Policy=p),
        _bucket_policy,
        "MalformedPolicy",
        lambda n: f"bucket policy of {n}",
    ),
    "kms-PutKeyPolicy": Put(
        _key,
        lambda t, n, p: unchecked_client(t, "kms").put_key_policy(KeyId=n, PolicyName="default", Policy=p),
        lambda t, n: t.client("kms").get_key_policy(KeyId=n, PolicyName="default")["Policy"],
        "MalformedPolicyDocumentException",
        lambda n: f"key policy of {n}",
    ),
    "ecr-SetRepositoryPolicy": Put(
        _repository,
        lambda t, n, p: unchecked_client(t, "ecr").set_repository_policy(repositoryName=n, policyText=p),
        _repository_policy,
        "InvalidParameterException",
        lambda n: f"repository policy of {n}",
    ),
    "sagemaker-PutModelPackageGroupPolicy": Put(
        _group,
        lambda t, n, p: unchecked_client(t, "sagemaker").put_model_package_group_policy(
            ModelPackageGroupName=n, ResourcePolicy=p
        ),
        _group_policy,
        "ValidationException",
        lambda n: f"resource policy of model package group {n}",
    ),
    "sns-SetTopicAttributes-Policy": Put(
        _topic,
        lambda t, n, p: unchecked_client(t, "sns").set_topic_attributes(
            TopicArn=n, AttributeName="Policy", AttributeValue=p
        ),
        lambda t, n: t.client("sns").get_topic_attributes(TopicArn=n)["Attributes"].get("Policy"),
        "InvalidParameter",
        lambda n: f"topic policy of {n}",
    ),
}


def _valid(kind: str, target: AwsTarget, name: str) -> str:
    """A valid document for the resource (what must survive a refused put)."""
    account = target.account_id
    if kind == "iam-PutRolePolicy":
        return document({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    resource = {
        "s3-PutBucketPolicy": f"arn:aws:s3:::{name}/*",
        "kms-PutKeyPolicy": "*",
        "sagemaker-PutModelPackageGroupPolicy": (
            f"arn:aws:sagemaker:{target.region}:{account}:model-package/{name}/*"
        ),
        "sns-SetTopicAttributes-Policy": name,
    }.get(kind)
    action = {
        "s3-PutBucketPolicy": "s3:GetObject",
        "kms-PutKeyPolicy": "kms:*",
        "ecr-SetRepositoryPolicy": "ecr:BatchGetImage",
        "sagemaker-PutModelPackageGroupPolicy": "sagemaker:DescribeModelPackage",
        "sns-SetTopicAttributes-Policy": "sns:Publish",
    }[kind]
    statement: dict[str, Any] = {
        "Sid": "Account",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": action,
    }
    if resource is not None:
        statement["Resource"] = resource
    return document(statement)


def _with(valid: str, **changes: Any) -> str:
    """``valid`` with its one statement changed."""
    data = json.loads(valid)
    data["Statement"][0].update(changes)
    return json.dumps(data)


BAD_DOCUMENTS = {
    "malformed-effect": (lambda valid: _with(valid, Effect="Allw"), ["Statement[0]", "Effect"]),
    "unknown-condition-operator": (
        lambda valid: _with(valid, Condition={"StringEqualz": {"aws:PrincipalAccount": "111122223333"}}),
        ["Statement[0]", "Condition", "StringEqualz"],
    ),
}


def _stored(target: AwsTarget, put: Put, name: str) -> Any:
    text = put.get(target, name)
    return None if text is None else json.loads(text)


@pytest.mark.parametrize("bad", list(BAD_DOCUMENTS))
@pytest.mark.parametrize("kind", list(PUTS))
def test_a_bad_policy_document_is_refused_and_nothing_changes(
    sandbox_target: AwsTarget, kind: str, bad: str
) -> None:
    put = PUTS[kind]
    name = put.setup(sandbox_target)
    valid = _valid(kind, sandbox_target, name)
    put.put(sandbox_target, name, valid)
    before = _stored(sandbox_target, put, name)
    assert before == json.loads(valid)

    make, named = BAD_DOCUMENTS[bad]
    code, message, _ = refusal(lambda: put.put(sandbox_target, name, make(valid)))
    assert code == put.code
    assert put.label(name) in message, message
    for element in named:
        assert element in message, message
    assert _stored(sandbox_target, put, name) == before


@pytest.mark.parametrize("kind", list(PUTS))
def test_a_first_bad_policy_document_leaves_no_policy(sandbox_target: AwsTarget, kind: str) -> None:
    if kind in ("kms-PutKeyPolicy", "sns-SetTopicAttributes-Policy"):
        pytest.skip("keys and topics always have a policy (their default one)")
    put = PUTS[kind]
    name = put.setup(sandbox_target)
    code, _, _ = refusal(
        lambda: put.put(sandbox_target, name, _with(_valid(kind, sandbox_target, name), Effect="x"))
    )
    assert code == put.code
    assert put.get(sandbox_target, name) is None


def test_a_condition_key_the_sandbox_cannot_supply_is_refused_as_unsupported(
    sandbox_target: AwsTarget,
) -> None:
    name = _role(sandbox_target)
    policy = document(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}},
        }
    )
    code, message, status = refusal(
        lambda: sandbox_target.client("iam").put_role_policy(
            RoleName=name, PolicyName="inline", PolicyDocument=policy
        )
    )
    assert (code, status) == ("LaunchpadSandboxUnsupported", 400)
    assert 'inline policy "inline" of role holder' in message
    assert "Statement[0].Condition.StringEquals.aws:ResourceTag/team" in message
    assert _role_policy(sandbox_target, name) is None


def _statements(count: int, width: int) -> list[dict[str, Any]]:
    return [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::bucket-{i:04d}-{'x' * width}/*",
        }
        for i in range(count)
    ]


def _size(text: str) -> int:
    return sum(1 for c in text if c not in " \t\r\n")


def test_a_roles_inline_policies_are_limited_to_10240_characters_together(sandbox_target: AwsTarget) -> None:
    # IAM and AWS STS quotas: "Role policy size ... 10,240 characters" (the total of a role's inline
    # policies), "IAM doesn't count white space when calculating the size of a policy against these limits".
    iam = sandbox_target.client("iam")
    name = _role(sandbox_target)
    first = json.dumps({"Version": "2012-10-17", "Statement": _statements(50, 40)}, indent=8)
    second = json.dumps({"Version": "2012-10-17", "Statement": _statements(50, 40)}, separators=(",", ":"))
    assert _size(first) < 10240 < len(first)  # white space is not counted
    assert _size(first) + _size(second) > 10240
    iam.put_role_policy(RoleName=name, PolicyName="first", PolicyDocument=first)
    code, message, status = refusal(
        lambda: iam.put_role_policy(RoleName=name, PolicyName="second", PolicyDocument=second)
    )
    assert (code, status) == ("LimitExceeded", 409)
    assert "role holder" in message and 'inline policy "second"' in message
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["first"]
    iam.put_role_policy(
        RoleName=name, PolicyName="first", PolicyDocument=second
    )  # replacing one is counted once


def test_a_bucket_policy_is_limited_to_20_kb(sandbox_target: AwsTarget) -> None:
    # S3 User Guide, "Bucket policies for Amazon S3": "Bucket policies are limited to 20 KB in size."
    s3 = sandbox_target.client("s3")
    name = new_bucket(sandbox_target, "big-policy")
    small = document(
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Principal": {"AWS": sandbox_target.account_id},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
    )
    s3.put_bucket_policy(Bucket=name, Policy=small)
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{name}/prefix-{i:04d}/*",
        }
        for i in range(250)
    ]
    big = json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
    assert len(big) > 20 * 1024
    code, message, _ = refusal(lambda: s3.put_bucket_policy(Bucket=name, Policy=big))
    assert code == "MalformedPolicy"
    assert f"bucket policy of {name}" in message and "size" in message
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(small)


# -- least-privilege evidence and counts ---------------------------------------------------------------------
def test_the_usage_route_reports_which_statements_allowed_a_roles_calls(
    sandbox_target: AwsTarget, role: Role
) -> None:
    name = new_bucket(sandbox_target, "usage")
    sandbox_target.client("s3").put_object(Bucket=name, Key="k", Body=b"x")
    role.allow(
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{name}"},
        {"Sid": "ReadA", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"},
        {
            "Sid": "Unused",
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        },
        policy="a",
    )
    role.allow({"Sid": "ReadB", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}, policy="b")
    s3 = role.client("s3")
    s3.list_objects_v2(Bucket=name)
    s3.get_object(Bucket=name, Key="k")
    refusal(lambda: s3.put_object(Bucket=name, Key="new", Body=b"x"))

    report = route(sandbox_target, "usage", role=role.arn)
    policy_a, policy_b = 'inline policy "a" of role builder', 'inline policy "b" of role builder'
    assert report["role"] == role.arn
    assert report["calls"] == 3
    assert report["actions"] == {"s3:ListBucket": 1, "s3:GetObject": 1, "s3:PutObject": 1}
    allowed = {(a["policy"], a["statement"], a["action"]): a["calls"] for a in report["allowed"]}
    assert allowed == {
        (policy_a, 'Sid "List"', "s3:ListBucket"): 1,
        (policy_a, 'Sid "ReadA"', "s3:GetObject"): 1,
        (policy_b, 'Sid "ReadB"', "s3:Get*"): 1,
    }
    assert report["necessary"] == [
        {
            "policy": policy_a,
            "statement": 'Sid "List"',
            "action": "s3:ListBucket",
            "for": ["s3:ListBucket", f"arn:aws:s3:::{name}"],
        }
    ]
    assert report["denied"] == [
        {
            "action": "s3:PutObject",
            "resource": f"arn:aws:s3:::{name}/new",
            "reason": "because no identity-based policy allows the s3:PutObject action",
        }
    ]


def test_the_stats_route_counts_authorizations_and_their_time(sandbox_target: AwsTarget, role: Role) -> None:
    before = route(sandbox_target, "stats")
    refusal(lambda: role.client("sagemaker").describe_endpoint(EndpointName="churn"))
    refusal(lambda: _unknown(sandbox_target, "iam").list_roles())
    after = route(sandbox_target, "stats")
    assert after["enabled"] is True
    assert after["checks"] >= before.get("checks", 0) + 1
    assert after["denied"] >= before.get("denied", 0) + 1
    assert after["unknown credentials"] >= before.get("unknown credentials", 0) + 1
    timing = after["authorize_ms"]
    assert timing["calls"] >= 1
    assert 0 <= timing["median"] <= timing["p99"]
