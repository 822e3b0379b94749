"""The build image's environment, as a baked project uses it: ``make setup`` with PYTHON set to an interpreter
that already has everything (the image's /opt/venv/bin/python; here launchpad's own, whose versions the
project pins) checks it, makes no .venv and downloads nothing; an environment that lacks checkov, launchpad
at the pinned version or a pinned dependency is refused with a line naming it. The image's tag follows what
it installs, not the project's version, and the Dockerfile installs what the check then expects."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from launchpad import __version__

from .support import ORGANISATION, Bakery, bake_of, child_env

# One worker runs this file: its module fixture (the bake and the checkov stand-in) runs once.
pytestmark = pytest.mark.xdist_group("test_build_environment")

CASE = bake_of("build-environment")


@pytest.fixture(scope="module")
def baked_project(baked: Bakery) -> Path:
    return baked(CASE)


@pytest.fixture
def project(baked_project: Path, tmp_path: Path) -> Path:
    """A copy of the bake, for tests that change it."""
    return Path(shutil.copytree(baked_project, tmp_path / "project"))


@pytest.fixture(scope="module")
def checkov(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An executable where LAUNCHPAD_CHECKOV points (the check does not run it)."""
    path = tmp_path_factory.mktemp("checkov") / "checkov"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def _setup(project: Path, checkov: Path | str) -> subprocess.CompletedProcess[str]:
    """``make setup`` with this interpreter as the prebuilt PYTHON, as the build image's ENV sets it."""
    command = ["make", "--no-print-directory", "-C", str(project), "setup", f"PYTHON={sys.executable}"]
    env = child_env() | {"LAUNCHPAD_CHECKOV": str(checkov)}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=60)


def _made(project: Path) -> list[str]:
    return [name for name in (".venv", ".tools", "build") if (project / name).exists()]


def test_a_prebuilt_environment_is_checked_and_nothing_is_made_or_downloaded(
    baked_project: Path, checkov: Path
) -> None:
    done = _setup(baked_project, checkov)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "has everything this project pins, and checkov: nothing to install" in done.stdout
    assert f"ready: {sys.executable} (prebuilt: launchpad {__version__}" in done.stdout
    assert _made(baked_project) == [], "no .venv, no .tools: nothing was installed"


def test_an_environment_without_checkov_is_refused_naming_it(baked_project: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-checkov"
    done = _setup(baked_project, missing)
    assert done.returncode != 0
    assert (
        f"cannot run this project without downloading:\n  - checkov is not at LAUNCHPAD_CHECKOV={missing}"
        in (done.stderr)
    )
    assert "make push-build-image" in done.stderr
    assert _made(baked_project) == []


def test_an_environment_older_than_the_pins_is_refused_naming_each_package(
    project: Path, checkov: Path
) -> None:
    """The image was built before a pin changed: launchpad's version and a dependency's, each named."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"numpy==2.4.6"', '"numpy==2.4.7"'))
    pins = project / "requirements-launchpad.txt"
    pins.write_text(pins.read_text().replace(f"launchpad=={__version__} ", "launchpad==9.9.9 "))
    done = _setup(project, checkov)
    assert done.returncode != 0
    problems = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    assert problems == [
        f"  - launchpad is {__version__}, and the project pins 9.9.9",
        "  - numpy is 2.4.6, and the project pins 2.4.7",
    ], done.stderr
    assert _made(project) == []


def _tag(project: Path) -> str:
    done = subprocess.run(
        [sys.executable, "scripts/build_environment.py", "tag"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_image_tag_follows_what_it_installs_not_the_projects_version(project: Path) -> None:
    before = _tag(project)
    assert re.fullmatch(r"deps-[0-9a-f]{16}", before)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    assert _tag(project) == before, "a release alone needs no new image"
    pyproject.write_text(pyproject.read_text().replace('"numpy==2.4.6"', '"numpy==2.4.7"'))
    assert _tag(project) != before, "a new pin is a new image"


def test_the_image_installs_what_the_check_expects_and_sets_what_make_reads(baked_project: Path) -> None:
    """launchpad by hash (the release folder when given, with no index), every pin of pyproject.toml, checkov
    at the Makefile's version; ENV PYTHON, LAUNCHPAD_CHECKOV (the check's paths) and Terraform's mirror; the
    modules of the pinned tag served from that launchpad wheel's copy, in place of the git repository."""
    dockerfile = (baked_project / "build-image" / "Dockerfile").read_text()
    assert (
        "pip install --require-hashes --no-deps ${from_release:-} -r requirements-launchpad.txt" in dockerfile
    )
    assert 'from_release="--no-index --find-links launchpad-release"' in dockerfile
    assert "scripts/build_environment.py requirements > requirements-project.txt" in dockerfile
    assert re.search(
        r"^ARG BASE_IMAGE=public\.ecr\.aws/codebuild/amazonlinux2-x86_64-standard:5\.0$", dockerfile, re.M
    )
    makefile = (baked_project / "Makefile").read_text()
    [checkov_version] = re.findall(r"^CHECKOV_VERSION := (\S+)", makefile, re.M)
    assert "--build-arg CHECKOV_VERSION=$(CHECKOV_VERSION)" in makefile
    assert f"ARG CHECKOV_VERSION={checkov_version}" in dockerfile
    env = dockerfile.split("\nENV PATH=", 1)[1]
    for setting in (
        "PYTHON=/opt/venv/bin/python",
        "LAUNCHPAD_CHECKOV=/opt/checkov/bin/checkov",
        "TF_CLI_CONFIG_FILE=/opt/terraform/cli.tfrc",
    ):
        assert setting in env, setting
    git_url = ORGANISATION["launchpad_git_url"]
    assert f'insteadOf "{git_url}.git"' in dockerfile
    assert f"tag v{__version__}" in dockerfile
    assert (
        f'{git_url}.git//modules/endpoint-monitoring?ref=v{__version__}"'
        in (baked_project / "terraform" / "main.tf").read_text()
    )
