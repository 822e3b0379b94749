"""The drift job's pieces: profiles, capture reading, statistics against exact scipy, violations, the CLI."""

from __future__ import annotations

import ast
import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from launchpad.cli import main
from launchpad.errors import MonitorError
from launchpad.monitor import capture, commands, drift, job, profile

START, END = datetime(2026, 12, 7, 11, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC)
WHEN = "2026-12-07T11:30:00Z"


def training(rows: int = 3000, seed: int = 3) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    return {
        "age": rng.normal(50, 10, rows).round(2).tolist(),
        "visits": rng.poisson(3, rows).tolist(),
        "plan": rng.choice(["basic", "plus", "premium"], rows, p=[0.5, 0.3, 0.2]).tolist(),
    }


@pytest.fixture(scope="module")
def baseline() -> tuple[dict[str, Any], dict[str, Any]]:
    stats_json = profile.statistics(training(), metadata={"model_version": "1.0.0"})
    return stats_json, profile.constraints(stats_json)


def record(data: str, encoding: str = "CSV", *, when: str = WHEN, inference_id: str | None = None) -> str:
    content_type = {"CSV": "text/csv", "JSON": "application/json"}.get(encoding, "text/csv")
    metadata = {"eventId": "e", "inferenceTime": when} | (
        {"inferenceId": inference_id} if inference_id else {}
    )
    entry = {"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding}
    return json.dumps(
        {"captureData": {"endpointInput": entry}, "eventMetadata": metadata, "eventVersion": "0"}
    )


def table_of(lines: list[str]) -> capture.Table:
    table = capture.Table(("age", "visits", "plan"))
    capture.read_lines(table, lines, "f.jsonl", job.stamp(START), job.stamp(END))
    return table


def compare(
    baseline: tuple[dict[str, Any], dict[str, Any]], table: capture.Table
) -> tuple[dict[str, Any], list]:
    summary = drift.summarize(table, baseline[0])
    return job.result(*baseline, summary, endpoint="e", schedule="s", start=START, end=END)


def test_a_baseline_keeps_model_monitors_forms_and_no_raw_record(baseline) -> None:
    stats_json, constraints = baseline
    age, visits, plan = stats_json["features"]
    assert (age["inferred_type"], visits["inferred_type"], plan["inferred_type"]) == (
        "Fractional",
        "Integral",
        "String",
    )
    assert len(age["numerical_statistics"]["distribution"]["kll"]["buckets"]) == profile.KLL_BUCKETS
    assert sum(age["launchpad"]["counts"]) == 3000 and not age["launchpad"]["discrete"]
    assert len(age["launchpad"]["edges"]) <= profile.BINS + 1
    assert visits["launchpad"]["discrete"]  # every distinct value is an edge: its histogram is exact
    assert {b["value"] for b in plan["string_statistics"]["distribution"]["categorical"]["buckets"]} == {
        "basic",
        "plus",
        "premium",
    }
    assert constraints["features"][2]["string_constraints"]["domains"] == ["basic", "plus", "premium"]
    assert constraints["features"][0]["completeness"] == 1.0
    assert len(json.dumps(stats_json)) < 3 * 12_000  # a profile, not the 3000 rows


@pytest.mark.parametrize("shift", [0.0, 4.0])
def test_numerical_statistics_agree_with_exact_scipy(baseline, shift: float) -> None:
    rng = np.random.default_rng(11)
    current = rng.normal(50 + shift, 10, 5000).round(2)
    visits = rng.poisson(3 + shift / 4, 5000)
    table = capture.Table(("age", "visits", "plan"))
    for a, v in zip(current, visits, strict=True):
        table.add_positional([a, v, "basic"])
    run, _ = compare(baseline, table)
    by_name = {f["name"]: f["statistics"] for f in run["features"]}
    reference, reference_visits = np.asarray(training()["age"]), np.asarray(training()["visits"])
    exact_ks = stats.ks_2samp(reference, current).statistic
    exact_w = stats.wasserstein_distance(reference, current)
    assert by_name["age"]["ks"] == pytest.approx(exact_ks, abs=0.006)
    assert by_name["age"]["wasserstein"] == pytest.approx(exact_w, rel=0.03, abs=0.02)
    # a discrete feature: both exact
    assert by_name["visits"]["ks"] == pytest.approx(
        stats.ks_2samp(reference_visits, visits).statistic, abs=1e-9
    )
    assert by_name["visits"]["wasserstein"] == pytest.approx(
        stats.wasserstein_distance(reference_visits, visits), rel=1e-9
    )
    assert by_name["age"]["wasserstein_normed"] == pytest.approx(
        exact_w / reference.std(), rel=0.03, abs=0.002
    )
    drifted = {f["name"]: f["decision"]["drifted"] for f in run["features"]}
    assert drifted["age"] is (shift > 0)


def test_categorical_statistics_and_an_unseen_category(baseline) -> None:
    table = table_of([record("50,3,basic\n51,2,gold\n49,4,plus\n52,1,basic")])
    run, violations = compare(baseline, table)
    plan = run["features"][2]["statistics"]
    assert plan["unseen_share"] == 0.25
    # L-infinity: largest share difference over the union (gold: 0.25 vs 0; basic 0.5 vs ~0.5)
    base = dict(zip(*np.unique(training()["plan"], return_counts=True), strict=True))
    shares = {k: v / 3000 for k, v in base.items()}
    expected = max(abs(0.5 - shares["basic"]), abs(0.25 - shares["plus"]), shares["premium"], 0.25)
    assert plan["l_infinity"] == pytest.approx(expected)
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert ("plan", "categorical_values_check") in checks
    assert "gold" not in json.dumps(violations)  # counts, never a captured value


def test_shard_summaries_merge_to_the_whole(baseline) -> None:
    lines = [record(f"{40 + i % 30},{i % 7},{['basic', 'plus'][i % 2]}") for i in range(300)]
    whole = drift.summarize(table_of(lines), baseline[0])
    parts = [drift.summarize(table_of(lines[i::3]), baseline[0]) for i in range(3)]
    merged = drift.merge(parts)
    assert merged["rows"] == whole["rows"] == 300
    for name in ("age", "visits", "plan"):
        for key, value in whole["features"][name].items():
            assert merged["features"][name][key] == pytest.approx(value), (name, key)


def test_every_request_shape_of_data_capture_reads(baseline) -> None:
    objects = json.dumps({"instances": [{"age": 50, "visits": 2, "plan": "plus"}]})
    lines = [
        record("50,3,basic"),
        record(json.dumps({"instances": [[48.5, 1, "basic"], [47, 2, "plus"]]}), "JSON"),
        record(objects, "JSON", inference_id="req-7"),
        record(base64.b64encode(b"50,3,plus").decode(), "BASE64"),
        record(json.dumps([51, 4, "premium"]), "JSON"),
    ]
    table = table_of(lines)
    assert table.rows == 6 and table.malformed == 0
    assert sorted(table.column("plan")) == ["basic", "basic", "plus", "plus", "plus", "premium"]


def test_malformed_lines_are_counted_and_named_by_position_not_content(baseline) -> None:
    secret = "patient-name-Jane"
    lines = [
        record("50,3,basic"),
        "not json " + secret,
        json.dumps({"captureData": {}, "eventMetadata": {"inferenceTime": WHEN}}),
        record("{" + secret, "JSON"),
        record("50,3,basic", when=""),
    ]
    table = table_of(lines)
    assert (table.rows, table.malformed) == (1, 4)
    assert table.malformed_examples[0] == "f.jsonl line 2: not JSON"
    run, violations = compare(baseline, table)
    assert run["records"]["malformed"] == 4
    assert violations[0]["constraint_check_type"] == "capture_format_check"
    assert secret not in json.dumps([run, violations])


def test_records_outside_the_window_are_left_out() -> None:
    table = table_of([record("50,3,basic"), record("50,3,basic", when="2026-12-07T12:00:00Z")])
    assert (table.rows, table.lines, table.malformed) == (1, 1, 0)
    assert capture.hour_prefixes("cap/ep/v", START, END) == ["cap/ep/v/2026/12/07/11/"]
    with pytest.raises(capture.CaptureError, match=r"ends .* before it starts"):
        capture.hour_prefixes("p", END, START)


def test_an_empty_window_says_so_and_drifts_nothing(baseline) -> None:
    run, violations = compare(baseline, table_of([]))
    assert run["status"] == "no-data" and run["drifted_features"] == 0 and violations == []
    assert "no capture record" in run["message"]
    names = [m["MetricName"] for m in drift.metric_data(run, "e", "s")]
    assert names == ["records_read", "malformed_records"]  # the job is alive; nothing to judge


def test_a_feature_missing_from_capture_and_short_rows_are_violations(baseline) -> None:
    objects = json.dumps([{"age": 50, "plan": "basic"}, {"age": 51, "plan": "plus", "colour": "red"}])
    run, violations = compare(baseline, table_of([record(objects, "JSON"), record("50,3")]))
    checks = [(v["feature_name"], v["constraint_check_type"]) for v in violations]
    assert ("", "missing_column_check") in checks  # the CSV row with two values
    assert ("", "extra_column_check") in checks  # colour
    assert ("visits", "completeness_check") in checks
    visits = next(f for f in run["features"] if f["name"] == "visits")
    assert (visits["rows"], visits["missing"]) == (3, 2)


def test_a_feature_absent_from_every_row_is_named(baseline) -> None:
    run, violations = compare(baseline, table_of([record(json.dumps({"age": 50, "plan": "basic"}), "JSON")]))
    assert ("visits", "missing_column_check") in {
        (v["feature_name"], v["constraint_check_type"]) for v in violations
    }
    assert next(f for f in run["features"] if f["name"] == "visits")["decision"] is None


def test_wrong_types_are_a_data_type_violation(baseline) -> None:
    _, violations = compare(baseline, table_of([record("fifty,3,basic"), record("50,3,basic")]))
    assert ("age", "data_type_check") in {(v["feature_name"], v["constraint_check_type"]) for v in violations}


def test_small_windows_use_a_test_and_large_ones_a_distance(baseline) -> None:
    rule = profile.DEFAULT_DRIFT
    small = drift.decide("numerical", {"ks_p_value": 0.01}, 999, rule)
    large = drift.decide("numerical", {"wasserstein_normed": 0.05}, 1000, rule)
    assert (small["statistic"], small["drifted"]) == ("ks_p_value", True)
    assert (large["statistic"], large["drifted"]) == ("wasserstein_normed", False)
    psi_rule = profile.constraints(baseline[0], statistic="psi", threshold=0.2)["launchpad"]["drift"]
    assert drift.decide("categorical", {"psi": 0.2}, 10, psi_rule)["drifted"] is True


def test_a_baseline_of_another_version_or_without_histograms_is_refused(baseline) -> None:
    with pytest.raises(job.JobError, match=r"model version 1\.0\.0 but the endpoint serves 2\.0\.0"):
        job.load_baseline(*baseline, "2.0.0")
    model_monitor = json.loads(json.dumps(baseline[0]))
    del model_monitor["features"][0]["launchpad"]
    with pytest.raises(profile.ProfileError, match="no launchpad histogram"):
        job.load_baseline(model_monitor, baseline[1], None)


def test_bad_training_data_is_refused_and_nothing_written(tmp_path: Path) -> None:
    cases = {
        "empty.csv": ("", "is empty"),
        "ragged.csv": ("a,b\n1,2\n3\n", "line 3 has 1 cells"),
        "blank.csv": ("a,b\n,\n", "feature 'a' has no values"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(MonitorError, match=message):
            commands.baseline(path, str(tmp_path / "out"))
    (tmp_path / "good.csv").write_text("a,b\n1,2\n")
    with pytest.raises(MonitorError, match="unknown drift statistic 'median'"):
        commands.baseline(tmp_path / "good.csv", str(tmp_path / "out"), statistic="median")
    assert not (tmp_path / "out").exists()


def test_the_cli_baselines_runs_and_reports_status(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    columns = training(600)
    rows = zip(*columns.values(), strict=True)
    data.write_text("age,visits,plan,label\n" + "".join(f"{a},{v},{p},1\n" for a, v, p in rows))
    runner = CliRunner()
    arguments = ["monitor", "baseline", str(data), "--out", str(tmp_path / "b"), "--exclude", "label"]
    made = runner.invoke(main, [*arguments, "--model-version", "1", "--json"])
    assert made.exit_code == 0, made.output
    assert [f["name"] for f in json.loads(made.stdout)["features"]] == ["age", "visits", "plan"]
    folder = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "12" / "07" / "11"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("\n".join(record(f"{70 + i % 9},{i % 4},basic") for i in range(50)))
    arguments = ["monitor", "run", "--baseline", str(tmp_path / "b"), "--capture", str(tmp_path / "capture")]
    arguments += ["--out", str(tmp_path / "r"), "--endpoint", "ep", "--end", "2026-12-07T12:00:00Z"]
    ran = runner.invoke(main, arguments)
    assert ran.exit_code == 0, ran.output
    assert "age" in ran.output and "DRIFT" in ran.output
    assert {p.name for p in (tmp_path / "r").iterdir()} == {
        "drift.json",
        "statistics.json",
        "constraint_violations.json",
    }
    shown = runner.invoke(main, ["monitor", "status", str(tmp_path / "r"), "--json"])
    assert json.loads(shown.stdout)["latest"]["drifted_features"] >= 1
    wrong = runner.invoke(
        main, [*arguments[:-2], "--end", "2026-12-07T12:00:00Z", "--model-version", "9", "--json"]
    )
    assert wrong.exit_code == 24 and json.loads(wrong.stdout)["error"]


def test_the_job_bundle_imports_nothing_but_numpy_scipy_boto3_and_itself(tmp_path: Path) -> None:
    allowed = {"numpy", "scipy", "boto3", "botocore", "__future__"} | set(sys.stdlib_module_names)
    for name, body in commands.job_bundle().items():
        for node in ast.walk(ast.parse(body)):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed | {commands.JOB_PACKAGE}, (name, roots)
    commands.write_bundle(str(tmp_path))
    shown = subprocess.run(
        [sys.executable, "-I", str(tmp_path / job.ENTRY_POINT), "--help"], capture_output=True, text=True
    )
    assert shown.returncode == 0 and "--window-minutes" in shown.stdout, shown.stderr


def test_without_numpy_the_monitor_commands_name_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in sys.modules if n.startswith("launchpad.monitor")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "numpy", None)
    result = CliRunner().invoke(main, ["monitor", "bundle", "--out", str(tmp_path / "code")])
    assert result.exit_code == 24
    assert "needs numpy: pip install 'launchpad[monitor]'" in result.output
    assert not (tmp_path / "code").exists()


def test_predictions_are_keyed_by_the_inference_id_for_ground_truth() -> None:
    def answered(output: str, encoding: str, inference_id: str | None) -> str:
        line = json.loads(record("50,3,basic", inference_id=inference_id))
        line["captureData"]["endpointOutput"] = {"data": output, "encoding": encoding, "mode": "OUTPUT"}
        return json.dumps(line)

    lines = [
        answered(json.dumps({"predictions": [{"probability": 0.8, "label": 1}]}), "JSON", "a"),
        answered(json.dumps({"predictions": [{"probability": 0.1}, {"probability": 0.7}]}), "JSON", "b"),
        answered("0.25\n", "CSV", "c"),
        answered("0.5", "CSV", None),  # no inference id: cannot be joined
        json.dumps({"captureData": {}, "eventMetadata": {"inferenceId": "d"}}),
    ]
    found, problems = capture.inferences(lines, "f.jsonl", names=("age", "visits", "plan"))
    assert {k: v.prediction for k, v in found.items()} == {"a": 0.8, "b#0": 0.1, "b#1": 0.7, "c": "0.25"}
    assert problems == ["f.jsonl line 5: no readable endpointOutput"]
    # the input row, named in the baseline's order; none for a row count the output does not match
    assert found["a"].features == {"age": "50", "visits": "3", "plan": "basic"}
    assert found["b#0"].features is None


def _feedback(inference_id: str, label: int) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "inference_id": inference_id,
        "stage": "prod",
        "endpoint": "ep",
        "variant": "AllTraffic",
        "model_version": "1.0.0",
        "score": {"kind": "outcome", "value": bool(label)},
        "label": label,
        "received_at": "2026-12-07T11:40:00Z",
        "source": "crm",
        "comment": "patient Jane called",
    }


def test_the_cli_scores_captured_predictions_against_feedback_labels(tmp_path: Path) -> None:
    folder = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "12" / "07" / "11"
    folder.mkdir(parents=True)
    scores = {f"req-{i}": (0.9 if i % 4 else 0.2) for i in range(40)}  # one in four scored low
    lines = []
    for inference_id, score in scores.items():
        line = json.loads(record("50,3,basic", inference_id=inference_id))
        output = json.dumps({"predictions": [{"probability": score, "label": int(score >= 0.5)}]})
        line["captureData"]["endpointOutput"] = {"data": output, "encoding": "JSON", "mode": "OUTPUT"}
        lines.append(json.dumps(line))
    (folder / "a.jsonl").write_text("\n".join(lines))
    # ground truth: every request was positive, so the low scores are the errors; one label has no request
    labels = [_feedback(i, 1) for i in scores] + [_feedback("req-unknown", 0)]
    (tmp_path / "feedback.jsonl").write_text("\n".join(json.dumps(r) for r in labels))
    card = tmp_path / "card.yaml"
    card.write_text(
        "evaluation:\n  metrics:\n    - {name: accuracy, threshold: 0.9, direction: higher_is_better}\n"
    )
    arguments = ["monitor", "quality", "--capture", str(tmp_path / "capture"), "--feedback"]
    arguments += [str(tmp_path / "feedback.jsonl"), "--endpoint", "ep", "--out", str(tmp_path / "q")]
    arguments += ["--end", "2026-12-07T12:00:00Z", "--model-card", str(card), "--json"]
    ran = CliRunner().invoke(main, arguments)
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["metrics"]["accuracy"] == pytest.approx(0.75)
    assert result["join"]["matched"] == 40 and result["join"]["labels_without_prediction"] == 1
    assert [v["metric_name"] for v in result["violations"]] == ["accuracy"]
    assert "Jane" not in ran.output
    written = json.loads((tmp_path / "q" / "statistics.json").read_text())
    assert written["binary_classification_metrics"]["confusion_matrix"]["1"] == {"0": 10, "1": 30}
