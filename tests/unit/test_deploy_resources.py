"""What a deploy asks SageMaker and CloudWatch for, built from the example stage configs (no AWS)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from launchpad.deploy import definition, resources
from launchpad.deploy.config import StageConfig, StepSize, load_stage_config

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def prod() -> StageConfig:
    return load_stage_config(EXAMPLES / "stage-prod.yaml")


def test_models_carry_the_role_vpc_and_network_isolation(prod: StageConfig) -> None:
    models = resources.models_for(prod)
    assert set(models) == {"current", "challenger"}
    for request in models.values():
        assert request["ExecutionRoleArn"] == prod.execution_role_arn
        assert request["EnableNetworkIsolation"] is True
        assert request["VpcConfig"]["Subnets"] == list(prod.vpc.subnet_ids)  # type: ignore[union-attr]
        assert len(request["ModelName"]) <= 63


def test_the_endpoint_config_name_follows_its_content(prod: StageConfig) -> None:
    names = {v: m["ModelName"] for v, m in resources.models_for(prod).items()}
    first = resources.endpoint_config_request(prod, names)
    assert first == resources.endpoint_config_request(prod, names)
    heavier = replace(prod, variants=(replace(prod.variants[0], weight=8), prod.variants[1]))
    assert (
        resources.endpoint_config_request(heavier, names)["EndpointConfigName"] != first["EndpointConfigName"]
    )
    # Capture is written with the capture bucket's key (its policy refuses any other); volumes with the models
    # key.
    assert first["DataCaptureConfig"]["KmsKeyId"] == prod.data_capture.kms_key_arn != prod.kms_key_arn
    assert first["KmsKeyId"] == prod.kms_key_arn
    assert [v["InitialVariantWeight"] for v in first["ProductionVariants"]] == [9.0, 1.0]


def test_the_three_rollback_alarms_mirror_the_module(prod: StageConfig) -> None:
    alarms = {a["AlarmName"]: a for a in resources.alarm_requests(prod, "churn-prod-abcd1234")}
    assert list(alarms) == [
        "churn-prod-rollback-5xx-rate",
        "churn-prod-rollback-4xx-rate",
        "churn-prod-rollback-p99-model-latency",
    ]
    rate = alarms["churn-prod-rollback-5xx-rate"]["Metrics"][0]
    assert rate["Expression"] == "IF((i0 + i1) > 0, 100 * (e0 + e1) / (i0 + i1), 0)"
    latency = alarms["churn-prod-rollback-p99-model-latency"]
    assert latency["Threshold"] == 800_000  # microseconds
    assert latency["Metrics"][0]["Expression"] == "MAX([l0, l1])"
    dims = latency["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"]
    assert {"Name": "EndpointConfigName", "Value": "churn-prod-abcd1234"} in dims


@pytest.mark.parametrize(
    ("strategy", "key", "routing"),
    [
        (
            "CANARY",
            "BlueGreenUpdatePolicy",
            {"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25}},
        ),
        (
            "LINEAR",
            "BlueGreenUpdatePolicy",
            {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 20}},
        ),
        ("ALL_AT_ONCE", "BlueGreenUpdatePolicy", {"Type": "ALL_AT_ONCE"}),
        ("ROLLING", "RollingUpdatePolicy", None),
    ],
)
def test_the_deployment_config_follows_the_strategy(
    prod: StageConfig, strategy: str, key: str, routing: dict | None
) -> None:
    deployment = replace(
        prod.deployment, strategy=strategy, linear_step_size=StepSize("CAPACITY_PERCENT", 20)
    )
    built = resources.deployment_config(replace(prod, deployment=deployment), ("a", "b", "c"))
    assert set(built) == {key, "AutoRollbackConfiguration"}
    assert built["AutoRollbackConfiguration"]["Alarms"] == [{"AlarmName": n} for n in "abc"]
    if routing is not None:
        shown = built[key]["TrafficRoutingConfiguration"]
        assert {k: v for k, v in shown.items() if k != "WaitIntervalInSeconds"} == routing
    else:
        assert built[key]["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 25}


@pytest.mark.parametrize(
    ("name", "of_churn_dev"),
    [
        ("churn-dev-0a1b2c3d", True),
        ("churn-dev-0a1b2c3d\n", False),  # the newline a $ anchor would let through
        ("churn-dev-0A1B2C3D", False),
        ("churn-dev-0a1b2c3", False),
        ("churn-0a1b2c3d", False),  # endpoint churn's
        ("churn-dev-prod-0a1b2c3d", False),  # endpoint churn-dev-prod's
        ("xchurn-dev-0a1b2c3d", False),
        ("churn-dev-0a1b2c3d" + "0" * 100_000, False),
    ],
)
def test_an_endpoints_configs_are_named_after_it_and_no_other(name: str, of_churn_dev: bool) -> None:
    """``<endpoint>-<hash>``, matched whole: what `launchpad rollback --to-config` accepts as its history."""
    assert (definition.endpoint_config_pattern("churn-dev").fullmatch(name) is not None) is of_churn_dev
