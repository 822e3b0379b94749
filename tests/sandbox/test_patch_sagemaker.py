"""The SageMaker patch: hosting and the model registry behave as the AWS API reference says."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy.names import hosting_instance_types
from launchpad.sandbox.patches.sagemaker import check_updatable, step_size_errors
from tests.sandbox.support import client_error, execution_role, unchecked_client

ROLE = ""  # this test's execution role (the autouse fixture below)
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve"
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 600,
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        },
        "TerminationWaitInSeconds": 300,
        "MaximumExecutionTimeoutInSeconds": 3600,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "error-rate"}, {"AlarmName": "p99-latency"}]},
}
LINEAR = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "LINEAR",
            "WaitIntervalInSeconds": 60,
            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        },
    },
}


@pytest.fixture(autouse=True)
def _execution_role(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real execution role in the test's account: SageMaker checks that it can assume it."""
    if "sandbox_target" in request.fixturenames or "sm" in request.fixturenames:
        target = request.getfixturevalue("sandbox_target")
        monkeypatch.setattr(sys.modules[__name__], "ROLE", execution_role(target))


@pytest.fixture
def sm(sandbox_target: AwsTarget) -> Any:
    return sandbox_target.client("sagemaker")


@pytest.fixture
def unchecked(sandbox_target: AwsTarget) -> Any:
    return unchecked_client(sandbox_target, "sagemaker")


def _model(sm: Any, name: str, tag: str = "1.0.0", **extra: Any) -> str:
    sm.create_model(
        ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": f"{IMAGE}:{tag}"}, **extra
    )
    return name


def _variant(
    name: str, model: str, instance_type: str = "ml.m5.large", count: int = 1, weight: float = 1
) -> dict:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
    }


def _config(sm: Any, name: str, *variants: dict, **extra: Any) -> str:
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=list(variants), **extra)
    return name


def _two_variant_endpoint(sm: Any, deployment: dict | None = None) -> dict:
    _model(sm, "m1")
    _config(
        sm, "blue", _variant("primary", "m1", "ml.g5.xlarge", 2, 9), _variant("secondary", "m1", weight=1)
    )
    sm.create_endpoint(
        EndpointName="ep",
        EndpointConfigName="blue",
        **({"DeploymentConfig": deployment} if deployment else {}),
    )
    return sm.describe_endpoint(EndpointName="ep")


# -- instance types ------------------------------------------------------------------------------
CURRENT_TYPES = [
    "ml.g5.xlarge",
    "ml.g6.2xlarge",
    "ml.g6e.xlarge",
    "ml.p4d.24xlarge",
    "ml.p4de.24xlarge",
    "ml.p5.48xlarge",
    "ml.inf2.xlarge",
    "ml.trn1.2xlarge",
    "ml.c7i.large",
    "ml.m7i.xlarge",
    "ml.r7i.large",
    "ml.c6i.xlarge",
    "ml.m6i.large",
    "ml.r6i.xlarge",
]


@pytest.mark.parametrize("instance_type", CURRENT_TYPES)
def test_current_hosting_instance_types_are_accepted(sm: Any, instance_type: str) -> None:
    _model(sm, "m")
    _config(sm, "c", _variant("v", "m", instance_type))
    described = sm.describe_endpoint_config(EndpointConfigName="c")
    assert described["ProductionVariants"][0]["InstanceType"] == instance_type


def test_instance_types_are_the_current_api_enum() -> None:
    types = hosting_instance_types()
    assert {"ml.g5.xlarge", "ml.g6e.48xlarge", "ml.p5.48xlarge", "ml.trn1.32xlarge", "ml.m5.large"} <= set(
        types
    )
    assert all(t.startswith("ml.") for t in types)


