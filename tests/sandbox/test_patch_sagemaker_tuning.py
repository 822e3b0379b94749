"""SageMaker automatic model tuning in the sandbox: a tuning job launches script-mode training jobs (named as
AWS names them, with the static and the tuned hyperparameters, as the definition's role), reads each one's
objective from its log, picks the best, stops a bad job early, fails when no job reports its objective, and
refuses what AWS refuses and what the sandbox does not model, storing nothing."""

from __future__ import annotations

import io
import re
import tarfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from tests.sandbox.support import client_error, service_role, unchecked_client

pytestmark = pytest.mark.sandbox

# A training script: one line per epoch with its objective, from its hyperparameters.
SCRIPT = """\
import os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
data = os.listdir(os.environ["SM_CHANNEL_TRAIN"])
level = float(args.get("--level", "0"))
if "--x" in args:
    level = 0.5 + int(args["--x"]) / 20
for epoch in range(1, int(args.get("--epochs", "1")) + 1):
    if args.get("--mode") != "silent":
        print(f"epoch={epoch} validation:auc={level:.4f} train:auc={level + 0.01:.4f}", flush=True)
    time.sleep(float(args.get("--pause", "0")))
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
    f.write(f"{level} {len(data)}")
"""
DONE = ("Completed", "Failed", "Stopped")
REGION = "eu-west-1"


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _sourcedir() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        body = SCRIPT.encode()
        info = tarfile.TarInfo("train_job.py")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    return AwsTarget.sandbox(sandbox_url)


@pytest.fixture(scope="module")
def setup(account: AwsTarget) -> dict[str, str]:
    """A bucket with the code and the training data, and a role that may train with them."""
    bucket = f"tuning-{account.account_id}"
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region})
    s3.put_object(Bucket=bucket, Key="code/sourcedir.tar.gz", Body=_sourcedir())
    s3.put_object(Bucket=bucket, Key="data/train/train.csv", Body=b"a,b,label\n1,2,0\n")
    # no /aws/sagemaker/TrainingJobs log group: the first parallel training jobs create it once
    role = service_role(
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
    return {"bucket": bucket, "role": role}


def request(
    setup: dict[str, str],
    name: str,
    ranges: dict[str, Any],
    static: dict[str, str] | None = None,
    strategy: str = "Random",
    jobs: int | None = 3,
    parallel: int = 2,
    early: str = "Off",
) -> dict[str, Any]:
    """A CreateHyperParameterTuningJob request tuning SCRIPT over ``ranges``."""
    bucket = setup["bucket"]
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": parallel}
    if jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = jobs
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy,
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": limits,
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": early,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {
                "sagemaker_program": "train_job.py",
                "sagemaker_submit_directory": f"s3://{bucket}/code/sourcedir.tar.gz",
                "sagemaker_region": REGION,
                "sagemaker_container_log_level": "20",
                **(static or {}),
            },
            "AlgorithmSpecification": {
                "TrainingImage": prebuilt_image(REGION, "1.2-1"),
                "TrainingInputMode": "File",
                "MetricDefinitions": [
                    {"Name": "validation:auc", "Regex": "validation:auc=([0-9.]+)"},
                    {"Name": "train:auc", "Regex": "train:auc=([0-9.]+)"},
                ],
            },
            "RoleArn": setup["role"],
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/data/train"}
                    },
                }
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
        "Tags": [{"Key": "team", "Value": "churn"}],
    }


def ended(target: AwsTarget, name: str, timeout: float = 60.0) -> dict[str, Any]:
    sagemaker = target.client("sagemaker")

    def done() -> dict[str, Any] | None:
        described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        return described if described["HyperParameterTuningJobStatus"] in DONE else None

    return workloads.poll(done, timeout, 0.2, f"tuning job {name} to end")


def training_jobs(target: AwsTarget, name: str, **params: Any) -> list[dict[str, Any]]:
    return list(
        target.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, **params
        )["TrainingJobSummaries"]
    )


X_RANGE = {"IntegerParameterRanges": [{"Name": "x", "MinValue": "1", "MaxValue": "9"}]}


