"""The drift job: one window of capture against the baseline, as a SageMaker Processing job or here.

On AWS it runs on AWS's prebuilt scikit-learn processing image with this package as its code input
(``launchpad_monitor_job.py`` is the entry point), under the job's role::

    python3 /opt/ml/processing/input/code/launchpad_monitor_job.py --root /opt/ml \\
        --capture s3://<bucket>/<prefix>/<endpoint> --endpoint <endpoint> --schedule <schedule> \\
        --window-minutes 60 [--end <RFC 3339>] [--model-version <version>]

- the baseline (``statistics.json``, ``constraints.json``, ``checks.json``) is the one beside the artifact of
  the model the endpoint serves, read with boto3 (``--baselines``: the prefix it must lie under), or a
  processing input at ``<root>/processing/input/baseline``; results go to
  ``<root>/processing/output/results`` (uploaded by SageMaker at the end of the job): ``drift.json``,
  ``statistics.json`` of the window and Model Monitor's ``constraint_violations.json``, and the quality and
  bias results (launchpad.monitor.outcomes);
- the capture is read with boto3, only the hour folders of the window (a processing input could not follow
  the window); with several instances each takes every n-th file of the sorted listing
  (``/opt/ml/config/resourceconfig.json``), writes its summary to ``<results S3 URI>/partials/`` and the
  first host merges them;
- metrics go to CloudWatch under Model Monitor's namespace and names (drift.NAMESPACE).

Exit codes: 0 done, 2 an input or option the run cannot use (the reason in the log), 3 AWS refused a call
(its error, which names the action an AccessDenied lacks, in one log line: the job's FailureReason).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from . import baselines, capture, drift, labels, outcomes, profile

LOG = logging.getLogger(__name__)
ENTRY_POINT = "launchpad_monitor_job.py"
PARTIAL_WAIT_SECONDS = 900
NAMESPACES = {
    "data": drift.NAMESPACE,
    "model": "aws/sagemaker/Endpoints/model-metrics",
    "bias": "aws/sagemaker/Endpoints/bias-metrics",
}


class JobError(RuntimeError):
    """A run that cannot go on; the message says why (exit code 2 in the job)."""


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset) as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise JobError(f"{text!r} is not an RFC 3339 time such as 2026-12-07T12:00:00Z") from None
    if value.tzinfo is None:
        raise JobError(f"{text!r} has no time zone; end it with Z for UTC")
    return value.astimezone(timezone.utc)


def window(end: datetime | None, minutes: int) -> tuple[datetime, datetime]:
    """[start, end) of a window of ``minutes`` ending at ``end`` (default: now), to the second. A schedule's
    runs end at its scheduled times, so their windows meet: each record falls in exactly one."""
    if not 1 <= minutes <= 31 * 24 * 60:
        raise JobError(f"the window is {minutes} minutes; use 1 to {31 * 24 * 60} (31 days)")
    stop = (end or datetime.now(timezone.utc)).replace(microsecond=0)
    return stop - timedelta(minutes=minutes), stop


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def load_baseline(
    statistics: Mapping[str, Any], constraints: Mapping[str, Any], model_version: str | None
) -> None:
    """Refuse a baseline launchpad cannot use, or one of another model version than the endpoint serves."""
    profile.check_baseline(statistics)
    theirs = statistics.get("launchpad", {}).get("model_version")
    if model_version and theirs and theirs != model_version:
        raise JobError(
            f"the baseline describes model version {theirs} but the endpoint serves {model_version}: "
            f"write a baseline for {model_version} (launchpad monitor baseline) before comparing"
        )
    names = {f["name"] for f in statistics["features"]}
    unknown = {f["name"] for f in constraints.get("features", [])} - names
    if unknown:
        raise JobError(f"constraints.json names features statistics.json lacks: {', '.join(sorted(unknown))}")


def load_checks(
    document: Mapping[str, Any] | None, statistics: Mapping[str, Any], required: Sequence[str]
) -> outcomes.Checks | None:
    """The baseline's quality and bias checks (checks.json, or None without one); refuse a run that must
    check quality or bias (``required``) without them, or checks of another model version."""
    if document is None:
        if required:
            raise JobError(
                f"the baseline has no {outcomes.CHECKS_FILE}, so {' and '.join(required)} cannot be checked: "
                f"write the baseline with launchpad monitor baseline --model-card"
            )
        return None
    try:
        checks = outcomes.Checks.from_document(document)
    except outcomes.ChecksError as exc:
        raise JobError(str(exc)) from None
    ours = statistics.get("launchpad", {}).get("model_version")
    theirs = document.get("model_version")
    if ours and theirs and ours != theirs:
        raise JobError(
            f"{outcomes.CHECKS_FILE} is of model version {theirs} but statistics.json of {ours}: "
            f"write both with one launchpad monitor baseline"
        )
    if "bias" in required and checks.bias_config is None:
        raise JobError(
            f"bias must be checked but {outcomes.CHECKS_FILE} names no facet: "
            f"list monitoring.bias.facets in the model card"
        )
    return checks


def served_baseline(sagemaker: Any, endpoint: str) -> tuple[str, str]:
    """(variant, baseline prefix) of the model the endpoint's most weighted variant serves: the baseline the
    deploy shipped beside that model's artifact (:func:`launchpad.monitor.baselines.baseline_prefix`)."""
    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    weights = {v["VariantName"]: v.get("CurrentWeight", 0.0) for v in described.get("ProductionVariants", [])}
    variants = config.get("ProductionVariants") or []
    if not variants:
        raise JobError(f"endpoint {endpoint} has no production variant")
    top = max(variants, key=lambda v: weights.get(v["VariantName"], v.get("InitialVariantWeight", 0.0)))
    container = sagemaker.describe_model(ModelName=top["ModelName"]).get("PrimaryContainer") or {}
    url = container.get("ModelDataUrl")
    if not isinstance(url, str):
        raise JobError(
            f"model {top['ModelName']} of endpoint {endpoint} has no ModelDataUrl, so no baseline beside it"
        )
    try:
        return top["VariantName"], baselines.baseline_prefix(url)
    except ValueError as exc:
        raise JobError(str(exc)) from None


