"""SageMaker endpoint rollouts: ``UpdateEndpoint`` takes time, shifts traffic in steps, rolls back on alarms.

AWS (https://docs.aws.amazon.com/sagemaker/latest/APIReference/ and the developer guide's deployment
guardrails pages):
- ``API_UpdateEndpoint``: "When SageMaker receives the request, it sets the endpoint status to Updating.
  After updating the endpoint, it sets the status to InService." While it runs, ``API_DescribeEndpoint``
  keeps the old ``EndpointConfigName`` and variants and returns a ``PendingDeploymentSummary`` ("only
  returned when the endpoint is creating or updating with a new endpoint configuration":
  ``EndpointConfigName``, ``StartTime``, one ``API_PendingProductionVariantSummary`` per new variant with
  ``VariantStatus`` ``Creating`` or ``Baking``). On completion the endpoint is ``InService`` on the new
  configuration, with a new ``LastModifiedTime``. ``LastDeploymentConfig`` ("the most recent deployment
  configuration") is the update's from the moment it is accepted.
- ``API_BlueGreenUpdatePolicy`` / ``API_TrafficRoutingConfig`` / ``API_RollingUpdatePolicy``: a rollout is
  the new fleet's provisioning, then one baking period of ``WaitIntervalInSeconds`` per traffic step
  (``ALL_AT_ONCE``: 1 step; ``CANARY``: 2, the canary and the rest; ``LINEAR``: one per ``LinearStepSize``;
  rolling: one per ``MaximumBatchSize`` batch), then ``TerminationWaitInSeconds`` (blue/green's final bake
  before the old fleet goes). No policy is blue/green all at once ("by default") with no waits.
- ``API_AutoRollbackConfig``: "If any alarms are tripped during a deployment, SageMaker rolls back the
  deployment." An alarm of ``Alarms`` in state ``ALARM`` at any moment of the rollout (its alarm history
  counts, so an alarm that fired and cleared between two reads still counts; one that fires after the
  rollout completed does not) sends the endpoint to ``RollingBack`` and then back ``InService`` on the old
  configuration, old variants restored. ``EndpointConfigName`` then still names the old configuration and
  ``FailureReason`` stays empty ("If the status of the endpoint is Failed, the reason why it failed"): a
  silent rollback, as Terraform and the boto3 waiter see it (the caller must compare ``EndpointConfigName``).
  (The reference words ``RollingBack`` for weight and capacity changes; SageMaker shows it during guardrail
  rollbacks too, which is why hashicorp/terraform-provider-aws PR 49020 adds it to the update waiter.)
  Alarms are read from the sandbox's CloudWatch in the endpoint's account and region, which evaluates them
  (``patches.cloudwatch``) up to the moment looked at first: the canary's own 5xx errors can roll it back,
  and so can a test's ``SetAlarmState``.
- While the new fleet bakes after traffic step k of n (``new_fleet_share``), it takes its share of
  ``InvokeEndpoint`` traffic (``sagemaker_runtime``): blue/green ``CANARY`` the canary size in step 1, all in
  step 2; ``LINEAR`` k step sizes; ``ALL_AT_ONCE`` all; rolling k of n batches; all of it during the final
  bake before the old fleet is terminated.
- ``EndpointStatus`` ``Failed`` ("DeleteEndpoint is the only operation that can be performed on a failed
  endpoint") and ``UpdateRollbackFailed`` ("Both the rolling deployment and auto-rollback failed. Your
  endpoint is in service with a mix of the old and new endpoint configurations"), both with a
  ``FailureReason``. An endpoint in ``UpdateRollbackFailed`` accepts another ``UpdateEndpoint`` (the remedy).
- While ``Updating`` or ``RollingBack``, ``UpdateEndpoint`` and ``UpdateEndpointWeightsAndCapacities`` are
  refused (``Cannot update in-progress endpoint "<arn>".``); ``DeleteEndpoint`` works in any state.

Time is simulated lazily, from timestamps: the state moves on whenever the endpoint is read, changed or
invoked (``DescribeEndpoint``, ``ListEndpoints``, ``UpdateEndpoint``, ``UpdateEndpointWeightsAndCapacities``,
``InvokeEndpoint``); there are no background threads of its own. Durations are AWS seconds times a time
scale (real seconds per AWS second):
- ``LAUNCHPAD_SANDBOX_TIME_SCALE`` in the sandbox server's environment, default ``0``: every rollout
  completes within its ``UpdateEndpoint`` call, as before this patch (so Terraform applies are not slowed);
- the endpoint tag ``launchpad:sandbox:time-scale`` (a number, set at ``CreateEndpoint`` or by ``AddTags``)
  overrides it for one endpoint: at ``0.001`` a canary with 600 s waits and a 300 s termination wait takes
  (60 + 2 x 600 + 300) x 0.001 = 1.56 s. The scale is read when the update starts, by the rule
  (``launchpad.deploy.timescale.applying``) the deploy engine follows for its own bake, so a prod-like config
  rehearsed on the sandbox bakes at the same scale as its rollout.
Sandbox-only constants: provisioning the new fleet takes ``PROVISION_SECONDS`` (60) AWS seconds, a rollback
``ROLLBACK_SECONDS`` (60).

Sandbox-only triggers (two, so tests can reach the failure states):
- ``Failed``: a new configuration whose model image is ``launchpad.sandbox/fail`` (any tag or digest): its
  fleet fails the health check when provisioning ends; the endpoint stays on its old configuration with
  ``FailureReason`` "The primary container for production variant <v> did not pass the ping health check...".
- ``UpdateRollbackFailed``: an auto-rollback of a *rolling* deployment (which has terminated old instances
  and must bring them back) after the old endpoint configuration was deleted. A blue/green rollback only
  moves traffic back to the old fleet, which still runs, so it succeeds even then.

Not simulated: ``Creating`` on ``CreateEndpoint`` (endpoints are ``InService`` at once),
``MaximumExecutionTimeoutInSeconds`` timeouts, and ``UpdateEndpointWeightsAndCapacities`` durations.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend, sagemaker_backends

from launchpad.deploy import timescale
from launchpad.sandbox.patches import cloudwatch

log = logging.getLogger(__name__)

TIME_SCALE_ENV = timescale.TIME_SCALE_ENV
TIME_SCALE_TAG = timescale.TIME_SCALE_TAG
FAIL_IMAGE = "launchpad.sandbox/fail"
PROVISION_SECONDS = 60.0
ROLLBACK_SECONDS = 60.0

_MARK = "_launchpad_sagemaker_rollout_patch"
# The endpoint attributes one deployed configuration sets (see sagemaker.deploy).
_FLEET = (
    "endpoint_config_name",
    "production_variants",
    "shadow_production_variants",
    "data_capture_config",
    "async_inference_config",
    "explainer_config",
)
LOCK = threading.RLock()  # held while a rollout is read, advanced or started
_ROLLOUTS: weakref.WeakKeyDictionary[FakeEndpoint, Rollout] = weakref.WeakKeyDictionary()


# -- the plan of one rollout ----------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """A stretch of a rollout, as ``API_ProductionVariantStatus`` reports it, in AWS seconds."""

    status: str  # VariantStatus: Creating | Baking
    message: str
    seconds: float
    step: int = 0  # traffic steps (or rolling batches) done by then
    steps: int = 1


def _fraction(size: Mapping[str, Any] | None, instances: int) -> float:
    """A ``CapacitySize`` as a fraction of the fleet (``CAPACITY_PERCENT`` or ``INSTANCE_COUNT``)."""
    if not size or not size.get("Value"):
        return 1.0
    value = float(size["Value"])
    share = value / 100 if size.get("Type") == "CAPACITY_PERCENT" else value / max(instances, 1)
    return min(max(share, 0.01), 1.0)


def phases(deployment: Mapping[str, Any] | None, instances: int) -> list[Phase]:
    """Provisioning, one bake per traffic step (or rolling batch), then blue/green's termination wait."""
    plan = [Phase("Creating", "Creating the new fleet.", PROVISION_SECONDS)]
    deployment = deployment or {}
    rolling = deployment.get("RollingUpdatePolicy")
    blue_green = deployment.get("BlueGreenUpdatePolicy") or {}
    if rolling:
        steps = math.ceil(1 / _fraction(rolling.get("MaximumBatchSize"), instances) - 1e-9)
        wait = float(rolling.get("WaitIntervalInSeconds", 0))
        kind = "batch"
    else:
        routing = blue_green.get("TrafficRoutingConfiguration") or {}
        wait = float(routing.get("WaitIntervalInSeconds", 0))
        kind = "traffic step"
        if routing.get("Type") == "CANARY":
            steps = 2
        elif routing.get("Type") == "LINEAR":
            steps = math.ceil(1 / _fraction(routing.get("LinearStepSize"), instances) - 1e-9)
        else:
            steps = 1
    for step in range(1, steps + 1):
        plan.append(Phase("Baking", f"Baking after {kind} {step} of {steps}.", wait, step, steps))
    termination = float(blue_green.get("TerminationWaitInSeconds", 0))
    final = "Final baking period before the old fleet is terminated."
    plan.append(Phase("Baking", final, termination, steps, steps))
    return plan