# ml.m5.huge: the allow-list's glob ml.m5.* matches it, and only SageMaker's list can refuse it
@pytest.mark.parametrize("instance_type", ["ml.g99.xlarge", "ml.m5.huge"])
def test_unknown_instance_types_are_rejected_on_every_variant_as_aws_words_it(
    sm: Any, instance_type: str
) -> None:
    _model(sm, "m")
    with pytest.raises(ClientError) as raised:
        _config(sm, "c", _variant("v", "m"), _variant("w", "m", instance_type))
    code, message = client_error(raised)
    assert code == "ValidationException"
    assert message.startswith(
        f"1 validation error detected: Value '{instance_type}' at 'productionVariants.2.member.instanceType' "
        f"failed to satisfy constraint: Member must satisfy enum value set: [ml."
    )
    with pytest.raises(ClientError) as raised:
        _config(sm, "c", _variant("v", "m"), ShadowProductionVariants=[_variant("s", "m", instance_type)])
    code, message = client_error(raised)
    assert code == "ValidationException"
    assert f"Value '{instance_type}' at 'shadowProductionVariants.1.member.instanceType'" in message
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []


# -- models --------------------------------------------------------------------------------------
def test_network_isolation_and_vpc_config_round_trip(sm: Any) -> None:
    vpc = {"Subnets": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]}
    _model(sm, "isolated", EnableNetworkIsolation=True, VpcConfig=vpc)
    described = sm.describe_model(ModelName="isolated")
    assert described["EnableNetworkIsolation"] is True
    assert described["VpcConfig"] == vpc


def test_a_plain_model_describes_without_optional_fields(sm: Any) -> None:
    _model(sm, "plain")
    described = sm.describe_model(ModelName="plain")
    assert described["EnableNetworkIsolation"] is False
    assert "VpcConfig" not in described and "Containers" not in described
    assert described["PrimaryContainer"] == {"Image": f"{IMAGE}:1.0.0"}


def test_multi_container_model_round_trips(sm: Any) -> None:
    containers = [{"Image": f"{IMAGE}:pre", "ContainerHostname": "pre"}, {"Image": f"{IMAGE}:1.0.0"}]
    sm.create_model(
        ModelName="pipeline",
        ExecutionRoleArn=ROLE,
        Containers=containers,
        InferenceExecutionConfig={"Mode": "Direct"},
    )
    described = sm.describe_model(ModelName="pipeline")
    assert described["Containers"] == containers
    assert described["InferenceExecutionConfig"] == {"Mode": "Direct"}
    assert "PrimaryContainer" not in described


def test_resources_are_not_created_twice(sm: Any) -> None:
    _two_variant_endpoint(sm)
    attempts = {
        'model "arn:aws:sagemaker:': lambda: _model(sm, "m1", "2.0.0"),
        'endpoint configuration "arn:aws:sagemaker:': lambda: _config(sm, "blue", _variant("v", "m1")),
        'endpoint "arn:aws:sagemaker:': lambda: sm.create_endpoint(
            EndpointName="ep", EndpointConfigName="blue"
        ),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ClientError) as raised:
            attempt()
        code, message = client_error(raised)
        assert code == "ValidationException" and message.startswith(f"Cannot create already existing {what}")
    assert sm.describe_model(ModelName="m1")["PrimaryContainer"]["Image"].endswith(":1.0.0")


# -- endpoint configurations ---------------------------------------------------------------------
def test_endpoint_config_returns_what_was_sent(sm: Any) -> None:
    _model(sm, "m")
    primary = {
        **_variant("primary", "m", "ml.g5.xlarge", 2, 9),
        "ContainerStartupHealthCheckTimeoutInSeconds": 600,
        "ModelDataDownloadTimeoutInSeconds": 900,
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    shadow = _variant("shadow", "m")
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": "s3://bucket/capture",
        "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
    }
    _config(
        sm,
        "c",
        primary,
        _variant("secondary", "m", weight=1),
        ShadowProductionVariants=[shadow],
        DataCaptureConfig=capture,
        KmsKeyId="arn:aws:kms:eu-west-1:123456789012:key/k",
    )
    described = sm.describe_endpoint_config(EndpointConfigName="c")
    assert described["ProductionVariants"][0] == primary
    assert [v["InitialVariantWeight"] for v in described["ProductionVariants"]] == [9, 1]
    assert described["ShadowProductionVariants"] == [shadow]
    assert described["DataCaptureConfig"] == capture
    assert described["KmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/k"
    assert "AsyncInferenceConfig" not in described


def test_serverless_config_without_data_capture_returns_none(sm: Any) -> None:
    _model(sm, "m")
    serverless = {"MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 1}
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[{"VariantName": "v", "ModelName": "m", "ServerlessConfig": serverless}],
    )
    described = sm.describe_endpoint_config(EndpointConfigName="c")
    assert described["ProductionVariants"][0]["ServerlessConfig"] == serverless
    assert "DataCaptureConfig" not in described and "ShadowProductionVariants" not in described


def test_async_inference_config_round_trips(sm: Any) -> None:
    _model(sm, "m")
    async_config = {
        "OutputConfig": {
            "S3OutputPath": "s3://bucket/out",
            "S3FailurePath": "s3://bucket/failed",
            "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k",
            "NotificationConfig": {
                "SuccessTopic": "arn:aws:sns:eu-west-1:123456789012:ok",
                "ErrorTopic": "arn:aws:sns:eu-west-1:123456789012:failed",
                "IncludeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"],
            },
        },
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
    }
    _config(sm, "c", _variant("v", "m", "ml.g6.xlarge"), AsyncInferenceConfig=async_config)
    assert sm.describe_endpoint_config(EndpointConfigName="c")["AsyncInferenceConfig"] == async_config
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c")
    assert sm.describe_endpoint(EndpointName="ep")["AsyncInferenceConfig"] == async_config


