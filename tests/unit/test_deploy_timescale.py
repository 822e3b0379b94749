"""The sandbox's time scale: one rule (``timescale.applying``) for the sandbox's rollouts and the engine's
bake, never applied on AWS. No clocks here: the scale is a number; test_deploy_rollout waits it on a fake
clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad.aws import AwsTarget
from launchpad.deploy import timescale
from launchpad.deploy.config import check_stage_config
from launchpad.deploy.preflight import time_scale
from launchpad.paths import examples_dir
from launchpad.sandbox.patches import sagemaker_rollout

TAG, ENV = timescale.TIME_SCALE_TAG, timescale.TIME_SCALE_ENV


def tags(value: str | None) -> list[dict[str, str]]:
    return [{"Key": "owner", "Value": "ml"}] + ([] if value is None else [{"Key": TAG, "Value": value}])


@pytest.mark.parametrize(
    ("tag", "environ", "scale"),
    [
        ("0.01", {ENV: "5"}, 0.01),  # the endpoint's tag wins
        (None, {ENV: "0.5"}, 0.5),  # else the environment
        (None, {ENV: " 2 "}, 2.0),
        (None, {}, 0.0),  # else 0: the sandbox rolls out at once, the engine bakes no time
        (None, {ENV: ""}, 0.0),
        ("1e-3", {}, 0.001),
        ("0", {ENV: "1"}, 0.0),
    ],
)
def test_the_tag_then_the_environment_then_zero(
    tag: str | None, environ: dict[str, str], scale: float
) -> None:
    assert timescale.applying(tags(tag), environ) == scale


@pytest.mark.parametrize(
    "value", ["fast", "nan", "inf", "-1", "1_0", "\u0661", "1e999", "1001", "0x10", "9" * 40, "0.01\u202e"]
)
def test_a_scale_that_is_not_a_number_from_0_to_1000_is_refused_naming_where_it_was(value: str) -> None:
    with pytest.raises(timescale.TimeScaleError) as raised:
        timescale.applying(tags(value), {})
    message = str(raised.value)
    assert message.startswith(f"Tag {TAG} must be a non-negative number") and "write 0 to 1000" in message
    assert "\u202e" not in message and len(message) < 300
    with pytest.raises(timescale.TimeScaleError, match=ENV):
        timescale.applying([], {ENV: value})


class Endpoint:
    """What the sandbox's patch reads of a moto endpoint: its tags."""

    def __init__(self, value: str | None) -> None:
        self.tags = tags(value)


@pytest.mark.parametrize("tag", [None, "0.01", "3"])
@pytest.mark.parametrize("environ", [{}, {ENV: "0.2"}])
def test_the_sandbox_and_the_engine_read_the_same_scale(
    tag: str | None, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox's rollouts (its server's environment) and the engine's preflight (the deploying process's)
    follow one rule: given the same tags and environment, the same scale."""
    monkeypatch.delenv(ENV, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    sandbox = sagemaker_rollout.time_scale(Endpoint(tag))  # type: ignore[arg-type]
    target = AwsTarget.sandbox("http://127.0.0.1:9", account_id="111122223333")
    engine = time_scale(target, NoCalls(), config(tag), None, [], environ)
    assert sandbox == engine == timescale.applying(tags(tag), environ)


class NoCalls:
    """A SageMaker client that must not be called."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} was called")


class Tagged:
    """A SageMaker client whose only answer is an endpoint's tags."""

    def __init__(self, value: str | None) -> None:
        self.value = value

    def list_tags(self, ResourceArn: str) -> dict[str, Any]:
        return {"Tags": tags(self.value)}


def config(tag: str | None, folder: Path | None = None) -> Any:
    document = yaml.safe_load((examples_dir() / "stage-dev.yaml").read_text())
    if tag is not None:
        document["tags"] = {**document["tags"], TAG: tag}
    return check_stage_config(document, folder)


def test_on_aws_nothing_is_scaled_and_no_tag_is_read() -> None:
    problems: list[str] = []
    scale = time_scale(AwsTarget("eu-west-1"), NoCalls(), config("0.01"), {"EndpointArn": "arn"}, problems)
    assert scale == timescale.UNSCALED and problems == []


def test_on_the_sandbox_an_existing_endpoint_is_scaled_by_its_own_tag_not_the_configs() -> None:
    target = AwsTarget.sandbox("http://127.0.0.1:9", account_id="111122223333")
    problems: list[str] = []
    assert time_scale(target, Tagged("0.5"), config("0.01"), {"EndpointArn": "arn"}, problems, {}) == 0.5
    assert problems == []


def test_a_scale_the_sandbox_would_refuse_is_a_preflight_problem() -> None:
    target = AwsTarget.sandbox("http://127.0.0.1:9", account_id="111122223333")
    problems: list[str] = []
    time_scale(target, NoCalls(), config("fast"), None, problems, {})
    assert len(problems) == 1 and problems[0].startswith("the stage config's tags: Tag launchpad:sandbox")
    problems.clear()
    time_scale(target, Tagged("nan"), config(None), {"EndpointArn": "arn"}, problems, {})
    assert len(problems) == 1 and "'nan'" in problems[0]
