"""sagemaker-endpoint, ab-test example: champion and challenger by integer weights, sampled capture, linear
updates, off-hours scaling; the GPU challenger keeps the volume key out of the configuration."""

from __future__ import annotations

import pytest

from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests.modules import endpoint_checks as check

stack = example_stack(
    "sagemaker-endpoint", "ab-test", shared="sagemaker-endpoint", update_vars={"image": check.NEW_IMAGE}
)


def test_traffic_is_split_nine_to_one(stack: Stack) -> None:
    check.assert_in_service_on_its_config(stack)
    variants = {v["VariantName"]: v for v in check.endpoint_config(stack)["ProductionVariants"]}
    assert variants["champion"]["InitialVariantWeight"] == 9
    assert variants["challenger"]["InitialVariantWeight"] == 1
    assert variants["champion"]["InstanceType"] == "ml.m5.xlarge"
    assert variants["challenger"]["InstanceType"] == "ml.g5.xlarge"
    served = [v["VariantName"] for v in check.endpoint(stack)["ProductionVariants"]]
    assert served == ["champion", "challenger"]


def test_local_nvme_instance_type_keeps_the_volume_key_out(stack: Stack) -> None:
    assert stack.outputs.get("volume_kms_key_arn") is None  # Terraform leaves null outputs out
    config = check.endpoint_config(stack)
    assert "KmsKeyId" not in config
    check.assert_data_capture(config, stack, sampling=20)


def test_each_variant_serves_its_own_isolated_model(stack: Stack) -> None:
    check.assert_models(stack, isolated=True)
    sagemaker = stack.client("sagemaker")
    urls = {
        variant: sagemaker.describe_model(ModelName=name)["PrimaryContainer"]["ModelDataUrl"]
        for variant, name in stack.outputs["model_names"].items()
    }
    assert urls["champion"].endswith("/models/champion/model.tar.gz")
    assert urls["challenger"].endswith("/models/challenger/model.tar.gz")


def test_updates_move_one_instance_at_a_time(stack: Stack) -> None:
    described = check.endpoint(stack)
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "LINEAR",
        "WaitIntervalInSeconds": 300,
        "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1},
    }
    alarms = check.assert_rollback_alarms(stack, described, actions=[stack.outputs["alarm_topic_arn"]])
    rate = next(a for a in alarms if a["AlarmName"].endswith("5xx-rate"))
    variants = {
        d["Value"]
        for q in rate["Metrics"]
        if "MetricStat" in q
        for d in q["MetricStat"]["Metric"]["Dimensions"]
        if d["Name"] == "VariantName"
    }
    assert variants == {"champion", "challenger"}, "the error rate covers every variant"


def test_both_variants_scale_and_shrink_off_hours(stack: Stack) -> None:
    scaling = stack.client("application-autoscaling")
    for variant in ("champion", "challenger"):
        check.assert_scaling(stack, variant, 2, 4)
        actions = scaling.describe_scheduled_actions(
            ServiceNamespace="sagemaker", ResourceId=f"endpoint/{stack.name}/variant/{variant}"
        )["ScheduledActions"]
        by_name = {a["ScheduledActionName"]: a for a in actions}
        down = by_name[f"{stack.name}-{variant}-off-hours"]
        up = by_name[f"{stack.name}-{variant}-working-hours"]
        assert (down["Schedule"], down["Timezone"]) == ("cron(0 19 ? * MON-FRI *)", "Europe/Dublin")
        assert down["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 2}
        assert up["Schedule"] == "cron(0 7 ? * MON-FRI *)"
        assert up["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 4}


def test_endpoint_is_monitored_per_variant(stack: Stack) -> None:
    check.assert_monitored(stack, ["champion", "challenger"])


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


@pytest.mark.shared_update
def test_model_change_rolls_through_the_endpoint(stack: Stack) -> None:
    check.assert_model_change_rolls_through(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    check.assert_destroy_leaves_nothing(stack)