# -- tuning runs -------------------------------------------------------------------------------------------
def test_a_tuning_job_trains_with_the_tuned_values_and_picks_the_best(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker = account.client("sagemaker")
    arn = sagemaker.create_hyper_parameter_tuning_job(
        **request(setup, "churn-tune", X_RANGE, {"epochs": "2"}, strategy="Bayesian", jobs=3)
    )["HyperParameterTuningJobArn"]
    assert arn.endswith(":hyper-parameter-tuning-job/churn-tune")
    described = ended(account, "churn-tune")
    failures = [j.get("FailureReason") for j in training_jobs(account, "churn-tune")]
    assert described["HyperParameterTuningJobStatus"] == "Completed", described.get("FailureReason")
    assert described["TrainingJobStatusCounters"] == {
        "Completed": 3,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 0,
        "Stopped": 0,
    }, failures
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 3, "Pending": 0, "Failed": 0}
    assert described["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"] == [
        {"Name": "x", "MinValue": "1", "MaxValue": "9", "ScalingType": "Auto"}
    ]
    assert described["HyperParameterTuningEndTime"] >= described["CreationTime"]
    jobs = training_jobs(account, "churn-tune")
    assert [j["TrainingJobName"][:-9] for j in jobs] == ["churn-tune-001", "churn-tune-002", "churn-tune-003"]
    assert all(re.fullmatch(r"churn-tune-00\d-[0-9a-f]{8}", j["TrainingJobName"]) for j in jobs)
    values = {j["TrainingJobName"]: int(j["TunedHyperParameters"]["x"]) for j in jobs}
    assert len(set(values.values())) == 3 and all(1 <= v <= 9 for v in values.values())
    for job in jobs:
        metric = job["FinalHyperParameterTuningJobObjectiveMetric"]
        assert (metric["MetricName"], metric["Type"]) == ("validation:auc", "Maximize")
        assert metric["Value"] == pytest.approx(0.5 + values[job["TrainingJobName"]] / 20)
        assert (job["TrainingJobStatus"], job["ObjectiveStatus"]) == ("Completed", "Succeeded")
    best = described["BestTrainingJob"]
    top = max(jobs, key=lambda j: j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert best["TrainingJobName"] == top["TrainingJobName"]
    assert best["TunedHyperParameters"] == top["TunedHyperParameters"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(
        0.5 + values[top["TrainingJobName"]] / 20
    )
    # the training job: the static hyperparameters and the tuned one, the role, the tuning job's tags
    trained = sagemaker.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert trained["TuningJobArn"] == arn
    assert trained["HyperParameters"] == {
        **request(setup, "x", {})["TrainingJobDefinition"]["StaticHyperParameters"],
        "epochs": "2",
        "x": best["TunedHyperParameters"]["x"],
    }
    assert trained["RoleArn"] == setup["role"]
    tags = sagemaker.list_tags(ResourceArn=trained["TrainingJobArn"])["Tags"]
    assert {"Key": "team", "Value": "churn"} in tags
    model = f"models/{best['TrainingJobName']}/output/model.tar.gz"
    assert account.client("s3").head_object(Bucket=setup["bucket"], Key=model)["ContentLength"] > 0
    # the listings: sorted by objective, filtered by status, paged
    ranked = training_jobs(
        account, "churn-tune", SortBy="FinalObjectiveMetricValue", SortOrder="Descending", MaxResults=2
    )
    assert ranked[0]["TrainingJobName"] == best["TrainingJobName"] and len(ranked) == 2
    assert training_jobs(account, "churn-tune", StatusEquals="Failed") == []
    page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="churn-tune", MaxResults=2
    )
    rest = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="churn-tune", MaxResults=2, NextToken=page["NextToken"]
    )
    assert [
        j["TrainingJobName"] for j in page["TrainingJobSummaries"] + rest["TrainingJobSummaries"]
    ] == sorted(values)
    assert "NextToken" not in rest
    [summary] = sagemaker.list_hyper_parameter_tuning_jobs(NameContains="churn-tune")[
        "HyperParameterTuningJobSummaries"
    ]
    assert (summary["HyperParameterTuningJobStatus"], summary["Strategy"]) == ("Completed", "Bayesian")
    assert summary["ObjectiveStatusCounters"]["Succeeded"] == 3


