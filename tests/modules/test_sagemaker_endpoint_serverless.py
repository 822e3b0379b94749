"""sagemaker-endpoint, serverless example: one serverless variant, without VPC, isolation or capture."""

from __future__ import annotations

import pytest

from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests.modules import endpoint_checks as check

stack = example_stack(
    "sagemaker-endpoint", "serverless", shared="sagemaker-endpoint", update_vars={"image": check.NEW_IMAGE}
)


def test_endpoint_serves_one_serverless_variant(stack: Stack) -> None:
    check.assert_in_service_on_its_config(stack)
    [variant] = check.endpoint_config(stack)["ProductionVariants"]
    assert variant["VariantName"] == "primary"
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": 2048,
        "MaxConcurrency": 10,
        "ProvisionedConcurrency": 1,
    }
    assert "InstanceType" not in variant


def test_serverless_configuration_has_no_volume_key_and_no_capture(stack: Stack) -> None:
    config = check.endpoint_config(stack)
    assert "KmsKeyId" not in config, "serverless variants have no ML storage volume to encrypt"
    assert "DataCaptureConfig" not in config


def test_model_runs_without_isolation_or_vpc(stack: Stack) -> None:
    check.assert_models(stack, isolated=False)


def test_update_is_blue_green_all_at_once_with_rollback_alarms(stack: Stack) -> None:
    described = check.endpoint(stack)
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600},
        "TerminationWaitInSeconds": 300,
        "MaximumExecutionTimeoutInSeconds": 3600,
    }
    check.assert_rollback_alarms(stack, described, actions=[stack.outputs["alarm_topic_arn"]])


def test_serverless_variants_are_not_registered_for_autoscaling(stack: Stack) -> None:
    """None of this endpoint's variants (the account holds the other shared examples' endpoints too)."""
    targets = stack.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    own = [t for t in targets["ScalableTargets"] if t["ResourceId"].startswith(f"endpoint/{stack.name}/")]
    assert own == []


def test_endpoint_is_monitored_per_variant(stack: Stack) -> None:
    check.assert_monitored(stack, ["primary"])


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


@pytest.mark.shared_update
def test_model_change_rolls_through_the_endpoint(stack: Stack) -> None:
    check.assert_model_change_rolls_through(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    check.assert_destroy_leaves_nothing(stack)
