"""The retrain trigger's decision (launchpad.monitor.retrain), against stubbed SageMaker and S3 clients
(botocore's Stubber: every call it makes is one the test expects, with those parameters), and its zip."""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from launchpad.monitor import retrain
from launchpad.paths import modules_dir

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PIPELINE = "lp-churn-training"
EXECUTION = f"arn:aws:sagemaker:eu-west-1:123456789012:pipeline/{PIPELINE}/execution/abc123def456"
BUCKET = "lp-123456789012-feedback"
PREFIX = "feedback/stage=prod/endpoint=churn-prod/"
SETTINGS = retrain.Settings(
    pipeline_name=PIPELINE,
    cooldown=timedelta(hours=24),
    min_new_labels=3,
    feedback_bucket=BUCKET,
    feedback_prefix=PREFIX,
    max_lookback=timedelta(days=30),
)
ALARM = {
    "version": "0",
    "id": "5f1e8a3c-7f6e-4d0a-9b1e-0c7d2a9e4b11",
    "detail-type": "CloudWatch Alarm State Change",
    "source": "aws.cloudwatch",
    "resources": ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:churn-prod-drift"],
    "detail": {
        "alarmName": "churn-prod-drift",
        "state": {"value": "ALARM", "reason": "Threshold Crossed"},
        "previousState": {"value": "OK"},
    },
}


