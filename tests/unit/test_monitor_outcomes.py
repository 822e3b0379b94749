"""Quality and bias of a window (launchpad.monitor.outcomes), the checks a model version carries
(checks.json), the labels read back from S3 (launchpad.monitor.labels) and the job's refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from launchpad.cli import main
from launchpad.monitor import job, labels, outcomes
from launchpad.monitor.capture import Inference

CARD: dict[str, Any] = {
    "evaluation": {"metrics": [{"name": "auc", "threshold": 0.7, "direction": "higher_is_better"}]},
    "monitoring": {
        "bias": {"facets": [{"attribute": "group", "values": ["b"]}], "thresholds": {"DPPL": 0.1}}
    },
}
STATISTICS = {"launchpad": {"model_version": "1.0.0"}, "features": [{"name": "x"}, {"name": "group"}]}


def _window(n: int = 400, seed: int = 3) -> tuple[dict[str, Inference], dict[str, int]]:
    """Scores that favour group a, and labels that follow the scores."""
    rng = np.random.default_rng(seed)
    found, truth = {}, {}
    for i in range(n):
        group = "ab"[i % 2]
        score = float(1 / (1 + np.exp(-(rng.normal() + (1.0 if group == "a" else -1.0)))))
        found[f"id-{i}"] = Inference(score, {"x": float(rng.normal()), "group": group})
        truth[f"id-{i}"] = int(rng.random() < score)
    return found, truth


def test_checks_written_from_a_card_read_back_as_the_same_checks() -> None:
    document = outcomes.checks_document(CARD, model_version="1.0.0", threshold=0.4)
    checks = outcomes.Checks.from_document(json.loads(json.dumps(document)))
    assert (checks.problem_type, checks.threshold, checks.prediction_field) == (
        "BinaryClassification",
        0.4,
        "probability",
    )
    assert [t["name"] for t in checks.quality_thresholds] == ["auc"]
    assert checks.bias_config is not None and checks.bias_config.probability_threshold == 0.4
    assert [f.name_or_index for f in checks.bias_config.facets] == ["group"]
    assert checks.bias_thresholds == {"DPPL": 0.1}
    assert outcomes.checks_document({}, model_version=None)["bias"] is None  # no facet, no bias


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "checks.json has version 2; launchpad reads 1"),
        ({"quality": {"problem_type": "Ranking"}}, "quality.problem_type is 'Ranking'"),
        ({"quality": {"threshold": 2}}, "quality.threshold must be a number from 0 to 1"),
        (
            {"quality": {"thresholds": [{"name": "auc", "threshold": 1}]}},
            "has a threshold but direction None",
        ),
        ({"bias": {"analysis_config": {"label": "label"}}}, "checks.json: 'label_values_or_threshold'"),
    ],
)
def test_checks_launchpad_cannot_use_are_refused_by_name(change: dict[str, Any], message: str) -> None:
    document = {**outcomes.checks_document(CARD, model_version="1.0.0"), **change}
    with pytest.raises(outcomes.ChecksError) as raised:
        outcomes.Checks.from_document(document)
    assert message in str(raised.value)


def test_quality_and_bias_of_the_labelled_predictions() -> None:
    found, truth = _window()
    del truth["id-0"], truth["id-1"]  # not labelled yet
    checks = outcomes.Checks.from_document(outcomes.checks_document(CARD, model_version="1.0.0"))
    outcome = outcomes.evaluate(found, truth, checks, ["x", "group"])
    assert outcome.status == "ok" and outcome.join["matched"] == 398
    assert outcome.join["predictions_without_label"] == 2
    assert 0.7 < outcome.quality_metrics["auc"] < 0.95
    assert outcome.violations["violations"] == []
    [group] = outcome.analysis["post_training_bias_metrics"]["facets"]["group"]
    dppl = next(m for m in group["metrics"] if m["name"] == "DPPL")
    assert dppl["value"] > 0.1 and dppl["violation"] is True  # facet d (b) gets fewer positives
    assert [v["metric_name"] for v in outcome.bias_violations] == ["DPPL"]
    quality_data, bias_data = outcome.metric_data([{"Name": "Endpoint", "Value": "e"}])
    assert {"auc", "accuracy"} <= {d["MetricName"] for d in quality_data}
    assert ("DPPL", dppl["value"]) in {(d["MetricName"], d["Value"]) for d in bias_data}
    assert set(outcome.documents()) == {
        "model_quality/statistics.json",
        "model_quality/constraint_violations.json",
        "bias/analysis.json",
        "bias/constraint_violations.json",
    }


def test_a_window_without_labels_is_no_data_and_publishes_nothing() -> None:
    found, _ = _window(10)
    checks = outcomes.Checks.from_document(outcomes.checks_document(CARD, model_version="1.0.0"))
    outcome = outcomes.evaluate(found, {"other": 1}, checks, ["x", "group"])
    assert (outcome.status, outcome.join["matched"], outcome.join["labels_without_prediction"]) == (
        "no-data",
        0,
        1,
    )
    assert outcome.metric_data([]) == ([], [])
    assert "model_quality/statistics.json" not in outcome.documents()


def test_a_facet_absent_from_the_captured_requests_is_a_violation_not_a_measurement() -> None:
    found, truth = _window(40)
    card = {**CARD, "monitoring": {"bias": {"facets": [{"attribute": "age_band", "values": ["65+"]}]}}}
    checks = outcomes.Checks.from_document(outcomes.checks_document(card, model_version="1.0.0"))
    outcome = outcomes.evaluate(found, truth, checks, ["x", "group"])
    assert outcome.status == "ok" and outcome.quality_metrics  # quality is still judged
    assert outcome.analysis is not None and outcome.analysis["launchpad"]["kind"] == "FacetNotFound"
    [violation] = outcome.bias_violations
    assert violation["constraint_check_type"] == "bias_check"
    assert "facet age_band is not a feature of the captured requests (x, group)" in violation["description"]
    assert outcome.metric_data([])[1] == []


def test_a_label_that_is_no_number_is_an_error_naming_its_inference_id_only() -> None:
    found, truth = _window(4)
    checks = outcomes.Checks()
    outcome = outcomes.evaluate(found, {**truth, "id-1": "Jane Doe"}, checks, [])
    assert outcome.status == "error" and outcome.quality_metrics == {}
    [violation] = outcome.violations["violations"]
    assert "id-1" in violation["description"] and "Jane" not in violation["description"]


# -- the job's refusals -------------------------------------------------------------------------------------
def test_the_job_refuses_to_run_without_the_checks_its_alarms_wait_for() -> None:
    with pytest.raises(
        job.JobError, match=r"the baseline has no checks\.json, so quality and bias cannot be"
    ):
        job.load_checks(None, STATISTICS, ["quality", "bias"])
    assert job.load_checks(None, STATISTICS, []) is None
    without_facets = outcomes.checks_document({}, model_version="1.0.0")
    with pytest.raises(job.JobError, match=r"bias must be checked but checks\.json names no facet"):
        job.load_checks(without_facets, STATISTICS, ["bias"])
    other = outcomes.checks_document(CARD, model_version="2.0.0")
    with pytest.raises(
        job.JobError, match=r"checks\.json is of model version 2\.0\.0 but statistics\.json of 1\.0\.0"
    ):
        job.load_checks(other, STATISTICS, [])


# -- labels read back from S3 -------------------------------------------------------------------------------
class _S3:
    """list_objects_v2 and get_object over a dict of keys."""

    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects
        self.listed: list[str] = []

    def list_objects_v2(self, Bucket: str, Prefix: str, **_: Any) -> dict[str, Any]:
        self.listed.append(Prefix)
        return {"Contents": [{"Key": k} for k in sorted(self.objects) if k.startswith(Prefix)]}

    def get_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        body = self.objects[Key].encode()
        return {"Body": type("Body", (), {"read": lambda self: body})()}


def _record(inference_id: str, when: str, label: Any = 1) -> str:
    return json.dumps(
        {
            "inference_id": inference_id,
            "score": {"kind": "outcome", "value": True},
            "received_at": when,
            "label": label,
        }
    )


def test_labels_are_read_from_the_windows_hours_only_the_last_received_winning() -> None:
    prefix = "feedback/stage=prod/endpoint=e/"
    s3 = _S3(
        {
            f"{prefix}year=2026/month=12/day=07/hour=11/a.jsonl": "\n".join(
                [_record("r1", "2026-12-07T11:10:00Z", 0), _record("r2", "2026-12-07T11:59:59Z", None)]
            ),
            f"{prefix}year=2026/month=12/day=07/hour=12/b.jsonl": _record("r1", "2026-12-07T12:00:01Z", 1),
            f"{prefix}year=2026/month=12/day=07/hour=13/c.jsonl": _record("r3", "2026-12-07T13:00:00Z"),
        }
    )
    start = datetime(2026, 12, 7, 11, 5, tzinfo=UTC)
    records = labels.read(s3, "b", prefix, start, start + timedelta(hours=1, minutes=30))
    assert labels.ground_truth(records) == {"r1": 1}  # r2 has no label; r3 is after the window
    assert s3.listed == [
        f"{prefix}year=2026/month=12/day=07/hour=11/",
        f"{prefix}year=2026/month=12/day=07/hour=12/",
    ]


def test_a_record_the_join_cannot_read_is_refused_by_path_never_by_value() -> None:
    prefix = "p/"
    s3 = _S3({f"{prefix}year=2026/month=12/day=07/hour=11/a.jsonl": json.dumps({"inference_id": "Jane Doe"})})
    start = datetime(2026, 12, 7, 11, tzinfo=UTC)
    with pytest.raises(labels.ReadError) as raised:
        labels.read(s3, "b", prefix, start, start + timedelta(hours=1))
    assert "line 1 is not a feedback record: $.score.kind" in str(raised.value)
    assert "Jane" not in str(raised.value) and len(raised.value.problems) == 2
    with pytest.raises(labels.ReadError, match="span at most 31 days"):
        labels.read(s3, "b", prefix, start, start + timedelta(days=32))


# -- the baseline writes the checks, or nothing -------------------------------------------------------------
def test_a_baseline_whose_card_names_a_facet_that_is_no_feature_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("x,group\n" + "\n".join(f"{i / 10},{'ab'[i % 2]}" for i in range(50)))
    card = tmp_path / "card.yaml"
    card.write_text("monitoring:\n  bias:\n    facets:\n      - {attribute: age_band, values: ['65+']}\n")
    out = tmp_path / "baseline"
    ran = CliRunner().invoke(
        main, ["monitor", "baseline", str(data), "--out", str(out), "--model-card", str(card)]
    )
    assert ran.exit_code == 24, ran.output
    assert "monitoring.bias.facets names age_band, not a feature of train.csv" in ran.output
    assert not out.exists()
    card.write_text("monitoring:\n  bias:\n    facets:\n      - {attribute: group, values: [b]}\n")
    ran = CliRunner().invoke(
        main, ["monitor", "baseline", str(data), "--out", str(out), "--model-card", str(card)]
    )
    assert ran.exit_code == 0, ran.output
    written = json.loads((out / outcomes.CHECKS_FILE).read_text())
    assert written["bias"]["analysis_config"]["facet"] == [
        {"name_or_index": "group", "value_or_threshold": ["b"]}
    ]


def test_a_labelled_baseline_measures_the_training_datas_pre_training_bias(tmp_path: Path) -> None:
    rows = [(i / 10, "ab"[i % 2], int(i % 2 == 0 or i % 3 == 0)) for i in range(60)]  # a: all positive
    data = tmp_path / "train.csv"
    data.write_text("x,group,churned\n" + "\n".join(f"{x},{g},{y}" for x, g, y in rows))
    card = tmp_path / "card.yaml"
    card.write_text(
        "monitoring:\n  bias:\n    facets: [{attribute: group, values: [b]}]\n    thresholds: {DPL: 0.1}\n"
    )
    out = tmp_path / "baseline"
    arguments = ["monitor", "baseline", str(data), "--out", str(out), "--model-card", str(card)]
    ran = CliRunner().invoke(main, [*arguments, "--label", "churned", "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["written"] == [
        "analysis.json",
        "checks.json",
        "constraints.json",
        "statistics.json",
    ]
    statistics = json.loads((out / "statistics.json").read_text())
    assert [f["name"] for f in statistics["features"]] == ["x", "group"]  # the label is not a feature
    analysis = json.loads((out / "analysis.json").read_text())
    assert "post_training_bias_metrics" not in analysis
    [group] = analysis["pre_training_bias_metrics"]["facets"]["group"]
    dpl = next(m for m in group["metrics"] if m["name"] == "DPL")
    assert dpl["value"] == pytest.approx(1 - 10 / 30) and dpl["violation"] is True  # a: 30/30, b: 10/30
    assert {m["name"] for m in group["metrics"]} == {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"}
    ran = CliRunner().invoke(main, [*arguments, "--label", "outcome"])
    assert ran.exit_code == 24 and "--label outcome: train.csv has no such column" in ran.output


# -- the baseline of the version in service ------------------------------------------------------------------
class _SageMaker:
    def __init__(self, url: str | None) -> None:
        self.url = url

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:
        weights = [
            {"VariantName": "blue", "CurrentWeight": 0.1},
            {"VariantName": "green", "CurrentWeight": 0.9},
        ]
        return {"EndpointConfigName": f"{EndpointName}-c1", "ProductionVariants": weights}

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict[str, Any]:
        variants = [{"VariantName": v, "ModelName": f"ep-{v}-h"} for v in ("blue", "green")]
        return {"ProductionVariants": variants}

    def describe_model(self, ModelName: str) -> dict[str, Any]:
        url = {"ep-green-h": self.url, "ep-blue-h": "s3://m/churn/0.9.0/model.tar.gz"}[ModelName]
        return {"PrimaryContainer": {} if url is None else {"ModelDataUrl": url}}


def test_the_job_reads_the_baseline_beside_the_artifact_the_most_weighted_variant_serves() -> None:
    served = job.served_baseline(_SageMaker("s3://m/churn/1.0.0/model.tar.gz"), "ep")
    assert served == ("green", "s3://m/churn/1.0.0/baseline/")
    with pytest.raises(job.JobError, match=r"model ep-green-h of endpoint ep has no ModelDataUrl"):
        job.served_baseline(_SageMaker(None), "ep")


class _Baselines(_S3):
    def download_file(self, Bucket: str, Key: str, Filename: str) -> None:
        Path(Filename).write_text(self.objects[Key])


def test_a_served_version_without_its_baseline_or_outside_the_jobs_prefix_is_refused(tmp_path: Path) -> None:
    s3 = _Baselines({"churn/1.0.0/baseline/statistics.json": "{}", "churn/1.0.0/model.tar.gz": ""})
    with pytest.raises(job.JobError) as raised:
        job.fetch_baseline(s3, "s3://m/churn/1.0.0/baseline/", "s3://m/churn/", str(tmp_path))
    assert "has no constraints.json: the served model version was deployed without its baseline" in str(
        raised.value
    )
    with pytest.raises(job.JobError, match=r"is not under s3://m/other/, where this job reads"):
        job.fetch_baseline(s3, "s3://m/churn/1.0.0/baseline/", "s3://m/other/", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    s3.objects["churn/1.0.0/baseline/constraints.json"] = "{}"
    s3.objects["churn/1.0.0/baseline/checks.json"] = "{}"
    names = job.fetch_baseline(s3, "s3://m/churn/1.0.0/baseline/", "s3://m/churn/", str(tmp_path / "b"))
    assert names == ["checks.json", "constraints.json", "statistics.json"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == names
