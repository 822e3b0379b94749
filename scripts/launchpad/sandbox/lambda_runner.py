"""One Lambda execution environment of the sandbox: a worker process that runs a Python function's handler.

AWS (Lambda Developer Guide, "Understanding the Lambda execution environment lifecycle", "Define Lambda
function handler in Python", "Using the Lambda context object to retrieve Python function information",
"Log and monitor Python Lambda functions", "Working with .zip file archives and Python: dependency search
path"; the Python runtime interface client, aws/aws-lambda-python-runtime-interface-client, whose
``bootstrap.py`` and ``lambda_runtime_marshaller.py`` give the error types and messages used here):

- Init: the handler's module is imported once per environment, at its first invocation; its module-level
  code runs then, and every later invocation of the environment calls only the handler (a warm start).
  A handler that is not ``module.function`` is ``Runtime.MalformedHandlerName``, a module that does not
  import ``Runtime.ImportModuleError`` ("Unable to import module '<m>': <reason>"), a syntax error
  ``Runtime.UserCodeSyntaxError``, a missing function ``Runtime.HandlerNotFound`` ("Handler '<f>' missing on
  module '<m>'"). An init error fails the invocation (its ``requestId`` is empty) and the environment.
- Invoke: ``handler(event, context)``; the return value is the JSON response (bytes are returned as they
  are); one that is not JSON-serialisable is ``Runtime.MarshalError`` ("Unable to marshal response: Object of
  type set is not JSON serializable"); an exception is the error object ``{"errorMessage", "errorType",
  "requestId", "stackTrace"}`` (the traceback from the function's first frame), and the runtime logs
  ``[ERROR] <type>: <message>`` with the traceback.
- The runtime logs through the root logger as ``[LEVEL]\\t<UTC time>Z\\t<request id>\\t<message>``; all the
  function writes to standard output and error is its log.
- ``sys.path``: the task root (``LAMBDA_TASK_ROOT``), then the layers' ``python/lib/python3.X/site-packages``
  and ``python`` folders, then the runtime's own libraries (boto3 and what it needs).

The sandbox server (``launchpad.sandbox.patches.awslambda``) starts a worker per environment as
``python -I -S lambda_runner.py --task-root DIR --opt DIR --runtime DIR --handler module.function --log FILE``
in an environment of the function's variables and Lambda's reserved ones only (nothing of the server's, no
``site``: the venv's packages are not the function's). Requests and answers are one JSON line each, over the
worker's standard input and output: a request is ``{"id", "event", "timeout_ms", "arn"}``, an answer
``{"payload" | "payload_base64" | "error", "init_error", "init_ms", "init_log_offset", "duration_ms",
"memory_mb"}``. The function's own output goes to the log file (file descriptors 1 and 2), which the server
reads after each answer (``init_log_offset``: where the init phase's output ends); a first invocation also
sends ``{"initialized": true}`` when its init is done, which starts the handler's time. This module imports
neither moto nor launchpad: a function sees what a Lambda Python runtime gives it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

# bootstrap.py's FaultException types
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
# The runtime's text log format (bootstrap._setup_logging) and its error line separator (StandardLogSink:
# one log event for the whole report; the server turns "\r" back into line breaks).
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
ERROR_LINE_SEPARATOR = "\r"


class Fault(Exception):
    """A failure of the runtime, not of the function's code: an error type and message in AWS's words."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class LambdaContext:
    """The context object: what the function learns about itself and the invocation."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = None
        self.identity = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))


def make_error(
    message: str, error_type: str, trace: list[str] | None, request_id: str = ""
) -> dict[str, Any]:
    """bootstrap.make_error: the error object Invoke answers with."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": trace or [],
    }


def error_report(error: dict[str, Any]) -> str:
    """The runtime's log line for an error: ``[ERROR] <type>: <message>``, then the traceback."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            lines += element.splitlines() or [""]
    return ERROR_LINE_SEPARATOR.join(lines) + "\n"


def load_handler(handler: str) -> Callable[..., Any]:
    """The function ``handler`` (``module.function``) names, imported as the Python runtime imports it."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault(IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{module_name}': {exc}", trace) from None
    try:
        found: Callable[..., Any] = getattr(module, function_name)
        return found
    except AttributeError:
        raise Fault(
            HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'"
        ) from None


