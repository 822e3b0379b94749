"""``launchpad.sandbox.control.request``: what a sandbox route answers, or fails to, is one ``SandboxError``.

A stand-in route server (``http.server`` in a thread) answers what moto or a broken patch might: an HTML
error page, a JSON list, an oversized body; the endpoint itself may be careless input (AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox import control

ANSWERS: dict[str, tuple[int, bytes]] = {
    "/ok": (200, b'{"servers": {}}'),
    "/html-500": (500, b"<html><body>Internal Server Error</body></html>"),
    "/json-400": (400, b'{"error": "BadRequest", "message": "send a JSON object"}'),
    "/refused": (403, b'{"message": "role is not trusted"}'),
    "/list": (200, b"[1, 2]"),
    "/number": (200, b"42"),
    "/not-json": (200, b"\xff\xfe"),
    "/error-list": (500, b"[1]"),
}


class _Routes(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ANSWERS[self.path.split("?")[0]]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def routes() -> Iterator[AwsTarget]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield AwsTarget.sandbox(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


def test_a_json_object_is_the_answer(routes: AwsTarget) -> None:
    assert control.request(routes, "GET", "/ok") == {"servers": {}}


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            "/html-500",
            "the sandbox refused GET /html-500 (HTTP 500): '<html><body>Internal Server Error</body>",
        ),
        ("/json-400", "the sandbox refused GET /json-400 (HTTP 400): 'send a JSON object'"),
        ("/error-list", "the sandbox refused GET /error-list (HTTP 500): '[1]'"),
        ("/list", "did not answer GET /list: 'the answer to GET /list is a JSON list, not an object'"),
        ("/number", "did not answer GET /number: 'the answer to GET /number is a JSON int, not an object'"),
        ("/not-json", "did not answer GET /not-json: "),
    ],
)
def test_an_answer_that_is_not_a_json_object_is_one_sandbox_error(
    routes: AwsTarget, route: str, message: str
) -> None:
    with pytest.raises(SandboxError) as raised:
        control.request(routes, "GET", route)
    assert message in str(raised.value)
    assert type(raised.value) is SandboxError


def test_a_403_is_refused_with_its_message(routes: AwsTarget) -> None:
    with pytest.raises(control.Refused, match="role is not trusted"):
        control.request(routes, "GET", "/refused")


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        ("http://127.0.0.1:1", "'http://127.0.0.1:1' did not answer GET /ok"),
        ("http://127.0.0.1:1\n", "'http://127.0.0.1:1\\n' did not answer GET /ok"),
        ("http://[::1", "'http://[::1' did not answer GET /ok"),
        ("not a url", "'not a url' did not answer GET /ok"),
    ],
)
def test_an_endpoint_that_does_not_answer_is_one_sandbox_error(endpoint: str, shown: str) -> None:
    """AWS_ENDPOINT_URL as a user may set it: nothing listening, a trailing newline, not a URL."""
    with pytest.raises(SandboxError) as raised:
        control.request(AwsTarget.sandbox(endpoint), "GET", "/ok", timeout=2)
    assert f"the sandbox at {shown}" in str(raised.value)
    assert "\n" not in str(raised.value)


PROXIED_REQUEST = (
    "import sys; from launchpad.aws import AwsTarget; from launchpad.sandbox import control; "
    "print(control.request(AwsTarget.sandbox(sys.argv[1]), 'GET', '/ok'))"
)


def test_a_proxy_in_the_environment_does_not_stand_between_launchpad_and_the_sandbox(
    routes: AwsTarget,
) -> None:
    """HTTP_PROXY set from the start of the process (as in a shell): the sandbox on 127.0.0.1 is called
    directly."""
    proxy = "http://127.0.0.1:9"  # discard: nothing listens
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"} | {
        "HTTP_PROXY": proxy,
        "http_proxy": proxy,
    }
    answer = subprocess.run(
        [sys.executable, "-c", PROXIED_REQUEST, str(routes.endpoint_url)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "{'servers': {}}\n"
