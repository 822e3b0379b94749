"""Feedback records (schema, duplicates, partitions, S3) and the KPI metrics and statistics, without AWS."""

from __future__ import annotations

import copy
import io
import json
import logging
import math
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from launchpad.monitor import feedback, kpi, labels
from launchpad.monitor.feedback import (
    FeedbackError,
    check_records,
    read_records,
    record_problems,
    write_records,
)

PHI = "Patient Jane Roe, DOB 1970-01-01, HIV+ on Biktarvy"  # never in a message, a log or a metric
NOW = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)


def record(**changes):
    base = {
        "schema_version": 1,
        "inference_id": "req-0001",
        "stage": "prod",
        "endpoint": "medqa-prod",
        "variant": "challenger",
        "model_version": "1.4.0",
        "score": {"kind": "helpful", "value": True},
        "label": "benign",
        "comment": PHI,
        "received_at": "2026-12-07T12:05:09.123456789Z",
        "source": "web-app",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


# -- the schema -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "good",
    [
        record(),
        record(comment=..., label=...),
        record(score={"kind": "outcome", "value": False}, label=True, comment=...),  # a churn outcome
        record(score={"kind": "rating", "value": 5}, label=3.5),
        record(score={"kind": "rating", "value": 1.0}),  # a whole number written as JSON 1.0
        record(received_at="2026-12-07T13:05:09+01:00", inference_id="a" * 64),
        record(inference_id="x y!~", comment=""),
    ],
)
def test_good_records_have_no_problems(good):
    assert record_problems(good) == []


BAD = [
    (record(score=...), "$.score: missing; write a mapping of kind and value"),
    (record(surprise=PHI), "$.surprise: unknown field; the fields here are schema_version"),
    (record(schema_version=2), "$.schema_version: is not valid; write 1"),
    (record(inference_id=""), "$.inference_id: is too short"),
    (record(inference_id="a" * 65), "$.inference_id: is too long; write the InferenceId"),
    (record(inference_id=" lead"), "$.inference_id: is not valid"),
    (record(inference_id="r\u00e9q"), "$.inference_id: is not valid"),
    (record(inference_id="req\n"), "$.inference_id: is not valid"),
    (record(stage="qa"), "$.stage: is not one of the values allowed; write dev, staging or prod"),
    (record(endpoint="medqa_prod"), "$.endpoint: is not valid"),
    (record(variant="-a"), "$.variant: is not valid"),
    (record(model_version=14), "$.model_version: expected text, got a number"),
    (
        record(score={"kind": "stars", "value": 4}),
        "$.score.kind: is not one of the values allowed; write helpful, outcome",
    ),
    (record(score={"kind": "helpful", "value": "yes"}), "$.score.value: expected true or false, got text"),
    (record(score={"kind": "outcome", "value": 1}), "$.score.value: expected true or false, got a number"),
    (record(score={"kind": "rating", "value": 6}), "$.score.value: is out of range; write a whole"),
    (record(score={"kind": "rating", "value": 0}), "$.score.value: is out of range"),
    (record(score={"kind": "rating", "value": 4.5}), "$.score.value: expected a whole number, got a number"),
    (
        record(score={"kind": "rating", "value": True}),
        "$.score.value: expected a whole number, got true/false",
    ),
    (record(score={"kind": "helpful"}), "$.score.value: missing"),
    (record(score={"kind": "helpful", "value": True, "note": PHI}), "$.score.note: unknown field"),
    (record(label=PHI * 10), "$.label: is too long; write true/false, a number, or text"),
    (record(label=float("nan")), "$.label: is not a finite number"),
    (record(label=[PHI]), "$.label: expected true or false or a number or text, got a list"),
    (record(comment=PHI * 50), "$.comment: is too long; write text of at most 2000 characters"),
    (record(comment={"text": PHI}), "$.comment: expected text, got a mapping"),
    (record(received_at="2026-12-07 12:05"), "$.received_at: is not valid; write an RFC 3339"),
    (record(received_at="2026-12-07T12:05:09"), "$.received_at: is not valid"),
    (record(received_at="2026-02-30T12:05:09Z"), "$.received_at: is not a real time"),
    (record(source="Web App"), "$.source: is not valid"),
    (PHI, "$: expected a mapping, got text"),
]