def fetch_baseline(s3: Any, prefix: str, under: str, folder: str) -> list[str]:
    """Download the files of the baseline at ``prefix`` (which must lie under ``under``) into ``folder``;
    returns their names."""
    if not prefix.startswith(under):
        raise JobError(f"the served model's baseline {prefix} is not under {under}, where this job reads")
    bucket, key = split_uri(prefix)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    names = sorted(o["Key"][len(key) :] for o in listed if "/" not in o["Key"][len(key) :])
    missing = [name for name in baselines.REQUIRED if name not in names]
    if missing:
        raise JobError(
            f"{prefix} has no {' or '.join(missing)}: the served model version was deployed without its "
            f"baseline (launchpad deploy --artifact ... --baseline build/baseline)"
        )
    os.makedirs(folder, exist_ok=True)
    for name in names:
        s3.download_file(bucket, key + name, os.path.join(folder, name))
    return names


def summarize_files(
    files: Iterable[tuple[str, Iterable[bytes | str]]],
    baseline: Mapping[str, Any],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """The window's summary of capture files given as (name, lines), one file at a time (memory stays that
    of the largest file, not of the window)."""
    names = tuple(f["name"] for f in baseline["features"])
    summaries = []
    for name, lines in files:
        table = capture.Table(names)
        capture.read_lines(table, lines, name, stamp(start), stamp(end))
        summaries.append(drift.summarize(table, baseline))
        if len(summaries) == 2:
            summaries = [drift.merge(summaries)]
    return summaries[0] if summaries else drift.summarize(capture.Table(names), baseline)


def result(
    baseline: Mapping[str, Any],
    constraints: Mapping[str, Any],
    summary: Mapping[str, Any],
    *,
    endpoint: str,
    schedule: str,
    start: datetime,
    end: datetime,
    variant: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """drift.json of a window's summary, and Model Monitor's violations."""
    meta = baseline.get("launchpad", {})
    run: dict[str, Any] = {
        "version": 1,
        "endpoint": endpoint,
        "variant": variant,
        "monitoring_schedule": schedule,
        "window": {"start": stamp(start), "end": stamp(end)},
        "baseline": {"model_version": meta.get("model_version"), "created": meta.get("created")},
        "records": {k: summary[k] for k in ("files", "lines", "malformed", "rows")},
    }
    if summary["rows"] == 0:
        run.update(status="no-data", features=[], drifted_features=0)
        reason = "no capture record in the window" + (
            f" ({summary['malformed']} lines unreadable)" if summary["malformed"] else ""
        )
        run["message"] = reason
        violations = [drift._violation("", "capture_format_check", reason)] if summary["malformed"] else []
        return run, violations
    compared, violations = drift.compare(baseline, constraints, summary)
    run.update(status="ok", **compared)
    return run, violations


def window_statistics(baseline: Mapping[str, Any], summary: Mapping[str, Any]) -> dict[str, Any]:
    """Model Monitor's statistics.json of the window (moments and counts; no sketch of raw values)."""
    features = []
    for feature in baseline["features"]:
        current = summary["features"][feature["name"]]
        common = {"num_present": current["rows"] - current["missing"], "num_missing": current["missing"]}
        entry: dict[str, Any] = {"name": feature["name"], "inferred_type": feature["inferred_type"]}
        if "categories" in current:
            buckets = [{"value": k, "count": v} for k, v in sorted(current["categories"].items())]
            entry["string_statistics"] = {
                "common": common,
                "distinct_count": len(buckets),
                "distribution": {"categorical": {"buckets": buckets}},
            }
        else:
            n = sum(current["counts"])
            mean = current["sum"] / n if n else None
            variance = max(current["sum_squares"] / n - mean * mean, 0.0) if n and mean is not None else None
            entry["numerical_statistics"] = {
                "common": common,
                "mean": mean,
                "sum": current["sum"],
                "std_dev": variance**0.5 if variance is not None else None,
                "min": current["min"],
                "max": current["max"],
            }
        features.append(entry)
    return {"version": 0.0, "dataset": {"item_count": summary["rows"]}, "features": features}


def write_outputs(
    folder: str,
    run: Mapping[str, Any],
    violations: Sequence[Mapping[str, str]],
    statistics: Mapping[str, Any],
) -> None:
    write_documents(
        folder,
        {
            "drift.json": run,
            "constraint_violations.json": {"violations": list(violations)},
            "statistics.json": statistics,
        },
    )


def write_documents(folder: str, documents: Mapping[str, Any]) -> None:
    """JSON documents by relative path under a local folder."""
    for name, document in documents.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)


def put_metrics(cloudwatch: Any, namespace: str, data: Sequence[Mapping[str, Any]]) -> int:
    """PutMetricData in batches of 20 (AWS takes 1000, but many features' metric data is large); how many."""
    for first in range(0, len(data), 20):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=list(data[first : first + 20]))
    return len(data)


