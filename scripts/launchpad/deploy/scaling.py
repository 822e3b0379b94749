"""Application Auto Scaling of an endpoint's instance-based variants: what a deploy sets from the stage
config's ``autoscaling``, and what an update has to release first.

- A deploy that succeeds leaves each instance-based variant registered as a scalable target
  (``sagemaker:variant:DesiredInstanceCount``, ``min_capacity`` to ``max_capacity``) with a target-tracking
  policy on ``SageMakerVariantInvocationsPerInstance``, named and shaped as the sagemaker-endpoint module
  makes it (``<endpoint>-<variant>-invocations``), from the definition both read (``definition``). With
  ``autoscaling.enabled: false`` the variants are deregistered.
  Only what differs is written, so a deploy that changes nothing makes no call.
- AWS refuses an UpdateEndpoint that changes the instance type of, or removes, a variant that is a scalable
  target ("deregister the variant ... before you update the endpoint"). ``release`` deregisters those
  variants before the update and returns their settings; ``restore`` registers them again when the endpoint
  ends up back on a config that has them (a rollback, by the guard or by hand).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from launchpad.deploy import definition
from launchpad.deploy.config import StageConfig

LOG = logging.getLogger(__name__)

POLICY_KEYS = ("PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration")


@dataclass(frozen=True)
class Scaling:
    """One variant's scalable target and its scaling policies (PutScalingPolicy's own fields)."""

    variant: str
    min_capacity: int
    max_capacity: int
    policies: tuple[Mapping[str, Any], ...] = ()


def _spec() -> Mapping[str, Any]:
    """definition.json's ``autoscaling`` (read when first needed, not at import)."""
    return definition.definition()["autoscaling"]


def resource_id(endpoint: str, variant: str) -> str:
    return definition.render("scalable_target", endpoint=endpoint, variant=variant)


def target_key(endpoint: str, variant: str) -> dict[str, str]:
    """ServiceNamespace, ResourceId and ScalableDimension of a variant's scalable target."""
    spec = _spec()
    return {
        "ServiceNamespace": spec["service_namespace"],
        "ResourceId": resource_id(endpoint, variant),
        "ScalableDimension": spec["scalable_dimension"],
    }


def policy_request(endpoint: str, variant: str, policy: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """PutScalingPolicy's own fields for one of definition.json's target-tracking ``policies``
    (``invocations`` for real-time endpoints, ``backlog`` for asynchronous ones), with the module's
    ``autoscaling`` variable as ``settings`` (null cooldowns: definition.json's)."""
    spec = _spec()["policies"][policy]
    if "predefined_metric" in spec:
        metric: dict[str, Any] = {
            "PredefinedMetricSpecification": {"PredefinedMetricType": spec["predefined_metric"]}
        }
    else:
        metric = {
            "CustomizedMetricSpecification": {
                "MetricName": spec["metric"],
                "Namespace": spec["namespace"],
                "Dimensions": [{"Name": "EndpointName", "Value": endpoint}],
                "Statistic": spec["statistic"],
            }
        }
    cooldowns = {
        key: settings[field] if settings.get(field) is not None else _spec()[field]
        for key, field in (
            ("ScaleInCooldown", "scale_in_cooldown_seconds"),
            ("ScaleOutCooldown", "scale_out_cooldown_seconds"),
        )
    }
    return {
        "PolicyName": definition.render("scaling_policy", endpoint=endpoint, variant=variant, policy=policy),
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(settings[spec["target"]]),
            **metric,
            **cooldowns,
        },
    }


def desired(config: StageConfig) -> dict[str, Scaling]:
    """What the stage config asks for: each instance-based production variant, unless scaling is off."""
    inputs = definition.module_inputs(config)
    scaling = inputs["autoscaling"]
    if not scaling["enabled"]:
        return {}
    wanted: dict[str, Scaling] = {}
    for variant in inputs["variants"]:
        if variant["serverless"] is not None or variant["initial_instance_count"] is None:
            continue
        low = scaling["min_capacity"] or variant["initial_instance_count"]
        high = scaling["max_capacity"] or _spec()["max_capacity_per_min_capacity"] * low
        policy = policy_request(inputs["name"], variant["name"], "invocations", scaling)
        wanted[variant["name"]] = Scaling(variant["name"], low, high, (policy,))
    return wanted


