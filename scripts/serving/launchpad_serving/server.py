"""``python -m launchpad_serving serve``: the contract on gunicorn, as SageMaker starts a serving container.

The model is loaded once, in gunicorn's master process, before the workers are forked (they share it); a
model that cannot load ends the command with one line and exit code 1, an option or environment variable
out of range with one line and exit code 2. Workers are gthread workers (``QuietThreadWorker``), so
``/ping`` is answered while a prediction runs, with three changes, because a client must not cause a 5xx
(SageMaker counts them, and a canary rolls back on them) nor put a patient's data in a log:

- a request gunicorn cannot parse is answered with the contract's fixed JSON refusal (a 4xx; gunicorn's
  own page quotes the request line, and answers an unknown Transfer-Encoding with 501) and logged with the
  client's address and the error's class only;
- every answer other than 2xx closes the connection (a WSGI application may not send ``Connection``), so
  a body the server did not read is never parsed as the next request;
- a connection has ``--read-timeout`` seconds to send its request (gunicorn's ``timeout`` is the workers'
  heartbeat; its sockets otherwise block forever), so a slow or silent client cannot hold a thread.

The access log (``QuietLogger``) names the method and path only when they are the contract's, then status,
size and time: never the query, a header, or a path a client made up. gunicorn's error log stays at INFO,
where it quotes no request. No proxy is trusted, and a header name with "_" is refused, not dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import (
    ChunkMissingTerminator,
    ExpectationFailed,
    InvalidChunkExtension,
    InvalidChunkSize,
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    LimitRequestHeaders,
    LimitRequestLine,
    ObsoleteFolding,
    ParseException,
    UnsupportedTransferCoding,
)
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import TConn, ThreadWorker

from launchpad_serving.app import (
    EXPECTATION,
    FRAMING,
    HEADER,
    HEADERS_TOO_LARGE,
    HTTP_VERSION,
    LOG,
    MAX_REQUEST_LINE,
    REQUEST,
    REQUEST_LINE,
    SERVER_FAILED,
    TRACEBACK_FRAMES,
    URI_TOO_LONG,
    InferenceApp,
    Refusal,
    StartResponse,
    closes_connection,
    loggable,
)
from launchpad_serving.contract import (
    DEFAULT_MODEL_DIR,
    DEFAULT_PORT,
    DEFAULT_READ_TIMEOUT,
    MAX_PAYLOAD_BYTES,
    Handlers,
    Model,
)

ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# The knobs SageMaker's own framework containers read, with their defaults.
WORKERS_ENV = "SAGEMAKER_MODEL_SERVER_WORKERS"  # default: one per CPU
TIMEOUT_ENV = "SAGEMAKER_MODEL_SERVER_TIMEOUT"  # seconds; SageMaker waits 60 s for an answer
PORT_ENV = "SAGEMAKER_BIND_TO_PORT"
READ_TIMEOUT_ENV = "LAUNCHPAD_SERVING_READ_TIMEOUT"  # seconds; see DEFAULT_READ_TIMEOUT
SHARED_MEMORY = Path("/dev/shm")  # workers' heartbeat files: no write access needed on disk
MODULE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# The access log's atoms that hold no request content ('m' and 'U' go through loggable()); not 'u' (the
# Authorization header's user), 'r' or 'q' (the query), 'f', 'a', or any {header}i.
SAFE_ATOMS = ("h", "l", "t", "s", "b", "B", "T", "D", "M", "L", "p", "H")
FRAMING_HEADERS = ("CONTENT-LENGTH", "TRANSFER-ENCODING")
# gunicorn's parse errors, most specific first, as the contract's refusals.
GUNICORN_REFUSALS: tuple[tuple[tuple[type[Exception], ...], Refusal], ...] = (
    ((InvalidRequestLine, InvalidRequestMethod), REQUEST_LINE),
    ((InvalidHTTPVersion,), HTTP_VERSION),
    ((UnsupportedTransferCoding, InvalidChunkSize, ChunkMissingTerminator, InvalidChunkExtension), FRAMING),
    ((LimitRequestLine,), URI_TOO_LONG),
    ((LimitRequestHeaders,), HEADERS_TOO_LARGE),
    ((ExpectationFailed,), EXPECTATION),
    ((InvalidHeader, InvalidHeaderName, ObsoleteFolding), HEADER),
    ((ParseException,), REQUEST),
)


def refusal_for(exc: BaseException) -> Refusal:
    """The answer to the error gunicorn raised reading a request: a client's is a 4xx, others a 500."""
    if isinstance(exc, InvalidResponseHeader | InvalidResponseHeaderName):
        return SERVER_FAILED  # the application's header, not the client's
    if isinstance(exc, InvalidHeader) and getattr(exc, "hdr", None) in FRAMING_HEADERS:
        return FRAMING
    return next((refusal for kinds, refusal in GUNICORN_REFUSALS if isinstance(exc, kinds)), SERVER_FAILED)


class QuietLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger without request content: the access log's atoms are the safe ones only, and a
    read timeout is one line, not a traceback."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        every = super().atoms(resp, req, environ, request_time)
        method, path = loggable(str(every.get("m") or ""), str(every.get("U") or ""))
        return {**{atom: every[atom] for atom in SAFE_ATOMS if atom in every}, "m": method, "U": path}

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(sys.exc_info()[1], TimeoutError):  # gthread: "Socket error processing request"
            self.info("a connection sent no complete request within the read timeout; it is closed")
            return
        super().exception(msg, *args, **kwargs)


class QuietThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, refusing, closing and timing out as the module docstring says."""

    read_timeout: float | None = DEFAULT_READ_TIMEOUT
    wsgi: Callable[..., Iterable[bytes]]

    def enqueue_req(self, conn: Any) -> None:
        """gthread makes its connections in ``accept``; each gets the read timeout before it is served."""
        if type(conn) is TConn:
            conn.__class__ = _TimedConnection
            conn.read_timeout = self.read_timeout
        super().enqueue_req(conn)

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = _closing_after_refusals(self.wsgi)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Answer the error with the contract's refusal; log the client's address and the error's class,
        never the request line or header gunicorn's own message quotes."""
        refusal = refusal_for(exc)
        ip = (addr or ("-",))[0]
        if refusal is SERVER_FAILED:
            where = "".join(traceback.format_tb(exc.__traceback__, limit=-TRACEBACK_FRAMES))
            self.log.error("%s: the server failed on a request: %s\n%s", ip, type(exc).__name__, where)
        else:
            self.log.warning("%s: refused a request: %s (%d)", ip, type(exc).__name__, refusal.status)
        with contextlib.suppress(Exception):
            write_nonblock(client, refusal.response())


class _TimedConnection(TConn):  # type: ignore[misc]
    """gthread's connection, whose socket reads time out after ``read_timeout`` seconds."""

    read_timeout: float | None

    def wait_for_data(self, timeout: float) -> bool:
        """gthread waits 5 s for a new connection's first bytes on a thread, then on its poller."""
        return bool(super().wait_for_data(min(timeout, self.read_timeout or timeout)))

    def init(self) -> None:
        super().init()  # gthread made the socket blocking: no timeout
        self.sock.settimeout(self.read_timeout)


