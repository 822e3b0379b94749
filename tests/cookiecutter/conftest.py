"""Fixtures of the bake tests: cookiecutter kept out of the home folder, and each answer set baked once per
worker and shared by the tests that read it (test_matrix.py is one xdist group, so once per run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from launchpad.scaffold import cookiecutter_config

from .support import Bakery


@pytest.fixture(scope="session", autouse=True)
def cookiecutter_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """cookiecutter writes a replay file of every bake (by default under ~/.cookiecutter_replay, one file
    per template that parallel workers would share): here it writes into the run's temporary folder."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOKIECUTTER_CONFIG", cookiecutter_config(home))
        yield home


@pytest.fixture(scope="session")
def baked(tmp_path_factory: pytest.TempPathFactory, cookiecutter_home: Path) -> Bakery:
    """The bakes of this worker, each made once: ``baked(case)`` is the project folder."""
    return Bakery(tmp_path_factory)
