"""Read-back checks shared by the applied sagemaker-endpoint examples (one test file per example). The
examples are one shared apply of their own (``example_stack(..., shared="sagemaker-endpoint")``): applied,
re-planned, updated to a new image, re-planned and destroyed together, each Terraform step once for the four
(each example keeps its own provider configuration, so a step still starts one provider per example), in one
account: a check of something account-wide looks at its own endpoint only."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, update_stack

ENDPOINT = "module.endpoint.aws_sagemaker_endpoint.this"
CONFIG = "module.endpoint.aws_sagemaker_endpoint_configuration.this"
# The model change every example's stack declares as its update (example_stack's update_vars).
NEW_IMAGE = (
    "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.4.0-cpu-py311-ubuntu22.04-sagemaker"
)


def endpoint(stack: Stack) -> dict[str, Any]:
    return stack.client("sagemaker").describe_endpoint(EndpointName=stack.outputs["endpoint_name"])


def endpoint_config(stack: Stack) -> dict[str, Any]:
    return stack.client("sagemaker").describe_endpoint_config(
        EndpointConfigName=stack.outputs["endpoint_config_name"]
    )


def assert_in_service_on_its_config(stack: Stack) -> dict[str, Any]:
    described = endpoint(stack)
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == stack.outputs["endpoint_config_name"]
    assert stack.outputs["endpoint_config_name"].startswith(f"{stack.name}-")
    return described


def assert_models(stack: Stack, *, isolated: bool, subnets: list[str] | None = None) -> None:
    sagemaker = stack.client("sagemaker")
    for variant, name in stack.outputs["model_names"].items():
        model = sagemaker.describe_model(ModelName=name)
        assert name.startswith(f"{stack.name}-{variant}-")
        assert model["EnableNetworkIsolation"] is isolated
        if subnets is None:
            assert "VpcConfig" not in model or not model["VpcConfig"].get("Subnets")
        else:
            assert sorted(model["VpcConfig"]["Subnets"]) == sorted(subnets)


def assert_data_capture(config: dict[str, Any], stack: Stack, sampling: int) -> None:
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == sampling
    assert capture["DestinationS3Uri"] == stack.outputs["data_capture_s3_uri"]
    assert capture["KmsKeyId"] == stack.outputs["kms_key_arn"]
    assert sorted(o["CaptureMode"] for o in capture["CaptureOptions"]) == ["Input", "Output"]
    assert capture["CaptureContentTypeHeader"] == {
        "JsonContentTypes": ["application/json"],
        "CsvContentTypes": ["text/csv"],
    }


def assert_rollback_alarms(
    stack: Stack, described: dict[str, Any], actions: list[str] | None = None
) -> list[dict[str, Any]]:
    """The endpoint's auto-rollback alarms are the module's three, exist, are enabled, and watch it."""
    names = stack.outputs["rollback_alarm_names"]
    assert sorted(names) == sorted(
        f"{stack.name}-rollback-{kind}" for kind in ("5xx-rate", "4xx-rate", "p99-model-latency")
    )
    watched = described["LastDeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert sorted(a["AlarmName"] for a in watched) == sorted(names)
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert len(alarms) == len(names)
    for alarm in alarms:
        assert alarm["ActionsEnabled"] is True
        assert alarm["AlarmActions"] == (actions or [])
        metrics = [q["MetricStat"]["Metric"] for q in alarm["Metrics"] if "MetricStat" in q]
        assert metrics, f"{alarm['AlarmName']} watches no metric"
        for metric in metrics:
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            assert dimensions["EndpointName"] == stack.name
        if alarm["AlarmName"].endswith("p99-model-latency"):
            # Only the new fleet's latency matters during an update.
            dimensions = [d for m in metrics for d in m["Dimensions"]]
            configs = {d["Value"] for d in dimensions if d["Name"] == "EndpointConfigName"}
            assert configs == {stack.outputs["endpoint_config_name"]}
    return alarms


def assert_scaling(stack: Stack, variant: str, minimum: int, maximum: int) -> list[dict[str, Any]]:
    scaling = stack.client("application-autoscaling")
    resource_id = f"endpoint/{stack.name}/variant/{variant}"
    assert stack.outputs["scalable_target_resource_ids"][variant] == resource_id
    [target] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource_id])[
        "ScalableTargets"
    ]
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (minimum, maximum)
    return scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource_id)[
        "ScalingPolicies"
    ]


def assert_model_change_rolls_through(stack: Stack) -> None:
    """A new image is a new model and a new configuration; the endpoint is updated in place onto it, and the
    old configuration is deleted only after the endpoint moved. (The update is every shared endpoint
    example's at once: one saved plan, applied as it is; each checks its own part of it.)"""
    update = update_stack(stack, endpoint)  # the endpoint as described just before the update
    before = update.before
    old_config = before["EndpointConfigName"]

    actions = {c["address"]: c["change"]["actions"] for c in update.plan["resource_changes"]}
    assert actions[ENDPOINT] == ["update"], "the endpoint must be updated, never replaced"
    assert actions[CONFIG] == ["create", "delete"], "the new configuration must exist before the old goes"
    models = [a for a in actions if a.startswith("module.endpoint.aws_sagemaker_model.this")]
    assert models and all(actions[m] == ["create", "delete"] for m in models)

    log = update.apply_log  # of exactly the plan checked above
    moved = log.index(f"{ENDPOINT}: Modifications complete")
    deleted = log.index(f"{CONFIG} (deposed object")
    assert moved < deleted, "the old configuration was deleted before the endpoint moved off it"

    after = endpoint(stack)
    assert after["EndpointArn"] == before["EndpointArn"]
    assert after["CreationTime"] == before["CreationTime"]
    assert after["EndpointStatus"] == "InService"
    assert after["EndpointConfigName"] == stack.outputs["endpoint_config_name"] != old_config
    assert after["LastDeploymentConfig"] == before["LastDeploymentConfig"]
    with pytest.raises(ClientError):
        stack.client("sagemaker").describe_endpoint_config(EndpointConfigName=old_config)
    for name in stack.outputs["model_names"].values():
        image = stack.client("sagemaker").describe_model(ModelName=name)["PrimaryContainer"]["Image"]
        assert image == NEW_IMAGE
    assert_replan_empty(stack)


def assert_destroy_leaves_nothing(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}


def assert_monitored(
    stack: Stack,
    variants: list[str],
    topic_output: str = "alarm_topic_arn",
    alarms_output: str = "monitoring_alarm_names",
) -> None:
    """The endpoint-monitoring module watches the endpoint: a dashboard row per variant, every alarm enabled
    and wired to the KMS-encrypted topic, and the container log group encrypted before the endpoint. The
    output names default to the sagemaker-endpoint examples'."""
    topic, key = stack.outputs[topic_output], stack.outputs["kms_key_arn"]
    names = list(stack.outputs[alarms_output].values())
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert len(alarms) == len(names)
    for alarm in alarms:
        assert alarm["ActionsEnabled"] is True, alarm["AlarmName"]
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], alarm["AlarmName"]
    assert {alarm_key.split("/")[0] for alarm_key in stack.outputs[alarms_output]} == set(variants)
    assert stack.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == key
    dashboard = stack.client("cloudwatch").get_dashboard(DashboardName=stack.outputs["dashboard_name"])
    body = dashboard["DashboardBody"]
    assert stack.name in body and all(f'"{variant}"' in body for variant in variants)
    [group] = stack.client("logs").describe_log_groups(logGroupNamePrefix=stack.outputs["log_group_name"])[
        "logGroups"
    ]
    assert group["logGroupName"] == f"/aws/sagemaker/Endpoints/{stack.name}"
    assert group["kmsKeyId"] == key and group["retentionInDays"] == 365
