"""What each API call the platform makes must be authorized for: its action, its resources, its request
context and the dependent authorizations AWS makes on the caller's behalf.

``operations.yaml`` has one row per operation the platform calls (deploy/, demo/, and what the sandbox does as
an AWS service in patches/); ``plan`` is checked against it in-process. ``plan`` reads moto's backends, which
live in the sandbox server's process, so the authorizations that depend on stored state (an SSE-KMS bucket's
key, an endpoint configuration's volume key, whether a service-linked role exists yet) are tested end to end:
a role session without the dependent permission is refused with AccessDenied naming it, nothing changes, and
the same call succeeds once the role's policy allows it.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from boto3.s3.transfer import TransferConfig
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.arns import MappingError
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.authz.requests import Check, plan
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from tests.sandbox.support import client_error, execution_role, service_role

HERE = Path(__file__).parent
SCRIPTS = Path(__file__).resolve().parents[3] / "scripts" / "launchpad"
ACCOUNT, REGION = "111122223333", "eu-west-1"
CALLER = principals.role_session(f"arn:aws:iam::{ACCOUNT}:role/deploy", "build")
ROWS: list[dict[str, Any]] = yaml.safe_load((HERE / "operations.yaml").read_text())


# -- the table -----------------------------------------------------------------------------------------------
def _row_id(row: Mapping[str, Any]) -> str:
    return f"{row['service']}:{row['operation']}" + (f":{row['id']}" if row.get("id") else "")


def _principal(row: Mapping[str, Any]) -> Principal:
    who = row.get("principal")
    if who is None:
        return CALLER
    return principals.service(who["service"], ACCOUNT)


def _checks(row: Mapping[str, Any]) -> list[Check]:
    call = acting.call(
        row["service"], row["operation"], row.get("params") or {}, REGION, **(row.get("headers") or {})
    )
    return plan(call, _principal(row)).checks


def _key(check: Check | Mapping[str, Any]) -> tuple[str, str, str | None]:
    if isinstance(check, Check):
        return check.action, check.resource, check.dependent_of
    return check["action"], check["resource"], check.get("dependent_of")


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_each_platform_operation_is_authorized_for_its_actions_and_resources(row: dict[str, Any]) -> None:
    checks = _checks(row)
    expected = [_key(c) for c in row["checks"]]
    actual = [_key(c) for c in checks]
    if row.get("exact", True):
        assert sorted(actual, key=str) == sorted(expected, key=str)
    else:
        missing = [c for c in expected if c not in actual]
        assert not missing, f"missing {missing} in {actual}"
    if expected:  # the call's own action comes first, as AWS checks it
        assert checks[0].dependent_of is None
        assert checks[0].action == expected[0][0]


@pytest.mark.parametrize("row", [r for r in ROWS if any("context" in c for c in r["checks"])], ids=_row_id)
def test_each_authorization_carries_its_condition_keys(row: dict[str, Any]) -> None:
    checks = {_key(c): c for c in _checks(row)}
    for wanted in (c for c in row["checks"] if "context" in c):
        check = checks[_key(wanted)]
        for key, values in wanted["context"].items():
            assert tuple(check.context.get(key, ())) == tuple(str(v) for v in values), (key, check.context)


def test_every_operation_the_platform_calls_has_a_row() -> None:
    """The boto3 calls of deploy/, demo/ and aws.py (methods, paginators, waiters, upload_file) have rows."""
    session = botocore.session.get_session()
    services = (
        "sagemaker",
        "sagemaker-runtime",
        "cloudwatch",
        "application-autoscaling",
        "s3",
        "kms",
        "iam",
        "sts",
        "ec2",
        "codepipeline",
        "ecr",
        "logs",
    )
    by_name: dict[str, set[tuple[str, str]]] = {}
    for service in services:
        for operation in session.get_service_model(service).operation_names:
            by_name.setdefault(xform_name(operation), set()).add((service, operation))
    transfers = {
        ("s3", o)
        for o in (
            "PutObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
            "AbortMultipartUpload",
        )
    }
    waiters = {"endpoint_deleted": {("sagemaker", "DescribeEndpoint")}}
    table = {(r["service"], r["operation"]) for r in ROWS}
    called: dict[str, set[tuple[str, str]]] = {}
    for path in [*SCRIPTS.glob("deploy/*.py"), *SCRIPTS.glob("demo/*.py"), SCRIPTS / "aws.py"]:
        text = path.read_text()
        names = set(re.findall(r"\.([a-z][a-z0-9_]+)\(", text)) | set(
            re.findall(r"\"([a-z][a-z0-9_]+)\"", text)
        )
        for name in names:
            if name in ("upload_file", "upload_fileobj"):
                called[f"{path.name}: {name}"] = transfers
            elif name in waiters:
                called[f"{path.name}: {name}"] = waiters[name]
            elif name in by_name:
                called[f"{path.name}: {name}"] = by_name[name]
    assert called, "no boto3 call found: the scan is broken"
    missing = sorted(
        where
        for where, candidates in called.items()
        if candidates.isdisjoint(table) and not candidates <= transfers
    )
    missing += sorted(
        f"{where} -> {op}"
        for where, candidates in called.items()
        if candidates <= transfers
        for op in candidates - table
    )
    assert not missing, f"operations the platform calls with no row in operations.yaml: {missing}"


def test_the_sources_named_in_the_table_exist() -> None:
    for row in ROWS:
        for source in row["sources"]:
            assert (SCRIPTS / source).is_file(), f"{_row_id(row)}: {source}"


def _sagemaker_keys(operation: str, params: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The sagemaker: condition keys of the call's own authorization."""
    check = plan(acting.call("sagemaker", operation, params, REGION), CALLER).checks[0]
    return {k: tuple(v) for k, v in check.context.items() if k.startswith("sagemaker:")}


