"""The stage config of a model project: one YAML file per stage (dev, staging, prod), checked in full.

``load_stage_config`` reads a file and checks it in two passes, then raises one ConfigError listing every
problem, each as ``<JSON path>: <what is wrong>; <what to write instead>``:

1. ``schemas/stage-config.schema.json``: shapes, names, ranges and the AWS limits JSON Schema can state (its
   defaults are filled in first, so a default is checked like a value the file wrote).
2. The rules that span fields (the ones the sagemaker-endpoint module checks in its preconditions) and the
   stricter rules of staging and prod (``STAGE_RULES``, one row per stage). They run on what the schema
   accepted, so a wrong value is reported once, by the schema, and the rest of the file is still checked.

The schema helpers here (``read_yaml``, ``schema_problems``, ...) are shared with
``launchpad.deploy.model_card``.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import fnmatch
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from launchpad.errors import ConfigError

STAGES = ("dev", "staging", "prod")
GUARDED_STRATEGIES = ("CANARY", "LINEAR", "ROLLING")
# The step size each guarded strategy reads, and the share of the smallest fleet it may move at a time
# (the sagemaker-endpoint module's step_limits).
STEP_FIELDS = {"CANARY": "canary_size", "LINEAR": "linear_step_size", "ROLLING": "rolling_batch_size"}
STEP_PERCENT_LIMITS = {"CANARY": (0, 50), "LINEAR": (10, 50), "ROLLING": (5, 50)}
# policies/config.yaml (or the file LAUNCHPAD_POLICY_CONFIG names, its keys winning) holds the instance
# allow-list, shared with the checkov check CKV_LP_008; stage_tags is kept in step with it by a test.
POLICY_CONFIG_ENV = "LAUNCHPAD_POLICY_CONFIG"
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


# -- the typed result ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSource:
    artifact_s3_uri: str
    image_uri: str


@dataclass(frozen=True)
class Serverless:
    memory_size_in_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None = None


@dataclass(frozen=True)
class Variant:
    """A variant with compute's values filled in: instance_type with a count, or serverless."""

    name: str
    weight: int
    model: ModelSource
    instance_type: str | None = None
    initial_instance_count: int | None = None
    serverless: Serverless | None = None
    shadow: bool = False


@dataclass(frozen=True)
class StepSize:
    type: str  # CAPACITY_PERCENT or INSTANCE_COUNT
    value: int


@dataclass(frozen=True)
class Deployment:
    strategy: str
    canary_size: StepSize
    linear_step_size: StepSize
    rolling_batch_size: StepSize
    wait_interval_in_seconds: int
    termination_wait_in_seconds: int
    maximum_execution_timeout_in_seconds: int

    @property
    def guarded(self) -> bool:
        return self.strategy in GUARDED_STRATEGIES

    @property
    def step_size(self) -> StepSize | None:
        """The size the strategy moves at a time; None for ALL_AT_ONCE."""
        return getattr(self, STEP_FIELDS[self.strategy]) if self.guarded else None


@dataclass(frozen=True)
class Rollback:
    error_5xx_rate_percent: float
    error_4xx_rate_percent: float
    model_latency_p99_ms: float
    bake_seconds: int


@dataclass(frozen=True)
class Autoscaling:
    enabled: bool
    target_invocations_per_instance: float
    min_capacity: int | None = None  # None: each variant's initial_instance_count
    max_capacity: int | None = None  # None: 4 x that


@dataclass(frozen=True)
class DataCapture:
    enabled: bool
    sampling_percentage: int
    destination_s3_uri: str | None = None
    kms_key_arn: str | None = None  # the data-capture bucket's key


