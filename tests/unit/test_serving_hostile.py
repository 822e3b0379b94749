"""Hostile and careless requests against both servers of the contract (issue 17): the standard library's, in a
thread (tests, the sandbox's model servers), and gunicorn, in a process of its own (a serving image).

One table is fed to both over raw sockets. Each request gets the one status and JSON message the contract
gives it (a client's mistake is never a 5xx: SageMaker counts them and a canary rolls back on them); the
connection is closed after it (so nothing the client sent after it is read as a request); and a sentinel put
in the request line, the query, a header or the body reaches neither the answer nor any log line (it stands
for a patient's data). A model's own bug stays a 500: the canary must see it.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import launchpad_serving as serving
from launchpad_serving.app import (
    EXPECTATION,
    FRAMING,
    HEADER,
    HEADERS_TOO_LARGE,
    HTTP_VERSION,
    REQUEST_LINE,
    URI_TOO_LONG,
)

pytestmark = pytest.mark.xdist_group("serving-hostile")  # one gunicorn for the module

SENTINEL = "JANEDOE19700101"  # upper case: it must also pass as an HTTP method
READ_TIMEOUT = 0.5  # the servers' read timeout here: a stalled request is cut after it
GUARD = 15.0  # the client's socket timeout: a server that never answers or closes fails the test
HANDLERS = """
from launchpad_serving import BadRequest, read_json


def model_fn(model_dir):
    return 2.0


def input_fn(body, content_type):
    document = read_json(body, content_type, hint='{"instances": [[number, ...], ...]}')
    if isinstance(document, dict) and "boom" in document:
        raise ValueError(f"a bug in the model, quoting its input: {document['boom']}")
    if not isinstance(document, dict) or not isinstance(document.get("instances"), list):
        raise BadRequest('send {"instances": [[number, ...], ...]}')
    return document["instances"]


def predict_fn(rows, weight):
    return [weight * sum(row) for row in rows]
"""
BIDI = "\u202e".encode().decode("latin-1")  # the right-to-left override, as the UTF-8 bytes a client sends
ROUTES = "this server answers GET /ping and POST /invocations only"
VALID = b'{"instances": [[1, 2]]}'


def request(line: str, *headers: str, body: bytes = b"") -> bytes:
    return "".join(f"{part}\r\n" for part in (line, "Host: localhost", *headers, "")).encode("latin-1") + body


def post(body: bytes, *headers: str, target: str = "/invocations") -> bytes:
    """A POST with ``headers``, and no Content-Length unless one of them is."""
    return request(f"POST {target} HTTP/1.1", *headers, body=body)


def post_json(body: bytes, *headers: str, target: str = "/invocations") -> bytes:
    """A well-framed JSON POST: Content-Type and the body's Content-Length, then ``headers``."""
    length = f"Content-Length: {len(body)}"
    return post(body, "Content-Type: application/json", length, *headers, target=target)


@dataclass(frozen=True)
class Hostile:
    id: str
    request: bytes
    status: int
    message: str | None  # the whole error message, or the start of it ending in "..."; None: not an error
    half_close: bool = False  # the client shuts its sending side after the request


