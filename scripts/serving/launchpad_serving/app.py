"""The contract as a WSGI application (PEP 3333): what gunicorn runs in a serving image, and what the
in-process servers of tests and the sandbox run too. Every answer of the contract is made here."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from launchpad_serving.contract import (
    JSON,
    MAX_PAYLOAD_BYTES,
    BadRequest,
    Model,
    PayloadTooLarge,
    ServingError,
)

LOG = logging.getLogger("launchpad_serving")
StartResponse = Callable[..., Any]
CHUNK = 1 << 16


class InferenceApp:
    """``GET /ping`` and ``POST /invocations`` over ``model``; bodies over ``max_payload`` bytes are 413."""

    def __init__(self, model: Model, max_payload: int = MAX_PAYLOAD_BYTES) -> None:
        self.model = model
        self.max_payload = max_payload

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")  # never the query string
        if method == "GET":
            if path != "/ping":
                message = f"no GET {path}: the contract has GET /ping"
                return _error(start_response, HTTPStatus.NOT_FOUND, message)
            return _send(start_response, HTTPStatus.OK, b"", "text/plain")
        if method == "POST":
            if path != "/invocations":
                message = f"no POST {path}: the contract has POST /invocations"
                return _error(start_response, HTTPStatus.NOT_FOUND, message)
            return self._invoke(environ, start_response)
        message = f"no {method}: the contract has GET /ping and POST /invocations"
        return _error(start_response, HTTPStatus.METHOD_NOT_ALLOWED, message, [("Allow", "GET, POST")])

    def _invoke(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = self._body(environ)
            content_type = environ.get("CONTENT_TYPE", "").strip()
            accept = environ.get("HTTP_ACCEPT", "").strip()
            payload, answer_type = self.model.invoke(body, content_type, accept)
        except ServingError as exc:
            return _error(start_response, exc.status, str(exc))
        except Exception as exc:  # a handler failed: its text may quote the input, so only where it failed
            where = "".join(traceback.format_tb(exc.__traceback__))
            LOG.error(
                "the model's handlers raised %s answering POST /invocations:\n%s", type(exc).__name__, where
            )
            message = "the model failed to answer; see the server log"
            return _error(start_response, HTTPStatus.INTERNAL_SERVER_ERROR, message)
        return _send(start_response, HTTPStatus.OK, payload, answer_type)

    def _body(self, environ: dict[str, Any]) -> bytes:
        length = str(environ.get("CONTENT_LENGTH") or "")
        if not length.isdigit():
            raise BadRequest("a POST /invocations needs a Content-Length")
        stream = environ["wsgi.input"]
        if int(length) > self.max_payload:
            _discard(stream, int(length))  # read, not kept: a client still sending must get the answer
            raise PayloadTooLarge(f"the body is {length} bytes; the limit is {self.max_payload}")
        return bytes(stream.read(int(length)))


def _discard(stream: Any, length: int) -> None:
    while length > 0:
        read = len(stream.read(min(CHUNK, length)))
        if not read:
            break
        length -= read


def _send(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    phrase = HTTPStatus(status).phrase
    start_response(
        f"{int(status)} {phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]


def _error(
    start_response: StartResponse, status: int, message: str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = json.dumps({"error": message, "status": int(status)}).encode()
    return _send(start_response, status, body, JSON, headers)