@dataclass(frozen=True)
class Vpc:
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class StageConfig:
    source: Path | None  # the file it was read from
    project: str
    stage: str
    region: str
    endpoint_name: str
    model_package_group: str
    execution_role_arn: str
    vpc: Vpc | None
    network_isolation: bool
    model_card: Path
    model: ModelSource
    kms_key_arn: str
    variants: tuple[Variant, ...]
    deployment: Deployment
    rollback: Rollback
    autoscaling: Autoscaling
    data_capture: DataCapture
    tags: Mapping[str, str]
    require_approved_package: bool

    @property
    def production_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if not v.shadow)

    @property
    def shadow_variant(self) -> Variant | None:
        return next((v for v in self.variants if v.shadow), None)

    @property
    def serverless(self) -> bool:
        return any(v.serverless for v in self.variants)


def policy_setting(key: str) -> Any:
    """``key`` of policies/config.yaml, or of the file LAUNCHPAD_POLICY_CONFIG names (its keys win): the
    settings launchpad's checkov checks read too."""
    from launchpad.paths import policies_dir

    merged = dict(read_yaml(policies_dir() / "config.yaml", "policy config"))
    override = os.environ.get(POLICY_CONFIG_ENV)
    if override:
        merged.update(read_yaml(Path(override), "policy config"))
    if key not in merged:
        raise ConfigError(f"policy setting {key!r} is missing from policies/config.yaml")
    return merged[key]


def instance_allow_list() -> tuple[str, ...]:
    """The platform's instance allow-list (glob patterns), from the policy config (CKV_LP_008's too)."""
    return tuple(policy_setting("allowed_instance_types"))


def load_stage_config(
    path: Path | str, *, allowed_instance_types: Sequence[str] | None = None
) -> StageConfig:
    """Read and check a stage config file; ConfigError lists every problem found."""
    path = Path(path)
    return check_stage_config(
        read_yaml(path, "stage config"), path, allowed_instance_types=allowed_instance_types
    )


def check_stage_config(
    document: Mapping[str, Any],
    source: Path | None = None,
    *,
    allowed_instance_types: Sequence[str] | None = None,
) -> StageConfig:
    """Check a stage config already read (a dict); ``source``, its file, names it in messages and is what
    model_card is relative to (the working directory without one)."""
    if allowed_instance_types is None:
        allowed_instance_types = instance_allow_list()
    schema = load_schema("stage-config")
    filled = with_defaults(schema, document)
    problems, accepted = schema_problems(schema, filled)
    if accepted is not None:
        problems += _rules(accepted, document, allowed_instance_types)
    raise_problems(problems, "the stage config" if source is None else f"stage config {source}")
    return _build(filled, source)


# -- schema helpers, shared with model_card.py ---------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and keeps dates as the strings they were written as."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}: write each key once", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """A YAML file holding one mapping; ConfigError if it is missing, malformed or not a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the {what}: {error.strerror or error}") from error
    try:
        document = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: the {what} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: the {what} must be a YAML mapping (key: value lines), not {_kind(document)}"
        )
    return document


@cache
def _schema_text(name: str) -> str:
    return resources.files("launchpad").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """``launchpad/schemas/<name>.schema.json`` (package data), a fresh copy per call."""
    return json.loads(_schema_text(name))