def test_early_stopping_stops_a_job_worse_than_the_median_of_the_completed_ones(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    """Grid, one job at a time: 0.8 completes, 0.9 is better than the median (0.8), 0.1 is worse than the
    median of 0.8 and 0.9 at its first epoch and is stopped."""
    ranges = {"CategoricalParameterRanges": [{"Name": "level", "Values": ["0.8", "0.9", "0.1"]}]}
    params = request(
        setup,
        "early",
        ranges,
        {"epochs": "3", "pause": "0.4"},
        strategy="Grid",
        jobs=None,
        parallel=1,
        early="Auto",
    )
    account.client("sagemaker").create_hyper_parameter_tuning_job(**params)
    described = ended(account, "early")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 3
    jobs = {
        j["TunedHyperParameters"]["level"]: j for j in training_jobs(account, "early", SortBy="CreationTime")
    }
    assert [jobs[v]["TrainingJobStatus"] for v in ("0.8", "0.9", "0.1")] == [
        "Completed",
        "Completed",
        "Stopped",
    ]
    assert jobs["0.1"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(0.1)
    assert described["TrainingJobStatusCounters"]["Stopped"] == 1
    assert described["BestTrainingJob"]["TunedHyperParameters"] == {"level": "0.9"}
    stopped = account.client("sagemaker").describe_training_job(
        TrainingJobName=jobs["0.1"]["TrainingJobName"]
    )
    assert len(stopped["SecondaryStatusTransitions"]) and stopped["TrainingJobStatus"] == "Stopped"


def test_a_script_that_prints_no_metric_fails_the_tuning_job(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    params = request(setup, "silent", X_RANGE, {"mode": "silent"}, jobs=2)
    account.client("sagemaker").create_hyper_parameter_tuning_job(**params)
    described = ended(account, "silent")
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        "No training job succeeded after 2 attempts. Please take a look at the training job failures to get "
        "more details."
    )
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 0, "Pending": 0, "Failed": 2}
    assert described["TrainingJobStatusCounters"]["Completed"] == 2  # the jobs ran; their objective did not
    assert "BestTrainingJob" not in described
    assert all(
        "FinalHyperParameterTuningJobObjectiveMetric" not in j for j in training_jobs(account, "silent")
    )


def test_stop_hyper_parameter_tuning_job_stops_its_training_jobs(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker = account.client("sagemaker")
    params = request(setup, "halted", X_RANGE, {"epochs": "100", "pause": "0.5"}, jobs=4, parallel=2)
    sagemaker.create_hyper_parameter_tuning_job(**params)
    workloads.poll(lambda: len(training_jobs(account, "halted")) == 2 or None, 30, 0.2, "two training jobs")
    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="halted")
    status = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="halted")
    assert status["HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    described = ended(account, "halted")
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert [j["TrainingJobStatus"] for j in training_jobs(account, "halted")] == ["Stopped", "Stopped"]
    with pytest.raises(ClientError) as raised:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="halted")
    assert client_error(raised)[0] == "ValidationException"


