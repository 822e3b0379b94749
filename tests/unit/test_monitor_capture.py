"""Reading capture files: the pattern that reads SageMaker's one-row CSV records without parsing them as JSON
gives exactly what parsing gives, takes only lines that are valid JSON of that shape, and leaves every other
file to the parser."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from launchpad.monitor import capture, profile

NAMES = ("age", "visits", "plan")
SINCE, UNTIL = "2026-12-07T11:00:00Z", "2026-12-07T12:00:00Z"
WHEN = "2026-12-07T11:30:00Z"


def line(
    data: str = "50,3,basic",
    *,
    when: str = WHEN,
    output: dict[str, Any] | None = None,
    inference_id: str | None = None,
    compact: bool = True,
) -> str:
    entry = {"observedContentType": "text/csv", "mode": "INPUT", "data": data, "encoding": "CSV"}
    captured: dict[str, Any] = {"endpointInput": entry}
    if output is not None:
        captured["endpointOutput"] = output
    metadata = {"eventId": "8c1f", **({"inferenceId": inference_id} if inference_id else {})}
    metadata["inferenceTime"] = when
    record = {"captureData": captured, "eventMetadata": metadata, "eventVersion": "0"}
    return json.dumps(record, separators=(",", ":") if compact else (", ", ": "))


JSON_OUTPUT = {
    "observedContentType": "application/json",
    "mode": "OUTPUT",
    "data": json.dumps({"predictions": [{"label": "yes", "probability": 0.93}]}),
    "encoding": "JSON",
}
CSV_OUTPUT = {
    "observedContentType": "text/csv; charset=utf-8",
    "mode": "OUTPUT",
    "data": "0.93",
    "encoding": "CSV",
}


def read(lines: list[str], *, parse: bool) -> capture.Table:
    """The table of one file's lines; ``parse``: through the JSON parser only."""
    table = capture.Table(NAMES)
    if parse:
        original = capture.csv_records
        capture.csv_records = lambda texts: None  # type: ignore[assignment]
        try:
            capture.read_lines(table, lines, "f.jsonl", SINCE, UNTIL)
        finally:
            capture.csv_records = original  # type: ignore[assignment]
    else:
        capture.read_lines(table, lines, "f.jsonl", SINCE, UNTIL)
    return table


def same(a: capture.Table, b: capture.Table) -> None:
    for attribute in ("rows", "files", "lines", "malformed", "malformed_examples", "short_rows", "long_rows"):
        assert getattr(a, attribute) == getattr(b, attribute), attribute
    for name in NAMES:
        assert a.column(name) == b.column(name), name


@pytest.mark.parametrize(
    "text",
    [
        line(),
        line(compact=False),
        line(output=JSON_OUTPUT, inference_id="req-1"),
        line(output=CSV_OUTPUT),
        line("51,4,plus", output=JSON_OUTPUT, compact=False, inference_id='a "quoted" id'),
        line("52.5,,premium"),  # a missing cell
        line("49,2"),  # a short row
        line("48,1,basic,extra"),  # a long row
        line("x,y,z"),  # wrong types: judged later, read the same
    ],
    ids=[
        "compact",
        "spaced",
        "json-output",
        "csv-output",
        "escapes-elsewhere",
        "missing",
        "short",
        "long",
        "text",
    ],
)
def test_sagemakers_csv_records_read_without_parsing_as_parsing_reads_them(text: str) -> None:
    lines = [text, line("47,5,plus"), line(when="2026-12-07T12:00:00Z"), ""]
    assert capture.csv_records([t for t in lines if t]) is not None
    same(read(lines, parse=False), read(lines, parse=True))


@pytest.mark.parametrize(
    "text",
    [
        line("50,3,basic\n51,4,plus"),  # two rows: the data holds an escaped newline
        line('50,3,"basic"'),  # an escaped quote
        line(""),  # no rows
        line(when=""),
        line().replace(
            '"observedContentType":"text/csv","mode":"INPUT"',
            '"mode":"INPUT","observedContentType":"text/csv"',
        ),
        line().replace('{"observedContentType"', '{"encoding":"CSV","observedContentType"'),  # a key twice
        line().replace('"eventVersion":"0"}', '"eventVersion":"0"}}'),  # not JSON
        line()[:-1],  # truncated
        line().replace('"encoding":"CSV"', '"encoding":"JSON"'),
        json.dumps({"eventMetadata": {"eventId": "e", "inferenceTime": WHEN}, "eventVersion": "0"}),
    ],
    ids=[
        "two-rows",
        "escaped",
        "empty",
        "no-time",
        "key-order",
        "twice",
        "not-json",
        "truncated",
        "json",
        "no-data",
    ],
)
def test_any_other_line_sends_its_file_to_the_parser(text: str) -> None:
    lines = [line(), text]
    assert capture.csv_records(lines) is None
    same(read(lines, parse=False), read(lines, parse=True))


def test_random_files_read_the_same_either_way() -> None:
    rng = random.Random(19)
    shapes = [
        lambda: line(f"{rng.uniform(20, 90):.2f},{rng.randint(0, 9)},{rng.choice(['basic', 'plus'])}"),
        lambda: line(f"{rng.randint(20, 90)},{rng.randint(0, 9)},premium", output=JSON_OUTPUT, compact=False),
        lambda: line(when=f"2026-12-07T{rng.choice(['10', '11', '12'])}:15:00Z", inference_id="r"),
        lambda: line(json.dumps([1, 2, "plus"])),
        lambda: "not json",
    ]
    for _ in range(40):
        common = rng.random() < 0.5  # half the files hold only SageMaker's CSV records
        lines = [rng.choice(shapes[:3] if common else shapes)() for _line in range(rng.randint(1, 30))]
        same(read(lines, parse=False), read(lines, parse=True))


@pytest.mark.parametrize(
    ("values", "floats", "wrong"),
    [
        ([1, "2.5", 3.0, " 4 "], [1.0, 2.5, 3.0, 4.0], 0),  # numbers and numeric strings, in numpy
        (
            [1, None, "nan", float("inf"), "-inf"],
            [1.0, None, None, None, None],
            3,
        ),  # None missing; NaN, inf wrong
        ([1, "", " ", None], [1.0, None, None, None], 0),  # blanks are missing
        ([1, True, False], [1.0, None, None], 2),  # a bool is a wrong type, never 1.0 or 0.0
        ([1, "x", [1, 2], {"a": 1}], [1.0, None, None, None], 3),
        ([[1, 2], [3, 4]], [None, None], 2),  # lists of one length are not a matrix of numbers
    ],
    ids=["numbers", "non-finite", "blank", "bool", "text", "lists"],
)
def test_baselines_and_windows_count_values_one_way(
    values: list[Any], floats: list[float | None], wrong: int
) -> None:
    array, counted = capture.Table(("x",), values=[[v] for v in values]).numeric("x")
    assert [None if math.isnan(f) else f for f in array.tolist()] == floats
    assert counted == wrong
    assert profile.numeric_values(values)[1] == wrong