@pytest.mark.parametrize(
    ("bad", "message"), BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)]
)
def test_each_kind_of_bad_record_is_refused_naming_the_field_never_its_value(bad, message, caplog):
    caplog.set_level(logging.DEBUG)
    problems = record_problems(bad)
    assert any(message in problem for problem in problems), problems
    with pytest.raises(FeedbackError) as raised:
        check_records([record(inference_id="ok"), bad])
    said = str(raised.value) + repr(raised.value.problems) + repr(raised.value.args)
    assert f"records[1].{message}" in said
    assert "records[0]" not in said
    for secret in (PHI, "Jane", "benign", "Biktarvy"):
        assert secret not in said and secret not in caplog.text


def test_every_problem_of_a_record_is_listed():
    problems = record_problems(record(stage="qa", source="X", received_at=..., score={"kind": "rating"}))
    assert [p.split(":")[0] for p in problems] == ["$.received_at", "$.score.value", "$.source", "$.stage"]


def test_an_exact_repeat_is_dropped_and_a_conflicting_one_refused(caplog):
    caplog.set_level(logging.DEBUG)
    first = record()
    rated = record(score={"kind": "rating", "value": 4})  # another kind for the same inference: kept
    assert check_records([first, copy.deepcopy(first), rated]) == [first, rated]
    assert "dropped 1 repeated" in caplog.text
    changed = record(score={"kind": "helpful", "value": False})
    with pytest.raises(
        FeedbackError, match=r"records\[2\]: scores the same inference and kind as records\[0\]"
    ):
        check_records([first, rated, changed])
    assert PHI not in caplog.text


# -- partitions and S3 ------------------------------------------------------------------------------------
class FakeS3:
    def __init__(self, refuse: bool = False):
        self.objects: dict[str, bytes] = {}
        self.puts: list[dict] = []
        self.listed: list[str] = []
        self.refuse = refuse

    def put_object(self, **call):
        if self.refuse:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")
        self.puts.append(call)
        self.objects[call["Key"]] = call["Body"]

    def list_objects_v2(self, Bucket, Prefix, ContinuationToken=None, **_):
        self.listed.append(Prefix)
        return {
            "Contents": [{"Key": k} for k in sorted(self.objects) if k.startswith(Prefix)],
            "IsTruncated": False,
        }

    def get_object(self, Bucket, Key, **_):
        return {"Body": io.BytesIO(self.objects[Key])}


def test_partitions_are_hive_style_hours_in_utc():
    when = datetime.fromisoformat("2026-01-02T00:30:00+02:00")
    assert (
        feedback.partition("dev", "e", when)
        == "feedback/stage=dev/endpoint=e/year=2026/month=01/day=01/hour=22/"
    )
    assert feedback.record_partition(record(), "fb/") == (
        "fb/stage=prod/endpoint=medqa-prod/year=2026/month=12/day=07/hour=12/"
    )
    assert labels.parse_time("2026-12-07T13:05:09.5+01:00") == datetime(
        2026, 12, 7, 12, 5, 9, 500000, tzinfo=UTC
    )


def test_records_are_written_per_partition_encrypted_and_the_same_batch_to_the_same_keys(caplog):
    caplog.set_level(logging.DEBUG)
    s3 = FakeS3()
    batch = [record(), record(inference_id="req-2", received_at="2026-12-07T13:00:00Z", comment=...)]
    keys = write_records(s3, "fb-bucket", batch, kms_key_id="alias/feedback", expected_owner="111122223333")
    assert [k.rsplit("/", 1)[0] for k in keys] == [
        "feedback/stage=prod/endpoint=medqa-prod/year=2026/month=12/day=07/hour=12",
        "feedback/stage=prod/endpoint=medqa-prod/year=2026/month=12/day=07/hour=13",
    ]
    assert all(k.endswith(".jsonl") for k in keys)
    put = s3.puts[0]
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "alias/feedback")
    assert put["ExpectedBucketOwner"] == "111122223333" and put["Bucket"] == "fb-bucket"
    assert json.loads(put["Body"].decode().splitlines()[0]) == batch[0]
    assert write_records(s3, "fb-bucket", batch, kms_key_id="alias/feedback") == keys  # a retry overwrites
    assert len(s3.objects) == 2
    assert PHI not in caplog.text


