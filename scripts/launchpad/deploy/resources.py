"""What a deploy creates on SageMaker and CloudWatch, named and shaped as the sagemaker-endpoint module does:
models and an immutable endpoint config named after a hash of their content, the endpoint's three rollback
alarms, and the DeploymentConfig of an update.

The ``*_request`` functions build API requests and do no I/O; ``create_*``/``put_*`` send them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from launchpad.deploy import watch
from launchpad.deploy.config import ModelSource, StageConfig, Variant

PREVIOUS_CONFIG_TAG = "launchpad:previous-config"
ALARM_KINDS = ("5xx", "4xx", "latency")
ALARM_PERIOD_SECONDS = 60
ALARM_EVALUATION_PERIODS = 2


def content_hash(content: Any) -> str:
    """The first 8 hex digits of the SHA-256 of ``content`` as sorted JSON (the module uses 8 too)."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:8]


def alarm_names(endpoint: str) -> tuple[str, ...]:
    """``<endpoint>-rollback-5xx``, ``-4xx`` and ``-latency``: the alarms every update is guarded by."""
    return tuple(f"{endpoint}-rollback-{kind}" for kind in ALARM_KINDS)


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# -- models --------------------------------------------------------------------------------------------------
def model_request(config: StageConfig, variant: str, source: ModelSource) -> dict[str, Any]:
    """CreateModel for one variant: the execution role, the VPC and network isolation of the stage config."""
    content: dict[str, Any] = {
        "ExecutionRoleArn": config.execution_role_arn,
        "PrimaryContainer": {"Image": source.image_uri, "ModelDataUrl": source.artifact_s3_uri},
        "EnableNetworkIsolation": config.network_isolation,
    }
    if config.vpc is not None:
        content["VpcConfig"] = {
            "Subnets": list(config.vpc.subnet_ids),
            "SecurityGroupIds": list(config.vpc.security_group_ids),
        }
    name = f"{config.endpoint_name}-{variant}-{content_hash(content)}"
    return {"ModelName": name, **content, "Tags": tag_list(config.tags)}


def models_for(config: StageConfig, default: ModelSource | None = None) -> dict[str, dict[str, Any]]:
    """CreateModel requests by variant name; ``default`` replaces the config's own model (prod serves the
    latest Approved package version) for the variants that do not name their own."""
    requests = {}
    for variant in config.variants:
        source = default if default is not None and variant.model == config.model else variant.model
        requests[variant.name] = model_request(config, variant.name, source)
    return requests


# -- endpoint config -----------------------------------------------------------------------------------------
def _variant_entry(variant: Variant, model_name: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "VariantName": variant.name,
        "ModelName": model_name,
        "InitialVariantWeight": float(variant.weight),
    }
    if variant.serverless is not None:
        serverless: dict[str, Any] = {
            "MemorySizeInMB": variant.serverless.memory_size_in_mb,
            "MaxConcurrency": variant.serverless.max_concurrency,
        }
        if variant.serverless.provisioned_concurrency:
            serverless["ProvisionedConcurrency"] = variant.serverless.provisioned_concurrency
        entry["ServerlessConfig"] = serverless
    else:
        entry["InstanceType"] = variant.instance_type
        entry["InitialInstanceCount"] = variant.initial_instance_count
    return entry


def endpoint_config_request(config: StageConfig, model_names: Mapping[str, str]) -> dict[str, Any]:
    """CreateEndpointConfig: variants and weights, data capture (KMS), named ``<endpoint>-<hash>`` of all
    that, so a change makes a new config and an unchanged deploy finds the one it made before."""
    content: dict[str, Any] = {
        "ProductionVariants": [_variant_entry(v, model_names[v.name]) for v in config.production_variants],
    }
    if config.shadow_variant is not None:
        content["ShadowProductionVariants"] = [
            _variant_entry(config.shadow_variant, model_names[config.shadow_variant.name])
        ]
    if not config.serverless:
        content["KmsKeyId"] = config.kms_key_arn
    capture = config.data_capture
    if capture.enabled and capture.destination_s3_uri:
        content["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": capture.sampling_percentage,
            "DestinationS3Uri": capture.destination_s3_uri,
            "KmsKeyId": capture.kms_key_arn,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
    name = f"{config.endpoint_name}-{content_hash(content)}"
    return {"EndpointConfigName": name, **content, "Tags": tag_list(config.tags)}


# -- rollback alarms -----------------------------------------------------------------------------------------
def _metric(metric_id: str, name: str, stat: str, dimensions: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Id": metric_id,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": ALARM_PERIOD_SECONDS,
            "Stat": stat,
        },
        "ReturnData": False,
    }