# -- endpoints -----------------------------------------------------------------------------------
def test_deployment_config_is_returned_as_last_deployment_config(sm: Any) -> None:
    endpoint = _two_variant_endpoint(sm, CANARY)
    assert endpoint["LastDeploymentConfig"] == CANARY
    assert endpoint["EndpointStatus"] == "InService"
    primary = endpoint["ProductionVariants"][0]
    assert (primary["VariantName"], primary["CurrentInstanceCount"], primary["CurrentWeight"]) == (
        "primary",
        2,
        9,
    )
    assert primary["DeployedImages"][0]["SpecifiedImage"] == f"{IMAGE}:1.0.0"


def test_endpoint_without_deployment_config_reports_none(sm: Any) -> None:
    assert "LastDeploymentConfig" not in _two_variant_endpoint(sm)


def test_deployment_config_outside_the_api_constraints_is_rejected(sm: Any, unchecked: Any) -> None:
    _model(sm, "m")
    _config(sm, "c", _variant("v", "m", count=4))
    routing = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 7200}
    too_long = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "MaximumExecutionTimeoutInSeconds": 60,
        }
    }
    with pytest.raises(ClientError) as raised:
        unchecked.create_endpoint(EndpointName="ep", EndpointConfigName="c", DeploymentConfig=too_long)
    code, message = client_error(raised)
    assert code == "ValidationException" and message.startswith("2 validation errors detected")
    assert (
        "'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds'"
        in message
    )
    assert "greater than or equal to 600" in message
    routing = {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 60,
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 3},
    }
    big_canary = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}}
    with pytest.raises(ClientError) as raised:
        unchecked.create_endpoint(EndpointName="ep", EndpointConfigName="c", DeploymentConfig=big_canary)
    assert "CanarySize" in client_error(raised)[1]
    assert sm.list_endpoints()["Endpoints"] == []


def test_step_sizes_follow_the_api_reference() -> None:
    variants = [{"InitialInstanceCount": 4}]

    def canary(kind: str, value: int) -> dict:
        size = {"Type": kind, "Value": value}
        return {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"CanarySize": size}}}

    assert step_size_errors(canary("CAPACITY_PERCENT", 50), variants) == []
    assert step_size_errors(canary("INSTANCE_COUNT", 2), variants) == []
    assert step_size_errors(canary("INSTANCE_COUNT", 3), variants) != []
    assert step_size_errors(LINEAR, variants) == []
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 60}}}
    assert step_size_errors(rolling, variants) != []


def test_update_endpoint_deploys_the_new_config_in_place(sm: Any) -> None:
    before = _two_variant_endpoint(sm, CANARY)
    _model(sm, "m2", "2.0.0")
    _config(sm, "green", _variant("primary", "m2", "ml.g6.xlarge", 3, 5), _variant("secondary", "m2"))
    arn = sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=LINEAR)[
        "EndpointArn"
    ]
    sm.delete_endpoint_config(EndpointConfigName="blue")
    after = sm.describe_endpoint(EndpointName="ep")
    assert arn == after["EndpointArn"] == before["EndpointArn"]
    assert (
        after["CreationTime"] == before["CreationTime"]
        and after["LastModifiedTime"] > before["LastModifiedTime"]
    )
    assert (after["EndpointConfigName"], after["EndpointStatus"]) == ("green", "InService")
    assert after["LastDeploymentConfig"] == LINEAR
    primary = after["ProductionVariants"][0]
    assert (primary["CurrentInstanceCount"], primary["CurrentWeight"]) == (3, 5)
    assert primary["DeployedImages"][0]["SpecifiedImage"] == f"{IMAGE}:2.0.0"
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]] == ["green"]