S = SENTINEL
NAMED = json.dumps({"name": S, "instances": [[1]]}).encode()  # a valid body that holds the sentinel
CASES = [
    # -- framing: the connection is closed after the answer, so the unread body is never a request
    Hostile(
        "post-without-content-length",
        post(f"{S} /ping HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(), "Content-Type: application/json"),
        411,
        "a POST /invocations needs a Content-Length; send Content-Length: <size of the body in bytes>",
    ),
    Hostile(
        "chunked-body",
        post(
            f"{len(S):x}\r\n{S}\r\n0\r\n\r\n".encode(),
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
        ),
        411,
        "a chunked body is not read; send the body with Content-Length: <size of the body in bytes>",
    ),
    *(
        Hostile(
            f"content-length-{name}",
            post(NAMED, "Content-Type: application/json", *lines),
            400,
            FRAMING.message,
        )
        for name, lines in {
            "negative": ["Content-Length: -1"],
            "signed": [f"Content-Length: +{len(NAMED)}"],
            "list": [f"Content-Length: {len(NAMED)}, {len(NAMED)}"],
            "repeated": [f"Content-Length: {len(NAMED)}", f"Content-Length: {len(NAMED)}"],
            "exponent": ["Content-Length: 1e3"],
            "superscript-digit": ["Content-Length: \u00b2"],
            "with-chunked": [f"Content-Length: {len(NAMED)}", "Transfer-Encoding: chunked"],
            "gzip-coding": ["Transfer-Encoding: gzip"],
            "unknown-coding": [f"Transfer-Encoding: {S}"],
        }.items()
    ),
    Hostile(
        "content-length-30-digits",
        post(NAMED, "Content-Type: application/json", "Content-Length: " + "9" * 30),
        413,
        "the body has a Content-Length of over 18 digits; the limit is 6291456 bytes; send less per request",
    ),
    Hostile(
        "body-shorter-than-content-length",
        post(NAMED, "Content-Type: application/json", f"Content-Length: {len(NAMED) + 50}"),
        400,
        f"the body ended after {len(NAMED)} of the {len(NAMED) + 50} bytes its Content-Length announced; ...",
        half_close=True,
    ),
    Hostile(
        "body-that-stalls",
        post(NAMED, "Content-Type: application/json", f"Content-Length: {len(NAMED) + 50}"),
        408,
        f"the body stopped arriving before its Content-Length of {len(NAMED) + 50} bytes; ...",
    ),
    # -- the request line and headers: a fixed refusal that quotes none of them
    Hostile("request-line-one-word", f"{S}\r\n\r\n".encode(), 400, REQUEST_LINE.message),
    Hostile("request-target-not-ascii", request(f"GET /ping{BIDI}{S} HTTP/1.1"), 400, REQUEST_LINE.message),
    Hostile("http-version-garbage", request(f"GET /ping HTTP/9.{S}"), 400, HTTP_VERSION.message),
    Hostile("http-version-2", request("GET /ping HTTP/2.0", f"X-Note: {S}"), 400, HTTP_VERSION.message),
    Hostile("header-without-colon", request("GET /ping HTTP/1.1", f"X-{S}"), 400, HEADER.message),
    Hostile(
        "header-control-character", request("GET /ping HTTP/1.1", f"X-Note: {S}\x01"), 400, HEADER.message
    ),
    Hostile("header-name-underscore", request("GET /ping HTTP/1.1", f"X_Note: {S}"), 400, HEADER.message),
    Hostile("header-folded", request("GET /ping HTTP/1.1", "X-Note: a", f" {S}"), 400, HEADER.message),
    Hostile(
        "content-type-repeated",
        post_json(NAMED, f"Content-Type: text/{S}"),
        400,
        HEADER.message,
    ),
    Hostile("request-line-too-long", request(f"GET /ping?{S * 300} HTTP/1.1"), 414, URI_TOO_LONG.message),
    Hostile(
        "too-many-headers",
        request("GET /ping HTTP/1.1", *(f"X-Note-{n}: {S}" for n in range(101))),
        431,
        HEADERS_TOO_LARGE.message,
    ),
    Hostile("expectation", request("GET /ping HTTP/1.1", f"Expect: {S}"), 417, EXPECTATION.message),
    # -- the contract's routes: other methods and paths are named in no answer and no log
    Hostile("unknown-method", request(f"{S} /ping HTTP/1.1"), 405, ROUTES),
    Hostile("unknown-path", request(f"GET /{S} HTTP/1.1"), 404, ROUTES),
    Hostile("query-on-ping", request(f"GET /ping?{S} HTTP/1.1", "Connection: close"), 200, None),
    Hostile(
        "query-on-invocations",
        post_json(VALID, "Connection: close", target=f"/invocations?patient={S}"),
        200,
        None,
    ),
    # -- headers the handlers read: answered without being echoed
    Hostile(
        "accept-unknown",
        post_json(VALID, f"Accept: text/{S}"),
        406,
        "this model answers application/json only; send Accept: application/json (or */*, or no Accept)",
    ),
    Hostile(
        "content-type-unknown",
        post(VALID, f"Content-Type: text/{S}", f"Content-Length: {len(VALID)}"),
        415,
        "this model reads Content-Type application/json; send Content-Type: application/json",
    ),
    Hostile(
        "content-type-with-parameters",
        post(
            VALID,
            "Content-Type: Application/JSON; charset=utf-8",
            f"Content-Length: {len(VALID)}",
            "Connection: close",
        ),
        200,
        None,
    ),
    # -- bodies read_json refuses, each the client's mistake: 400
    Hostile("json-empty", post_json(b""), 400, "the body is empty; send ..."),
    Hostile(
        "json-truncated",
        post_json(f'{{"name": "{S}'.encode()),
        400,
        "the body is not valid JSON (a string...",
    ),
    Hostile("json-nested-too-deeply", post_json(b"[" * 100_000), 400, "the JSON is nested too deeply..."),
    Hostile(
        "json-integer-too-long",
        post_json(f'{{"name": "{S}", "instances": [[{"9" * 400}]]}}'.encode()),
        400,
        "the body has an integer of more than 308 digits...",
    ),
    Hostile(
        "json-nan", post_json(f'{{"name": "{S}", "x": NaN}}'.encode()), 400, "the body has NaN, which..."
    ),
    Hostile(
        "json-infinite", post_json(f'{{"name": "{S}", "x": 1e999}}'.encode()), 400, "the body has a number..."
    ),
    Hostile(
        "json-not-utf8",
        post_json(f'{{"name": "{S}\xff"}}'.encode("latin-1")),
        400,
        "the body is not UTF-8...",
    ),
    # -- a bug in the model stays a 500, so a broken canary still rolls back; its text is not logged
    Hostile(
        "model-bug",
        post_json(json.dumps({"boom": S}).encode()),
        500,
        "the model failed to answer; see the server log",
    ),
]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    rest: bytes  # what the server sent after the answer: a second answer means it read on


@dataclass(frozen=True)
class Served:
    kind: str
    port: int
    log: Path | None  # gunicorn's output; None: the launchpad_serving logger (caplog)


@pytest.fixture(scope="module")
def handler_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("hostile")
    (directory / "hostile_inference.py").write_text(HANDLERS)
    (directory / "model").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(directory))
        yield directory
    sys.modules.pop("hostile_inference", None)