def at(path: Sequence[str | int]) -> str:
    """A JSON-path-like location: ``$.variants[1].name``."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def raise_problems(problems: Sequence[str], subject: str) -> None:
    """ConfigError listing every problem (duplicates once, in order), unless there are none."""
    unique = tuple(dict.fromkeys(problems))
    if unique:
        listed = "\n".join(f"  - {problem}" for problem in unique)
        count = "1 problem" if len(unique) == 1 else f"{len(unique)} problems"
        raise ConfigError(f"{subject} has {count}:\n{listed}", unique)


def _resolve(schema: Mapping[str, Any], node: Any) -> Any:
    """``node`` with a local ``$ref`` merged in (the node's own keywords win)."""
    if isinstance(node, Mapping) and "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        merged = dict(_resolve(schema, target))
        for key, value in node.items():
            if key == "properties":
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "required":
                merged[key] = [*merged.get(key, []), *value]
            elif key != "$ref":
                merged[key] = value
        return merged
    return node


def schema_at(schema: Mapping[str, Any], path: Sequence[str | int]) -> Mapping[str, Any]:
    """The subschema that describes the value at ``path`` ({} where the schema says nothing)."""
    node: Any = _resolve(schema, schema)
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            node = properties.get(part, extra if isinstance(extra, Mapping) else {})
        node = _resolve(schema, node)
    return node


def with_defaults(schema: Mapping[str, Any], document: Any, node: Any = None) -> Any:
    """A copy of ``document`` with the schema's ``default`` values filled in where it leaves a field out."""
    node = _resolve(schema, schema if node is None else node)
    if isinstance(document, list) and "items" in node:
        return [with_defaults(schema, item, node["items"]) for item in document]
    if not isinstance(document, dict):
        return copy.deepcopy(document)
    filled = {key: copy.deepcopy(value) for key, value in document.items()}
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(schema, sub)
        if key not in filled and "default" in sub:
            filled[key] = copy.deepcopy(sub["default"])
        if key in filled:
            filled[key] = with_defaults(schema, filled[key], sub)
    return filled


def schema_problems(schema: Mapping[str, Any], document: Any) -> tuple[list[str], dict[str, Any] | None]:
    """Every schema violation as a message, and a copy of the document with each wrong value set to None.

    The copy is what the rules beyond the schema may read: any value still in it has the type and range the
    schema asks for. It is None when the document as a whole is wrong (not a mapping).
    """
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document), key=lambda e: [str(p) for p in e.path]
    )
    problems = [problem for error in errors for problem in _describe(schema, error)]
    accepted = copy.deepcopy(document)
    for error in errors:
        if error.validator in _STRUCTURE_VALIDATORS:
            continue
        path = list(error.absolute_path)
        if not path:
            return problems, None
        parent = accepted
        for part in path[:-1]:
            parent = parent[part] if isinstance(parent, dict | list) else None
        if isinstance(parent, dict | list):
            parent[path[-1]] = None
    return problems, accepted


# Errors about what an object holds (a field missing or unknown), not about a value: nothing to set aside.
_STRUCTURE_VALIDATORS = {
    "required",
    "dependentRequired",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
}


def _describe(schema: Mapping[str, Any], error: ValidationError) -> Iterator[str]:
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required":
        for name in error.validator_value:
            if isinstance(instance, dict) and name not in instance:
                yield _message([*path, name], "missing", _fix(schema, [*path, name]))
    elif error.validator == "dependentRequired":
        for field, needs in error.validator_value.items():
            for name in needs if isinstance(instance, dict) and field in instance else ():
                if name not in instance:
                    yield _message(
                        [*path, name], f"missing (needed with {field})", _fix(schema, [*path, name])
                    )
    elif error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = list(schema_at(schema, path).get("properties", {}))
        for name in instance if isinstance(instance, dict) else ():
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f"did you mean {close[0]}?" if close else f"the fields here are {', '.join(known)}"
                yield _message([*path, name], "unknown field", hint)
    elif error.validator == "propertyNames":
        yield _message(path, f"key {instance!r} is not allowed", error.schema.get("x-fix"))
    elif error.validator == "type":
        quote = " (quote it in YAML)" if error.validator_value == "string" and _scalar(instance) else ""
        problem = f"expected {_type_name(error.validator_value)}, got {_kind(instance)}{quote}"
        yield _message(path, problem, _fix(schema, path, error))
    elif error.validator in ("enum", "const"):
        yield _message(path, f"{_show(instance)} is not allowed", _fix(schema, path, error))
    elif error.validator in ("pattern", "format", "minLength", "maxLength"):
        yield _message(path, f"{_show(instance)} is not valid", _fix(schema, path, error))
    else:  # minimum, maximum, minItems, ...: jsonschema's own message says the limit
        yield _message(path, error.message, _fix(schema, path, error))


def _fix(
    schema: Mapping[str, Any], path: Sequence[str | int], error: ValidationError | None = None
) -> str | None:
    """The schema's x-fix for the value at ``path``: the failing subschema's own, else the field's, else the
    fields a mapping there holds."""
    own = error.schema.get("x-fix") if error is not None and isinstance(error.schema, Mapping) else None
    described = schema_at(schema, path)
    if own or described.get("x-fix"):
        return own or described.get("x-fix")
    if described.get("properties"):
        return f"write a mapping of {', '.join(described['properties'])}"
    return None


