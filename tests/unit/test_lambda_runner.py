"""The sandbox's Lambda execution environment (``launchpad.sandbox.lambda_runner``): the handler is loaded and
called, and its failures are worded, as the Python runtime interface client does it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchpad.sandbox import lambda_runner
from launchpad.sandbox.lambda_runner import Fault, Runtime


@pytest.fixture
def task_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A task root on sys.path, its modules forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def _fault(handler: str) -> Fault:
    with pytest.raises(Fault) as raised:
        lambda_runner.load_handler(handler)
    return raised.value


def test_handlers_that_do_not_load_fail_with_the_runtimes_types_and_words(task_root: Path) -> None:
    (task_root / "fn_ok.py").write_text("def handler(event, context):\n    return event\n")
    (task_root / "fn_broken.py").write_text("def handler(:\n")
    cases = {
        "nodot": (
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
        ),
        "sys.handler": (
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
        "fn_missing.handler": (
            "Runtime.ImportModuleError",
            "Unable to import module 'fn_missing': No module named 'fn_missing'",
        ),
        "fn_ok.main": ("Runtime.HandlerNotFound", "Handler 'main' missing on module 'fn_ok'"),
    }
    for handler, (error_type, message) in cases.items():
        fault = _fault(handler)
        assert (fault.error_type, fault.message) == (error_type, message)
    broken = _fault("fn_broken.handler")
    assert broken.error_type == "Runtime.UserCodeSyntaxError"
    assert broken.message.startswith("Syntax error in module 'fn_broken': ")
    assert lambda_runner.load_handler("fn_ok.handler")({"a": 1}, None) == {"a": 1}


def _invoke(runtime: Runtime, event: object, timeout_ms: int = 3000) -> dict[str, object]:
    return runtime.invoke(
        {"id": "req-1", "event": json.dumps(event), "timeout_ms": timeout_ms, "arn": "arn:fn"}
    )


def test_an_invocation_answers_the_json_response_and_words_each_failure(
    task_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (task_root / "fn_app.py").write_text(
        "def handler(event, context):\n"
        "    if event == 'raise':\n"
        "        raise KeyError('customer')\n"
        "    if event == 'set':\n"
        "        return {1}\n"
        "    if event == 'bytes':\n"
        "        return b'raw'\n"
        "    remaining = 0 < context.get_remaining_time_in_millis() <= 3000\n"
        "    return {'remaining': remaining, 'id': context.aws_request_id}\n"
    )
    runtime = Runtime("fn_app.handler")
    first = _invoke(runtime, "ok")
    assert first["payload"] == json.dumps({"remaining": True, "id": "req-1"})
    assert isinstance(first["init_ms"], float) and _invoke(runtime, "ok")["init_ms"] is None
    raised = _invoke(runtime, "raise")["error"]
    assert isinstance(raised, dict)
    assert (raised["errorMessage"], raised["errorType"], raised["requestId"]) == (
        "'customer'",
        "KeyError",
        "req-1",
    )
    assert [line.split(", ")[-1] for line in raised["stackTrace"]] == [
        "in handler\n    raise KeyError('customer')\n"
    ]
    assert _invoke(runtime, "set")["error"] == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "req-1",
        "stackTrace": [],
    }
    assert _invoke(runtime, "bytes")["payload_base64"] == "cmF3"
    report = capsys.readouterr().out
    assert "[ERROR] KeyError: 'customer'\rTraceback (most recent call last):\r" in report


def test_an_init_error_answers_with_no_request_id(task_root: Path) -> None:
    answer = _invoke(Runtime("fn_absent.handler"), {})
    assert answer["init_error"] is True
    assert answer["error"] == {
        "errorMessage": "Unable to import module 'fn_absent': No module named 'fn_absent'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_the_worker_serves_invocations_over_its_pipes_and_logs_to_its_file(tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    (task / "fn_logged.py").write_text(
        "import logging\nprint('init output')\n\n"
        "def handler(event, context):\n"
        "    print('handled', event)\n"
        "    logging.warning('careful')\n"
        "    return event\n"
    )
    log = tmp_path / "log"
    command = [
        sys.executable,
        "-I",
        "-S",
        lambda_runner.__file__,
        "--task-root",
        str(task),
        "--opt",
        str(tmp_path),
        "--runtime",
        str(tmp_path),
        "--handler",
        "fn_logged.handler",
        "--log",
        str(log),
    ]
    worker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
    assert worker.stdin is not None and worker.stdout is not None
    try:
        request = {"id": "req-9", "event": json.dumps({"n": 1}), "timeout_ms": 3000, "arn": "arn:fn"}
        worker.stdin.write(json.dumps(request).encode() + b"\n")
        worker.stdin.flush()
        assert json.loads(worker.stdout.readline()) == {"initialized": True}
        answer = json.loads(worker.stdout.readline())
    finally:
        worker.stdin.close()
        worker.wait(timeout=10)
    assert answer["payload"] == '{"n": 1}' and answer["memory_mb"] >= 1
    text = log.read_text()
    assert text[: answer["init_log_offset"]] == "init output\n"
    lines = text.splitlines()[1:]
    assert lines[0] == "handled {'n': 1}"
    level, stamp, request_id, message = lines[1].split("\t")
    assert (level, request_id, message) == ("[WARNING]", "req-9", "careful")
    assert time.strptime(stamp[:-5], "%Y-%m-%dT%H:%M:%S") and stamp.endswith("Z")