def publish(
    cloudwatch: Any, run: Mapping[str, Any], endpoint: str, schedule: str, namespace: str = drift.NAMESPACE
) -> int:
    """Put the run's drift metrics; returns how many."""
    return put_metrics(cloudwatch, namespace, drift.metric_data(run, endpoint, schedule))


# -- S3 ------------------------------------------------------------------------------------------------------
def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or ("/" not in uri[5:] and not uri[5:]):
        raise JobError(f"{uri!r} is not an s3://bucket/prefix URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def capture_keys(s3: Any, uri: str, start: datetime, end: datetime) -> list[str]:
    """The capture objects of the window's hour folders, sorted. ``uri`` is the endpoint's (all variants)
    or one variant's capture prefix."""
    bucket, prefix = split_uri(uri)
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    base = prefix.rstrip("/") + "/"
    variant_level = [base]
    if not _has_hour_folders(s3, bucket, base):  # an endpoint's prefix: one folder per variant below it
        variant_level = [
            p["Prefix"]
            for page in paginator.paginate(Bucket=bucket, Prefix=base, Delimiter="/")
            for p in page.get("CommonPrefixes", [])
        ]
    for folder in variant_level:
        for hour in capture.hour_prefixes(folder, start, end):
            for page in paginator.paginate(Bucket=bucket, Prefix=hour):
                keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".jsonl"))
    return sorted(keys)


def _has_hour_folders(s3: Any, bucket: str, prefix: str) -> bool:
    answer = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/", MaxKeys=5)
    return any(p["Prefix"][len(prefix) :].rstrip("/").isdigit() for p in answer.get("CommonPrefixes", []))


def s3_files(s3: Any, bucket: str, keys: Sequence[str]) -> Iterable[tuple[str, Iterable[bytes | str]]]:
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        yield f"s3://{bucket}/{key}", body.splitlines()