@pytest.fixture(scope="module")
def wsgiref(handler_dir: Path) -> Iterator[Served]:
    model = serving.Model(serving.Handlers.from_module("hostile_inference"), handler_dir / "model")
    server = serving.serve_in_thread(model, read_timeout=READ_TIMEOUT)
    yield Served("wsgiref", server.server_port, None)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def gunicorn(handler_dir: Path) -> Iterator[Served]:
    log = handler_dir / "gunicorn.log"
    with serving.serve_in_process(
        "hostile_inference",
        handler_dir / "model",
        pythonpath=[handler_dir],
        log=log,
        read_timeout=READ_TIMEOUT,
    ) as url:
        yield Served("gunicorn", int(url.rsplit(":", 1)[1]), log)


@pytest.fixture(params=["wsgiref", "gunicorn"])
def served(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Served:
    caplog.set_level(logging.DEBUG, logger="launchpad_serving")
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def exchange(port: int, data: bytes, *, half_close: bool = False) -> bytes:
    """Send ``data`` and read until the server closes; a server that does not within GUARD fails."""
    with socket.create_connection(("127.0.0.1", port), timeout=GUARD) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(1 << 16):
            received += chunk
    return received


def parse(raw: bytes) -> Answer:
    head, _, after = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    length = int(headers.get("content-length", "0"))
    return Answer(int(status_line.split()[1]), headers, after[:length], after[length:])


def logs(
    served: Served, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], start: int = 0
) -> str:
    """What the server logged from byte ``start`` of gunicorn's output, or during this test (the thread's
    logger, and its stderr)."""
    if served.log is not None:
        return served.log.read_bytes()[start:].decode(errors="replace")
    return caplog.text + capsys.readouterr().err


def log_size(served: Served) -> int:
    return served.log.stat().st_size if served.log is not None else 0


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_hostile_request_gets_one_answer_and_leaks_nothing(
    case: Hostile,
    served: Served,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    start = log_size(served)
    raw = exchange(served.port, case.request, half_close=case.half_close)
    answer = parse(raw)
    assert answer.status == case.status, answer.body
    assert answer.rest == b"", "the server answered more than once: it read on after its answer"
    assert answer.headers.get("connection", "close") == "close"
    if case.message is not None:
        assert answer.headers["content-type"] == "application/json"
        error = json.loads(answer.body)
        assert set(error) == {"error", "status"} and error["status"] == case.status
        if case.message.endswith("..."):
            assert error["error"].startswith(case.message.removesuffix("..."))
        else:
            assert error["error"] == case.message
    assert SENTINEL.lower() not in raw.decode("latin-1").lower()
    logged = logs(served, caplog, capsys, start)  # written before the server closed the connection
    assert re.search(rf'" {case.status}\b|\({case.status}\)', logged)  # logged: the next check can fail
    assert SENTINEL.lower() not in logged.lower()


def test_a_request_that_stops_halfway_is_disconnected(
    served: Served, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Half a head, then nothing: the server closes the connection after its read timeout (the client's
    socket timeout, GUARD, is the only bound on the wait) and logs one line that quotes none of it."""
    start = log_size(served)
    assert exchange(served.port, f"POST /invocations?{S} HTTP/1.1\r\nX-Note: {S}".encode()) == b""
    logged = logs(served, caplog, capsys, start)
    assert "within the read timeout" in logged or f"within {READ_TIMEOUT} s" in logged
    assert SENTINEL.lower() not in logged.lower()


def test_a_connection_that_sends_nothing_is_disconnected(served: Served) -> None:
    assert exchange(served.port, b"") == b""


def test_the_server_still_serves_after_the_hostile_table(served: Served) -> None:
    answer = parse(exchange(served.port, post_json(VALID, "Connection: close")))
    assert (answer.status, json.loads(answer.body)) == (200, [6.0])
