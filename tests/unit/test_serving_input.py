"""The serving contract's input checks, in process (fast): ``read_json`` for the handlers, the application's
reading of a body's length, what it answers when a handler fails, how gunicorn's parse errors are answered,
what its access log may show, and the server's command line. Over HTTP, on both servers:
test_serving_hostile.py."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http.errors import (
    ConfigurationProblem,
    InvalidHeader,
    InvalidHeaderName,
    InvalidRequestLine,
    InvalidResponseHeader,
    LimitRequestHeaders,
    LimitRequestLine,
    UnsupportedTransferCoding,
)

import launchpad_serving as serving
from launchpad_serving import app, server

SENTINEL = "JANEDOE19700101"
HINT = '{"instances": [...]}'


# -- read_json ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON; charset=utf-8", "application/json ; x=1"]
)
def test_read_json_reads_json_whatever_the_media_type_parameters(content_type: str) -> None:
    assert serving.read_json(b'{"instances": [[1, 2.5, -3]]}', content_type) == {"instances": [[1, 2.5, -3]]}


@pytest.mark.parametrize("content_type", ["", "text/plain", f"text/{SENTINEL}", "application/jsonx"])
def test_read_json_refuses_other_media_types_without_naming_them(content_type: str) -> None:
    with pytest.raises(serving.UnsupportedMediaType) as refused:
        serving.read_json(b"{}", content_type)
    assert (
        str(refused.value)
        == "this model reads Content-Type application/json; send Content-Type: application/json"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", f"the body is empty; send {HINT}"),
        (b" \n\t", f"the body is empty; send {HINT}"),
        (
            f'{{"n": "{SENTINEL}"}}\xff'.encode("latin-1"),
            f"the body is not UTF-8 text (byte 24); send {HINT} in UTF-8",
        ),
        (
            f'{{"n": "{SENTINEL}'.encode(),
            "the body is not valid JSON (a string has no closing double quote at line 1",
        ),
        (
            f'{{"n": "{SENTINEL}\\q"}}'.encode(),
            "the body is not valid JSON (a string holds a backslash escape",
        ),
        (
            f'{{"n": "{SENTINEL}\x01"}}'.encode(),
            "the body is not valid JSON (a string holds a control character",
        ),
        (f'{{"n": "{SENTINEL}"}} x'.encode(), "the body is not valid JSON (more follows the JSON document"),
        (f"{{{SENTINEL}: 1}}".encode(), "the body is not valid JSON (a key is not a string in double quotes"),
        (b"\xef\xbb\xbf{}", "the body is not valid JSON (it starts with a byte-order mark"),
        (b"[" * 100_000, f"the JSON is nested too deeply for this server; send {HINT}"),
        (f'{{"n": "{SENTINEL}", "x": NaN}}'.encode(), "the body has NaN, which is not a finite number"),
        (b'{"x": -Infinity}', "the body has -Infinity, which is not a finite number"),
        (b'{"x": 1e999}', "the body has a number beyond a float64"),
        (b'{"x": -1e999}', "the body has a number beyond a float64"),
        (b'{"x": ' + b"9" * 309 + b"}", "the body has an integer of more than 308 digits"),
        (b'{"x": -' + b"9" * 5000 + b"}", "the body has an integer of more than 308 digits"),
    ],
    ids=lambda value: value[:32] if isinstance(value, str) else "body",
)
def test_read_json_refuses_each_malformed_body_with_one_message_quoting_none_of_it(
    body: bytes, message: str
) -> None:
    with pytest.raises(serving.BadRequest) as refused:
        serving.read_json(body, "application/json", hint=HINT)
    assert str(refused.value).startswith(message)
    assert SENTINEL not in str(refused.value)


def test_read_json_takes_every_number_a_float64_holds() -> None:
    biggest = "9" * 308
    assert serving.read_json(f"[{biggest}, -{biggest}, 1.7e308]".encode(), "application/json") == [
        int(biggest),
        -int(biggest),
        1.7e308,
    ]


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        ("", "application/json"),
        ("text/csv", "text/csv"),
        ("text/csv, */*", "application/json"),
        ("*/*", "application/json"),
        (f"text/csv\x0b{SENTINEL}", "application/json"),
        ("text/*", "application/json"),
    ],
)
def test_an_answer_without_a_type_gets_the_accepted_type_only_if_it_is_one_well_formed_type(
    accept: str, answer: str
) -> None:
    handlers = serving.Handlers(
        lambda _: None, lambda body, kind: body, lambda data, model: data, lambda p, a: b"x"
    )
    assert serving.Model(handlers, "unused").invoke(b"", "", accept) == (b"x", answer)


# -- the application: a body's length, and who is to blame ---------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "length"),
    [
        ({"CONTENT_LENGTH": "5"}, 5),
        ({"CONTENT_LENGTH": " 5\t"}, 5),
        ({"CONTENT_LENGTH": "0"}, 0),
        ({"CONTENT_LENGTH": "9" * 19}, None),
    ],
)
def test_a_content_length_of_digits_is_the_bodys_length(headers: dict[str, str], length: int | None) -> None:
    assert app.content_length(headers) == length


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 411),
        ({"CONTENT_LENGTH": ""}, 411),
        ({"HTTP_TRANSFER_ENCODING": "chunked"}, 411),
        ({"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "5"}, 400),
        ({"HTTP_TRANSFER_ENCODING": "gzip"}, 400),
        ({"HTTP_TRANSFER_ENCODING": "chunked, chunked"}, 400),
        *(
            ({"CONTENT_LENGTH": value}, 400)
            for value in ["-1", "+5", "5, 5", "1e3", "5\n", "\u00b2", "\u0665", "0x5"]
        ),
    ],
)
def test_a_missing_or_ambiguous_content_length_is_refused(headers: dict[str, str], status: int) -> None:
    with pytest.raises(serving.ServingError) as refused:
        app.content_length(headers)
    assert refused.value.status == status


class Stream:
    """A request body that holds ``data``, then raises ``error`` (or ends); it counts what is read."""

    def __init__(self, data: bytes, error: Exception | None = None) -> None:
        self.data, self.error, self.read_bytes = io.BytesIO(data), error, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.data.read(size)
        self.read_bytes += len(chunk)
        if len(chunk) < size and self.error is not None:
            raise self.error
        return chunk


def call(application: Any, stream: Any, length: str, method: str = "POST", path: str = "/invocations") -> Any:
    started: list[str] = []
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_TYPE": "application/json"}
    environ |= {"CONTENT_LENGTH": length, "wsgi.input": stream}
    body: Iterable[bytes] = application(environ, lambda status, headers: started.append(status))
    return int(started[0].split()[0]), json.loads(b"".join(body) or b"null")


def echo_app(
    input_fn: Any = lambda body, kind: serving.read_json(body, kind), max_payload: int = 1000
) -> Any:
    handlers = serving.Handlers(lambda _: None, input_fn, lambda data, model: data)
    return serving.InferenceApp(serving.Model(handlers, "unused"), max_payload)


@pytest.mark.parametrize(
    ("stream", "status", "message"),
    [
        (Stream(b"[1, 2"), 400, "the body ended after 5 of the 10 bytes its Content-Length announced"),
        (
            Stream(b"[1, 2", TimeoutError()),
            408,
            "the body stopped arriving before its Content-Length of 10 bytes",
        ),
        (Stream(b"[1, 2", ConnectionResetError()), 400, "the connection broke while the body was read"),
    ],
    ids=["short", "stalled", "broken"],
)
def test_a_body_that_does_not_arrive_whole_is_the_clients_mistake(
    stream: Stream, status: int, message: str
) -> None:
    answer = call(echo_app(), stream, "10")
    assert answer[0] == status and answer[1]["error"].startswith(message)


def test_a_body_far_over_the_limit_is_refused_after_reading_at_most_twice_the_limit() -> None:
    stream = Stream(b"0" * 10_000)
    assert call(echo_app(max_payload=1000), stream, str(10**17))[0] == 413
    assert stream.read_bytes == 2000
    unmeasurable = Stream(b"0" * 10_000)
    assert call(echo_app(max_payload=1000), unmeasurable, "9" * 40)[0] == 413
    assert unmeasurable.read_bytes == 0


@pytest.mark.parametrize(
    "error", [ValueError, RecursionError, KeyError, UnicodeDecodeError("utf-8", b"", 0, 1, "x")]
)
def test_anything_but_a_serving_error_from_a_handler_is_the_models_500(
    error: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug must reach the canary's 5xx alarm, even one that looks like a parsing failure: the server cannot
    tell it from a client's mistake (handlers raise BadRequest, or parse with read_json, for those)."""

    def input_fn(body: bytes, kind: str) -> Any:
        raise error(f"quoting the input: {SENTINEL}") if isinstance(error, type) else error

    with caplog.at_level(logging.INFO, logger="launchpad_serving"):
        answer = call(echo_app(input_fn), Stream(b"{}"), "2")
    assert answer == (500, {"error": "the model failed to answer; see the server log", "status": 500})
    assert type(error if not isinstance(error, type) else error()).__name__ in caplog.text
    assert SENTINEL not in caplog.text


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", f"/{SENTINEL}", 404), (SENTINEL, "/ping", 405)]
)
def test_other_routes_are_refused_without_being_named(method: str, path: str, status: int) -> None:
    answer = call(echo_app(), Stream(b""), "0", method, path)
    assert answer == (
        status,
        {"error": "this server answers GET /ping and POST /invocations only", "status": status},
    )


