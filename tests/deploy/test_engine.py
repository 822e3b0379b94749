"""launchpad deploy and rollback on the sandbox: create, a guarded canary update, the alarm-triggered
rollback, a manual rollback, and the CLI with --json."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from launchpad.aws import AwsTarget
from launchpad.cli import main
from launchpad.deploy import resources, watch
from launchpad.deploy.engine import deploy
from launchpad.deploy.rollback import rollback
from launchpad.deploy.rollout import Outcome
from launchpad.deploy.seed import (
    TIME_SCALE_TAG,
    Seeded,
    bake_lasting,
    fire_alarm_during_bake,
    fire_alarm_when,
    measure_guarded_update,
    staging_canary,
)

pytestmark = pytest.mark.sandbox

TIME_SCALE = 0.002  # a CANARY with 600 s waits: (60 + 2 x 600 + 300) x 0.002 = ~3 s
POLL = 0.1


def endpoint(target: AwsTarget, name: str) -> dict:
    return target.client("sagemaker").describe_endpoint(EndpointName=name)


def test_a_first_deploy_registers_a_version_and_creates_the_endpoint_and_its_alarms(seeded: Seeded) -> None:
    path = seeded.write(seeded.stage_document("dev"))
    result = deploy(path, seeded.target, poll_interval=POLL)
    assert result.rollout.outcome is Outcome.SUCCEEDED, result.rollout.message
    described = endpoint(seeded.target, "churn-dev")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == result.created.endpoint_config
    assert set(result.created.alarms or ()) == set(resources.alarm_names("churn-dev"))
    sagemaker = seeded.target.client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=result.created.model_package)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    model = sagemaker.describe_model(ModelName=(result.created.models or [])[0])
    assert model["EnableNetworkIsolation"] is True
    assert model["ExecutionRoleArn"] == seeded.role_arn
    assert result.mutating_calls == len(result.operations) > 0
    assert "CreateEndpoint" in result.operations


def test_deploying_an_unchanged_config_again_changes_nothing_on_the_endpoint(seeded: Seeded) -> None:
    path = seeded.write(seeded.stage_document("dev"))
    first = deploy(path, seeded.target, poll_interval=POLL)
    again = deploy(path, seeded.target, poll_interval=POLL)
    assert again.rollout.outcome is Outcome.SUCCEEDED
    assert again.rollout.target_config == first.rollout.target_config
    assert again.operations == ()  # no new package version, model, config, alarm or update


def test_a_guarded_canary_update_reaches_in_service_on_the_new_config(seeded: Seeded) -> None:
    deploy(seeded.write(staging_canary(seeded, "1.0.0", TIME_SCALE)), seeded.target, poll_interval=POLL)
    before = endpoint(seeded.target, "churn-staging")["EndpointConfigName"]
    started = time.monotonic()
    result = deploy(
        seeded.write(staging_canary(seeded, "1.1.0", TIME_SCALE)), seeded.target, poll_interval=POLL
    )
    assert result.rollout.outcome is Outcome.SUCCEEDED, result.rollout.message
    assert time.monotonic() - started > 1  # it took simulated time: the sandbox rolled it out in steps
    described = endpoint(seeded.target, "churn-staging")
    assert described["EndpointConfigName"] == result.rollout.target_config != before
    deployment = described["LastDeploymentConfig"]
    routing = deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "CANARY"
    assert {a["AlarmName"] for a in deployment["AutoRollbackConfiguration"]["Alarms"]} == set(
        resources.alarm_names("churn-staging")
    )
    tags = seeded.target.client("sagemaker").list_tags(ResourceArn=described["EndpointArn"])["Tags"]
    assert {"Key": resources.PREVIOUS_CONFIG_TAG, "Value": before} in tags


def fire_alarm_during_update(target: AwsTarget, name: str) -> threading.Thread:
    """Fire ``name`` once the endpoint is Updating: a timer could go off before the update starts, on a
    loaded machine, and SageMaker counts only alarms during it."""
    return fire_alarm_when(target, "churn-staging", name, lambda d: d["EndpointStatus"] == "Updating")


def test_a_rollback_alarm_during_the_update_makes_sagemaker_roll_back(seeded: Seeded) -> None:
    deploy(seeded.write(staging_canary(seeded, "1.0.0", TIME_SCALE)), seeded.target, poll_interval=POLL)
    before = endpoint(seeded.target, "churn-staging")["EndpointConfigName"]
    fire_alarm_during_update(seeded.target, "churn-staging-rollback-5xx-rate")
    result = deploy(
        seeded.write(staging_canary(seeded, "1.1.0", TIME_SCALE)), seeded.target, poll_interval=POLL
    )
    assert result.rollout.outcome in (Outcome.ROLLED_BACK_BY_GUARD, Outcome.SILENT_ROLLBACK)
    assert result.rollout.exit_code in (13, 14)
    assert endpoint(seeded.target, "churn-staging")["EndpointConfigName"] == before
    assert "churn-staging-rollback-5xx-rate" in result.rollout.message


def test_an_alarm_no_poll_saw_in_alarm_is_named_from_its_history(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On AWS an alarm can fire and clear between two polls; SageMaker still rolls back on it, and the
    engine names it from DescribeAlarmHistory. Here every poll is blind to ALARM states."""
    deploy(seeded.write(staging_canary(seeded, "1.0.0", TIME_SCALE)), seeded.target, poll_interval=POLL)
    monkeypatch.setattr(watch, "alarm_states", lambda cloudwatch, names: ((), ()))
    fire_alarm_during_update(seeded.target, "churn-staging-rollback-p99-model-latency")
    result = deploy(
        seeded.write(staging_canary(seeded, "1.1.0", TIME_SCALE)), seeded.target, poll_interval=POLL
    )
    assert result.rollout.outcome is Outcome.SILENT_ROLLBACK
    assert result.rollout.alarm == "churn-staging-rollback-p99-model-latency"
    assert (
        "while rollback alarm churn-staging-rollback-p99-model-latency was in ALARM" in result.rollout.message
    )