def test_nothing_is_written_when_a_record_is_refused():
    s3 = FakeS3()
    with pytest.raises(FeedbackError):
        write_records(s3, "b", [record(), record(inference_id="x", stage="qa")], kms_key_id="k")
    assert s3.puts == []
    with pytest.raises(FeedbackError, match="give the KMS key"):
        write_records(s3, "b", [record()], kms_key_id="")


def test_an_s3_refusal_is_a_feedback_error_without_the_records():
    with pytest.raises(FeedbackError) as raised:
        write_records(FakeS3(refuse=True), "b", [record()], kms_key_id="k")
    assert "S3 refused the feedback object s3://b/feedback/stage=prod/" in str(raised.value)
    assert "AccessDenied" in str(raised.value) and PHI not in str(raised.value)


def test_reading_lists_only_the_window_and_keeps_the_last_score_of_a_pair():
    s3 = FakeS3()
    write_records(s3, "b", [record(received_at="2026-12-07T10:59:59Z", inference_id="early")], kms_key_id="k")
    write_records(s3, "b", [record()], kms_key_id="k")
    later = record(received_at="2026-12-07T12:40:00Z", score={"kind": "helpful", "value": False})
    write_records(s3, "b", [later], kms_key_id="k")
    write_records(s3, "b", [record(endpoint="other", inference_id="o")], kms_key_id="k")
    start, end = datetime(2026, 12, 7, 11, 0, tzinfo=UTC), datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    s3.listed.clear()
    found = read_records(s3, "b", stage="prod", endpoint="medqa-prod", start=start, end=end)
    assert found == [later]
    assert [p.split("day=07/")[1] for p in s3.listed] == ["hour=11/", "hour=12/"]
    with pytest.raises(FeedbackError, match="at most 31 days"):
        read_records(s3, "b", stage="prod", endpoint="e", start=start, end=start + timedelta(days=32))


def test_a_stored_line_that_is_no_record_is_named_by_key_and_line_without_its_text():
    s3 = FakeS3()
    key = write_records(s3, "b", [record()], kms_key_id="k")[0]
    s3.objects[key] += json.dumps(record(inference_id="bad", comment=PHI, stage="qa")).encode() + b"\n"
    with pytest.raises(FeedbackError) as raised:
        read_records(s3, "b", stage="prod", endpoint="medqa-prod", start=NOW - timedelta(hours=1), end=NOW)
    assert f"{key} line 2 is not a feedback record: $.stage" in str(raised.value)
    assert PHI not in str(raised.value)


# -- KPI metrics ------------------------------------------------------------------------------------------
class FakeCloudWatch:
    def __init__(self):
        self.calls = []

    def put_metric_data(self, Namespace, MetricData):
        self.calls.append((Namespace, MetricData))


def test_kpis_are_statistic_sets_per_variant_and_minute_without_any_text(caplog):
    caplog.set_level(logging.DEBUG)
    at = "2026-12-07T12:05:{:02d}Z"
    records = [
        record(inference_id="a", received_at=at.format(1), score={"kind": "helpful", "value": True}),
        record(inference_id="b", received_at=at.format(2), score={"kind": "helpful", "value": False}),
        record(inference_id="c", received_at=at.format(3), score={"kind": "helpful", "value": True}),
        record(inference_id="c", received_at=at.format(4), score={"kind": "rating", "value": 4}),
        record(inference_id="d", received_at=at.format(5), score={"kind": "rating", "value": 2}),
        record(inference_id="e", received_at="2026-11-01T00:00:00Z"),  # too old for CloudWatch
    ]
    cloudwatch = FakeCloudWatch()
    published = kpi.publish_kpis(cloudwatch, records, now=NOW)
    assert published == kpi.Published(records=6, skipped=1, data=4, calls=1)
    namespace, data = cloudwatch.calls[0]
    assert namespace == "launchpad/Business"
    by_name = {d["MetricName"]: d for d in data}
    assert by_name["FeedbackCount"]["Value"] == 5
    assert by_name["HelpfulRate"]["StatisticValues"] == {
        "SampleCount": 3,
        "Sum": 2,
        "Minimum": 0,
        "Maximum": 1,
    }
    assert by_name["MeanRating"]["StatisticValues"] == {
        "SampleCount": 2,
        "Sum": 6,
        "Minimum": 2,
        "Maximum": 4,
    }
    assert by_name["MeanSquaredRating"]["StatisticValues"]["Sum"] == 20
    assert by_name["HelpfulRate"]["Dimensions"] == [
        {"Name": "EndpointName", "Value": "medqa-prod"},
        {"Name": "VariantName", "Value": "challenger"},
    ]
    assert by_name["HelpfulRate"]["Timestamp"] == datetime(2026, 12, 7, 12, 5, tzinfo=UTC)
    sent = json.dumps(cloudwatch.calls, default=str) + caplog.text
    assert PHI not in sent and "benign" not in sent and "req-0001" not in sent
    with pytest.raises(FeedbackError, match="not starting with AWS/"):
        kpi.publish_kpis(cloudwatch, records, namespace="AWS/SageMaker")


