"""The rules of a stage config beyond its schema: the ones that span fields (those the sagemaker-endpoint
module checks in its preconditions: guardrail step sizes against the smallest fleet, the update's timeout
against the rollout's waits, what serverless and ROLLING support, ...), the placement rules (the instance
allow-list, the key's region, stage tags) and the stricter rules of staging and prod (``STAGE_RULES``, one row
per stage).

``rules`` runs on what the schema accepted (wrong values set to None), so a wrong value is reported once, by
the schema, and the rest of the document is still checked.

An instance type is checked against SageMaker's own list (botocore's API model) before the allow-list: a
glob such as ``ml.m5.*`` also matches ``ml.m5.huge``, which CreateEndpointConfig would refuse after the
deploy had registered a version and made its models.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from launchpad.deploy.names import hosting_instance_types
from launchpad.deploy.schema_errors import at, message

STAGES = ("dev", "staging", "prod")
GUARDED_STRATEGIES = ("CANARY", "LINEAR", "ROLLING")
# The step size each guarded strategy reads, and the share of the smallest fleet it may move at a time
# (the sagemaker-endpoint module's step_limits).
STEP_FIELDS = {"CANARY": "canary_size", "LINEAR": "linear_step_size", "ROLLING": "rolling_batch_size"}
STEP_PERCENT_LIMITS = {"CANARY": (0, 50), "LINEAR": (10, 50), "ROLLING": (5, 50)}
# Tags that name a stage: kept in step with policies/config.yaml's stage_tags by a test.
STAGE_TAGS = ("environment", "Environment", "stage", "Stage")
DEFAULT_VARIANT = "primary"


@dataclass(frozen=True)
class StageRules:
    """What a stage demands beyond the schema."""

    guarded_strategy: bool  # CANARY, LINEAR or ROLLING: traffic moves in steps, an alarm rolls it back
    min_instances: int  # per instance-based variant
    serverless: bool  # allowed at all
    data_capture: bool  # enabled, with a sampling percentage above 0
    autoscaling: bool  # enabled (instance-based variants)
    approved_package_only: bool  # approval.require_approved_package
    min_bake_seconds: int  # rollback.bake_seconds
    vpc: bool  # the model containers run in the config's private subnets


# The one place the per-stage rules live. Staging rehearses prod's rollout (guarded, so its alarms and its
# rollback are exercised before prod) but may serve a model version still pending approval.
STAGE_RULES: Mapping[str, StageRules] = {
    "dev": StageRules(
        guarded_strategy=False,
        min_instances=1,
        serverless=True,
        data_capture=False,
        autoscaling=False,
        approved_package_only=False,
        min_bake_seconds=0,
        vpc=False,
    ),
    "staging": StageRules(
        guarded_strategy=True,
        min_instances=1,
        serverless=False,  # staging rehearses prod; serverless also cannot run in the VPC staging needs
        data_capture=False,
        autoscaling=False,
        approved_package_only=False,
        min_bake_seconds=0,
        vpc=True,
    ),
    "prod": StageRules(
        guarded_strategy=True,
        min_instances=2,
        serverless=False,
        data_capture=True,
        autoscaling=True,
        approved_package_only=True,
        min_bake_seconds=300,
        vpc=True,
    ),
}


@dataclass(frozen=True)
class _Resolved:
    """A variant as the rules see it: values the schema accepted (None otherwise) and where each came from."""

    index: int | None  # position in variants; None for the default variant
    name: str | None
    weight: int | None
    shadow: bool
    serverless: bool
    instance_type: str | None
    type_path: tuple[str | int, ...]
    count: int | None
    count_path: tuple[str | int, ...]

    def at(self, field: str) -> list[str | int]:
        """The path of this variant's own ``field`` (the unlisted default variant: variants)."""
        return ["variants"] if self.index is None else ["variants", self.index, field]