def _closing_after_refusals(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """``app``, with gunicorn closing the connection after every answer ``closes_connection`` names: the
    ``start_response`` gunicorn passes is its Response's, which ``force_close`` tells to send
    ``Connection: close`` and close."""

    def closing(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if closes_connection(status):
                start_response.__self__.force_close()  # type: ignore[attr-defined]
            return start_response(status, headers, exc_info)

        return app(environ, respond)

    return closing


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured here rather than by its command line, over one WSGI app."""

    def __init__(self, app: InferenceApp, options: dict[str, Any]) -> None:
        self.app = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> InferenceApp:
        return self.app


def options(
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    where: str,
    read_timeout: float | None = DEFAULT_READ_TIMEOUT,
) -> dict[str, Any]:
    """gunicorn's settings for the contract (``where`` names the model in the start-up line)."""

    def when_ready(server: Any) -> None:
        bound = server.LISTENERS[0].sock.getsockname()[1]  # the free port, when --port 0
        LOG.info("serving %s on http://%s:%d", where, host, bound)

    worker = type(QuietThreadWorker.__name__, (QuietThreadWorker,), {"read_timeout": read_timeout})
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker,
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": True,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
        "logger_class": QuietLogger,
        "limit_request_line": MAX_REQUEST_LINE,
        "header_map": "refuse",  # a name with "_" (SCRIPT_NAME, X_A) is refused, not silently dropped
        "forwarded_allow_ips": "",  # no proxy is trusted: a client's X-Forwarded-* never changes a request
        "control_socket_disable": True,  # gunicorn would write a socket into $HOME
        "worker_tmp_dir": str(SHARED_MEMORY) if SHARED_MEMORY.is_dir() else None,
        "when_ready": when_ready,
    }


def number(kind: type[int] | type[float], low: float, high: float = math.inf) -> Callable[[str], Any]:
    """An argparse type: a ``kind`` from ``low`` to ``high``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:
            whole = "a whole number" if kind is int else "a number of seconds"
            upper = "" if high == math.inf else f" to {high:g}"
            raise argparse.ArgumentTypeError(f"{text!r} is not {whole} from {low:g}{upper}")
        return value

    return parse


def module_path(text: str) -> str:
    """An argparse type: a dotted module name, e.g. ``churn.inference``."""
    if not MODULE_PATH.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a module path; write dotted Python names")
    return text


PORT = number(int, 0, 65535)
COUNT = number(int, 1, 1024)
SECONDS = number(float, 0.001, 3600)
WHOLE_SECONDS = number(int, 1, 3600)
BYTES = number(int, 1)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m launchpad_serving", description="The SageMaker inference contract on gunicorn."
    )
    parser.add_argument(
        "command", nargs="?", choices=["serve"], help="SageMaker starts containers with `serve`"
    )
    parser.add_argument(
        "--handler", required=True, type=module_path, help="the module with model_fn, input_fn, predict_fn"
    )
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", DEFAULT_MODEL_DIR))
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 in a container")
    parser.add_argument("--port", type=PORT, help=f"default: ${PORT_ENV}, else {DEFAULT_PORT}")
    parser.add_argument("--max-payload-bytes", type=BYTES, default=MAX_PAYLOAD_BYTES)
    parser.add_argument("--workers", type=COUNT, help=f"default: ${WORKERS_ENV}, else one per CPU")
    parser.add_argument("--threads", type=COUNT, default=4, help="requests a worker answers at once")
    parser.add_argument("--timeout", type=WHOLE_SECONDS, help=f"default: ${TIMEOUT_ENV}, else 60")
    parser.add_argument(
        "--read-timeout",
        type=SECONDS,
        help=f"seconds a connection may take to send its request; default: ${READ_TIMEOUT_ENV}, "
        f"else {DEFAULT_READ_TIMEOUT:g}",
    )
    return parser


def from_environment(
    parser: argparse.ArgumentParser, name: str, parse: Callable[[str], Any], default: Any
) -> Any:
    """``$name`` through ``parse`` (unset or empty: ``default``); a bad value ends with a usage error."""
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        return parse(text)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"the environment variable {name}: {exc}")


def main(argv: Sequence[str] | None = None) -> None:
    cli = parser()
    args = cli.parse_args(argv)
    port = args.port if args.port is not None else from_environment(cli, PORT_ENV, PORT, DEFAULT_PORT)
    workers = args.workers or from_environment(cli, WORKERS_ENV, COUNT, os.cpu_count() or 1)
    timeout = args.timeout or from_environment(cli, TIMEOUT_ENV, WHOLE_SECONDS, 60)
    read_timeout = args.read_timeout or from_environment(cli, READ_TIMEOUT_ENV, SECONDS, DEFAULT_READ_TIMEOUT)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        model = Model(Handlers.from_module(args.handler), args.model_dir)
    except Exception as exc:  # the model's own code: whatever it raises is one line, not a traceback
        known = isinstance(exc, ImportError | OSError | ValueError)
        reason = str(exc) if known else f"{type(exc).__name__}: {exc}"
        sys.exit(f"error: cannot load the model: {reason}")
    where = f"{args.handler} from {args.model_dir}"
    settings = options(args.host, port, workers, args.threads, timeout, where, read_timeout)
    GunicornServer(InferenceApp(model, args.max_payload_bytes), settings).run()
