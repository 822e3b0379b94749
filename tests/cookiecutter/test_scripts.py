"""The baked project's scripts (scripts/*.py) answer a missing or bad argument with a usage line and exit 2,
not a traceback, and change nothing: their own arguments are checked (argparse) before launchpad is imported,
and the options they pass on are launchpad's to refuse (click). Without launchpad installed they say so."""

from __future__ import annotations

import logging
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import Bakery, bake_of, child_env

CASE = bake_of("scripts")
DEPLOY_USAGE = "usage: python scripts/deploy.py [-h] STAGE [launchpad deploy options ...]"


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """launchpad's CLI configures the root logger when it runs: put it back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="module")
def project(baked: Bakery) -> Path:
    return baked(CASE)


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _run(script: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str]:
    """Run ``script`` as ``python script argv...`` in this process (launchpad is already imported here);
    its exit code and stderr."""
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", [str(script), *argv])
        # Python's own cache of _launchpad is not a file the script made (and would depend on which test of
        # this module's shared project ran first)
        patch.setattr(sys, "dont_write_bytecode", True)
        patch.syspath_prepend(str(script.parent))  # as `python script` puts the script's folder first
        patch.delitem(sys.modules, "_launchpad", raising=False)
        with pytest.raises(SystemExit) as exited:
            runpy.run_path(str(script), run_name="__main__")
    return exited.value.code, capsys.readouterr().err


SCRIPTS = {
    "deploy-no-stage": (
        "deploy.py",
        [],
        [DEPLOY_USAGE, "error: the following arguments are required: STAGE"],
    ),
    "deploy-unknown-stage": (
        "deploy.py",
        ["qa"],
        [DEPLOY_USAGE, "error: argument STAGE: invalid choice: 'qa' (choose from 'dev', 'staging', 'prod'"],
    ),
    "deploy-stage-with-escape": (
        "deploy.py",
        ["dev\x1b[2J"],
        [DEPLOY_USAGE, "invalid choice: 'dev\\x1b[2J'"],
    ),
    "deploy-unknown-option": (
        "deploy.py",
        ["dev", "--no-such-option"],
        ["Usage: launchpad deploy [OPTIONS]", "No such option '--no-such-option'"],
    ),
    "deploy-bad-option-value": (
        "deploy.py",
        ["production", "--poll", "soon"],
        ["Usage: launchpad deploy [OPTIONS]", "Invalid value for '--poll': 'soon'"],
    ),
    "policy-unknown-option": (
        "policy_check.py",
        ["--no-such-option"],
        ["Usage: launchpad policy [OPTIONS] [PATHS]...", "No such option '--no-such-option'"],
    ),
    "build-environment-unknown-action": (
        "build_environment.py",
        ["install"],
        ["usage: python scripts/build_environment.py", "invalid choice: 'install'"],
    ),
    "policy-bad-format": (
        "policy_check.py",
        ["--format", "pdf"],
        ["Usage: launchpad policy [OPTIONS] [PATHS]...", "Invalid value for '--format': 'pdf'"],
    ),
}


@pytest.mark.parametrize(("script", "argv", "says"), SCRIPTS.values(), ids=SCRIPTS.keys())
def test_a_missing_or_bad_argument_is_a_usage_error(
    script: str, argv: list[str], says: list[str], project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2, the usage line and what is wrong on stderr, no traceback, and no file made or changed."""
    before = _files(project)
    code, err = _run(project / "scripts" / script, argv, capsys)
    assert code == 2, err
    assert all(part in err for part in says), err
    assert "Traceback" not in err
    assert _files(project) == before


def test_without_launchpad_the_scripts_say_so_after_checking_their_arguments(project: Path) -> None:
    """In a Python without launchpad (``-S``: no site-packages), a bad argument is still a usage error (the
    arguments are checked first), and a good one is refused with one line saying to run make setup, exit 3
    (launchpad's code for a missing tool), not an ImportError's traceback."""
    env = child_env()

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-S", *argv]
        return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=60)

    usage = run("scripts/deploy.py")
    assert usage.returncode == 2 and DEPLOY_USAGE in usage.stderr, usage.stderr
    for script in ("scripts/deploy.py", "scripts/policy_check.py"):
        missing = run(script, "dev") if script.endswith("deploy.py") else run(script)
        assert missing.returncode == 3, missing.stderr
        assert (
            "error: launchpad is not installed in " in missing.stderr and "run make setup" in missing.stderr
        )
        assert "Traceback" not in missing.stderr


def _deploy_arguments(project: Path) -> Any:
    """deploy.py's ``arguments``, loaded as ``python scripts/deploy.py`` loads (its folder on the path)."""
    script = project / "scripts" / "deploy.py"
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(script.parent))
        patch.delitem(sys.modules, "_launchpad", raising=False)
        return runpy.run_path(str(script))["arguments"]


@pytest.mark.parametrize(
    ("stage", "ships"),
    [("dev", True), ("staging", True), ("prod", False), ("production", False)],
)
def test_dev_and_staging_ship_the_artifact_with_its_baseline(project: Path, stage: str, ships: bool) -> None:
    """deploy.py's launchpad command line: dev and staging upload build/model.tar.gz and, beside it, the
    drift baseline make baseline writes (--baseline build/baseline); prod ships what the registry approved."""
    command = _deploy_arguments(project)(stage, ["--json"])
    shipped = {
        option: command[command.index(option) + 1]
        for option in ("--artifact", "--baseline")
        if option in command
    }
    expected = {"--artifact": "build/model.tar.gz", "--baseline": "build/baseline"} if ships else {}
    assert shipped == {option: str(project / path) for option, path in expected.items()}
    assert command[-1] == "--json"


def test_an_llm_project_ships_no_baseline(baked: Bakery) -> None:
    project = baked(bake_of("scripts-llm", framework="huggingface-llm"))
    command = _deploy_arguments(project)("staging", [])
    assert "--artifact" in command and "--baseline" not in command
