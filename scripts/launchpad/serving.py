"""The SageMaker inference contract over a model's handler functions: ``GET /ping`` and ``POST /invocations``.

A model project writes the four handler functions of the SageMaker inference toolkit in one module::

    model_fn(model_dir) -> model
    input_fn(body: bytes, content_type: str) -> data        # raise BadRequest / UnsupportedMediaType
    predict_fn(data, model) -> prediction
    output_fn(prediction, accept: str) -> (bytes, content_type)   # optional: JSON by default

and serves it, on a laptop (``make serve``), in the sandbox, or as a container's ``serve`` entry point, with::

    python -m launchpad.serving [serve] --handler churn.inference --model-dir build/model --port 8080

What the server guarantees, whatever the handlers do (AWS, "Use your own inference code with hosting
services": the container answers ``/ping`` with 200 once it can serve, ``/invocations`` with the inference,
on port 8080, within 60 s; real-time payloads are at most 6 MB):
- a body over ``--max-payload-bytes`` is refused with 413 before it is read;
- a handler's ``BadRequest`` is 400, ``UnsupportedMediaType`` 415, ``NotAcceptable`` 406, each with its
  message;
- anything else a handler raises is 500 with a generic message; the log gets the exception's type and
  where it was raised, never its text or the request (either may quote the input: PHI stays out of
  responses and logs).
Errors are JSON: ``{"error": "<message>", "status": <code>}``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from launchpad.errors import LaunchpadError

LOG = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's limit for real-time endpoints
DEFAULT_PORT = 8080  # where SageMaker sends /ping and /invocations
DEFAULT_MODEL_DIR = "/opt/ml/model"  # where SageMaker unpacks model.tar.gz
JSON = "application/json"


class ServingError(Exception):
    """An answer other than 200, with a message the caller may see."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR


class BadRequest(ServingError):
    """The request body is not a valid input for this model (400)."""

    status = HTTPStatus.BAD_REQUEST


class UnsupportedMediaType(ServingError):
    """The request's Content-Type is not one the model reads (415)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class NotAcceptable(ServingError):
    """The request's Accept is not one the model writes (406)."""

    status = HTTPStatus.NOT_ACCEPTABLE


