"""The stage's autoscaling on the sandbox: a deploy registers it, an unchanged deploy leaves it, turning it
off deregisters it, and an update or rollback that changes an instance type releases the variant first (AWS
refuses the update otherwise) and registers it again afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from launchpad.aws import AwsTarget
from launchpad.deploy import scaling
from launchpad.deploy.engine import deploy
from launchpad.deploy.rollback import rollback
from launchpad.deploy.rollout import Outcome
from launchpad.deploy.seed import Seeded, bake_lasting, fire_alarm_during_bake, staging_canary

pytestmark = pytest.mark.sandbox

POLL = 0.1
TIME_SCALE = 0.001
SCALED = {"enabled": True, "min_capacity": 2, "max_capacity": 6, "target_invocations_per_instance": 250}


def registered(target: AwsTarget, endpoint: str) -> dict[str, Any]:
    """variant -> (min, max, [(policy name, target value)]) as Application Auto Scaling reports it."""
    found = scaling.current(target.client("application-autoscaling"), endpoint)
    return {
        name: (
            s.min_capacity,
            s.max_capacity,
            [
                (p["PolicyName"], p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"])
                for p in s.policies
            ],
        )
        for name, s in found.items()
    }


def dev(seeded: Seeded, version: str = "1.0.0", instance_type: str = "ml.m5.large", **overrides: Any) -> Any:
    document = seeded.stage_document("dev", version, **{"autoscaling": SCALED, **overrides})
    document["compute"] = {"instance_type": instance_type, "initial_instance_count": 2}
    return seeded.write(document)


def test_a_deploy_registers_the_stage_autoscaling_and_an_unchanged_one_leaves_it(seeded: Seeded) -> None:
    first = deploy(dev(seeded), seeded.target, poll_interval=POLL)
    assert first.rollout.outcome is Outcome.SUCCEEDED, first.rollout.message
    assert registered(seeded.target, "churn-dev") == {
        "primary": (2, 6, [("churn-dev-primary-invocations", 250)])
    }
    assert first.operations[-2:] == ("RegisterScalableTarget", "PutScalingPolicy")
    again = deploy(dev(seeded), seeded.target, poll_interval=POLL)
    assert again.operations == ()
    tuned = deploy(dev(seeded, autoscaling={**SCALED, "max_capacity": 8}), seeded.target, poll_interval=POLL)
    assert tuned.operations == ("RegisterScalableTarget",)  # only the bounds changed; nothing else is touched
    assert registered(seeded.target, "churn-dev")["primary"][:2] == (2, 8)
    off = deploy(dev(seeded, autoscaling={"enabled": False}), seeded.target, poll_interval=POLL)
    assert off.operations == ("DeregisterScalableTarget",)
    assert registered(seeded.target, "churn-dev") == {}


def test_an_update_that_changes_the_instance_type_releases_the_variant_and_scales_it_again(
    seeded: Seeded,
) -> None:
    deploy(dev(seeded), seeded.target, poll_interval=POLL)
    before = seeded.target.client("sagemaker").describe_endpoint(EndpointName="churn-dev")[
        "EndpointConfigName"
    ]
    bigger = deploy(dev(seeded, "1.1.0", "ml.m5.xlarge"), seeded.target, poll_interval=POLL)
    assert bigger.rollout.outcome is Outcome.SUCCEEDED, bigger.rollout.message
    ops = list(bigger.operations)
    assert (
        ops.index("DeregisterScalableTarget")
        < ops.index("UpdateEndpoint")
        < ops.index("RegisterScalableTarget")
    )
    assert registered(seeded.target, "churn-dev")["primary"][:2] == (2, 6)

    back = rollback(dev(seeded, "1.1.0", "ml.m5.xlarge"), seeded.target, poll_interval=POLL)
    assert back.rollout.outcome is Outcome.SUCCEEDED, back.rollout.message
    assert back.rollout.config == before
    assert back.operations.index("DeregisterScalableTarget") < back.operations.index("UpdateEndpoint")
    assert registered(seeded.target, "churn-dev") == {
        "primary": (2, 6, [("churn-dev-primary-invocations", 250)])
    }


def test_a_guard_rollback_of_an_instance_type_change_gives_the_old_variant_its_scaling_back(
    seeded: Seeded,
) -> None:
    def canary(version: str, instance_type: str, **overrides: Any) -> Any:
        document = staging_canary(seeded, version, TIME_SCALE, autoscaling=SCALED, **overrides)
        document["compute"]["instance_type"] = instance_type
        return seeded.write(document)

    first = deploy(canary("1.0.0", "ml.m5.large"), seeded.target, poll_interval=POLL)
    assert first.rollout.outcome is Outcome.SUCCEEDED, first.rollout.message
    path = canary("1.1.0", "ml.m5.xlarge", rollback={"bake_seconds": bake_lasting(5, TIME_SCALE)})
    fire_alarm_during_bake(
        seeded.target, "churn-staging", "churn-staging-rollback-5xx-rate", first.rollout.target_config
    )
    result = deploy(path, seeded.target, poll_interval=POLL, timeout=120)
    assert result.rollout.outcome is Outcome.ROLLED_BACK_BY_GUARD, result.rollout.message
    assert result.rollout.config == first.rollout.target_config
    assert result.operations[-2:] == ("RegisterScalableTarget", "PutScalingPolicy")
    assert registered(seeded.target, "churn-staging") == {
        "primary": (2, 6, [("churn-staging-primary-invocations", 250)])
    }
