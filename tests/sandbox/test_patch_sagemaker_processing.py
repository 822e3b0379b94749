"""SageMaker Processing in the sandbox: CreateProcessingJob runs the job's entrypoint on AWS's scikit-learn
image stand-in as local processes, one per instance, acting as the job's role: inputs downloaded and
outputs uploaded (encrypted with the output key) as the role, the script's own calls judged as the role, its
output in CloudWatch Logs; what AWS refuses and what the sandbox does not model are refused at create,
storing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from tests.sandbox.support import client_error, service_role, unchecked_client

pytestmark = pytest.mark.sandbox

SCRIPT = """\
import json, os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
source, out = args["--input"], args["--output"]
names = sorted(os.path.relpath(os.path.join(d, f), source) for d, _, fs in os.walk(source) for f in fs)
with open(os.path.join(os.environ["CONFIG_DIR"], "resourceconfig.json")) as f:
    config = json.load(f)
with open(os.path.join(out, config["current_host"] + ".json"), "w") as f:
    json.dump({"hosts": config["hosts"], "files": names}, f)
print("processed", len(names), "files on", config["current_host"])
if "--metric" in args:
    import boto3
    boto3.client("cloudwatch").put_metric_data(
        Namespace="Launchpad/Processing", MetricData=[{"MetricName": "Files", "Value": len(names)}]
    )
if "--fail" in args:
    sys.exit("bad things happened: " + args["--fail"])
time.sleep(float(args.get("--sleep", 0)))
"""
DATA = ("a.csv", "b.csv", "c.csv", "d/e.csv")
ACTIVE = ("Completed", "Failed", "Stopped")


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    return AwsTarget.sandbox(sandbox_url)


@pytest.fixture(scope="module")
def setup(account: AwsTarget) -> dict[str, str]:
    return make_setup(account)


def make_setup(account: AwsTarget) -> dict[str, str]:
    """A bucket with the job's code and data, an output key, a role that may do the job, one that may not
    read its data."""
    bucket = f"processing-{account.account_id}"
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region})
    s3.put_object(Bucket=bucket, Key="code/job.py", Body=SCRIPT.encode())
    for name in DATA:
        s3.put_object(Bucket=bucket, Key=f"data/{name}", Body=name.encode())
    key = account.client("kms").create_key(Description="processing output")["KeyMetadata"]["Arn"]
    logs = _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
    listing = _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}")
    reading = _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")
    writing = _allow("s3:PutObject", f"arn:aws:s3:::{bucket}/out/*")
    role = service_role(
        account,
        "processor",
        "sagemaker.amazonaws.com",
        [
            logs,
            listing,
            reading,
            writing,
            _allow("kms:GenerateDataKey", key),
            _allow("cloudwatch:PutMetricData"),
        ],
    )
    code_only = _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/code/*")
    blind = service_role(account, "blind", "sagemaker.amazonaws.com", [logs, listing, code_only, writing])
    return {"bucket": bucket, "key": key, "role": role, "blind": blind}


def request(setup: dict[str, str], name: str, *args: str, **changes: Any) -> dict[str, Any]:
    """A CreateProcessingJob request running SCRIPT with ``args`` on the bucket's data."""
    bucket, instances = setup["bucket"], changes.pop("instances", 1)
    distribution = changes.pop("distribution", "FullyReplicated")
    params: dict[str, Any] = {
        "ProcessingJobName": name,
        "RoleArn": setup["role"],
        "AppSpecification": {
            "ImageUri": prebuilt_image("eu-west-1", "1.2-1"),
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/job.py"],
            "ContainerArguments": [
                "--input",
                "/opt/ml/processing/input/data",
                "--output",
                "/opt/ml/processing/output",
                *args,
            ],
        },
        "ProcessingInputs": [
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/code/job.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            },
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/data",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": distribution,
                },
            },
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/out/{name}",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
            "KmsKeyId": setup["key"],
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": instances, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "Environment": {"CONFIG_DIR": "/opt/ml/config"},
    }
    params.update(changes)
    return params


def ended(target: AwsTarget, name: str, timeout: float = 30.0) -> dict[str, Any]:
    sagemaker = target.client("sagemaker")

    def done() -> dict[str, Any] | None:
        described = sagemaker.describe_processing_job(ProcessingJobName=name)
        return described if described["ProcessingJobStatus"] in ACTIVE else None

    return workloads.poll(done, timeout, 0.1, f"processing job {name} to end")


def _output(target: AwsTarget, setup: dict[str, str], name: str, host: str) -> dict[str, Any]:
    s3 = target.client("s3")
    found = s3.get_object(Bucket=setup["bucket"], Key=f"out/{name}/{host}.json")
    assert (found["ServerSideEncryption"], found["SSEKMSKeyId"]) == ("aws:kms", setup["key"])
    return dict(json.loads(found["Body"].read()))


