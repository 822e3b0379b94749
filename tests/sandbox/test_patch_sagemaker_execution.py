"""SageMaker acts as the model's execution role: CreateModel checks that SageMaker can assume it, an endpoint
fleet pulls the image, downloads the artifact and plugs into the VPC as the role (and ends ``Failed`` with
AWS's ``FailureReason`` when it cannot), and data capture writes each invocation as the role, encrypted with
the configured key; a capture write the policies refuse is dropped and kept as a refusal."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad import serving
from launchpad.aws import AwsTarget
from launchpad.sandbox import local_servers, serving_images, workloads
from tests.sandbox.support import client_error, execution_role, model_artifacts, service_role

pytestmark = pytest.mark.sandbox

OTHER_REGISTRY_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve:1"  # not held: pulled unchecked
ECR_PULL = [
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
]
NETWORK = [
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
]


# -- helpers ------------------------------------------------------------------------------------------------
def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _read(bucket: str) -> dict[str, Any]:
    return _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")


def _endpoint(
    target: AwsTarget,
    name: str,
    role: str,
    container: dict[str, Any],
    vpc: dict[str, Any] | None = None,
    **config: Any,
) -> dict[str, Any]:
    """Model, endpoint config (one variant, ``main``) and endpoint ``name``; the endpoint as described."""
    sm = target.client("sagemaker")
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=role,
        PrimaryContainer=container,
        **({"VpcConfig": vpc} if vpc else {}),
    )
    variant = {
        "VariantName": "main",
        "ModelName": name,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant], **config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return sm.describe_endpoint(EndpointName=name)


def _failed(described: dict[str, Any]) -> str:
    assert described["EndpointStatus"] == "Failed", described
    return str(described["FailureReason"])


def _in_service(described: dict[str, Any]) -> None:
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert "FailureReason" not in described


# -- CreateModel: SageMaker must be able to assume the execution role ---------------------------------------
@pytest.mark.parametrize(
    ("service", "conditions"),
    [
        pytest.param("ec2.amazonaws.com", None, id="trusts-another-service"),
        pytest.param(
            "sagemaker.amazonaws.com",
            {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            id="trusts-sagemaker-for-another-account",
        ),
        pytest.param(
            "sagemaker.amazonaws.com",
            {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:*:model/other-*"}},
            id="trusts-sagemaker-for-other-models",
        ),
    ],
)
def test_create_model_refuses_a_role_sagemaker_cannot_assume(
    sandbox_target: AwsTarget, service: str, conditions: dict[str, Any] | None
) -> None:
    sm = sandbox_target.client("sagemaker")
    role = service_role(sandbox_target, "untrusting-exec", service, conditions=conditions)
    with pytest.raises(ClientError) as raised:
        sm.create_model(
            ModelName="refused-model", ExecutionRoleArn=role, PrimaryContainer={"Image": OTHER_REGISTRY_IMAGE}
        )
    assert client_error(raised) == (
        "ValidationException",
        f"Could not assume role {role}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role.",
    )
    assert sm.list_models()["Models"] == []


def test_create_model_refuses_a_role_that_does_not_exist_and_takes_one_sagemaker_may_assume(
    sandbox_target: AwsTarget,
) -> None:
    sm = sandbox_target.client("sagemaker")
    missing = f"arn:aws:iam::{sandbox_target.account_id}:role/no-such-role"
    with pytest.raises(ClientError) as raised:
        sm.create_model(
            ModelName="m", ExecutionRoleArn=missing, PrimaryContainer={"Image": OTHER_REGISTRY_IMAGE}
        )
    assert client_error(raised)[0] == "ValidationException"
    assert f"Could not assume role {missing}." in client_error(raised)[1]
    assert sm.list_models()["Models"] == []
    role = execution_role(sandbox_target, "trusting-exec")
    sm.create_model(ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": OTHER_REGISTRY_IMAGE})
    assert sm.describe_model(ModelName="m")["ExecutionRoleArn"] == role


def test_create_model_refuses_a_role_of_another_account_even_one_that_trusts_sagemaker(
    sandbox_target: AwsTarget,
) -> None:
    """The caller passes the role, and no policy of the caller's account can let it pass another account's
    (the authorization gate's iam:PassRole check, before SageMaker looks at the trust policy)."""
    assert sandbox_target.endpoint_url is not None
    other = AwsTarget.sandbox(sandbox_target.endpoint_url, sandbox_target.region)
    role = execution_role(other, "trusting-exec")
    sm = sandbox_target.client("sagemaker")
    with pytest.raises(ClientError) as raised:
        sm.create_model(
            ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": OTHER_REGISTRY_IMAGE}
        )
    code, message = client_error(raised)
    assert code == "AccessDeniedException"
    assert f"is not authorized to perform: iam:PassRole on resource: {role}" in message
    assert sm.list_models()["Models"] == []
    other.client("sagemaker").create_model(
        ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": OTHER_REGISTRY_IMAGE}
    )  # its own account may


# -- the model artifact -------------------------------------------------------------------------------------
def test_an_execution_role_without_s3_get_object_on_the_artifact_fails_the_endpoint(
    sandbox_target: AwsTarget,
) -> None:
    bucket, [uri] = model_artifacts(sandbox_target, "churn/model.tar.gz")
    role = execution_role(sandbox_target, "no-read-exec")
    reason = _failed(
        _endpoint(sandbox_target, "no-read", role, {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": uri})
    )
    assert reason.startswith(
        f'Could not access model data at {uri}. Please ensure that the role "{role}" exists and that its '
        'trust relationship policy allows the action "sts:AssumeRole" for the service principal '
        '"sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and that the '
        f"object is located in {sandbox_target.region}."
    )
    assert (
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/no-read-exec/SageMaker is not "
        f"authorized to perform: s3:GetObject on resource: arn:aws:s3:::{bucket}/churn/model.tar.gz" in reason
    )


def test_a_missing_artifact_fails_the_endpoint_with_could_not_find_model_data(
    sandbox_target: AwsTarget,
) -> None:
    """S3 tells the role that an object does not exist only if the role may list the bucket."""
    bucket, _ = model_artifacts(sandbox_target, "churn/model.tar.gz")
    listing = _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}")
    role = execution_role(sandbox_target, "reader-exec", [_read(bucket), listing])
    missing = f"s3://{bucket}/churn/absent.tar.gz"
    reason = _failed(
        _endpoint(sandbox_target, "absent", role, {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": missing})
    )
    assert reason == f"Could not find model data at {missing}."


def test_a_missing_artifact_the_role_may_not_list_fails_the_endpoint_as_access_denied(
    sandbox_target: AwsTarget,
) -> None:
    """Without s3:ListBucket S3 answers SageMaker's read of a missing artifact 403, as for no s3:GetObject."""
    bucket, _ = model_artifacts(sandbox_target, "churn/model.tar.gz")
    role = execution_role(sandbox_target, "reader-exec", [_read(bucket)])
    missing = f"s3://{bucket}/churn/absent.tar.gz"
    reason = _failed(
        _endpoint(sandbox_target, "absent", role, {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": missing})
    )
    assert reason.startswith(f"Could not access model data at {missing}."), reason
    assert (
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/reader-exec/SageMaker is not "
        f"authorized to perform: s3:ListBucket on resource: arn:aws:s3:::{bucket}" in reason
    ), reason


def test_an_artifact_the_role_may_read_puts_the_endpoint_in_service(sandbox_target: AwsTarget) -> None:
    bucket, [uri] = model_artifacts(sandbox_target, "churn/model.tar.gz")
    role = execution_role(sandbox_target, "reader-exec", [_read(bucket)])
    _in_service(
        _endpoint(sandbox_target, "readable", role, {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": uri})
    )


# -- a private ECR image of the account ---------------------------------------------------------------------
def _repository_image(target: AwsTarget, repository: str, tag: str) -> str:
    """An image pushed to ``repository`` of the target's account under ``tag``; the repository's URI."""
    ecr = target.client("ecr")
    uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": "sha256:aa",
        },
        "layers": [],
    }
    ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest))
    return str(uri)


@pytest.mark.parametrize(
    ("allowed", "refused"),
    [
        pytest.param([], "ecr:GetAuthorizationToken", id="no-ecr-permission"),
        pytest.param(ECR_PULL[:3], "ecr:BatchGetImage", id="all-but-BatchGetImage"),
    ],
)
def test_an_image_of_the_accounts_registry_the_role_cannot_pull_fails_the_endpoint(
    sandbox_target: AwsTarget, allowed: list[str], refused: str
) -> None:
    repository = _repository_image(sandbox_target, "serving", "1")
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    statements = [_read(bucket), *([_allow(allowed)] if allowed else [])]
    role = execution_role(sandbox_target, "puller-exec", statements)
    image = f"{repository}:1"
    reason = _failed(_endpoint(sandbox_target, "no-pull", role, {"Image": image, "ModelDataUrl": uri}))
    operation = refused.split(":")[1]
    assert reason.startswith(
        f"The role '{role}' does not have {operation} permission for the image: '{image}'. (User: "
    )
    assert f"is not authorized to perform: {refused} on resource: " in reason


def test_an_image_tag_the_repository_does_not_hold_fails_the_endpoint(sandbox_target: AwsTarget) -> None:
    repository = _repository_image(sandbox_target, "serving", "1")
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    role = execution_role(sandbox_target, "puller-exec", [_read(bucket), _allow(ECR_PULL)])
    image = f"{repository}:2"
    reason = _failed(_endpoint(sandbox_target, "no-tag", role, {"Image": image, "ModelDataUrl": uri}))
    assert reason == f"Requested image {image} not found."
    _in_service(_endpoint(sandbox_target, "tagged", role, {"Image": f"{repository}:1", "ModelDataUrl": uri}))


# -- in a VPC: the model reaches S3 through the gateway endpoint, if its security groups let it -------------
def _network(target: AwsTarget) -> tuple[str, str, str]:
    """A VPC with an S3 gateway endpoint on its main route table, a subnet, and a security group with no
    egress at all: (subnet, security group, the S3 prefix list)."""
    ec2 = target.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{target.region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[tables[0]["RouteTableId"]],
    )
    group = ec2.create_security_group(GroupName="model", Description="model", VpcId=vpc)["GroupId"]
    everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=everything)
    [prefix_list] = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{target.region}.s3"]}]
    )["PrefixLists"]
    return subnet, group, prefix_list["PrefixListId"]


def _https_out(
    target: AwsTarget, group: str, prefix_list: str | None = None, cidr: str | None = None
) -> None:
    permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    if prefix_list:
        permission["PrefixListIds"] = [{"PrefixListId": prefix_list}]
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    target.client("ec2").authorize_security_group_egress(GroupId=group, IpPermissions=[permission])


def test_a_security_group_without_https_egress_to_the_s3_gateway_fails_the_endpoint(
    sandbox_target: AwsTarget,
) -> None:
    subnet, group, prefix_list = _network(sandbox_target)
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    role = execution_role(sandbox_target, "vpc-exec", [_read(bucket), _allow(NETWORK)])
    container = {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": uri}
    vpc = {"Subnets": [subnet], "SecurityGroupIds": [group]}
    reason = _failed(_endpoint(sandbox_target, "walled", role, container, vpc))
    no_https_to_s3 = (
        f"Could not download {uri} from the VPC: the security groups {group} allow no HTTPS out to S3 "
        f"(the S3 prefix list {prefix_list} of the gateway endpoint, or 0.0.0.0/0)."
    )
    assert reason == no_https_to_s3
    _https_out(sandbox_target, group, cidr="10.20.0.0/16")  # the VPC is not where S3 is
    assert _failed(_endpoint(sandbox_target, "inward", role, container, vpc)) == no_https_to_s3
    _https_out(sandbox_target, group, prefix_list=prefix_list)
    _in_service(_endpoint(sandbox_target, "open", role, container, vpc))


def test_a_private_image_in_a_vpc_without_the_ecr_interface_endpoints_fails_the_endpoint(
    sandbox_target: AwsTarget,
) -> None:
    subnet, group, prefix_list = _network(sandbox_target)
    _https_out(sandbox_target, group, prefix_list=prefix_list)
    repository = _repository_image(sandbox_target, "serving", "1")
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    role = execution_role(sandbox_target, "vpc-exec", [_read(bucket), _allow([*NETWORK, *ECR_PULL])])
    container = {"Image": f"{repository}:1", "ModelDataUrl": uri}
    vpc = {"Subnets": [subnet], "SecurityGroupIds": [group]}
    reason = _failed(_endpoint(sandbox_target, "no-registry", role, container, vpc))
    assert reason == (
        f"Could not download {uri} from the VPC: the VPC of subnet {subnet} has no ecr.api or ecr.dkr "
        "interface endpoint (private ECR image)."
    )
    ec2 = sandbox_target.client("ec2")
    vpc_id = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    for service in ("ecr.api", "ecr.dkr"):
        ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{sandbox_target.region}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
            SecurityGroupIds=[group],
        )
    reason = _failed(_endpoint(sandbox_target, "no-https-to-registry", role, container, vpc))
    assert reason.endswith(
        "the security groups allow no HTTPS out to the VPC (10.20.0.0/16), where the ECR endpoints are."
    )
    _https_out(sandbox_target, group, cidr="10.20.0.0/16")
    _in_service(_endpoint(sandbox_target, "registry", role, container, vpc))


def test_a_role_that_may_not_create_the_network_interface_fails_the_endpoint(
    sandbox_target: AwsTarget,
) -> None:
    subnet, group, _ = _network(sandbox_target)
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    describe_only = [a for a in NETWORK if a.startswith("ec2:Describe")]
    role = execution_role(sandbox_target, "vpc-exec", [_read(bucket), _allow(describe_only)])
    vpc = {"Subnets": [subnet], "SecurityGroupIds": [group]}
    reason = _failed(
        _endpoint(
            sandbox_target, "unplugged", role, {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": uri}, vpc
        )
    )
    assert reason.startswith(
        f"SageMaker could not attach the model to subnets {subnet} with the execution role '{role}': "
        "CreateNetworkInterface was refused."
    )
    assert "ec2:CreateNetworkInterface" in reason


# -- a role with everything ---------------------------------------------------------------------------------
def test_a_role_with_everything_the_fleet_does_runs_it_and_nothing_is_refused(
    sandbox_target: AwsTarget,
) -> None:
    account, region = sandbox_target.account_id, sandbox_target.region
    repository = _repository_image(sandbox_target, "serving", "1")
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/complete"
    role = execution_role(
        sandbox_target,
        "complete-exec",
        [
            _read(bucket),
            _allow(ECR_PULL),
            _allow(
                ["logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"],
                [group_arn, f"{group_arn}:*"],
            ),
            _allow("cloudwatch:PutMetricData"),
        ],
    )
    logs = sandbox_target.client("logs")
    logs.create_log_group(logGroupName="/aws/sagemaker/Endpoints/complete")
    _in_service(
        _endpoint(sandbox_target, "complete", role, {"Image": f"{repository}:1", "ModelDataUrl": uri})
    )
    assert workloads.refusals(sandbox_target) == []
    [stream] = logs.describe_log_streams(logGroupName="/aws/sagemaker/Endpoints/complete")["logStreams"]
    assert stream["logStreamName"].startswith("main/i-")


# -- data capture -------------------------------------------------------------------------------------------
def _echo(body: bytes, content_type: str) -> Any:
    return json.loads(body)


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    """A model's local server (each test registers it for its own account's artifact)."""
    handlers = serving.Handlers(
        model_fn=lambda _: "v1", input_fn=_echo, predict_fn=lambda data, model: {"model": model, "got": data}
    )
    server = serving.serve_in_thread(serving.Model(handlers, "unused"))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _capture_key(target: AwsTarget) -> str:
    return target.client("kms").create_key(Description="data capture")["KeyMetadata"]["Arn"]


def _captured_endpoint(
    target: AwsTarget, name: str, server: str, key: str, capture_bucket: str, write: list[dict[str, Any]]
) -> None:
    """An in-service endpoint capturing every invocation to ``s3://{capture_bucket}/capture`` with ``key``,
    as a role allowed ``write``; its model answers from ``server``."""
    bucket, [uri] = model_artifacts(target, f"{name}/model.tar.gz")
    role = execution_role(target, f"{name}-exec", [_read(bucket), *write])
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{capture_bucket}/capture",
        "KmsKeyId": key,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
    }
    container = {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": uri}
    _in_service(_endpoint(target, name, role, container, DataCaptureConfig=capture))
    local_servers.register(target, server, model_data_url=uri)


def _capture_bucket(target: AwsTarget, prefix: str) -> str:
    name = f"{prefix}-{target.account_id}"
    target.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region}
    )
    return name


def _invoke(target: AwsTarget, endpoint: str, payload: Any) -> Any:
    answer = target.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, Body=json.dumps(payload), ContentType="application/json"
    )
    return json.loads(answer["Body"].read())


