"""What an endpoint is doing now: `launchpad status`.

One read of DescribeEndpoint, DescribeEndpointConfig (instance types and serverless sizes live only there)
and DescribeAlarms (the states of the rollback alarms named in
``LastDeploymentConfig.AutoRollbackConfiguration``), turned into an ``EndpointStatus``: a stable JSON
document (``as_dict``) and a terminal table (``render``).

A variant's weight is relative: its share of traffic is its weight over the sum of the production variants'
weights (SageMaker developer guide, "Distribute traffic between variants"). Shadow variants get a copy of the
traffic instead, so they have no share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy import watch
from launchpad.deploy.config import load_stage_config
from launchpad.deploy.engine import usable
from launchpad.errors import DeployError, EndpointGoneError, LaunchpadError

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class VariantStatus:
    """One variant as DescribeEndpoint shows it; shares are percent of the production traffic."""

    name: str
    shadow: bool
    current_weight: float | None
    desired_weight: float | None
    current_share_percent: float | None
    desired_share_percent: float | None
    current_instance_count: int | None
    desired_instance_count: int | None
    instance_type: str | None
    serverless_memory_mb: int | None
    serverless_max_concurrency: int | None

    @property
    def compute(self) -> str:
        if self.serverless_memory_mb is not None:
            return f"serverless {self.serverless_memory_mb} MB x{self.serverless_max_concurrency}"
        return self.instance_type or "unknown"


@dataclass(frozen=True)
class AlarmStatus:
    name: str
    state: str  # OK, ALARM, INSUFFICIENT_DATA; MISSING when CloudWatch does not know it; UNKNOWN on an error


@dataclass(frozen=True)
class DeploymentStatus:
    """``LastDeploymentConfig`` in a few words: the strategy, its traffic step and its waits (seconds)."""

    strategy: str  # ALL_AT_ONCE, CANARY, LINEAR (blue/green) or ROLLING
    step: str | None
    wait_interval_seconds: int | None
    termination_wait_seconds: int | None
    maximum_execution_timeout_seconds: int | None
    alarm_names: tuple[str, ...]


@dataclass(frozen=True)
class EndpointStatus:
    name: str
    region: str | None
    arn: str | None
    status: str
    config_name: str | None
    pending_config_name: str | None
    failure_reason: str | None
    created: str | None
    last_modified: str | None
    variants: tuple[VariantStatus, ...]
    deployment: DeploymentStatus | None
    alarms: tuple[AlarmStatus, ...]
    notes: tuple[str, ...] = ()

    @property
    def production_variants(self) -> tuple[VariantStatus, ...]:
        return tuple(v for v in self.variants if not v.shadow)

    @property
    def shadow_variants(self) -> tuple[VariantStatus, ...]:
        return tuple(v for v in self.variants if v.shadow)

    def weights(self) -> dict[str, float | None]:
        """Current weight of each production variant."""
        return {v.name: v.current_weight for v in self.production_variants}

    def as_dict(self) -> dict[str, Any]:
        """The `--json` document; keys only ever get added (``schema_version`` says which ones exist)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "endpoint": self.name,
            "region": self.region,
            "arn": self.arn,
            "status": self.status,
            "config": self.config_name,
            "pending_config": self.pending_config_name,
            "failure_reason": self.failure_reason,
            "created": self.created,
            "last_modified": self.last_modified,
            "variants": [_variant_dict(v) for v in self.production_variants],
            "shadow_variants": [_variant_dict(v) for v in self.shadow_variants],
            "deployment": _deployment_dict(self.deployment),
            "rollback_alarms": [asdict(a) for a in self.alarms],
            "notes": list(self.notes),
        }


def _variant_dict(variant: VariantStatus) -> dict[str, Any]:
    return {**{k: v for k, v in asdict(variant).items() if k != "shadow"}, "compute": variant.compute}


def _deployment_dict(deployment: DeploymentStatus | None) -> dict[str, Any] | None:
    if deployment is None:
        return None
    return {**asdict(deployment), "alarm_names": list(deployment.alarm_names)}


# -- naming the endpoint ---------------------------------------------------------------------------------
def locate(endpoint: str | None, config: Path | None, region: str | None) -> tuple[str, str | None]:
    """The endpoint name and region from the command line: a name (and optional region), or a stage config
    (its ``endpoint_name`` and ``region``)."""
    if config is not None:
        if endpoint is not None:
            raise LaunchpadError("name the endpoint or give --config, not both")
        stage = load_stage_config(config)
        if region is not None and region != stage.region:
            raise LaunchpadError(f"--region {region} contradicts {config}, which says {stage.region}")
        return stage.endpoint_name, stage.region
    if not endpoint:
        raise LaunchpadError("name the endpoint (launchpad status ENDPOINT) or give --config STAGE.yaml")
    return endpoint, region