# -- a job runs ----------------------------------------------------------------------------------------------
def test_a_job_reads_its_input_writes_encrypted_output_and_calls_aws_as_its_role(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    account.client("sagemaker").create_processing_job(**request(setup, "nightly", "--metric", "1"))
    described = ended(account, "nightly")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ProcessingStartTime"] <= described["ProcessingEndTime"]
    assert described["Environment"] == {"CONFIG_DIR": "/opt/ml/config"}
    assert described["ProcessingInputs"][1]["S3Input"]["S3DataDistributionType"] == "FullyReplicated"
    assert _output(account, setup, "nightly", "algo-1") == {"hosts": ["algo-1"], "files": sorted(DATA)}
    metrics = account.client("cloudwatch").list_metrics(Namespace="Launchpad/Processing")["Metrics"]
    assert [m["MetricName"] for m in metrics] == ["Files"]
    assert "cloudwatch:PutMetricData" in workloads.usage(account, setup["role"])["actions"]
    logs = account.client("logs")
    [stream] = logs.describe_log_streams(logGroupName="/aws/sagemaker/ProcessingJobs")["logStreams"]
    assert stream["logStreamName"].startswith("nightly/algo-1-")
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName=stream["logStreamName"]
    )
    assert "processed 4 files on algo-1" in [e["message"] for e in events["events"]]
    [summary] = account.client("sagemaker").list_processing_jobs(NameContains="nightly")[
        "ProcessingJobSummaries"
    ]
    assert summary["ProcessingJobStatus"] == "Completed"