VOLUME_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111bbbb-12ab-34cd-56ef-1234567890ab"
OUTPUT_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000aaaa-12ab-34cd-56ef-1234567890ab"


def test_training_and_transform_jobs_carry_the_request_keys_of_their_own_members() -> None:
    """The Service Authorization Reference lists these keys for CreateTrainingJob and CreateTransformJob
    too; each is read from that operation's own members (a heterogeneous cluster: every group's type)."""
    training = {
        "TrainingJobName": "churn-train",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/churn-execution",
        "ResourceConfig": {
            "InstanceGroups": [
                {"InstanceGroupName": "a", "InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
                {"InstanceGroupName": "b", "InstanceType": "ml.g5.xlarge", "InstanceCount": 1},
            ],
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": VOLUME_KEY,
        },
        "OutputDataConfig": {"S3OutputPath": "s3://churn/models", "KmsKeyId": OUTPUT_KEY},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": False,
        "VpcConfig": {"Subnets": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d", "sg-4e5f6a7b"]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }
    assert _sagemaker_keys("CreateTrainingJob", training) == {
        "sagemaker:volumekmskeyarn": (VOLUME_KEY,),
        "sagemaker:outputkmskeyarn": (OUTPUT_KEY,),
        "sagemaker:instancetypes": ("ml.m5.xlarge", "ml.g5.xlarge"),
        "sagemaker:intercontainertrafficencryption": ("false",),
        "sagemaker:networkisolation": ("true",),
        "sagemaker:vpcsubnets": ("subnet-0a1b2c3d",),
        "sagemaker:vpcsecuritygroupids": ("sg-0a1b2c3d", "sg-4e5f6a7b"),
        "sagemaker:maxruntimeinseconds": ("86400",),
    }
    transform = {
        "TransformJobName": "churn-batch",
        "ModelName": "churn-a",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://c/in"}}},
        "TransformOutput": {"S3OutputPath": "s3://churn/out", "KmsKeyId": OUTPUT_KEY},
        "TransformResources": {
            "InstanceType": "ml.m5.large",
            "InstanceCount": 1,
            "VolumeKmsKeyId": VOLUME_KEY,
        },
    }
    assert _sagemaker_keys("CreateTransformJob", transform) == {
        "sagemaker:volumekmskeyarn": (VOLUME_KEY,),
        "sagemaker:outputkmskeyarn": (OUTPUT_KEY,),
        "sagemaker:instancetypes": ("ml.m5.large",),
    }


def test_a_member_the_request_leaves_out_is_no_key_of_the_context() -> None:
    """No VpcConfig: no sagemaker:VpcSubnets (a condition on it fails, its ...IfExists form holds)."""
    minimal = {
        "ProcessingJobName": "bare",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/processor",
        "AppSpecification": {"ImageUri": prebuilt_image(REGION, "1.2-1")},
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}
        },
        "NetworkConfig": {},
    }
    assert _sagemaker_keys("CreateProcessingJob", minimal) == {"sagemaker:instancetypes": ("ml.m5.large",)}


# -- what the sandbox cannot tell is refused, loudly ---------------------------------------------------------
def test_an_operation_without_an_action_in_the_catalog_is_a_mapping_error() -> None:
    with pytest.raises(MappingError) as raised:
        plan(acting.call("sagemaker", "FrobnicateEndpoint", {"EndpointName": "churn"}, REGION), CALLER)
    message = str(raised.value)
    assert message.startswith(
        "sagemaker:FrobnicateEndpoint: no action of the Service Authorization Reference"
    )
    assert "authorizes this operation" in message


def test_an_operation_authorized_by_actions_of_other_names_is_refused_rather_than_guessed() -> None:
    # KMS ReEncrypt is authorized by kms:ReEncryptFrom and kms:ReEncryptTo, not by a kms:ReEncrypt action.
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(MappingError, match=r"^kms:ReEncrypt: no action"):
        plan(
            acting.call("kms", "ReEncrypt", {"CiphertextBlob": b"x", "DestinationKeyId": key}, REGION), CALLER
        )


@pytest.mark.parametrize(
    ("service", "operation", "params", "names"),
    [
        pytest.param("sagemaker", "DeleteEndpoint", {}, "endpoint", id="sagemaker-DeleteEndpoint"),
        pytest.param(
            "sagemaker",
            "UpdateEndpoint",
            {"EndpointName": "churn"},
            "endpoint-config",
            id="sagemaker-UpdateEndpoint-without-config",
        ),
        pytest.param("cloudwatch", "DeleteAlarms", {}, "alarm", id="cloudwatch-DeleteAlarms"),
        pytest.param("s3", "DeleteBucket", {}, "bucket", id="s3-DeleteBucket"),
        pytest.param("iam", "DeleteRole", {}, "role", id="iam-DeleteRole"),
        pytest.param("kms", "ScheduleKeyDeletion", {}, "key", id="kms-ScheduleKeyDeletion"),
        pytest.param("logs", "DeleteLogGroup", {}, "log-group", id="logs-DeleteLogGroup"),
        pytest.param("kms", "ScheduleKeyDeletion", {}, "key", id="kms-ScheduleKeyDeletion"),
        pytest.param("logs", "DeleteLogGroup", {}, "log-group", id="logs-DeleteLogGroup"),
    ],
)
def test_a_required_resource_the_request_does_not_name_is_a_mapping_error(
    service: str, operation: str, params: dict[str, Any], names: str
) -> None:
    with pytest.raises(MappingError) as raised:
        plan(acting.call(service, operation, params, REGION), CALLER)
    message = str(raised.value)
    assert message.startswith(f"{service}:{operation}: the request names no {names} (arn:")
    assert "the sandbox will not guess one" in message


# -- end to end: the dependent authorizations that need stored state -----------------------------------------
TRUSTED_SERVICE = "codebuild.amazonaws.com"


@dataclass
class Role:
    """A role of the target's account that CodeBuild may take, and a session of it."""

    target: AwsTarget
    name: str
    arn: str
    session: boto3.Session

    def allow(self, *statements: Mapping[str, Any]) -> None:
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        self.target.client("iam").put_role_policy(
            RoleName=self.name, PolicyName="permissions", PolicyDocument=json.dumps(document)
        )

    def client(self, service: str) -> Any:
        return self.session.client(
            service, endpoint_url=self.target.endpoint_url, config=Config(retries={"max_attempts": 1})
        )


def service_session(target: AwsTarget, role_arn: str, service: str = TRUSTED_SERVICE) -> boto3.Session:
    """Credentials of ``role_arn`` as ``service`` takes it (the sandbox's /_launchpad/service-session)."""
    body = json.dumps(
        {
            "role_arn": role_arn,
            "service": service,
            "source_account": target.account_id,
            "region": target.region,
        }
    ).encode()
    request = urllib.request.Request(
        f"{target.endpoint_url}/_launchpad/service-session",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        credentials = json.loads(answer.read())["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=target.region,
    )


def make_role(target: AwsTarget, name: str = "deploy") -> Role:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": TRUSTED_SERVICE}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = target.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    return Role(target, name, arn, service_session(target, arn))


@pytest.fixture
def role(sandbox_target: AwsTarget) -> Role:
    return make_role(sandbox_target)


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return client_error(raised)


def bucket(target: AwsTarget, name: str, kms_key: str | None = None) -> str:
    s3 = target.client("s3")
    name = f"{name}-{target.account_id}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region})
    if kms_key:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
    return name


@pytest.fixture
def sse_kms(sandbox_target: AwsTarget) -> Iterator[tuple[str, str]]:
    """(a bucket whose default encryption is SSE-KMS with a customer key, that key's ARN)."""
    key = sandbox_target.client("kms").create_key(Description="artifacts")["KeyMetadata"]["Arn"]
    yield bucket(sandbox_target, "sse-kms", key), key


def s3_statement(name: str, actions: list[str]) -> dict[str, Any]:
    return {"Sid": "Objects", "Effect": "Allow", "Action": actions, "Resource": f"arn:aws:s3:::{name}/*"}


def via_s3(target: AwsTarget, key: str, action: str, via: str = "s3") -> dict[str, Any]:
    """A statement allowing ``action`` on ``key`` only on the caller's behalf through ``via`` (S3 User Guide,
    "Using server-side encryption with AWS KMS keys": kms:ViaService, kms:CallerAccount)."""
    return {
        "Sid": action.split(":")[1],
        "Effect": "Allow",
        "Action": action,
        "Resource": key,
        "Condition": {
            "StringEquals": {
                "kms:ViaService": f"{via}.{target.region}.amazonaws.com",
                "kms:CallerAccount": target.account_id,
            },
            "ForAnyValue:StringEquals": {"aws:CalledVia": [f"{via}.amazonaws.com"]},
        },
    }


def test_an_sse_kms_put_needs_kms_generate_data_key_through_s3(
    sandbox_target: AwsTarget, role: Role, sse_kms: tuple[str, str]
) -> None:
    name, key = sse_kms
    role.allow(s3_statement(name, ["s3:PutObject", "s3:GetObject"]))
    s3 = role.client("s3")
    code, message = refused(lambda: s3.put_object(Bucket=name, Key="model.tar.gz", Body=b"model"))
    assert code == "AccessDenied"
    assert message == (
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/deploy/codebuild is not authorized to "
        f"perform: kms:GenerateDataKey on resource: {key} because no identity-based policy allows the "
        "kms:GenerateDataKey action"
    )
    assert "Contents" not in sandbox_target.client("s3").list_objects_v2(Bucket=name)

    role.allow(
        s3_statement(name, ["s3:PutObject", "s3:GetObject"]),
        via_s3(sandbox_target, key, "kms:GenerateDataKey"),
    )
    s3.put_object(Bucket=name, Key="model.tar.gz", Body=b"model")
    stored = sandbox_target.client("s3").head_object(Bucket=name, Key="model.tar.gz")
    assert (stored["ServerSideEncryption"], stored["SSEKMSKeyId"]) == ("aws:kms", key)


def test_kms_on_the_callers_behalf_is_only_allowed_through_the_named_service(
    sandbox_target: AwsTarget, role: Role, sse_kms: tuple[str, str]
) -> None:
    name, key = sse_kms
    role.allow(
        s3_statement(name, ["s3:PutObject"]), via_s3(sandbox_target, key, "kms:GenerateDataKey", "sagemaker")
    )
    code, message = refused(lambda: role.client("s3").put_object(Bucket=name, Key="k", Body=b"x"))
    assert code == "AccessDenied"
    assert "kms:GenerateDataKey" in message


def test_an_sse_kms_get_needs_kms_decrypt_through_s3(
    sandbox_target: AwsTarget, role: Role, sse_kms: tuple[str, str]
) -> None:
    name, key = sse_kms
    sandbox_target.client("s3").put_object(Bucket=name, Key="model.tar.gz", Body=b"model")
    role.allow(s3_statement(name, ["s3:GetObject"]))
    s3 = role.client("s3")
    code, message = refused(lambda: s3.get_object(Bucket=name, Key="model.tar.gz"))
    assert code == "AccessDenied"
    assert (
        f"kms:Decrypt on resource: {key} because no identity-based policy allows the kms:Decrypt action"
        in message
    )

    role.allow(s3_statement(name, ["s3:GetObject"]), via_s3(sandbox_target, key, "kms:Decrypt"))
    assert s3.get_object(Bucket=name, Key="model.tar.gz")["Body"].read() == b"model"


def test_an_sse_kms_multipart_upload_needs_kms_decrypt_too(
    sandbox_target: AwsTarget, role: Role, sse_kms: tuple[str, str]
) -> None:
    # S3 User Guide, "Uploading and copying objects using multipart upload": with SSE-KMS the requester must
    # have kms:Decrypt and kms:GenerateDataKey, "because Amazon S3 must decrypt and read data from the
    # encrypted file parts before it completes the multipart upload".
    name, key = sse_kms
    objects = s3_statement(name, ["s3:PutObject", "s3:AbortMultipartUpload"])
    role.allow(objects, via_s3(sandbox_target, key, "kms:GenerateDataKey"))
    s3 = role.client("s3")
    transfer = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    data = b"m" * (6 * 1024 * 1024)
    with pytest.raises(Exception, match="kms:Decrypt"):
        s3.upload_fileobj(io.BytesIO(data), name, "big.tar.gz", Config=transfer)
    assert "Contents" not in sandbox_target.client("s3").list_objects_v2(Bucket=name)

    role.allow(
        objects,
        via_s3(sandbox_target, key, "kms:GenerateDataKey"),
        via_s3(sandbox_target, key, "kms:Decrypt"),
    )
    s3.upload_fileobj(io.BytesIO(data), name, "big.tar.gz", Config=transfer)
    assert sandbox_target.client("s3").head_object(Bucket=name, Key="big.tar.gz")["ContentLength"] == len(
        data
    )


def test_copy_object_needs_s3_get_object_on_the_copy_source(sandbox_target: AwsTarget, role: Role) -> None:
    source, destination = bucket(sandbox_target, "src"), bucket(sandbox_target, "dst")
    sandbox_target.client("s3").put_object(Bucket=source, Key="a/model.tar.gz", Body=b"model")
    write = {
        "Sid": "Write",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{destination}/*",
    }
    role.allow(write)
    s3 = role.client("s3")
    copy = {
        "Bucket": destination,
        "Key": "b/model.tar.gz",
        "CopySource": {"Bucket": source, "Key": "a/model.tar.gz"},
    }
    code, message = refused(lambda: s3.copy_object(**copy))
    assert code == "AccessDenied"
    assert (
        f"s3:GetObject on resource: arn:aws:s3:::{source}/a/model.tar.gz because no identity-based" in message
    )
    assert "Contents" not in sandbox_target.client("s3").list_objects_v2(Bucket=destination)

    role.allow(
        write,
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{source}/a/*",
        },
    )
    s3.copy_object(**copy)
    assert (
        sandbox_target.client("s3").get_object(Bucket=destination, Key="b/model.tar.gz")["Body"].read()
        == b"model"
    )


def _endpoint_config(target: AwsTarget, key: str) -> str:
    sagemaker = target.client("sagemaker")
    sagemaker.create_model(
        ModelName="churn-a",
        ExecutionRoleArn=execution_role(target),
        PrimaryContainer={"Image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1-cpu"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="churn-config",
        KmsKeyId=key,
        ProductionVariants=[
            {
                "VariantName": "a",
                "ModelName": "churn-a",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    return "churn-config"


def test_create_endpoint_with_a_volume_key_needs_kms_create_grant(
    sandbox_target: AwsTarget, role: Role
) -> None:
    key = sandbox_target.client("kms").create_key()["KeyMetadata"]["Arn"]
    config = _endpoint_config(sandbox_target, key)
    endpoint = {"Sid": "Endpoint", "Effect": "Allow", "Action": "sagemaker:CreateEndpoint", "Resource": "*"}
    role.allow(endpoint)
    sagemaker = role.client("sagemaker")
    code, message = refused(
        lambda: sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName=config)
    )
    assert code == "AccessDeniedException"
    assert f"kms:CreateGrant on resource: {key} because no identity-based policy allows" in message
    assert refused(lambda: sandbox_target.client("sagemaker").describe_endpoint(EndpointName="churn"))[0] == (
        "ValidationException"
    )

    # AWS KMS Developer Guide, kms:GrantIsForAWSResource: grants SageMaker makes for its volumes.
    grant = {
        "Sid": "Grant",
        "Effect": "Allow",
        "Action": "kms:CreateGrant",
        "Resource": key,
        "Condition": {
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": f"sagemaker.{sandbox_target.region}.amazonaws.com"},
        },
    }
    role.allow(endpoint, grant)
    assert sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName=config)["EndpointArn"].endswith(
        ":endpoint/churn"
    )


def test_create_with_tags_needs_sagemaker_add_tags_for_that_create_action(
    sandbox_target: AwsTarget, role: Role
) -> None:
    create = {
        "Sid": "Create",
        "Effect": "Allow",
        "Action": "sagemaker:CreateModelPackageGroup",
        "Resource": "*",
    }

    def tag_on(action: str) -> dict[str, Any]:
        return {
            "Sid": "Tag",
            "Effect": "Allow",
            "Action": "sagemaker:AddTags",
            "Resource": "*",
            "Condition": {"StringEquals": {"sagemaker:TaggingAction": action}},
        }

    role.allow(create)
    sagemaker = role.client("sagemaker")
    tags = [{"Key": "project", "Value": "churn"}]
    code, message = refused(
        lambda: sagemaker.create_model_package_group(ModelPackageGroupName="g1", Tags=tags)
    )
    assert code == "AccessDeniedException"
    group_arn = (
        f"arn:aws:sagemaker:{sandbox_target.region}:{sandbox_target.account_id}:model-package-group/g1"
    )
    assert f"sagemaker:AddTags on resource: {group_arn} because no identity-based policy allows" in message
    sagemaker.create_model_package_group(ModelPackageGroupName="g2")  # no Tags: no AddTags

    role.allow(create, tag_on("CreateModel"))
    assert refused(lambda: sagemaker.create_model_package_group(ModelPackageGroupName="g1", Tags=tags))[
        0
    ] == ("AccessDeniedException")
    role.allow(create, tag_on("CreateModelPackageGroup"))
    sagemaker.create_model_package_group(ModelPackageGroupName="g1", Tags=tags)
    assert sandbox_target.client("sagemaker").list_tags(ResourceArn=group_arn)["Tags"] == tags


def test_create_model_needs_iam_pass_role_to_sagemaker(sandbox_target: AwsTarget, role: Role) -> None:
    execution = execution_role(sandbox_target)
    create = {"Sid": "Create", "Effect": "Allow", "Action": "sagemaker:CreateModel", "Resource": "*"}
    role.allow(create)
    sagemaker = role.client("sagemaker")
    model = {
        "ModelName": "churn-a",
        "ExecutionRoleArn": execution,
        "PrimaryContainer": {"Image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/x:1"},
    }
    code, message = refused(lambda: sagemaker.create_model(**model))
    assert code == "AccessDeniedException"
    assert f"iam:PassRole on resource: {execution} because no identity-based policy allows" in message

    def pass_to(service: str) -> dict[str, Any]:
        return {
            "Sid": "Pass",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": execution,
            "Condition": {"StringEquals": {"iam:PassedToService": service}},
        }

    role.allow(create, pass_to("codebuild.amazonaws.com"))
    assert refused(lambda: sagemaker.create_model(**model))[0] == "AccessDeniedException"
    role.allow(create, pass_to("sagemaker.amazonaws.com"))
    sagemaker.create_model(**model)


def _processing_job(target: AwsTarget, name: str, role: str, volume: str, output: str) -> dict[str, Any]:
    """A CreateProcessingJob request as model-monitoring's schedule makes it: volume and output keys,
    encryption between containers, a VPC."""
    return {
        "ProcessingJobName": name,
        "RoleArn": role,
        "AppSpecification": {
            "ImageUri": prebuilt_image(target.region, "1.2-1"),
            "ContainerEntrypoint": ["python3", "-c", "pass"],
        },
        "ProcessingOutputConfig": {
            "KmsKeyId": output,
            "Outputs": [
                {
                    "OutputName": "results",
                    "S3Output": {
                        "S3Uri": f"s3://monitor-{target.account_id}/results",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 1,
                "VolumeKmsKeyId": volume,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "NetworkConfig": {
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": {
                "Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
                "SecurityGroupIds": ["sg-0a1b2c3d"],
            },
        },
    }


def _changed(request: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``request`` with the member at ``path`` (dot-separated) set to ``value``, or left out for None."""
    changed = json.loads(json.dumps(request))
    *parents, last = path.split(".")
    where = changed
    for member in parents:
        where = where[member]
    if value is None:
        del where[last]
    else:
        where[last] = value
    return changed


def test_create_processing_job_is_authorized_on_its_request_keys(
    sandbox_target: AwsTarget, role: Role
) -> None:
    """The Service Authorization Reference's keys for sagemaker:CreateProcessingJob, as model-monitoring's
    scheduler role is allowed them: each mismatch is refused naming the action, and nothing is stored."""
    kms = sandbox_target.client("kms")
    volume, output, other = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(3))
    job_role = service_role(sandbox_target, "processor", "sagemaker.amazonaws.com")
    jobs = f"arn:aws:sagemaker:{sandbox_target.region}:{sandbox_target.account_id}:processing-job"

    def create(volume_condition: str = "ArnLike") -> dict[str, Any]:
        return {
            "Sid": "CreateMonitorJobs",
            "Effect": "Allow",
            "Action": "sagemaker:CreateProcessingJob",
            "Resource": f"{jobs}/monitor-*",
            "Condition": {
                volume_condition: {"sagemaker:VolumeKmsKeyArn": volume},
                "ArnEquals": {"sagemaker:OutputKmsKeyArn": output},
                "Bool": {"sagemaker:InterContainerTrafficEncryption": "true"},
                "ForAllValues:StringEquals": {
                    "sagemaker:VpcSubnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
                    "sagemaker:VpcSecurityGroupIds": ["sg-0a1b2c3d"],
                },
                "ForAllValues:StringLike": {"sagemaker:InstanceTypes": "ml.m5.*"},
                "NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "3600"},
            },
        }

    passing = {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": job_role}
    # SageMaker attaches the job's volumes under a grant of the volume key (requests.py's docstring)
    granting = {"Sid": "Grant", "Effect": "Allow", "Action": "kms:CreateGrant", "Resource": [volume, other]}
    role.allow(create(), passing, granting)  # PutRolePolicy takes these keys: the sandbox evaluates them
    sagemaker = role.client("sagemaker")
    good = _processing_job(sandbox_target, "monitor-1", job_role, volume, output)
    assert sagemaker.create_processing_job(**good)["ProcessingJobArn"] == f"{jobs}/monitor-1"

    mismatches = {
        "another volume key": ("ProcessingResources.ClusterConfig.VolumeKmsKeyId", other),
        "no volume key": ("ProcessingResources.ClusterConfig.VolumeKmsKeyId", None),
        "another output key": ("ProcessingOutputConfig.KmsKeyId", other),
        "unencrypted between containers": ("NetworkConfig.EnableInterContainerTrafficEncryption", False),
        "encryption left out": ("NetworkConfig.EnableInterContainerTrafficEncryption", None),
        "one more subnet": ("NetworkConfig.VpcConfig.Subnets", ["subnet-0a1b2c3d", "subnet-99999999"]),
        "another security group": ("NetworkConfig.VpcConfig.SecurityGroupIds", ["sg-99999999"]),
        "another instance type": ("ProcessingResources.ClusterConfig.InstanceType", "ml.p3.2xlarge"),
        "longer runtime": ("StoppingCondition.MaxRuntimeInSeconds", 7200),
    }
    for case, (path, value) in mismatches.items():
        request = _changed(good, path, value)
        request["ProcessingJobName"] = "monitor-2"
        code, message = refused(lambda request=request: sagemaker.create_processing_job(**request))
        assert code == "AccessDeniedException", case
        assert f"not authorized to perform: sagemaker:CreateProcessingJob on resource: {jobs}/monitor-2" in (
            message
        ), (case, message)
    names = [
        j["ProcessingJobName"]
        for j in sandbox_target.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"]
    ]
    assert names == ["monitor-1"]

    # A key the request does not carry: ...IfExists holds, and ForAllValues holds (AWS: "also returns true if
    # there are no context keys in the request"): a policy meaning "only these subnets" also needs Null false.
    role.allow(create("ArnLikeIfExists"), passing, granting)
    unkeyed = _changed(good, "ProcessingResources.ClusterConfig.VolumeKmsKeyId", None)
    sagemaker.create_processing_job(**{**unkeyed, "ProcessingJobName": "monitor-3"})
    outside = _changed(good, "NetworkConfig.VpcConfig", None)
    sagemaker.create_processing_job(**{**outside, "ProcessingJobName": "monitor-4"})


SCALABLE = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "endpoint/churn/variant/a",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    "MinCapacity": 1,
    "MaxCapacity": 2,
}
SLR_NAME = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
SCALING = {
    "Sid": "Scaling",
    "Effect": "Allow",
    "Action": [
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
    ],
    "Resource": "*",
}
CREATE_SLR = {
    "Sid": "ServiceLinkedRole",
    "Effect": "Allow",
    "Action": "iam:CreateServiceLinkedRole",
    "Resource": "*",
    "Condition": {"StringEquals": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}},
}


def test_the_first_sagemaker_scalable_target_needs_iam_create_service_linked_role(
    sandbox_target: AwsTarget, role: Role
) -> None:
    role.allow(SCALING)
    autoscaling = role.client("application-autoscaling")
    code, message = refused(lambda: autoscaling.register_scalable_target(**SCALABLE))
    assert "iam:CreateServiceLinkedRole on resource: arn:aws:iam::" in message, code
    assert f"role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/{SLR_NAME}" in message
    assert autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    iam = sandbox_target.client("iam")
    assert refused(lambda: iam.get_role(RoleName=SLR_NAME))[0] == "NoSuchEntity"

    role.allow(SCALING, CREATE_SLR)
    autoscaling.register_scalable_target(**SCALABLE)
    assert iam.get_role(RoleName=SLR_NAME)["Role"]["Path"] == (
        "/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    )
    # Once the account has the role, registering needs no permission to create it.
    role.allow(SCALING)
    autoscaling.register_scalable_target(**{**SCALABLE, "ResourceId": "endpoint/churn/variant/b"})


def test_application_auto_scaling_validates_the_callers_permissions_on_the_target(
    sandbox_target: AwsTarget, role: Role
) -> None:
    # Application Auto Scaling User Guide, "Permissions validation for Application Auto Scaling API calls on
    # target resources": for a caller without a permission on the target, the service gets AccessDenied,
    # "making the Application Auto Scaling request fail with a ValidationException error, listing the missing
    # permissions to the user".
    without_update = {**SCALING, "Action": [a for a in SCALING["Action"] if "UpdateEndpoint" not in a]}
    role.allow(without_update, CREATE_SLR)
    autoscaling = role.client("application-autoscaling")
    code, message = refused(lambda: autoscaling.register_scalable_target(**SCALABLE))
    assert "sagemaker:UpdateEndpointWeightsAndCapacities" in message
    assert autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert code == "ValidationException"
