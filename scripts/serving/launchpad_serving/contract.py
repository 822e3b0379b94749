"""What a model project writes and what it may raise: the handler functions, and the errors that are answers.

A model project writes the four handler functions of the SageMaker inference toolkit in one module::

    model_fn(model_dir) -> model
    input_fn(body: bytes, content_type: str) -> data        # raise BadRequest / UnsupportedMediaType
    predict_fn(data, model) -> prediction
    output_fn(prediction, accept: str) -> (bytes, content_type)   # optional: JSON by default
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's limit for real-time endpoints
DEFAULT_PORT = 8080  # where SageMaker sends /ping and /invocations
DEFAULT_MODEL_DIR = "/opt/ml/model"  # where SageMaker unpacks model.tar.gz
JSON = "application/json"


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


def json_output(prediction: Any, accept: str) -> tuple[bytes, str]:
    """The default ``output_fn``: the prediction as JSON (``tolist()`` first, for arrays)."""
    if accept not in ("", "*/*", JSON) and not accept.startswith(f"{JSON};"):
        raise NotAcceptable(f"this model answers {JSON}, not {accept}")
    if hasattr(prediction, "tolist"):
        prediction = prediction.tolist()
    return json.dumps(prediction).encode(), JSON


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
            payload, answer_type = answer
        else:
            payload, answer_type = answer, accept if accept not in ("", "*/*") else JSON
        return (payload.encode() if isinstance(payload, str) else bytes(payload)), answer_type
