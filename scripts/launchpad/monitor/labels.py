"""Reading feedback records back from S3: the hour partitions of a window, the last record of each
(``inference_id``, ``score.kind``) pair, and the ground truth labels they carry.

``launchpad.monitor.feedback`` writes the records (checked against their JSON schema) under
``<prefix>year=YYYY/month=MM/day=DD/hour=HH/`` of the hour they were received (UTC). This module reads them
with a boto3 client alone, so the Processing job can use it (the scikit-learn image has no jsonschema): the
caller passes the check a record must pass, the schema's for the CLI and :func:`join_problems` (the fields
a join reads) in the job. No value of a record is ever put in a message.

Standard library only, Python 3.9 syntax: this module runs inside a SageMaker Processing job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

MAX_WINDOW = timedelta(days=31)  # one listing per hour: 744 at most
Check = Callable[[Any], list[str]]
Describe = Callable[[Exception], str]


class ReadError(ValueError):
    """A window that cannot be read: a record that fails its check, or S3 refusing a list or a read;
    ``problems`` lists a refused record's problems."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time (the schema's pattern) as an aware UTC datetime; None if it is no real time."""
    date, _, rest = text.upper().partition("T")
    clock, zone = rest, "+00:00"
    if clock.endswith("Z"):
        clock = clock[:-1]
    else:
        clock, zone = clock[:-6], clock[-6:]
    whole, _, fraction = clock.partition(".")
    micro = (fraction + "000000")[:6] if fraction else "000000"
    try:
        parsed = datetime.fromisoformat(f"{date}T{whole}.{micro}{zone}")
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc)


def hour_folder(prefix: str, when: datetime) -> str:
    """The partition of ``when``'s hour (UTC) under ``prefix``:
    ``<prefix>year=2026/month=12/day=07/hour=07/``."""
    hour = when.astimezone(timezone.utc)
    return f"{prefix}year={hour:%Y}/month={hour:%m}/day={hour:%d}/hour={hour:%H}/"


def hours(start: datetime, end: datetime) -> Iterator[datetime]:
    hour = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        yield hour
        hour += timedelta(hours=1)


def join_problems(record: Any) -> list[str]:
    """What keeps a record from a join on its inference id (the fields the job reads), by path."""
    if not isinstance(record, dict):
        return ["$: a feedback record is a JSON object"]
    problems = []
    if not isinstance(record.get("inference_id"), str) or not record["inference_id"]:
        problems.append("$.inference_id: write the InferenceId the request carried")
    score = record.get("score")
    if not isinstance(score, dict) or not isinstance(score.get("kind"), str):
        problems.append("$.score.kind: write helpful, outcome or rating")
    when = record.get("received_at")
    if not isinstance(when, str) or parse_time(when) is None:
        problems.append("$.received_at: write an RFC 3339 time such as 2026-12-07T12:00:00Z")
    return problems


def read(
    s3: Any,
    bucket: str,
    prefix: str,
    start: datetime,
    end: datetime,
    *,
    check: Check = join_problems,
    describe: Describe = str,
    owner: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The records under ``prefix`` received in [start, end), listing only the window's hour partitions;
    one record per (inference_id, kind), the last received; sorted by ``received_at``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ReadError("start and end must be aware datetimes (e.g. datetime.now(timezone.utc))")
    if not start < end or end - start > MAX_WINDOW:
        raise ReadError(f"the window must end after it starts and span at most {MAX_WINDOW.days} days")
    found: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
    extra = dict(owner or {})
    for hour in hours(start, end):
        for key in _keys(s3, bucket, hour_folder(prefix, hour), extra, describe):
            for line_number, record in _records(s3, bucket, key, extra, describe):
                problems = check(record)
                if problems:
                    raise ReadError(
                        f"s3://{bucket}/{key} line {line_number} is not a feedback record: {problems[0]}",
                        tuple(problems),
                    )
                when = parse_time(record["received_at"])
                if when is None or not start <= when < end:
                    continue
                pair = (record["inference_id"], record["score"]["kind"])
                if pair not in found or found[pair][0] <= when:
                    found[pair] = (when, record)
    return [record for _, record in sorted(found.values(), key=lambda item: item[0])]


def ground_truth(records: Any) -> dict[str, Any]:
    """{inference id: label} of the records that carry one (the last received wins)."""
    return {r["inference_id"]: r["label"] for r in records if r.get("label") is not None}


def _keys(s3: Any, bucket: str, folder: str, owner: Mapping[str, str], describe: Describe) -> Iterator[str]:
    token: str | None = None
    while True:
        extra = {"ContinuationToken": token} if token else {}
        try:
            page = s3.list_objects_v2(Bucket=bucket, Prefix=folder, **owner, **extra)
        except (ClientError, BotoCoreError) as exc:
            raise ReadError(f"cannot list s3://{bucket}/{folder}: {describe(exc)}") from exc
        for item in page.get("Contents", []):
            if item["Key"].endswith(".jsonl"):
                yield item["Key"]
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        if not token:
            return


def _records(
    s3: Any, bucket: str, key: str, owner: Mapping[str, str], describe: Describe
) -> Iterator[tuple[int, Any]]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key, **owner)["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise ReadError(f"cannot read s3://{bucket}/{key}: {describe(exc)}") from exc
    for number, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError:
            raise ReadError(f"s3://{bucket}/{key} line {number} is not JSON") from None