def _records(target: AwsTarget, bucket: str) -> list[dict[str, Any]]:
    listed = target.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(listed, key=lambda o: o["Key"])


def _hours(before: datetime, after: datetime) -> set[str]:
    """The yyyy/mm/dd/hh folders of the times between ``before`` and ``after``."""
    hours, at = set(), before.replace(minute=0, second=0, microsecond=0)
    while at <= after:
        hours.add(at.strftime("%Y/%m/%d/%H"))
        at += timedelta(hours=1)
    return hours


def test_each_invocation_is_captured_as_a_jsonl_record_encrypted_with_the_configured_key(
    sandbox_target: AwsTarget, model_server: str
) -> None:
    key = _capture_key(sandbox_target)
    bucket = _capture_bucket(sandbox_target, "capture")
    write = [
        _allow("s3:PutObject", f"arn:aws:s3:::{bucket}/capture/*"),
        _allow("kms:GenerateDataKey", key),
    ]
    _captured_endpoint(sandbox_target, "captured", model_server, key, bucket, write)
    before = datetime.now(UTC)
    answers = [_invoke(sandbox_target, "captured", {"n": n}) for n in (1, 2)]
    after = datetime.now(UTC)
    assert answers == [{"model": "v1", "got": {"n": 1}}, {"model": "v1", "got": {"n": 2}}]

    objects = _records(sandbox_target, bucket)
    assert len(objects) == 2
    s3 = sandbox_target.client("s3")
    records = []
    for listed in objects:
        folder, _, name = listed["Key"].rpartition("/")
        assert folder.startswith("capture/captured/main/")
        assert folder.removeprefix("capture/captured/main/") in _hours(before, after)
        assert name.endswith(".jsonl")
        head = s3.head_object(Bucket=bucket, Key=listed["Key"])
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key)
        lines = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read().decode().splitlines()
        assert len(lines) == 1
        records.append(json.loads(lines[0]))
    inputs = sorted(json.loads(r["captureData"]["endpointInput"]["data"])["n"] for r in records)
    assert inputs == [1, 2]
    for record in records:
        sent = json.loads(record["captureData"]["endpointInput"]["data"])
        assert record["captureData"]["endpointInput"] == {
            "observedContentType": "application/json",
            "mode": "INPUT",
            "data": json.dumps(sent),
            "encoding": "JSON",
        }
        output = record["captureData"]["endpointOutput"]
        assert (output["observedContentType"], output["mode"], output["encoding"]) == (
            "application/json",
            "OUTPUT",
            "JSON",
        )
        assert json.loads(output["data"]) == {"model": "v1", "got": sent}
        assert record["eventVersion"] == "0"
        assert record["eventMetadata"]["eventId"]
        assert set(record["eventMetadata"]) == {"eventId", "inferenceTime"}
    assert records[0]["eventMetadata"]["eventId"] != records[1]["eventMetadata"]["eventId"]


