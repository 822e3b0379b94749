"""What a deploy creates on SageMaker and CloudWatch, named and shaped as the sagemaker-endpoint module does,
from the definition both read (``launchpad.deploy.definition``): models and an immutable endpoint config named
after a hash of their content, the endpoint's rollback alarms, and the DeploymentConfig of an update.

The ``*_request`` functions build API requests and do no I/O; ``create_*``/``put_*`` send them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from launchpad.deploy import definition, watch
from launchpad.deploy.config import ModelSource, StageConfig

if TYPE_CHECKING:
    from mypy_boto3_sagemaker.type_defs import DeploymentConfigTypeDef, TagTypeDef

PREVIOUS_CONFIG_TAG = "launchpad:previous-config"


def alarm_names(endpoint: str) -> tuple[str, ...]:
    """``<endpoint>-rollback-5xx-rate``, ``-4xx-rate`` and ``-p99-model-latency``: the alarms every update is
    guarded by (definition.json's kinds)."""
    return definition.alarm_names(endpoint)


def tag_list(tags: Mapping[str, str]) -> list[TagTypeDef]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# -- models --------------------------------------------------------------------------------------------------
def models_for(config: StageConfig, default: ModelSource | None = None) -> dict[str, dict[str, Any]]:
    """CreateModel requests by variant name (shadow included): the execution role, the VPC and network
    isolation of the stage config; ``default`` replaces the config's own model (prod serves the latest
    Approved package version) for the variants that do not name their own."""
    inputs = definition.module_inputs(config, default)
    names = definition.model_names(inputs)
    variants = [*inputs["variants"], *([inputs["shadow_variant"]] if inputs["shadow_variant"] else [])]
    requests = {}
    for variant in variants:
        model = variant["model"]
        request: dict[str, Any] = {
            "ModelName": names[variant["name"]],
            "ExecutionRoleArn": inputs["execution_role_arn"],
            "PrimaryContainer": {"Image": model["image"], "ModelDataUrl": model["model_data_url"]},
            "EnableNetworkIsolation": inputs["enable_network_isolation"],
        }
        if inputs["vpc_config"] is not None:
            request["VpcConfig"] = {
                "Subnets": inputs["vpc_config"]["subnet_ids"],
                "SecurityGroupIds": inputs["vpc_config"]["security_group_ids"],
            }
        requests[variant["name"]] = {**request, "Tags": tag_list(inputs["tags"])}
    return requests


# -- endpoint config -----------------------------------------------------------------------------------------
def _variant_entry(variant: Mapping[str, Any], model_name: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "VariantName": variant["name"],
        "ModelName": model_name,
        "InitialVariantWeight": float(variant["weight"]),
    }
    serverless = variant.get("serverless")
    if serverless is not None:
        entry["ServerlessConfig"] = {
            "MemorySizeInMB": serverless["memory_size_in_mb"],
            "MaxConcurrency": serverless["max_concurrency"],
        }
        if serverless["provisioned_concurrency"]:
            entry["ServerlessConfig"]["ProvisionedConcurrency"] = serverless["provisioned_concurrency"]
    else:
        entry["InstanceType"] = variant["instance_type"]
        entry["InitialInstanceCount"] = variant["initial_instance_count"]
    return entry


def endpoint_config_request(config: StageConfig, model_names: Mapping[str, str]) -> dict[str, Any]:
    """CreateEndpointConfig: variants and weights, the volume key (none for serverless and local-storage
    instance families), data capture (KMS); named ``<endpoint>-<hash>`` of all that, as the module names
    it, so a change makes a new config and an unchanged deploy finds the one it made before."""
    inputs = definition.module_inputs(config)
    content: dict[str, Any] = {
        "ProductionVariants": [_variant_entry(v, model_names[v["name"]]) for v in inputs["variants"]],
    }
    if inputs["shadow_variant"] is not None:
        shadow = inputs["shadow_variant"]
        content["ShadowProductionVariants"] = [_variant_entry(shadow, model_names[shadow["name"]])]
    volume_key = definition.volume_kms_key(inputs)
    if volume_key is not None:
        content["KmsKeyId"] = volume_key
    capture = definition.capture_settings(inputs)
    if capture is not None:
        content["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": capture["sampling_percentage"],
            "DestinationS3Uri": capture["destination_s3_uri"],
            "KmsKeyId": definition.output_kms_key(inputs),
            "CaptureOptions": [{"CaptureMode": mode} for mode in capture["modes"]],
        }
        headers = {
            key: capture[field]
            for key, field in (
                ("JsonContentTypes", "json_content_types"),
                ("CsvContentTypes", "csv_content_types"),
            )
            if capture[field]
        }
        if headers:
            content["DataCaptureConfig"]["CaptureContentTypeHeader"] = headers
    name = definition.endpoint_config_name(inputs, model_names)
    return {"EndpointConfigName": name, **content, "Tags": tag_list(inputs["tags"])}


# -- rollback alarms -----------------------------------------------------------------------------------------
def _metric(
    metric_id: str, name: str, stat: str, period: int, dimensions: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "Id": metric_id,
        "MetricStat": {
            "Metric": {
                "Namespace": definition.definition()["rollback_alarms"]["namespace"],
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": False,
    }


def alarm_requests(config: StageConfig, endpoint_config: str) -> list[dict[str, Any]]:
    """PutMetricAlarm for the rollback alarms of definition.json, as the module makes them: the error rates
    over all production variants (metric math), the latency of the new config's worst variant."""
    inputs = definition.module_inputs(config)
    spec = definition.definition()["rollback_alarms"]
    settings = inputs["rollback_alarms"]
    period = settings["period_seconds"] or spec["period_seconds"]
    periods = settings["evaluation_periods"] or spec["evaluation_periods"]
    endpoint = inputs["name"]
    variants = [v["name"] for v in inputs["variants"]]
    common = {
        "ComparisonOperator": spec["comparison_operator"],
        "EvaluationPeriods": periods,
        "DatapointsToAlarm": periods,
        "TreatMissingData": spec["treat_missing_data"],
        "ActionsEnabled": True,
        "AlarmActions": list(settings["alarm_actions"]),
        "OKActions": list(settings["alarm_actions"]),
        "Tags": tag_list(inputs["tags"]),
    }
    errors = " + ".join(f"e{i}" for i in range(len(variants)))
    invocations = " + ".join(f"i{i}" for i in range(len(variants)))
    requests = []
    for kind, alarm in spec["error_rates"].items():
        threshold = definition.tf_number(settings[alarm["threshold"]])
        queries = [
            {
                "Id": "rate",
                "Label": f"{alarm['label']} error rate (%)",
                "Expression": f"IF(({invocations}) > 0, 100 * ({errors}) / ({invocations}), 0)",
                "ReturnData": True,
            }
        ]
        for metric_id, metric in (("e", alarm["metric"]), ("i", spec["invocations_metric"])):
            queries += [
                _metric(
                    f"{metric_id}{i}",
                    metric,
                    alarm["statistic"],
                    period,
                    {"EndpointName": endpoint, "VariantName": name},
                )
                for i, name in enumerate(variants)
            ]
        requests.append(
            {
                "AlarmName": definition.render("rollback_alarm", endpoint=endpoint, kind=kind),
                "AlarmDescription": f"{alarm['label']} error rate of endpoint {endpoint} (all variants) "
                f"above {threshold}%: rolls an endpoint update back.",
                "Threshold": float(threshold),
                "Metrics": queries,
                **common,
            }
        )
    worst = "l0" if len(variants) == 1 else f"MAX([{', '.join(f'l{i}' for i in range(len(variants)))}])"
    for kind, alarm in spec["latency"].items():
        threshold = definition.tf_number(settings[alarm["threshold"]])
        what = f"{alarm['statistic']} {alarm['metric']}"
        latency = [
            {
                "Id": "worst",
                "Label": f"{what}, worst variant (microseconds)",
                "Expression": worst,
                "ReturnData": True,
            },
            *(
                _metric(
                    f"l{i}",
                    alarm["metric"],
                    alarm["statistic"],
                    period,
                    {"EndpointName": endpoint, "VariantName": name, "EndpointConfigName": endpoint_config},
                )
                for i, name in enumerate(variants)
            ),
        ]
        requests.append(
            {
                "AlarmName": definition.render("rollback_alarm", endpoint=endpoint, kind=kind),
                "AlarmDescription": f"{what} of endpoint {endpoint}, configuration {endpoint_config}, "
                f"above {threshold} ms: rolls an endpoint update back.",
                "Threshold": float(threshold * alarm["threshold_scale"]),
                "Metrics": latency,
                **common,
            }
        )
    return requests


# -- the update ----------------------------------------------------------------------------------------------
def deployment_config(config: StageConfig, alarms: Sequence[str]) -> DeploymentConfigTypeDef:
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
        return cast(
            "DeploymentConfigTypeDef", {"RollingUpdatePolicy": policy, "AutoRollbackConfiguration": rollback}
        )
    routing: dict[str, Any] = {"Type": d.strategy, "WaitIntervalInSeconds": d.wait_interval_in_seconds}
    if d.strategy == "CANARY":
        routing["CanarySize"] = {"Type": d.canary_size.type, "Value": d.canary_size.value}
    elif d.strategy == "LINEAR":
        routing["LinearStepSize"] = {"Type": d.linear_step_size.type, "Value": d.linear_step_size.value}
    blue_green = {
        "TrafficRoutingConfiguration": routing,
        "TerminationWaitInSeconds": d.termination_wait_in_seconds,
        "MaximumExecutionTimeoutInSeconds": d.maximum_execution_timeout_in_seconds,
    }
    return cast(
        "DeploymentConfigTypeDef",
        {"BlueGreenUpdatePolicy": blue_green, "AutoRollbackConfiguration": rollback},
    )


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