def clients(endpoint: str | None, config: Path | None, region: str | None) -> tuple[str, str, Any, Any]:
    """The endpoint's name and region (``locate``), and SageMaker and CloudWatch clients there, in the AWS
    environment (a ``DeployError`` when boto3 cannot use it)."""
    name, region = locate(endpoint, config, region)
    target = usable(lambda: AwsTarget.real(region))
    return name, target.region, target.client("sagemaker"), target.client("cloudwatch")


# -- reading ---------------------------------------------------------------------------------------------
def describe_endpoint(sagemaker: Any, endpoint: str, region: str | None = None) -> Mapping[str, Any]:
    """DescribeEndpoint; a missing endpoint is ``EndpointGoneError``, any other AWS error ``DeployError``."""
    try:
        return sagemaker.describe_endpoint(EndpointName=endpoint)
    except ClientError as exc:
        if watch.is_endpoint_gone(exc):
            where = f" in {region}" if region else ""
            raise EndpointGoneError(
                f"endpoint {endpoint} does not exist{where}: check the name and region "
                f"(`aws sagemaker list-endpoints --name-contains {endpoint}`)"
            ) from exc
        raise DeployError(f"cannot read endpoint {endpoint}: {watch.describe_error(exc)}") from exc
    except BotoCoreError as exc:
        raise DeployError(f"cannot read endpoint {endpoint}: {watch.describe_error(exc)}") from exc