def current(autoscaling: Any, endpoint: str) -> dict[str, Scaling]:
    """The endpoint's variants registered as scalable targets, with their policies."""
    prefix = resource_id(endpoint, "")
    namespace, dimension = _spec()["service_namespace"], _spec()["scalable_dimension"]
    found: dict[str, Scaling] = {}
    pages = autoscaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace=namespace)
    for page in pages:
        for target in page.get("ScalableTargets", []):
            rid = target["ResourceId"]
            if target["ScalableDimension"] != dimension or not rid.startswith(prefix):
                continue
            policies = autoscaling.describe_scaling_policies(
                ServiceNamespace=namespace, ResourceId=rid, ScalableDimension=dimension
            ).get("ScalingPolicies", [])
            variant = rid[len(prefix) :]
            found[variant] = Scaling(
                variant,
                int(target["MinCapacity"]),
                int(target["MaxCapacity"]),
                tuple({k: p[k] for k in POLICY_KEYS if k in p} for p in policies),
            )
    return found


def apply(
    autoscaling: Any, endpoint: str, wanted: Mapping[str, Scaling], have: Mapping[str, Scaling]
) -> list[str]:
    """Make the endpoint's scaling ``wanted``: register, update and deregister only what differs; return
    the variants changed."""
    changed = [name for name in have if name not in wanted]
    for name in changed:
        deregister(autoscaling, endpoint, name)
    for name, scaling in wanted.items():
        if _register(autoscaling, endpoint, scaling, have.get(name)):
            changed.append(name)
    return changed


def release(
    autoscaling: Any,
    endpoint: str,
    have: Mapping[str, Scaling],
    serving: Mapping[str, str | None],
    next_types: Mapping[str, str | None],
) -> dict[str, Scaling]:
    """Deregister the scaled variants whose instance type the update changes (``serving`` and
    ``next_types``: variant -> instance type, None for serverless) or that it removes; return them."""
    released = {
        name: scaling
        for name, scaling in have.items()
        if name not in next_types or next_types[name] is None or next_types[name] != serving.get(name)
    }
    for name in released:
        deregister(autoscaling, endpoint, name)
    return released


def restore(
    autoscaling: Any, endpoint: str, released: Mapping[str, Scaling], variants: Iterable[str]
) -> list[str]:
    """Register the ``released`` variants again that the endpoint now serves (``variants``)."""
    serving = set(variants)
    restored = [name for name, scaling in released.items() if name in serving]
    for name in restored:
        _register(autoscaling, endpoint, released[name], None)
    return restored


def deregister(autoscaling: Any, endpoint: str, variant: str) -> None:
    """Deregister a variant (its policies go with it)."""
    LOG.info("deregistering %s from autoscaling", resource_id(endpoint, variant))
    autoscaling.deregister_scalable_target(**target_key(endpoint, variant))


def _register(autoscaling: Any, endpoint: str, scaling: Scaling, have: Scaling | None) -> bool:
    """Register ``scaling`` and put its policies, skipping what ``have`` already matches."""
    target = target_key(endpoint, scaling.variant)
    rid = target["ResourceId"]
    bounds = (scaling.min_capacity, scaling.max_capacity)
    changed = False
    if have is None or (have.min_capacity, have.max_capacity) != bounds:
        LOG.info("scaling %s: %d to %d instances", rid, *bounds)
        autoscaling.register_scalable_target(**target, MinCapacity=bounds[0], MaxCapacity=bounds[1])
        changed = True
    existing = {p["PolicyName"]: p for p in (have.policies if have else ())}
    for policy in scaling.policies:
        if not _same(existing.get(policy["PolicyName"]), policy):
            autoscaling.put_scaling_policy(**target, **policy)
            changed = True
    return changed


def _same(have: Mapping[str, Any] | None, want: Mapping[str, Any]) -> bool:
    """Whether ``have`` carries every value of ``want`` (AWS may add fields of its own)."""
    if have is None:
        return False
    for key, value in want.items():
        if isinstance(value, Mapping):
            if not isinstance(have.get(key), Mapping) or not _same(have[key], value):
                return False
        elif have.get(key) != value:
            return False
    return True


def instance_types(variants: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """variant -> instance type (None for serverless) of an endpoint config's ProductionVariants."""
    return {v["VariantName"]: v.get("InstanceType") for v in variants}
