"""launchpad bench: which examples it measures, and how runs compare."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from launchpad import bench
from launchpad.errors import LaunchpadError
from launchpad.pipeline import bench as pipeline_bench


def test_every_module_example_is_named_module_slash_example() -> None:
    names = [bench.example_name(e) for e in bench.examples()]
    assert "kms/complete" in names
    assert {"sagemaker-endpoint/realtime-canary", "sagemaker-endpoint/serverless"} <= set(names)


def test_root_stacks_are_measured_after_the_examples_with_their_environment() -> None:
    subjects = bench.subjects()
    platform = next(s for s in subjects if s.name == "stack/platform[sandbox]")
    assert platform.var_file is not None and platform.var_file.name == "sandbox.tfvars"
    assert platform.label == "platform"
    first_stack = next(i for i, s in enumerate(subjects) if s.name.startswith("stack/"))
    assert all(s.name.startswith("stack/") for s in subjects[first_stack:])


def test_a_filter_that_matches_nothing_is_an_error_before_any_work() -> None:
    with pytest.raises(LaunchpadError, match="nothing matches nothing-like-this"):
        next(bench.run("http://127.0.0.1:9", ("nothing-like-this",)))


def test_compare_reports_the_change_per_step() -> None:
    previous = {"results": {"kms/complete": {"apply": 10.0}}}
    current = {"results": {"kms/complete": {"apply": 12.0}, "new/one": {"apply": 1.0}}}
    assert bench.compare(previous, current) == ["kms/complete apply: 10.0s -> 12.0s (+20%)"]


def test_policy_alone_needs_no_terraform_and_reports_a_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(bench, "_bare_checkov", lambda: calls.append("bare"))
    monkeypatch.setattr(bench.policy, "run", lambda: calls.append("policy"))
    seconds = iter([10.0, 18.0, 30.0, 37.0, 50.0, 59.0, 70.0, 76.0])  # bare 8, policy 7, bare 9, policy 6
    monkeypatch.setattr(bench.time, "monotonic", lambda: next(seconds))
    results = dict(bench.run("http://127.0.0.1:9", ("policy",)))
    assert list(results) == ["policy"], "no provider floor or example when only the policy run is asked for"
    assert results["policy"] == {"checkov_bare": 8.0, "launchpad_policy": 6.0, "ratio": 0.75}
    assert calls == ["bare", "policy"] * bench.POLICY_ROUNDS


def test_a_ratio_is_printed_without_a_unit() -> None:
    assert bench.format_value("ratio", 0.8567) == "ratio  0.86"
    assert bench.format_value("apply", 12.34) == "apply   12.3s"
    assert bench.format_value("alarm_to_rollback_seconds", 0.0123) == "alarm_to_rollback_seconds    12ms"
    assert bench.format_value("mutating_calls", 9.0) == "mutating_calls    9"


def test_the_guarded_update_is_measured_alone_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    measured = {"mutating_calls": 9.0, "alarm_to_rollback_seconds": 0.2, "seconds": 3.0}
    monkeypatch.setattr(bench, "measure_guarded_update", lambda url: measured)
    results = dict(bench.run("http://127.0.0.1:9", ("guarded-update",)))
    assert results == {"deploy/guarded-update": measured}


def test_the_authorization_cost_is_measured_alone_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    measured = {"calls": 300.0, "authorize_median_ms": 0.7, "authorize_p99_ms": 2.5, "ratio": 0.12}
    monkeypatch.setattr(bench, "measure_authorization", lambda url: measured)
    results = dict(bench.run("http://127.0.0.1:9", ("sandbox/authorization",)))
    assert results == {"sandbox/authorization": measured}


@pytest.mark.parametrize(
    ("only", "function"),
    [
        ("sandbox/alarm-delay", "measure_alarm_delay"),
        ("sandbox/lambda-invoke", "measure_lambda"),
        ("sandbox/pipeline", "measure_pipeline"),
    ],
)
def test_what_the_sandbox_runs_is_measured_alone_when_asked_for(
    monkeypatch: pytest.MonkeyPatch, only: str, function: str
) -> None:
    urls: list[str] = []
    monkeypatch.setattr(bench, function, lambda url: urls.append(url) or {"seconds": 1.0})
    assert dict(bench.run("http://127.0.0.1:9", (only,))) == {only: {"seconds": 1.0}}
    assert urls == ["http://127.0.0.1:9"]


def test_the_demo_reports_its_seconds_and_each_pipeline_executions(monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

    def action(start: int, end: int) -> dict[str, Any]:
        return {"startTime": at + timedelta(seconds=start), "lastUpdateTime": at + timedelta(seconds=end)}

    class FakeDemo:
        def __init__(self) -> None:
            v1 = SimpleNamespace(actions=[action(0, 5), action(5, 31)])
            v2 = SimpleNamespace(actions=[action(100, 104), action(104, 140)])
            self.project = SimpleNamespace(releases={"v1": v1, "v2": v2})

        def run(self, on_step: Any, on_result: Any) -> list[str]:
            seconds.append(100.0)
            return []

    seconds = [10.0]
    monkeypatch.setattr(bench, "Demo", FakeDemo)
    monkeypatch.setattr(bench.time, "monotonic", lambda: seconds[-1])
    results = dict(bench.run("http://127.0.0.1:9", ("demo",)))
    assert results == {"demo": {"demo_s": 90.0, "pipeline_v1_s": 31.0, "pipeline_v2_s": 40.0}}


def test_milliseconds_keep_their_decimals_and_calls_are_counted() -> None:
    assert bench.format_value("authorize_median_ms", 0.7444) == "authorize_median_ms   0.744ms"
    assert bench.format_value("calls", 300.0) == "calls  300"


def test_the_authorization_cost_is_the_sandboxs_own_timer_against_the_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The median and p99 come from the sandbox's stats after they were cleared; the ratio is the median's
    share of the calls' median round trip."""
    requests: list[tuple[str, str]] = []

    def request(target: object, method: str, route: str, *args: object, **kwargs: object) -> dict:
        requests.append((method, route))
        return {"authorize_ms": {"calls": 300, "median": 0.5, "p99": 2.0}} if method == "GET" else {}

    class Client:
        def __getattr__(self, name: str) -> object:
            return lambda **kwargs: {}

    class Role:
        def client(self, service: str) -> Client:
            return Client()

    monkeypatch.setattr(bench, "_authorization_workload", lambda target: Role())
    monkeypatch.setattr(bench.control, "request", request)
    monkeypatch.setattr(bench, "_seconds", lambda action: (action(), 0.004)[1])
    measured = bench.measure_authorization("http://127.0.0.1:9")
    assert requests == [("DELETE", bench.STATS_ROUTE), ("GET", bench.STATS_ROUTE)]
    assert measured == {
        "calls": 300.0,
        "authorize_median_ms": 0.5,
        "authorize_p99_ms": 2.0,
        "call_median_ms": 4.0,
        "ratio": 0.125,
    }