@functools.cache
def _clients() -> tuple[Any, Any]:
    """One SageMaker and one S3 client for every test (making them is most of a test's cost); each test
    stubs them anew."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="eu-west-1")
    return session.client("sagemaker"), session.client("s3")


class Clients:
    def __init__(self) -> None:
        self.sagemaker, self.s3 = _clients()
        self.pipeline = Stubber(self.sagemaker)
        self.storage = Stubber(self.s3)

    def executions(self, *starts: datetime) -> None:
        """The pipeline's executions started at ``starts``: the function asks for the newest only."""
        summaries = [
            {
                "PipelineExecutionArn": f"{EXECUTION}{i}",
                "PipelineExecutionStatus": "Succeeded",
                "StartTime": start,
            }
            for i, start in enumerate(sorted(starts, reverse=True)[:1])
        ]
        self.pipeline.add_response(
            "list_pipeline_executions",
            {"PipelineExecutionSummaries": summaries},
            {"PipelineName": PIPELINE, "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1},
        )

    def started(self, labels: int) -> None:
        self.pipeline.add_response(
            "start_pipeline_execution",
            {"PipelineExecutionArn": EXECUTION},
            {
                "PipelineName": PIPELINE,
                "ClientRequestToken": ALARM["id"],
                "PipelineExecutionDescription": (
                    f"retraining: alarm churn-prod-drift went to ALARM, {labels} new labels"
                ),
            },
        )

    def listing(self, start_after: str, objects: dict[str, datetime]) -> None:
        self.storage.add_response(
            "list_objects_v2",
            {
                "IsTruncated": False,
                "Contents": [{"Key": key, "LastModified": modified} for key, modified in objects.items()],
            },
            {"Bucket": BUCKET, "Prefix": PREFIX, "StartAfter": start_after},
        )

    def read(self, key: str, body: bytes) -> None:
        self.storage.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(body), len(body))},
            {"Bucket": BUCKET, "Key": key},
        )

    def decide(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.pipeline, self.storage:
            decision = retrain.decide(event, SETTINGS, self.sagemaker, self.s3, NOW).as_dict()
            self.pipeline.assert_no_pending_responses()
            self.storage.assert_no_pending_responses()
        return decision


@pytest.fixture
def clients() -> Iterator[Clients]:
    yield Clients()


def _lines(*records: str) -> bytes:
    return "".join(f"{r}\n" for r in records).encode()


def _labelled(count: int, unlabelled: int = 0) -> bytes:
    """JSON Lines of ``count`` labelled and ``unlabelled`` score-only feedback records."""
    score = {"kind": "outcome", "value": True}
    records = [{"inference_id": f"i-{n}", "score": score, "label": n % 2} for n in range(count)]
    records += [{"inference_id": f"u-{n}", "score": score} for n in range(unlabelled)]
    return _lines(*(json.dumps(r) for r in records))


def test_an_alarm_past_the_cooldown_with_enough_new_labels_starts_the_pipeline(clients: Clients) -> None:
    last = NOW - timedelta(days=2)
    clients.executions(last, last - timedelta(days=7))
    clients.listing(
        f"{PREFIX}year=2026/month=12/day=05",
        {
            f"{PREFIX}year=2026/month=12/day=05/hour=10/old.jsonl": last
            - timedelta(hours=1),  # before the execution: not read
            f"{PREFIX}year=2026/month=12/day=06/hour=10/a.jsonl": NOW - timedelta(days=1),
            f"{PREFIX}year=2026/month=12/day=07/hour=10/b.jsonl.gz": NOW - timedelta(hours=1),
            f"{PREFIX}year=2026/month=12/day=07/hour=10/c.jsonl": NOW
            - timedelta(minutes=5),  # the threshold is reached before it
        },
    )
    clients.read(
        f"{PREFIX}year=2026/month=12/day=06/hour=10/a.jsonl", _labelled(2, unlabelled=3) + b"\nnot json\n"
    )
    clients.read(f"{PREFIX}year=2026/month=12/day=07/hour=10/b.jsonl.gz", gzip.compress(b'{"label": 1}'))
    clients.started(3)
    assert clients.decide(ALARM) == {
        "decision": "started",
        "reason": None,
        "alarm": "churn-prod-drift",
        "pipeline": PIPELINE,
        "last_execution_start": "2026-12-05T12:00:00Z",
        "labels_counted": 3,
        "labels_needed": 3,
        "execution_id": EXECUTION,
    }


def test_an_alarm_within_the_cooldown_is_skipped_without_counting_labels(clients: Clients) -> None:
    clients.executions(NOW - timedelta(hours=23))
    decision = clients.decide(ALARM)
    assert (decision["decision"], decision["reason"]) == ("skipped", "cooldown")
    assert decision["last_execution_start"] == "2026-12-06T13:00:00Z"
    assert "labels_counted" not in decision


def test_too_few_new_labels_skip_the_start(clients: Clients) -> None:
    clients.executions(NOW - timedelta(days=3))
    clients.listing(
        f"{PREFIX}year=2026/month=12/day=04",
        {
            f"{PREFIX}year=2026/month=12/day=05/hour=10/a.jsonl": NOW - timedelta(days=2),
            f"{PREFIX}year=2026/month=12/day=05/hour=10/": NOW,
        },
    )
    clients.read(
        f"{PREFIX}year=2026/month=12/day=05/hour=10/a.jsonl", b'{"label": 1}\n{"score": 1}\n{"label": 0}'
    )
    decision = clients.decide(ALARM)
    assert (decision["decision"], decision["reason"]) == ("skipped", "not enough labels")
    assert (decision["labels_counted"], decision["labels_needed"]) == (2, 3)


def test_a_pipeline_that_never_ran_counts_labels_within_the_lookback(clients: Clients) -> None:
    clients.executions()
    clients.listing(
        f"{PREFIX}year=2026/month=11/day=07",
        {f"{PREFIX}year=2026/month=11/day=20/hour=10/a.jsonl": NOW - timedelta(days=17)},
    )
    clients.read(f"{PREFIX}year=2026/month=11/day=20/hour=10/a.jsonl", _labelled(4))
    clients.started(4)
    decision = clients.decide(ALARM)
    assert decision["decision"] == "started" and "last_execution_start" not in decision
    assert decision["labels_counted"] == 4


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_a_change_to_another_state_than_alarm_is_ignored_and_calls_nothing(
    clients: Clients, state: str
) -> None:
    event = {**ALARM, "detail": {**ALARM["detail"], "state": {"value": state}}}
    decision = clients.decide(event)
    assert decision == {
        "decision": "ignored",
        "reason": f"not a change to ALARM (state {state})",
        "alarm": "churn-prod-drift",
        "pipeline": PIPELINE,
    }


def test_another_kind_of_event_is_ignored(clients: Clients) -> None:
    assert clients.decide({"detail-type": "Scheduled Event", "detail": {}})["decision"] == "ignored"


def test_the_handler_logs_one_json_decision_without_record_content(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, clients: Clients
) -> None:
    environment = {
        "PIPELINE_NAME": PIPELINE,
        "COOLDOWN_SECONDS": "86400",
        "MIN_NEW_LABELS": "3",
        "FEEDBACK_BUCKET": BUCKET,
        "FEEDBACK_PREFIX": PREFIX,
        "MAX_LOOKBACK_DAYS": "30",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert retrain.Settings.from_environment(environment) == SETTINGS
    secret = '{"comment": "Jane Roe", "label": 1}'
    clients.executions(NOW - timedelta(days=3))
    clients.listing(
        f"{PREFIX}year=2026/month=12/day=04",
        {f"{PREFIX}year=2026/month=12/day=05/hour=10/a.jsonl": NOW - timedelta(days=1)},
    )
    clients.read(f"{PREFIX}year=2026/month=12/day=05/hour=10/a.jsonl", _lines(secret))
    made = {"sagemaker": clients.sagemaker, "s3": clients.s3}
    monkeypatch.setattr(retrain.boto3, "client", lambda service: made[service])
    with caplog.at_level(logging.INFO, logger="launchpad.retrain"), clients.pipeline, clients.storage:
        returned = retrain.handler(ALARM, None)
    [record] = caplog.records
    assert json.loads(record.getMessage()) == returned
    assert returned["reason"] == "not enough labels"
    assert "Jane" not in record.getMessage() and "a.jsonl" not in record.getMessage()


def test_labelled_records_are_counted_across_chunks() -> None:
    long = json.dumps({"label": 1, "comment": "x" * retrain.CHUNK}).encode()
    data = long + b"\n\n  \n" + _labelled(1, unlabelled=1) + long  # the last line has no newline
    assert retrain.count_labelled(io.BytesIO(data).read) == 3


def test_the_zip_is_deterministic_and_the_module_ships_the_current_one() -> None:
    first = retrain.deterministic_zip({"b.py": b"2", "a.py": b"1"})
    assert first == retrain.deterministic_zip({"a.py": b"1", "b.py": b"2"})
    assert first.index(b"a.py") < first.index(b"b.py")
    shipped = modules_dir() / "model-monitoring" / "lambda" / "retrain.zip"
    assert shipped.read_bytes() == retrain.function_zip(), (
        f"{shipped} is stale: python -m launchpad.monitor.retrain --zip {shipped}"
    )
    assert retrain.main(["--zip", str(shipped), "--check"]) == 0


def test_the_request_token_is_the_event_id_when_it_fits_else_its_digest() -> None:
    assert retrain.request_token(ALARM["id"]) == ALARM["id"]  # EventBridge's ids: 36 characters
    for short_or_long in ("e-1", "x" * 129):
        assert retrain.request_token(short_or_long) == hashlib.sha256(short_or_long.encode()).hexdigest()
