"""Fixtures: the model trained once per test run, and launchpad's inference server over it on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from launchpad_serving import serve_in_process

from {{ cookiecutter.project_slug }}.train import build

from .support import Built, Server

PROJECT = Path(__file__).resolve().parents[1]
HANDLER = "{{ cookiecutter.project_slug }}.inference"


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Built:
    output = tmp_path_factory.mktemp("build")
    return Built(output, build(output))


@pytest.fixture(scope="session")
def server(trained: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``python -m launchpad_serving serve`` in a process of its own, as ``make serve`` and the container
    run it; a server that exits or stays silent fails with the end of its log."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with serve_in_process(HANDLER, trained.model_dir, pythonpath=[PROJECT / "src"], log=log) as url:
        yield Server(url)
