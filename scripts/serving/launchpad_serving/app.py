"""The contract as a WSGI application (PEP 3333): what gunicorn runs in a serving image, and what the
in-process servers of tests and the sandbox run too. Every answer of the contract is made here, and the
answers the servers' HTTP layers give before the application is reached are written here too (``Refusal``),
so both servers refuse the same request with the same status and message.

Who is to blame decides the status, because SageMaker counts every 5xx as ``Invocation5XXErrors`` and a
canary rolls back when their rate passes 1%:

- a client's mistake is a 4xx with one JSON message that says what to send and quotes nothing of the
  request: a POST without a Content-Length (411), a Content-Length that is not one number of digits or comes
  with a Transfer-Encoding (400), a body over the limit (413), shorter than its Content-Length (400) or
  slower than the server's read timeout (408), and whatever a handler refuses with a ``ServingError``;
- anything else a handler raises is the model's fault and stays a 500, a ``ValueError`` or
  ``RecursionError`` from parsing included. The server cannot tell a client's bad input from a bug in
  ``input_fn``, and answering a handler's exceptions with 4xx would hide a broken model from the canary's
  rollback alarm. A handler turns a client's mistake into a ``ServingError`` itself: ``read_json`` does it
  for every way a body can fail to be JSON.

Every answer other than 2xx ends the connection (``closes_connection``; the servers do the closing): after
a refusal the server cannot know where the client's next request starts, and reading on would take the
unread body for a request line. Logs name the method and path only when they are the contract's own
(``loggable``): anything else a client sends may be a patient's data.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
ROUTES = {"GET": "/ping", "POST": "/invocations"}
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
MAX_REQUEST_LINE = 4094  # gunicorn's limit_request_line, which the standard library's server keeps too
NOT_LOGGED = "-"  # in place of a method or path the contract does not have
TRACEBACK_FRAMES = 20  # the innermost frames of a handler's failure: where it failed, not the whole recursion
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses
_LENGTH = "Content-Length: <size of the body in bytes>"
_ROUTES_MESSAGE = "this server answers GET /ping and POST /invocations only"
_FRAMING = (
    "the body's length is not one Content-Length of digits (it is repeated, signed, a list, empty, or comes "
    f"with a Transfer-Encoding); send one {_LENGTH} and no Transfer-Encoding"
)


class LengthRequired(ServingError):
    status = HTTPStatus.LENGTH_REQUIRED


class RequestTimeout(ServingError):
    status = HTTPStatus.REQUEST_TIMEOUT


@dataclass(frozen=True)
class Refusal:
    """An answer a server's HTTP layer gives to a request it cannot parse: fixed, quoting nothing of it."""

    status: HTTPStatus
    message: str

    def response(self) -> bytes:
        """The whole HTTP/1.1 response, for a server writing to the socket itself; it closes after."""
        body = error_body(self.status, self.message)
        head = (
            f"HTTP/1.1 {int(self.status)} {self.status.phrase}\r\nConnection: close\r\n"
            f"Content-Type: {JSON}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("ascii") + body


REQUEST_LINE = Refusal(
    HTTPStatus.BAD_REQUEST,
    "the request line is not `METHOD /path HTTP/1.1`; "
    "send `POST /invocations HTTP/1.1` or `GET /ping HTTP/1.1`",
)
HTTP_VERSION = Refusal(HTTPStatus.BAD_REQUEST, "the HTTP version is not 1.0 or 1.1; send HTTP/1.1")
HEADER = Refusal(
    HTTPStatus.BAD_REQUEST,
    "a header line is malformed (no colon, a name that is not letters, digits and hyphens, a control "
    "character, a folded or repeated line); send one `Name: value` line per header",
)
FRAMING = Refusal(HTTPStatus.BAD_REQUEST, _FRAMING)
URI_TOO_LONG = Refusal(
    HTTPStatus.REQUEST_URI_TOO_LONG,
    "the request line is too long; send the input in the body of POST /invocations, not in the URL",
)
HEADERS_TOO_LARGE = Refusal(
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
    "the headers are too many or too long; send Content-Type, Content-Length and Accept",
)
EXPECTATION = Refusal(
    HTTPStatus.EXPECTATION_FAILED, "the Expect header asks for more than 100-continue; send no Expect header"
)
REQUEST = Refusal(
    HTTPStatus.BAD_REQUEST, "the request is not valid HTTP/1.1; send POST /invocations or GET /ping"
)
SERVER_FAILED = Refusal(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed to answer; see the server log")


class InferenceApp:
    """``GET /ping`` and ``POST /invocations`` over ``model``; bodies over ``max_payload`` bytes are 413."""

    def __init__(self, model: Model, max_payload: int = MAX_PAYLOAD_BYTES) -> None:
        self.model = model
        self.max_payload = max_payload

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")  # never the query string
        if method not in ROUTES:
            allow = [("Allow", "GET, POST")]
            return _error(start_response, HTTPStatus.METHOD_NOT_ALLOWED, _ROUTES_MESSAGE, allow)
        if path != ROUTES[method]:
            return _error(start_response, HTTPStatus.NOT_FOUND, _ROUTES_MESSAGE)
        if method == "GET":
            return _send(start_response, HTTPStatus.OK, b"", "text/plain")
        return self._invoke(environ, start_response)

    def _invoke(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = self._body(environ)
            content_type = environ.get("CONTENT_TYPE", "").strip()
            accept = environ.get("HTTP_ACCEPT", "").strip()
            payload, answer_type = self.model.invoke(body, content_type, accept)
        except ServingError as exc:
            return _error(start_response, exc.status, str(exc))
        except Exception as exc:  # a handler failed: its text may quote the input, so only where it failed
            where = "".join(traceback.format_tb(exc.__traceback__, limit=-TRACEBACK_FRAMES))
            LOG.error(
                "the model's handlers raised %s answering POST /invocations:\n%s", type(exc).__name__, where
            )
            message = "the model failed to answer; see the server log"
            return _error(start_response, HTTPStatus.INTERNAL_SERVER_ERROR, message)
        return _send(start_response, HTTPStatus.OK, payload, answer_type)

    def _body(self, environ: dict[str, Any]) -> bytes:
        length = content_length(environ)
        stream = environ["wsgi.input"]
        if length is None or length > self.max_payload:
            _discard(stream, min(length or 0, 2 * self.max_payload))  # a client still sending gets the answer
            size = f"is {length} bytes" if length is not None else "has a Content-Length of over 18 digits"
            limit = self.max_payload
            raise PayloadTooLarge(f"the body {size}; the limit is {limit} bytes; send less per request")
        try:
            body = bytes(stream.read(length))
        except TimeoutError:
            raise RequestTimeout(
                f"the body stopped arriving before its Content-Length of {length} bytes; "
                "send it without pausing"
            ) from None
        except OSError:
            raise BadRequest("the connection broke while the body was read; send the request again") from None
        if len(body) < length:
            raise BadRequest(
                f"the body ended after {len(body)} of the {length} bytes its Content-Length announced; "
                f"send {_LENGTH}"
            )
        return body


def content_length(environ: dict[str, Any]) -> int | None:
    """The body's length from ``CONTENT_LENGTH`` (None: more than 18 digits, so over any limit), or the
    ``ServingError`` for a body whose length is missing or ambiguous.

    A chunked body is refused with 411 rather than read: SageMaker sends a Content-Length, and the standard
    library's server cannot read chunks. The header is checked here as strictly as gunicorn checks it, so
    both servers refuse ``+5``, ``5, 5``, ``1e3``, ``-1`` and ``²`` alike.
    """
    coding = environ.get("HTTP_TRANSFER_ENCODING")
    length = str(environ.get("CONTENT_LENGTH") or "").strip(" \t")
    if coding is not None:
        if coding.strip(" \t").lower() == "chunked" and not length:
            raise LengthRequired(f"a chunked body is not read; send the body with {_LENGTH}")
        raise BadRequest(_FRAMING)
    if not length:
        raise LengthRequired(f"a POST /invocations needs a Content-Length; send {_LENGTH}")
    if _DIGITS.fullmatch(length):
        return int(length)
    if length.isascii() and length.isdigit():
        return None
    raise BadRequest(_FRAMING)


def closes_connection(status: str) -> bool:
    """Whether an answer with ``status`` (``"404 Not Found"``) ends its connection: every one but 2xx."""
    return not status.startswith("2")


def loggable(method: str, path: str) -> tuple[str, str]:
    """``method`` and ``path`` as a log may show them: the contract's own, else ``NOT_LOGGED``."""
    known = path in ROUTES.values()
    return (method if method in METHODS else NOT_LOGGED), (path if known else NOT_LOGGED)


def error_body(status: int, message: str) -> bytes:
    """Every error's body: ``{"error": "<message>", "status": <code>}``."""
    return json.dumps({"error": message, "status": int(status)}).encode()


def _discard(stream: Any, length: int) -> None:
    try:
        while length > 0:
            read = len(stream.read(min(CHUNK, length)))
            if not read:
                break
            length -= read
    except OSError:  # a client that stops sending still gets its 413
        pass


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
    return _send(start_response, status, error_body(status, message), JSON, headers)