def test_an_authorization_bench_without_authorization_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Role:
        def client(self, service: str) -> object:
            return type("Client", (), {"__getattr__": lambda self, name: lambda **kwargs: {}})()

    monkeypatch.setattr(bench, "_authorization_workload", lambda target: Role())
    monkeypatch.setattr(bench.control, "request", lambda *args, **kwargs: {"enabled": False})
    with pytest.raises(LaunchpadError, match="timed no authorization"):
        bench.measure_authorization("http://127.0.0.1:9")


def test_the_suite_is_profiled_as_make_test_runs_it_and_compared_by_its_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    profile = {
        "wall_seconds": 300.0,
        "cpu_minutes": 10.0,
        "total": {"tests": 2000, "terraform": 150},
        "tiers": {"sandbox": {"cpu": 280.0, "terraform": 100}, "fast": {"cpu": 300.0, "terraform": 50}},
        "kinds": {"validate": {"cpu": 20.04, "terraform": 2}},
    }
    commands = []

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        assert "LAUNCHPAD_SANDBOX_URL" not in kwargs["env"], "its own sandbox, as in a fresh clone"
        path = Path(next(a for a in command if a.startswith("--launchpad-profile=")).split("=", 1)[1])
        path.write_text(json.dumps(profile))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setenv("LAUNCHPAD_SANDBOX_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    results = dict(bench.run("http://127.0.0.1:9", ("suite/profile",), profile_dir=tmp_path))
    [command] = commands
    assert command[command.index("-m", 3) + 1] == "not aws" and "loadgroup" in command
    assert results == {
        "suite/profile": {
            "wall_seconds": 300.0,
            "cpu_seconds": 600.0,
            "tests": 2000.0,
            "terraform_runs": 150.0,
            "sandbox_cpu_seconds": 280.0,
            "sandbox_terraform_runs": 100.0,
            "fast_cpu_seconds": 300.0,
            "fast_terraform_runs": 50.0,
            "validate_cpu_seconds": 20.0,
            "validate_terraform_runs": 2.0,
        }
    }
    assert (tmp_path / bench.SUITE_PROFILE_FILE).exists(), "the whole profile is kept beside the results"
    assert bench.format_value("terraform_runs", 150.0) == "terraform_runs  150"


def test_a_failing_suite_gives_no_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bench.subprocess, "run", lambda command, **_: subprocess.CompletedProcess(command, 1))
    with pytest.raises(LaunchpadError, match="the suite failed"):
        bench.measure_suite(tmp_path)


def test_the_drift_bench_reports_memory_ratios_and_errors_readably() -> None:
    assert bench.format_value("job_peak_mib", 181.25) == "job_peak_mib   181.2MiB"
    assert bench.format_value("job_to_parse", 1.234) == "job_to_parse  1.23"
    assert bench.format_value("ks_max_abs_error", 0.00031) == "ks_max_abs_error 3.10e-04"
    assert bench.format_value("records", 1e6) == "records 1000000"


