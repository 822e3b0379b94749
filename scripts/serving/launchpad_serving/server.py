"""``python -m launchpad_serving serve``: the contract on gunicorn, as SageMaker starts a serving container.

The model is loaded once, in gunicorn's master process, before the workers are forked (they share it); a
model that cannot load ends the command with one line and exit code 1. Workers are gthread workers, so
``/ping`` is answered while a prediction runs. The access log names the method, path (never the query),
status, size and time; gunicorn's error log stays at INFO, where it quotes no request.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from launchpad_serving.app import LOG, InferenceApp
from launchpad_serving.contract import DEFAULT_MODEL_DIR, DEFAULT_PORT, MAX_PAYLOAD_BYTES, Handlers, Model

ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# The knobs SageMaker's own framework containers read, with their defaults.
WORKERS_ENV = "SAGEMAKER_MODEL_SERVER_WORKERS"  # default: one per CPU
TIMEOUT_ENV = "SAGEMAKER_MODEL_SERVER_TIMEOUT"  # seconds; SageMaker waits 60 s for an answer
PORT_ENV = "SAGEMAKER_BIND_TO_PORT"
SHARED_MEMORY = Path("/dev/shm")  # workers' heartbeat files: no write access needed on disk


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


def options(host: str, port: int, workers: int, threads: int, timeout: int, where: str) -> dict[str, Any]:
    """gunicorn's settings for the contract (``where`` names the model in the start-up line)."""

    def when_ready(server: Any) -> None:
        bound = server.LISTENERS[0].sock.getsockname()[1]  # the free port, when --port 0
        LOG.info("serving %s on http://%s:%d", where, host, bound)

    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": True,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,  # gunicorn would write a socket into $HOME
        "worker_tmp_dir": str(SHARED_MEMORY) if SHARED_MEMORY.is_dir() else None,
        "when_ready": when_ready,
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m launchpad_serving", description="The SageMaker inference contract on gunicorn."
    )
    parser.add_argument(
        "command", nargs="?", choices=["serve"], help="SageMaker starts containers with `serve`"
    )
    parser.add_argument("--handler", required=True, help="the module with model_fn, input_fn, predict_fn")
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", DEFAULT_MODEL_DIR))
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 in a container")
    parser.add_argument("--port", type=int, default=int(os.environ.get(PORT_ENV, DEFAULT_PORT)))
    parser.add_argument("--max-payload-bytes", type=int, default=MAX_PAYLOAD_BYTES)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get(WORKERS_ENV, 0)) or os.cpu_count() or 1
    )
    parser.add_argument("--threads", type=int, default=4, help="requests a worker answers at once")
    parser.add_argument("--timeout", type=int, default=int(os.environ.get(TIMEOUT_ENV, 60)))
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        model = Model(Handlers.from_module(args.handler), args.model_dir)
    except (ImportError, ValueError, OSError) as exc:
        sys.exit(f"error: cannot load the model: {exc}")
    where = f"{args.handler} from {args.model_dir}"
    settings = options(args.host, args.port, args.workers, args.threads, args.timeout, where)
    GunicornServer(InferenceApp(model, args.max_payload_bytes), settings).run()