def test_an_invocation_with_an_inference_id_carries_it_in_the_capture_record(
    sandbox_target: AwsTarget, model_server: str
) -> None:
    """InvokeEndpoint's InferenceId is the record's eventMetadata.inferenceId (Model Monitor joins ground
    truth on it)."""
    key = _capture_key(sandbox_target)
    bucket = _capture_bucket(sandbox_target, "labelled")
    write = [_allow("s3:PutObject", f"arn:aws:s3:::{bucket}/capture/*"), _allow("kms:GenerateDataKey", key)]
    _captured_endpoint(sandbox_target, "labelled", model_server, key, bucket, write)
    sandbox_target.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="labelled",
        Body=json.dumps({"n": 1}),
        ContentType="application/json",
        InferenceId="order-7",
    )
    [listed] = _records(sandbox_target, bucket)
    body = sandbox_target.client("s3").get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
    metadata = json.loads(body)["eventMetadata"]
    assert list(metadata) == ["eventId", "inferenceId", "inferenceTime"]
    assert metadata["inferenceId"] == "order-7"


def test_a_capture_write_the_bucket_policy_refuses_is_dropped_and_kept_as_a_refusal(
    sandbox_target: AwsTarget, model_server: str
) -> None:
    key = _capture_key(sandbox_target)
    bucket = _capture_bucket(sandbox_target, "refused-capture")
    write = [
        _allow("s3:PutObject", f"arn:aws:s3:::{bucket}/capture/*"),
        _allow("kms:GenerateDataKey", key),
    ]
    _captured_endpoint(sandbox_target, "guarded", model_server, key, bucket, write)
    role = f"arn:aws:iam::{sandbox_target.account_id}:role/guarded-exec"
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoCapture",
                "Effect": "Deny",
                "Principal": {"AWS": role},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3 = sandbox_target.client("s3")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny))
    assert _invoke(sandbox_target, "guarded", [1]) == {"model": "v1", "got": [1]}  # the caller sees no error
    assert _records(sandbox_target, bucket) == []
    [refusal] = [r for r in workloads.refusals(sandbox_target) if r["what"].startswith("data capture")]
    assert refusal["service"] == "sagemaker"
    assert refusal["what"].startswith(f"data capture to s3://{bucket}/capture/guarded/main/")
    assert (
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/guarded-exec/SageMaker is not "
        f"authorized to perform: s3:PutObject on resource: arn:aws:s3:::{bucket}/capture/guarded/main/"
        in refusal["message"]
    )
    assert "explicit deny in a resource-based policy" in refusal["message"]

    s3.delete_bucket_policy(Bucket=bucket)
    _invoke(sandbox_target, "guarded", [2])
    assert len(_records(sandbox_target, bucket)) == 1


