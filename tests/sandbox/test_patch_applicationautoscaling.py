"""The Application Auto Scaling patch: tagged scalable targets own their policies and scheduled actions."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget

RESOURCE = "endpoint/ep/variant/primary"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": RESOURCE, "ScalableDimension": DIMENSION}
INVOCATIONS = {
    "TargetValue": 70.0,
    "ScaleInCooldown": 300,
    "ScaleOutCooldown": 60,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
}
GPU = {
    "TargetValue": 75.0,
    "DisableScaleIn": True,
    "CustomizedMetricSpecification": {
        "MetricName": "GPUUtilization",
        "Namespace": "/aws/sagemaker/Endpoints",
        "Statistic": "Average",
        "Unit": "Percent",
        "Dimensions": [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "primary"}],
    },
}


@pytest.fixture
def aas(sandbox_target: AwsTarget) -> Any:
    return sandbox_target.client("application-autoscaling")


def _register(aas: Any, **extra: Any) -> str:
    return aas.register_scalable_target(**TARGET, MinCapacity=1, MaxCapacity=4, **extra)["ScalableTargetARN"]


def _policy(aas: Any, name: str, config: dict) -> str:
    return aas.put_scaling_policy(
        PolicyName=name,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=config,
        **TARGET,
    )["PolicyARN"]


def test_tags_given_at_registration_are_listed_by_target_arn(aas: Any) -> None:
    arn = _register(aas, Tags={"Service": "serve", "Stage": "dev"})
    assert (
        aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]["ScalableTargetARN"]
        == arn
    )
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Service": "serve", "Stage": "dev"}


def test_tags_are_added_replaced_and_removed(aas: Any) -> None:
    arn = _register(aas, Tags={"Stage": "dev"})
    aas.tag_resource(ResourceARN=arn, Tags={"Stage": "prod", "Team": "ml"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["Team"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Stage": "prod"}
    _register(aas, Tags={"Ignored": "on an existing target"})
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Stage": "prod"}


def test_tags_of_an_unknown_target_are_not_found(aas: Any, sandbox_target: AwsTarget) -> None:
    region, account = sandbox_target.region, sandbox_target.account_id
    arn = f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/x"
    for call in (
        lambda: aas.list_tags_for_resource(ResourceARN=arn),
        lambda: aas.tag_resource(ResourceARN=arn, Tags={"a": "b"}),
        lambda: aas.untag_resource(ResourceARN=arn, TagKeys=["a"]),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_policies_and_scheduled_actions_need_a_registered_target(aas: Any) -> None:
    with pytest.raises(ClientError) as raised:
        _policy(aas, "invocations", INVOCATIONS)
    error = raised.value.response["Error"]
    assert error["Code"] == "ObjectNotFoundException"
    assert error["Message"] == (
        f"No scalable target registered for service namespace: sagemaker, resource ID: {RESOURCE}, "
        f"scalable dimension: {DIMENSION}"
    )
    with pytest.raises(ClientError) as raised:
        aas.put_scheduled_action(ScheduledActionName="s", Schedule="cron(0 7 * * ? *)", **TARGET)
    assert raised.value.response["Error"]["Code"] == "ObjectNotFoundException"


def test_each_policy_is_described_by_its_own_name(aas: Any) -> None:
    _register(aas)
    _policy(aas, "invocations", INVOCATIONS)
    _policy(aas, "gpu", GPU)
    for name, config in (("invocations", INVOCATIONS), ("gpu", GPU)):
        policies = aas.describe_scaling_policies(PolicyNames=[name], **TARGET)["ScalingPolicies"]
        assert [p["PolicyName"] for p in policies] == [name]
        assert policies[0]["TargetTrackingScalingPolicyConfiguration"] == config
    other = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId="endpoint/ep/variant/prim")
    assert other["ScalingPolicies"] == []


def test_updating_a_policy_keeps_its_arn(aas: Any) -> None:
    _register(aas)
    arn = _policy(aas, "invocations", INVOCATIONS)
    assert _policy(aas, "invocations", {**INVOCATIONS, "TargetValue": 100.0}) == arn
    (policy,) = aas.describe_scaling_policies(PolicyNames=["invocations"], **TARGET)["ScalingPolicies"]
    assert (policy["PolicyARN"], policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]) == (
        arn,
        100,
    )


def test_scheduled_action_round_trips(aas: Any) -> None:
    _register(aas)
    aas.put_scheduled_action(
        ScheduledActionName="business-hours",
        Schedule="cron(0 7 ? * MON-FRI *)",
        Timezone="Europe/London",
        ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 4},
        **TARGET,
    )
    (action,) = aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
    assert (action["Schedule"], action["Timezone"]) == ("cron(0 7 ? * MON-FRI *)", "Europe/London")
    assert action["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 4}


def test_deregistering_a_target_deletes_its_policies_and_scheduled_actions(aas: Any) -> None:
    arn = _register(aas)
    _policy(aas, "invocations", INVOCATIONS)
    aas.put_scheduled_action(ScheduledActionName="s", Schedule="cron(0 7 * * ? *)", **TARGET)
    aas.deregister_scalable_target(**TARGET)
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    assert aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"] == []
    with pytest.raises(ClientError):
        aas.list_tags_for_resource(ResourceARN=arn)