class PayloadTooLarge(ServingError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def json_output(prediction: Any, accept: str) -> tuple[bytes, str]:
    """The default ``output_fn``: the prediction as JSON (``tolist()`` first, for arrays)."""
    if accept not in ("", "*/*", JSON) and not accept.startswith(f"{JSON};"):
        raise NotAcceptable(f"this model answers {JSON}, not {accept}")
    if hasattr(prediction, "tolist"):
        prediction = prediction.tolist()
    return json.dumps(prediction).encode(), JSON


@dataclass(frozen=True)
class Handlers:
    """A model module's handler functions."""

    model_fn: Callable[[str], Any]
    input_fn: Callable[[bytes, str], Any]
    predict_fn: Callable[[Any, Any], Any]
    output_fn: Callable[[Any, str], Any] = json_output

    @classmethod
    def from_module(cls, name: str) -> Handlers:
        """Import ``name`` and take its handlers (``output_fn`` is optional)."""
        module = importlib.import_module(name)
        missing = [
            f for f in ("model_fn", "input_fn", "predict_fn") if not callable(getattr(module, f, None))
        ]
        if missing:
            raise ValueError(f"{name} defines no {', '.join(missing)}: see launchpad.serving's docstring")
        output_fn = getattr(module, "output_fn", None)
        return cls(module.model_fn, module.input_fn, module.predict_fn, output_fn or json_output)


class Model:
    """The loaded model and its handlers: one inference per ``invoke``."""

    def __init__(self, handlers: Handlers, model_dir: str | Path) -> None:
        self.handlers = handlers
        self.model = handlers.model_fn(str(model_dir))

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        data = self.handlers.input_fn(body, content_type)
        prediction = self.handlers.predict_fn(data, self.model)
        answer = self.handlers.output_fn(prediction, accept)
        if isinstance(answer, tuple):
            payload, answer_type = answer
        else:
            payload, answer_type = answer, accept if accept not in ("", "*/*") else JSON
        return (payload.encode() if isinstance(payload, str) else bytes(payload)), answer_type


def _handler_class(model: Model, max_payload: int) -> type[BaseHTTPRequestHandler]:
    class InferenceRequest(BaseHTTPRequestHandler):
        server_version = "launchpad-serving"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/ping":
                self._error(HTTPStatus.NOT_FOUND, f"no GET {self.path}: the contract has GET /ping")
                return
            self._send(HTTPStatus.OK, b"", "text/plain")

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != "/invocations":
                self._error(HTTPStatus.NOT_FOUND, f"no POST {self.path}: the contract has POST /invocations")
                return
            try:
                body = self._body()
                content_type = self.headers.get("Content-Type", "").strip()
                accept = self.headers.get("Accept", "").strip()
                payload, answer_type = model.invoke(body, content_type, accept)
            except ServingError as exc:
                self._error(exc.status, str(exc))
                return
            except (
                Exception
            ) as exc:  # a handler failed: its text may quote the input, so only where it failed
                where = "".join(traceback.format_tb(exc.__traceback__))
                LOG.error(
                    "the model's handlers raised %s answering POST /invocations:\n%s",
                    type(exc).__name__,
                    where,
                )
                self._error(
                    HTTPStatus.INTERNAL_SERVER_ERROR, "the model failed to answer; see the server log"
                )
                return
            self._send(HTTPStatus.OK, payload, answer_type)

        def _body(self) -> bytes:
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                raise BadRequest("a POST /invocations needs a Content-Length")
            if int(length) > max_payload:
                self._discard(int(length))  # read, not kept: a client still sending must get the answer
                raise PayloadTooLarge(f"the body is {length} bytes; the limit is {max_payload}")
            return self.rfile.read(int(length))

        def _discard(self, length: int, chunk: int = 1 << 16) -> None:
            while length > 0:
                read = len(self.rfile.read(min(chunk, length)))
                if not read:
                    break
                length -= read

        def _error(self, status: int, message: str) -> None:
            body = json.dumps({"error": message, "status": int(status)}).encode()
            self._send(status, body, JSON)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            LOG.info("%s %s", self.address_string(), format % args)

    return InferenceRequest


def make_server(
    model: Model, host: str = "127.0.0.1", port: int = DEFAULT_PORT, max_payload: int = MAX_PAYLOAD_BYTES
) -> ThreadingHTTPServer:
    """A server for ``model`` bound to ``host:port`` (port 0: a free one; read ``server.server_port``)."""
    server = ThreadingHTTPServer((host, port), _handler_class(model, max_payload))
    server.daemon_threads = True
    return server


def serve_in_thread(
    model: Model, host: str = "127.0.0.1", port: int = 0, max_payload: int = MAX_PAYLOAD_BYTES
) -> ThreadingHTTPServer:
    """Start a server in a daemon thread (tests, the demo); stop it with ``server.shutdown()``."""
    server = make_server(model, host, port, max_payload)
    threading.Thread(target=server.serve_forever, name="launchpad-serving", daemon=True).start()
    return server


class ServerStartError(LaunchpadError):
    """``serve_in_process``: the server exited, or did not answer ``/ping`` in time."""


@contextlib.contextmanager
def serve_in_process(
    handler: str,
    model_dir: Path,
    *,
    pythonpath: Sequence[Path] = (),
    log: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """``python -m launchpad.serving serve`` in a process of its own, as a container runs it (a project's
    tests, the demo): yields its URL once ``/ping`` answers 200, and stops it after.

    The server takes a free port (``--port 0``) and logs where it listens; ``pythonpath`` goes before the
    inherited ``PYTHONPATH`` (a project's ``src/``). Its output goes to ``log`` (a temporary file if None),
    whose end a ``ServerStartError`` quotes.
    """
    paths = [*(str(path) for path in pythonpath), os.environ.get("PYTHONPATH", "")]
    env = os.environ | {"PYTHONPATH": os.pathsep.join(path for path in paths if path)}
    command = [sys.executable, "-m", "launchpad.serving", "serve", "--handler", handler]
    command += ["--model-dir", str(model_dir), "--port", "0"]
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
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    """The URL the server logs (``main``'s "serving ... on http://host:port"), once ``/ping`` answers."""
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m launchpad.serving", description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", nargs="?", choices=["serve"], help="SageMaker starts containers with `serve`"
    )
    parser.add_argument("--handler", required=True, help="the module with model_fn, input_fn, predict_fn")
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", DEFAULT_MODEL_DIR))
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 in a container")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SAGEMAKER_BIND_TO_PORT", DEFAULT_PORT))
    )
    parser.add_argument("--max-payload-bytes", type=int, default=MAX_PAYLOAD_BYTES)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        model = Model(Handlers.from_module(args.handler), args.model_dir)
    except (ImportError, ValueError, OSError) as exc:
        sys.exit(f"error: cannot load the model: {exc}")
    server = make_server(model, args.host, args.port, args.max_payload_bytes)
    LOG.info(
        "serving %s from %s on http://%s:%d", args.handler, args.model_dir, args.host, server.server_port
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    # Run with -m, this file is __main__, a second copy of the module: handlers import BadRequest & co from
    # launchpad.serving, so the server must be that module's, or their 4xx would be caught as 500s.
    from launchpad.serving import main as imported_main

    imported_main()