def read_status(sagemaker: Any, cloudwatch: Any, endpoint: str, region: str | None = None) -> EndpointStatus:
    described = describe_endpoint(sagemaker, endpoint, region)
    notes: list[str] = []
    config_name = described.get("EndpointConfigName")
    compute = _config_compute(sagemaker, config_name, notes)
    production = described.get("ProductionVariants") or []
    shadows = described.get("ShadowProductionVariants") or []
    current_total = sum(float(v.get("CurrentWeight") or 0) for v in production)
    desired_total = sum(float(v.get("DesiredWeight") or 0) for v in production)
    variants = tuple(_variant(v, False, current_total, desired_total, compute) for v in production) + tuple(
        _variant(v, True, None, None, compute) for v in shadows
    )
    deployment = _deployment(described.get("LastDeploymentConfig"))
    alarm_names = deployment.alarm_names if deployment else ()
    return EndpointStatus(
        name=str(described.get("EndpointName", endpoint)),
        region=region,
        arn=described.get("EndpointArn"),
        status=str(described.get("EndpointStatus", "unknown")),
        config_name=config_name,
        pending_config_name=(described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName"),
        failure_reason=described.get("FailureReason") or None,
        created=_time(described.get("CreationTime")),
        last_modified=_time(described.get("LastModifiedTime")),
        variants=variants,
        deployment=deployment,
        alarms=_alarms(cloudwatch, alarm_names, notes),
        notes=tuple(notes),
    )


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _share(weight: float | None, total: float | None) -> float | None:
    if weight is None or not total:
        return None
    return round(100.0 * weight / total, 2)


def _variant(
    described: Mapping[str, Any],
    shadow: bool,
    current_total: float | None,
    desired_total: float | None,
    compute: Mapping[str, Mapping[str, Any]],
) -> VariantStatus:
    name = str(described["VariantName"])
    configured = compute.get(name, {})
    serverless = (
        described.get("CurrentServerlessConfig")
        or described.get("DesiredServerlessConfig")
        or configured.get("ServerlessConfig")
    )
    current, desired = _number(described.get("CurrentWeight")), _number(described.get("DesiredWeight"))
    return VariantStatus(
        name=name,
        shadow=shadow,
        current_weight=current,
        desired_weight=desired,
        current_share_percent=_share(current, current_total),
        desired_share_percent=_share(desired, desired_total),
        current_instance_count=_count(described.get("CurrentInstanceCount")),
        desired_instance_count=_count(described.get("DesiredInstanceCount")),
        instance_type=None if serverless else configured.get("InstanceType"),
        serverless_memory_mb=_count(serverless.get("MemorySizeInMB")) if serverless else None,
        serverless_max_concurrency=_count(serverless.get("MaxConcurrency")) if serverless else None,
    )


def _config_compute(
    sagemaker: Any, config_name: str | None, notes: list[str]
) -> dict[str, Mapping[str, Any]]:
    """Each variant's compute as the endpoint config says it (DescribeEndpoint does not), by variant name."""
    if not config_name:
        return {}
    try:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except (ClientError, BotoCoreError) as exc:
        notes.append(f"instance types unknown: {watch.describe_error(exc)}")
        return {}
    variants = [*(config.get("ProductionVariants") or []), *(config.get("ShadowProductionVariants") or [])]
    return {str(v["VariantName"]): v for v in variants}


def _deployment(config: Mapping[str, Any] | None) -> DeploymentStatus | None:
    if not config:
        return None
    alarms = tuple(
        str(a["AlarmName"]) for a in (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    )
    rolling = config.get("RollingUpdatePolicy")
    if rolling:
        return DeploymentStatus(
            strategy="ROLLING",
            step=_size(rolling.get("MaximumBatchSize")),
            wait_interval_seconds=_count(rolling.get("WaitIntervalInSeconds")),
            termination_wait_seconds=None,
            maximum_execution_timeout_seconds=_count(rolling.get("MaximumExecutionTimeoutInSeconds")),
            alarm_names=alarms,
        )
    blue_green = config.get("BlueGreenUpdatePolicy") or {}
    routing = blue_green.get("TrafficRoutingConfiguration") or {}
    strategy = str(routing.get("Type") or "ALL_AT_ONCE")
    step = {"CANARY": routing.get("CanarySize"), "LINEAR": routing.get("LinearStepSize")}.get(strategy)
    return DeploymentStatus(
        strategy=strategy,
        step=_size(step),
        wait_interval_seconds=_count(routing.get("WaitIntervalInSeconds")),
        termination_wait_seconds=_count(blue_green.get("TerminationWaitInSeconds")),
        maximum_execution_timeout_seconds=_count(blue_green.get("MaximumExecutionTimeoutInSeconds")),
        alarm_names=alarms,
    )


def _size(size: Mapping[str, Any] | None) -> str | None:
    if not size:
        return None
    value = size.get("Value")
    if size.get("Type") == "CAPACITY_PERCENT":
        return f"{value}%"
    return f"{value} instance" + ("" if value == 1 else "s")


def _alarms(cloudwatch: Any, names: Sequence[str], notes: list[str]) -> tuple[AlarmStatus, ...]:
    try:
        found = watch.describe_alarms(cloudwatch, names)
    except (ClientError, BotoCoreError) as exc:
        notes.append(f"rollback alarm states unknown: {watch.describe_error(exc)}")
        return tuple(AlarmStatus(name, "UNKNOWN") for name in names)
    states = {name: str(alarm.get("StateValue", "UNKNOWN")) for name, alarm in found.items()}
    return tuple(AlarmStatus(name, states.get(name, "MISSING")) for name in names)


# -- the table -------------------------------------------------------------------------------------------
def _weight(weight: float | None, share: float | None) -> str:
    if weight is None:
        return "-"
    return f"{weight:g}" + (f" ({share:g}%)" if share is not None else "")


def _pair(current: Any, desired: Any, show: Any = str) -> str:
    if current == desired:
        return show(current)
    return f"{show(current)} -> {show(desired)}"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def render(status: EndpointStatus) -> str:
    """A terminal table: the endpoint, its variants (current -> desired where they differ), the last
    deployment config and the rollback alarms."""
    lines = [f"endpoint   {status.name}" + (f" ({status.region})" if status.region else "")]
    lines.append(f"status     {status.status}")
    lines.append(f"config     {status.config_name or '-'}")
    if status.pending_config_name:
        lines.append(f"pending    {status.pending_config_name}")
    if status.failure_reason:
        lines.append(f"failure    {status.failure_reason}")
    lines.append(f"created    {status.created or '-'}")
    lines.append(f"modified   {status.last_modified or '-'}")
    rows = [("VARIANT", "ROLE", "WEIGHT (SHARE)", "INSTANCES", "COMPUTE")]
    for v in status.variants:
        weight = (
            "copy"
            if v.shadow
            else _pair(
                (v.current_weight, v.current_share_percent),
                (v.desired_weight, v.desired_share_percent),
                lambda pair: _weight(*pair),
            )
        )
        instances = _pair(
            v.current_instance_count, v.desired_instance_count, lambda n: "-" if n is None else str(n)
        )
        rows.append((v.name, "shadow" if v.shadow else "production", weight, instances, v.compute))
    lines += ["", *_table(rows)]
    deployment = status.deployment
    lines.append("")
    if deployment is None:
        lines.append("deployment  none recorded (all at once, no rollback alarms)")
    else:
        waits = ", ".join(
            f"{label} {value} s"
            for label, value in (
                ("wait", deployment.wait_interval_seconds),
                ("termination wait", deployment.termination_wait_seconds),
                ("max execution", deployment.maximum_execution_timeout_seconds),
            )
            if value is not None
        )
        step = f", step {deployment.step}" if deployment.step else ""
        lines.append(f"deployment  {deployment.strategy}{step}" + (f"; {waits}" if waits else ""))
    if status.alarms:
        lines.append("rollback alarms:")
        lines += [f"  {a.name}  {a.state}" for a in status.alarms]
    else:
        lines.append("rollback alarms: none")
    lines += [f"note: {note}" for note in status.notes]
    return "\n".join(lines)