@pytest.mark.parametrize(
    ("method", "path", "logged"),
    [
        ("GET", "/ping", ("GET", "/ping")),
        ("POST", "/invocations", ("POST", "/invocations")),
        ("GET", f"/{SENTINEL}", ("GET", "-")),
        (SENTINEL, "/ping", ("-", "/ping")),
    ],
)
def test_logs_name_the_contracts_methods_and_paths_only(
    method: str, path: str, logged: tuple[str, str]
) -> None:
    assert app.loggable(method, path) == logged


def test_every_answer_but_2xx_closes_its_connection() -> None:
    assert [app.closes_connection(s) for s in ("200 OK", "204 No Content", "400 Bad Request", "500 x")] == [
        False,
        False,
        True,
        True,
    ]


# -- gunicorn: its parse errors, and its access log ----------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "refusal"),
    [
        (InvalidRequestLine(SENTINEL), app.REQUEST_LINE),
        (InvalidHeader(SENTINEL), app.HEADER),
        (InvalidHeaderName(SENTINEL), app.HEADER),
        (InvalidHeader("CONTENT-LENGTH"), app.FRAMING),
        (UnsupportedTransferCoding(SENTINEL), app.FRAMING),  # gunicorn's own answer is a 501
        (LimitRequestLine(9000, 4094), app.URI_TOO_LONG),
        (LimitRequestHeaders("too many"), app.HEADERS_TOO_LARGE),
        (ConfigurationProblem(SENTINEL), app.REQUEST),
        (InvalidResponseHeader("X-Model"), app.SERVER_FAILED),  # the application's header: its fault
        (RuntimeError(SENTINEL), app.SERVER_FAILED),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_gunicorns_parse_errors_are_the_contracts_refusals(error: Exception, refusal: app.Refusal) -> None:
    assert server.refusal_for(error) is refusal
    assert SENTINEL.encode() not in refusal.response()


def test_gunicorns_access_log_holds_no_request_content() -> None:
    logger = server.QuietLogger(Config())
    environ = {
        "REQUEST_METHOD": SENTINEL,
        "PATH_INFO": f"/{SENTINEL}",
        "QUERY_STRING": SENTINEL,
        "RAW_URI": SENTINEL,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_AUTHORIZATION": "Basic SkFORURPRTE5NzAwMTAxOng=",
        "HTTP_USER_AGENT": SENTINEL,
        "HTTP_REFERER": SENTINEL,
    }
    response = type("Response", (), {"status": "405 Method Not Allowed", "headers": [], "sent": 84})()
    request = type("Request", (), {"headers": [("X-NOTE", SENTINEL)]})()
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert SENTINEL not in repr(atoms)
    assert server.ACCESS_LOG_FORMAT % logger.atoms_wrapper_class(atoms) == '10.0.0.1 "- -" 405 84 3ms'


# -- the command line ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "environment", "message"),
    [
        (
            ["--read-timeout", "0"],
            {},
            "argument --read-timeout: '0' is not a number of seconds from 0.001 to 3600",
        ),
        (
            ["--read-timeout", "nan"],
            {},
            "argument --read-timeout: 'nan' is not a number of seconds from 0.001",
        ),
        (["--port", "70000"], {}, "argument --port: '70000' is not a whole number from 0 to 65535"),
        (["--workers", "0"], {}, "argument --workers: '0' is not a whole number from 1 to 1024"),
        (
            ["--max-payload-bytes", "-1"],
            {},
            "argument --max-payload-bytes: '-1' is not a whole number from 1",
        ),
        (["--handler", "../model"], {}, "argument --handler: '../model' is not a module path"),
        (
            ["--handler", "model.inference\n"],
            {},
            "argument --handler: 'model.inference\\n' is not a module path",
        ),
        (
            [],
            {"SAGEMAKER_MODEL_SERVER_WORKERS": "four"},
            "the environment variable SAGEMAKER_MODEL_SERVER_WORKERS: 'four'",
        ),
        (
            [],
            {"LAUNCHPAD_SERVING_READ_TIMEOUT": "-1"},
            "the environment variable LAUNCHPAD_SERVING_READ_TIMEOUT: '-1'",
        ),
        ([], {"SAGEMAKER_BIND_TO_PORT": "http"}, "the environment variable SAGEMAKER_BIND_TO_PORT: 'http'"),
    ],
)
def test_a_bad_option_or_environment_variable_is_one_usage_error(
    argv: list[str],
    environment: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        server.main(["serve", "--handler", "never_imported", *argv])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"python -m launchpad_serving: error: {message}")


def test_a_model_that_fails_to_load_in_any_way_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_inference.py").write_text(
        "def model_fn(d):\n    return {}['weights']\n\ninput_fn = predict_fn = model_fn\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        server.main(["--handler", "broken_inference", "--model-dir", str(tmp_path)])
    assert exited.value.code == "error: cannot load the model: KeyError: 'weights'"
