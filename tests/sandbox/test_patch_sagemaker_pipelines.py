"""SageMaker Pipelines in the sandbox: an execution runs its steps (a processing job created as the pipeline's
role, a condition on a property file read with Std:JsonGet, a model package registered, a Fail step),
reports them as ListPipelineExecutionSteps does, retries, and names the failing step with its job's log;
a bad definition or a wrong-typed parameter is refused and nothing is made."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from tests.sandbox.support import client_error, service_role

pytestmark = pytest.mark.sandbox

SCRIPT = """\
import json, os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("evaluating with", sorted(args))
if "--flaky" in args and not os.path.exists(args["--flaky"]):
    open(args["--flaky"], "w").close()
    sys.exit("flaky: first attempt fails")
if args.get("--fail"):
    print("about to fail", file=sys.stderr)
    sys.exit("the data is bad: " + args["--fail"])
time.sleep(float(args.get("--sleep", 0)))
with open(os.path.join(args["--out"], "evaluation.json"), "w") as f:
    json.dump({"metrics": {"auc": {"mean": float(args["--auc"])}}}, f)
"""
ACTIVE = ("Succeeded", "Failed", "Stopped")


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    return AwsTarget.sandbox(sandbox_url)


@pytest.fixture(scope="module")
def setup(account: AwsTarget) -> dict[str, str]:
    """The code bucket, the job's role, the pipeline's role (and two that lack a permission), the group."""
    bucket = f"pipelines-{account.account_id}"
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region})
    s3.put_object(Bucket=bucket, Key="code/evaluate.py", Body=SCRIPT.encode())
    job_role = service_role(
        account,
        "evaluation-job",
        "sagemaker.amazonaws.com",
        [
            _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
            _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
            _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/*"),
        ],
    )
    pass_role = _allow("iam:PassRole", job_role)
    create = _allow(["sagemaker:CreateProcessingJob", "sagemaker:CreateModelPackage"])
    read = _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")
    role = service_role(account, "pipeline", "sagemaker.amazonaws.com", [pass_role, create, read])
    no_pass = service_role(account, "pipeline-no-pass", "sagemaker.amazonaws.com", [create, read])
    no_create = service_role(
        account,
        "pipeline-no-create",
        "sagemaker.amazonaws.com",
        [pass_role, read, _allow("sagemaker:CreateModelPackage")],
    )
    account.client("sagemaker").create_model_package_group(ModelPackageGroupName="churn")
    return {"bucket": bucket, "job_role": job_role, "role": role, "no_pass": no_pass, "no_create": no_create}


def evaluate_step(setup: dict[str, str], *args: Any, **extra: Any) -> dict[str, Any]:
    bucket = setup["bucket"]
    return {
        "Name": "Evaluate",
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}
            },
            "AppSpecification": {
                "ImageUri": prebuilt_image("eu-west-1", "1.2-1"),
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/evaluate.py"],
                "ContainerArguments": [
                    "--out",
                    "/opt/ml/processing/evaluation",
                    "--auc",
                    {"Get": "Parameters.Auc"},
                    *args,
                ],
            },
            "RoleArn": setup["job_role"],
            "ProcessingInputs": [
                {
                    "InputName": "code",
                    "S3Input": {
                        "S3Uri": f"s3://{bucket}/code",
                        "LocalPath": "/opt/ml/processing/code",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "evaluation",
                        "S3Output": {
                            "S3Uri": {
                                "Std:Join": {
                                    "On": "/",
                                    "Values": [
                                        f"s3://{bucket}/runs",
                                        {"Get": "Execution.PipelineExecutionId"},
                                    ],
                                }
                            },
                            "LocalPath": "/opt/ml/processing/evaluation",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
        "PropertyFiles": [
            {"PropertyFileName": "Evaluation", "OutputName": "evaluation", "FilePath": "evaluation.json"}
        ],
        **extra,
    }


AUC = {
    "Std:JsonGet": {
        "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Evaluation"},
        "Path": "metrics.auc.mean",
    }
}
OUTPUT = {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"}


def definition(setup: dict[str, str], *args: Any, **extra: Any) -> dict[str, Any]:
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "churn",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": prebuilt_image("eu-west-1", "1.2-1"),
                        "ModelDataUrl": {"Std:Join": {"On": "/", "Values": [OUTPUT, "model.tar.gz"]}},
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
        "Arguments": {
            "ErrorMessage": {
                "Std:Join": {"On": " ", "Values": ["auc", AUC, "is below", {"Get": "Parameters.Threshold"}]}
            }
        },
    }
    check = {
        "Name": "CheckEvaluation",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": AUC,
                    "RightValue": {"Get": "Parameters.Threshold"},
                },
                {"Type": "Not", "Expression": {"Type": "In", "QueryValue": "x", "Values": ["y", "z"]}},
            ],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "Auc", "Type": "String", "DefaultValue": "0.9"},
            {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.75},
        ],
        "Steps": [evaluate_step(setup, *args, **extra), check],
    }


def create(
    account: AwsTarget, setup: dict[str, str], name: str, document: dict[str, Any], **changes: Any
) -> str:
    params: dict[str, Any] = {
        "PipelineName": name,
        "PipelineDefinition": json.dumps(document),
        "RoleArn": setup["role"],
        "Tags": [{"Key": "launchpad:sandbox:time-scale", "Value": "0.01"}],
        **changes,
    }
    return str(account.client("sagemaker").create_pipeline(**params)["PipelineArn"])


def ended(account: AwsTarget, arn: str, timeout: float = 60.0) -> dict[str, Any]:
    sagemaker = account.client("sagemaker")

    def done() -> dict[str, Any] | None:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        return described if described["PipelineExecutionStatus"] in ACTIVE else None

    return workloads.poll(done, timeout, 0.1, f"pipeline execution {arn} to end")


def steps(account: AwsTarget, arn: str) -> dict[str, dict[str, Any]]:
    listed = account.client("sagemaker").list_pipeline_execution_steps(PipelineExecutionArn=arn)
    return {s["StepName"]: s for s in listed["PipelineExecutionSteps"]}


def run(account: AwsTarget, name: str, **parameters: str) -> tuple[str, dict[str, Any]]:
    started = account.client("sagemaker").start_pipeline_execution(
        PipelineName=name, PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()]
    )
    arn = started["PipelineExecutionArn"]
    return arn, ended(account, arn)


# -- executions ---------------------------------------------------------------------------------------------
def test_an_execution_runs_processing_condition_and_register_as_the_pipelines_role(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    create(account, setup, "churn-training", definition(setup))
    arn, described = run(account, "churn-training")
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    execution_id = arn.rsplit("/", 1)[-1]
    found = steps(account, arn)
    assert list(found) == ["Register", "CheckEvaluation", "Evaluate"]  # newest first
    evaluate = found["Evaluate"]
    assert evaluate["StepStatus"] == "Succeeded" and evaluate["AttemptCount"] == 1
    job_arn = evaluate["Metadata"]["ProcessingJob"]["Arn"]
    job_name = job_arn.rsplit("/", 1)[-1]
    assert job_name.startswith(f"pipelines-{execution_id}-evaluate-".lower()) or job_name.startswith(
        f"pipelines-{execution_id}-Evaluate-"
    )
    job = account.client("sagemaker").describe_processing_job(ProcessingJobName=job_name)
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"s3://{setup['bucket']}/runs/{execution_id}"
    )
    assert found["CheckEvaluation"]["Metadata"] == {"Condition": {"Outcome": "True"}}
    package_arn = found["Register"]["Metadata"]["RegisterModel"]["Arn"]
    package = account.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == (
        f"s3://{setup['bucket']}/runs/{execution_id}/model.tar.gz"
    )
    parameters = account.client("sagemaker").list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    assert parameters["PipelineParameters"] == [
        {"Name": "Auc", "Value": "0.9"},
        {"Name": "Threshold", "Value": "0.75"},
    ]
    usage = workloads.usage(account, setup["role"])["actions"]
    assert {"sagemaker:CreateProcessingJob", "iam:PassRole", "sagemaker:CreateModelPackage"} <= set(usage)


def test_the_else_branch_fails_the_execution_with_the_fail_steps_message(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    create(account, setup, "churn-low", definition(setup))
    arn, described = run(account, "churn-low", Auc="0.5")
    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"] == "auc 0.5 is below 0.75"
    found = steps(account, arn)
    assert set(found) == {"Evaluate", "CheckEvaluation", "EvaluationFailed"}
    assert found["CheckEvaluation"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    failed = found["EvaluationFailed"]
    assert failed["StepStatus"] == "Failed"
    assert failed["Metadata"] == {"Fail": {"ErrorMessage": "auc 0.5 is below 0.75"}}
    assert failed["FailureReason"] == "auc 0.5 is below 0.75"


def test_a_failing_step_is_named_with_the_end_of_its_log_and_nothing_after_it_runs(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    create(account, setup, "churn-broken", definition(setup, "--fail", "no label column"))
    arn, described = run(account, "churn-broken")
    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"].startswith("Step failure: Step Evaluate failed: AlgorithmError: ")
    assert described["FailureReason"].endswith("the data is bad: no label column")
    found = steps(account, arn)
    assert list(found) == ["Evaluate"]
    assert found["Evaluate"]["StepStatus"] == "Failed"
    assert "about to fail" in found["Evaluate"]["FailureReason"]
    summaries = account.client("sagemaker").list_pipeline_executions(PipelineName="churn-broken")
    assert (
        summaries["PipelineExecutionSummaries"][0]["PipelineExecutionFailureReason"]
        == (described["FailureReason"])
    )


def test_a_retry_policy_retries_the_failure_it_names(
    account: AwsTarget, setup: dict[str, str], tmp_path: Any
) -> None:
    marker = str(tmp_path / "attempted")
    retry = [{"FailureValue": ["AlgorithmError"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3}]
    create(account, setup, "churn-flaky", definition(setup, "--flaky", marker, RetryPolicies=retry))
    arn, described = run(account, "churn-flaky")
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    assert steps(account, arn)["Evaluate"]["AttemptCount"] == 2
    # a policy for another failure does not retry
    other = [{"ExceptionType": ["SageMaker.CAPACITY_ERROR"], "MaxAttempts": 3}]
    marker2 = str(tmp_path / "attempted-2")
    create(account, setup, "churn-flaky-2", definition(setup, "--flaky", marker2, RetryPolicies=other))
    arn, described = run(account, "churn-flaky-2")
    assert described["PipelineExecutionStatus"] == "Failed"
    assert steps(account, arn)["Evaluate"]["AttemptCount"] == 1


@pytest.mark.parametrize(
    ("role", "action"), [("no_pass", "iam:PassRole"), ("no_create", "sagemaker:CreateProcessingJob")]
)
def test_a_pipeline_role_that_may_not_create_the_job_fails_the_step_naming_the_action(
    account: AwsTarget, setup: dict[str, str], role: str, action: str
) -> None:
    name = f"churn-{role.replace('_', '-')}"
    create(account, setup, name, definition(setup), RoleArn=setup[role])
    arn, described = run(account, name)
    assert described["PipelineExecutionStatus"] == "Failed"
    reason = steps(account, arn)["Evaluate"]["FailureReason"]
    assert reason.startswith("ClientError: An error occurred (AccessDeniedException) when calling the ")
    assert f"is not authorized to perform: {action} on resource" in reason
    assert f"assumed-role/{setup[role].rsplit('/', 1)[1]}/SageMaker is not" in reason


def test_stop_pipeline_execution_stops_the_running_job(account: AwsTarget, setup: dict[str, str]) -> None:
    create(account, setup, "churn-slow", definition(setup, "--sleep", "60"))
    sagemaker = account.client("sagemaker")
    arn = sagemaker.start_pipeline_execution(PipelineName="churn-slow")["PipelineExecutionArn"]
    workloads.poll(
        lambda: steps(account, arn).get("Evaluate", {}).get("StepStatus") == "Executing" or None,
        30,
        0.1,
        "the step to execute",
    )
    sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    described = ended(account, arn)
    assert described["PipelineExecutionStatus"] == "Stopped"
    evaluate = steps(account, arn)["Evaluate"]
    assert evaluate["StepStatus"] == "Stopped"
    job = evaluate["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    assert sagemaker.describe_processing_job(ProcessingJobName=job)["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as raised:
        sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    assert client_error(raised)[0] == "ConflictException"


def test_listing_executions_sorts_and_pages_and_a_token_is_idempotent(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    document = {
        "Version": "2020-12-01",
        "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stop"}}],
    }
    create(account, setup, "listed", document)
    sagemaker = account.client("sagemaker")
    arns = [
        sagemaker.start_pipeline_execution(PipelineName="listed", PipelineExecutionDisplayName=f"run-{n}")[
            "PipelineExecutionArn"
        ]
        for n in range(3)
    ]
    again = sagemaker.start_pipeline_execution(
        PipelineName="listed", ClientRequestToken="token-1-" + "0" * 30
    )
    same = sagemaker.start_pipeline_execution(PipelineName="listed", ClientRequestToken="token-1-" + "0" * 30)
    assert again["PipelineExecutionArn"] == same["PipelineExecutionArn"]
    arns.append(again["PipelineExecutionArn"])
    first = sagemaker.list_pipeline_executions(PipelineName="listed", MaxResults=3)
    rest = sagemaker.list_pipeline_executions(
        PipelineName="listed", MaxResults=3, NextToken=first["NextToken"]
    )
    listed = [s["PipelineExecutionArn"] for s in first["PipelineExecutionSummaries"]]
    listed += [s["PipelineExecutionArn"] for s in rest["PipelineExecutionSummaries"]]
    assert listed == list(reversed(arns)) and "NextToken" not in rest
    ascending = sagemaker.list_pipeline_executions(PipelineName="listed", SortOrder="Ascending")
    assert [s["PipelineExecutionArn"] for s in ascending["PipelineExecutionSummaries"]] == arns
    assert ascending["PipelineExecutionSummaries"][0]["PipelineExecutionDisplayName"] == "run-0"
    for arn in arns:
        ended(account, arn)


# -- refused before anything runs ----------------------------------------------------------------------------
def test_a_bad_definition_is_refused_and_nothing_is_stored(account: AwsTarget, setup: dict[str, str]) -> None:
    sagemaker = account.client("sagemaker")
    cyclic = definition(setup)
    cyclic["Steps"][0]["DependsOn"] = ["CheckEvaluation"]
    dangling = definition(setup)
    dangling["Steps"][0]["DependsOn"] = ["Prepare"]
    transform = copy.deepcopy(definition(setup))
    transform["Steps"].append({"Name": "Batch", "Type": "Transform", "Arguments": {}})
    for name, document, said in (
        ("cyclic", cyclic, "form a cycle (CheckEvaluation -> Evaluate -> CheckEvaluation)"),
        ("dangling", dangling, "Step Evaluate DependsOn Prepare, which is not a step of the pipeline."),
        ("transform", transform, "launchpad sandbox: step Batch of type Transform is not modelled"),
    ):
        with pytest.raises(ClientError) as raised:
            create(account, setup, name, document)
        code, message = client_error(raised)
        assert code == "ValidationException" and said in message, message
        names = [
            p["PipelineName"] for p in sagemaker.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"]
        ]
        assert names == []


def test_a_definition_is_read_from_s3_and_a_role_sagemaker_cannot_assume_is_refused(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker, s3 = account.client("sagemaker"), account.client("s3")
    s3.put_object(Bucket=setup["bucket"], Key="definition.json", Body=json.dumps(definition(setup)).encode())
    sagemaker.create_pipeline(
        PipelineName="from-s3",
        PipelineDefinitionS3Location={"Bucket": setup["bucket"], "ObjectKey": "definition.json"},
        RoleArn=setup["role"],
    )
    assert json.loads(
        sagemaker.describe_pipeline(PipelineName="from-s3")["PipelineDefinition"]
    ) == definition(setup)
    cyclic = definition(setup)
    cyclic["Steps"][0]["DependsOn"] = ["CheckEvaluation"]
    with pytest.raises(ClientError) as raised:
        sagemaker.update_pipeline(PipelineName="from-s3", PipelineDefinition=json.dumps(cyclic))
    assert client_error(raised)[0] == "ValidationException" and "form a cycle" in client_error(raised)[1]
    stored = sagemaker.describe_pipeline(PipelineName="from-s3")["PipelineDefinition"]
    assert json.loads(stored) == definition(setup)
    lambda_role = service_role(account, "not-for-sagemaker", "lambda.amazonaws.com")
    with pytest.raises(ClientError) as raised:
        create(account, setup, "wrong-role", definition(setup), RoleArn=lambda_role)
    code, message = client_error(raised)
    assert code == "ValidationException" and message.startswith(f"Could not assume role {lambda_role}.")
    with pytest.raises(ClientError) as raised:
        sagemaker.describe_pipeline(PipelineName="wrong-role")
    assert client_error(raised)[0] == "ResourceNotFound"


def test_a_wrong_typed_parameter_is_refused_and_no_execution_is_made(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    create(account, setup, "typed", definition(setup))
    sagemaker = account.client("sagemaker")
    for parameters, said in (
        (
            [{"Name": "Threshold", "Value": "high"}],
            'Parameter Threshold is of type Float: "high" is not a Float.',
        ),
        ([{"Name": "Treshold", "Value": "0.5"}], "Parameter Treshold is not a parameter of the pipeline"),
    ):
        with pytest.raises(ClientError) as raised:
            sagemaker.start_pipeline_execution(PipelineName="typed", PipelineParameters=parameters)
        code, message = client_error(raised)
        assert code == "ValidationException" and said in message
    assert sagemaker.list_pipeline_executions(PipelineName="typed")["PipelineExecutionSummaries"] == []


def test_list_and_delete_pipelines(account: AwsTarget, setup: dict[str, str]) -> None:
    sagemaker = account.client("sagemaker")
    for name in ("zeta-pipe", "alpha-pipe", "mid-pipe"):
        create(account, setup, name, definition(setup))
    page = sagemaker.list_pipelines(SortBy="Name", SortOrder="Ascending", MaxResults=2)
    names = [p["PipelineName"] for p in page["PipelineSummaries"]]
    assert names == sorted(names) and len(names) == 2 and "NextToken" in page
    newest = sagemaker.list_pipelines(PipelineNamePrefix="mid-")["PipelineSummaries"]
    assert [p["PipelineName"] for p in newest] == ["mid-pipe"]
    sagemaker.delete_pipeline(PipelineName="mid-pipe", ClientRequestToken="delete-mid-" + "0" * 30)
    assert sagemaker.list_pipelines(PipelineNamePrefix="mid-")["PipelineSummaries"] == []


# -- training and tuning steps -------------------------------------------------------------------------------
TRAIN = """\
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--rate", type=float, default=0.5)
args = parser.parse_args()
for epoch in range(2):
    print(f"epoch={epoch} validation:auc={0.5 + args.rate / 2 + epoch / 100:.4f}", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
    f.write(str(args.rate))
"""


def _sourcedir() -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("train.py")
        info.size = len(TRAIN.encode())
        archive.addfile(info, io.BytesIO(TRAIN.encode()))
    return buffer.getvalue()


def test_training_and_tuning_steps_run_and_their_properties_flow_on(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    bucket = setup["bucket"]
    s3 = account.client("s3")
    s3.put_object(Bucket=bucket, Key="train/sourcedir.tar.gz", Body=_sourcedir())
    s3.put_object(Bucket=bucket, Key="train/data/a.csv", Body=b"x,label\n1,0\n")
    trainer = service_role(
        account,
        "trainer",
        "sagemaker.amazonaws.com",
        [
            _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
            _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
            _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/*"),
            _allow("cloudwatch:PutMetricData"),
        ],
    )
    creates = ["sagemaker:CreateTrainingJob", "sagemaker:CreateHyperParameterTuningJob"]
    role = service_role(
        account,
        "training-pipeline",
        "sagemaker.amazonaws.com",
        [
            _allow("iam:PassRole", trainer),
            _allow([*creates, "sagemaker:CreateModelPackage"]),
        ],
    )
    static = {
        "sagemaker_program": "train.py",
        "sagemaker_submit_directory": f"s3://{bucket}/train/sourcedir.tar.gz",
        "sagemaker_region": account.region,
    }
    image = prebuilt_image("eu-west-1", "1.2-1")
    common = {
        "AlgorithmSpecification": {
            "TrainingImage": image,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:auc", "Regex": "validation:auc=([0-9.]+)"}],
        },
        "RoleArn": trainer,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/data"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    train = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {**common, "HyperParameters": {**static, "rate": {"Get": "Parameters.Rate"}}},
    }
    tune = {
        "Name": "Tune",
        "Type": "Tuning",
        "Arguments": {
            "HyperParameterTuningJobConfig": {
                "Strategy": "Random",
                "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
                "ParameterRanges": {
                    "ContinuousParameterRanges": [{"Name": "rate", "MinValue": "0.1", "MaxValue": "0.9"}]
                },
                "TrainingJobEarlyStoppingType": "Off",
            },
            "TrainingJobDefinition": {**common, "StaticHyperParameters": static},
        },
    }
    metric = {"Get": "Steps.Train.FinalMetricDataList['validation:auc'].Value"}
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "churn",
            "ModelPackageDescription": {
                "Std:Join": {
                    "On": " ",
                    "Values": ["best:", {"Get": "Steps.Tune.BestTrainingJob.TrainingJobName"}],
                }
            },
            "InferenceSpecification": {
                "Containers": [
                    {"Image": image, "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        },
    }
    check = {
        "Name": "Good",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "GreaterThan", "LeftValue": metric, "RightValue": 0.5}],
            "IfSteps": [register],
            "ElseSteps": [],
        },
    }
    document = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "Rate", "Type": "String", "DefaultValue": "0.4"}],
        "Steps": [train, tune, check],
    }
    create(account, setup, "trained", document, RoleArn=role)
    arn, described = run(account, "trained")
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    found = steps(account, arn)
    sagemaker = account.client("sagemaker")
    training_name = found["Train"]["Metadata"]["TrainingJob"]["Arn"].rsplit("/", 1)[-1]
    job = sagemaker.describe_training_job(TrainingJobName=training_name)
    assert job["HyperParameters"]["rate"] == "0.4"
    tuning_name = found["Tune"]["Metadata"]["TuningJob"]["Arn"].rsplit("/", 1)[-1]
    assert len(tuning_name) <= 32 and tuning_name.startswith(arn.rsplit("/", 1)[-1])
    tuning = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name)
    package = sagemaker.describe_model_package(
        ModelPackageName=found["Register"]["Metadata"]["RegisterModel"]["Arn"]
    )
    assert package["ModelPackageDescription"] == f"best: {tuning['BestTrainingJob']['TrainingJobName']}"
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == (
        f"s3://{bucket}/models/{training_name}/output/model.tar.gz"
    )