def alarm_requests(config: StageConfig, endpoint_config: str) -> list[dict[str, Any]]:
    """PutMetricAlarm for the three rollback alarms, as the module defines them: 5xx and 4xx rate over all
    production variants (metric math), p99 ModelLatency of the new config's worst variant."""
    endpoint = config.endpoint_name
    variants = [v.name for v in config.production_variants]
    common = {
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": ALARM_EVALUATION_PERIODS,
        "DatapointsToAlarm": ALARM_EVALUATION_PERIODS,
        "TreatMissingData": "notBreaching",
        "Tags": tag_list(config.tags),
    }
    names = dict(zip(ALARM_KINDS, alarm_names(endpoint), strict=True))
    requests = []
    for kind, threshold in (
        ("5xx", config.rollback.error_5xx_rate_percent),
        ("4xx", config.rollback.error_4xx_rate_percent),
    ):
        metric = f"Invocation{kind.upper()}Errors"
        errors = " + ".join(f"e{i}" for i in range(len(variants)))
        invocations = " + ".join(f"i{i}" for i in range(len(variants)))
        queries = [
            {
                "Id": "rate",
                "Label": f"{kind.upper()} error rate (%)",
                "Expression": f"IF(({invocations}) > 0, 100 * ({errors}) / ({invocations}), 0)",
                "ReturnData": True,
            }
        ]
        for i, name in enumerate(variants):
            dims = {"EndpointName": endpoint, "VariantName": name}
            queries += [_metric(f"e{i}", metric, "Sum", dims), _metric(f"i{i}", "Invocations", "Sum", dims)]
        requests.append(
            {
                "AlarmName": names[kind],
                "AlarmDescription": f"{kind.upper()} error rate of endpoint {endpoint} (all variants) above "
                f"{threshold:g}%: rolls an endpoint update back.",
                "Threshold": float(threshold),
                "Metrics": queries,
                **common,
            }
        )
    worst = "l0" if len(variants) == 1 else f"MAX([{', '.join(f'l{i}' for i in range(len(variants)))}])"
    latency = [
        {
            "Id": "worst",
            "Label": "p99 ModelLatency, worst variant (microseconds)",
            "Expression": worst,
            "ReturnData": True,
        },
        *(
            _metric(
                f"l{i}",
                "ModelLatency",
                "p99",
                {"EndpointName": endpoint, "VariantName": name, "EndpointConfigName": endpoint_config},
            )
            for i, name in enumerate(variants)
        ),
    ]
    requests.append(
        {
            "AlarmName": names["latency"],
            "AlarmDescription": f"p99 ModelLatency of endpoint {endpoint}, configuration {endpoint_config}, "
            f"above {config.rollback.model_latency_p99_ms:g} ms: rolls an endpoint update back.",
            "Threshold": float(config.rollback.model_latency_p99_ms) * 1000,
            "Metrics": latency,
            **common,
        }
    )
    return requests


# -- the update ----------------------------------------------------------------------------------------------
def deployment_config(config: StageConfig, alarms: Sequence[str]) -> dict[str, Any]:
    """UpdateEndpoint's DeploymentConfig: blue/green (ALL_AT_ONCE, CANARY, LINEAR) or rolling, with
    auto-rollback on the rollback alarms."""
    d = config.deployment
    rollback = {"Alarms": [{"AlarmName": name} for name in alarms]}
    if d.strategy == "ROLLING":
        policy: dict[str, Any] = {
            "MaximumBatchSize": {"Type": d.rolling_batch_size.type, "Value": d.rolling_batch_size.value},
            "WaitIntervalInSeconds": d.wait_interval_in_seconds,
            "MaximumExecutionTimeoutInSeconds": d.maximum_execution_timeout_in_seconds,
        }
        return {"RollingUpdatePolicy": policy, "AutoRollbackConfiguration": rollback}
    routing: dict[str, Any] = {"Type": d.strategy, "WaitIntervalInSeconds": d.wait_interval_in_seconds}
    if d.strategy == "CANARY":
        routing["CanarySize"] = {"Type": d.canary_size.type, "Value": d.canary_size.value}
    elif d.strategy == "LINEAR":
        routing["LinearStepSize"] = {"Type": d.linear_step_size.type, "Value": d.linear_step_size.value}
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": d.termination_wait_in_seconds,
            "MaximumExecutionTimeoutInSeconds": d.maximum_execution_timeout_in_seconds,
        },
        "AutoRollbackConfiguration": rollback,
    }


@dataclass
class Created:
    """What one deploy or rollback created (names), for the JSON report."""

    model_package: str | None = None
    models: list[str] | None = None
    endpoint_config: str | None = None
    alarms: list[str] | None = None
    endpoint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}

    def summary(self) -> str:
        """One line for people: ``models churn-a, churn-b; endpoint config churn-c`` (or ``nothing``)."""
        parts = [
            f"{k.replace('_', ' ')} {', '.join(v) if isinstance(v, list) else v}"
            for k, v in self.as_dict().items()
        ]
        return "; ".join(parts) or "nothing"


def ensure_models(sagemaker: Any, requests: Mapping[str, Mapping[str, Any]], created: Created) -> None:
    """Create each model that does not exist yet (a model named after its content is never changed)."""
    created.models = created.models or []
    for request in requests.values():
        if watch.described(sagemaker.describe_model, ModelName=request["ModelName"]) is None:
            sagemaker.create_model(**request)
            created.models.append(request["ModelName"])


def ensure_endpoint_config(sagemaker: Any, request: Mapping[str, Any], created: Created) -> None:
    name = request["EndpointConfigName"]
    if watch.described(sagemaker.describe_endpoint_config, EndpointConfigName=name) is None:
        sagemaker.create_endpoint_config(**request)
        created.endpoint_config = request["EndpointConfigName"]