def test_sharded_by_s3_key_gives_each_instance_a_disjoint_share_of_the_objects(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    params = request(setup, "sharded", instances=2, distribution="ShardedByS3Key")
    account.client("sagemaker").create_processing_job(**params)
    assert ended(account, "sharded")["ProcessingJobStatus"] == "Completed"
    first, second = (_output(account, setup, "sharded", host) for host in ("algo-1", "algo-2"))
    assert first == {"hosts": ["algo-1", "algo-2"], "files": ["a.csv", "c.csv"]}
    assert second == {"hosts": ["algo-1", "algo-2"], "files": ["b.csv", "d/e.csv"]}


def test_a_role_that_may_not_read_the_input_fails_the_job_naming_the_action(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    account.client("sagemaker").create_processing_job(**request(setup, "blind", RoleArn=setup["blind"]))
    described = ended(account, "blind")
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        f"ClientError: Failed to download data for input data from s3://{setup['bucket']}/data/a.csv: "
        f"AccessDenied: User: arn:aws:sts::{account.account_id}:assumed-role/blind/SageMaker is not "
        f"authorized to perform: s3:GetObject on resource: arn:aws:s3:::{setup['bucket']}/data/a.csv"
    )


def test_a_script_that_exits_non_zero_fails_the_job_with_its_standard_error(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    account.client("sagemaker").create_processing_job(**request(setup, "broken", "--fail", "disk full"))
    described = ended(account, "broken")
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        "AlgorithmError: algo-1 exited with code 1: bad things happened: disk full"
    )
    assert described["ExitMessage"] == "bad things happened: disk full"


def test_stop_processing_job_stops_it_and_max_runtime_ends_it(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    sagemaker = account.client("sagemaker")
    sagemaker.create_processing_job(**request(setup, "long", "--sleep", "60"))
    scaled = {"Tags": [{"Key": "launchpad:sandbox:time-scale", "Value": "0.01"}]}
    sagemaker.create_processing_job(
        **request(setup, "overtime", "--sleep", "60", StoppingCondition={"MaxRuntimeInSeconds": 20}, **scaled)
    )
    sagemaker.stop_processing_job(ProcessingJobName="long")
    assert sagemaker.describe_processing_job(ProcessingJobName="long")["ProcessingJobStatus"] in (
        "Stopping",
        "Stopped",
    )
    assert ended(account, "long")["ProcessingJobStatus"] == "Stopped"
    assert ended(account, "overtime")["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as raised:
        sagemaker.stop_processing_job(ProcessingJobName="long")
    assert client_error(raised)[0] == "ValidationException"


# -- what is refused -----------------------------------------------------------------------------------------
def _refused(target: AwsTarget, params: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        unchecked_client(target, "sagemaker").create_processing_job(**params)
    return client_error(raised)


def test_a_bad_request_is_refused_and_nothing_is_stored_a_good_one_is(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    role = service_role(target, "processor", "sagemaker.amazonaws.com")
    setup = {"bucket": "b", "key": "k", "role": role}
    good = request(setup, "good")
    data = good["ProcessingInputs"][1]
    elsewhere = {**data, "S3Input": {**data["S3Input"], "LocalPath": "/tmp/data"}}
    piped = {**data, "S3Input": {**data["S3Input"], "S3InputMode": "Pipe"}}
    cluster = {"ClusterConfig": {"InstanceCount": 0, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}}
    cases = {
        "bad_name": ({"ProcessingJobName": "no_underscores"}, "regular expression pattern"),
        "long_name": ({"ProcessingJobName": "x" * 64}, "length less than or equal to 63"),
        "instances": ({"ProcessingResources": cluster}, "greater than or equal to 1"),
        "runtime": ({"StoppingCondition": {"MaxRuntimeInSeconds": 777601}}, "less than or equal to 777600"),
        "eleven": ({"ProcessingInputs": [data] * 11}, "length less than or equal to 10"),
        "twice": ({"ProcessingInputs": [data, data]}, "names must be unique"),
        "local_path": ({"ProcessingInputs": [elsewhere]}, "/opt/ml/processing/"),
        "s3_uri": ({"ProcessingInputs": [{**data, "S3Input": {**data["S3Input"], "S3Uri": "b/x"}}]}, "s3Uri"),
        "pipe": ({"ProcessingInputs": [piped]}, "launchpad sandbox: ProcessingInput data: S3InputMode Pipe"),
        "image": (
            {
                "AppSpecification": {
                    **good["AppSpecification"],
                    "ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1",
                }
            },
            "launchpad sandbox: the processing image",
        ),
    }
    for case, (changes, expected) in cases.items():
        code, message = _refused(target, {**good, **changes})
        assert code == "ValidationException", case
        assert expected in message, (case, message)
    assert target.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []
    untrusted = service_role(target, "for-lambda", "lambda.amazonaws.com")
    code, message = _refused(target, {**good, "RoleArn": untrusted})
    assert (code, message.split(". ")[0]) == ("ValidationException", f"Could not assume role {untrusted}")
    target.client("sagemaker").create_processing_job(**good)
    assert _refused(target, good)[0] == "ResourceInUse"
    [summary] = target.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"]
    assert summary["ProcessingJobName"] == "good"
    # its role has no policy: its log is refused (kept as a refusal, as AWS drops it), then its input
    assert "s3:ListBucket" in ended(target, "good")["FailureReason"]
    [refusal] = workloads.refusals(target)
    assert refusal["what"].startswith("log stream /aws/sagemaker/ProcessingJobs/good/algo-1-")
    assert "is not authorized to perform: logs:CreateLogGroup" in refusal["message"]


def test_a_job_in_a_vpc_needs_a_way_to_s3_and_reaches_only_the_vpcs_endpoints(
    account: AwsTarget, setup: dict[str, str]
) -> None:
    """SageMaker makes the job's network interfaces as the role and moves its data through the VPC (a
    security group without HTTPS out to S3 fails the job); the script's own calls reach only the services of
    the VPC's endpoints (no CloudWatch endpoint here: PutMetricData does not get through)."""
    from tests.sandbox.test_patch_sagemaker_execution import NETWORK, _https_out, _network

    target = account
    setup = dict(setup)
    setup["role"] = service_role(
        target,
        "vpc-processor",
        "sagemaker.amazonaws.com",
        [
            _allow(["logs:*", "s3:*", "kms:GenerateDataKey", "cloudwatch:PutMetricData"]),
            _allow([*NETWORK]),
        ],
    )
    subnet, group, prefix_list = _network(target)
    network = {"VpcConfig": {"Subnets": [subnet], "SecurityGroupIds": [group]}}
    sagemaker = target.client("sagemaker")
    sagemaker.create_processing_job(**request(setup, "walled", NetworkConfig=network))
    described = ended(target, "walled")
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        f"ClientError: the job's instances cannot reach S3 from the VPC: the security groups {group} allow "
        f"no HTTPS out to S3 (the S3 prefix list {prefix_list} of the gateway endpoint, or 0.0.0.0/0)."
    )
    _https_out(target, group, prefix_list=prefix_list)
    sagemaker.create_processing_job(**request(setup, "inside", "--metric", "1", NetworkConfig=network))
    described = ended(target, "inside")
    assert described["ProcessingJobStatus"] == "Failed"
    assert "LaunchpadSandboxUnreachable" in described["FailureReason"], described["FailureReason"]
    assert target.client("s3").list_objects_v2(Bucket=setup["bucket"], Prefix="out/inside/")["KeyCount"] == 0
