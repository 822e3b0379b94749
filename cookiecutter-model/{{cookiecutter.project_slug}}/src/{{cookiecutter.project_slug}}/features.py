"""The model's request and response formats: the input schema, checked before the model sees a row.

Requests (Content-Type):

- ``application/json``: ``{"instances": [[f1, ..., f8], ...]}``, or the bare list of rows ``[[...], ...]``
- ``text/csv``: one row per line, 8 comma-separated numbers, no header

Every row holds exactly ``N_FEATURES`` finite numbers, in the order of ``FEATURE_NAMES``; a request holds 1 to
``MAX_ROWS`` rows. (The server refuses bodies over 6 MB with 413 before they reach this module.)

Responses (Accept): ``application/json`` (the default),
``{"predictions": [{"probability": p, "label": 0|1}, ...]}``, or ``text/csv``, one probability per line.

A request that breaks the schema raises launchpad_serving's ``BadRequest`` (400) naming the row and what to
send, an unknown Content-Type ``UnsupportedMediaType`` (415), an Accept it cannot write ``NotAcceptable``
(406). JSON is read by launchpad_serving's ``read_json``, so every malformed body (not UTF-8, not JSON, nested
too deeply, NaN, a number no float holds) is a 400 too, never a 500: a 500 means the model is broken. The
messages name rows, columns and keys by position, never a value: a request may hold a patient's data.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from launchpad_serving import BadRequest, NotAcceptable, UnsupportedMediaType, accepts, media_type, read_json

from {{ cookiecutter.project_slug }}.columns import FEATURE_NAMES, N_FEATURES, THRESHOLD

MAX_ROWS = 1000
JSON = "application/json"
CSV = "text/csv"
JSON_HINT = '{"instances": [[' + str(N_FEATURES) + " numbers], ...]}"
EXAMPLE = {
    "instances": [
        [0.5, 1.2, 2.0, -0.3, 0.0, -1.1, 0.4, 0.9],
        [-1.0, -0.5, 0.0, 0.2, 1.0, 0.3, -0.2, 0.1],
    ]
}


def decode(body: bytes, content_type: str) -> np.ndarray:
    """The rows of a request as a float array of shape (rows, N_FEATURES)."""
    kind = media_type(content_type)
    if kind == JSON:
        rows = _json_rows(read_json(body, content_type, hint=JSON_HINT))
    elif kind == CSV:
        rows = _csv_rows(_text(body))
    else:
        raise UnsupportedMediaType(f"this model reads Content-Type {JSON} or {CSV}; send one of them")
    return _checked(rows)


def encode(probabilities: np.ndarray, accept: str) -> tuple[bytes, str]:
    """The answer in the first format of ``accept`` this model writes (JSON for ``*/*`` or none)."""
    kind = _negotiate(accept)
    values = [float(p) for p in np.asarray(probabilities).ravel()]
    if kind == CSV:
        return "".join(f"{p:.6f}\n" for p in values).encode(), CSV
    predictions = [{"probability": round(p, 6), "label": int(p >= THRESHOLD)} for p in values]
    return json.dumps({"predictions": predictions}).encode(), JSON


def _negotiate(accept: str) -> str:
    kind = accepts(accept, JSON, CSV)
    if kind is None:
        raise NotAcceptable(f"the Accept header names no format this model writes; ask for {JSON} or {CSV}")
    return kind


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 text (byte {exc.start}); send UTF-8") from None


def _json_rows(document: Any) -> Any:
    if isinstance(document, dict):
        if set(document) != {"instances"}:
            found = "no instances" if "instances" not in document else "keys other than instances"
            raise BadRequest(f"the JSON object has {found}; send only {JSON_HINT}")
        return document["instances"]
    return document


def _csv_rows(text: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        row: list[Any] = []
        for column, cell in enumerate(line.split(","), start=1):
            try:
                row.append(float(cell))
            except ValueError:
                raise BadRequest(
                    f"line {number}, column {column} is not a number; "
                    f"send {N_FEATURES} comma-separated numbers per line, no header"
                ) from None
        rows.append(row)
    return rows


def _checked(rows: Any) -> np.ndarray:
    if not isinstance(rows, list) or not rows:
        raise BadRequest(f"no rows; send 1 to {MAX_ROWS} rows of {N_FEATURES} numbers")
    if len(rows) > MAX_ROWS:
        raise BadRequest(f"{len(rows)} rows; send at most {MAX_ROWS} per request (split the batch)")
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != N_FEATURES:
            size = f"{len(row)} values" if isinstance(row, list) else f"a {type(row).__name__}"
            raise BadRequest(
                f"row {index} has {size}; send {N_FEATURES} numbers in this order: {', '.join(FEATURE_NAMES)}"
            )
        for column, value in enumerate(row, start=1):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise BadRequest(
                    f"row {index}, column {column} ({FEATURE_NAMES[column - 1]}) is {_kind(value)}, not a "
                    "finite number; send numbers only (no text, null, NaN or infinity)"
                )
    return np.asarray(rows, dtype=np.float64)


def _kind(value: Any) -> str:
    """What a JSON value is, in words, without its content."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "infinite or NaN"
    names = {str: "text", type(None): "null", list: "a list", dict: "an object"}
    return names.get(type(value), "not a number")