def _section(document: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _resolved_variants(document: Mapping[str, Any]) -> list[_Resolved]:
    """The variants with compute's values filled in; without a variants list, the one default variant."""
    compute = _section(document, "compute")
    serverless = isinstance(compute.get("serverless"), dict)
    if "variants" not in document:
        entries: list[tuple[int | None, dict[str, Any]]] = [(None, {"name": DEFAULT_VARIANT, "weight": 1})]
    else:
        listed = document["variants"] if isinstance(document["variants"], list) else []
        entries = [(index, entry) for index, entry in enumerate(listed) if isinstance(entry, dict)]
    resolved = []
    for index, own in entries:
        base: tuple[str | int, ...] = () if index is None else ("variants", index)
        own_type, own_count = "instance_type" in own, "initial_instance_count" in own
        resolved.append(
            _Resolved(
                index=index,
                name=own.get("name"),
                weight=own.get("weight"),
                shadow=own.get("shadow") is True,
                serverless=serverless and not own_type,
                instance_type=own.get("instance_type", compute.get("instance_type")),
                type_path=(*base, "instance_type") if own_type else ("compute", "instance_type"),
                count=own.get("initial_instance_count", compute.get("initial_instance_count")),
                count_path=(*base, "initial_instance_count")
                if own_count
                else ("compute", "initial_instance_count"),
            )
        )
    return resolved


def rules(
    accepted: Mapping[str, Any], written: Mapping[str, Any], allowed_instance_types: Sequence[str]
) -> list[str]:
    """The problems beyond the schema: ``accepted`` is the document with defaults, its wrong values set to
    None; ``written`` is the document as written (to tell a field set from a default)."""
    variants = _resolved_variants(accepted)
    written_deployment = written.get("deployment")
    return [
        *_compute_rules(accepted, variants),
        *_variant_rules(variants),
        *_deployment_rules(
            accepted,
            variants,
            set(written_deployment or ()) if isinstance(written_deployment, dict) else set(),
        ),
        *_autoscaling_rules(accepted, variants),
        *_placement_rules(accepted, variants, allowed_instance_types),
        *_stage_rules(accepted, variants),
    ]


def _compute_rules(document: Mapping[str, Any], variants: list[_Resolved]) -> Iterator[str]:
    compute = document.get("compute")
    if isinstance(compute, dict):
        chosen = [key for key in ("instance_type", "serverless") if key in compute]
        if len(chosen) != 1:
            problem = (
                "sets both instance_type and serverless"
                if chosen
                else "sets neither instance_type nor serverless"
            )
            yield message(
                ["compute"], problem, "set instance_type with initial_instance_count, or serverless, not both"
            )
        serverless = compute.get("serverless")
        if isinstance(serverless, dict):
            provisioned, maximum = (
                serverless.get("provisioned_concurrency"),
                serverless.get("max_concurrency"),
            )
            if provisioned is not None and maximum is not None and provisioned > maximum:
                yield message(
                    ["compute", "serverless", "provisioned_concurrency"],
                    f"{provisioned} is above max_concurrency {maximum}",
                    f"write at most {maximum}",
                )
    if isinstance(_section(document, "compute").get("serverless"), dict):
        if len(variants) > 1:
            yield message(
                ["variants"],
                f"a serverless endpoint serves one variant, this lists {len(variants)}",
                "keep one variant (no shadow), or run on instance_type",
            )
        for v in variants:
            if v.index is not None and not v.serverless:
                yield message(
                    ["variants", v.index, "instance_type"],
                    "compute is serverless, so a variant cannot run on instances",
                    "remove it, or set compute.instance_type instead of compute.serverless",
                )
        capture = _section(document, "data_capture")
        if capture.get("enabled") is True:
            yield message(
                ["data_capture", "enabled"],
                "serverless endpoints do not support data capture",
                "set data_capture.enabled: false, or run on instance_type",
            )
        if "vpc" in document:
            yield message(
                ["vpc"],
                "serverless endpoints cannot run in a VPC",
                "remove vpc, or run on instance_type to keep the model in private subnets",
            )


def _variant_rules(variants: list[_Resolved]) -> Iterator[str]:
    first_use: dict[str, int] = {}
    for v in variants:
        if v.name is None or v.index is None:
            continue
        if v.name in first_use:
            yield message(
                ["variants", v.index, "name"],
                f"{v.name!r} is the name of $.variants[{first_use[v.name]}] too",
                "give every variant its own name",
            )
        else:
            first_use[v.name] = v.index
    production = [v for v in variants if not v.shadow]
    shadows = [v for v in variants if v.shadow]
    if production and all(v.weight == 0 for v in production):
        yield message(
            ["variants"],
            "every production variant has weight 0, so none would get traffic",
            "give at least one a weight above 0 (traffic share = weight / sum of weights)",
        )
    if len(production) > 10:
        yield message(
            ["variants"], f"{len(production)} production variants", "list at most 10 (SageMaker's limit)"
        )
    if variants and not production:
        yield message(
            ["variants"], "every variant is a shadow", "list at least one variant without shadow: true"
        )
    for v in shadows[1:]:
        yield message(v.at("shadow"), "a second shadow variant", "keep one shadow variant")
    for v in shadows[:1]:
        if len(production) != 1:
            yield message(
                v.at("shadow"),
                f"a shadow variant needs exactly one production variant, there are {len(production)}",
                "keep one production variant beside the shadow, or drop the shadow",
            )
        if v.weight == 0:
            yield message(
                v.at("weight"),
                "a shadow variant with weight 0 gets no traffic",
                "write a weight above 0 (relative to the production variant's)",
            )


def _smallest_fleet(variants: list[_Resolved]) -> tuple[int, tuple[str | int, ...]] | None:
    """The smallest initial_instance_count among instance-based production variants, and where it is set."""
    counts = [
        (v.count, v.count_path) for v in variants if not v.shadow and not v.serverless and v.count is not None
    ]
    return min(counts, key=lambda pair: pair[0]) if counts else None


def _deployment_rules(
    document: Mapping[str, Any], variants: list[_Resolved], written: set[str]
) -> Iterator[str]:
    deployment = _section(document, "deployment")
    strategy = deployment.get("strategy")
    if strategy is None:
        return
    for other, field in STEP_FIELDS.items():
        if other != strategy and field in written:
            yield message(
                ["deployment", field],
                f"applies to {other} only, the strategy is {strategy}",
                f"remove it, or set strategy: {other}",
            )
    serverless = any(v.serverless for v in variants)
    production = [v for v in variants if not v.shadow]
    if strategy == "ROLLING" and (serverless or len(production) > 1):
        what = "serverless endpoints" if serverless else f"{len(production)} production variants"
        yield message(
            ["deployment", "strategy"],
            f"ROLLING does not support {what}",
            "use CANARY or LINEAR (blue/green), or ALL_AT_ONCE",
        )
    if strategy in GUARDED_STRATEGIES:
        for v in variants:
            if "inf1." in (v.instance_type or "") and not v.serverless:
                yield message(
                    v.type_path,
                    f"{v.instance_type} has no deployment guardrails (SageMaker would update it all at once)",
                    "use another family, e.g. ml.inf2, or strategy: ALL_AT_ONCE",
                )
    fleet = _smallest_fleet(variants)
    step = deployment.get(STEP_FIELDS.get(strategy, ""))
    percent = _step_percent(step, fleet[0] if fleet else None)
    yield from _step_rules(strategy, step, percent, fleet)
    yield from _timeout_rules(deployment, strategy, percent)


def _step_rules(
    strategy: str, step: Any, percent: float | None, fleet: tuple[int, tuple[str | int, ...]] | None
) -> Iterator[str]:
    """An INSTANCE_COUNT step held to the percentage limits, as a share of the smallest fleet."""
    if (
        strategy in GUARDED_STRATEGIES
        and isinstance(step, dict)
        and step.get("type") == "INSTANCE_COUNT"
        and fleet
    ):
        low, high = STEP_PERCENT_LIMITS[strategy]
        if percent is not None and not low <= percent <= high and fleet[0] >= 2:
            fewest, most = max(1, math.ceil(low * fleet[0] / 100)), math.floor(high * fleet[0] / 100)
            yield message(
                ["deployment", STEP_FIELDS[strategy], "value"],
                f"{step['value']} instances are {percent:.0f}% of the smallest fleet ({fleet[0]} instances, "
                f"{at(fleet[1])}); {strategy} moves {low or 1}-{high}% at a time",
                f"write {fewest} to {most}" if fewest <= most else "add instances, or use CAPACITY_PERCENT",
            )


def _timeout_rules(deployment: Mapping[str, Any], strategy: str, percent: float | None) -> Iterator[str]:
    """The update's bound leaves time for every wait of the rollout (the module's rollout_wait_seconds)."""
    timeout = deployment.get("maximum_execution_timeout_in_seconds")
    wait, termination = (
        deployment.get("wait_interval_in_seconds"),
        deployment.get("termination_wait_in_seconds"),
    )
    if timeout is None or wait is None or termination is None:
        return
    fixed = {"ALL_AT_ONCE": 1, "CANARY": 2}.get(strategy)
    if fixed is not None:
        steps = fixed
    elif percent:
        steps = math.ceil(100 / percent)
    else:
        return  # LINEAR or ROLLING whose step size is not known
    waits = steps * wait + (0 if strategy == "ROLLING" else termination)
    if timeout <= waits:
        end = "" if strategy == "ROLLING" else " + termination_wait_in_seconds"
        yield message(
            ["deployment", "maximum_execution_timeout_in_seconds"],
            f"{timeout} s leaves no time for the rollout's waits: "
            f"{steps} x wait_interval_in_seconds{end} = {waits} s",
            f"write more than {waits}, or shorten the waits",
        )


def _step_percent(step: Any, fleet: int | None) -> float | None:
    if not isinstance(step, dict) or step.get("value") is None:
        return None
    if step.get("type") == "CAPACITY_PERCENT":
        return float(step["value"])
    return 100 * step["value"] / fleet if fleet else None


def _autoscaling_rules(document: Mapping[str, Any], variants: list[_Resolved]) -> Iterator[str]:
    scaling = _section(document, "autoscaling")
    if scaling.get("enabled") is not True or all(v.serverless for v in variants):
        return
    low, high = scaling.get("min_capacity"), scaling.get("max_capacity")
    if low is not None and high is not None and low > high:
        yield message(
            ["autoscaling", "max_capacity"], f"{high} is below min_capacity {low}", f"write {low} or more"
        )
    if low is None and high is not None:
        for v in variants:
            if not v.serverless and v.count is not None and v.count > high:
                yield message(
                    ["autoscaling", "max_capacity"],
                    f"{high} is below the {v.count} instances of variant {v.name} (min_capacity's default)",
                    f"write {v.count} or more, or set min_capacity",
                )
                break
    strategy = _section(document, "deployment").get("strategy")
    if strategy in GUARDED_STRATEGIES and low is not None and low < 2:
        yield message(
            ["autoscaling", "min_capacity"],
            f"{strategy} needs at least 2 instances, and autoscaling may scale in to {low}",
            "write 2 or more",
        )


def _instance_type_problem(
    instance_type: str, allowed_instance_types: Sequence[str]
) -> tuple[str, str] | None:
    """Why ``instance_type`` cannot serve (no SageMaker type, or not allowed) and what to write, or None."""
    if instance_type not in hosting_instance_types():
        family = instance_type.rsplit(".", 1)[0]
        sizes = sorted(t for t in hosting_instance_types() if t.rsplit(".", 1)[0] == family)
        allowed = any(fnmatch.fnmatchcase(instance_type, p) for p in allowed_instance_types)
        why = "matches the allow-list but " if allowed else ""
        fix = (
            f"use one of the {family} sizes: {', '.join(sizes)}"
            if sizes
            else "write an instance type SageMaker hosts, such as ml.m5.large"
        )
        what = "a SageMaker hosting instance type (CreateEndpointConfig refuses it)"
        return f"{instance_type} {why}is not {what}", fix
    if not any(fnmatch.fnmatchcase(instance_type, pattern) for pattern in allowed_instance_types):
        return (
            f"{instance_type} is not in the platform's instance allow-list",
            f"use one of {', '.join(allowed_instance_types)} (policies/config.yaml's allow-list)",
        )
    return None


def _placement_rules(
    document: Mapping[str, Any], variants: list[_Resolved], allowed_instance_types: Sequence[str]
) -> Iterator[str]:
    reported = set()
    for v in variants:
        if v.serverless or v.instance_type is None or v.type_path in reported:
            continue
        reported.add(v.type_path)
        problem = _instance_type_problem(v.instance_type, allowed_instance_types)
        if problem is not None:
            yield message(v.type_path, *problem)
    region = document.get("region")
    keys = {
        "model": "the artifact's bucket and its key must be in the endpoint's region",
        "data_capture": "SageMaker encrypts the captures in the endpoint's region",
    }
    for section, why in keys.items():
        key = _section(document, section).get("kms_key_arn")
        used = section == "model" or _section(document, section).get("enabled") is True
        if used and region and key and key.split(":")[3] != region:
            yield message(
                [section, "kms_key_arn"],
                f"the key is in {key.split(':')[3]}, the endpoint in {region}",
                f"use a key in {region} ({why})",
            )
    stage = document.get("stage")
    for tag in STAGE_TAGS:
        value = _section(document, "tags").get(tag)
        if stage and isinstance(value, str) and value.lower() != stage:
            yield message(
                ["tags", tag],
                f"{value!r} names another stage than this file's ({stage})",
                f"write {stage}, or leave the tag out (launchpad tags what it deploys with the stage)",
            )


def _stage_rules(document: Mapping[str, Any], variants: list[_Resolved]) -> Iterator[str]:
    stage = document.get("stage")
    if not isinstance(stage, str) or stage not in STAGE_RULES:
        return
    rules = STAGE_RULES[stage]
    deployment = _section(document, "deployment")
    strategy = deployment.get("strategy")
    if rules.guarded_strategy and strategy == "ALL_AT_ONCE":
        yield message(
            ["deployment", "strategy"],
            f"{stage} deploys in steps that roll back on an alarm, not ALL_AT_ONCE",
            "write CANARY, LINEAR or ROLLING",
        )
    serverless = any(v.serverless for v in variants)
    if serverless and not rules.serverless:
        yield message(
            ["compute", "serverless"],
            f"{stage} endpoints run on instances (serverless has no data capture, VPC or instance floor)",
            "set instance_type and initial_instance_count instead",
        )
    guarded = strategy in GUARDED_STRATEGIES
    needed = max(rules.min_instances, 2 if guarded else 1)
    reported = set()
    for v in variants:
        if v.serverless or v.shadow or v.count is None or v.count >= needed or v.count_path in reported:
            continue
        reported.add(v.count_path)
        why = [f"{strategy} moves traffic between instances in steps"] if guarded else []
        if rules.min_instances >= needed:
            why.append(f"{stage} keeps serving when an instance fails")
        yield message(
            v.count_path,
            f"{v.count} instance(s), {needed} needed ({'; '.join(why)})",
            f"write {needed} or more" + ("" if rules.guarded_strategy else ", or use strategy: ALL_AT_ONCE"),
        )
    capture = _section(document, "data_capture")
    if rules.data_capture and not serverless:
        if capture.get("enabled") is False:
            yield message(
                ["data_capture", "enabled"],
                f"{stage} captures requests and responses (drift monitoring and the audit trail need them)",
                "set enabled: true with a destination_s3_uri",
            )
        elif capture.get("enabled") is True and capture.get("sampling_percentage") == 0:
            yield message(
                ["data_capture", "sampling_percentage"],
                f"0% captures nothing, and {stage} captures requests and responses",
                "write 1 to 100",
            )
    scaling = _section(document, "autoscaling")
    if rules.autoscaling and not serverless and scaling.get("enabled") is False:
        yield message(["autoscaling", "enabled"], f"{stage} scales with its load", "set enabled: true")
    if rules.vpc and "vpc" not in document:
        yield message(
            ["vpc"],
            f"missing: {stage} models run in private subnets (no route to the internet)",
            "write vpc: {subnet_ids: [...], security_group_ids: [...]} (the network module's outputs)",
        )
    approval = _section(document, "approval")
    if rules.approved_package_only and approval.get("require_approved_package") is False:
        yield message(
            ["approval", "require_approved_package"],
            f"{stage} deploys only a model package version with status Approved",
            "set it to true (approve the version in the model registry first)",
        )
    bake = _section(document, "rollback").get("bake_seconds")
    if bake is not None and bake < rules.min_bake_seconds:
        yield message(
            ["rollback", "bake_seconds"],
            f"{bake} s; {stage} watches the rollback alarms {rules.min_bake_seconds} s or more after rollout",
            f"write {rules.min_bake_seconds} or more",
        )
