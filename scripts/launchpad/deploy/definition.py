"""What the sagemaker-endpoint module and the deploy engine both create, from one file.

``modules/sagemaker-endpoint/definition.json`` holds the naming patterns, the rollback alarm set (metric,
statistic, threshold input, comparison, periods), the scaling policies, the capture defaults and the
instance families whose volumes take no KMS key. The module reads it with ``jsondecode(file(...))``; the
engine reads it here. Names hash the same content the module hashes: ``module_inputs`` maps a stage config
onto the module's variables (explicitly, every attribute the names read), and ``model_names`` and
``endpoint_config_name`` hash them as the module's ``main.tf`` does, serialised as Terraform's
``jsonencode`` serialises (``tf_json``). tests/deploy/test_module_parity.py plans the module with
``module_inputs`` and compares its resources with the engine's requests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from launchpad.deploy.config import ModelSource, StageConfig, Variant
from launchpad.paths import modules_dir

MODULE = "sagemaker-endpoint"
FILE = "definition.json"
# Terraform's jsonencode escapes these as Go's encoding/json does; Python's json.dumps leaves them be.
_TF_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def path() -> Path:
    return modules_dir() / MODULE / FILE


@cache
def _load(file: Path) -> Mapping[str, Any]:
    return json.loads(file.read_text(encoding="utf-8"))


def definition() -> Mapping[str, Any]:
    """The module's definition.json (read once; do not modify the result)."""
    return _load(path())


def render(pattern: str, **fields: str) -> str:
    """A name from one of definition.json's ``names`` patterns (``{endpoint}`` etc. replaced, as the module's
    ``replace()`` calls do)."""
    text = definition()["names"][pattern]
    for key, value in fields.items():
        text = text.replace("{" + key + "}", value)
    return text


def tf_number(value: float) -> int | float:
    """A number as Terraform shows it: whole numbers without a fraction (1, not 1.0)."""
    return int(value) if float(value).is_integer() else value


def _normalised(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return tf_number(value)
    if isinstance(value, Mapping):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(item) for item in value]
    raise TypeError(f"{type(value).__name__} has no Terraform JSON form")


