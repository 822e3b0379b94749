"""The contract served on this machine without a container: in a thread (tests, the sandbox's model
servers) or as its own process started as a container starts it (a project's tests, the demo)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from launchpad_serving.app import LOG, InferenceApp
from launchpad_serving.contract import MAX_PAYLOAD_BYTES, Model


class ThreadedServer(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per request (``server_port``, ``shutdown()``)."""

    daemon_threads = True


class _QuietRequest(WSGIRequestHandler):
    """Logs method, path and status; never the query or a malformed request line (either may be input)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        LOG.info('%s "%s %s" %s', self.client_address[0], self.command, self.path.split("?", 1)[0], code)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s: the HTTP layer refused a request", self.client_address[0])


def serve_in_thread(
    model: Model, host: str = "127.0.0.1", port: int = 0, max_payload: int = MAX_PAYLOAD_BYTES
) -> ThreadedServer:
    """Serve ``model`` in a daemon thread (port 0: a free one, ``server.server_port``); stop it with
    ``server.shutdown()`` and ``server.server_close()``."""
    server = ThreadedServer((host, port), _QuietRequest)
    server.set_app(InferenceApp(model, max_payload))
    threading.Thread(target=server.serve_forever, name="launchpad-serving", daemon=True).start()
    return server


class ServerStartError(RuntimeError):
    """``serve_in_process``: the server exited, or did not answer ``/ping`` in time."""


@contextlib.contextmanager
def serve_in_process(
    handler: str,
    model_dir: Path,
    *,
    pythonpath: Sequence[Path] = (),
    log: Path | None = None,
    timeout: float = 60.0,
    workers: int = 1,
) -> Iterator[str]:
    """``python -m launchpad_serving serve`` (gunicorn) in a process of its own, as a container runs it:
    yields its URL once ``/ping`` answers 200, and stops it after.

    The server takes a free port (``--port 0``) and logs where it listens; ``pythonpath`` goes before the
    inherited ``PYTHONPATH`` (a project's ``src/``). Its output goes to ``log`` (a temporary file if None),
    whose end a ``ServerStartError`` quotes.
    """
    paths = [*(str(path) for path in pythonpath), os.environ.get("PYTHONPATH", "")]
    env = os.environ | {"PYTHONPATH": os.pathsep.join(path for path in paths if path)}
    command = [sys.executable, "-m", "launchpad_serving", "serve", "--handler", handler]
    command += ["--model-dir", str(model_dir), "--port", "0", "--workers", str(workers)]
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="launchpad-serving-"))) / "log"
        output = stack.enter_context(log.open("w"))
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            yield _wait_until_serving(process, log, timeout)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    """The URL the server logs ("serving ... on http://host:port"), once ``/ping`` answers."""
    deadline = time.monotonic() + timeout
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"the model server exited with {process.returncode}:\n{_tail(log)}")
        if url is None:
            url = next((line.rsplit(" on ", 1)[1] for line in _lines(log) if " on http://" in line), None)
        else:
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2) as answer:
                    if answer.status == HTTPStatus.OK:
                        return url
            except OSError:
                pass
        time.sleep(0.05)
    raise ServerStartError(f"the model server did not answer /ping within {timeout:.0f} s:\n{_tail(log)}")


def _lines(log: Path) -> list[str]:
    return log.read_text(errors="replace").splitlines()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(_lines(log)[-lines:])
