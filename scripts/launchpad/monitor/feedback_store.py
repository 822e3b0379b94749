"""Where feedback records are stored in S3, and the writing of them: the one implementation that
``launchpad.monitor.feedback`` (the CLI and the SDK, which check records against their JSON schema first)
and the assistant's Lambda function (``launchpad.assistant.handler``, which builds its records itself) share.

The layout, Hive-style so Athena and Glue read the partitions as columns (docs/monitoring.md)::

    <prefix>stage=<stage>/endpoint=<endpoint>/year=YYYY/month=MM/day=DD/hour=HH/<uuid>.jsonl

the hour of each record's ``received_at`` in UTC (``launchpad.monitor.labels.hour_folder``, which the
readers list). ``put_records`` writes one JSON Lines object per partition, each ``PutObject`` encrypted with
SSE-KMS under the given key and, with ``expected_owner``, only into a bucket of that account
(``ExpectedBucketOwner``: S3 answers 403 for a bucket of any other account; Amazon S3 User Guide,
"Verifying bucket ownership with bucket owner condition").

The object's name is a UUID (version 5) derived from the (``inference_id``, ``score.kind``) pairs it holds, so
writing the same records again (a retry after a timeout, the same thumbs-up sent twice within the hour)
overwrites the same objects instead of adding copies; readers keep the last record received of a pair.

Records are not checked here (the caller has: ``feedback.check_records`` or the function's own making), and
no value of a record reaches a message. Standard library and boto3 only: the Lambda function's zip holds it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.monitor import labels

PREFIX = "feedback/"
CONTENT_TYPE = "application/x-ndjson"
# Names the objects of a write after the (inference_id, kind) pairs they hold: the same batch, the same keys.
_OBJECT_NAMESPACE = uuid.UUID("5b0d6f1e-0c55-4a53-9d0e-6c9a1f0f5e11")
MAX_PREFIX = 256
Describe = Callable[[Exception], str]


class StoreError(ValueError):
    """A destination that cannot hold feedback, or S3 refusing a write; the message names the object, never
    a record's value. ``written`` lists the keys written before the refusal."""

    def __init__(self, message: str, written: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.written = written


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore error (``AccessDenied``), else the exception's type name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def check_prefix(prefix: str) -> None:
    """Refuse a key prefix that is not shaped ``a/b/`` (no leading slash, no empty folder)."""
    if not prefix.endswith("/") or prefix.startswith("/") or "//" in prefix or len(prefix) > MAX_PREFIX:
        raise StoreError("prefix: write a key prefix ending in '/', e.g. feedback/")


def check_destination(prefix: str, kms_key_id: str) -> None:
    """Refuse a malformed key prefix, or a missing KMS key, before anything is written."""
    check_prefix(prefix)
    if not kms_key_id:
        raise StoreError("kms_key_id: feedback may hold personal data; give the KMS key to encrypt it with")


def partition(stage: str, endpoint: str, when: datetime, prefix: str = PREFIX) -> str:
    """The Hive-style prefix of ``when``'s hour (UTC):
    ``feedback/stage=prod/endpoint=e/year=2026/month=12/day=07/hour=07/``."""
    return labels.hour_folder(f"{prefix}stage={stage}/endpoint={endpoint}/", when)


def record_partition(record: Mapping[str, Any], prefix: str = PREFIX) -> str:
    """The partition of a checked record: its stage, endpoint and the hour of its ``received_at``."""
    when = labels.parse_time(record["received_at"])
    if when is None:
        raise StoreError("received_at: write an RFC 3339 time such as 2026-12-07T12:00:00Z")
    return partition(record["stage"], record["endpoint"], when, prefix)


def object_name(records: Sequence[Mapping[str, Any]]) -> str:
    """``<uuid5>.jsonl`` of the (inference_id, kind) pairs of ``records``, whatever their order."""
    pairs = sorted(f"{r['inference_id']}\x00{r['score']['kind']}" for r in records)
    return f"{uuid.uuid5(_OBJECT_NAMESPACE, chr(10).join(pairs))}.jsonl"


def json_lines(records: Iterable[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode("utf-8")


def put_records(
    s3_client: Any,
    bucket: str,
    records: Iterable[Mapping[str, Any]],
    *,
    kms_key_id: str,
    prefix: str = PREFIX,
    expected_owner: str | None = None,
    describe: Describe = error_code,
) -> list[str]:
    """Put ``records`` (already checked) as one JSON Lines object per partition, SSE-KMS with ``kms_key_id``;
    the keys written, sorted. A refusal is a ``StoreError`` naming the object and ``describe(error)``."""
    check_destination(prefix, kms_key_id)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(record_partition(record, prefix), []).append(record)
    owner = {"ExpectedBucketOwner": expected_owner} if expected_owner else {}
    keys: list[str] = []
    for folder, group in sorted(groups.items()):
        key = folder + object_name(group)
        try:
            s3_client.put_object(
                Bucket=bucket,
                Key=key,
                Body=json_lines(group),
                ContentType=CONTENT_TYPE,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=kms_key_id,
                **owner,
            )
        except (ClientError, BotoCoreError) as exc:
            done = f"; {len(keys)} of {len(groups)} objects were written before" if keys else ""
            raise StoreError(
                f"S3 refused the feedback object s3://{bucket}/{key}: {describe(exc)}"
                f"{done} (writing the same records again is safe: the keys are the same)",
                tuple(keys),
            ) from exc
        keys.append(key)
    return keys