def test_a_rollback_alarm_during_the_bake_makes_the_guard_roll_back(seeded: Seeded) -> None:
    first = deploy(
        seeded.write(staging_canary(seeded, "1.0.0", TIME_SCALE)), seeded.target, poll_interval=POLL
    )
    before = first.rollout.target_config
    bake = {"bake_seconds": bake_lasting(5, TIME_SCALE)}  # the engine bakes at the sandbox's time scale
    path = seeded.write(staging_canary(seeded, "1.1.0", TIME_SCALE, rollback=bake))
    fire_alarm_during_bake(seeded.target, "churn-staging", "churn-staging-rollback-5xx-rate", before)
    result = deploy(path, seeded.target, poll_interval=POLL)
    assert result.rollout.outcome is Outcome.ROLLED_BACK_BY_GUARD, result.rollout.message
    assert result.rollout.exit_code == 14
    assert endpoint(seeded.target, "churn-staging")["EndpointConfigName"] == before
    assert result.rollout.alarm_to_rollback_seconds is not None
    assert result.operations.count("UpdateEndpoint") == 2  # the update, then the guard's rollback
    assert "SetAlarmState" not in result.operations  # the test's own call is not the deploy's


def test_an_alarm_no_poll_saw_during_the_bake_still_makes_the_guard_roll_back(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bake's polls are blind to ALARM states; the history read before calling it a success is not."""
    before = deploy(
        seeded.write(staging_canary(seeded, "1.0.0", TIME_SCALE)), seeded.target, poll_interval=POLL
    ).rollout.target_config
    monkeypatch.setattr(watch, "alarm_states", lambda cloudwatch, names: ((), ()))
    bake = {"bake_seconds": bake_lasting(5, TIME_SCALE)}
    path = seeded.write(staging_canary(seeded, "1.1.0", TIME_SCALE, rollback=bake))
    fire_alarm_during_bake(seeded.target, "churn-staging", "churn-staging-rollback-4xx-rate", before)
    result = deploy(path, seeded.target, poll_interval=POLL)
    assert result.rollout.outcome is Outcome.ROLLED_BACK_BY_GUARD, result.rollout.message
    assert result.rollout.alarm == "churn-staging-rollback-4xx-rate"
    assert endpoint(seeded.target, "churn-staging")["EndpointConfigName"] == before


def test_rollback_returns_to_the_previous_config_and_to_a_package_version(seeded: Seeded) -> None:
    first = deploy(
        seeded.write(staging_canary(seeded, "1.0.0", TIME_SCALE)), seeded.target, poll_interval=POLL
    )
    path = seeded.write(staging_canary(seeded, "1.1.0", TIME_SCALE))
    second = deploy(path, seeded.target, poll_interval=POLL)
    assert second.rollout.outcome is Outcome.SUCCEEDED, second.rollout.message
    back = rollback(path, seeded.target, poll_interval=POLL)
    assert back.rollout.outcome is Outcome.SUCCEEDED, back.rollout.message
    assert endpoint(seeded.target, "churn-staging")["EndpointConfigName"] == first.rollout.target_config
    forward = rollback(path, seeded.target, to_package_version=2, poll_interval=POLL)
    assert forward.rollout.outcome is Outcome.SUCCEEDED, forward.rollout.message
    assert endpoint(seeded.target, "churn-staging")["EndpointConfigName"] == second.rollout.target_config


def test_rollback_takes_the_previous_config_tag_whatever_its_name(seeded: Seeded) -> None:
    """The tag names a config the endpoint served (a deploy wrote it on leaving it), so it is the endpoint's
    history even when it was named by hand; --to-config may name it too."""
    first = deploy(seeded.write(seeded.stage_document("dev")), seeded.target, poll_interval=POLL)
    sagemaker = seeded.target.client("sagemaker")
    model = (first.created.models or [])[0]
    variant = {
        "VariantName": "primary",
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sagemaker.create_endpoint_config(EndpointConfigName="by-hand", ProductionVariants=[variant])
    arn = endpoint(seeded.target, "churn-dev")["EndpointArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": resources.PREVIOUS_CONFIG_TAG, "Value": "by-hand"}])
    path = seeded.write(seeded.stage_document("dev"))
    back = rollback(path, seeded.target, to_config="by-hand", poll_interval=POLL)
    assert back.rollout.outcome is Outcome.SUCCEEDED, back.rollout.message
    assert endpoint(seeded.target, "churn-dev")["EndpointConfigName"] == "by-hand"
    forward = rollback(path, seeded.target, poll_interval=POLL)  # the tag now names the deploy's config
    assert forward.rollout.settled_on(first.rollout.target_config), forward.rollout.message


