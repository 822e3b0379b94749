"""``launchpad deploy``: preflight, register, create, update, watch.

1. ``preflight`` (nothing changes if it fails).
   With ``artifact``, the local model.tar.gz is then uploaded to the stage's URI (``artifacts.upload``), and
   with ``baseline`` the local drift baseline folder beside it (``artifacts.upload_baseline``).
2. dev/staging register the artifact as a model package version (PendingManualApproval), naming the baseline
   beside it as its DriftCheckBaselines when there is one; prod deploys the latest Approved version instead.
3. The models and a new endpoint config, both named after a hash of their content (an unchanged deploy
   reuses them), the rollback alarms of the module's definition.json
   (``<endpoint>-rollback-5xx-rate|4xx-rate|p99-model-latency``).
4. CreateEndpoint, or UpdateEndpoint with the stage's DeploymentConfig and auto-rollback on those alarms;
   the previous config is recorded as the endpoint tag ``launchpad:previous-config``.
   Variants whose instance type the update changes are released from autoscaling first (AWS refuses the
   update otherwise).
5. ``wait_for_rollout``: the bake window, and the client-side guard (UpdateEndpoint back to the previous
   config when an alarm fires). On the sandbox the bake lasts its AWS seconds at the sandbox's time scale,
   the one its rollout runs at (``launchpad.deploy.timescale``); on AWS, AWS's seconds.
6. On success, the stage's autoscaling (``scaling``); after a rollback, the released variants' scaling back.

An AWS error on the way is an ``AwsRefusedError`` (a ``DeployError``, exit 10) naming the call, what was
created, and where the endpoint stands.

Every mutating AWS call of the deploy is counted (a botocore ``before-call`` hook on the clients used).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy import artifacts, resources, scaling, watch
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
from launchpad.errors import DeployError
from launchpad.monitor import baselines

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "BatchGet")
SERVICES = ("sagemaker", "cloudwatch", "s3", "iam", "application-autoscaling")


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


@dataclass(frozen=True)
class Waiting:
    """How a deploy waits for its rollout (``wait_for_rollout``'s own arguments)."""

    timeout: float
    poll_interval: float
    on_progress: Callable[[Event], None] | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]


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
    """Where a stage config deploys: its region, on the sandbox or AWS account the environment names. An
    environment boto3 cannot use (a profile that does not exist, a sandbox that is not running) is a
    ``DeployError`` naming it, before anything is read."""
    region = load_stage_config(config_path).region
    return usable(lambda: AwsTarget.from_env(region))


def usable(make: Callable[[], AwsTarget]) -> AwsTarget:
    """``make()``'s target, with an STS client made on it: the AWS environment works enough to call AWS."""
    try:
        target = make()
        target.client("sts")
    except (ClientError, BotoCoreError) as exc:
        raise DeployError(
            f"cannot use the AWS environment: {watch.describe_error(exc)}; check AWS_PROFILE, the "
            f"credentials and AWS_ENDPOINT_URL (`launchpad sandbox status` says where the sandbox is)"
        ) from exc
    return target


def _unchanged(endpoint: str, config: str, started: float, time_scale: float) -> RolloutResult:
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
        time_scale=time_scale,
    )