def marshal(response: Any) -> dict[str, str]:
    """The response as the runtime sends it: bytes as they are, anything else as JSON."""
    if isinstance(response, bytes):
        return {"payload_base64": base64.b64encode(response).decode()}
    try:
        return {"payload": json.dumps(response)}
    except Exception as exc:  # the runtime's marshaller turns every failure into a MarshalError
        raise Fault(MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None


def unhandled(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The error object of an exception the handler raised, its traceback from the function's frames."""
    frames = list(traceback.extract_tb(exc.__traceback__))
    own = str(Path(__file__).resolve())
    while frames and str(Path(frames[0].filename).resolve()) == own:  # the runtime's frames, as bootstrap's
        frames.pop(0)
    entries = [(f.filename, f.lineno or 0, f.name, f.line) for f in frames]  # bootstrap's tuples: no carets
    return make_error(str(exc), type(exc).__name__, traceback.format_list(entries), request_id)


class Runtime:
    """One environment: the handler, loaded at the first invocation, then called once per invocation."""

    def __init__(self, handler: str, log_position: Callable[[], int | None] = lambda: None) -> None:
        self.handler_name = handler
        self.handler: Callable[..., Any] | None = None
        self.request_id = ""
        self.log_position = log_position  # where the log stands once init is done (its output comes first)

    def init(self) -> float:
        """Import the handler's module (the init phase); its duration in ms."""
        started = time.perf_counter()
        self.handler = load_handler(self.handler_name)
        return (time.perf_counter() - started) * 1000

    def invoke(
        self, request: dict[str, Any], initialized: Callable[[], None] = lambda: None
    ) -> dict[str, Any]:
        """Run one invocation (``initialized`` is called once a first invocation's init is done, before the
        handler's time starts); the answer for the server, without its memory figure."""
        self.request_id = request["id"]
        answer: dict[str, Any] = {"init_ms": None}
        if self.handler is None:
            try:
                answer["init_ms"] = self.init()
            except Fault as fault:
                error = make_error(fault.message, fault.error_type, fault.trace)
                sys.stdout.write(error_report(error))
                return {"error": error, "init_error": True, "init_log_offset": self.log_position()}
            answer["init_log_offset"] = self.log_position()
            initialized()
        assert self.handler is not None
        started = time.perf_counter()
        deadline_ms = int(time.time() * 1000) + int(request["timeout_ms"])
        try:
            context = LambdaContext(request["id"], deadline_ms, request["arn"])
            try:
                event = json.loads(request["event"])
            except ValueError as exc:
                raise Fault(UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}") from None
            answer.update(marshal(self.handler(event, context)))
        except Fault as fault:
            answer["error"] = make_error(fault.message, fault.error_type, fault.trace, request["id"])
        except Exception as exc:
            answer["error"] = unhandled(exc, request["id"])
        answer["duration_ms"] = (time.perf_counter() - started) * 1000
        if "error" in answer:
            sys.stdout.write(error_report(answer["error"]))
        return answer


class _RequestIdFilter(logging.Filter):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.runtime.request_id
        return True


def setup_logging(runtime: Runtime) -> None:
    """The runtime's root logger handler: its format, UTC times, the current request id."""
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(_RequestIdFilter(runtime))
    logging.getLogger().addHandler(handler)


def search_path(task_root: str, opt: str, runtime_dir: str) -> list[str]:
    """The runtime's module search path before the standard library, as Lambda's Python runtime has it."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return [task_root, f"{opt}/python/lib/{version}/site-packages", f"{opt}/python", runtime_dir]


def log_file_position() -> int:
    """How far the log file (fd 1) has been written, all output flushed."""
    sys.stdout.flush()
    sys.stderr.flush()
    return os.fstat(1).st_size


def cap_address_space(megabytes: int) -> None:
    """A far ceiling on the worker's memory, so a runaway function cannot take the machine."""
    limit = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit is already set: keep it
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def peak_memory_mb() -> int:
    """The process's peak resident memory (``Max Memory Used``), in MB: Linux's VmHWM of this program's
    memory (``ru_maxrss`` would keep the peak of the server it was started from, across the exec)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                kilobytes = int(line.split()[1])
    return max(1, round(kilobytes / 1024))


def _redirect_output(log_file: str) -> tuple[IO[bytes], IO[bytes]]:
    """Keep the protocol on private copies of fds 0 and 1; the function's fds 1 and 2 write the log."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    answers = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    return requests, answers


def serve(runtime: Runtime, requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer requests until the server closes the pipe (or the function ends the process)."""

    def initialized() -> None:  # the handler's time starts now (the server times the init phase apart)
        answers.write(b'{"initialized": true}\n')

    for line in requests:
        answer = runtime.invoke(json.loads(line), initialized)
        sys.stdout.flush()
        sys.stderr.flush()
        answer["memory_mb"] = peak_memory_mb()
        answers.write(json.dumps(answer).encode() + b"\n")
        if answer.get("init_error"):
            return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one Lambda execution environment of the sandbox")
    parser.add_argument("--task-root", required=True)
    parser.add_argument("--opt", required=True)
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--memory-cap-mb", type=int, default=0)
    args = parser.parse_args(argv)
    if args.memory_cap_mb:
        cap_address_space(args.memory_cap_mb)
    sys.path[:0] = search_path(args.task_root, args.opt, args.runtime)
    os.chdir(args.task_root)
    requests, answers = _redirect_output(args.log)
    runtime = Runtime(args.handler, log_file_position)
    setup_logging(runtime)
    serve(runtime, requests, answers)


if __name__ == "__main__":
    main()