def run_window(
    s3: Any,
    capture_uri: str,
    baseline: Mapping[str, Any],
    start: datetime,
    end: datetime,
    *,
    host: int = 0,
    hosts: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """This host's summary of the window read from S3 (every ``hosts``-th file from ``host``)."""
    bucket, _ = split_uri(capture_uri)
    keys = capture_keys(s3, capture_uri, start, end)[host::hosts]
    LOG.info("reading %d capture files of %s to %s", len(keys), stamp(start), stamp(end))

    def counted() -> Iterable[tuple[str, Iterable[bytes | str]]]:
        for done, item in enumerate(s3_files(s3, bucket, keys), start=1):
            yield item
            if progress:
                progress(done, len(keys))

    return summarize_files(counted(), baseline, start, end)


def read_inferences(
    files: Iterable[tuple[str, Iterable[bytes | str]]],
    field: str,
    names: Sequence[str],
    start: datetime,
    end: datetime,
) -> tuple[dict[str, capture.Inference], int]:
    """The joinable inferences of capture files given as (name, lines), captured in [start, end), and how
    many records had no readable output (the first few of each file logged by position)."""
    found: dict[str, capture.Inference] = {}
    unreadable = 0
    for name, lines in files:
        inferences, problems = capture.inferences(lines, name, field, names, stamp(start), stamp(end))
        found.update(inferences)
        unreadable += len(problems)
        for problem in problems[: capture.MAX_EXAMPLES]:
            LOG.warning("%s", problem)
    return found, unreadable


def judge_outcomes(
    s3: Any,
    capture_uri: str,
    feedback_uri: str,
    baseline: Mapping[str, Any],
    checks: outcomes.Checks,
    start: datetime,
    end: datetime,
    offset: timedelta = timedelta(0),
) -> outcomes.Outcome:
    """Quality and bias of the predictions captured in [start - offset, end - offset), joined to the labels
    received from the window's start until its end (labels come after the predictions they judge)."""
    first, last = start - offset, end - offset
    names = [f["name"] for f in baseline["features"]]
    bucket, _ = split_uri(capture_uri)
    files = s3_files(s3, bucket, capture_keys(s3, capture_uri, first, last))
    found, unreadable = read_inferences(files, checks.prediction_field, names, first, last)
    feedback_bucket, prefix = split_uri(feedback_uri)
    try:
        records = labels.read(s3, feedback_bucket, prefix, first, end)
    except labels.ReadError as exc:
        raise JobError(str(exc)) from None
    outcome = outcomes.evaluate(found, labels.ground_truth(records), checks, names)
    outcome.join["predictions_unreadable"] = unreadable
    return outcome


def publish_outcome(
    cloudwatch: Any, outcome: outcomes.Outcome, endpoint: str, schedule: str, namespaces: Mapping[str, str]
) -> int:
    """Put the quality and bias metrics; returns how many."""
    found, biased = outcome.metric_data(drift.dimensions(endpoint, schedule))
    return put_metrics(cloudwatch, namespaces["model"], found) + put_metrics(
        cloudwatch, namespaces["bias"], biased
    )


# -- the Processing job's entry point -----------------------------------------------------------------------
def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=ENTRY_POINT, description="launchpad's drift job (docs/monitoring.md)"
    )
    parser.add_argument("--root", default="/opt/ml")
    parser.add_argument(
        "--capture", required=True, help="s3:// prefix of the endpoint's (or a variant's) capture"
    )
    parser.add_argument("--endpoint", required=True)
    parser.add_argument(
        "--schedule", required=True, help="the monitoring schedule's name (a metric dimension)"
    )
    parser.add_argument("--window-minutes", type=int, default=60)
    parser.add_argument("--end", help="end of the window, RFC 3339 (default: now)")
    parser.add_argument("--model-version", help="refuse a baseline of another version")
    parser.add_argument(
        "--baselines",
        help="s3:// prefix the versions' baselines lie under: read the served model's baseline, beside its "
        "artifact, instead of the baseline input",
    )
    parser.add_argument("--results-uri", help="s3:// of the results output (for shards' partial summaries)")
    parser.add_argument("--no-metrics", action="store_true")
    parser.add_argument(
        "--feedback", help="s3:// prefix of the endpoint's feedback records: check quality and bias too"
    )
    parser.add_argument(
        "--label-offset-minutes",
        type=int,
        default=0,
        help="judge the predictions this long before the window, so their labels had time to arrive",
    )
    parser.add_argument(
        "--require",
        action="append",
        choices=("quality", "bias"),
        default=[],
        help="fail unless the baseline's checks.json checks this (alarms wait for its metrics)",
    )
    for kind, default in NAMESPACES.items():
        parser.add_argument(
            f"--namespace-{kind}", default=default, help=f"CloudWatch namespace of {kind} metrics"
        )
    return parser.parse_args(argv)


def _hosts(root: str) -> tuple[int, int, str]:
    path = os.path.join(root, "config", "resourceconfig.json")
    if not os.path.exists(path):
        return 0, 1, "algo-1"
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)
    hosts = sorted(config["hosts"])
    return hosts.index(config["current_host"]), len(hosts), config["current_host"]


