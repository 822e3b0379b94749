"""sagemaker-endpoint, async example: queued requests, results in S3 with KMS, SNS on success and error,
scaling on the backlog."""

from __future__ import annotations

import pytest

from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests.modules import endpoint_checks as check

stack = example_stack(
    "sagemaker-endpoint", "async", shared="sagemaker-endpoint", update_vars={"image": check.NEW_IMAGE}
)


def test_results_go_to_s3_encrypted_and_are_announced(stack: Stack) -> None:
    check.assert_in_service_on_its_config(stack)
    config = check.endpoint_config(stack)
    async_config = config["AsyncInferenceConfig"]
    output = async_config["OutputConfig"]
    bucket = stack.outputs["data_capture_s3_uri"].split("/")[2]
    assert output["S3OutputPath"] == f"s3://{bucket}/async/output"
    assert output["S3FailurePath"] == f"s3://{bucket}/async/failures"
    assert output["KmsKeyId"] == stack.outputs["kms_key_arn"]
    topics = stack.outputs["topic_arns"]
    assert output["NotificationConfig"] == {
        "SuccessTopic": topics["success"],
        "ErrorTopic": topics["error"],
        "IncludeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"],
    }
    assert async_config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 4}
    assert config["KmsKeyId"] == stack.outputs["kms_key_arn"]
    check.assert_data_capture(config, stack, sampling=100)


def test_topics_are_encrypted_with_the_key(stack: Stack) -> None:
    sns = stack.client("sns")
    for arn in stack.outputs["topic_arns"].values():
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        assert attributes["KmsMasterKeyId"] == stack.outputs["kms_key_arn"]


def test_single_instance_updates_all_at_once_with_rollback_alarms(stack: Stack) -> None:
    described = check.endpoint(stack)
    routing = described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600}
    check.assert_rollback_alarms(stack, described, actions=[stack.outputs["alarm_topic_arn"]])


def test_fleet_scales_on_the_backlog_per_instance(stack: Stack) -> None:
    [policy] = check.assert_scaling(stack, "primary", 1, 4)
    assert policy["PolicyName"] == f"{stack.name}-primary-backlog"
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 10
    metric = configuration["CustomizedMetricSpecification"]
    assert (metric["Namespace"], metric["MetricName"], metric["Statistic"]) == (
        "AWS/SageMaker",
        "ApproximateBacklogSizePerInstance",
        "Average",
    )
    assert metric["Dimensions"] == [{"Name": "EndpointName", "Value": stack.name}]


def test_endpoint_is_monitored_per_variant(stack: Stack) -> None:
    check.assert_monitored(stack, ["primary"])


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


@pytest.mark.shared_update
def test_model_change_rolls_through_the_endpoint(stack: Stack) -> None:
    check.assert_model_change_rolls_through(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    check.assert_destroy_leaves_nothing(stack)
