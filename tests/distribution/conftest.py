"""Fixtures: the distributions built once per run and installed in fresh virtualenvs outside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from launchpad.paths import repo_root
from launchpad.policy.checkov import CHECKOV_ENV

from .support import PROJECT_REQUIREMENTS, Installed, fill_wheelhouse, install, version, wheelhouse


@pytest.fixture(scope="session")
def wheels() -> Path:
    folder = wheelhouse()
    fill_wheelhouse(folder)
    return folder


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Installed:
    """launchpad and launchpad-serving (wheels built from their sdists) plus what the default bake's
    ``make test`` needs, in a fresh virtualenv; nothing of the sandbox extra."""
    root = tmp_path_factory.mktemp("distribution")
    own = [f"launchpad=={version()}", f"launchpad-serving=={version()}"]
    return install(root, wheels, [*own, *PROJECT_REQUIREMENTS])


@pytest.fixture(scope="session")
def installed_serving(installed: Installed, wheels: Path) -> Installed:
    """launchpad-serving alone, from the same wheels, as the serving image installs it."""
    root = installed.venv.parent
    return install(root, wheels, [f"launchpad-serving=={version()}"], name="serving", build_dirs=False)


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The pinned checkov (a tool launchpad runs, not a package it carries)."""
    path = Path(os.environ.get(CHECKOV_ENV) or repo_root() / ".tools" / "checkov" / "bin" / "checkov")
    if not path.is_file():
        pytest.skip(f"no checkov at {path}: run `make setup`")
    return path
