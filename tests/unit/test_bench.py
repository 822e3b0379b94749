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
