"""``launchpad deploy``: preflight, register, create, update, watch.

1. ``preflight`` (nothing changes if it fails).
2. dev/staging register the artifact as a model package version (PendingManualApproval); prod deploys the
   latest Approved version instead.
3. The models and a new endpoint config, both named after a hash of their content (an unchanged deploy
   reuses them), the three rollback alarms (``<endpoint>-rollback-5xx|4xx|latency``).
4. CreateEndpoint, or UpdateEndpoint with the stage's DeploymentConfig and auto-rollback on those alarms;
   the previous config is recorded as the endpoint tag ``launchpad:previous-config``.
5. ``wait_for_rollout``: the bake window, and the client-side guard (UpdateEndpoint back to the previous
   config when an alarm fires).

Every mutating AWS call of the deploy is counted (a botocore ``before-call`` hook on the clients used).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.deploy import artifacts, resources
from launchpad.deploy.config import load_stage_config
from launchpad.deploy.preflight import Preflight, preflight
from launchpad.deploy.resources import Created
from launchpad.deploy.rollout import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    Event,
    Outcome,
    RolloutResult,
    wait_for_rollout,
)

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "BatchGet")
SERVICES = ("sagemaker", "cloudwatch", "s3", "iam")


@dataclass(frozen=True)
class DeployResult:
    """A deploy's (or rollback's) rollout result, what it created, and its mutating AWS calls."""

    rollout: RolloutResult
    created: Created
    mutating_calls: int
    operations: tuple[str, ...]

    def raise_for_outcome(self) -> None:
        self.rollout.raise_for_outcome()

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.rollout.as_dict(),
            "mutating_calls": self.mutating_calls,
            "mutating_operations": list(self.operations),
            "created": self.created.as_dict(),
        }


class CallCounter:
    """Counts the mutating API calls (anything but Describe*/List*/Get*/Head*/...) made on the clients."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        if not model.name.startswith(READ_PREFIXES):
            self.operations.append(model.name)

    @contextlib.contextmanager
    def watching(self, target: AwsTarget, services: tuple[str, ...] = SERVICES) -> Iterator[CallCounter]:
        clients = [target.client(service) for service in services]
        unique_id = f"launchpad-call-counter-{id(self)}"
        for client in clients:
            client.meta.events.register("before-call", self, unique_id=unique_id)
        try:
            yield self
        finally:
            for client in clients:
                client.meta.events.unregister("before-call", unique_id=unique_id)


def target_for(config_path: Path | str) -> AwsTarget:
    """Where a stage config deploys: its region, on the sandbox or AWS account the environment names."""
    return AwsTarget.from_env(load_stage_config(config_path).region)


def _unchanged(endpoint: str, config: str, started: float) -> RolloutResult:
    return RolloutResult(
        outcome=Outcome.SUCCEEDED,
        message=f"endpoint {endpoint} already serves {config}: nothing to deploy.",
        endpoint=endpoint,
        target_config=config,
        previous_config=config,
        status="InService",
        config=config,
        alarm=None,
        alarm_reason=None,
        alarm_to_rollback_seconds=None,
        mutating_calls=0,
        polls=0,
        seconds=time.monotonic() - started,
    )


def deploy(
    config_path: Path | str,
    target: AwsTarget,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_progress: Callable[[Event], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> DeployResult:
    """Deploy the stage config at ``config_path`` to ``target`` and wait for the rollout's outcome (never
    raises for an outcome: ``result.raise_for_outcome()`` does)."""
    say = on_step or (lambda _: None)
    started = time.monotonic()
    checked = preflight(config_path, target)
    say(f"preflight passed for {checked.config.endpoint_name} ({checked.config.stage})")
    counter = CallCounter()
    with counter.watching(target):
        result, created = _deploy(checked, target, timeout, poll_interval, on_progress, say, started)
    return DeployResult(
        replace(result, mutating_calls=len(counter.operations)),
        created,
        len(counter.operations),
        tuple(counter.operations),
    )


def _deploy(
    checked: Preflight,
    target: AwsTarget,
    timeout: float,
    poll_interval: float,
    on_progress: Callable[[Event], None] | None,
    say: Callable[[str], None],
    started: float,
) -> tuple[RolloutResult, Created]:
    config = checked.config
    sagemaker, cloudwatch = target.client("sagemaker"), target.client("cloudwatch")
    created = Created()
    default = checked.approved.model if checked.approved is not None else None
    models = resources.models_for(config, default)
    names = {variant: request["ModelName"] for variant, request in models.items()}
    endpoint_config = resources.endpoint_config_request(config, names)
    target_config = endpoint_config["EndpointConfigName"]
    previous = checked.current_config
    if previous == target_config:  # nothing changed: register nothing, touch nothing
        return _unchanged(config.endpoint_name, target_config, started), created
    if checked.approved is not None:
        say(f"deploying Approved {checked.approved.arn}")
    else:
        created.model_package = artifacts.register(sagemaker, config)
        say(f"registered {created.model_package} (PendingManualApproval)")
    resources.ensure_models(sagemaker, models, created)
    resources.ensure_endpoint_config(sagemaker, endpoint_config, created)
    alarms = resources.alarm_requests(config, target_config)
    for alarm in alarms:
        cloudwatch.put_metric_alarm(**alarm)
    created.alarms = [a["AlarmName"] for a in alarms]
    alarm_names = tuple(created.alarms)
    if checked.endpoint is None:
        say(f"creating endpoint {config.endpoint_name} on {target_config}")
        sagemaker.create_endpoint(
            EndpointName=config.endpoint_name,
            EndpointConfigName=target_config,
            Tags=resources.tag_list(config.tags),
        )
        created.endpoint = config.endpoint_name
    else:
        strategy = config.deployment.strategy
        say(f"updating endpoint {config.endpoint_name}: {previous} -> {target_config} ({strategy})")
        sagemaker.add_tags(
            ResourceArn=checked.endpoint["EndpointArn"],
            Tags=[{"Key": resources.PREVIOUS_CONFIG_TAG, "Value": previous}],
        )
        sagemaker.update_endpoint(
            EndpointName=config.endpoint_name,
            EndpointConfigName=target_config,
            DeploymentConfig=resources.deployment_config(config, alarm_names),
        )
    result = wait_for_rollout(
        sagemaker,
        cloudwatch,
        config.endpoint_name,
        target_config,
        previous,
        alarm_names,
        timeout=timeout,
        poll_interval=poll_interval,
        bake_seconds=config.rollback.bake_seconds,
        on_progress=on_progress,
    )
    return result, created
