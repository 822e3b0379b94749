"""The baked buildspec's install phase, run with stand-ins for ``aws`` and ``make``: online it runs
``make setup``; given LAUNCHPAD_RELEASE_URI (the platform's copy of a release) it copies that folder, checks
it against its SHA256SUMS and installs from it alone, and a folder that does not verify stops the build
before anything is installed; in the build image (PYTHON set) it only runs ``make setup``, which checks that
environment, and copies nothing. Every command's shell options stay in its own subshell: CodeBuild runs a
phase's commands in one shell."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from launchpad.scaffold import bake

from .support import ORGANISATION, child_env

# One worker runs this file: its module fixture (the bake) runs once.
pytestmark = pytest.mark.xdist_group("test_buildspec")

URI = "s3://platform-artifacts/releases/launchpad/0.1.0/"
FAKE_AWS = """#!/bin/bash
# aws s3 cp --recursive --only-show-errors <uri> <folder>: copies $FAKE_S3_FOLDER, records the call.
echo "aws $*" >> "$CALLS"
[ "$1 $2 $3" = "s3 cp --recursive" ] || exit 9
mkdir -p "${@: -1}" && cp -R "$FAKE_S3_FOLDER"/. "${@: -1}"
"""
FAKE_MAKE = """#!/bin/bash
echo "make $*" >> "$CALLS"
"""


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A baked project and its buildspec's install commands."""
    project = bake(tmp_path_factory.mktemp("buildspec"), {"project_slug": "fraud", **ORGANISATION})
    spec = yaml.safe_load((project / "buildspec.yml").read_text())
    (script,) = spec["phases"]["install"]["commands"]
    return project, script


def _run(project: Path, script: str, tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("aws", FAKE_AWS), ("make", FAKE_MAKE)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    environ = {
        key: value for key, value in child_env().items() if key not in ("LAUNCHPAD_RELEASE_URI", "PYTHON")
    }
    environ |= {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CALLS": str(calls), **env}
    done = subprocess.run(["bash", "-c", script], cwd=project, env=environ, capture_output=True, check=False)
    return done.returncode, calls.read_text().splitlines()


def _release(folder: Path) -> Path:
    folder.mkdir()
    wheel = folder / "launchpad-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"a wheel")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (folder / "SHA256SUMS").write_text(f"{digest}  {wheel.name}\n")
    return wheel


def test_online_the_install_is_make_setup(install: tuple[Path, str], tmp_path: Path) -> None:
    project, script = install
    code, calls = _run(project, script, tmp_path)
    assert (code, calls) == (0, ["make setup"])


def test_offline_the_install_verifies_the_platforms_copy_then_installs_from_it(
    install: tuple[Path, str], tmp_path: Path
) -> None:
    project, script = install
    _release(tmp_path / "s3")
    code, calls = _run(
        project, script, tmp_path, LAUNCHPAD_RELEASE_URI=URI, FAKE_S3_FOLDER=str(tmp_path / "s3")
    )
    assert code == 0
    assert calls == [
        f"aws s3 cp --recursive --only-show-errors {URI} .tools/launchpad-release/",
        "make setup LAUNCHPAD_FIND_LINKS=.tools/launchpad-release",
    ]


def test_offline_a_copy_that_does_not_verify_stops_before_any_install(
    install: tuple[Path, str], tmp_path: Path
) -> None:
    project, script = install
    wheel = _release(tmp_path / "s3")
    wheel.write_bytes(b"another wheel")
    code, calls = _run(
        project, script, tmp_path, LAUNCHPAD_RELEASE_URI=URI, FAKE_S3_FOLDER=str(tmp_path / "s3")
    )
    assert code != 0
    assert not any(call.startswith("make") for call in calls), calls


def test_in_the_build_image_the_install_only_checks_its_environment(
    install: tuple[Path, str], tmp_path: Path
) -> None:
    """The image sets PYTHON to its interpreter: make setup checks it; the release folder is not copied even
    when the pipeline names one (the image installed that release when it was built)."""
    project, script = install
    _release(tmp_path / "s3")
    code, calls = _run(
        project,
        script,
        tmp_path,
        PYTHON="/opt/venv/bin/python",
        LAUNCHPAD_RELEASE_URI=URI,
        FAKE_S3_FOLDER=str(tmp_path / "s3"),
    )
    assert (code, calls) == (0, ["make setup"])


@pytest.fixture(scope="module")
def commands(install: tuple[Path, str]) -> list[str]:
    """Every command of every phase of the baked buildspec."""
    spec = yaml.safe_load((install[0] / "buildspec.yml").read_text())
    return [command for phase in spec["phases"].values() for command in phase["commands"]]


def test_no_command_leaves_its_shell_options_to_the_next(
    install: tuple[Path, str], commands: list[str], tmp_path: Path
) -> None:
    """CodeBuild (buildspec 0.2) runs a phase's commands in one shell: each command's set -euo pipefail is its
    subshell's, so the shell that runs the next command (and CodeBuild's own) has none of them."""
    project, _ = install
    report = 'echo "options $- pipefail=$(shopt -qo pipefail && echo on || echo off)" >> "$CALLS"'
    code, calls = _run(project, "\n".join([*commands, report]), tmp_path, LAUNCHPAD_STEP="policy-check")
    assert code == 0 and calls[:2] == ["make setup", "make policy"], calls
    flags, pipefail = calls[2].removeprefix("options ").split(" ")
    assert "e" not in flags and "u" not in flags and pipefail == "pipefail=off", calls[2]


def _build_step(project: Path, tmp_path: Path) -> tuple[int, list[str]]:
    """The make commands the Build-and-test step runs (the build phase, with a stand-in make)."""
    spec = yaml.safe_load((project / "buildspec.yml").read_text())
    (script,) = spec["phases"]["build"]["commands"]
    return _run(project, script, tmp_path, LAUNCHPAD_STEP="build-and-test")


def test_the_build_profiles_the_drift_baseline_where_it_builds_the_artifact(
    install: tuple[Path, str], tmp_path: Path
) -> None:
    """Build-and-test writes build/baseline/ from the training run that made build/model.tar.gz; the deploy
    steps start from that output and Deploy-staging ships both (scripts/deploy.py)."""
    code, calls = _build_step(install[0], tmp_path)
    assert (code, calls) == (0, ["make test", "make package", "make baseline"])


def test_an_llm_project_has_no_baseline_to_build(tmp_path: Path) -> None:
    """The LLM's inputs are text: it has no tabular drift baseline (no make baseline)."""
    project = bake(
        tmp_path / "bake", {"project_slug": "chat", "framework": "huggingface-llm", **ORGANISATION}
    )
    code, calls = _build_step(project, tmp_path)
    assert (code, calls) == (0, ["make test", "make package"])
