"""Feedback to a KMS-encrypted bucket, its KPIs to CloudWatch, and `launchpad traffic --decide --kpi` on a
two-variant endpoint, in a fresh sandbox account.

The sandbox's CloudWatch computes no percentiles, so the decision compares ``Average`` ModelLatency.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from launchpad import aws
from launchpad.aws import AwsTarget
from launchpad.cli import main
from launchpad.deploy import traffic
from launchpad.deploy.traffic import Decision, KpiRule, Thresholds
from launchpad.monitor import feedback, kpi
from launchpad.testing import unique_name
from tests.sandbox.support import SAGEMAKER_ROLE, execution_role, model_artifacts

pytestmark = pytest.mark.sandbox

ENDPOINT = "medqa-ab"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/medqa"
PHI = "my mother's lupus flare-up, MRN 0042"


def _endpoint(target: AwsTarget) -> None:
    """``medqa-ab``: champion (weight 3) and challenger (weight 1), InService."""
    bucket, uris = model_artifacts(target, "medqa/1.0.0/model.tar.gz")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    execution_role(target, statements=[read])
    sm = target.client("sagemaker")
    sm.create_model(
        ModelName="medqa",
        ExecutionRoleArn=f"arn:aws:iam::{target.account_id}:role/{SAGEMAKER_ROLE}",
        PrimaryContainer={"Image": f"{IMAGE}:1.0.0", "ModelDataUrl": uris[0]},
    )
    variants = [
        {"VariantName": name, "ModelName": "medqa", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1,
         "InitialVariantWeight": weight}
        for name, weight in (("champion", 3), ("challenger", 1))
    ]  # fmt: skip
    sm.create_endpoint_config(EndpointConfigName="medqa", ProductionVariants=variants)
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="medqa")


def _serving_metrics(cw: Any, when: datetime) -> None:
    """Both variants equally healthy: only the KPI can tell them apart."""
    for variant in ("champion", "challenger"):
        dimensions = [{"Name": "EndpointName", "Value": ENDPOINT}, {"Name": "VariantName", "Value": variant}]
        cw.put_metric_data(
            Namespace="AWS/SageMaker",
            MetricData=[
                {"MetricName": name, "Dimensions": dimensions, "Timestamp": when, "Value": value}
                for name, value in (
                    ("Invocations", 1000.0),
                    ("Invocation5XXErrors", 0.0),
                    ("Invocation4XXErrors", 0.0),
                    ("ModelLatency", 20_000.0),
                )
            ],
        )


def _records(when: datetime) -> list[dict[str, Any]]:
    """Thumbs up 400 of 500 for the champion, 340 of 500 for the challenger; every record with a comment."""
    received = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        {
            "schema_version": 1,
            "inference_id": f"{variant}-{i}",
            "stage": "prod",
            "endpoint": ENDPOINT,
            "variant": variant,
            "model_version": "1.0.0",
            "score": {"kind": "helpful", "value": i < helpful},
            "comment": PHI,
            "received_at": received,
            "source": "web-app",
        }
        for variant, helpful in (("champion", 400), ("challenger", 340))
        for i in range(500)
    ]


def test_feedback_is_stored_encrypted_published_and_decides_the_ab_test(
    sandbox_target: AwsTarget, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    target = sandbox_target
    s3, cw, kms = target.client("s3"), target.client("cloudwatch"), target.client("kms")
    key = kms.create_key(Description="feedback")["KeyMetadata"]["Arn"]
    bucket = unique_name("feedback", target)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    _endpoint(target)
    now = datetime.now(UTC).replace(microsecond=0)
    when = now - timedelta(minutes=3)
    records = _records(when)

    keys = feedback.write_records(s3, bucket, records, kms_key_id=key, expected_owner=target.account_id)
    assert len(keys) == 1 and keys[0].startswith(feedback.partition("prod", ENDPOINT, when))
    head = s3.head_object(Bucket=bucket, Key=keys[0], ExpectedBucketOwner=target.account_id)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key
    back = feedback.read_records(
        s3,
        bucket,
        stage="prod",
        endpoint=ENDPOINT,
        start=now - timedelta(hours=1),
        end=now + timedelta(minutes=1),
    )
    assert len(back) == 1000 and sorted(back, key=lambda r: r["inference_id"])[0]["comment"] == PHI

    assert kpi.publish_kpis(cw, back) == kpi.Published(records=1000, skipped=0, data=4, calls=1)
    _serving_metrics(cw, when)
    thresholds = Thresholds(kpi=KpiRule("HelpfulRate", max_decrease=0.02, min_samples=200))
    report = traffic.decide_endpoint(
        target.client("sagemaker"), cw, ENDPOINT, thresholds=thresholds, window_minutes=10,
        latency_statistic="Average",
    )  # fmt: skip
    verdict = report.verdict
    assert verdict.decision is Decision.ABORT, verdict.reasons
    assert verdict.challenger.kpi == kpi.KpiMetrics("HelpfulRate", samples=500, total=340, squares=None)
    assert verdict.kpi is not None and verdict.kpi.upper == pytest.approx(-0.074526, abs=1e-5)

    aws._client.cache_clear()  # the CLI's clients, pointed at this account through its environment
    try:
        result = CliRunner().invoke(
            main,
            ["traffic", ENDPOINT, "--decide", "--window-minutes", "10", "--latency-statistic", "Average",
             "--kpi", "HelpfulRate", "--max-kpi-decrease", "0.08", "--json"],
            env=target.env(),
        )  # fmt: skip
    finally:
        aws._client.cache_clear()
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["decision"] == "promote" and document["challenger"]["kpi"]["value"] == 0.68
    assert document["thresholds"]["kpi"]["max_decrease"] == 0.08
    assert PHI not in result.output and PHI not in caplog.text
