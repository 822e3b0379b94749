"""Reading SageMaker's data capture: the JSON Lines files an endpoint writes under
``{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/`` (one record per line: ``captureData.endpointInput`` and
``endpointOutput`` with ``data``, ``encoding`` CSV | JSON | BASE64 and ``observedContentType``;
``eventMetadata`` with ``eventId``, ``inferenceTime`` and, when the caller sent one, ``inferenceId``).

A request's rows become feature values by position (CSV lines, ``{"instances": [[...]]}`` or a bare list of
lists, in the baseline's feature order) or by name (``{"instances": [{...}]}``, a list of objects, or one
object). A line that is not such a record is counted as malformed and named by file and line number, never
by content: a capture may hold a patient's data.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from .profile import numeric_values

LOG = logging.getLogger(__name__)
MAX_EXAMPLES = 5  # malformed lines named in a result
_MISSING = object()


class CaptureError(ValueError):
    """Capture launchpad cannot read at all (bad arguments, not a malformed line)."""


@dataclass
class Table:
    """Feature values of a window, and what could not be read. Rows arrive one by one (``values``, in the
    features' order) or, for the common one-CSV-row requests of a file, as one flat list of cells
    (``blocks``: row after row, ``len(names)`` cells each), which costs no Python work per row."""

    names: tuple[str, ...]
    values: list[Sequence[Any]] = field(default_factory=list)
    blocks: list[list[str]] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    short_rows: int = 0  # positional rows with fewer values than features
    long_rows: int = 0  # positional rows with more values than features
    unknown_names: set[str] = field(default_factory=set)  # keys of object rows no feature has

    @property
    def rows(self) -> int:
        return len(self.values) + sum(len(block) for block in self.blocks) // len(self.names)

    def bad(self, where: str, why: str) -> None:
        self.malformed += 1
        if len(self.malformed_examples) < MAX_EXAMPLES:
            self.malformed_examples.append(f"{where}: {why}")

    def add_positional(self, row: Sequence[Any]) -> None:
        width = len(self.names)
        if len(row) != width:
            if len(row) < width:
                self.short_rows += 1
                row = [*row, *([None] * (width - len(row)))]
            else:
                self.long_rows += 1
                row = row[:width]
        self.values.append(row)

    def add_named(self, row: dict[str, Any]) -> None:
        self.values.append([row.get(name) for name in self.names])
        if len(row) > len(self.names) or any(k not in self.names for k in row):
            self.unknown_names.update(k for k in row if k not in self.names)

    def add_csv_rows(self, rows: list[str]) -> None:
        """One-line CSV requests: as one block when every row has a cell per feature, else row by row."""
        cells = ",".join(rows).split(",")
        if len(cells) == len(rows) * len(self.names):
            self.blocks.append(cells)
            return
        for row in rows:
            self.add_positional(row.split(","))

    def column(self, name: str) -> list[Any]:
        index, width = self.names.index(name), len(self.names)
        out = [row[index] for row in self.values]
        for block in self.blocks:
            out.extend(block[index::width])
        return out

    def numeric(self, name: str) -> tuple[np.ndarray, int]:
        """A column as floats (NaN = missing) and how many present values were not numbers."""
        return numeric_values(self.column(name))


def _csv_rows(text: str) -> list[list[str]]:
    """Rows of CSV cells; an empty or blank cell is a missing value (``missing``)."""
    return [line.split(",") for line in text.splitlines() if line and not line.isspace()]


def missing(value: Any) -> bool:
    """None, or a string that is empty or blank: a value the request did not give."""
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def _json_rows(document: Any) -> list[Any]:
    if isinstance(document, dict):
        document = document["instances"] if set(document) == {"instances"} else [document]
    if not isinstance(document, list) or not document:
        raise ValueError("the request holds no rows")
    if all(isinstance(row, list) for row in document) or all(isinstance(row, dict) for row in document):
        return document
    if not any(isinstance(row, (list, dict)) for row in document):
        return [document]  # one row as a bare list of values
    raise ValueError("the request mixes rows of different shapes")


def _text_of_base64(data: str, what: str) -> str:
    """A capture entry's BASE64 ``data`` as text (ValueError naming ``what`` when it is not UTF-8)."""
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(f"BASE64 {what} that is not UTF-8 text") from None


def request_rows(payload: dict[str, Any]) -> list[Any]:
    """The rows of one ``endpointInput`` (or output) entry: lists by position or dicts by name."""
    data, encoding = payload.get("data"), payload.get("encoding")
    if not isinstance(data, str):
        raise ValueError("captureData has no data string")
    content_type = str(payload.get("observedContentType", "")).split(";")[0].strip().lower()
    if encoding == "BASE64":
        data = _text_of_base64(data, "data")
        encoding = "CSV" if content_type == "text/csv" else "JSON" if "json" in content_type else None
    if encoding == "CSV":
        rows: list[Any] = _csv_rows(data)
        if not rows:
            raise ValueError("the request holds no rows")
        return rows
    if encoding == "JSON":
        try:
            return _json_rows(json.loads(data))
        except json.JSONDecodeError:
            raise ValueError("JSON data that does not parse") from None
    raise ValueError(f"content type {content_type or 'unknown'} with encoding {encoding} is not CSV or JSON")


def _tokens(*parts: str) -> str:
    """A JSON pattern of ``parts`` with any blanks between them (JSON allows them between tokens)."""
    return r"[ \t]*".join(parts)


# Any JSON string: plain characters, then each escape followed by plain characters (no alternation per
# character, which would make the engine try each branch at every one).
_STRING = r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"'
_TEXT = r'"([^"\\\x00-\x1f]+)"'  # a non-empty JSON string without escapes, its text captured
_INPUT = _tokens(
    r"\{", '"observedContentType"', ":", _STRING, ",", '"mode"', ":", '"INPUT"', ",",
    '"data"', ":", _TEXT, ",", '"encoding"', ":", '"CSV"', r"\}",
)  # fmt: skip
_OUTPUT = _tokens(
    r"\{", '"observedContentType"', ":", _STRING, ",", '"mode"', ":", '"OUTPUT"', ",",
    '"data"', ":", _STRING, ",", '"encoding"', ":", _STRING, r"\}",
)  # fmt: skip
_METADATA = _tokens(
    r"\{", '"eventId"', ":", _STRING, "(?:", ",", '"inferenceId"', ":", _STRING, ")?", ",",
    '"inferenceTime"', ":", _TEXT, r"\}",
)  # fmt: skip
# A whole capture line of a one-row CSV request in SageMaker's own key order (the sandbox's too): a line that
# matches is valid JSON, so its row and time are taken from the match without parsing the line; a file with
# any other line is parsed as JSON (``_records``), with the same results (tests/unit/test_monitor_capture.py).
_CSV_RECORD = re.compile(
    "^"
    + _tokens(
        "", r"\{", '"captureData"', ":", r"\{", '"endpointInput"', ":", _INPUT,
        "(?:", ",", '"endpointOutput"', ":", _OUTPUT, ")?", r"\}", ",",
        '"eventMetadata"', ":", _METADATA, ",", '"eventVersion"', ":", _STRING, r"\}", "",
    )
    + "$",
    re.MULTILINE,
)  # fmt: skip


def csv_records(texts: Sequence[str]) -> list[tuple[str, str]] | None:
    """(CSV row, inferenceTime) of every line of ``texts`` when each is a one-row CSV record in SageMaker's
    key order (``_CSV_RECORD``), else None."""
    found = _CSV_RECORD.findall("\n".join(texts))
    return found if len(found) == len(texts) else None


def _non_blank(lines: Iterable[bytes | str]) -> tuple[list[int], list[str]]:
    """The line numbers and texts of a file's non-blank lines."""
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    texts = [line.decode("utf-8", "replace") if isinstance(line, bytes) else line for _, line in numbered]
    return [n for n, _ in numbered], texts


def _records(numbers: Sequence[int], texts: Sequence[str]) -> list[tuple[int, Any]]:
    """(line number, parsed JSON or the JSONDecodeError) of a file's non-blank lines: one json.loads of the
    whole file when every line parses (a third faster than one call per line), else line by line."""
    try:
        parsed = json.loads("[" + ",".join(texts) + "]")
        if len(parsed) == len(texts):
            return list(zip(numbers, parsed))
    except json.JSONDecodeError:
        pass
    out: list[tuple[int, Any]] = []
    for number, text in zip(numbers, texts):
        try:
            out.append((number, json.loads(text)))
        except json.JSONDecodeError as exc:
            out.append((number, exc))
    return out


def read_lines(
    table: Table, lines: Iterable[bytes | str], where: str, since: str = "", until: str = "~"
) -> None:
    """Add the rows of one capture file's lines to ``table``: those whose ``inferenceTime`` (RFC 3339, UTC,
    which sorts as text) is in [since, until)."""
    table.files += 1
    numbers, texts = _non_blank(lines)
    fast = csv_records(texts)
    if fast is not None:
        rows = [row for row, when in fast if since <= when < until]
        table.lines += len(rows)
        if rows:
            table.add_csv_rows(rows)
        return
    csv_rows: list[str] = []
    for number, record in _records(numbers, texts):
        table.lines += 1
        if isinstance(record, json.JSONDecodeError):
            table.bad(f"{where} line {number}", "not JSON")
            continue
        try:
            metadata = record.get("eventMetadata") or {}
            entry = record["captureData"]["endpointInput"]
        except (KeyError, TypeError, AttributeError):
            table.bad(f"{where} line {number}", "no captureData.endpointInput")
            continue
        when = metadata.get("inferenceTime") if isinstance(metadata, dict) else None
        if not isinstance(when, str) or not when:
            table.bad(f"{where} line {number}", "no eventMetadata.inferenceTime")
            continue
        if not since <= when < until:
            table.lines -= 1
            continue
        if entry.__class__ is dict and entry.get("encoding") == "CSV":  # the common case, kept cheap
            data = entry.get("data")
            if data.__class__ is str:
                data = data.rstrip("\r\n")
                if data and "\n" not in data and "\r" not in data:
                    csv_rows.append(data)
                    continue
        try:
            rows = request_rows(entry)
        except (ValueError, AttributeError) as exc:
            table.bad(f"{where} line {number}", str(exc.args[0]) if exc.args else "not a capture record")
            continue
        for each in rows:
            if isinstance(each, dict):
                table.add_named(each)
            else:
                table.add_positional(each)
    if csv_rows:
        table.add_csv_rows(csv_rows)


def hour_prefixes(prefix: str, start: datetime, end: datetime) -> list[str]:
    """The capture folders (``.../yyyy/mm/dd/hh/``) that can hold records of [start, end)."""
    if end <= start:
        raise CaptureError(
            f"the window ends ({end:%Y-%m-%dT%H:%M}Z) before it starts ({start:%Y-%m-%dT%H:%M}Z)"
        )
    base = prefix.rstrip("/")
    hour = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    folders = []
    while hour < end:
        folders.append(f"{base}/{hour:%Y/%m/%d/%H}/" if base else f"{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    return folders


def iter_local(paths: Iterable[str]) -> Iterator[tuple[str, Iterable[bytes | str]]]:
    """(name, lines) of local capture files."""
    for path in paths:
        with open(path, "rb") as handle:
            yield path, handle.read().decode("utf-8", "replace").splitlines()


def _output_values(payload: dict[str, Any], field: str) -> list[Any]:
    """The per-row predictions of one ``endpointOutput``: numbers or objects holding ``field``."""
    data, encoding = payload.get("data"), payload.get("encoding")
    if not isinstance(data, str):
        raise ValueError("endpointOutput has no data string")
    if encoding == "BASE64":
        data = _text_of_base64(data, "output")
        encoding = "JSON" if data.lstrip()[:1] in ("{", "[") else "CSV"
    if encoding == "CSV":
        return [line.split(",")[0] for line in data.splitlines() if line.strip()]
    try:
        document = json.loads(data)
    except json.JSONDecodeError:
        raise ValueError("JSON output that does not parse") from None
    if isinstance(document, dict):
        document = document.get("predictions", [document])
    if not isinstance(document, list):
        document = [document]
    return [row.get(field) if isinstance(row, dict) else row for row in document]


@dataclass(frozen=True)
class Inference:
    """One captured row that can be joined to ground truth: its prediction and, by feature name, its input
    (positional values named in the baseline's feature order; None when the input was unreadable)."""

    prediction: Any
    features: dict[str, Any] | None


def _named(row: Any, names: Sequence[str]) -> dict[str, Any] | None:
    if isinstance(row, dict):
        return row
    if isinstance(row, list) and len(row) == len(names):
        return dict(zip(names, row))
    return None


def inferences(
    lines: Iterable[bytes | str],
    where: str,
    field: str = "probability",
    names: Sequence[str] = (),
    since: str = "",
    until: str = "~",
) -> tuple[dict[str, Inference], list[str]]:
    """({inference id: Inference}, problems) of one capture file's records whose ``inferenceTime`` is in
    [since, until), for joining ground truth.

    A request of one row is keyed by its ``eventMetadata.inferenceId``; a request of n rows by
    ``<inferenceId>#<i>`` (i from 0). Records without an inference id cannot be joined and are skipped;
    unreadable ones are listed by position (never content). ``names`` (the baseline's features) names a
    positional input row; an input that cannot be read or named leaves ``features`` None.
    """
    found: dict[str, Inference] = {}
    problems: list[str] = []
    numbers, texts = _non_blank(lines)
    joinable = [(n, t) for n, t in zip(numbers, texts) if '"inferenceId"' in t]  # the others are skipped
    for number, record in _records([n for n, _ in joinable], [t for _, t in joinable]):
        try:
            metadata = record.get("eventMetadata") or {}
            inference_id = metadata.get("inferenceId")
            if not inference_id or not since <= str(metadata.get("inferenceTime", "")) < until:
                continue
            values = _output_values(record["captureData"]["endpointOutput"], field)
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"{where} line {number}: no readable endpointOutput")
            continue
        try:
            rows: list[Any] = request_rows(record["captureData"]["endpointInput"])
        except (ValueError, KeyError, TypeError, AttributeError):
            rows = []
        if len(rows) != len(values):
            rows = [None] * len(values)
        named = [_named(row, names) for row in rows]
        if len(values) == 1:
            found[inference_id] = Inference(values[0], named[0])
        else:
            found.update(
                {f"{inference_id}#{i}": Inference(v, f) for i, (v, f) in enumerate(zip(values, named))}
            )
    return found, problems