def test_the_cli_deploys_and_prints_one_json_document(
    seeded: Seeded, sandbox_target: AwsTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in sandbox_target.env().items():
        monkeypatch.setenv(key, value)
    path = seeded.write(seeded.stage_document("dev"))
    result = CliRunner().invoke(main, ["deploy", "--config", str(path), "--json", "--poll", str(POLL)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["outcome"] == "succeeded"
    assert document["created"]["endpoint"] == "churn-dev"
    assert document["mutating_calls"] > 0


def test_the_bench_hook_measures_calls_and_alarm_to_rollback_seconds(
    sandbox_target: AwsTarget, tmp_path: Path
) -> None:
    measured = measure_guarded_update(sandbox_target, tmp_path, TIME_SCALE)
    assert measured["mutating_calls"] > 0
    assert 0 <= measured["alarm_to_rollback_seconds"] < 5


class FakeTime:
    """A clock that moves only when the deploy sleeps: prod's long bake, with real polls, in no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_on_a_scaled_sandbox_the_engine_bakes_at_the_sandbox_scale(seeded: Seeded) -> None:
    """A prod-like 900 s bake rehearsed on a sandbox at time scale 0.01 lasts 9 s (on a fake clock: the
    engine's own wait, not the sandbox's), the scale the sandbox rolls the endpoint's updates out at."""
    fake = FakeTime()
    document = staging_canary(seeded, "1.0.0", 0.01, rollback={"bake_seconds": 900})
    result = deploy(
        seeded.write(document), seeded.target, poll_interval=30, clock=fake.clock, sleep=fake.sleep
    )
    assert result.rollout.outcome is Outcome.SUCCEEDED, result.rollout.message
    assert fake.now == 9 and result.rollout.time_scale == 0.01
    assert "for the 900 s bake (9 s at the sandbox's time scale 0.01)." in result.rollout.message


def test_prod_deploys_the_latest_approved_version_and_bakes_its_whole_window(seeded: Seeded) -> None:
    sagemaker = seeded.target.client("sagemaker")
    for version in ("1.0.0", "1.1.0"):  # staging registers both; only 1.0.0 is approved
        staged = deploy(seeded.write(staging_canary(seeded, version, 0)), seeded.target, poll_interval=POLL)
        assert staged.rollout.outcome is Outcome.SUCCEEDED, staged.rollout.message
        if version == "1.0.0":
            approved = staged.created.model_package
            sagemaker.update_model_package(ModelPackageArn=approved, ModelApprovalStatus="Approved")
    fake = FakeTime()
    document = seeded.stage_document("prod", "1.1.0")
    document["tags"][TIME_SCALE_TAG] = "1"  # the sandbox at AWS's own pace: the engine bakes AWS's seconds
    bake = document["rollback"]["bake_seconds"]
    assert bake >= 300  # prod's rule
    result = deploy(
        seeded.write(document), seeded.target, poll_interval=30, clock=fake.clock, sleep=fake.sleep
    )
    assert result.rollout.outcome is Outcome.SUCCEEDED, result.rollout.message
    assert result.created.model_package is None and "CreateModelPackage" not in result.operations
    assert fake.now >= bake and result.rollout.polls > bake / 30  # the whole bake, polled every 30 s
    assert f"stayed out of ALARM for the {bake} s bake" in result.rollout.message
    models = [sagemaker.describe_model(ModelName=m) for m in result.created.models or []]
    assert models and {m["PrimaryContainer"]["ModelDataUrl"] for m in models} == {seeded.artifact("1.0.0")}
