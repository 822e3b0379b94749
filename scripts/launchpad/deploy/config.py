"""The stage config of a model project: one YAML file per stage (dev, staging, prod), checked in full.

``load_stage_config`` reads a file and checks it in two passes, then raises one ConfigError listing every
problem, each as ``<JSON path>: <what is wrong>; <what to write instead>``:

1. ``schemas/stage-config.schema.json``: shapes, names, ranges and the AWS limits JSON Schema can state (its
   defaults are filled in first, so a default is checked like a value the file wrote).
2. The rules that span fields (the ones the sagemaker-endpoint module checks in its preconditions) and the
   stricter rules of staging and prod (``STAGE_RULES``, one row per stage). They run on what the schema
   accepted, so a wrong value is reported once, by the schema, and the rest of the file is still checked.

The schema engine (reading, defaults, messages) is ``schema_errors``, shared with the model card; the rules
of pass 2 are ``stage_rules``; this module holds the typed result and the loading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchpad.deploy.schema_errors import (
    load_schema,
    raise_problems,
    read_yaml,
    schema_problems,
    with_defaults,
)
from launchpad.deploy.stage_rules import DEFAULT_VARIANT, GUARDED_STRATEGIES, STEP_FIELDS, rules
from launchpad.policy import settings as policy_settings

# policies/config.yaml (or the file LAUNCHPAD_POLICY_CONFIG names, its keys winning) holds the instance
# allow-list, shared with the checkov check CKV_LP_008; launchpad.policy.settings reads and checks it.
POLICY_CONFIG_ENV = policy_settings.CONFIG_ENV


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
    settings launchpad's checkov checks read too. Both files are checked against policies/config.schema.json
    first, as `launchpad policy` checks them, so a deploy never trusts settings the policy scan refuses."""
    return policy_settings.load()[key]


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
        problems += rules(accepted, document, allowed_instance_types)
    raise_problems(problems, "the stage config" if source is None else f"stage config {source}")
    return _build(filled, source)


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
