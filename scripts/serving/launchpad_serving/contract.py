"""What a model project writes and what it may raise: the handler functions, and the errors that are answers.

A model project writes the four handler functions of the SageMaker inference toolkit in one module::

    model_fn(model_dir) -> model
    input_fn(body: bytes, content_type: str) -> data        # raise BadRequest / UnsupportedMediaType
    predict_fn(data, model) -> prediction
    output_fn(prediction, accept: str) -> (bytes, content_type)   # optional: JSON by default

A client's mistake must reach the server as a ``ServingError`` (a 4xx): anything else a handler raises is the
model's fault and answered 500 (see ``launchpad_serving.app``). So ``input_fn`` parses JSON with
``read_json``, which turns every way a body can fail to be JSON (not UTF-8, malformed, nested past Python's
recursion limit, NaN or Infinity, a number no float holds) into a ``BadRequest``. Messages a client sees
name what is wrong and what to send, never a value from the request: it may be a patient's data.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's limit for real-time endpoints
DEFAULT_PORT = 8080  # where SageMaker sends /ping and /invocations
DEFAULT_MODEL_DIR = "/opt/ml/model"  # where SageMaker unpacks model.tar.gz
# Seconds a connection may take to send its request line, headers and body: SageMaker's front end sends a
# whole request at once, so a client slower than this is stuck or hostile and must not hold a thread.
DEFAULT_READ_TIMEOUT = 20.0
JSON = "application/json"
MAX_INTEGER_DIGITS = 308  # the most a float64 holds (1.8e308): a longer integer would overflow every model
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
# json's reasons, in words a client can act on; the pure-Python decoder appends the offending character
# to some of them, so they are matched by prefix and never passed through.
_JSON_REASONS = (
    ("Expecting value", "a value is missing"),
    ("Expecting property name", "a key is not a string in double quotes"),
    ("Expecting ':'", "a ':' is missing after a key"),
    ("Expecting ','", "a ',' is missing between two items"),
    ("Unterminated string", "a string has no closing double quote"),
    ("Invalid control character", "a string holds a control character; escape it (\\n, \\t, \\u0001)"),
    ("Invalid \\", "a string holds a backslash escape JSON does not have"),
    ("Extra data", "more follows the JSON document"),
    ("Unexpected UTF-8 BOM", "it starts with a byte-order mark"),
)


class ServingError(Exception):
    """An answer other than 200, with a message the caller may see."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR


class BadRequest(ServingError):
    """The request body is not a valid input for this model (400)."""

    status = HTTPStatus.BAD_REQUEST


class UnsupportedMediaType(ServingError):
    """The request's Content-Type is not one the model reads (415)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class NotAcceptable(ServingError):
    """The request's Accept is not one the model writes (406)."""

    status = HTTPStatus.NOT_ACCEPTABLE


class PayloadTooLarge(ServingError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def media_type(header: str) -> str:
    """``Application/JSON; charset=utf-8`` -> ``application/json``: the type alone, lower case."""
    return header.split(";", 1)[0].strip(" \t").lower()


def accepts(accept: str, *offered: str) -> str | None:
    """The first of ``offered`` that ``accept`` (an Accept header; none means anything) allows, or None."""
    wanted = [media_type(kind) for kind in accept.split(",")] if accept.strip(" \t") else ["*/*"]
    for kind in wanted:
        for answer in offered:
            if kind in (answer, "*/*", f"{answer.split('/', 1)[0]}/*"):
                return answer
    return None


def answer_type(accept: str) -> str:
    """The Content-Type of an answer whose ``output_fn`` named none: the one media type ``accept`` asks
    for, if it is one well-formed concrete type, else JSON (the header is the client's: never echoed raw)."""
    kind = media_type(accept)
    return kind if _MEDIA_TYPE.fullmatch(kind) and "," not in accept and "*" not in kind else JSON


def json_output(prediction: Any, accept: str) -> tuple[bytes, str]:
    """The default ``output_fn``: the prediction as JSON (``tolist()`` first, for arrays)."""
    if accepts(accept, JSON) is None:
        raise NotAcceptable(f"this model answers {JSON} only; send Accept: {JSON} (or */*, or no Accept)")
    if hasattr(prediction, "tolist"):
        prediction = prediction.tolist()
    return json.dumps(prediction).encode(), JSON


def read_json(body: bytes, content_type: str, *, hint: str = "a JSON document") -> Any:
    """The request body as JSON, or a ``BadRequest`` / ``UnsupportedMediaType`` that says what to send
    (``hint``: what a valid body looks like) and quotes nothing of the body.

    The Content-Type must be ``application/json`` (parameters such as ``charset=utf-8`` are allowed), the
    body UTF-8 (RFC 8259), its numbers finite and within a float64: NaN and Infinity, which Python's json
    reads, and integers too long to convert, which it refuses with a ``ValueError``, are both the client's
    mistake, as is nesting past Python's recursion limit (a ``RecursionError``).
    """
    if media_type(content_type) != JSON:
        raise UnsupportedMediaType(f"this model reads Content-Type {JSON}; send Content-Type: {JSON}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 text (byte {exc.start}); send {hint} in UTF-8") from None
    if not text.strip():
        raise BadRequest(f"the body is empty; send {hint}")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite, parse_int=_integer)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise BadRequest(f"the body is not valid JSON ({_reason(exc.msg)} at {where}); send {hint}") from None
    except RecursionError:
        raise BadRequest(f"the JSON is nested too deeply for this server; send {hint}") from None


def _reason(message: str) -> str:
    return next((reason for prefix, reason in _JSON_REASONS if message.startswith(prefix)), "malformed")


def _no_constant(name: str) -> Any:
    raise BadRequest(f"the body has {name}, which is not a finite number; send finite numbers only")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadRequest("the body has a number beyond a float64 (about 1.8e308); send smaller numbers")
    return number


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BadRequest(
            f"the body has an integer of more than {MAX_INTEGER_DIGITS} digits; send numbers a float64 holds"
        )
    return int(text)


@dataclass(frozen=True)
class Handlers:
    """A model module's handler functions."""

    model_fn: Callable[[str], Any]
    input_fn: Callable[[bytes, str], Any]
    predict_fn: Callable[[Any, Any], Any]
    output_fn: Callable[[Any, str], Any] = json_output

    @classmethod
    def from_module(cls, name: str) -> Handlers:
        """Import ``name`` and take its handlers (``output_fn`` is optional)."""
        module = importlib.import_module(name)
        missing = [
            f for f in ("model_fn", "input_fn", "predict_fn") if not callable(getattr(module, f, None))
        ]
        if missing:
            raise ValueError(f"{name} defines no {', '.join(missing)}: see launchpad_serving's docstring")
        output_fn = getattr(module, "output_fn", None)
        return cls(module.model_fn, module.input_fn, module.predict_fn, output_fn or json_output)


class Model:
    """The loaded model and its handlers: one inference per ``invoke``."""

    def __init__(self, handlers: Handlers, model_dir: str | Path) -> None:
        self.handlers = handlers
        self.model = handlers.model_fn(str(model_dir))

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        data = self.handlers.input_fn(body, content_type)
        prediction = self.handlers.predict_fn(data, self.model)
        answer = self.handlers.output_fn(prediction, accept)
        if isinstance(answer, tuple):
            payload, kind = answer
        else:
            payload, kind = answer, answer_type(accept)
        return (payload.encode() if isinstance(payload, str) else bytes(payload)), kind
