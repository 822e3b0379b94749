"""launchpad.pipeline.check: a pipeline definition's shape, references, cycles and parameters."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from launchpad.pipeline.check import check_definition, check_parameters, cycles, dependencies

ROLE = "arn:aws:iam::123456789012:role/pipeline"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def processing(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
            },
            "AppSpecification": {"ImageUri": IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/code/x.py"]},
            "RoleArn": ROLE,
            "ProcessingInputs": [
                {
                    "InputName": "data",
                    "S3Input": {
                        "S3Uri": {"Get": "Parameters.TrainingData"},
                        "LocalPath": "/opt/ml/processing/data",
                        "S3DataType": "S3Prefix",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "evaluation",
                        "S3Output": {
                            "S3Uri": "s3://bucket/evaluation",
                            "LocalPath": "/opt/ml/processing/evaluation",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
        },
        **extra,
    }


def definition() -> dict[str, Any]:
    evaluate = processing(
        "Evaluate",
        PropertyFiles=[
            {"PropertyFileName": "Evaluation", "OutputName": "evaluation", "FilePath": "evaluation.json"}
        ],
        RetryPolicies=[
            {"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 1, "MaxAttempts": 2}
        ],
    )
    evaluate["DependsOn"] = ["Validate"]
    auc = {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Evaluation"},
            "Path": "metrics.auc.mean",
        }
    }
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "churn",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": IMAGE,
                        "ModelDataUrl": {
                            "Std:Join": {
                                "On": "/",
                                "Values": [
                                    {
                                        "Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation']"
                                        ".S3Output.S3Uri"
                                    },
                                    "model.tar.gz",
                                ],
                            }
                        },
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        },
    }
    fail = {
        "Name": "EvaluationFailed",
        "Type": "Fail",
        "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": ["auc", auc, "below 0.75"]}}},
    }
    check = {
        "Name": "CheckEvaluation",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {"Type": "GreaterThanOrEqualTo", "LeftValue": auc, "RightValue": 0.75},
                {
                    "Type": "Not",
                    "Expression": {"Type": "In", "QueryValue": {"Get": "Parameters.Mode"}, "Values": ["off"]},
                },
                {"Type": "Or", "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 1}]},
            ],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": "TrainingData", "Type": "String"},
            {"Name": "MaxTrainingJobs", "Type": "Integer", "DefaultValue": 4},
            {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.75},
            {"Name": "Strict", "Type": "Boolean", "DefaultValue": False},
            {"Name": "Mode", "Type": "String", "DefaultValue": "on", "EnumValues": ["on", "off"]},
        ],
        "Steps": [processing("Validate"), evaluate, check],
    }


def step(document: dict[str, Any], name: str) -> dict[str, Any]:
    from launchpad.pipeline.check import steps_with_places

    return next(s for s, _ in steps_with_places(document["Steps"]) if s["Name"] == name)


def test_a_valid_definition_passes_as_a_mapping_and_as_json_text() -> None:
    assert check_definition(definition()) == []
    assert check_definition(json.dumps(definition())) == []


def test_other_step_types_are_accepted_with_the_right_shape_and_unknown_ones_are_not() -> None:
    document = definition()
    document["Steps"].append({"Name": "Batch", "Type": "Transform", "Arguments": {"TransformJobName": "x"}})
    assert check_definition(document) == []
    document["Steps"][-1]["Type"] = "Procesing"
    (problem,) = check_definition(document)
    assert problem.startswith("Step Batch has Type Procesing, which is not a SageMaker Pipelines step type")


def test_a_bad_version_is_refused() -> None:
    document = definition()
    document["Version"] = "2021-01-01"
    (problem,) = check_definition(document)
    assert "$.Version" in problem and "2021-01-01" in problem and "2020-12-01" in problem


def test_not_json_and_not_an_object() -> None:
    assert check_definition("{")[0].startswith("The pipeline definition is not valid JSON")
    assert check_definition("[]") == ["The pipeline definition must be a JSON object, not a list."]


def test_shapes_the_schema_refuses() -> None:
    document = definition()
    del step(document, "Validate")["Arguments"]["RoleArn"]
    step(document, "CheckEvaluation")["Arguments"]["Conditions"][0]["Type"] = "Bigger"
    step(document, "Evaluate")["Name"] = "bad name!"
    problems = check_definition(document)
    assert any("$.Steps[0].Arguments.RoleArn: missing" in p for p in problems)
    assert any("Conditions[0].Type" in p and "Bigger" in p for p in problems)
    assert any("$.Steps[1].Name" in p and "bad name!" in p for p in problems)


def test_duplicate_step_names() -> None:
    document = definition()
    document["Steps"].append(processing("Validate"))
    assert "Step name Validate is used by 2 steps: step names must be unique." in check_definition(document)


def test_a_step_in_a_branch_and_elsewhere() -> None:
    document = definition()
    document["Steps"].append(copy.deepcopy(step(document, "Register")))
    (problem,) = check_definition(document)
    assert problem == (
        "Step Register is in the IfSteps of condition step CheckEvaluation and also in the pipeline's Steps: "
        "a step of a condition's branches must be defined there only."
    )


def test_dangling_depends_on() -> None:
    document = definition()
    step(document, "Evaluate")["DependsOn"] = ["Validte"]
    assert check_definition(document) == [
        "Step Evaluate DependsOn Validte, which is not a step of the pipeline."
    ]


def test_dangling_get_of_a_step_property() -> None:
    document = definition()
    values = step(document, "Register")["Arguments"]["InferenceSpecification"]["Containers"][0]
    values["ModelDataUrl"]["Std:Join"]["Values"][0]["Get"] = "Steps.Train.ModelArtifacts.S3ModelArtifacts"
    (problem,) = check_definition(document)
    assert problem == (
        "Step Register gets Steps.Train.ModelArtifacts.S3ModelArtifacts, but Train is not a step of the "
        "pipeline."
    )


def test_undefined_parameter() -> None:
    document = definition()
    document["Parameters"] = [p for p in document["Parameters"] if p["Name"] != "TrainingData"]
    problems = check_definition(document)
    assert problems == [
        "Step Validate gets Parameters.TrainingData, but TrainingData is not a parameter of the pipeline "
        "(its Parameters: MaxTrainingJobs, Threshold, Strict, Mode).",
        "Step Evaluate gets Parameters.TrainingData, but TrainingData is not a parameter of the pipeline "
        "(its Parameters: MaxTrainingJobs, Threshold, Strict, Mode).",
    ]


def test_unknown_execution_variable_is_refused_by_the_schema() -> None:
    document = definition()
    step(document, "Validate")["Arguments"]["Environment"] = {"RUN": {"Get": "Execution.Nope"}}
    (problem,) = check_definition(document)
    assert "$.Steps[0].Arguments.Environment.RUN" in problem


@pytest.mark.parametrize(
    ("kind", "default", "said"),
    [
        ("Integer", "4", 'Parameter P is of type Integer but its DefaultValue "4" is a string.'),
        ("Integer", True, "Parameter P is of type Integer but its DefaultValue true is a boolean."),
        (
            "Integer",
            1.5,
            "Parameter P is of type Integer but its DefaultValue 1.5 is a number with a fraction.",
        ),
        ("Float", "0.5", 'Parameter P is of type Float but its DefaultValue "0.5" is a string.'),
        ("Boolean", "true", 'Parameter P is of type Boolean but its DefaultValue "true" is a string.'),
        ("String", 3, "Parameter P is of type String but its DefaultValue 3 is an integer."),
    ],
)
def test_wrong_type_defaults(kind: str, default: Any, said: str) -> None:
    document = definition()
    document["Parameters"].append({"Name": "P", "Type": kind, "DefaultValue": default})
    assert check_definition(document) == [said]


def test_float_defaults_may_be_integers_and_duplicate_parameters_are_refused() -> None:
    document = definition()
    document["Parameters"].append({"Name": "F", "Type": "Float", "DefaultValue": 1})
    assert check_definition(document) == []
    document["Parameters"].append({"Name": "F", "Type": "Float"})
    assert check_definition(document) == [
        "Parameter F is declared more than once: parameter names must be unique."
    ]


def test_json_get_of_an_undeclared_property_file() -> None:
    document = definition()
    del step(document, "Evaluate")["PropertyFiles"]
    problems = check_definition(document)
    assert problems == [
        "Step CheckEvaluation reads property file Evaluation of step Evaluate (Std:JsonGet), which step "
        "Evaluate does not declare in its PropertyFiles (it declares: none).",
        "Step EvaluationFailed reads property file Evaluation of step Evaluate (Std:JsonGet), which step "
        "Evaluate does not declare in its PropertyFiles (it declares: none).",
    ]


def test_cycle_through_depends_on_is_named() -> None:
    document = definition()
    step(document, "Validate")["DependsOn"] = ["Evaluate"]
    assert check_definition(document) == [
        "The steps Evaluate, Validate form a cycle (Evaluate -> Validate -> Evaluate): each waits for the "
        "next (through DependsOn, property references or a condition's branches)."
    ]


def test_cycle_through_a_property_reference_and_a_condition_branch() -> None:
    document = definition()
    # Validate reads a property of Register, which runs after CheckEvaluation, which reads Evaluate's file,
    # and Evaluate depends on Validate.
    step(document, "Validate")["Arguments"]["Environment"] = {
        "PACKAGE": {"Get": "Steps.Register.ModelPackageArn"}
    }
    problems = check_definition(document)
    assert any(
        "(CheckEvaluation -> Evaluate -> Validate -> Register -> CheckEvaluation)" in p for p in problems
    )
    assert any("(Evaluate -> Validate -> Register -> Evaluate)" in p for p in problems)


def test_self_reference_is_a_cycle() -> None:
    document = definition()
    step(document, "Validate")["DependsOn"] = ["Validate"]
    (problem,) = check_definition(document)
    assert "(Validate -> Validate)" in problem


def test_dependencies_and_cycles_helpers() -> None:
    graph = dependencies(definition()["Steps"])
    assert graph == {
        "Validate": [],
        "Evaluate": ["Validate"],
        "CheckEvaluation": ["Evaluate"],
        "Register": ["CheckEvaluation", "Evaluate"],
        "EvaluationFailed": ["CheckEvaluation", "Evaluate"],
    }
    assert cycles(graph) == []
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"]}) == [["a", "b", "c", "a"], ["d", "d"]]


def test_retry_policy_shapes() -> None:
    document = definition()
    step(document, "Evaluate")["RetryPolicies"] = [{"IntervalSeconds": 1}]
    (problem,) = check_definition(document)
    assert "RetryPolicies[0]" in problem


def test_check_parameters() -> None:
    document = definition()
    assert check_parameters(document, {"TrainingData": "s3://b/p", "MaxTrainingJobs": "12"}) == []
    assert check_parameters(document, {"Threshold": "1e-3", "Strict": "True", "Mode": "off"}) == []
    assert check_parameters(document, {"MaxTrainingJobs": "twelve"}) == [
        'Parameter MaxTrainingJobs is of type Integer: "twelve" is not an Integer.'
    ]
    assert check_parameters(document, {"MaxTrainingJobs": "1.5"}) == [
        'Parameter MaxTrainingJobs is of type Integer: "1.5" is not an Integer.'
    ]
    assert check_parameters(document, {"Threshold": "high"}) == [
        'Parameter Threshold is of type Float: "high" is not a Float.'
    ]
    assert check_parameters(document, {"Strict": "yes"}) == [
        'Parameter Strict is of type Boolean: "yes" is not a Boolean.'
    ]
    assert check_parameters(document, {"Mode": "maybe"}) == [
        'Parameter Mode must be one of on, off: "maybe" is not.'
    ]
    assert check_parameters(document, {"Nope": "1"}) == [
        "Parameter Nope is not a parameter of the pipeline (its Parameters: TrainingData, MaxTrainingJobs, "
        "Threshold, Strict, Mode)."
    ]