# -- pipeline/tuner-vs-grid ----------------------------------------------------------------------------------
def test_the_tuner_is_compared_with_the_grid_alone_when_asked_for() -> None:
    """Over the demo project's ranges: the grid's 100 trials, Bayesian's and Random's trials to its best per
    seed and summed up; Bayesian reaches it in fewer trials than the grid (issue 21); no time measured."""
    results = dict(bench.run("http://127.0.0.1:9", ("pipeline/tuner-vs-grid",)))
    assert list(results) == ["pipeline/tuner-vs-grid"], (
        "the tuner needs no sandbox, example or provider floor"
    )
    measured = results["pipeline/tuner-vs-grid"]
    assert measured["grid_trials"] == 100 and 1 <= measured["grid_to_best_trials"] <= 100
    assert measured["seeds"] == 5
    for column in ("bayesian", "random"):
        per_seed = [measured[f"{column}_seed{seed}_trials"] for seed in range(5)]
        assert measured[f"{column}_mean_trials"] == pytest.approx(sum(per_seed) / 5, abs=0.01)
        assert measured[f"{column}_max_trials"] == max(per_seed)
        assert measured[f"{column}_ratio"] == pytest.approx(measured[f"{column}_mean_trials"] / 100, abs=1e-4)
    assert measured["ratio"] == measured["bayesian_ratio"] < 1 and measured["bayesian_missed_runs"] == 0
    assert not [k for k in measured if k.endswith("_s")], "trial counts, not seconds"
    assert bench.format_value("bayesian_mean_trials", 8.4) == "bayesian_mean_trials  8.40"
    assert bench.format_value("grid_trials", 100.0) == "grid_trials  100"
    assert bench.format_value("bayesian_to_grid_best_ratio", 0.127) == "bayesian_to_grid_best_ratio  0.13"


def test_a_seed_that_never_reaches_the_grids_best_counts_as_missed() -> None:
    """A flat objective but for one grid point no search is likely to draw: missing it is the grid's size
    + 1 trials, counted in ``*_missed_runs``."""
    ranges = {"IntegerParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1000"}]}
    grid_best = "1000"  # the grid's last point (5 points: 0, 250, 500, 750, 1000)
    measured = pipeline_bench.measure_tuner_vs_grid(
        seeds=(0,), objective=lambda values: float(values["x"] == grid_best), ranges=ranges
    )
    assert measured["grid_trials"] == 5 and measured["grid_to_best_trials"] == 5
    assert measured["random_seed0_trials"] == 6 and measured["random_missed_runs"] == 1


def test_a_tuner_comparison_without_seeds_is_an_error() -> None:
    with pytest.raises(LaunchpadError, match="no seeds"):
        pipeline_bench.measure_tuner_vs_grid(seeds=())


# -- pipeline/baked-project: only what needs no sandbox (the run itself takes minutes: `make bench`) ---------
@pytest.mark.parametrize("value", [0, -3, 2.5, "12", True])
def test_a_bad_max_training_jobs_is_refused_before_anything_starts(value: Any) -> None:
    with pytest.raises(LaunchpadError, match="MaxTrainingJobs"):
        pipeline_bench.measure_baked_project("http://127.0.0.1:9", max_training_jobs=value)


def test_a_followed_execution_is_reported_by_its_steps_seconds_jobs_and_scores() -> None:
    at = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)

    def step(name: str, start: float, end: float | None) -> dict[str, Any]:
        times = {"StartTime": at + timedelta(seconds=start)}
        return {"StepName": name, **times, **({"EndTime": at + timedelta(seconds=end)} if end else {})}

    run = SimpleNamespace(
        steps=[step("ValidateData", 0, 1.5), step("Tune", 1.5, 33), step("Register", 33, None)],
        description={"CreationTime": at, "LastModifiedTime": at + timedelta(seconds=38.4)},
        tuning={
            "TrainingJobStatusCounters": {"Completed": 10, "Stopped": 2, "NonRetryableError": 0},
            "BestTrainingJob": {"FinalHyperParameterTuningJobObjectiveMetric": {"Value": 0.85312}},
        },
        evaluation={"metrics": {"auc": {"mean": 0.85571, "std": 0.01266}}},
    )
    assert pipeline_bench.execution_results(run, 38.83) == {
        "ValidateData_s": 1.5,
        "Tune_s": 31.5,
        "total_s": 38.4,
        "execution_real_s": 38.8,
        "training_jobs": 12.0,
        "best_objective": 0.8531,
        "cv_auc": 0.8557,
        "cv_auc_std": 0.0127,
    }
    assert bench.format_value("training_jobs", 12.0) == "training_jobs   12"
    assert bench.format_value("cv_auc", 0.8557) == "cv_auc  0.86"