def tf_json(value: Any) -> str:
    """``value`` serialised as Terraform's ``jsonencode`` does: keys sorted, no spaces, UTF-8, whole numbers
    without a fraction, and <, >, &, U+2028, U+2029 escaped."""
    text = json.dumps(_normalised(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in _TF_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def content_hash(content: Any) -> str:
    """The module's ``substr(sha256(jsonencode(content)), 0, hash_length)``."""
    length = definition()["names"]["hash_length"]
    return hashlib.sha256(tf_json(content).encode()).hexdigest()[:length]


# -- the stage config as the module's inputs -----------------------------------------------------------------
def _model(source: ModelSource) -> dict[str, Any]:
    return {
        "image": source.image_uri,
        "model_data_url": source.artifact_s3_uri,
        "model_package_arn": None,
        "environment": {},
    }


def _variant(variant: Variant, source: ModelSource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": variant.name,
        "model": _model(source),
        "instance_type": variant.instance_type,
        "initial_instance_count": variant.initial_instance_count,
        "weight": variant.weight,
        "volume_size_in_gb": None,
        "model_data_download_timeout_in_seconds": None,
        "container_startup_health_check_timeout_in_seconds": None,
    }
    if not variant.shadow:
        entry["serverless"] = (
            None
            if variant.serverless is None
            else {
                "memory_size_in_mb": variant.serverless.memory_size_in_mb,
                "max_concurrency": variant.serverless.max_concurrency,
                "provisioned_concurrency": variant.serverless.provisioned_concurrency,
            }
        )
    return entry


def module_inputs(config: StageConfig, default: ModelSource | None = None) -> dict[str, Any]:
    """The sagemaker-endpoint module's variables for what the engine deploys from ``config``: the same
    models, endpoint config, rollback alarms and scaling. ``default`` replaces the config's own model for
    the variants that do not name their own (prod serves the latest Approved package version).

    Stage config -> module: endpoint_name -> name; network_isolation -> enable_network_isolation;
    vpc -> vpc_config; model.kms_key_arn -> kms_key_arn; data_capture.kms_key_arn -> capture_kms_key_arn;
    variants with ``shadow: true`` -> shadow_variant; rollback (less bake_seconds, which is the engine's
    own watch) -> rollback_alarms; autoscaling -> autoscaling. What the stage config cannot say is null
    (the module's default, from definition.json where the engine needs it too) or off (async_inference).
    """

    def source(variant: Variant) -> ModelSource:
        return default if default is not None and variant.model == config.model else variant.model

    capture = config.data_capture
    shadow = config.shadow_variant
    d = config.deployment
    return {
        "name": config.endpoint_name,
        "execution_role_arn": config.execution_role_arn,
        "kms_key_arn": config.kms_key_arn,
        "capture_kms_key_arn": capture.kms_key_arn,
        "variants": [_variant(v, source(v)) for v in config.production_variants],
        "shadow_variant": None if shadow is None else _variant(shadow, source(shadow)),
        "enable_network_isolation": config.network_isolation,
        "vpc_config": None
        if config.vpc is None
        else {
            "subnet_ids": list(config.vpc.subnet_ids),
            "security_group_ids": list(config.vpc.security_group_ids),
        },
        "data_capture": {
            "enabled": bool(capture.enabled and capture.destination_s3_uri),
            "destination_s3_uri": capture.destination_s3_uri,
            "sampling_percentage": capture.sampling_percentage,
            "capture_input": True,
            "capture_output": True,
            "json_content_types": None,
            "csv_content_types": None,
        },
        "async_inference": None,
        "deployment": {
            "strategy": d.strategy,
            "canary_size": {"type": d.canary_size.type, "value": d.canary_size.value},
            "linear_step_size": {"type": d.linear_step_size.type, "value": d.linear_step_size.value},
            "rolling_batch_size": {"type": d.rolling_batch_size.type, "value": d.rolling_batch_size.value},
            "rollback_batch_size": None,
            "wait_interval_in_seconds": d.wait_interval_in_seconds,
            "termination_wait_in_seconds": d.termination_wait_in_seconds,
            "maximum_execution_timeout_in_seconds": d.maximum_execution_timeout_in_seconds,
            "extra_rollback_alarm_names": [],
        },
        "rollback_alarms": {
            "error_5xx_rate_percent": config.rollback.error_5xx_rate_percent,
            "error_4xx_rate_percent": config.rollback.error_4xx_rate_percent,
            "model_latency_p99_ms": config.rollback.model_latency_p99_ms,
            "period_seconds": None,
            "evaluation_periods": None,
            "alarm_actions": [],
        },
        "autoscaling": {
            "enabled": config.autoscaling.enabled,
            "min_capacity": config.autoscaling.min_capacity,
            "max_capacity": config.autoscaling.max_capacity,
            "target_invocations_per_instance": config.autoscaling.target_invocations_per_instance,
            "target_backlog_per_instance": None,
            "scale_in_cooldown_seconds": None,
            "scale_out_cooldown_seconds": None,
            "utilization": None,
            "off_hours": None,
        },
        "tags": dict(config.tags),
    }


# -- names and settings derived from the inputs, as main.tf derives them -------------------------------------
def _or(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def model_names(inputs: Mapping[str, Any]) -> dict[str, str]:
    """Model name per variant (shadow included): ``local.model_names``."""
    variants = [*inputs["variants"], *([inputs["shadow_variant"]] if inputs.get("shadow_variant") else [])]
    return {
        v["name"]: render(
            "model",
            endpoint=inputs["name"],
            variant=v["name"],
            hash=content_hash(
                {
                    "model": v["model"],
                    "role": inputs["execution_role_arn"],
                    "isolation": inputs["enable_network_isolation"],
                    "vpc": inputs.get("vpc_config"),
                }
            ),
        )
        for v in variants
    }


def volume_kms_key(inputs: Mapping[str, Any]) -> str | None:
    """``local.volume_kms_key_arn``: none for serverless variants and instance families with local storage."""
    variants = [*inputs["variants"], *([inputs["shadow_variant"]] if inputs.get("shadow_variant") else [])]
    if any(v.get("serverless") for v in variants):
        return None
    families = set(definition()["volume_key"]["families_with_local_storage"])
    if any(v["instance_type"] and v["instance_type"].split(".")[1] in families for v in variants):
        return None
    return str(inputs["kms_key_arn"])


def capture_settings(inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """``local.data_capture``: what is captured, with definition.json's content types by default."""
    capture = inputs["data_capture"]
    if not capture["enabled"]:
        return None
    defaults = definition()["data_capture"]
    wanted = {"Input": capture["capture_input"], "Output": capture["capture_output"]}
    return {
        "destination_s3_uri": capture["destination_s3_uri"],
        "sampling_percentage": capture["sampling_percentage"],
        "modes": [mode for mode in defaults["modes"] if wanted[mode]],
        "json_content_types": _or(capture["json_content_types"], defaults["json_content_types"]),
        "csv_content_types": _or(capture["csv_content_types"], defaults["csv_content_types"]),
    }


def output_kms_key(inputs: Mapping[str, Any]) -> str:
    """``local.output_kms_key_arn``: the key of captured data and async results."""
    return str(_or(inputs.get("capture_kms_key_arn"), inputs["kms_key_arn"]))


_VARIANT_FIELDS = (
    "volume_size_in_gb",
    "model_data_download_timeout_in_seconds",
    "container_startup_health_check_timeout_in_seconds",
)


def endpoint_config_name(inputs: Mapping[str, Any], models: Mapping[str, str]) -> str:
    """``local.endpoint_config_name``: the endpoint's name and a hash of everything the config holds."""

    def entry(v: Mapping[str, Any], shadow: bool) -> dict[str, Any]:
        serverless = None if shadow else v.get("serverless")
        row = {
            "variant_name": v["name"],
            "model_name": models[v["name"]],
            "instance_type": v["instance_type"],
            "initial_instance_count": None if serverless else v["initial_instance_count"],
            "initial_variant_weight": v["weight"],
            **{field: v.get(field) for field in _VARIANT_FIELDS},
        }
        if not shadow:
            row["serverless"] = serverless
        return row

    shadow = inputs.get("shadow_variant")
    content = {
        "production_variants": [entry(v, False) for v in inputs["variants"]],
        "shadow_variants": [] if shadow is None else [entry(shadow, True)],
        "volume_kms_key_arn": volume_kms_key(inputs),
        "data_capture": capture_settings(inputs),
        "async_inference": inputs.get("async_inference"),
        "kms_key_arn": inputs["kms_key_arn"],
        "capture_kms_key_arn": inputs.get("capture_kms_key_arn"),
    }
    return render("endpoint_config", endpoint=inputs["name"], hash=content_hash(content))


def endpoint_config_pattern(endpoint: str) -> re.Pattern[str]:
    """The names ``local.endpoint_config_name`` gives the configs of ``endpoint`` (``<endpoint>-<hash>``), to
    match whole: the endpoint's history, as far as names tell it. The hash has a fixed length, so a config
    name matches the pattern of one endpoint only: the name less its ``-<hash>`` tail."""
    length = definition()["names"]["hash_length"]
    template = re.escape(render("endpoint_config", endpoint=endpoint))
    return re.compile(template.replace(re.escape("{hash}"), f"[0-9a-f]{{{length}}}"), re.ASCII)


def alarm_kinds() -> tuple[str, ...]:
    """The rollback alarm kinds, error rates first (the order of the module's rollback_alarm_names)."""
    alarms = definition()["rollback_alarms"]
    return (*alarms["error_rates"], *alarms["latency"])


def alarm_names(endpoint: str) -> tuple[str, ...]:
    """``<endpoint>-rollback-<kind>`` for every kind: the alarms every update is guarded by."""
    return tuple(render("rollback_alarm", endpoint=endpoint, kind=kind) for kind in alarm_kinds())
