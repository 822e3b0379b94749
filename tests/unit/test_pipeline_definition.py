"""The generated SageMaker pipeline definition (launchpad.pipeline.definition): the contract's six steps,
their references, the thresholds as conditions, deterministic text that passes check_definition; and every
bad pipeline.yaml, model card threshold or setting refused with a message naming it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad.errors import ConfigError
from launchpad.pipeline import check, definition

PIPELINE: dict[str, Any] = {
    "label": "churned",
    "validation": {
        "features": {"tenure_years": "Fractional", "support_calls": "Integral", "segment": "String"},
        "max_missing": 0.05,
    },
    "objective": {"metric": "validation:auc", "type": "Maximize"},
    "tuning": {
        "strategy": "Bayesian",
        "max_jobs": 12,
        "max_parallel_jobs": 2,
        "early_stopping": "Auto",
        "ranges": {
            "learning_rate": {"type": "Continuous", "min": 0.01, "max": 0.3, "scaling": "Logarithmic"},
            "max_depth": {"type": "Integer", "min": 2, "max": 5},
            "n_estimators": {"type": "Integer", "min": 50, "max": 200},
        },
    },
    "cross_validation": {"folds": 5},
    "thresholds": {"auc": {"min": 0.75}, "bias": {"DPPL": {"max_abs": 0.2}}},
}
CARD: dict[str, Any] = {
    "schema_version": 1,
    "model_details": {
        "name": "churn-model",
        "version": "0.1.0",
        "description": "Predicts which members are likely to cancel.",
        "owners": [{"name": "team-churn", "contact": "team-churn@example.com"}],
    },
    "intended_use": {"primary_uses": ["rank customers by their risk of cancelling"]},
    "risk": {"classification": "limited"},
    "training_data": {"data_classification": "confidential"},
    "evaluation": {
        "metrics": [
            {"name": "auc", "value": 0.85, "threshold": 0.8, "direction": "higher_is_better"},
            {"name": "brier_score", "value": 0.16, "threshold": 0.2, "direction": "lower_is_better"},
        ]
    },
    "monitoring": {"bias": {"facets": [{"attribute": "segment", "values": ["b"]}]}},
}
ACCOUNT = "123456789012"
VALUES: dict[str, Any] = {
    "region": "eu-west-1",
    "serving_image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/churn-model:0.1.0",
    "artifact_bucket": "acme-ml-artifacts",
    "kms_key_arn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "job_role_arn": f"arn:aws:iam::{ACCOUNT}:role/churn-model-training-job",
    "subnets": ["subnet-0123456789abcdef0"],
    "security_groups": ["sg-0123456789abcdef0"],
}


def project(
    tmp_path: Path, pipeline: dict[str, Any] | None = None, card: dict[str, Any] | None = None
) -> Path:
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(PIPELINE if pipeline is None else pipeline))
    (tmp_path / "model_card.yaml").write_text(yaml.safe_dump(CARD if card is None else card))
    return tmp_path


def built(tmp_path: Path, pipeline: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    settings = definition.load_settings(project(tmp_path, pipeline), {**VALUES, **values})
    return definition.build_definition(settings)


def step(document: dict[str, Any], name: str) -> dict[str, Any]:
    for found, _ in check.steps_with_places(document["Steps"]):
        if found["Name"] == name:
            return found
    raise AssertionError(f"no step {name}")


def test_the_contracts_six_steps_and_parameters(tmp_path: Path) -> None:
    document = built(tmp_path)
    assert document["Version"] == "2020-12-01"
    assert [s["Name"] for s in document["Steps"]] == [
        "ValidateData",
        "Tune",
        "CrossValidate",
        "CheckEvaluation",
    ]
    names = {s["Name"]: s["Type"] for s, _ in check.steps_with_places(document["Steps"])}
    assert names == {
        "ValidateData": "Processing",
        "Tune": "Tuning",
        "CrossValidate": "Processing",
        "CheckEvaluation": "Condition",
        "Register": "RegisterModel",
        "EvaluationFailed": "Fail",
    }
    parameters = {p["Name"]: (p["Type"], p["DefaultValue"]) for p in document["Parameters"]}
    assert parameters == {
        "TrainingData": ("String", "s3://acme-ml-artifacts/churn-model/pipeline/training-data/"),
        "SourceCode": ("String", "s3://acme-ml-artifacts/churn-model/pipeline/code/sourcedir.tar.gz"),
        "Baseline": ("String", ""),
        "MaxTrainingJobs": ("Integer", 12),
        "InstanceType": ("String", "ml.m5.large"),
    }
    assert check.check_definition(document) == []


def test_steps_reference_each_other_with_get_join_and_json_get(tmp_path: Path) -> None:
    document = built(tmp_path)
    best = {"Get": "Steps.Tune.BestTrainingJob.TrainingJobName"}
    validate, tune, cross = (
        step(document, n)["Arguments"] for n in ("ValidateData", "Tune", "CrossValidate")
    )
    assert validate["AppSpecification"]["ContainerArguments"] == [
        "validate",
        "--root",
        "/opt/ml",
        "--baseline",
        {"Get": "Parameters.Baseline"},
    ]
    assert cross["AppSpecification"]["ContainerArguments"][4] == best
    assert [i["InputName"] for i in cross["ProcessingInputs"]] == ["code", "data", "source"]
    assert cross["ProcessingInputs"][2]["S3Input"]["S3Uri"] == {"Get": "Parameters.SourceCode"}
    assert step(document, "CrossValidate")["PropertyFiles"] == [
        {"FilePath": "evaluation.json", "OutputName": "evaluation", "PropertyFileName": "Evaluation"}
    ]
    assert step(document, "Tune")["DependsOn"] == ["ValidateData"]
    config = tune["HyperParameterTuningJobConfig"]
    assert config["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": {"Get": "Parameters.MaxTrainingJobs"},
        "MaxParallelTrainingJobs": 2,
    }
    assert config["HyperParameterTuningJobObjective"] == {"MetricName": "validation:auc", "Type": "Maximize"}
    assert config["ParameterRanges"]["ContinuousParameterRanges"] == [
        {"MaxValue": "0.3", "MinValue": "0.01", "Name": "learning_rate", "ScalingType": "Logarithmic"}
    ]
    assert [r["Name"] for r in config["ParameterRanges"]["IntegerParameterRanges"]] == [
        "max_depth",
        "n_estimators",
    ]
    job = tune["TrainingJobDefinition"]
    assert job["StaticHyperParameters"]["sagemaker_submit_directory"] == {"Get": "Parameters.SourceCode"}
    assert job["StaticHyperParameters"]["sagemaker_program"] == "train_job.py"
    assert job["AlgorithmSpecification"]["MetricDefinitions"][0] == {
        "Name": "validation:auc",
        "Regex": "validation:auc=([0-9.]+)",
    }
    assert job["VpcConfig"] == {"SecurityGroupIds": VALUES["security_groups"], "Subnets": VALUES["subnets"]}
    register = step(document, "Register")["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == "churn-model"
    container = register["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == VALUES["serving_image"]
    assert container["ModelDataUrl"] == {
        "Std:Join": {
            "On": "",
            "Values": [
                "s3://acme-ml-artifacts/churn-model/pipeline/executions/",
                {"Get": "Execution.PipelineExecutionId"},
                "/models",
                "/",
                best,
                "/output/model.tar.gz",
            ],
        }
    }
    evaluation = {"Get": "Steps.CrossValidate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"}
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert statistics == {"Std:Join": {"On": "", "Values": [evaluation, "/evaluation.json"]}}
    assert set(register["ModelMetrics"]["Bias"]) == {"PreTrainingReport", "PostTrainingReport"}
    baseline = register["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]["Std:Join"][
        "Values"
    ]
    assert baseline[0] == {
        "Get": "Steps.ValidateData.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"
    }
    card = json.loads(register["ModelCard"]["ModelCardContent"])
    assert register["ModelCard"]["ModelCardStatus"] == "Draft"
    assert card["intended_uses"]["risk_rating"] == "Medium"
    assert card["additional_information"]["custom_details"]["launchpad_model_version"] == "0.1.0"


def _json_get(path: str) -> dict[str, Any]:
    return {
        "Std:JsonGet": {"PropertyFile": {"Get": "Steps.CrossValidate.PropertyFiles.Evaluation"}, "Path": path}
    }


def test_thresholds_become_the_conditions_and_the_failure_message(tmp_path: Path) -> None:
    condition = step(built(tmp_path), "CheckEvaluation")["Arguments"]
    assert condition["Conditions"] == [
        {"Type": "GreaterThanOrEqualTo", "LeftValue": _json_get("metrics.auc.mean"), "RightValue": 0.75},
        {"Type": "LessThanOrEqualTo", "LeftValue": _json_get("bias.DPPL"), "RightValue": 0.2},
    ]
    assert [s["Name"] for s in condition["IfSteps"]] == ["Register"]
    assert [s["Name"] for s in condition["ElseSteps"]] == ["EvaluationFailed"]
    message = condition["ElseSteps"][0]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert _json_get("metrics.auc.mean") in message and " (needs >= 0.75)" in message
    assert " (needs |value| <= 0.2)" in message


def test_without_thresholds_the_model_cards_are_used(tmp_path: Path) -> None:
    pipeline = {k: v for k, v in PIPELINE.items() if k != "thresholds"}
    conditions = step(built(tmp_path, pipeline), "CheckEvaluation")["Arguments"]["Conditions"]
    assert [(c["Type"], c["LeftValue"]["Std:JsonGet"]["Path"], c["RightValue"]) for c in conditions] == [
        ("GreaterThanOrEqualTo", "metrics.auc.mean", 0.8),
        ("LessThanOrEqualTo", "metrics.brier_score.mean", 0.2),
    ]


def test_the_text_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = definition.render(built(tmp_path / "a"))
    shuffled = copy.deepcopy(PIPELINE)
    shuffled["tuning"]["ranges"] = dict(reversed(list(shuffled["tuning"]["ranges"].items())))
    shuffled = dict(reversed(list(shuffled.items())))
    (tmp_path / "b").mkdir()
    second = definition.render(built(tmp_path / "b", shuffled))
    assert first == second
    assert first == json.dumps(json.loads(first), indent=2, sort_keys=True) + "\n"


def test_the_training_image_is_awss_scikit_learn_image_of_the_region() -> None:
    assert definition.default_training_image("us-east-2") == (
        "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )
    with pytest.raises(ConfigError, match="give training_image"):
        definition.default_training_image("xx-nowhere-1")


def test_grid_without_vpc_still_passes_the_check(tmp_path: Path) -> None:
    pipeline = copy.deepcopy(PIPELINE)
    pipeline["tuning"].update(
        strategy="Grid",
        ranges={
            "max_depth": {"type": "Categorical", "values": [2, 3, 4]},
            "loss": {"type": "Categorical", "values": ["log_loss"]},
        },
    )
    document = built(tmp_path, pipeline, subnets=[], security_groups=[])
    tune = step(document, "Tune")["Arguments"]
    assert tune["HyperParameterTuningJobConfig"]["ResourceLimits"] == {"MaxParallelTrainingJobs": 2}
    assert tune["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"][1] == {
        "Name": "max_depth",
        "Values": ["2", "3", "4"],
    }
    assert "VpcConfig" not in tune["TrainingJobDefinition"]
    assert "NetworkConfig" not in step(document, "ValidateData")["Arguments"]
    assert check.check_definition(document) == []


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    pipeline = copy.deepcopy(PIPELINE)
    node = pipeline
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return pipeline


_DELETE = object()
RANGE = ("tuning", "ranges", "max_depth")


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        pytest.param(
            _with((*RANGE, "min"), "two"),
            "$.tuning.ranges.max_depth.min: expected a number, got text",
            id="bad-type",
        ),
        pytest.param(
            _with(("tuning", "max_jobs"), 2.5), "$.tuning.max_jobs: expected a whole number", id="float-jobs"
        ),
        pytest.param(
            _with((*RANGE,), {"type": "Integer", "min": 5, "max": 2}),
            "min 5 is greater than max 2",
            id="inverted",
        ),
        pytest.param(
            _with((*RANGE,), {"type": "Integer", "min": 3, "max": 3}),
            "an empty range with nothing to tune",
            id="empty",
        ),
        pytest.param(_with(("tuning", "ranges"), {}), "$.tuning.ranges:", id="no-ranges"),
        pytest.param(
            _with((*RANGE,), {"type": "Categorical", "values": []}),
            "$.tuning.ranges.max_depth.values:",
            id="no-values",
        ),
        pytest.param(
            _with(("tuning", "ranges", "learning_rate", "min"), 0),
            "Logarithmic scaling needs a range above 0",
            id="log-at-zero",
        ),
        pytest.param(
            _with(("tuning", "strategy"), "Hyperband"),
            "$.tuning.strategy: 'Hyperband' is not allowed",
            id="strategy",
        ),
        pytest.param(
            _with(("tuning", "strategy"), "Grid"),
            "$.tuning.ranges.learning_rate: the Grid strategy searches Categorical ranges only",
            id="grid-continuous",
        ),
        pytest.param(
            _with(("cross_validation", "folds"), 1),
            "$.cross_validation.folds: 1 is less than the minimum of 2",
            id="folds",
        ),
        pytest.param(
            _with(("thresholds", "f1"), {"min": 0.5}),
            "$.thresholds.f1: the evaluation does not produce 'f1'",
            id="unknown-metric",
        ),
        pytest.param(
            _with(("thresholds", "bias"), {"XYZ": {"max_abs": 0.1}}),
            "$.thresholds.bias.XYZ: 'XYZ' is not a Clarify bias metric",
            id="unknown-bias",
        ),
        pytest.param(
            _with(("thresholds", "auc"), {"at_least": 0.5}),
            "$.thresholds.auc.at_least: unknown field",
            id="bad-rule",
        ),
        pytest.param(
            _with(("objective", "metric"), "validation:f1"),
            "'validation:f1' is not a metric the training",
            id="objective",
        ),
        pytest.param(
            _with(("tuning", "max_parallel_jobs"), 20), "20 is more than max_jobs 12", id="parallel"
        ),
        pytest.param(_with(("label",), _DELETE), "$.label: missing", id="no-label"),
        pytest.param(
            _with(("tuning", "ranges", "sagemaker_program"), {"type": "Integer", "min": 1, "max": 2}),
            "$.tuning.ranges: 'sagemaker_program' is not valid",
            id="reserved",
        ),
    ],
)
def test_a_bad_pipeline_yaml_is_refused_with_its_message(
    tmp_path: Path, pipeline: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        built(tmp_path, pipeline)
    assert "pipeline.yaml" in str(caught.value)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    pipeline = _with((*RANGE,), {"type": "Integer", "min": 5, "max": 2})
    pipeline["cross_validation"]["folds"] = 1
    with pytest.raises(ConfigError) as caught:
        built(tmp_path, pipeline)
    assert len(caught.value.problems) == 2


def test_model_card_thresholds_on_metrics_the_evaluation_lacks_are_refused(tmp_path: Path) -> None:
    pipeline = {k: v for k, v in PIPELINE.items() if k != "thresholds"}
    card = copy.deepcopy(CARD)
    card["evaluation"]["metrics"].append(
        {"name": "perplexity", "value": 1.2, "threshold": 2.0, "direction": "lower_is_better"}
    )
    settings = definition.load_settings(project(tmp_path, pipeline, card), VALUES)
    with pytest.raises(
        ConfigError, match=r"\$\.evaluation\.metrics\.perplexity: the evaluation does not produce"
    ):
        definition.build_definition(settings)


def test_no_threshold_at_all_is_refused(tmp_path: Path) -> None:
    pipeline = {k: v for k, v in PIPELINE.items() if k != "thresholds"}
    card = copy.deepcopy(CARD)
    del card["evaluation"]
    settings = definition.load_settings(project(tmp_path, pipeline, card), VALUES)
    with pytest.raises(ConfigError, match="no thresholds to judge the evaluation by"):
        definition.build_definition(settings)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"job_role_arn": "churn-role"}, "job_role_arn: 'churn-role' is not valid; write an IAM role ARN"),
        ({"security_groups": []}, "subnets and security_groups: give both"),
        ({"kms_key_arn": None}, "kms_key_arn: missing"),
        ({"subnets": ["vpc-123"]}, "subnets: 'vpc-123' is not a subnet id"),
        ({"surprise": "x"}, "unknown pipeline settings: 'surprise'"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, values: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        definition.load_settings(project(tmp_path), {**VALUES, **values})
    assert expected in str(caught.value)
