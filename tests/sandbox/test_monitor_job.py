"""The monitoring job as AWS runs it: launchpad's bundle on the scikit-learn processing image (the sandbox's
stand-in), as the job's role, sharded over two instances, reading a capture window and its feedback labels
from S3 and publishing Model Monitor's drift and quality metrics and Clarify's bias metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from launchpad.aws import AwsTarget
from launchpad.monitor import commands, job, outcomes, profile
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.sagemaker_processing import prebuilt_image
from tests.sandbox.support import service_role

# One worker runs this file: its module fixture (the Processing job) runs once.
pytestmark = [pytest.mark.sandbox, pytest.mark.xdist_group("test_monitor_job")]

END = datetime(2026, 12, 7, 12, tzinfo=UTC)
ENDPOINT = "churn-prod"
FEEDBACK = f"feedback/stage=prod/endpoint={ENDPOINT}/"


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _capture_line(row: list[float], inference_id: str, probability: float) -> str:
    data = {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": ",".join(map(str, row)),
        "encoding": "CSV",
    }
    output = {
        "observedContentType": "application/json",
        "mode": "OUTPUT",
        "data": json.dumps({"predictions": [{"probability": probability}]}),
        "encoding": "JSON",
    }
    metadata = {"eventId": "e", "inferenceId": inference_id, "inferenceTime": "2026-12-07T11:15:00Z"}
    return json.dumps(
        {
            "captureData": {"endpointInput": data, "endpointOutput": output},
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
    )


def _feedback(inference_id: str, label: int) -> str:
    return json.dumps(
        {
            "schema_version": 1,
            "inference_id": inference_id,
            "stage": "prod",
            "endpoint": ENDPOINT,
            "score": {"kind": "outcome", "value": bool(label)},
            "label": label,
            "received_at": "2026-12-07T11:40:00Z",
        }
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
    card = {
        "evaluation": {"metrics": [{"name": "auc", "threshold": 0.99, "direction": "higher_is_better"}]},
        "monitoring": {"bias": {"facets": [{"attribute": "a", "values": [0]}], "thresholds": {"DPPL": 0.1}}},
    }
    checks = outcomes.checks_document(card, model_version="1.0.0")
    checks["bias"]["analysis_config"]["facet"][0]["threshold"] = True  # a > 0 is facet d
    commands.write_documents(
        f"s3://{bucket}/baseline",
        {
            "statistics.json": statistics,
            "constraints.json": profile.constraints(statistics),
            outcomes.CHECKS_FILE: checks,
        },
        s3=s3,
    )
    commands.write_bundle(f"s3://{bucket}/code", s3=s3)
    labelled = []
    for index in range(4):
        rows = np.column_stack([rng.normal(0, 1, 300), rng.normal(1.5, 1, 300)])
        # the model favours facet d (a > 0); the label follows the score, so quality is good but not perfect
        scores = 1 / (1 + np.exp(-(rows[:, 1] + 1.5 * (rows[:, 0] > 0) - 2)))
        ids = [f"r{index}-{i}" for i in range(300)]
        body = "\n".join(
            _capture_line(list(row), i, float(p)) for row, i, p in zip(rows, ids, scores, strict=True)
        )
        s3.put_object(
            Bucket=bucket, Key=f"capture/{ENDPOINT}/AllTraffic/2026/12/07/11/{index}.jsonl", Body=body
        )
        truth = (rng.random(300) < scores).astype(int)
        labelled += [
            _feedback(i, int(y)) for i, y in zip(ids[:200], truth[:200], strict=True)
        ]  # a third not labelled yet
    s3.put_object(
        Bucket=bucket, Key=f"{FEEDBACK}year=2026/month=12/day=07/hour=11/f.jsonl", Body="\n".join(labelled)
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
                [
                    f"arn:aws:s3:::{bucket}/{p}/*"
                    for p in ("code", "baseline", "capture", "results", "feedback")
                ],
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
                *("--results-uri", results, "--feedback", f"s3://{bucket}/{FEEDBACK}"),
                *("--require", "quality", "--require", "bias"),
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


def test_the_job_scores_the_labelled_predictions_with_the_model_versions_checks(ran: dict[str, Any]) -> None:
    s3, bucket = ran["s3"], ran["bucket"]

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=bucket, Key=f"results/run-1/{key}")["Body"].read())

    statistics = read("model_quality/statistics.json")
    assert statistics["dataset"]["item_count"] == 800  # the labelled two thirds of 1200 predictions
    assert statistics["launchpad"]["join"]["predictions_without_label"] == 400
    auc = statistics["binary_classification_metrics"]["auc"]["value"]
    assert 0.6 < auc < 0.99
    [violation] = read("model_quality/constraint_violations.json")["violations"]  # the card's 0.99
    assert (violation["metric_name"], violation["constraint_check_type"]) == ("auc", "LessThanThreshold")
    analysis = read("bias/analysis.json")
    [group] = analysis["post_training_bias_metrics"]["facets"]["a"]
    dppl = next(m for m in group["metrics"] if m["name"] == "DPPL")
    assert group["value_or_threshold"].startswith("(0, ")  # a threshold facet: a > 0
    assert dppl["value"] < -0.1 and dppl["violation"] is True  # facet d is favoured: negative DPPL
    [bias_violation] = [
        v for v in read("bias/constraint_violations.json")["violations"] if v["metric_name"] == "DPPL"
    ]
    assert bias_violation["constraint_check_type"] == "bias_threshold_check"
    summary = read("drift.json")
    assert summary["model_quality"]["status"] == "ok" and summary["model_quality"]["violations"] == 1


def test_the_job_publishes_quality_and_bias_metrics_for_the_modules_alarms(ran: dict[str, Any]) -> None:
    cloudwatch = ran["account"].client("cloudwatch")
    quality = cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/model-metrics")["Metrics"]
    assert {"auc", "accuracy", "f1"} <= {m["MetricName"] for m in quality}
    biased = cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/bias-metrics")["Metrics"]
    assert {"DPPL", "DI", "AD"} <= {m["MetricName"] for m in biased}
    dimensions = {(d["Name"], d["Value"]) for m in quality + biased for d in m["Dimensions"]}
    assert dimensions == {("Endpoint", ENDPOINT), ("MonitoringSchedule", f"{ENDPOINT}-drift")}