@dataclass
class Rollout:
    """One ``UpdateEndpoint`` in flight: where it comes from, where it goes, and its clock."""

    account_id: str
    region_name: str
    started: datetime
    scale: float
    deployment: Mapping[str, Any] | None
    old: dict[str, Any]
    new: dict[str, Any]
    plan: list[Phase]
    failure: str | None = None  # FailureReason if the new fleet fails its health check
    rollback_started: datetime | None = None
    rollback_failure: str | None = None
    alarms: list[str] = field(default_factory=list)
    instance_types: dict[str, str] = field(default_factory=dict)  # by variant name, for the pending summary

    def at(self, aws_seconds: float) -> datetime:
        return self.started + timedelta(seconds=aws_seconds * self.scale)

    @property
    def ends(self) -> datetime:
        return self.at(sum(p.seconds for p in self.plan))

    @property
    def rolling(self) -> bool:
        return bool((self.deployment or {}).get("RollingUpdatePolicy"))

    def phase(self, now: datetime) -> tuple[Phase, datetime]:
        """The phase running at ``now`` and when it began."""
        elapsed = 0.0
        for phase in self.plan:
            if self.at(elapsed + phase.seconds) > now:
                return phase, self.at(elapsed)
            elapsed += phase.seconds
        return self.plan[-1], self.at(elapsed - self.plan[-1].seconds)


