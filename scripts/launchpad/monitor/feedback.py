"""Feedback records: the business signal and the ground truth of single inferences, checked and stored in S3.

A record (``schemas/feedback-record.schema.json``) scores one inference, named by the ``InferenceId`` the
request carried into data capture: ``score`` is ``{"kind": "helpful", "value": true}`` (a user's thumbs up or
down), ``{"kind": "outcome", "value": true}`` (the desired outcome happened: a churn model's customer was
retained) or ``{"kind": "rating", "value": 4}`` (1-5); ``label`` is the optional ground truth the model
quality job joins on ``inference_id``; ``comment`` is optional free text.

Personal data: ``comment`` and ``label`` may hold health or other personal data. No value of a record is
ever put in a message, a log line, an exception or a metric: a problem names the field (``$.score.value``)
and the record's position in the batch (``records[3]``), and says what to write instead.

Storage: ``write_records`` checks the records, then ``launchpad.monitor.feedback_store`` (the storage the
assistant's Lambda function shares, without jsonschema) puts one JSON Lines object per partition,
Hive-style so Athena and Glue read the partitions as columns::

    feedback/stage=<stage>/endpoint=<endpoint>/year=YYYY/month=MM/day=DD/hour=HH/<uuid>.jsonl

(the hour of ``received_at``, in UTC), each PutObject SSE-KMS with the given key, and with ``expected_owner``
only into a bucket of that account (``ExpectedBucketOwner``, as the deploy's artifact upload does).

Duplicates: a batch holds at most one record per (``inference_id``, ``score.kind``). An exact repeat (a
retried event) is dropped; two different records for the same pair are refused, and nothing is written. The
object's name is a UUID derived from the pairs it holds, so writing the same batch again (a retry after a
timeout) overwrites the same objects instead of adding copies. Across different writes a pair may be stored
twice (a user changing a thumbs-down to up): ``read_records`` keeps the one received last.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from launchpad.deploy import watch
from launchpad.deploy.artifacts import owned_by
from launchpad.deploy.schema_errors import at, load_schema, schema_at
from launchpad.errors import MonitorError
from launchpad.monitor import feedback_store, labels
from launchpad.monitor.feedback_store import PREFIX as PREFIX
from launchpad.monitor.feedback_store import partition as partition
from launchpad.monitor.feedback_store import record_partition as record_partition

log = logging.getLogger(__name__)

SCHEMA = "feedback-record"
KINDS = ("helpful", "outcome", "rating")
MAX_RECORDS = 10_000  # one write: a few MB of JSON Lines at most


class FeedbackError(MonitorError):
    """Feedback records that break their schema, a batch with conflicting duplicates, or S3 refusing a read or
    write; ``problems`` lists every problem. No message holds a value of a record."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


# -- checking ---------------------------------------------------------------------------------------------
@cache
def _schema() -> dict[str, Any]:
    return load_schema(SCHEMA)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


def record_problems(record: Any) -> list[str]:
    """Every problem of one record as ``<JSON path>: <problem>; <fix>``, naming fields, never values."""
    schema = _schema()
    errors = sorted(_validator().iter_errors(record), key=lambda e: [str(p) for p in e.absolute_path])
    problems = [problem for error in errors for problem in _describe(schema, error)]
    if isinstance(record, dict) and not problems:
        problems += _beyond_schema(record)
    return list(dict.fromkeys(problems))


def _describe(schema: Mapping[str, Any], error: ValidationError) -> Iterator[str]:
    path = list(error.absolute_path)
    instance: Any = error.instance
    rule: Any = error.schema
    if error.validator == "required":
        for name in error.validator_value:  # type: ignore[union-attr]
            if isinstance(instance, dict) and name not in instance:
                yield _message([*path, name], "missing", schema_at(schema, [*path, name]).get("x-fix"))
    elif error.validator == "additionalProperties":
        known = list(schema_at(schema, path).get("properties", {}))
        for name in instance if isinstance(instance, dict) else ():
            if name not in known:
                yield _message([*path, name], "unknown field", f"the fields here are {', '.join(known)}")
    elif error.validator == "type":
        fix = rule.get("x-fix") or schema_at(schema, path).get("x-fix")
        yield _message(path, f"expected {_type_name(error.validator_value)}, got {_kind(instance)}", fix)
    elif error.validator in ("if", "allOf"):  # the then-branch's own errors say what is wrong
        return
    else:  # const, enum, pattern, lengths, minimum, maximum: the value is not repeated
        fix = rule.get("x-fix") or schema_at(schema, path).get("x-fix")
        yield _message(path, _WRONG.get(str(error.validator), "is not valid"), fix)


_WRONG = {
    "maxLength": "is too long",
    "minLength": "is too short",
    "minimum": "is out of range",
    "maximum": "is out of range",
    "enum": "is not one of the values allowed",
}


