"""The inference contract (launchpad_serving) over a handler module written here: /ping, /invocations, and
every error answer, over real HTTP: in a thread, and on gunicorn as a serving image runs it."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import launchpad_serving as serving

HANDLERS = """
import json
from pathlib import Path

from launchpad_serving import BadRequest, UnsupportedMediaType


def model_fn(model_dir):
    return float(Path(model_dir, "weight.txt").read_text())


def input_fn(body, content_type):
    if content_type != "application/json":
        raise UnsupportedMediaType(f"send application/json, not {content_type or 'nothing'}")
    try:
        rows = json.loads(body)["instances"]
    except (ValueError, KeyError, TypeError):
        raise BadRequest('send {"instances": [[number, ...], ...]}') from None
    if rows and rows[0][0] == "boom":
        raise RuntimeError(f"secret patient {rows[0][1]} in the input")
    return rows


def predict_fn(rows, weight):
    return [weight * sum(row) for row in rows]
"""


@pytest.fixture
def handler_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "toy_inference.py").write_text(HANDLERS)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weight.txt").write_text("2.0")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "toy_inference"


@pytest.fixture
def url(handler_module: str, tmp_path: Path) -> Iterator[str]:
    model = serving.Model(serving.Handlers.from_module(handler_module), tmp_path / "model")
    server = serving.serve_in_thread(model, max_payload=1000)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def call(url: str, body: bytes | None = None, **headers: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        url, data=body, headers=headers, method="POST" if body is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def invoke(url: str, payload: object, content_type: str = "application/json") -> tuple[int, object]:
    status, _, body = call(
        f"{url}/invocations", json.dumps(payload).encode(), **{"Content-Type": content_type}
    )
    return status, json.loads(body)


def test_ping_answers_200_once_the_model_is_loaded(url: str) -> None:
    assert call(f"{url}/ping")[0] == 200


def test_invocations_answer_with_the_models_prediction(url: str) -> None:
    assert invoke(url, {"instances": [[1, 2], [3]]}) == (200, [6.0, 6.0])


@pytest.mark.parametrize(
    ("payload", "content_type", "status", "message"),
    [
        ({"rows": []}, "application/json", 400, 'send {"instances": [[number, ...], ...]}'),
        ({"instances": []}, "text/csv", 415, "send application/json, not text/csv"),
    ],
)
def test_bad_input_gets_the_handlers_4xx_and_message(
    url: str, payload: object, content_type: str, status: int, message: str
) -> None:
    assert invoke(url, payload, content_type) == (status, {"error": message, "status": status})


def test_a_body_over_the_limit_is_413_and_the_server_keeps_serving(url: str) -> None:
    payload = json.dumps({"instances": [[1] * 600]}).encode()
    status, _, body = call(f"{url}/invocations", payload, **{"Content-Type": "application/json"})
    assert status == 413
    assert (
        json.loads(body)["error"]
        == f"the body is {len(payload)} bytes; the limit is 1000 bytes; send less per request"
    )
    assert invoke(url, {"instances": [[1]]}) == (200, [2.0])


def test_an_unacceptable_accept_is_406(url: str) -> None:
    status, _, body = call(
        f"{url}/invocations",
        b'{"instances": [[1]]}',
        **{"Content-Type": "application/json", "Accept": "text/csv"},
    )
    message = "this model answers application/json only; send Accept: application/json (or */*, or no Accept)"
    assert status == 406 and json.loads(body)["error"] == message


def test_a_failing_handler_is_500_without_its_text_in_the_answer_or_the_log(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="launchpad_serving"):
        status, body = invoke(url, {"instances": [["boom", 4711]]})
    assert (status, body) == (500, {"error": "the model failed to answer; see the server log", "status": 500})
    assert "RuntimeError" in caplog.text and "toy_inference.py" in caplog.text
    assert "4711" not in caplog.text


def test_other_paths_are_404(url: str) -> None:
    assert call(f"{url}/metrics")[0] == 404
    assert call(f"{url}/ping", b"{}")[0] == 404


def test_a_module_without_the_handlers_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "half.py").write_text("def model_fn(d):\n    return d\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="half defines no input_fn, predict_fn"):
        serving.Handlers.from_module("half")


def test_other_methods_are_405(url: str) -> None:
    request = urllib.request.Request(f"{url}/ping", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 405 and refused.value.headers["Allow"] == "GET, POST"


def test_a_chunked_body_is_411(url: str) -> None:
    """A chunked body (no Content-Length) is refused with 411 Length Required, not read (SageMaker sends a
    Content-Length). The whole request goes out in one write: the server answers before reading the body.
    tests/unit/test_serving_hostile.py has the other ways a body's length can be missing or wrong."""
    host, port = url.removeprefix("http://").split(":")
    body = b'{"instances": [[1]]}'
    request = (
        (
            f"POST /invocations HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{len(body):x}\r\n"
        ).encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert (answer.status, json.loads(answer.read())["error"]) == (
            411,
            "a chunked body is not read; send the body with Content-Length: <size of the body in bytes>",
        )


def test_gunicorn_serves_the_contract_as_a_container_would(handler_module: str, tmp_path: Path) -> None:
    """``python -m launchpad_serving serve`` (SageMaker's container start: gunicorn, a free port) through
    ``serve_in_process``: every answer of the contract over HTTP, a log with neither the failing input nor
    query strings, and no process left afterwards."""
    log = tmp_path / "server.log"
    with serving.serve_in_process(handler_module, tmp_path / "model", pythonpath=[tmp_path], log=log) as url:
        assert url.startswith("http://127.0.0.1:")
        assert call(f"{url}/ping?patient=4712")[0] == 200
        assert invoke(url, {"instances": [[4]]}) == (200, [8.0])
        assert invoke(url, {"rows": []}) == (
            400,
            {"error": 'send {"instances": [[number, ...], ...]}', "status": 400},
        )
        assert invoke(url, {"instances": []}, "text/csv")[0] == 415
        headers = {"Content-Type": "application/json", "Accept": "text/csv"}
        assert call(f"{url}/invocations", b'{"instances": [[1]]}', **headers)[0] == 406
        oversized = b" " * (serving.MAX_PAYLOAD_BYTES + 1)
        status, _, body = call(f"{url}/invocations", oversized, **{"Content-Type": "application/json"})
        assert (status, json.loads(body)["status"]) == (413, 413)
        assert invoke(url, {"instances": [["boom", 4711]]})[0] == 500
        assert invoke(url, {"instances": [[1]]}) == (200, [2.0])  # still serving after each refusal
        assert call(f"{url}/metrics")[0] == 404
    with pytest.raises(urllib.error.URLError):
        call(f"{url}/ping")
    text = log.read_text()
    assert "gunicorn" in text.lower() and "Using worker: QuietThreadWorker" in text
    assert "RuntimeError" in text and "toy_inference.py" in text
    assert '"POST /invocations" 413' in text and '"GET /ping" 200' in text
    assert "4711" not in text and "4712" not in text


def test_launchpad_serving_still_runs_the_same_server(handler_module: str, tmp_path: Path) -> None:
    """``python -m launchpad.serving`` (what a project's ``make serve`` ran before the split) starts the same
    gunicorn server: launchpad.serving re-exports launchpad_serving, so the handlers' 4xx survive."""
    from launchpad import serving as reexported

    assert reexported.BadRequest is serving.BadRequest
    assert reexported.serve_in_process is serving.serve_in_process
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchpad.serving",
            "--handler",
            "no_such_module",
            "--model-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "error: cannot load the model: No module named 'no_such_module'",
    )


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    """``serve_in_process`` over a handler that does not exist: ``ServerStartError`` quoting the log."""
    with (
        pytest.raises(serving.ServerStartError, match="exited with 1:\nerror: cannot load the model"),
        serving.serve_in_process("no_such_module", tmp_path, timeout=30),
    ):
        pass


def test_a_model_that_cannot_load_exits_with_one_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchpad_serving",
            "--handler",
            "no_such_module",
            "--model-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: cannot load the model: No module named 'no_such_module'"
