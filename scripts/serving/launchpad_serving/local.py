"""The contract served on this machine without a container: in a thread (tests, the sandbox's model
servers) or as its own process started as a container starts it (a project's tests, the demo)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from email.message import Message
from http import HTTPStatus
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from gunicorn.util import close_graceful

from launchpad_serving.app import (
    EXPECTATION,
    HEADER,
    HEADERS_TOO_LARGE,
    HTTP_VERSION,
    LOG,
    MAX_REQUEST_LINE,
    REQUEST,
    REQUEST_LINE,
    URI_TOO_LONG,
    InferenceApp,
    Refusal,
    loggable,
)
from launchpad_serving.contract import DEFAULT_READ_TIMEOUT, MAX_PAYLOAD_BYTES, Model


class ThreadedServer(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per request (``server_port``, ``shutdown()``).

    A connection that sends no complete request within ``read_timeout`` seconds is closed (a body that
    stalls is answered 408 by the application), so no client holds a thread forever.
    """

    daemon_threads = True
    read_timeout: float | None = DEFAULT_READ_TIMEOUT

    def shutdown_request(self, request: Any) -> None:
        """Half-close, read what the client still sends (bounded), then close: closing a socket with unread
        bytes makes the kernel reset the connection, and the client loses the answer it was sent."""
        close_graceful(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """socketserver's default prints a traceback to stderr; this logs where, and what kind, only."""
        kind = type(sys.exc_info()[1]).__name__
        LOG.error("%s: the server failed on a request: %s", client_address[0], kind)


# The standard library's refusals, by status: the message it would send quotes the request line.
_REFUSALS: dict[int, tuple[str, Refusal]] = {
    HTTPStatus.REQUEST_URI_TOO_LONG: ("request line too long", URI_TOO_LONG),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: ("headers too large", HEADERS_TOO_LARGE),
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: ("HTTP version", HTTP_VERSION),  # a 5xx the client caused: 400
}


# What gunicorn accepts of a header, so both servers refuse the same requests: a name that is an RFC 9110
# token without "_" (gunicorn's header_map="refuse": HTTP_X_A could be X-A or X_A), a value without control
# characters (a folded line holds CR LF), one Host and one Content-Type.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_SINGLETONS = ("Host", "Content-Type")
_TARGET = re.compile(r"[\x21-\x7e]+")  # RFC 3986's characters: anything else must be percent-encoded


def _header_refusal(headers: Message) -> tuple[str, Refusal] | None:
    """Why gunicorn would refuse ``headers`` (the stdlib's parse of them), or None."""
    if headers.defects:  # a line without a colon: the stdlib took the rest for a body
        return "header", HEADER
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or _CONTROL.search(value):
            return "header", HEADER
    if any(len(headers.get_all(name) or []) > 1 for name in _SINGLETONS):
        return "header", HEADER
    expect = headers.get("Expect")
    if expect is not None and expect.strip(" \t").lower() != "100-continue":
        return "expectation", EXPECTATION
    return None


def _refusal(code: int, message: str) -> tuple[str, Refusal]:
    """The refusal for the stdlib's error ``code`` and (never logged) ``message``, with a name for the log."""
    if code in _REFUSALS:
        return _REFUSALS[code]
    if code != HTTPStatus.BAD_REQUEST:
        return "request", REQUEST
    if message.startswith("Bad request version"):
        return "HTTP version", HTTP_VERSION
    return "request line", REQUEST_LINE


class _QuietRequest(WSGIRequestHandler):
    """The standard library's request handler, answering and logging as gunicorn's does here: refusals are
    fixed JSON (``launchpad_serving.app.Refusal``), logs name the contract's method and path or nothing."""

    server: ThreadedServer
    raw_requestline: bytes  # the request line as read, set by WSGIRequestHandler.handle()

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)

    def parse_request(self) -> bool:
        """The stdlib's parse, as strict as gunicorn's: its request-line limit, and its header rules."""
        if len(self.raw_requestline.rstrip(b"\r\n")) > MAX_REQUEST_LINE:
            self._refuse("request line too long", URI_TOO_LONG)
            return False
        if not super().parse_request():
            return False
        if not _TARGET.fullmatch(self.path):
            self._refuse("request line", REQUEST_LINE)
            return False
        refused = _header_refusal(self.headers)
        if refused is not None:
            self._refuse(*refused)
            return False
        return True

    def handle(self) -> None:
        try:
            super().handle()
        except TimeoutError:
            timeout = self.server.read_timeout
            LOG.info("%s: no complete request within %s s; connection closed", self._client, timeout)
            self.close_connection = True

    def get_environ(self) -> dict[str, Any]:
        """The WSGI environ; a repeated Content-Length is joined (the stdlib keeps the first), so the
        application refuses it as gunicorn does."""
        environ: dict[str, Any] = super().get_environ()
        lengths = self.headers.get_all("Content-Length") or []
        if len(lengths) > 1:
            environ["CONTENT_LENGTH"] = ", ".join(lengths)
        return environ

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's error page quotes the request line; this answers a fixed ``Refusal`` instead."""
        self._refuse(*_refusal(code, message or ""))

    def _refuse(self, kind: str, refusal: Refusal) -> None:
        LOG.warning("%s: refused a request: %s (%d)", self._client, kind, refusal.status)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.write(refusal.response())

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        method, path = loggable(self.command or "", getattr(self, "path", "").split("?", 1)[0])
        LOG.info('%s "%s %s" %s', self._client, method, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s: the HTTP layer refused a request", self._client)

    @property
    def _client(self) -> str:
        return str(self.client_address[0])


def serve_in_thread(
    model: Model,
    host: str = "127.0.0.1",
    port: int = 0,
    max_payload: int = MAX_PAYLOAD_BYTES,
    read_timeout: float | None = DEFAULT_READ_TIMEOUT,
) -> ThreadedServer:
    """Serve ``model`` in a daemon thread (port 0: a free one, ``server.server_port``); stop it with
    ``server.shutdown()`` and ``server.server_close()``. ``read_timeout``: seconds a connection may take
    to send its request (None: forever)."""
    server = ThreadedServer((host, port), _QuietRequest)
    server.read_timeout = read_timeout
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
    read_timeout: float | None = None,
) -> Iterator[str]:
    """``python -m launchpad_serving serve`` (gunicorn) in a process of its own, as a container runs it:
    yields its URL once ``/ping`` answers 200, and stops it after.

    The server takes a free port (``--port 0``) and logs where it listens; ``pythonpath`` goes before the
    inherited ``PYTHONPATH`` (a project's ``src/``). Its output goes to ``log`` (a temporary file if None),
    whose end a ``ServerStartError`` quotes. ``read_timeout``: the server's ``--read-timeout`` (None: its
    default).
    """
    paths = [*(str(path) for path in pythonpath), os.environ.get("PYTHONPATH", "")]
    env = os.environ | {"PYTHONPATH": os.pathsep.join(path for path in paths if path)}
    command = [sys.executable, "-m", "launchpad_serving", "serve", "--handler", handler]
    command += ["--model-dir", str(model_dir), "--port", "0", "--workers", str(workers)]
    if read_timeout is not None:
        command += ["--read-timeout", str(read_timeout)]
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
