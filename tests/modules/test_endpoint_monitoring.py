"""endpoint-monitoring example applied for real: alarms wired to a KMS topic, a dashboard, an encrypted log
group, clean destroy."""

from __future__ import annotations

import json

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests.modules import endpoint_checks as check

stack = example_stack("endpoint-monitoring", shared=True)


def test_alarms_notify_the_encrypted_topic_and_the_log_group_is_encrypted(stack: Stack) -> None:
    check.assert_monitored(
        stack, ["gpu-primary", "cpu-shadow"], topic_output="sns_topic_arn", alarms_output="alarm_names"
    )


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


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
