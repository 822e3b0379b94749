"""The retrain trigger: when a drift or business-KPI alarm of ``modules/model-monitoring`` goes to ALARM,
start the model project's SageMaker training pipeline (``<project>-training``, launchpad.pipeline), if it is
time to and there is something new to learn from.

This file is the whole of an AWS Lambda function (``retrain.handler``, Python 3.12 runtime, the standard
library and boto3 only): ``modules/model-monitoring`` ships it as ``lambda/retrain.zip``, which
``python -m launchpad.monitor.retrain --zip <path>`` writes (see ``deterministic_zip``).

The decision, for an EventBridge ``CloudWatch Alarm State Change`` event:

- **ignored**: the event is not a change to ALARM (OK and INSUFFICIENT_DATA changes reach the function
  only if the rule is widened; they start nothing).
- **skipped: cooldown**: the pipeline's most recent execution (``sagemaker:ListPipelineExecutions``, newest
  first, whatever started it) started less than ``COOLDOWN_SECONDS`` ago.
- **skipped: not enough labels**: fewer than ``MIN_NEW_LABELS`` labelled feedback records arrived since that
  execution started (or, for a pipeline that never ran, within ``MAX_LOOKBACK_DAYS``).
- **started**: ``sagemaker:StartPipelineExecution`` with the pipeline's default parameters (the training
  data prefix, the released code), the event's id as the client request token (so a retried delivery of the
  same event starts one execution) and the alarm in the execution's description.

Counting labels cheaply: launchpad.monitor.feedback writes JSON Lines objects, one feedback record a line,
under ``s3://FEEDBACK_BUCKET/FEEDBACK_PREFIX`` (``feedback/stage=<stage>/endpoint=<endpoint>/``) in Hive
partitions by the hour the feedback arrived, ``year=YYYY/month=MM/day=DD/hour=HH/``. A labelled record is
one with a ``label`` (the ground truth the quality job joins). One ``ListObjectsV2`` walk starts after the
partition of the cut-off day (``StartAfter``, so older partitions are never listed), keeps the objects
modified after the cut-off, counts their labelled records, and stops as soon as the count reaches
``MIN_NEW_LABELS``: one listing pass over the new partitions, and only as many reads as it takes to reach the
threshold. The cut-off is never more than ``MAX_LOOKBACK_DAYS`` ago. A record is parsed only to see whether
it has a label; the log holds the decision, alarm, pipeline, times and counts, never a record or an object
key.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import logging
import os
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime has boto3 alone
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

LOG = logging.getLogger("launchpad.retrain")
LOG.setLevel(logging.INFO)

ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
STARTED = "started"
SKIPPED = "skipped"
IGNORED = "ignored"
COOLDOWN = "cooldown"
NOT_ENOUGH_LABELS = "not enough labels"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Settings:
    """What the function is told through its environment (the module sets each)."""

    pipeline_name: str
    cooldown: timedelta
    min_new_labels: int
    feedback_bucket: str
    feedback_prefix: str
    max_lookback: timedelta

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            pipeline_name=environ["PIPELINE_NAME"],
            cooldown=timedelta(seconds=int(environ["COOLDOWN_SECONDS"])),
            min_new_labels=int(environ["MIN_NEW_LABELS"]),
            feedback_bucket=environ["FEEDBACK_BUCKET"],
            feedback_prefix=environ.get("FEEDBACK_PREFIX", ""),
            max_lookback=timedelta(days=int(environ["MAX_LOOKBACK_DAYS"])),
        )


@dataclass(frozen=True)
class Decision:
    """What the function decided, as it is logged (one JSON line) and returned."""

    decision: str
    reason: str | None
    alarm: str | None
    pipeline: str
    last_execution_start: str | None = None
    labels_counted: int | None = None
    labels_needed: int | None = None
    execution_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None or key == "reason"}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def last_execution_start(sagemaker: SageMakerClient, pipeline: str) -> datetime | None:
    """When the pipeline's newest execution started (a retraining this function or a person started: either
    way the model was just retrained, and new labels count from then); None if it never ran."""
    summaries = sagemaker.list_pipeline_executions(
        PipelineName=pipeline, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
    )["PipelineExecutionSummaries"]
    return summaries[0]["StartTime"] if summaries and "StartTime" in summaries[0] else None


def request_token(event_id: str) -> str:
    """StartPipelineExecution's ClientRequestToken (32-128 characters) for an event id: the id itself when it
    fits (EventBridge's are UUIDs), else its SHA-256."""
    return event_id if 32 <= len(event_id) <= 128 else hashlib.sha256(event_id.encode()).hexdigest()


def count_labelled(read: Callable[[int], bytes]) -> int:
    """Records with a label in a JSON Lines stream (a line that is not a JSON object counts as none)."""
    count = 0
    partial = b""
    while True:
        chunk = read(CHUNK)
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop() if chunk else b""
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("label") is not None:
                count += 1
        if not chunk:
            return count


def count_new_labels(s3: S3Client, settings: Settings, since: datetime, enough: int) -> int:
    """Labelled records in feedback objects modified after ``since``, counted until ``enough`` is reached."""
    prefix = settings.feedback_prefix
    # Keys sort by partition (zero-padded): the cut-off day's and later ones sort after its "...day=DD".
    start_after = f"{prefix}{since.astimezone(UTC):year=%Y/month=%m/day=%d}"
    count = 0
    token: str | None = None
    while True:
        params: dict[str, Any] = {
            "Bucket": settings.feedback_bucket,
            "Prefix": prefix,
            "StartAfter": start_after,
        }
        if token:
            params["ContinuationToken"] = token
        page = s3.list_objects_v2(**params)
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/") or item["LastModified"] <= since:
                continue
            body = s3.get_object(Bucket=settings.feedback_bucket, Key=key)["Body"]
            stream: Any = gzip.GzipFile(fileobj=body) if key.endswith(".gz") else body
            count += count_labelled(stream.read)
            if count >= enough:
                return count
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        if not token:
            return count


def decide(
    event: Mapping[str, Any],
    settings: Settings,
    sagemaker: SageMakerClient,
    s3: S3Client,
    now: datetime,
) -> Decision:
    detail = event.get("detail") or {}
    alarm = detail.get("alarmName")
    pipeline = settings.pipeline_name
    state = (detail.get("state") or {}).get("value")
    if event.get("detail-type") != ALARM_STATE_CHANGE or state != "ALARM":
        return Decision(IGNORED, f"not a change to ALARM (state {state})", alarm, pipeline)

    last = last_execution_start(sagemaker, pipeline)
    if last is not None and now - last < settings.cooldown:
        return Decision(SKIPPED, COOLDOWN, alarm, pipeline, last_execution_start=_iso(last))

    floor = now - settings.max_lookback
    since = floor if last is None or last < floor else last
    labels = count_new_labels(s3, settings, since, settings.min_new_labels)
    seen = Decision(
        SKIPPED,
        NOT_ENOUGH_LABELS,
        alarm,
        pipeline,
        last_execution_start=_iso(last),
        labels_counted=labels,
        labels_needed=settings.min_new_labels,
    )
    if labels < settings.min_new_labels:
        return seen

    request: dict[str, Any] = {
        "PipelineName": pipeline,
        "PipelineExecutionDescription": f"retraining: alarm {alarm} went to ALARM, {labels} new labels"[
            :3072
        ],
    }
    if event.get("id"):
        request["ClientRequestToken"] = request_token(str(event["id"]))
    started = sagemaker.start_pipeline_execution(**request)
    return replace(seen, decision=STARTED, reason=None, execution_id=started["PipelineExecutionArn"])


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: decide, log the decision as one JSON line, return it."""
    settings = Settings.from_environment(os.environ)
    decision = decide(
        event, settings, boto3.client("sagemaker"), boto3.client("s3"), datetime.now(UTC)
    ).as_dict()
    LOG.info(json.dumps(decision, sort_keys=True))
    return decision


# -- the function's zip ----------------------------------------------------------------------------------
ZIP_ENTRY = "retrain.py"
# The earliest time a zip entry can hold: the same files make the same bytes, on any machine, at any time.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def deterministic_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``files`` (name -> content) that depends on nothing else: entries sorted by name, a fixed
    time, mode 0644, Unix as the creating system, and stored uncompressed (deflate's bytes depend on the
    zlib build; a Lambda zip of one small file gains little from compression)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def function_zip() -> bytes:
    """The Lambda function's zip: this file as ``retrain.py``."""
    return deterministic_zip({ZIP_ENTRY: Path(__file__).read_bytes()})


def base64_sha256(data: bytes) -> str:
    """What Terraform's ``filebase64sha256`` gives for a file holding ``data`` (Lambda's CodeSha256)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def write_zip(data: bytes, path: Path, check: bool, command: str) -> str | None:
    """Write ``data`` to ``path`` unless the file holds it already (with ``check``, write nothing). Returns
    the problem, a stale zip, or None; ``command`` is the module that writes it, for the message."""
    current = path.read_bytes() if path.exists() else None
    if current == data:
        return None
    if check:
        return f"{path} is stale: python -m {command} --zip {path}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m launchpad.monitor.retrain", description="Write the retrain trigger's Lambda zip."
    )
    parser.add_argument("--zip", type=Path, required=True, help="Where to write the function's zip.")
    parser.add_argument("--check", action="store_true", help="Fail if the zip is not current; write nothing.")
    args = parser.parse_args(argv)
    data = function_zip()
    stale = write_zip(data, args.zip, args.check, "launchpad.monitor.retrain")
    if stale:
        print(stale, file=sys.stderr)
        return 1
    print(base64_sha256(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