# -- the statistics, against a hand-computed example ------------------------------------------------------
def test_the_wilson_and_newcombe_intervals_match_a_hand_computed_example():
    """Champion 400 helpful of 500 (0.80), challenger 340 of 500 (0.68), 95% one-sided: z = 1.644854.
    Wilson, challenger: (0.68 + z^2/1000) / (1 + z^2/500) = 0.679031 -+ 0.034235 -> [0.644796, 0.713266];
    champion: 0.798400 -+ 0.029389 -> [0.769011, 0.827789] (to 6 places). Newcombe's upper bound of
    0.68 - 0.80: -0.12 + sqrt((0.713266 - 0.68)^2 + (0.80 - 0.769011)^2) = -0.12 + 0.045463 = -0.074537."""
    z = kpi.z_value(0.95)
    assert z == pytest.approx(1.644854, abs=1e-6)
    assert kpi.wilson_interval(340, 500, z) == pytest.approx((0.644796, 0.713266), abs=2e-6)
    assert kpi.wilson_interval(400, 500, z) == pytest.approx((0.769011, 0.827789), abs=2e-5)
    compared = kpi.compare(
        kpi.KpiMetrics("HelpfulRate", 500, 400), kpi.KpiMetrics("HelpfulRate", 500, 340), 0.95
    )
    assert compared.difference == pytest.approx(-0.12)
    assert compared.upper == pytest.approx(-0.074537, abs=2e-5)
    assert compared.worse_by_more_than(0.07) and not compared.worse_by_more_than(0.08)


def test_a_rate_of_one_still_has_an_interval():
    """The Wald interval of 200 of 200 has width 0; Wilson's does not, so 190 of 200 is not "certainly" worse
    by any margin."""
    compared = kpi.compare(
        kpi.KpiMetrics("OutcomeRate", 200, 200), kpi.KpiMetrics("OutcomeRate", 200, 190), 0.95
    )
    assert compared.upper == pytest.approx(-0.026056, abs=1e-5)
    assert not compared.worse_by_more_than(0.03)


def test_the_mean_rating_interval_uses_the_variance_from_the_sum_of_squares():
    """Champion 400 ratings, sum 1600, squares 6800: mean 4.0, variance (6800 - 1600^2/400)/399 = 1.002506;
    challenger sum 1520, squares 6180: mean 3.8, variance 404/399 = 1.012531. Upper bound:
    -0.2 + 1.644854 * sqrt(1.002506/400 + 1.012531/400) = -0.2 + 0.116745 = -0.083255."""
    champion = kpi.KpiMetrics("MeanRating", 400, 1600, 6800)
    challenger = kpi.KpiMetrics("MeanRating", 400, 1520, 6180)
    assert champion.variance == pytest.approx(1.002506, abs=1e-6)
    compared = kpi.compare(champion, challenger, 0.95)
    assert compared.upper == pytest.approx(-0.083255, abs=1e-6)
    assert math.isclose(compared.lower, -0.2 - (compared.upper + 0.2), abs_tol=1e-9)
