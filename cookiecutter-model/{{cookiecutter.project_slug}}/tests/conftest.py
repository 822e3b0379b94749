"""Fixtures: the model trained once per test run, and launchpad's inference server over it on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }}.train import build

from .support import Built, Server

PROJECT = Path(__file__).resolve().parents[1]
HANDLER = "{{ cookiecutter.project_slug }}.inference"
START_SECONDS = 60


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Built:
    output = tmp_path_factory.mktemp("build")
    return Built(output, build(output))


@pytest.fixture(scope="session")
def server(trained: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``python -m launchpad.serving`` in a subprocess, as ``make serve`` and the container run it."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    paths = [str(PROJECT / "src"), os.environ.get("PYTHONPATH", "")]
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    command = [sys.executable, "-m", "launchpad.serving", "--handler", HANDLER]
    command += ["--model-dir", str(trained.model_dir), "--port", str(port)]
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}")
    try:
        _wait_until_up(server, process, log)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(server: Server, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if server.get("/ping").status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer /ping within {START_SECONDS} s:\n{log.read_text()}")