def _gather(
    s3: Any, results_uri: str, mine: Mapping[str, Any], hosts: int, host_name: str
) -> list[Any] | None:
    """Share this host's summary; the first host waits for all and returns them (others return None)."""
    bucket, prefix = split_uri(results_uri.rstrip("/") + "/partials/")
    body = json.dumps(mine).encode()
    s3.put_object(Bucket=bucket, Key=f"{prefix}{host_name}.json", Body=body)
    if host_name != "algo-1":
        return None
    deadline = time.monotonic() + PARTIAL_WAIT_SECONDS
    while True:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        if len(listed) >= hosts:
            return [json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed]
        if time.monotonic() > deadline:
            raise JobError(
                f"only {len(listed)} of {hosts} hosts wrote their summary in {PARTIAL_WAIT_SECONDS} s"
            )
        time.sleep(0.5)


def _read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _inputs(
    args: argparse.Namespace, s3: Any, sagemaker: Callable[[], Any]
) -> tuple[dict[str, Any], dict[str, Any], outcomes.Checks | None]:
    """The baseline's statistics, constraints and checks: the served version's (``--baselines``) or the
    baseline input's, each refused when the run cannot use it."""
    folder = os.path.join(args.root, "processing", "input", "baseline")
    if args.baselines:
        variant, prefix = served_baseline(sagemaker(), args.endpoint)
        names = fetch_baseline(s3, prefix, args.baselines, folder)
        LOG.info("variant %s serves the model whose baseline is %s (%s)", variant, prefix, ", ".join(names))
    baseline = _read_json(os.path.join(folder, "statistics.json"))
    constraints = _read_json(os.path.join(folder, "constraints.json"))
    load_baseline(baseline, constraints, args.model_version)
    checks_path = os.path.join(folder, outcomes.CHECKS_FILE)
    checks_document = _read_json(checks_path) if os.path.exists(checks_path) else None
    checks = load_checks(checks_document, baseline, args.require)
    if args.require and not args.feedback:
        raise JobError(f"--require {' '.join(args.require)} needs --feedback, where the labels are")
    return baseline, constraints, checks


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    args = _arguments(argv)
    try:
        import boto3  # the image has it; imported here so the module loads without it

        start, end = window(parse_time(args.end) if args.end else None, args.window_minutes)
        s3 = boto3.client("s3")
        baseline, constraints, checks = _inputs(args, s3, lambda: boto3.client("sagemaker"))
        offset = timedelta(minutes=args.label_offset_minutes)
        if not timedelta(0) <= offset <= labels.MAX_WINDOW - (end - start):
            raise JobError(
                f"--label-offset-minutes {args.label_offset_minutes}: use 0 to "
                f"{int((labels.MAX_WINDOW - (end - start)).total_seconds() // 60)} (window and offset within "
                f"{labels.MAX_WINDOW.days} days)"
            )
        host, hosts, host_name = _hosts(args.root)
        summary = run_window(s3, args.capture, baseline, start, end, host=host, hosts=hosts)
        if hosts > 1:
            if not args.results_uri:
                raise JobError("several instances need --results-uri to share their summaries")
            parts = _gather(s3, args.results_uri, summary, hosts, host_name)
            if parts is None:
                return 0
            summary = drift.merge(parts)
        run, violations = result(
            baseline,
            constraints,
            summary,
            endpoint=args.endpoint,
            schedule=args.schedule,
            start=start,
            end=end,
        )
        outcome = None
        if checks is not None and args.feedback:
            outcome = judge_outcomes(s3, args.capture, args.feedback, baseline, checks, start, end, offset)
            run["model_quality"] = {
                "status": outcome.status,
                "join": outcome.join,
                "violations": len(outcome.violations["violations"]),
            }
            run["bias"] = None if outcome.analysis is None else {"violations": len(outcome.bias_violations)}
        output = os.path.join(args.root, "processing", "output", "results")
        write_outputs(output, run, violations, window_statistics(baseline, summary))
        if outcome is not None:
            write_documents(output, outcome.documents())
        if not args.no_metrics:
            cloudwatch = boto3.client("cloudwatch")
            namespaces = {kind: getattr(args, f"namespace_{kind}") for kind in NAMESPACES}
            publish(cloudwatch, run, args.endpoint, args.schedule, namespaces["data"])
            if outcome is not None:
                publish_outcome(cloudwatch, outcome, args.endpoint, args.schedule, namespaces)
        LOG.info(
            "%s: %d rows, %d features drifted, %d violations",
            run["status"],
            summary["rows"],
            run["drifted_features"],
            len(violations),
        )
        return 0
    except (JobError, profile.ProfileError, capture.CaptureError, OSError, ValueError) as exc:
        LOG.error("%s", exc)
        return 2
    except (ClientError, BotoCoreError) as exc:  # AWS's words: an AccessDenied names the action
        LOG.error("%s", exc)
        return 3