def _beyond_schema(record: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot say: a real time, a finite numeric label."""
    problems = []
    if labels.parse_time(record["received_at"]) is None:
        problems.append(_message(["received_at"], "is not a real time", "write e.g. 2026-12-07T12:00:00Z"))
    label = record.get("label")
    if isinstance(label, float) and not math.isfinite(label):
        problems.append(_message(["label"], "is not a finite number", "write a finite number"))
    return problems


def _message(path: Sequence[str | int], problem: str, fix: str | None) -> str:
    return f"{at(path)}: {problem}" + (f"; {fix}" if fix else "")


def _type_name(expected: Any) -> str:
    names = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
             "object": "a mapping", "array": "a list"}  # fmt: skip
    kinds = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(names.get(kind, str(kind)) for kind in kinds)


def _kind(value: Any) -> str:
    """The JSON type of ``value``: what a message may say about a value without showing it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "another type"


def check_records(records: Iterable[Any]) -> list[dict[str, Any]]:
    """The records, each checked, with exact repeats of an (inference_id, kind) pair dropped; a
    ``FeedbackError`` lists every problem (by position: ``records[3].$.score.value: ...``) and refuses two
    different records for one pair."""
    listed = list(records)
    if len(listed) > MAX_RECORDS:
        raise FeedbackError(f"{len(listed)} feedback records in one write; write at most {MAX_RECORDS}")
    problems = [f"records[{i}].{p}" for i, record in enumerate(listed) for p in record_problems(record)]
    kept: dict[tuple[str, str], int] = {}
    for index, record in enumerate(listed):
        if not isinstance(record, dict) or any(p.startswith(f"records[{index}].") for p in problems):
            continue
        pair = (record["inference_id"], record["score"]["kind"])
        first = kept.setdefault(pair, index)
        if first != index and listed[first] != record:
            problems.append(
                f"records[{index}]: scores the same inference and kind as records[{first}], differently; "
                f"send one record per inference_id and score kind in a write"
            )
    if problems:
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        listed_problems = "\n".join(f"  - {problem}" for problem in problems)
        raise FeedbackError(f"the feedback records have {count}:\n{listed_problems}", tuple(problems))
    dropped = len(listed) - len(kept)
    if dropped:
        log.info("dropped %d repeated feedback record(s) (same inference_id, kind and content)", dropped)
    return [listed[index] for index in sorted(kept.values())]


# -- storing ----------------------------------------------------------------------------------------------
def _checked(check: Callable[..., None], *args: str) -> None:
    """Run a ``feedback_store`` check, its refusal as a ``FeedbackError``."""
    try:
        check(*args)
    except feedback_store.StoreError as exc:
        raise FeedbackError(str(exc)) from None


def write_records(
    s3_client: Any,
    bucket: str,
    records: Iterable[Any],
    *,
    kms_key_id: str,
    prefix: str = PREFIX,
    expected_owner: str | None = None,
) -> list[str]:
    """Check the records (``check_records``), then put one JSON Lines object per partition, SSE-KMS with
    ``kms_key_id`` (``feedback_store.put_records``); the keys written, sorted. Nothing is written when any
    record is refused."""
    _checked(feedback_store.check_destination, prefix, kms_key_id)
    checked = check_records(records)
    try:
        keys = feedback_store.put_records(
            s3_client,
            bucket,
            checked,
            kms_key_id=kms_key_id,
            prefix=prefix,
            expected_owner=expected_owner,
            describe=lambda exc: watch.describe_error(exc).strip(),
        )
    except feedback_store.StoreError as exc:
        raise FeedbackError(str(exc)) from exc.__cause__
    log.info(
        "wrote %d feedback record(s) in %d object(s) to s3://%s/%s", len(checked), len(keys), bucket, prefix
    )
    return keys


# -- reading ----------------------------------------------------------------------------------------------
def read_records(
    s3_client: Any,
    bucket: str,
    *,
    stage: str,
    endpoint: str,
    start: datetime,
    end: datetime,
    prefix: str = PREFIX,
    expected_owner: str | None = None,
) -> list[dict[str, Any]]:
    """The records of ``stage`` and ``endpoint`` received in [start, end), each checked against the schema,
    listing only the hourly partitions of that window; one record per (inference_id, kind), the last
    received; sorted by ``received_at`` (:func:`launchpad.monitor.labels.read`)."""
    _checked(feedback_store.check_prefix, prefix)
    try:
        return labels.read(
            s3_client,
            bucket,
            f"{prefix}stage={stage}/endpoint={endpoint}/",
            start,
            end,
            check=record_problems,
            describe=lambda exc: watch.describe_error(exc).strip(),
            owner=owned_by(expected_owner),
        )
    except labels.ReadError as exc:
        raise FeedbackError(str(exc), exc.problems) from exc