def _message(path: Sequence[str | int], problem: str, fix: str | None) -> str:
    return f"{at(path)}: {problem}" + (f"; {fix}" if fix else "")


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, default=str)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }
    if isinstance(value, datetime.date):
        return "a date"
    return names.get(type(value), type(value).__name__)


def _type_name(expected: str | list[str]) -> str:
    names = {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "object": "a mapping",
    }
    kinds = [expected] if isinstance(expected, str) else expected
    return " or ".join(names.get(kind, kind) for kind in kinds)


# -- rules beyond the schema ---------------------------------------------------------------------------------


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


def _rules(
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
            yield _message(
                ["compute"], problem, "set instance_type with initial_instance_count, or serverless, not both"
            )
        serverless = compute.get("serverless")
        if isinstance(serverless, dict):
            provisioned, maximum = (
                serverless.get("provisioned_concurrency"),
                serverless.get("max_concurrency"),
            )
            if provisioned is not None and maximum is not None and provisioned > maximum:
                yield _message(
                    ["compute", "serverless", "provisioned_concurrency"],
                    f"{provisioned} is above max_concurrency {maximum}",
                    f"write at most {maximum}",
                )
    if isinstance(_section(document, "compute").get("serverless"), dict):
        if len(variants) > 1:
            yield _message(
                ["variants"],
                f"a serverless endpoint serves one variant, this lists {len(variants)}",
                "keep one variant (no shadow), or run on instance_type",
            )
        for v in variants:
            if v.index is not None and not v.serverless:
                yield _message(
                    ["variants", v.index, "instance_type"],
                    "compute is serverless, so a variant cannot run on instances",
                    "remove it, or set compute.instance_type instead of compute.serverless",
                )
        capture = _section(document, "data_capture")
        if capture.get("enabled") is True:
            yield _message(
                ["data_capture", "enabled"],
                "serverless endpoints do not support data capture",
                "set data_capture.enabled: false, or run on instance_type",
            )
        if "vpc" in document:
            yield _message(
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
            yield _message(
                ["variants", v.index, "name"],
                f"{v.name!r} is the name of $.variants[{first_use[v.name]}] too",
                "give every variant its own name",
            )
        else:
            first_use[v.name] = v.index
    production = [v for v in variants if not v.shadow]
    shadows = [v for v in variants if v.shadow]
    if production and all(v.weight == 0 for v in production):
        yield _message(
            ["variants"],
            "every production variant has weight 0, so none would get traffic",
            "give at least one a weight above 0 (traffic share = weight / sum of weights)",
        )
    if len(production) > 10:
        yield _message(
            ["variants"], f"{len(production)} production variants", "list at most 10 (SageMaker's limit)"
        )
    if variants and not production:
        yield _message(
            ["variants"], "every variant is a shadow", "list at least one variant without shadow: true"
        )
    for v in shadows[1:]:
        yield _message(["variants", v.index, "shadow"], "a second shadow variant", "keep one shadow variant")
    for v in shadows[:1]:
        if len(production) != 1:
            yield _message(
                ["variants", v.index, "shadow"],
                f"a shadow variant needs exactly one production variant, there are {len(production)}",
                "keep one production variant beside the shadow, or drop the shadow",
            )
        if v.weight == 0:
            yield _message(
                ["variants", v.index, "weight"],
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
            yield _message(
                ["deployment", field],
                f"applies to {other} only, the strategy is {strategy}",
                f"remove it, or set strategy: {other}",
            )
    serverless = any(v.serverless for v in variants)
    production = [v for v in variants if not v.shadow]
    if strategy == "ROLLING" and (serverless or len(production) > 1):
        what = "serverless endpoints" if serverless else f"{len(production)} production variants"
        yield _message(
            ["deployment", "strategy"],
            f"ROLLING does not support {what}",
            "use CANARY or LINEAR (blue/green), or ALL_AT_ONCE",
        )
    if strategy in GUARDED_STRATEGIES:
        for v in variants:
            if "inf1." in (v.instance_type or "") and not v.serverless:
                yield _message(
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
            yield _message(
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
    if None not in (timeout, wait, termination) and (percent or strategy not in ("LINEAR", "ROLLING")):
        steps = {"ALL_AT_ONCE": 1, "CANARY": 2}.get(strategy) or math.ceil(100 / percent)
        waits = steps * wait + (0 if strategy == "ROLLING" else termination)
        if timeout <= waits:
            end = "" if strategy == "ROLLING" else " + termination_wait_in_seconds"
            yield _message(
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
        yield _message(
            ["autoscaling", "max_capacity"], f"{high} is below min_capacity {low}", f"write {low} or more"
        )
    if low is None and high is not None:
        for v in variants:
            if not v.serverless and v.count is not None and v.count > high:
                yield _message(
                    ["autoscaling", "max_capacity"],
                    f"{high} is below the {v.count} instances of variant {v.name} (min_capacity's default)",
                    f"write {v.count} or more, or set min_capacity",
                )
                break
    strategy = _section(document, "deployment").get("strategy")
    if strategy in GUARDED_STRATEGIES and low is not None and low < 2:
        yield _message(
            ["autoscaling", "min_capacity"],
            f"{strategy} needs at least 2 instances, and autoscaling may scale in to {low}",
            "write 2 or more",
        )


def _placement_rules(
    document: Mapping[str, Any], variants: list[_Resolved], allowed_instance_types: Sequence[str]
) -> Iterator[str]:
    reported = set()
    for v in variants:
        if v.serverless or v.instance_type is None or v.type_path in reported:
            continue
        reported.add(v.type_path)
        if not any(fnmatch.fnmatchcase(v.instance_type, pattern) for pattern in allowed_instance_types):
            yield _message(
                v.type_path,
                f"{v.instance_type} is not in the platform's instance allow-list",
                f"use one of {', '.join(allowed_instance_types)} (policies/config.yaml's allow-list)",
            )
    region = document.get("region")
    key = _section(document, "model").get("kms_key_arn")
    if region and key and key.split(":")[3] != region:
        yield _message(
            ["model", "kms_key_arn"],
            f"the key is in {key.split(':')[3]}, the endpoint in {region}",
            f"use a key in {region} (the artifact's bucket and its key must be in the endpoint's region)",
        )
    stage = document.get("stage")
    for tag in STAGE_TAGS:
        value = _section(document, "tags").get(tag)
        if stage and isinstance(value, str) and value.lower() != stage:
            yield _message(
                ["tags", tag],
                f"{value!r} names another stage than this file's ({stage})",
                f"write {stage}, or leave the tag out (launchpad tags what it deploys with the stage)",
            )


def _stage_rules(document: Mapping[str, Any], variants: list[_Resolved]) -> Iterator[str]:
    stage = document.get("stage")
    if stage not in STAGE_RULES:
        return
    rules = STAGE_RULES[stage]
    deployment = _section(document, "deployment")
    strategy = deployment.get("strategy")
    if rules.guarded_strategy and strategy == "ALL_AT_ONCE":
        yield _message(
            ["deployment", "strategy"],
            f"{stage} deploys in steps that roll back on an alarm, not ALL_AT_ONCE",
            "write CANARY, LINEAR or ROLLING",
        )
    serverless = any(v.serverless for v in variants)
    if serverless and not rules.serverless:
        yield _message(
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
        yield _message(
            v.count_path,
            f"{v.count} instance(s), {needed} needed ({'; '.join(why)})",
            f"write {needed} or more" + ("" if rules.guarded_strategy else ", or use strategy: ALL_AT_ONCE"),
        )
    capture = _section(document, "data_capture")
    if rules.data_capture and not serverless:
        if capture.get("enabled") is False:
            yield _message(
                ["data_capture", "enabled"],
                f"{stage} captures requests and responses (drift monitoring and the audit trail need them)",
                "set enabled: true with a destination_s3_uri",
            )
        elif capture.get("enabled") is True and capture.get("sampling_percentage") == 0:
            yield _message(
                ["data_capture", "sampling_percentage"],
                f"0% captures nothing, and {stage} captures requests and responses",
                "write 1 to 100",
            )
    scaling = _section(document, "autoscaling")
    if rules.autoscaling and not serverless and scaling.get("enabled") is False:
        yield _message(["autoscaling", "enabled"], f"{stage} scales with its load", "set enabled: true")
    if rules.vpc and "vpc" not in document:
        yield _message(
            ["vpc"],
            f"missing: {stage} models run in private subnets (no route to the internet)",
            "write vpc: {subnet_ids: [...], security_group_ids: [...]} (the network module's outputs)",
        )
    approval = _section(document, "approval")
    if rules.approved_package_only and approval.get("require_approved_package") is False:
        yield _message(
            ["approval", "require_approved_package"],
            f"{stage} deploys only a model package version with status Approved",
            "set it to true (approve the version in the model registry first)",
        )
    bake = _section(document, "rollback").get("bake_seconds")
    if bake is not None and bake < rules.min_bake_seconds:
        yield _message(
            ["rollback", "bake_seconds"],
            f"{bake} s; {stage} watches the rollback alarms {rules.min_bake_seconds} s or more after rollout",
            f"write {rules.min_bake_seconds} or more",
        )


# -- building the typed config -------------------------------------------------------------------------------


def _build(document: Mapping[str, Any], source: Path | None) -> StageConfig:
    model = document["model"]
    default_model = ModelSource(model["artifact_s3_uri"], model["image_uri"])
    compute = document["compute"]
    serverless = Serverless(**compute["serverless"]) if "serverless" in compute else None
    entries = document.get("variants", [{"name": DEFAULT_VARIANT, "weight": 1}])
    variants = []
    for entry in entries:
        own_model = entry.get("model")
        on_instances = serverless is None or "instance_type" in entry
        variants.append(
            Variant(
                name=entry["name"],
                weight=entry["weight"],
                model=ModelSource(**own_model) if own_model else default_model,
                instance_type=entry.get("instance_type", compute.get("instance_type"))
                if on_instances
                else None,
                initial_instance_count=entry.get(
                    "initial_instance_count", compute.get("initial_instance_count")
                )
                if on_instances
                else None,
                serverless=None if on_instances else serverless,
                shadow=entry.get("shadow", False),
            )
        )
    deployment = document["deployment"]
    return StageConfig(
        source=source,
        project=document["project"],
        stage=document["stage"],
        region=document["region"],
        endpoint_name=document["endpoint_name"],
        model_package_group=document["model_package_group"],
        execution_role_arn=document["execution_role_arn"],
        vpc=Vpc(tuple(document["vpc"]["subnet_ids"]), tuple(document["vpc"]["security_group_ids"]))
        if "vpc" in document
        else None,
        network_isolation=document["network_isolation"],
        model_card=(Path() if source is None else source.parent) / document["model_card"],
        model=default_model,
        kms_key_arn=model["kms_key_arn"],
        variants=tuple(variants),
        deployment=Deployment(
            strategy=deployment["strategy"],
            canary_size=StepSize(**deployment["canary_size"]),
            linear_step_size=StepSize(**deployment["linear_step_size"]),
            rolling_batch_size=StepSize(**deployment["rolling_batch_size"]),
            wait_interval_in_seconds=deployment["wait_interval_in_seconds"],
            termination_wait_in_seconds=deployment["termination_wait_in_seconds"],
            maximum_execution_timeout_in_seconds=deployment["maximum_execution_timeout_in_seconds"],
        ),
        rollback=Rollback(**document["rollback"]),
        autoscaling=Autoscaling(**document["autoscaling"]),
        data_capture=DataCapture(**document["data_capture"]),
        tags=dict(document["tags"]),
        require_approved_package=document["approval"]["require_approved_package"],
    )
