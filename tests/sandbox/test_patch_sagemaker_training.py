"""SageMaker Training in the sandbox: CreateTrainingJob runs a script-mode project (sourcedir.tar.gz, the
``sagemaker_program`` entry, hyperparameters as arguments, channels and the model dir from ``SM_*``) on AWS's
scikit-learn image stand-in as the job's role: its model uploaded (encrypted with the output key), its metrics
parsed from its log into FinalMetricDataList and CloudWatch, a crash's reason kept; what AWS refuses and what
the sandbox does not model are refused at create, storing nothing."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from launchpad.sandbox.patches.sagemaker_training import user_args
from tests.sandbox.support import client_error, service_role, unchecked_client

pytestmark = pytest.mark.sandbox

TRAIN = """\
import argparse, glob, json, os, sys, time
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--rate", type=float, default=0.0)
parser.add_argument("--mode", default="ok")
parser.add_argument("--sleep", type=float, default=0.0)
args = parser.parse_args()
files = sorted(glob.glob(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "*.csv")))
rows = sum(len(open(f).read().splitlines()) - 1 for f in files)
if args.mode == "bad-input":
    with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
        f.write("bad input: no label column")
    sys.exit(1)
if args.mode == "crash":
    raise ValueError("the model diverged")
for epoch in range(args.epochs):
    if args.mode != "silent":
        print(f"epoch={epoch} validation:auc={0.5 + 0.1 * epoch:.3f} train:auc=0.9", flush=True)
    time.sleep(args.sleep)
config = os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
    json.dump({
        "rows": rows, "epochs": args.epochs, "rate": args.rate, "cwd": os.path.basename(os.getcwd()),
        "channels": json.loads(os.environ["SM_CHANNELS"]), "hps": json.loads(os.environ["SM_HPS"]),
        "config": json.load(open(config)), "host": os.environ["SM_CURRENT_HOST"],
    }, f)
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "summary.txt"), "w") as f:
    f.write("done")