# -- what is refused -----------------------------------------------------------------------------------------
def _refused(target: AwsTarget, params: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        unchecked_client(target, "sagemaker").create_hyper_parameter_tuning_job(**params)
    return client_error(raised)


def _with_config(params: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**params, "HyperParameterTuningJobConfig": {**params["HyperParameterTuningJobConfig"], **changes}}


def _with_definition(params: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**params, "TrainingJobDefinition": {**params["TrainingJobDefinition"], **changes}}


def test_a_bad_request_is_refused_and_nothing_is_stored_a_good_one_is(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    role = service_role(target, "trainer", "sagemaker.amazonaws.com")
    good = request({"bucket": "b", "role": role}, "good", X_RANGE, jobs=2)
    numeric = "IntegerParameterRanges"
    algorithm = good["TrainingJobDefinition"]["AlgorithmSpecification"]
    limits = {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 0}
    cases = {
        "name": ({"HyperParameterTuningJobName": "no_underscores"}, "regular expression pattern"),
        "parallel": (_with_config(good, ResourceLimits=limits), "greater than or equal to 1"),
        "inverted": (
            _with_config(good, ParameterRanges={numeric: [{"Name": "x", "MinValue": "9", "MaxValue": "1"}]}),
            "The MinValue (9) of hyperparameter 'x' is greater than its MaxValue (1)",
        ),
        "empty": (_with_config(good, ParameterRanges={}), "has no hyperparameter ranges"),
        "no_values": (
            _with_config(good, ParameterRanges={"CategoricalParameterRanges": [{"Name": "c", "Values": []}]}),
            "length greater than or equal to 1",
        ),
        "log_zero": (
            _with_config(
                good,
                ParameterRanges={
                    "ContinuousParameterRanges": [
                        {"Name": "lr", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}
                    ]
                },
            ),
            "logarithmic scaling works only for ranges that have only values greater than 0",
        ),
        "grid_numeric": (
            _with_config(good, Strategy="Grid"),
            "Only categorical parameters are supported when using the grid search strategy",
        ),
        "few": (
            _with_config(good, ResourceLimits={"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2}),
            "You don't have enough combinations of hyperparameter ranges",
        ),
        "metric": (
            _with_definition(good, AlgorithmSpecification={**algorithm, "MetricDefinitions": []}),
            "The objective metric for the hyperparameter tuning job, [validation:auc], isn't valid",
        ),
        "hyperband": (_with_config(good, Strategy="Hyperband"), "launchpad sandbox: the Hyperband strategy"),
        "warm_start": (
            {
                **good,
                "WarmStartConfig": {
                    "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "old"}],
                    "WarmStartType": "TransferLearning",
                },
            },
            "launchpad sandbox: WarmStartConfig is not modelled",
        ),
        "definitions": (
            {**good, "TrainingJobDefinitions": [good["TrainingJobDefinition"]]},
            "launchpad sandbox: TrainingJobDefinitions is not modelled",
        ),
        "autotune": (
            {**good, "Autotune": {"Mode": "Enabled"}},
            "launchpad sandbox: Autotune is not modelled",
        ),
        "image": (
            _with_definition(
                good, AlgorithmSpecification={**algorithm, "TrainingImage": "123456789012.dkr.ecr.x/mine:1"}
            ),
            "launchpad sandbox: the training image",
        ),
    }
    for case, (params, expected) in cases.items():
        code, message = _refused(target, params)
        assert code == "ValidationException", (case, message)
        assert expected in message, (case, message)
    sagemaker = target.client("sagemaker")
    assert sagemaker.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"] == []
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []
    with pytest.raises(ClientError) as raised:
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="good")
    assert client_error(raised)[0] == "ResourceNotFound"
    untrusted = service_role(target, "for-lambda", "lambda.amazonaws.com")
    code, message = _refused(target, _with_definition(good, RoleArn=untrusted))
    assert (code, message.split(". ")[0]) == ("ValidationException", f"Could not assume role {untrusted}")
    sagemaker.create_hyper_parameter_tuning_job(**good)
    assert _refused(target, good)[0] == "ResourceInUse"
    [summary] = sagemaker.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
    assert summary["HyperParameterTuningJobName"] == "good"
    # its role has no policy and its bucket does not exist: every training job fails, so does the tuning
    described = ended(target, "good")
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert described["FailureReason"].startswith("No training job succeeded after 2 attempts.")


def test_the_caller_passes_the_definitions_role(sandbox_target: AwsTarget) -> None:
    """The caller passes the role its training jobs run as: no policy lets it pass another account's."""
    assert sandbox_target.endpoint_url is not None
    other = AwsTarget.sandbox(sandbox_target.endpoint_url, sandbox_target.region)
    role = service_role(other, "trainer", "sagemaker.amazonaws.com")
    params = request({"bucket": "b", "role": role}, "passing", X_RANGE, jobs=2)
    code, message = _refused(sandbox_target, params)
    assert code == "AccessDeniedException"
    assert f"is not authorized to perform: iam:PassRole on resource: {role}" in message
    assert (
        sandbox_target.client("sagemaker").list_hyper_parameter_tuning_jobs()[
            "HyperParameterTuningJobSummaries"
        ]
        == []
    )
