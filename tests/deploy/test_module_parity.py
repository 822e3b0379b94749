"""The sagemaker-endpoint module and the deploy engine create the same endpoint, from one definition.

One plan (no apply) of a root module that calls the module once per case, with the variables
``definition.module_inputs`` maps each stage config onto; its planned models, endpoint configs, rollback
alarms, scalable targets and scaling policies, put in the shape of the AWS requests, are compared with the
requests the engine's own builders make for the same stage config (``resources``, ``scaling``).

Compared: names, and every field of a request the engine sends (metrics, statistics, periods, thresholds,
dimensions, descriptions, tags, capture, keys, bounds, cooldowns), and the endpoint's name, tags and the
DeploymentConfig with which the engine updates it (guardrails, auto-rollback alarms). Not compared: scalable
target tags (the engine registers targets untagged), and async endpoints' AsyncInferenceConfig, which the
engine does not make (async projects deploy with Terraform; the async case compares the names and the
backlog policy the engine's definition functions derive).
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad.aws import AwsTarget
from launchpad.deploy import definition, resources, scaling
from launchpad.deploy.config import StageConfig, check_stage_config
from launchpad.paths import modules_dir, repo_root
from launchpad.terraform import Terraform, module_source, terraform_env

EXAMPLES = repo_root() / "docs" / "examples"
ANY_INSTANCE = ("ml.*",)

Requests = dict[str, dict[str, Any]]  # resource name -> request


@dataclass(frozen=True)
class Case:
    config: StageConfig
    inputs: dict[str, Any]


def _document(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / f"stage-{name}.yaml").read_text())


def _cases() -> dict[str, Case]:
    """realtime: prod's A/B canary (two variants, VPC, capture, autoscaling). shadow: one variant on a
    family with local storage (no volume key) and a shadow. serverless: dev on serverless. async: prod's
    first variant, asynchronous (backlog scaling)."""
    prod = _document("prod")
    shadow = copy.deepcopy(prod)
    shadow["compute"]["instance_type"] = "ml.g5.xlarge"
    shadow["variants"][1]["shadow"] = True
    serverless = _document("dev")
    serverless["compute"] = {
        "serverless": {"memory_size_in_mb": 2048, "max_concurrency": 10, "provisioned_concurrency": 1}
    }
    serverless["network_isolation"] = False
    single = copy.deepcopy(prod)
    del single["variants"]
    documents = {"realtime": prod, "shadow": shadow, "serverless": serverless, "async": single}
    cases = {}
    for name, document in documents.items():
        config = check_stage_config(document, EXAMPLES / "stage.yaml", allowed_instance_types=ANY_INSTANCE)
        cases[name] = Case(config, definition.module_inputs(config))
    bucket = "s3://acme-prod-async/churn"
    cases["async"].inputs["async_inference"] = {
        "output_s3_uri": f"{bucket}/out",
        "failure_s3_uri": f"{bucket}/failed",
        "success_topic_arn": None,
        "error_topic_arn": None,
        "include_inference_response_in": [],
        "max_concurrent_invocations_per_instance": 4,
    }
    cases["async"].inputs["autoscaling"]["target_backlog_per_instance"] = 5
    return cases


# -- the module's side: the plan, in the shape of the requests ------------------------------------------
def _tags(after: Mapping[str, Any]) -> list[dict[str, str]]:
    return resources.tag_list(after.get("tags") or {})


def _one(blocks: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    return blocks[0] if blocks else None


def _model(after: Mapping[str, Any]) -> dict[str, Any]:
    container = after["primary_container"][0]
    request: dict[str, Any] = {
        "ModelName": after["name"],
        "ExecutionRoleArn": after["execution_role_arn"],
        "PrimaryContainer": {"Image": container["image"], "ModelDataUrl": container["model_data_url"]},
        "EnableNetworkIsolation": after["enable_network_isolation"],
    }
    vpc = _one(after.get("vpc_config"))
    if vpc is not None:
        request["VpcConfig"] = {"Subnets": vpc["subnets"], "SecurityGroupIds": vpc["security_group_ids"]}
    return {**request, "Tags": _tags(after)}


def _variant(block: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "VariantName": block["variant_name"],
        "ModelName": block["model_name"],
        "InitialVariantWeight": float(block["initial_variant_weight"]),
    }
    serverless = _one(block.get("serverless_config"))
    if serverless is not None:
        entry["ServerlessConfig"] = {
            "MemorySizeInMB": serverless["memory_size_in_mb"],
            "MaxConcurrency": serverless["max_concurrency"],
        }
        if serverless.get("provisioned_concurrency"):
            entry["ServerlessConfig"]["ProvisionedConcurrency"] = serverless["provisioned_concurrency"]
    else:
        entry["InstanceType"] = block["instance_type"]
        entry["InitialInstanceCount"] = block["initial_instance_count"]
    return entry


def _endpoint_config(after: Mapping[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "EndpointConfigName": after["name"],
        "ProductionVariants": [_variant(v) for v in after["production_variants"]],
    }
    if after.get("shadow_production_variants"):
        request["ShadowProductionVariants"] = [_variant(v) for v in after["shadow_production_variants"]]
    if after.get("kms_key_arn"):
        request["KmsKeyId"] = after["kms_key_arn"]
    capture = _one(after.get("data_capture_config"))
    if capture is not None:
        request["DataCaptureConfig"] = {
            "EnableCapture": capture["enable_capture"],
            "InitialSamplingPercentage": capture["initial_sampling_percentage"],
            "DestinationS3Uri": capture["destination_s3_uri"],
            "KmsKeyId": capture["kms_key_id"],
            "CaptureOptions": [{"CaptureMode": o["capture_mode"]} for o in capture["capture_options"]],
        }
        header = _one(capture.get("capture_content_type_header"))
        if header is not None:
            request["DataCaptureConfig"]["CaptureContentTypeHeader"] = {
                key: sorted(header[field])
                for key, field in (
                    ("JsonContentTypes", "json_content_types"),
                    ("CsvContentTypes", "csv_content_types"),
                )
                if header.get(field)
            }
    return {**request, "Tags": _tags(after)}


def _query(block: Mapping[str, Any]) -> dict[str, Any]:
    metric = _one(block.get("metric"))
    if metric is None:
        return {
            "Id": block["id"],
            "Label": block["label"],
            "Expression": block["expression"],
            "ReturnData": block["return_data"],
        }
    return {
        "Id": block["id"],
        "MetricStat": {
            "Metric": {
                "Namespace": metric["namespace"],
                "MetricName": metric["metric_name"],
                "Dimensions": [{"Name": k, "Value": v} for k, v in metric["dimensions"].items()],
            },
            "Period": metric["period"],
            "Stat": metric["stat"],
        },
        "ReturnData": bool(block["return_data"]),
    }


def _alarm(after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "AlarmName": after["alarm_name"],
        "AlarmDescription": after["alarm_description"],
        "Threshold": float(after["threshold"]),
        "Metrics": [_query(q) for q in after["metric_query"]],
        "ComparisonOperator": after["comparison_operator"],
        "EvaluationPeriods": after["evaluation_periods"],
        "DatapointsToAlarm": after["datapoints_to_alarm"],
        "TreatMissingData": after["treat_missing_data"],
        "ActionsEnabled": after["actions_enabled"],
        "AlarmActions": sorted(after["alarm_actions"] or []),
        "OKActions": sorted(after["ok_actions"] or []),
        "Tags": _tags(after),
    }


def _target(after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ServiceNamespace": after["service_namespace"],
        "ResourceId": after["resource_id"],
        "ScalableDimension": after["scalable_dimension"],
        "MinCapacity": after["min_capacity"],
        "MaxCapacity": after["max_capacity"],
    }


def _policy(after: Mapping[str, Any]) -> dict[str, Any]:
    tracking = after["target_tracking_scaling_policy_configuration"][0]
    config: dict[str, Any] = {"TargetValue": float(tracking["target_value"])}
    predefined = _one(tracking.get("predefined_metric_specification"))
    custom = _one(tracking.get("customized_metric_specification"))
    if predefined is not None:
        config["PredefinedMetricSpecification"] = {
            "PredefinedMetricType": predefined["predefined_metric_type"]
        }
    if custom is not None:
        config["CustomizedMetricSpecification"] = {
            "MetricName": custom["metric_name"],
            "Namespace": custom["namespace"],
            "Dimensions": [{"Name": d["name"], "Value": d["value"]} for d in custom["dimensions"]],
            "Statistic": custom["statistic"],
        }
    config["ScaleInCooldown"] = tracking["scale_in_cooldown"]
    config["ScaleOutCooldown"] = tracking["scale_out_cooldown"]
    return {
        "ServiceNamespace": after["service_namespace"],
        "ResourceId": after["resource_id"],
        "ScalableDimension": after["scalable_dimension"],
        "PolicyName": after["name"],
        "PolicyType": after["policy_type"],
        "TargetTrackingScalingPolicyConfiguration": config,
    }


def _size(blocks: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    size = _one(blocks)
    return None if size is None else {"Type": size["type"], "Value": size["value"]}


def _endpoint(after: Mapping[str, Any]) -> dict[str, Any]:
    deployment = after["deployment_config"][0]
    rollback = _one(deployment["auto_rollback_configuration"]) or {}
    config: dict[str, Any] = {
        "AutoRollbackConfiguration": {
            "Alarms": [{"AlarmName": a["alarm_name"]} for a in rollback.get("alarms") or []]
        }
    }
    blue_green = _one(deployment.get("blue_green_update_policy"))
    rolling = _one(deployment.get("rolling_update_policy"))
    if blue_green is not None:
        routing = blue_green["traffic_routing_configuration"][0]
        shown: dict[str, Any] = {
            "Type": routing["type"],
            "WaitIntervalInSeconds": routing["wait_interval_in_seconds"],
        }
        for key, field in (("CanarySize", "canary_size"), ("LinearStepSize", "linear_step_size")):
            if _size(routing.get(field)) is not None:
                shown[key] = _size(routing[field])
        config["BlueGreenUpdatePolicy"] = {
            "TrafficRoutingConfiguration": shown,
            "TerminationWaitInSeconds": blue_green["termination_wait_in_seconds"],
            "MaximumExecutionTimeoutInSeconds": blue_green["maximum_execution_timeout_in_seconds"],
        }
    if rolling is not None:
        config["RollingUpdatePolicy"] = {
            "MaximumBatchSize": _size(rolling["maximum_batch_size"]),
            "WaitIntervalInSeconds": rolling["wait_interval_in_seconds"],
            "MaximumExecutionTimeoutInSeconds": rolling["maximum_execution_timeout_in_seconds"],
        }
    return {
        "EndpointName": after["name"],
        "EndpointConfigName": after["endpoint_config_name"],
        "DeploymentConfig": config,
        "Tags": _tags(after),
    }


SHAPES = {
    "aws_sagemaker_endpoint": ("endpoints", _endpoint, "EndpointName"),
    "aws_sagemaker_model": ("models", _model, "ModelName"),
    "aws_sagemaker_endpoint_configuration": ("endpoint configs", _endpoint_config, "EndpointConfigName"),
    "aws_cloudwatch_metric_alarm": ("alarms", _alarm, "AlarmName"),
    "aws_appautoscaling_target": ("scalable targets", _target, "ResourceId"),
    "aws_appautoscaling_policy": ("scaling policies", _policy, "PolicyName"),
}


def module_requests(plan: Mapping[str, Any], case: str) -> dict[str, Requests]:
    """What the plan creates in ``module.<case>``, by kind, as requests keyed by name."""
    found: dict[str, Requests] = {kind: {} for kind, _, _ in SHAPES.values()}
    for change in plan["resource_changes"]:
        if change["module_address"] != f"module.{case}" or change["type"] not in SHAPES:
            continue
        kind, shape, key = SHAPES[change["type"]]
        request = shape(change["change"]["after"])
        found[kind][request[key]] = request
    return found


# -- the engine's side ---------------------------------------------------------------------------------------
class Recorder:
    """An Application Auto Scaling client that records the engine's calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        return lambda **kwargs: self.calls.append((operation, kwargs))