"""
STATUSES = ("Completed", "Failed", "Stopped")
METRICS = [{"Name": "validation:auc", "Regex": "validation:auc=([0-9.]+)"}]


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _sourcedir() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = TRAIN.encode()
        info = tarfile.TarInfo("train.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    return AwsTarget.sandbox(sandbox_url)


@pytest.fixture(scope="module")
def setup(account: AwsTarget) -> dict[str, str]:
    """A bucket with the project's sourcedir and training data, an output key, a role that may train, and
    roles missing one permission each."""
    bucket = f"training-{account.account_id}"
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region})
    s3.put_object(Bucket=bucket, Key="code/sourcedir.tar.gz", Body=_sourcedir())
    for name in ("a.csv", "b.csv"):
        s3.put_object(Bucket=bucket, Key=f"data/{name}", Body=b"x,label\n1,0\n2,1\n")
    key = account.client("kms").create_key(Description="training output")["KeyMetadata"]["Arn"]
    logs = _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
    listing = _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}")
    code = _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/code/*")
    data = _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/data/*")
    writing = [_allow("s3:PutObject", f"arn:aws:s3:::{bucket}/out/*"), _allow("kms:GenerateDataKey", key)]
    metrics = _allow("cloudwatch:PutMetricData")
    sagemaker = "sagemaker.amazonaws.com"
    return {
        "bucket": bucket,
        "key": key,
        "role": service_role(account, "trainer", sagemaker, [logs, listing, code, data, *writing, metrics]),
        "no-code": service_role(account, "no-code", sagemaker, [logs, listing, data, *writing]),
        "no-data": service_role(account, "no-data", sagemaker, [logs, listing, code, *writing]),
        "no-output": service_role(account, "no-output", sagemaker, [logs, listing, code, data]),
    }


def request(setup: dict[str, str], name: str, **hyperparameters: str) -> dict[str, Any]:
    """A CreateTrainingJob request running TRAIN in script mode with ``hyperparameters``."""
    bucket = setup["bucket"]
    return {
        "TrainingJobName": name,
        "RoleArn": setup["role"],
        "AlgorithmSpecification": {
            "TrainingImage": prebuilt_image("eu-west-1", "1.2-1"),
            "TrainingInputMode": "File",
            "MetricDefinitions": METRICS,
        },
        "HyperParameters": {
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"',
            "sagemaker_region": '"eu-west-1"',
            "sagemaker_container_log_level": "20",
            **hyperparameters,
        },
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/data"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/out", "KmsKeyId": setup["key"]},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def ended(target: AwsTarget, name: str, timeout: float = 30.0) -> dict[str, Any]:
    sagemaker = target.client("sagemaker")

    def done() -> dict[str, Any] | None:
        described = sagemaker.describe_training_job(TrainingJobName=name)
        return described if described["TrainingJobStatus"] in STATUSES else None

    return workloads.poll(done, timeout, 0.1, f"training job {name} to end")


def _model(target: AwsTarget, setup: dict[str, str], name: str) -> dict[str, Any]:
    found = target.client("s3").get_object(Bucket=setup["bucket"], Key=f"out/{name}/output/model.tar.gz")
    assert (found["ServerSideEncryption"], found["SSEKMSKeyId"]) == ("aws:kms", setup["key"])
    with tarfile.open(fileobj=io.BytesIO(found["Body"].read()), mode="r:gz") as archive:
        member = archive.extractfile("model.json")
        assert member is not None
        return dict(json.loads(member.read()))


# -- a job runs ----------------------------------------------------------------------------------------------
def test_a_script_mode_job_trains_on_its_channel_and_its_model_and_metrics_come_out(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker = account.client("sagemaker")
    sagemaker.create_training_job(**request(setup, "fit", epochs="3", rate="0.1"))
    described = ended(account, "fit")
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["SecondaryStatus"] == "Completed"
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert described["TrainingStartTime"] <= described["TrainingEndTime"]
    uri = f"s3://{setup['bucket']}/out/fit/output/model.tar.gz"
    assert described["ModelArtifacts"] == {"S3ModelArtifacts": uri}
    [final] = described["FinalMetricDataList"]
    assert (final["MetricName"], final["Value"]) == ("validation:auc", 0.7)
    model = _model(account, setup, "fit")
    assert model["rows"] == 4 and model["epochs"] == 3 and model["rate"] == 0.1
    assert (model["cwd"], model["channels"], model["host"]) == ("code", ["train"], "algo-1")
    assert model["hps"] == {"epochs": 3, "rate": 0.1}
    assert model["config"]["sagemaker_program"] == '"train.py"'
    output = account.client("s3").head_object(Bucket=setup["bucket"], Key="out/fit/output/output.tar.gz")
    assert output["ServerSideEncryption"] == "aws:kms"
    cloudwatch = account.client("cloudwatch")
    [metric] = cloudwatch.list_metrics(Namespace="/aws/sagemaker/TrainingJobs")["Metrics"]
    assert metric["MetricName"] == "validation:auc"
    assert metric["Dimensions"] == [{"Name": "Host", "Value": "fit/algo-1"}]
    logs = account.client("logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="fit/"
    )
    [stream] = streams["logStreams"]
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"]
    )
    assert "epoch=2 validation:auc=0.700 train:auc=0.9" in [e["message"] for e in events["events"]]
    [summary] = sagemaker.list_training_jobs(NameContains="fit")["TrainingJobSummaries"]
    assert summary["TrainingJobStatus"] == "Completed"


def test_a_script_that_prints_no_metric_completes_with_no_final_metrics(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    account.client("sagemaker").create_training_job(**request(setup, "quiet", mode="silent"))
    described = ended(account, "quiet")
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["FinalMetricDataList"] == []


def test_a_crash_fails_the_job_with_its_failure_file_or_its_standard_error(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker = account.client("sagemaker")
    sagemaker.create_training_job(**request(setup, "refuses", mode="bad-input"))
    sagemaker.create_training_job(**request(setup, "crashes", mode="crash"))
    described = ended(account, "refuses")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Failed", "Failed")
    assert described["FailureReason"] == "AlgorithmError: bad input: no label column"
    described = ended(account, "crashes")
    assert described["TrainingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("AlgorithmError: Traceback")
    assert described["FailureReason"].endswith("ValueError: the model diverged")
    listed = account.client("s3").list_objects_v2(Bucket=setup["bucket"], Prefix="out/crashes/")
    assert listed["KeyCount"] == 0


@pytest.mark.parametrize(
    ("role", "action", "what"),
    [
        ("no-code", "s3:GetObject", "sagemaker_submit_directory from s3://{bucket}/code/sourcedir.tar.gz"),
        ("no-data", "s3:GetObject", "channel train from s3://{bucket}/data/a.csv"),
        ("no-output", "s3:PutObject", None),
    ],
)
def test_a_role_missing_a_permission_fails_the_job_naming_the_action(
    account: AwsTarget, setup: dict[str, str], role: str, action: str, what: str | None
) -> None:
    name = f"denied-{role}"
    params = {**request(setup, name), "RoleArn": setup[role]}
    account.client("sagemaker").create_training_job(**params)
    described = ended(account, name)
    assert described["TrainingJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert f"AccessDenied: User: arn:aws:sts::{account.account_id}:assumed-role/{role}/SageMaker" in reason
    assert f"is not authorized to perform: {action}" in reason
    if what is not None:
        assert reason.startswith(f"ClientError: Failed to download data for {what.format(**setup)}: ")
    else:  # trained, then refused at upload; its metrics were refused too, which did not fail it
        assert reason.startswith(f"ClientError: Failed to upload the model to s3://{setup['bucket']}/out/")
        assert described["FinalMetricDataList"][0]["Value"] == 0.5
        refusals = [r for r in workloads.refusals(account) if name in r["what"]]
        assert [r["what"] for r in refusals] == [
            f"metrics to /aws/sagemaker/TrainingJobs of training job {name}"
        ]


def test_stop_training_job_stops_it_and_max_runtime_ends_it(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker = account.client("sagemaker")
    sagemaker.create_training_job(**request(setup, "long", epochs="600", sleep="0.1"))
    scaled = {
        **request(setup, "overtime", epochs="600", sleep="0.1"),
        "StoppingCondition": {"MaxRuntimeInSeconds": 20},
        "Tags": [{"Key": "launchpad:sandbox:time-scale", "Value": "0.02"}],
    }
    sagemaker.create_training_job(**scaled)
    workloads.poll(
        lambda: sagemaker.describe_training_job(TrainingJobName="long")["FinalMetricDataList"] or None,
        30,
        0.1,
        "the first metric",
    )
    sagemaker.stop_training_job(TrainingJobName="long")
    described = sagemaker.describe_training_job(TrainingJobName="long")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) in (
        ("Stopping", "Stopping"),
        ("Stopped", "Stopped"),
    )
    described = ended(account, "long")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    head = account.client("s3").head_object(Bucket=setup["bucket"], Key="out/long/output/model.tar.gz")
    assert head["ContentLength"] > 0  # what the script saved by then (nothing) is still uploaded
    described = ended(account, "overtime")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    with pytest.raises(ClientError) as raised:
        sagemaker.stop_training_job(TrainingJobName="long")
    assert client_error(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        sagemaker.describe_training_job(TrainingJobName="never")
    assert client_error(raised)[0] == "ValidationException"


# -- what is refused -----------------------------------------------------------------------------------------
def _refused(target: AwsTarget, params: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        unchecked_client(target, "sagemaker").create_training_job(**params)
    return client_error(raised)


def test_a_bad_request_is_refused_and_nothing_is_stored_a_good_one_is(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    role = service_role(target, "trainer", "sagemaker.amazonaws.com")
    good = request({"bucket": "b", "key": "k", "role": role}, "good")
    algorithm, [channel] = good["AlgorithmSpecification"], good["InputDataConfig"]
    source = channel["DataSource"]["S3DataSource"]
    cases = {
        "bad_name": ({"TrainingJobName": "no_underscores"}, "regular expression pattern"),
        "long_name": ({"TrainingJobName": "x" * 64}, "length less than or equal to 63"),
        "hyperparameters": (
            {"HyperParameters": {f"h{i}": "1" for i in range(101)}},
            "less than or equal to 100",
        ),
        "long_value": (
            {"HyperParameters": {"h": "x" * 2501}},
            "Map value must have length less than or equal",
        ),
        "long_key": ({"HyperParameters": {"k" * 257: "1"}}, "Map keys must have length less than or equal"),
        "metrics": (
            {"AlgorithmSpecification": {**algorithm, "MetricDefinitions": METRICS * 41}},
            "length less than or equal to 40",
        ),
        "metric_name": (
            {
                "AlgorithmSpecification": {
                    **algorithm,
                    "MetricDefinitions": [{"Name": "m" * 256, "Regex": "(x)"}],
                }
            },
            "length less than or equal to 255",
        ),
        "channels_twice": ({"InputDataConfig": [channel, channel]}, "Channel names must be unique"),
        "no_s3_source": ({"InputDataConfig": [{"ChannelName": "train", "DataSource": {}}]}, "S3DataSource"),
        "s3_uri": (
            {"InputDataConfig": [{**channel, "DataSource": {"S3DataSource": {**source, "S3Uri": "b/x"}}}]},
            "s3Uri",
        ),
        "output": ({"OutputDataConfig": {"S3OutputPath": "nowhere"}}, "s3OutputPath"),
        "instances": (
            {"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 0, "VolumeSizeInGB": 5}},
            "InstanceCount must be at least 1",
        ),
        "runtime": ({"StoppingCondition": {"MaxRuntimeInSeconds": 0}}, "greater than or equal to 1"),
        "both": ({"AlgorithmSpecification": {**algorithm, "AlgorithmName": "xgboost"}}, "not both"),
        "mode": ({"AlgorithmSpecification": {**algorithm, "TrainingInputMode": "Stream"}}, "enum value set"),
        "pipe": (
            {"AlgorithmSpecification": {**algorithm, "TrainingInputMode": "Pipe"}},
            "launchpad sandbox: TrainingInputMode Pipe is not modelled",
        ),
        "algorithm": (
            {"AlgorithmSpecification": {"AlgorithmName": "xgboost", "TrainingInputMode": "File"}},
            "launchpad sandbox: AlgorithmName xgboost",
        ),
        "image": (
            {
                "AlgorithmSpecification": {
                    **algorithm,
                    "TrainingImage": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1",
                }
            },
            "launchpad sandbox: the training image",
        ),
        "distributed": (
            {"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 5}},
            "launchpad sandbox: InstanceCount 2",
        ),
        "manifest": (
            {
                "InputDataConfig": [
                    {**channel, "DataSource": {"S3DataSource": {**source, "S3DataType": "ManifestFile"}}}
                ]
            },
            "launchpad sandbox: Channel train: S3DataType ManifestFile",
        ),
    }
    for case, (changes, expected) in cases.items():
        code, message = _refused(target, {**good, **changes})
        assert code == "ValidationException", case
        assert expected in message, (case, message)
    assert target.client("sagemaker").list_training_jobs()["TrainingJobSummaries"] == []
    untrusted = service_role(target, "for-lambda", "lambda.amazonaws.com")
    code, message = _refused(target, {**good, "RoleArn": untrusted})
    assert (code, message.split(". ")[0]) == ("ValidationException", f"Could not assume role {untrusted}")
    target.client("sagemaker").create_training_job(**good)
    assert _refused(target, good)[0] == "ResourceInUse"
    [summary] = target.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert summary["TrainingJobName"] == "good"
    # its role has no policy: its log is refused (kept as a refusal, as AWS drops it), then its channel
    assert "s3:ListBucket" in ended(target, "good")["FailureReason"]


def test_hyperparameters_become_sorted_arguments_json_strings_decoded() -> None:
    given = {"sagemaker_program": '"train.py"', "rate": "0.1", "name": '"abc"', "flag": "true", "b": "x y"}
    assert user_args(given) == ["--b", "x y", "--flag", "true", "--name", "abc", "--rate", "0.1"]