# -- reading the knobs ------------------------------------------------------------------------------
def time_scale(endpoint: FakeEndpoint) -> float:
    """The endpoint's ``launchpad:sandbox:time-scale`` tag, else ``LAUNCHPAD_SANDBOX_TIME_SCALE``, else 0:
    ``launchpad.deploy.timescale.applying``, the rule the deploy engine's own waits follow too."""
    try:
        return timescale.applying(endpoint.tags or [], os.environ)
    except timescale.TimeScaleError as exc:
        raise ValidationError(f"{exc}.") from exc


def _images(variants: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [
        (v["VariantName"], image["SpecifiedImage"])
        for v in variants or []
        for image in v.get("DeployedImages") or []
    ]


def health_check_failure(new: Mapping[str, Any]) -> str | None:
    """The ``FailureReason`` of a fleet whose image is the sandbox's failing image, else None."""
    for variant, image in _images(new.get("production_variants")):
        if image == FAIL_IMAGE or image.startswith((f"{FAIL_IMAGE}:", f"{FAIL_IMAGE}@")):
            return (
                f"The primary container for production variant {variant} did not pass the ping health "
                f"check. Please check CloudWatch logs for this endpoint."
            )
    return None


def _alarm_names(deployment: Mapping[str, Any] | None) -> list[str]:
    alarms = ((deployment or {}).get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    return [a["AlarmName"] for a in alarms if a.get("AlarmName")]


def first_alarm(rollout: Rollout, start: datetime, end: datetime) -> datetime | None:
    """The first moment in ``[start, end]`` at which one of the rollout's alarms was in ``ALARM``, after
    CloudWatch has evaluated them up to ``end``; their history says when each was in which state."""
    account, region = rollout.account_id, rollout.region_name
    cloudwatch.evaluate(account, region, end)
    backend = cloudwatch_backends[account][region]
    earliest = None
    for name in rollout.alarms:
        if name not in backend.alarms:
            continue
        timeline = cloudwatch.timeline(account, region, name)
        for i, (state, since) in enumerate(timeline):
            until = timeline[i + 1][1] if i + 1 < len(timeline) else datetime.max
            fired = max(since, start)
            if state == "ALARM" and fired <= end and fired < until:
                earliest = fired if earliest is None else min(earliest, fired)
                break
    return earliest


# -- the endpoint's fleet ---------------------------------------------------------------------------
def fleet(endpoint: FakeEndpoint) -> dict[str, Any]:
    """What one deployed configuration sets on ``endpoint`` (a deep copy)."""
    return {name: copy.deepcopy(getattr(endpoint, name, None)) for name in _FLEET}


def restore(endpoint: FakeEndpoint, deployed: Mapping[str, Any]) -> None:
    for name, value in deployed.items():
        setattr(endpoint, name, copy.deepcopy(value))


def _mixed(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Old variants whose instances run both the old and the new images (a rollback that failed)."""
    mixed = copy.deepcopy(dict(old))
    new_images = {}
    for variant in new.get("production_variants") or []:
        new_images[variant["VariantName"]] = variant.get("DeployedImages") or []
    for variant in mixed.get("production_variants") or []:
        extra = new_images.get(variant["VariantName"], [])
        variant["DeployedImages"] = [*extra, *(variant.get("DeployedImages") or [])]
    return mixed


def pending_summary(rollout: Rollout, now: datetime) -> dict[str, Any]:
    """``PendingDeploymentSummary`` of the rollout at ``now``."""
    phase, since = rollout.phase(now)
    status = [{"Status": phase.status, "StatusMessage": phase.message, "StartTime": since}]

    def pending(variant: Mapping[str, Any]) -> dict[str, Any]:
        summary = {k: copy.deepcopy(v) for k, v in variant.items() if k != "VariantStatus"}
        if variant["VariantName"] in rollout.instance_types:
            summary["InstanceType"] = rollout.instance_types[variant["VariantName"]]
        desired = variant.get("DesiredInstanceCount")
        if desired is not None:
            provisioned = 0 if phase.status == "Creating" else desired
            if rollout.rolling and phase.status != "Creating":
                provisioned = min(desired, math.ceil(desired * phase.step / phase.steps))
            summary["CurrentInstanceCount"] = provisioned
        summary["VariantStatus"] = copy.deepcopy(status)
        return summary

    summary: dict[str, Any] = {
        "EndpointConfigName": rollout.new["endpoint_config_name"],
        "ProductionVariants": [pending(v) for v in rollout.new.get("production_variants") or []],
        "StartTime": rollout.started,
    }
    shadows = rollout.new.get("shadow_production_variants")
    if shadows:
        summary["ShadowProductionVariants"] = [pending(v) for v in shadows]
    return summary


# -- the new fleet's traffic ------------------------------------------------------------------------
def _instances(new: Mapping[str, Any]) -> int:
    """The new fleet's size, as its largest variant's instance count."""
    return max([int(v.get("DesiredInstanceCount") or 0) for v in new.get("production_variants") or []] or [1])


def traffic_share(rollout: Rollout, phase: Phase) -> float:
    """The share of traffic the new fleet takes while ``phase`` of ``rollout`` runs."""
    if phase.status != "Baking" or phase.step == 0:
        return 0.0
    if phase.step >= phase.steps:  # the last traffic step, and the final bake before the old fleet goes
        return 1.0
    if rollout.rolling:
        return phase.step / phase.steps
    policy = (rollout.deployment or {}).get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {}
    if routing.get("Type") == "CANARY":
        return _fraction(routing.get("CanarySize"), _instances(rollout.new))
    if routing.get("Type") == "LINEAR":
        return min(1.0, phase.step * _fraction(routing.get("LinearStepSize"), _instances(rollout.new)))
    return 1.0


def new_fleet_share(endpoint: FakeEndpoint, now: datetime) -> tuple[float, dict[str, Any]] | None:
    """The share of ``InvokeEndpoint`` traffic the new fleet of ``endpoint``'s update takes at ``now``, with
    that fleet (a copy: ``endpoint_config_name``, ``production_variants``, ...); None while it takes none."""
    with LOCK:
        rollout = _ROLLOUTS.get(endpoint)
        if rollout is None or endpoint.endpoint_status != "Updating":
            return None
        share = traffic_share(rollout, rollout.phase(now)[0])
        return (share, copy.deepcopy(rollout.new)) if share > 0 else None


# -- moving time on ---------------------------------------------------------------------------------
def start(
    endpoint: FakeEndpoint,
    backend: SageMakerModelBackend,
    old: dict[str, Any],
    deployment: Mapping[str, Any] | None,
    scale: float,
    failure: str | None = None,
) -> None:
    """Start rolling ``endpoint`` from ``old`` to the fleet it now holds; it shows ``old`` until done.
    ``failure``: the new fleet cannot start (``sagemaker_execution.provision``'s reason)."""
    new = fleet(endpoint)
    restore(endpoint, old)
    config = backend.endpoint_configs[new["endpoint_config_name"]]
    shadows = getattr(config, "shadow_production_variants", None) or []
    variants = [*(config.production_variants or []), *shadows]
    types = {v["VariantName"]: v["InstanceType"] for v in variants if v.get("InstanceType")}
    instances = _instances(new)
    now = utcnow()
    rollout = Rollout(
        account_id=backend.account_id,
        region_name=backend.region_name,
        started=now,
        scale=scale,
        deployment=copy.deepcopy(deployment),
        old=old,
        new=new,
        plan=phases(deployment, instances),
        failure=failure or health_check_failure(new),
        alarms=_alarm_names(deployment),
        instance_types=types,
    )
    _ROLLOUTS[endpoint] = rollout
    endpoint.endpoint_status = "Updating"
    endpoint.failure_reason = None
    endpoint.last_modified_time = now
    advance(endpoint)


def _finish(endpoint: FakeEndpoint, status: str, when: datetime, reason: str | None = None) -> None:
    _ROLLOUTS.pop(endpoint, None)
    endpoint.endpoint_status = status
    endpoint.failure_reason = reason  # type: ignore[assignment]  # moto declares it None, sets it to text
    endpoint.pending_deployment_summary = None  # type: ignore[attr-defined]
    endpoint.last_modified_time = when


def _roll_back(endpoint: FakeEndpoint, rollout: Rollout, when: datetime) -> None:
    rollout.rollback_started = when
    if rollout.rolling and rollout.old["endpoint_config_name"] not in _configs(rollout):
        arn = FakeEndpointConfig.arn_formatter(
            rollout.old["endpoint_config_name"], rollout.account_id, rollout.region_name
        )
        rollout.rollback_failure = (
            f"Auto-rollback of the rolling deployment failed: could not find endpoint configuration "
            f'"{arn}" to bring the old fleet back.'
        )
    endpoint.endpoint_status = "RollingBack"
    endpoint.pending_deployment_summary = None  # type: ignore[attr-defined]
    endpoint.last_modified_time = when


def _configs(rollout: Rollout) -> Mapping[str, Any]:
    return sagemaker_backends[rollout.account_id][rollout.region_name].endpoint_configs


def fail_new_fleet(endpoint: FakeEndpoint, config_name: str, reason: str) -> bool:
    """The update of ``endpoint`` to ``config_name``, if it is in flight, fails (``FailureReason`` ``reason``)
    when its provisioning ends, as a fleet that does not pass its health check does; False if no such update
    runs. The caller holds ``LOCK``."""
    in_flight = _ROLLOUTS.get(endpoint)
    if (
        in_flight is None
        or endpoint.endpoint_status != "Updating"
        or in_flight.new.get("endpoint_config_name") != config_name
    ):
        return False
    in_flight.failure = in_flight.failure or reason
    advance(endpoint)
    return True


def advance(endpoint: FakeEndpoint) -> None:
    """Bring ``endpoint`` to where its rollout is now."""
    with LOCK:
        rollout = _ROLLOUTS.get(endpoint)
        if rollout is None:
            return
        now = utcnow()
        if endpoint.endpoint_status == "Updating":
            _advance_update(endpoint, rollout, now)
        if endpoint.endpoint_status == "RollingBack" and rollout.rollback_started is not None:
            done = rollout.rollback_started + timedelta(seconds=ROLLBACK_SECONDS * rollout.scale)
            if now < done:
                return
            if rollout.rollback_failure:
                restore(endpoint, _mixed(rollout.old, rollout.new))
                _finish(endpoint, "UpdateRollbackFailed", done, rollout.rollback_failure)
            else:
                restore(endpoint, rollout.old)
                _finish(endpoint, "InService", done)
        elif endpoint.endpoint_status not in ("Updating", "RollingBack"):
            _ROLLOUTS.pop(endpoint, None)


def _advance_update(endpoint: FakeEndpoint, rollout: Rollout, now: datetime) -> None:
    ends = rollout.ends
    fails_at = rollout.at(PROVISION_SECONDS) if rollout.failure else None
    alarmed = first_alarm(rollout, rollout.started, min(now, ends))
    if fails_at is not None and fails_at <= now and (alarmed is None or fails_at <= alarmed):
        _finish(endpoint, "Failed", fails_at, rollout.failure)
    elif alarmed is not None:
        log.info("endpoint %s: alarm in ALARM during the rollout: rolling back", endpoint.endpoint_name)
        _roll_back(endpoint, rollout, alarmed)
    elif now >= ends:
        restore(endpoint, rollout.new)
        _finish(endpoint, "InService", ends)
    else:
        endpoint.pending_deployment_summary = pending_summary(rollout, now)  # type: ignore[attr-defined]


# -- the patch ----------------------------------------------------------------------------------------
def apply() -> None:
    if getattr(SageMakerModelBackend, _MARK, False):
        return
    original_describe = SageMakerModelBackend.describe_endpoint
    original_list = SageMakerModelBackend.list_endpoints
    original_delete = SageMakerModelBackend.delete_endpoint

    def describe_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> dict[str, Any]:
        with LOCK:
            endpoint = self.endpoints.get(endpoint_name)
            if endpoint is not None:
                advance(endpoint)
            return original_describe(self, endpoint_name)

    def list_endpoints(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        with LOCK:
            for endpoint in list(self.endpoints.values()):
                advance(endpoint)
            return original_list(self, *args, **kwargs)

    def delete_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> None:
        with LOCK:
            endpoint = self.endpoints.get(endpoint_name)
            if endpoint is not None:
                _ROLLOUTS.pop(endpoint, None)
            original_delete(self, endpoint_name)

    SageMakerModelBackend.describe_endpoint = describe_endpoint  # type: ignore[method-assign]
    SageMakerModelBackend.list_endpoints = list_endpoints  # type: ignore[method-assign,assignment]
    SageMakerModelBackend.delete_endpoint = delete_endpoint  # type: ignore[method-assign]
    setattr(SageMakerModelBackend, _MARK, True)