def test_update_endpoint_rebuilds_shadow_variants_and_data_capture(sm: Any) -> None:
    _two_variant_endpoint(sm)
    capture = {
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://b/c",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }
    _config(sm, "green", _variant("primary", "m1"), ShadowProductionVariants=[_variant("s", "m1")],
            DataCaptureConfig=capture)  # fmt: skip
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green")
    after = sm.describe_endpoint(EndpointName="ep")
    assert [v["VariantName"] for v in after["ProductionVariants"]] == ["primary"]
    assert [v["VariantName"] for v in after["ShadowProductionVariants"]] == ["s"]
    summary = after["DataCaptureConfig"]
    assert (summary["EnableCapture"], summary["CaptureStatus"], summary["CurrentSamplingPercentage"]) == (
        True,
        "Started",
        20,
    )


def test_update_endpoint_of_an_unknown_endpoint_or_config_is_rejected(
    sm: Any, sandbox_target: AwsTarget
) -> None:
    _two_variant_endpoint(sm)
    prefix = f"arn:aws:sagemaker:{sandbox_target.region}:{sandbox_target.account_id}"
    with pytest.raises(ClientError) as raised:
        sm.update_endpoint(EndpointName="nope", EndpointConfigName="blue")
    assert client_error(raised) == (
        "ValidationException",
        f'Could not find endpoint "{prefix}:endpoint/nope".',
    )
    with pytest.raises(ClientError) as raised:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="nope")
    assert client_error(raised) == (
        "ValidationException",
        f'Could not find endpoint configuration "{prefix}:endpoint-config/nope".',
    )


def test_guarded_update_needs_the_same_variant_names(sm: Any) -> None:
    _two_variant_endpoint(sm, CANARY)
    _config(sm, "renamed", _variant("primary", "m1"), _variant("challenger", "m1"))
    for deployment in ({"DeploymentConfig": CANARY}, {"RetainDeploymentConfig": True}):
        with pytest.raises(ClientError) as raised:
            sm.update_endpoint(EndpointName="ep", EndpointConfigName="renamed", **deployment)
        code, message = client_error(raised)
        assert code == "ValidationException" and "must have the same variant names" in message
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "blue"
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="renamed")  # no guardrails: any variants
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "renamed"


def test_an_update_may_not_change_the_instance_type_of_or_remove_a_scaled_variant(
    sm: Any, sandbox_target: AwsTarget
) -> None:
    _two_variant_endpoint(sm)  # primary on ml.g5.xlarge, secondary on ml.m5.large
    autoscaling = sandbox_target.client("application-autoscaling")
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/ep/variant/primary",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    autoscaling.register_scalable_target(**target, MinCapacity=2, MaxCapacity=4)
    _config(sm, "bigger", _variant("primary", "m1", "ml.g5.2xlarge", 2), _variant("secondary", "m1"))
    _config(sm, "dropped", _variant("secondary", "m1"))
    _config(
        sm,
        "same-types",
        _variant("primary", "m1", "ml.g5.xlarge", 4),
        _variant("secondary", "m1", "ml.m5.xlarge"),
    )
    for config, change in (("bigger", "change its instance type"), ("dropped", "remove it")):
        with pytest.raises(ClientError) as raised:
            sm.update_endpoint(EndpointName="ep", EndpointConfigName=config)
        code, message = client_error(raised)
        assert code == "ValidationException"
        assert f"would {change}, but production variant primary is a target for auto scaling" in message
        assert "DeregisterScalableTarget" in message
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "blue"
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="same-types")  # secondary is not scaled
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "same-types"
    autoscaling.deregister_scalable_target(**target)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="bigger")
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "bigger"


