"""What a deploy asks Application Auto Scaling for (no AWS), and how an AWS error mid-deploy is reported."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.deploy import scaling
from launchpad.deploy.config import Autoscaling, Serverless, StageConfig, load_stage_config
from launchpad.deploy.engine import aws_errors
from launchpad.deploy.resources import Created
from launchpad.errors import DeployError

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def prod() -> StageConfig:
    return load_stage_config(EXAMPLES / "stage-prod.yaml")


class Recorder:
    """An Application Auto Scaling client that records the mutating calls it is asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        return lambda **kwargs: self.calls.append((operation, kwargs))

    def ops(self) -> list[tuple[str, str]]:
        return [(op, kwargs["ResourceId"].rsplit("/", 1)[1]) for op, kwargs in self.calls]


def test_each_instance_variant_gets_the_stage_bounds_and_a_target_tracking_policy(prod: StageConfig) -> None:
    wanted = scaling.desired(prod)
    assert set(wanted) == {"current", "challenger"}
    current = wanted["current"]
    assert (current.min_capacity, current.max_capacity) == (2, 8)
    (policy,) = current.policies
    assert (
        policy["PolicyName"] == "churn-prod-current-invocations"
    )  # as the sagemaker-endpoint module names it
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 600.0
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }


def test_bounds_default_to_the_instance_count_and_four_times_it(prod: StageConfig) -> None:
    defaults = replace(prod, autoscaling=Autoscaling(enabled=True, target_invocations_per_instance=100))
    bounds = {n: (s.min_capacity, s.max_capacity) for n, s in scaling.desired(defaults).items()}
    counts = {v.name: v.initial_instance_count for v in prod.variants}
    assert bounds == {name: (count, 4 * count) for name, count in counts.items()}


def test_serverless_variants_and_disabled_scaling_ask_for_nothing(prod: StageConfig) -> None:
    assert scaling.desired(replace(prod, autoscaling=replace(prod.autoscaling, enabled=False))) == {}
    serverless = replace(
        prod.variants[1], instance_type=None, initial_instance_count=None, serverless=Serverless(2048, 5)
    )
    assert set(scaling.desired(replace(prod, variants=(prod.variants[0], serverless)))) == {"current"}


def test_apply_writes_only_what_differs(prod: StageConfig) -> None:
    wanted = scaling.desired(prod)
    client = Recorder()
    assert scaling.apply(client, "churn-prod", wanted, wanted) == []
    assert client.calls == []
    extra_field = {
        name: replace(
            s,
            policies=tuple(
                {
                    **p,
                    "TargetTrackingScalingPolicyConfiguration": {
                        **p["TargetTrackingScalingPolicyConfiguration"],
                        "DisableScaleIn": False,
                    },
                }
                for p in s.policies
            ),
        )
        for name, s in wanted.items()
    }
    assert scaling.apply(client, "churn-prod", wanted, extra_field) == []  # AWS's own fields are not a change
    retargeted = {**wanted, "current": replace(wanted["current"], policies=())}
    stale = {"current": replace(wanted["current"], max_capacity=3), "old": wanted["challenger"]}
    assert scaling.apply(client, "churn-prod", retargeted, stale) == ["old", "current", "challenger"]
    assert client.ops() == [
        ("deregister_scalable_target", "old"),
        ("register_scalable_target", "current"),
        ("register_scalable_target", "challenger"),
        ("put_scaling_policy", "challenger"),
    ]


def test_release_takes_only_variants_whose_instance_type_changes_or_that_go(prod: StageConfig) -> None:
    have = scaling.desired(prod)
    client = Recorder()
    serving = {"current": "ml.m5.xlarge", "challenger": "ml.m5.xlarge"}
    same = scaling.release(client, "churn-prod", have, serving, dict(serving))
    assert same == {} and client.calls == []
    released = scaling.release(client, "churn-prod", have, serving, {"current": "ml.m5.2xlarge"})
    assert set(released) == {"current", "challenger"}
    assert client.ops() == [
        ("deregister_scalable_target", "current"),
        ("deregister_scalable_target", "challenger"),
    ]
    client.calls.clear()
    assert scaling.restore(client, "churn-prod", released, ["current"]) == ["current"]
    assert client.ops() == [("register_scalable_target", "current"), ("put_scaling_policy", "current")]


def test_an_aws_error_mid_deploy_names_the_call_and_what_was_created() -> None:
    created = Created(models=["churn-a", "churn-b"], endpoint_config="churn-c")
    refused = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "RegisterScalableTarget"
    )
    with pytest.raises(DeployError) as raised, aws_errors("the deploy of churn-prod", created):
        raise refused
    assert raised.value.exit_code == 10
    assert str(raised.value).startswith(
        "AWS refused the deploy of churn-prod: RegisterScalableTarget: AccessDeniedException: not "
        "authorized. Created before it: models churn-a, churn-b; endpoint config churn-c."
    )