def deploy(
    config_path: Path | str,
    target: AwsTarget,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_progress: Callable[[Event], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    artifact: Path | None = None,
    baseline: Path | None = None,
) -> DeployResult:
    """Deploy the stage config at ``config_path`` to ``target`` and wait for the rollout's outcome (never
    raises for an outcome: ``result.raise_for_outcome()`` does). ``clock`` and ``sleep`` time the wait.
    ``artifact``: a local model.tar.gz to upload first; ``baseline``: its drift baseline folder (with
    ``artifact`` only), uploaded beside it."""
    say = on_step or (lambda _: None)
    started = time.monotonic()
    checked = preflight(config_path, target, artifact, rollback_timeout=timeout, baseline=baseline)
    say(f"preflight passed for {checked.config.endpoint_name} ({checked.config.stage})")
    counter = CallCounter()
    created = Created()
    with counter.watching(target), aws_errors(f"the deploy of {checked.config.endpoint_name}", created):
        if artifact is not None:
            _upload(target, checked, artifact, say)
        if baseline is not None:
            _upload_baseline(target, checked, baseline, say)
        waiting = Waiting(timeout, poll_interval, on_progress, clock, sleep)
        result = _deploy(checked, target, created, waiting, say, started)
    return DeployResult(
        replace(result, mutating_calls=len(counter.operations)),
        created,
        len(counter.operations),
        tuple(counter.operations),
    )


class AwsRefusedError(DeployError):
    """AWS refused a call of a deploy or rollback after preflight (exit 10, as any ``DeployError``);
    ``created`` is what had been created before it (for the ``--json`` document)."""

    def __init__(self, message: str, created: Created) -> None:
        super().__init__(message)
        self.created = created


@contextlib.contextmanager
def aws_errors(doing: str, created: Created) -> Iterator[None]:
    """Turn an AWS error into an ``AwsRefusedError`` that names the call and what was created before it."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise AwsRefusedError(
            f"AWS refused {doing}: {watch.describe_error(exc)}. Created before it: {created.summary()}. "
            f"Check the endpoint with `launchpad status`, fix the cause, and run the command again.",
            created,
        ) from exc


def _upload(target: AwsTarget, checked: Preflight, artifact: Path, say: Callable[[str], None]) -> None:
    config = checked.config
    uri = config.model.artifact_s3_uri
    if artifacts.upload(target.client("s3"), artifact, uri, config.kms_key_arn, checked.account):
        say(f"uploaded {artifact} to {uri} (SSE-KMS)")
    else:
        say(f"{uri} already holds {artifact}")


def _upload_baseline(target: AwsTarget, checked: Preflight, folder: Path, say: Callable[[str], None]) -> None:
    config = checked.config
    files = artifacts.baseline_files(folder, config.model.artifact_s3_uri)
    put = artifacts.upload_baseline(target.client("s3"), files, config.kms_key_arn, checked.account)
    prefix = baselines.baseline_prefix(config.model.artifact_s3_uri)
    if put:
        say(f"uploaded the baseline {folder} to {prefix} (SSE-KMS): {', '.join(f.path.name for f in put)}")
    else:
        say(f"{prefix} already holds the baseline {folder}")


def serving_types(sagemaker: Any, config_name: str) -> dict[str, str | None]:
    """variant -> instance type of the config an endpoint serves ({} if it was deleted: types unknown)."""
    described = watch.described(sagemaker.describe_endpoint_config, EndpointConfigName=config_name)
    return scaling.instance_types((described or {}).get("ProductionVariants", []))


def _deploy(
    checked: Preflight,
    target: AwsTarget,
    created: Created,
    waiting: Waiting,
    say: Callable[[str], None],
    started: float,
) -> RolloutResult:
    config = checked.config
    name = config.endpoint_name
    sagemaker, cloudwatch = target.client("sagemaker"), target.client("cloudwatch")
    autoscaling = target.client("application-autoscaling")
    default = checked.approved.model if checked.approved is not None else None
    models = resources.models_for(config, default)
    names = {variant: request["ModelName"] for variant, request in models.items()}
    endpoint_config = resources.endpoint_config_request(config, names)
    target_config = endpoint_config["EndpointConfigName"]
    previous = checked.current_config
    have = scaling.current(autoscaling, name) if checked.endpoint is not None else {}
    if previous == target_config:  # nothing changed: register nothing, touch nothing but its scaling
        _scale(autoscaling, config, have, say)
        return _unchanged(name, target_config, started, checked.time_scale)
    # The models first: SageMaker checks the execution role there, before anything else is made.
    resources.ensure_models(sagemaker, models, created)
    if checked.approved is not None:
        say(f"deploying Approved {checked.approved.arn}")
    else:
        created.model_package = artifacts.register(sagemaker, config, checked.baseline)
        with_baseline = f", drift baseline {checked.baseline}" if checked.baseline else ""
        say(f"registered {created.model_package} (PendingManualApproval{with_baseline})")
    resources.ensure_endpoint_config(sagemaker, endpoint_config, created)
    alarms = resources.alarm_requests(config, target_config)
    for alarm in alarms:
        cloudwatch.put_metric_alarm(**alarm)
    created.alarms = [a["AlarmName"] for a in alarms]
    alarm_names = tuple(created.alarms)
    released: dict[str, scaling.Scaling] = {}
    serving: dict[str, str | None] = {}
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
        assert previous is not None
        serving = serving_types(sagemaker, previous)
        next_types = scaling.instance_types(endpoint_config["ProductionVariants"])
        released = scaling.release(autoscaling, name, have, serving, next_types)
        if released:
            say(f"released {', '.join(released)} from autoscaling: the update changes their instance type")
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
        timeout=waiting.timeout,
        poll_interval=waiting.poll_interval,
        bake_seconds=config.rollback.bake_seconds,
        on_progress=waiting.on_progress,
        clock=waiting.clock,
        sleep=waiting.sleep,
        time_scale=checked.time_scale,
    )
    if result.succeeded:
        _scale(autoscaling, config, scaling.current(autoscaling, name), say)
    elif released and previous is not None and result.settled_on(previous):
        restored = scaling.restore(autoscaling, name, released, serving)
        if restored:
            say(f"autoscaling of {', '.join(restored)} restored on {previous}")
    return result


def _scale(
    autoscaling: Any, config: Any, have: dict[str, scaling.Scaling], say: Callable[[str], None]
) -> None:
    """Give the endpoint the stage's autoscaling, and say what changed."""
    wanted = scaling.desired(config)
    for variant in scaling.apply(autoscaling, config.endpoint_name, wanted, have):
        if variant in wanted:
            low, high = wanted[variant].min_capacity, wanted[variant].max_capacity
            say(f"autoscaling {variant}: {low} to {high} instances")
        else:
            say(f"autoscaling of {variant} removed")