def test_retain_deployment_config_keeps_the_last_one(sm: Any) -> None:
    _two_variant_endpoint(sm, CANARY)
    _config(sm, "green", _variant("primary", "m1"), _variant("secondary", "m1"))
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", RetainDeploymentConfig=True)
    assert sm.describe_endpoint(EndpointName="ep")["LastDeploymentConfig"] == CANARY
    _config(sm, "green2", _variant("primary", "m1"), _variant("secondary", "m1"))
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green2")
    assert "LastDeploymentConfig" not in sm.describe_endpoint(EndpointName="ep")


def test_retain_all_variant_properties_keeps_counts_and_weights(sm: Any) -> None:
    _two_variant_endpoint(sm)
    scaled = [{"VariantName": "primary", "DesiredInstanceCount": 6, "DesiredWeight": 7}]
    sm.update_endpoint_weights_and_capacities(EndpointName="ep", DesiredWeightsAndCapacities=scaled)
    _config(sm, "green", _variant("primary", "m1", count=1, weight=1), _variant("secondary", "m1", count=1))
    sm.update_endpoint(
        EndpointName="ep",
        EndpointConfigName="green",
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredWeight"}],
    )
    primary = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]
    assert (primary["CurrentInstanceCount"], primary["DesiredInstanceCount"]) == (6, 6)
    assert (primary["CurrentWeight"], primary["DesiredWeight"]) == (1, 1)


def test_weights_and_capacities_update_keeps_what_it_leaves_out(sm: Any) -> None:
    _two_variant_endpoint(sm)
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredWeight": 3}]
    )
    primary = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]
    assert (primary["DesiredWeight"], primary["DesiredInstanceCount"], primary["CurrentInstanceCount"]) == (
        3,
        2,
        2,
    )


def test_a_weight_of_0_stops_a_variants_traffic_but_not_every_variants(sm: Any) -> None:
    _two_variant_endpoint(sm)
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "secondary", "DesiredWeight": 0}]
    )
    weights = {
        v["VariantName"]: v["CurrentWeight"]
        for v in sm.describe_endpoint(EndpointName="ep")["ProductionVariants"]
    }
    assert weights == {"primary": 9, "secondary": 0}
    with pytest.raises(ClientError) as raised:
        sm.update_endpoint_weights_and_capacities(
            EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredWeight": 0}]
        )
    code, message = client_error(raised)
    assert code == "ValidationException" and "would all have a DesiredWeight of 0" in message
    after = {
        v["VariantName"]: v["CurrentWeight"]
        for v in sm.describe_endpoint(EndpointName="ep")["ProductionVariants"]
    }
    assert after == weights


def test_only_in_service_endpoints_can_be_updated() -> None:
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/ep"
    check_updatable("InService", arn)
    for status in ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"):
        with pytest.raises(Exception, match=f'Cannot update in-progress endpoint "{arn}"'):
            check_updatable(status, arn)
    with pytest.raises(Exception, match="Failed"):
        check_updatable("Failed", arn)


# -- model registry ------------------------------------------------------------------------------
def test_model_package_group_policy_round_trips_and_deletes(sm: Any) -> None:
    arn = sm.create_model_package_group(ModelPackageGroupName="models")["ModelPackageGroupArn"]
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},'
        f'"Action":"sagemaker:DescribeModelPackageGroup","Resource":"{arn}"}}]}}'
    )
    put = sm.put_model_package_group_policy(ModelPackageGroupName="models", ResourcePolicy=policy)
    assert put["ModelPackageGroupArn"] == arn
    assert sm.get_model_package_group_policy(ModelPackageGroupName=arn)["ResourcePolicy"] == policy
    sm.delete_model_package_group_policy(ModelPackageGroupName="models")
    with pytest.raises(ClientError) as raised:
        sm.get_model_package_group_policy(ModelPackageGroupName="models")
    assert client_error(raised) == ("ValidationException", f"Cannot find resource policy for: {arn}")
    with pytest.raises(ClientError) as raised:
        sm.get_model_package_group_policy(ModelPackageGroupName="other")
    assert client_error(raised)[1].startswith("Cannot find Model Package Group")