def engine_requests(case: Case) -> dict[str, Requests]:
    """The requests the engine makes for the case's stage config, from its own builders."""
    config, inputs = case.config, case.inputs
    models = resources.models_for(config)
    names = {variant: request["ModelName"] for variant, request in models.items()}
    endpoint_config = resources.endpoint_config_request(config, names)
    config_name = endpoint_config["EndpointConfigName"]
    if inputs["async_inference"] is not None:  # the engine makes no async endpoint: only its name is shared
        config_name = definition.endpoint_config_name(inputs, names)
        endpoint_config = {"EndpointConfigName": config_name}
    recorder = Recorder()
    scaling.apply(recorder, config.endpoint_name, scaling.desired(config), {})
    targets = [kwargs for op, kwargs in recorder.calls if op == "register_scalable_target"]
    policies = [kwargs for op, kwargs in recorder.calls if op == "put_scaling_policy"]
    if inputs["async_inference"] is not None:
        policies = [
            {
                **{k: target[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")},
                **scaling.policy_request(
                    config.endpoint_name,
                    target["ResourceId"].rsplit("/", 1)[1],
                    "backlog",
                    inputs["autoscaling"],
                ),
            }
            for target in targets
        ]
    alarms = resources.alarm_requests(config, config_name)
    # CreateEndpoint names and tags the endpoint; UpdateEndpoint rolls every later config out with this.
    endpoint = {
        "EndpointName": config.endpoint_name,
        "EndpointConfigName": config_name,
        "DeploymentConfig": resources.deployment_config(config, [a["AlarmName"] for a in alarms]),
        "Tags": resources.tag_list(config.tags),
    }
    return {
        "endpoints": {config.endpoint_name: endpoint},
        "models": {r["ModelName"]: r for r in models.values()},
        "endpoint configs": {config_name: endpoint_config},
        "alarms": {a["AlarmName"]: a for a in alarms},
        "scalable targets": {t["ResourceId"]: t for t in targets},
        "scaling policies": {p["PolicyName"]: p for p in policies},
    }


# -- the comparison ------------------------------------------------------------------------------------------
def _canonical(value: Any) -> Any:
    """Lists of metric queries sorted by Id, of name/value pairs by name (sets in Terraform's plan)."""
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        keys = ("Id", "Key", "Name", "AlarmName")
        if items and all(isinstance(v, Mapping) and any(k in v for k in keys) for v in items):
            return sorted(items, key=lambda v: str(next(v[k] for k in keys if k in v)))
        if all(isinstance(v, str) for v in items):
            return sorted(items)
        return items
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _diff(module: Any, engine: Any, where: str) -> Iterator[str]:
    if isinstance(module, Mapping) and isinstance(engine, Mapping):
        for key in sorted(set(module) | set(engine)):
            if key not in engine:
                yield f"{where}.{key}: only the module sets it ({module[key]!r})"
            elif key not in module:
                yield f"{where}.{key}: only the engine sets it ({engine[key]!r})"
            else:
                yield from _diff(module[key], engine[key], f"{where}.{key}")
    elif isinstance(module, list) and isinstance(engine, list) and len(module) == len(engine):
        for i, (m, e) in enumerate(zip(module, engine, strict=True)):
            yield from _diff(m, e, f"{where}[{i}]")
    elif module != engine:
        yield f"{where}: module {module!r}, engine {engine!r}"


def differences(module: Mapping[str, Requests], engine: Mapping[str, Requests]) -> list[str]:
    """Every resource only one side creates, and every field in which the two differ."""
    found = []
    for kind in sorted(set(module) | set(engine)):
        ours, theirs = module.get(kind, {}), engine.get(kind, {})
        for name in sorted(set(ours) - set(theirs)):
            found.append(f"{kind}: only the module creates {name}")
        for name in sorted(set(theirs) - set(ours)):
            found.append(f"{kind}: only the engine creates {name}")
        for name in sorted(set(ours) & set(theirs)):
            found += _diff(_canonical(ours[name]), _canonical(theirs[name]), f"{kind} {name}")
    return found


# -- the tests -----------------------------------------------------------------------------------------------
CASES = _cases()
pytestmark = pytest.mark.xdist_group("module-parity")  # one plan for every test of the file


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> dict[str, Any]:
    """One plan of every case (one module call each), in a fresh sandbox account."""
    root = tmp_path_factory.mktemp("parity")
    source = module_source(modules_dir() / definition.MODULE)
    calls = {name: {"source": source, **case.inputs} for name, case in CASES.items()}
    (root / "main.tf.json").write_text(json.dumps({"module": calls}, indent=1))
    terraform = Terraform(root, terraform_env(AwsTarget.sandbox(sandbox_url).env()))
    terraform.init()
    return terraform.plan()


@pytest.mark.parametrize("case", list(CASES))
def test_module_and_engine_create_the_same_resources(plan: dict[str, Any], case: str) -> None:
    module, engine = module_requests(plan, case), engine_requests(CASES[case])
    if CASES[case].inputs["async_inference"] is not None:
        module["endpoint configs"] = {
            name: {"EndpointConfigName": name} for name in module["endpoint configs"]
        }
    assert module["models"] and module["alarms"], f"the plan of {case} holds no models or alarms"
    found = differences(module, engine)
    assert not found, f"{case}: the module and the engine differ:\n" + "\n".join(found)


def test_the_cases_cover_what_each_kind_of_endpoint_creates(plan: dict[str, Any]) -> None:
    counts = {
        case: {kind: len(named) for kind, named in module_requests(plan, case).items()} for case in CASES
    }
    assert counts["realtime"] == {
        "endpoints": 1,
        "models": 2,
        "endpoint configs": 1,
        "alarms": 3,
        "scalable targets": 2,
        "scaling policies": 2,
    }
    assert counts["shadow"]["models"] == 2 and counts["shadow"]["scalable targets"] == 1
    assert counts["serverless"]["scalable targets"] == 0 and counts["serverless"]["alarms"] == 3
    assert counts["async"]["scaling policies"] == 1
    shadow_config = next(iter(module_requests(plan, "shadow")["endpoint configs"].values()))
    assert "KmsKeyId" not in shadow_config, "ml.g5 has local storage: no volume key"


def test_a_changed_name_or_threshold_is_reported(plan: dict[str, Any]) -> None:
    """The comparison fails when one side renames an alarm or moves a threshold."""
    module, engine = module_requests(plan, "realtime"), engine_requests(CASES["realtime"])
    assert differences(module, engine) == []
    name = "churn-prod-rollback-5xx-rate"
    changed = copy.deepcopy(engine)
    changed["alarms"][name]["Threshold"] = 2.0
    assert f"alarms {name}.Threshold: module 1.0, engine 2.0" in differences(module, changed)
    renamed = copy.deepcopy(engine)
    renamed["alarms"]["churn-prod-rollback-5xx"] = renamed["alarms"].pop(name)
    assert set(differences(module, renamed)) == {
        f"alarms: only the module creates {name}",
        "alarms: only the engine creates churn-prod-rollback-5xx",
    }


def test_a_definition_only_one_side_reads_is_reported(
    plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine reading another definition than the planned module (a pattern, a period) is reported."""
    module = module_requests(plan, "realtime")
    original = definition.definition()

    def engine_with(section: str, key: str, value: Any) -> list[str]:
        edited = copy.deepcopy(dict(original))
        edited[section][key] = value
        monkeypatch.setattr(definition, "definition", lambda: edited)
        return differences(module, engine_requests(CASES["realtime"]))

    found = engine_with("rollback_alarms", "evaluation_periods", 2)
    assert "alarms churn-prod-rollback-4xx-rate.EvaluationPeriods: module 3.0, engine 2.0" in found
    found = engine_with("names", "rollback_alarm", "{endpoint}-guard-{kind}")
    assert "alarms: only the engine creates churn-prod-guard-5xx-rate" in found
    assert "alarms: only the module creates churn-prod-rollback-p99-model-latency" in found


def test_the_module_reads_its_names_and_alarms_from_the_definition() -> None:
    """No alarm kind, metric or name pattern is written in the module's code: it reads definition.json."""
    module = modules_dir() / definition.MODULE
    code = "\n".join(line.split("#")[0] for p in module.glob("*.tf") for line in p.read_text().splitlines())
    assert 'jsondecode(file("${path.module}/definition.json"))' in code
    for literal in (
        "-rollback-",
        '"Invocation5XXErrors"',
        '"ModelLatency"',
        '"p99"',
        '"Sum"',
    ):
        assert literal not in code, (
            f"{literal} is written in the module's code, not read from definition.json"
        )
    assert definition.path() == Path(modules_dir(), "sagemaker-endpoint", "definition.json")


def test_the_engine_hashes_as_terraform_does(tmp_path: Path) -> None:
    """``definition.content_hash`` equals the module's ``substr(sha256(jsonencode(...)))``, including what
    jsonencode escapes (<, >, &, U+2028), non-ASCII text, whole and fractional numbers, nulls and nesting."""
    literal = '{b = "<é&>\\u2028", n = 1.5, m = 2, l = [true, null], a = {z = "x", y = []}}'
    hcl = f"substr(sha256(jsonencode({literal})), 0, 8)"
    value = {"b": "<é&>\u2028", "n": 1.5, "m": 2.0, "l": [True, None], "a": {"z": "x", "y": []}}
    result = subprocess.run(
        ["terraform", "console"],
        input=hcl,
        cwd=tmp_path,
        env=terraform_env({}),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f'"{definition.content_hash(value)}"'
    assert definition.content_hash({**value, "m": 3}) != definition.content_hash(value)