def test_a_capture_write_without_kms_generate_data_key_on_the_key_is_dropped(
    sandbox_target: AwsTarget, model_server: str
) -> None:
    key = _capture_key(sandbox_target)
    bucket = _capture_bucket(sandbox_target, "keyless-capture")
    write = [_allow("s3:PutObject", f"arn:aws:s3:::{bucket}/capture/*")]
    _captured_endpoint(sandbox_target, "keyless", model_server, key, bucket, write)
    _invoke(sandbox_target, "keyless", [1])
    assert _records(sandbox_target, bucket) == []
    [refusal] = [r for r in workloads.refusals(sandbox_target) if r["what"].startswith("data capture")]
    assert f"is not authorized to perform: kms:GenerateDataKey on resource: {key}" in refusal["message"]


# -- a local stand-in of the serving image: its output is the container's log, written as the role ----------
def _tar_gz(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_a_stand_ins_output_is_the_container_log_written_as_the_role_line_by_line(
    sandbox_target: AwsTarget,
) -> None:
    account, region = sandbox_target.account_id, sandbox_target.region
    bucket, [uri] = model_artifacts(sandbox_target, "model.tar.gz")
    sandbox_target.client("s3").put_object(Bucket=bucket, Key="model.tar.gz", Body=_tar_gz("weights", b"w"))
    group = "/aws/sagemaker/Endpoints/logged"
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    started = ["logs:DescribeLogStreams", "logs:CreateLogStream"]
    statements = [_read(bucket), _allow([*started, "logs:PutLogEvents"], [group_arn, f"{group_arn}:*"])]
    role = execution_role(sandbox_target, "logging-exec", statements)
    loading = "import os, sys; print('loading', sorted(os.listdir(sys.argv[1])))"
    serving_images.register(
        sandbox_target,
        OTHER_REGISTRY_IMAGE,
        [sys.executable, "-c", f"{loading}; sys.exit(3)", "{model_dir}", "{port}"],
    )
    logs = sandbox_target.client("logs")
    logs.create_log_group(logGroupName=group)
    _endpoint(sandbox_target, "logged", role, {"Image": OTHER_REGISTRY_IMAGE, "ModelDataUrl": uri})

    def failed() -> str | None:
        described = sandbox_target.client("sagemaker").describe_endpoint(EndpointName="logged")
        return described.get("FailureReason") if described["EndpointStatus"] == "Failed" else None

    reason = _poll(failed)
    assert reason.endswith(
        "did not pass the ping health check. Please check CloudWatch logs for this endpoint."
    )
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]

    def lines() -> list[str] | None:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        found = [e["message"] for e in events]
        return found if len(found) == 3 else None

    assert sorted(_poll(lines)) == [
        "loading ['weights']",  # the artifact's content, unpacked in {model_dir}
        "main: model server started",
        "sandbox: the stand-in exited with code 3 before it answered GET /ping with 200",
    ]


def _poll(found: Any, seconds: float = 30.0) -> Any:
    """``found()`` once it is truthy, polled until ``seconds`` have passed."""
    return workloads.poll(found, seconds, 0.1, str(found))
