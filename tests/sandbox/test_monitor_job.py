"""The drift job as AWS runs it: launchpad's bundle on the scikit-learn processing image (the sandbox's
stand-in), as the job's role, sharded over two instances, reading a capture window from S3 and publishing
Model Monitor's metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from launchpad.aws import AwsTarget
from launchpad.monitor import commands, job, profile
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from tests.sandbox.support import service_role

# One worker runs this file: its module fixture (the Processing job) runs once.
pytestmark = [pytest.mark.sandbox, pytest.mark.xdist_group("test_monitor_job")]

END = datetime(2026, 12, 7, 12, tzinfo=UTC)
ENDPOINT = "churn-prod"


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _capture_line(row: list[float]) -> str:
    data = {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": ",".join(map(str, row)),
        "encoding": "CSV",
    }
    metadata = {"eventId": "e", "inferenceTime": "2026-12-07T11:15:00Z"}
    return json.dumps(
        {"captureData": {"endpointInput": data}, "eventMetadata": metadata, "eventVersion": "0"}
    )


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    return AwsTarget.sandbox(sandbox_url)


@pytest.fixture(scope="module")
def ran(account: AwsTarget) -> dict[str, Any]:
    """Baseline, code and four capture files (the second feature drifted) in S3; the job run to its end."""
    bucket = f"monitoring-{account.account_id}"
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region})
    rng = np.random.default_rng(5)
    training = {"a": rng.normal(0, 1, 2000).tolist(), "b": rng.normal(0, 1, 2000).tolist()}
    statistics = profile.statistics(training, metadata={"model_version": "1.0.0"})
    commands.write_documents(
        f"s3://{bucket}/baseline",
        {"statistics.json": statistics, "constraints.json": profile.constraints(statistics)},
        s3=s3,
    )
    commands.write_bundle(f"s3://{bucket}/code", s3=s3)
    for index in range(4):
        rows = np.column_stack([rng.normal(0, 1, 300), rng.normal(1.5, 1, 300)])
        body = "\n".join(_capture_line(list(row)) for row in rows)
        s3.put_object(
            Bucket=bucket, Key=f"capture/{ENDPOINT}/AllTraffic/2026/12/07/11/{index}.jsonl", Body=body
        )
    role = service_role(
        account,
        "drift-job",
        "sagemaker.amazonaws.com",
        [
            _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
            _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
            _allow(
                "s3:GetObject",
                [f"arn:aws:s3:::{bucket}/{p}/*" for p in ("code", "baseline", "capture", "results")],
            ),
            _allow("s3:PutObject", f"arn:aws:s3:::{bucket}/results/*"),
            _allow("cloudwatch:PutMetricData"),
        ],
    )
    results = f"s3://{bucket}/results/run-1"
    sagemaker = account.client("sagemaker")

    def s3_input(name: str, prefix: str) -> dict[str, Any]:
        return {
            "InputName": name,
            "S3Input": {
                "S3Uri": f"s3://{bucket}/{prefix}",
                "LocalPath": f"/opt/ml/processing/input/{name}",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }

    sagemaker.create_processing_job(
        ProcessingJobName="drift-1",
        RoleArn=role,
        AppSpecification={
            "ImageUri": prebuilt_image(account.region, "1.2-1"),
            "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{job.ENTRY_POINT}"],
            "ContainerArguments": [
                *(
                    "--root",
                    "/opt/ml",
                    "--capture",
                    f"s3://{bucket}/capture/{ENDPOINT}",
                    "--endpoint",
                    ENDPOINT,
                ),
                *("--schedule", f"{ENDPOINT}-drift", "--end", job.stamp(END), "--model-version", "1.0.0"),
                *("--results-uri", results),
            ],
        },
        ProcessingInputs=[s3_input("code", "code"), s3_input("baseline", "baseline")],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "results",
                    "S3Output": {
                        "S3Uri": results,
                        "LocalPath": "/opt/ml/processing/output/results",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )

    def finished() -> dict[str, Any] | None:
        described = sagemaker.describe_processing_job(ProcessingJobName="drift-1")
        return described if described["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    described = workloads.poll(finished, timeout=120, interval=0.2, what="the drift job")
    return {"account": account, "bucket": bucket, "described": described, "s3": s3}


def test_the_job_runs_sharded_as_its_role_and_finds_the_drifted_feature(ran: dict[str, Any]) -> None:
    assert ran["described"]["ProcessingJobStatus"] == "Completed", ran["described"].get("FailureReason")
    s3, bucket = ran["s3"], ran["bucket"]
    result = json.loads(s3.get_object(Bucket=bucket, Key="results/run-1/drift.json")["Body"].read())
    assert result["records"]["rows"] == 1200 and result["records"]["files"] == 4  # both shards merged
    assert {f["name"]: f["decision"]["drifted"] for f in result["features"]} == {"a": False, "b": True}
    violations = json.loads(
        s3.get_object(Bucket=bucket, Key="results/run-1/constraint_violations.json")["Body"].read()
    )
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations["violations"]] == [
        ("b", "baseline_drift_check")
    ]
    partials = s3.list_objects_v2(Bucket=bucket, Prefix="results/run-1/partials/")["Contents"]
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in partials) == ["algo-1.json", "algo-2.json"]


def test_the_job_publishes_model_monitors_metrics(ran: dict[str, Any]) -> None:
    cloudwatch = ran["account"].client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/data-metrics")["Metrics"]
    names = {m["MetricName"] for m in listed}
    assert {
        "drifted_features",
        "records_read",
        "feature_baseline_drift_a",
        "feature_baseline_drift_b",
    } <= names
    dimensions = {(d["Name"], d["Value"]) for m in listed for d in m["Dimensions"]}
    assert dimensions == {("Endpoint", ENDPOINT), ("MonitoringSchedule", f"{ENDPOINT}-drift")}