def test_model_package_group_can_be_deleted_once_empty(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="models")
    spec = {"Containers": [{"Image": f"{IMAGE}:1.0.0"}], "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"]}  # fmt: skip
    package = sm.create_model_package(ModelPackageGroupName="models", InferenceSpecification=spec)[
        "ModelPackageArn"
    ]
    with pytest.raises(ClientError) as raised:
        sm.delete_model_package_group(ModelPackageGroupName="models")
    assert client_error(raised)[0] == "ConflictException"
    sm.delete_model_package(ModelPackageName=package)
    sm.delete_model_package_group(ModelPackageGroupName="models")
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    with pytest.raises(ClientError) as raised:
        sm.describe_model_package_group(ModelPackageGroupName="models")
    assert "does not exist" in client_error(raised)[1]


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ({"ModelCardContent": "{}", "ModelCardStatus": "Signed"}, "modelCard.modelCardStatus"),
        ({"ModelCardContent": "not json", "ModelCardStatus": "Draft"}, "not valid JSON"),
        ({"ModelCardContent": "{" + " " * 100_000 + "}", "ModelCardStatus": "Draft"}, "less than or equal"),
    ],
)
def test_a_model_card_registers_with_its_version_and_a_bad_one_registers_nothing(
    sm: Any, card: dict[str, str], message: str
) -> None:
    sm.create_model_package_group(ModelPackageGroupName="carded")
    spec = {"Containers": [{"Image": f"{IMAGE}:1.0.0"}], "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"]}  # fmt: skip
    with pytest.raises(ClientError) as raised:
        sm.create_model_package(ModelPackageGroupName="carded", InferenceSpecification=spec, ModelCard=card)
    assert client_error(raised)[0] == "ValidationException" and message in client_error(raised)[1]
    assert sm.list_model_packages(ModelPackageGroupName="carded")["ModelPackageSummaryList"] == []
    good = {
        "ModelCardContent": json.dumps({"model_overview": {"model_name": "churn"}}),
        "ModelCardStatus": "Draft",
    }
    arn = sm.create_model_package(
        ModelPackageGroupName="carded", InferenceSpecification=spec, ModelCard=good
    )["ModelPackageArn"]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelCard"] == good
    sm.delete_model_package(ModelPackageName=arn)
    sm.delete_model_package_group(ModelPackageGroupName="carded")


def test_model_package_group_tags_by_arn(sm: Any) -> None:
    tags = [{"Key": "team", "Value": "ml"}]
    arn = sm.create_model_package_group(ModelPackageGroupName="models", Tags=tags)["ModelPackageGroupArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == tags
    sm.add_tags(
        ResourceArn=arn, Tags=[{"Key": "team", "Value": "platform"}, {"Key": "stage", "Value": "dev"}]
    )
    assert sorted((t["Key"], t["Value"]) for t in sm.list_tags(ResourceArn=arn)["Tags"]) == [
        ("stage", "dev"),
        ("team", "platform"),
    ]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]


def test_a_notebook_lifecycle_configuration_keeps_and_lists_its_tags(sm: Any) -> None:
    script = [{"Content": "ZWNobyBoaQ=="}]  # base64 of "echo hi"
    arn = sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="team-setup",
        OnCreate=script,
        Tags=[{"Key": "owner", "Value": "team-churn"}],
    )["NotebookInstanceLifecycleConfigArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "team-churn"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])
    assert {t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {"owner", "stage"}
    sm.delete_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="team-setup")
    with pytest.raises(ClientError) as raised:
        sm.list_tags(ResourceArn=arn)
    assert client_error(raised)[0] == "ValidationException"


def test_a_notebook_instance_returns_its_platform_and_metadata_service_settings(sm: Any) -> None:
    sm.create_notebook_instance(
        NotebookInstanceName="team-notebook",
        InstanceType="ml.t3.medium",
        RoleArn="arn:aws:iam::123456789012:role/notebook",
        PlatformIdentifier="notebook-al2-v3",
        InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"},
        DirectInternetAccess="Disabled",
        RootAccess="Disabled",
    )
    described = sm.describe_notebook_instance(NotebookInstanceName="team-notebook")
    assert described["PlatformIdentifier"] == "notebook-al2-v3"
    assert described["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert (described["DirectInternetAccess"], described["RootAccess"]) == ("Disabled", "Disabled")
    sm.stop_notebook_instance(NotebookInstanceName="team-notebook")
    sm.delete_notebook_instance(NotebookInstanceName="team-notebook")
