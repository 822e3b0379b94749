"""endpoint-monitoring example applied for real: alarms wired to a KMS topic, a dashboard, an encrypted log
group, clean destroy."""

from __future__ import annotations

import json

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("endpoint-monitoring")


def test_every_alarm_is_enabled_and_notifies_the_topic(stack: Stack) -> None:
    names = stack.outputs["alarm_names"]
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=list(names.values()))["MetricAlarms"]
    assert len(alarms) == len(names)
    topic = stack.outputs["sns_topic_arn"]
    for alarm in alarms:
        assert alarm["ActionsEnabled"] is True, alarm["AlarmName"]
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], alarm["AlarmName"]


def test_each_variant_has_error_latency_and_anomaly_alarms(stack: Stack) -> None:
    kinds: dict[str, set[str]] = {}
    for key in stack.outputs["alarm_names"]:
        variant, kind = key.split("/")
        kinds.setdefault(variant, set()).add(kind)
    common = {"5xx-error-rate", "4xx-error-rate", "model-latency", "overhead-latency", "invocations-anomaly"}
    gpu = {"gpu-utilization", "gpu-memory-utilization"}
    instance = {"cpu-utilization", "memory-utilization", "disk-utilization"}
    assert kinds["gpu-primary"] >= common | gpu | instance
    assert kinds["cpu-shadow"] >= common and not kinds["cpu-shadow"] & gpu


def test_latency_thresholds_are_converted_to_microseconds(stack: Stack) -> None:
    name = stack.outputs["alarm_names"]["gpu-primary/model-latency"]
    [alarm] = stack.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert alarm["Threshold"] == 500_000  # the example's 500 ms


def test_anomaly_alarm_watches_a_band_on_invocations(stack: Stack) -> None:
    name = stack.outputs["alarm_names"]["gpu-primary/invocations-anomaly"]
    [alarm] = stack.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert alarm["ComparisonOperator"] == "LessThanLowerOrGreaterThanUpperThreshold"
    band = next(q for q in alarm["Metrics"] if q["Id"] == alarm["ThresholdMetricId"])
    assert band["Expression"].startswith("ANOMALY_DETECTION_BAND(")


def test_topic_is_encrypted_with_the_key(stack: Stack) -> None:
    sns = stack.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=stack.outputs["sns_topic_arn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == stack.outputs["kms_key_arn"]


def test_dashboard_shows_every_variant_and_the_alarms(stack: Stack) -> None:
    body = json.loads(
        stack.client("cloudwatch").get_dashboard(DashboardName=stack.outputs["dashboard_name"])[
            "DashboardBody"
        ]
    )
    text = json.dumps(body)
    assert "gpu-primary" in text and "cpu-shadow" in text
    alarm_arns = set(stack.outputs["alarm_arns"].values())
    shown = {arn for widget in body["widgets"] for arn in widget["properties"].get("alarms", [])}
    assert shown == alarm_arns


def test_log_group_is_encrypted_and_expires(stack: Stack) -> None:
    [group] = stack.client("logs").describe_log_groups(logGroupNamePrefix=stack.outputs["log_group_name"])[
        "logGroups"
    ]
    assert group["logGroupName"] == f"/aws/sagemaker/Endpoints/{stack.name}"
    assert group["kmsKeyId"] == stack.outputs["kms_key_arn"]
    assert group["retentionInDays"] == 365


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
