"""sagemaker-endpoint, realtime-canary example: a private, isolated, captured endpoint with canary updates,
rollback alarms, autoscaling and monitoring."""

from __future__ import annotations

import pytest

from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests.modules import endpoint_checks as check

stack = example_stack(
    "sagemaker-endpoint",
    "realtime-canary",
    shared="sagemaker-endpoint",
    update_vars={"image": check.NEW_IMAGE},
)


def test_configuration_encrypts_volumes_and_captures_everything(stack: Stack) -> None:
    check.assert_in_service_on_its_config(stack)
    config = check.endpoint_config(stack)
    assert config["KmsKeyId"] == stack.outputs["kms_key_arn"]
    [variant] = config["ProductionVariants"]
    assert (variant["VariantName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "primary",
        "ml.m5.xlarge",
        2,
    )
    check.assert_data_capture(config, stack, sampling=100)


def test_model_is_isolated_in_the_private_subnets(stack: Stack) -> None:
    check.assert_models(stack, isolated=True, subnets=stack.outputs["subnet_ids"])
    [name] = stack.outputs["model_names"].values()
    vpc = stack.client("sagemaker").describe_model(ModelName=name)["VpcConfig"]
    assert vpc["SecurityGroupIds"] == [stack.outputs["security_group_id"]]


def test_updates_go_canary_first_and_roll_back_on_alarm(stack: Stack) -> None:
    described = check.endpoint(stack)
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
        },
        "TerminationWaitInSeconds": 600,
        "MaximumExecutionTimeoutInSeconds": 3600,
    }
    check.assert_rollback_alarms(stack, described, actions=[stack.outputs["alarm_topic_arn"]])


def test_fleet_scales_on_invocations_and_cpu(stack: Stack) -> None:
    policies = {p["PolicyName"]: p for p in check.assert_scaling(stack, "primary", 2, 6)}
    invocations = policies[f"{stack.name}-primary-invocations"]["TargetTrackingScalingPolicyConfiguration"]
    assert invocations["TargetValue"] == 300
    assert invocations["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert (invocations["ScaleInCooldown"], invocations["ScaleOutCooldown"]) == (300, 60)
    cpu = policies[f"{stack.name}-primary-cpuutilization"]["TargetTrackingScalingPolicyConfiguration"]
    assert cpu["TargetValue"] == 70
    metric = cpu["CustomizedMetricSpecification"]
    assert (metric["Namespace"], metric["MetricName"], metric["Statistic"]) == (
        "/aws/sagemaker/Endpoints",
        "CPUUtilization",
        "Average",
    )
    assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
        "EndpointName": stack.name,
        "VariantName": "primary",
    }


def test_endpoint_is_monitored_per_variant(stack: Stack) -> None:
    check.assert_monitored(stack, ["primary"])


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


@pytest.mark.shared_update
def test_model_change_rolls_through_the_endpoint(stack: Stack) -> None:
    check.assert_model_change_rolls_through(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    check.assert_destroy_leaves_nothing(stack)
