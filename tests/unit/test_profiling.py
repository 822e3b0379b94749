"""The suite profiler: what a test costs, counted per test and added up by tier, kind and directory."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from launchpad import profiling
from launchpad.profiling import Cost, Measured

pytest_plugins = ["pytester"]


def _measured(nodeid: str, cpu: float, sandbox: bool = False, **terraform: int) -> Measured:
    return Measured(
        nodeid, sandbox, Cost(tests=1, wall=cpu * 2, cpu=0.5, child_cpu=cpu - 0.5, terraform=terraform)
    )


def test_a_test_is_of_the_kind_its_name_says_else_of_its_directory() -> None:
    assert profiling.kind_of("tests/modules/test_static.py::test_module_validates", False) == "validate"
    assert profiling.kind_of("tests/modules/test_static.py::test_bad_input_is_rejected_at_plan", False) == (
        "bad-input"
    )
    assert profiling.kind_of("tests/modules/test_kms.py::test_key_rotates", True) == "apply"
    assert profiling.kind_of("tests/stacks/test_platform.py::test_x", True) == "apply"
    assert profiling.kind_of("tests/deploy/test_engine.py::test_x", True) == "deploy"
    assert profiling.kind_of("tests/newdir/test_new.py::test_x", False) == "newdir"


def test_the_summary_adds_up_by_group_most_cpu_first() -> None:
    measured = [
        _measured("tests/unit/test_a.py::test_one[1]", 1.0),
        _measured("tests/unit/test_a.py::test_one[2]", 2.0),
        _measured("tests/modules/test_kms.py::test_k@tests/modules/test_kms.py", 9.0, True, apply=1, init=1),
    ]
    document = profiling.summarize(measured, 12.0, {"worker gw0": 3.0}, workers=1)
    assert document["total"]["tests"] == 3 and document["total"]["terraform"] == 2
    assert document["total"]["cpu"] == pytest.approx(12.0)
    assert document["cpu_minutes"] == pytest.approx(15.0 / 60, abs=0.01), "CPU outside tests counts too"
    assert list(document["tiers"]) == ["sandbox", "fast"]
    assert document["functions"]["tests/unit/test_a.py::test_one"]["tests"] == 2
    assert document["directories"]["tests/modules"]["terraform_by_command"] == {"apply": 1, "init": 1}
    assert document["slowest"][0]["test"].startswith("tests/modules/test_kms.py")
    table = profiling.markdown(document, "kinds")
    assert table.splitlines()[0].startswith("| kind | tests | CPU s")
    assert "| apply | 1 | 9 | 8 | 2 | 18 |" in table


def test_the_shim_counts_terraform_subcommands_past_global_flags(tmp_path: Path) -> None:
    real = tmp_path / "real-terraform"
    real.write_text('#!/bin/sh\necho "ran $*"\n')
    real.chmod(0o755)
    shim = profiling.write_shim(tmp_path, str(real))
    log = tmp_path / "tf.log"
    env = {"PATH": "/usr/bin:/bin", profiling.TF_LOG_ENV: str(log)}
    out = subprocess.run([str(shim), "-chdir=x", "plan", "-out=p"], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ran -chdir=x plan -out=p", "the real binary gets every argument"
    subprocess.run([str(shim), "version"], env=env, check=True)
    assert profiling.count_commands(log.read_text().splitlines()) == {"plan": 1, "version": 1}


def test_a_profiled_run_writes_each_tests_cost(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_sample="""
import subprocess
import pytest

def test_runs_terraform():
    subprocess.run(["terraform", "version"], check=True, capture_output=True)

@pytest.mark.sandbox
def test_burns_cpu():
    sum(range(200_000))
"""
    )
    path = pytester.path / "profile.json"
    result = pytester.runpytest_subprocess("-p", "launchpad.profiling", f"--launchpad-profile={path}")
    result.assert_outcomes(passed=2)
    document = json.loads(path.read_text())
    assert document["total"]["tests"] == 2
    assert document["total"]["terraform_by_command"] == {"version": 1}
    assert set(document["tiers"]) == {"fast", "sandbox"}
    [row] = [r for r in document["slowest"] if r["test"].endswith("test_runs_terraform")]
    assert row["terraform"] == 1 and row["child_cpu"] > 0
