"""What ``launchpad monitor baseline|run|report|status`` do, for the CLI: files and S3 in, documents out.

Baselines and results are folders, local or ``s3://`` prefixes: a baseline holds ``statistics.json`` and
``constraints.json``; a run's results ``drift.json``, ``statistics.json`` and ``constraint_violations.json``.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.deploy.schema_errors import read_yaml
from launchpad.errors import MonitorError
from launchpad.monitor import bias as bias_metrics
from launchpad.monitor import capture, drift, job, labels, outcomes, profile
from launchpad.monitor.quality import QualityError

LOG = logging.getLogger(__name__)
BASELINE_FILES = ("statistics.json", "constraints.json")  # and checks.json, optional
PRE_TRAINING_FILE = "analysis.json"  # Clarify's pre-training bias of the training data, with --label
# The modules the Processing job runs: the computing ones only (docs/monitoring.md).
JOB_MODULES = (
    "__init__.py",
    "baselines.py",
    "profile.py",
    "capture.py",
    "drift.py",
    "job.py",
    "labels.py",
    "outcomes.py",
    "quality.py",
    "bias.py",
)
JOB_PACKAGE = "launchpad_monitor"
ENTRY_SOURCE = f'''"""launchpad's drift job: a SageMaker Processing job's entry point (docs/monitoring.md)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from {JOB_PACKAGE}.job import main  # noqa: E402

sys.exit(main())
'''


# -- folders: local or S3 ------------------------------------------------------------------------------------
def read_documents(location: str, names: Sequence[str], s3: Any = None) -> dict[str, Any]:
    """The JSON files ``names`` of a folder or s3:// prefix."""
    out = {}
    for name in names:
        try:
            if location.startswith("s3://"):
                bucket, prefix = job.split_uri(location.rstrip("/") + "/" + name)
                text = _s3(s3).get_object(Bucket=bucket, Key=prefix)["Body"].read()
            else:
                text = Path(location, name).read_bytes()
            out[name] = json.loads(text)
        except FileNotFoundError:
            raise MonitorError(f"{location} has no {name}") from None
        except json.JSONDecodeError as exc:
            raise MonitorError(f"{location}/{name} is not JSON (line {exc.lineno})") from None
        except Exception as exc:  # botocore's NoSuchKey and AccessDenied
            if type(exc).__name__ in ("NoSuchKey", "ClientError"):
                raise MonitorError(f"cannot read {location.rstrip('/')}/{name}: {exc}") from None
            raise
    return out


def write_documents(
    location: str, documents: Mapping[str, Any], *, kms_key_id: str | None = None, s3: Any = None
) -> None:
    for name, document in documents.items():
        _write(location, name, json.dumps(document, indent=1).encode(), kms_key_id, s3)


def _write(location: str, name: str, body: bytes, kms_key_id: str | None, s3: Any) -> None:
    """``name`` (a relative path) under a folder or s3:// prefix; SSE-KMS with ``kms_key_id`` in S3."""
    if location.startswith("s3://"):
        bucket, key = job.split_uri(location.rstrip("/") + "/" + name)
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
        _s3(s3).put_object(Bucket=bucket, Key=key, Body=body, **extra)
    else:
        path = Path(location, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def _s3(client: Any) -> Any:
    return client if client is not None else AwsTarget.from_env().client("s3")


# -- baseline ------------------------------------------------------------------------------------------------
def read_training_csv(path: Path, exclude: Sequence[str] = ()) -> dict[str, list[Any]]:
    """Feature columns of a CSV file with a header row (cells as text, empty = missing)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise MonitorError(f"{path} is empty: give training data with a header row")
            unknown = set(exclude) - set(header)
            if unknown:
                raise MonitorError(
                    f"--exclude names columns {path} does not have: {', '.join(sorted(unknown))}"
                )
            keep = [i for i, name in enumerate(header) if name not in exclude]
            columns: dict[str, list[Any]] = {header[i]: [] for i in keep}
            for number, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    raise MonitorError(
                        f"{path} line {number} has {len(row)} cells; the header has {len(header)}"
                    )
                for i in keep:
                    columns[header[i]].append(row[i] if row[i] != "" else None)
    except UnicodeDecodeError:
        raise MonitorError(f"{path} is not UTF-8 text") from None
    if not next(iter(columns.values()), None):
        raise MonitorError(f"{path} has a header but no rows")
    return columns


def drift_rule_from_card(card_path: Path) -> tuple[str | None, float | None, str | None]:
    """(statistic, threshold, model version) from a model card's ``monitoring.drift`` and
    ``model_details.version``; ``statistic`` is read from ``monitoring.drift.statistic`` when given."""
    card = read_yaml(card_path, "model card")
    drift_section = (card.get("monitoring") or {}).get("drift") or {}
    statistic = drift_section.get("statistic")
    threshold = drift_section.get("threshold") if statistic else None
    return statistic, threshold, str((card.get("model_details") or {}).get("version") or "") or None


def baseline(
    data: Path,
    output: str,
    *,
    model_version: str | None = None,
    model_package_arn: str | None = None,
    exclude: Sequence[str] = (),
    types: Mapping[str, str] | None = None,
    statistic: str | None = None,
    threshold: float | None = None,
    bins: int = profile.BINS,
    card: Mapping[str, Any] | None = None,
    problem_type: str = "BinaryClassification",
    prediction_threshold: float = 0.5,
    prediction_field: str = "probability",
    label: str | None = None,
    kms_key_id: str | None = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Profile training data into a baseline folder, with the model version's quality and bias checks from
    its model card (checks.json: launchpad.monitor.outcomes); with ``label`` (the data's label column, not
    profiled) and the card's facets, also Clarify's pre-training bias of the data (analysis.json). Returns
    what was written, for the CLI."""
    columns = read_training_csv(data, exclude)
    labels = None
    if label is not None:
        if label not in columns:
            raise MonitorError(f"--label {label}: {data.name} has no such column (or --exclude drops it)")
        labels = columns.pop(label)
    metadata = {
        "model_version": model_version,
        "model_package_arn": model_package_arn,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": data.name,
    }
    try:
        stats = profile.statistics(columns, bins=bins, types=types, metadata=metadata)
        rules = profile.constraints(stats, statistic=statistic, threshold=threshold)
        checks = outcomes.checks_document(
            card or {},
            model_version=model_version,
            problem_type=problem_type,
            threshold=prediction_threshold,
            field=prediction_field,
        )
    except (profile.ProfileError, outcomes.ChecksError, QualityError, bias_metrics.BiasError) as exc:
        raise MonitorError(str(exc)) from None
    facets = [f.name_or_index for f in bias_metrics.facets_from_card(card or {})]  # checks_document read them
    absent = [str(f) for f in facets if f not in columns]
    if absent:
        raise MonitorError(
            f"monitoring.bias.facets names {', '.join(absent)}, not a feature of {data.name}: post-training "
            f"bias reads a facet from the captured requests, so it must be a model input"
        )
    documents = {"statistics.json": stats, "constraints.json": rules, outcomes.CHECKS_FILE: checks}
    if labels is not None and checks["bias"]:
        documents[PRE_TRAINING_FILE] = _pre_training_bias(columns, labels, checks["bias"])
    write_documents(output, documents, kms_key_id=kms_key_id, s3=s3)
    return {
        "baseline": output,
        "rows": stats["dataset"]["item_count"],
        "features": [{"name": f["name"], "inferred_type": f["inferred_type"]} for f in stats["features"]],
        "model_version": model_version,
        "written": sorted(documents),
    }


def _pre_training_bias(
    columns: Mapping[str, list[Any]], labels: list[Any], section: Mapping[str, Any]
) -> dict[str, Any]:
    """Clarify's analysis.json of the training data: the pre-training metrics of the card's facets."""
    config = {**section["analysis_config"], "predicted_label": None}
    config["methods"] = {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": []}}
    try:
        return bias_metrics.analysis(
            {**columns, outcomes.LABEL: labels},
            bias_metrics.BiasConfig.from_analysis_config(config),
            section["thresholds"],
        )
    except bias_metrics.BiasError as exc:
        raise MonitorError(f"pre-training bias of the training data: {exc}") from None


# -- run -----------------------------------------------------------------------------------------------------
def window(end: str | None, minutes: int) -> tuple[datetime, datetime]:
    """[start, end) of a run: ``minutes`` ending at ``end`` (RFC 3339; default now)."""
    try:
        return job.window(job.parse_time(end) if end else None, minutes)
    except job.JobError as exc:
        raise MonitorError(str(exc)) from None


def _local_files(paths: Sequence[Path]) -> list[str]:
    found: list[str] = []
    for path in paths:
        if path.is_dir():
            found.extend(str(p) for p in sorted(path.rglob("*.jsonl")))
        elif path.exists():
            found.append(str(path))
        else:
            raise MonitorError(f"{path} does not exist")
    return found


def run(
    baseline_location: str,
    capture_location: str,
    output: str,
    *,
    endpoint: str,
    schedule: str,
    start: datetime,
    end: datetime,
    model_version: str | None = None,
    cloudwatch: Any = None,
    s3: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """One drift run here, with the caller's credentials: the same code the Processing job runs."""
    documents = read_documents(baseline_location, BASELINE_FILES, s3)
    stats, rules = documents["statistics.json"], documents["constraints.json"]
    try:
        job.load_baseline(stats, rules, model_version)
        if capture_location.startswith("s3://"):
            summary = job.run_window(_s3(s3), capture_location, stats, start, end, progress=progress)
        else:
            files = _local_files([Path(capture_location)])
            summary = job.summarize_files(capture.iter_local(files), stats, start, end)
    except (job.JobError, profile.ProfileError, capture.CaptureError) as exc:
        raise MonitorError(str(exc)) from None
    result, violations = job.result(
        stats, rules, summary, endpoint=endpoint, schedule=schedule, start=start, end=end
    )
    documents = {
        "drift.json": result,
        "constraint_violations.json": {"violations": violations},
        "statistics.json": job.window_statistics(stats, summary),
    }
    write_documents(output, documents, s3=s3)
    if cloudwatch is not None:
        result["metrics_published"] = job.publish(cloudwatch, result, endpoint, schedule)
    return {"results": output, "violations": violations, **result}


def summary_line(result: Mapping[str, Any]) -> str:
    """One paragraph about a run, for people."""
    records = result["records"]
    head = (
        f"{result['endpoint']} {result['window']['start']} to {result['window']['end']}: "
        f"{records['rows']} rows from {records['lines']} capture records in {records['files']} files"
        + (f", {records['malformed']} unreadable" if records["malformed"] else "")
    )
    if result["status"] == "no-data":
        return f"{head}. {result['message']}: nothing to compare."
    lines = [f"{head}; {result['drifted_features']} of {len(result['features'])} features drifted."]
    for feature in sorted(result["features"], key=lambda f: not (f["decision"] or {}).get("drifted")):
        decision = feature["decision"]
        if decision is None:
            lines.append(f"  {feature['name']:<24} no values")
            continue
        mark = "DRIFT" if decision["drifted"] else "ok"
        lines.append(
            f"  {feature['name']:<24} {mark:<5} {decision['statistic']} {decision['value']:.4g} "
            f"(threshold {decision['threshold']:g})"
        )
    for violation in result.get("violations", []):
        lines.append(f"  violation {violation['constraint_check_type']}: {violation['description']}")
    return "\n".join(lines)


# -- the Processing job's code -------------------------------------------------------------------------------
def job_bundle() -> dict[str, bytes]:
    """The files of the Processing job's code input: the entry point and the computing modules."""
    package = resources.files("launchpad.monitor")
    files = {f"{JOB_PACKAGE}/{name}": package.joinpath(name).read_bytes() for name in JOB_MODULES}
    files[job.ENTRY_POINT] = ENTRY_SOURCE.encode()
    return files


def write_bundle(location: str, *, kms_key_id: str | None = None, s3: Any = None) -> list[str]:
    """Write the job's code to a folder or s3:// prefix (the schedule's code input)."""
    files = job_bundle()
    for name, body in files.items():
        _write(location, name, body, kms_key_id, s3)
    return list(files)


def history(locations: Iterable[str], s3: Any = None) -> list[dict[str, Any]]:
    """drift.json of each results folder, oldest window first."""
    runs = [read_documents(location, ("drift.json",), s3)["drift.json"] for location in locations]
    return sorted(runs, key=lambda r: r["window"]["end"])


def status(locations: Sequence[str], s3: Any = None) -> dict[str, Any]:
    """The latest run of some results folders, and the drift of each feature over them."""
    runs = history(locations, s3)
    if not runs:
        raise MonitorError("no results folders given")
    latest = runs[-1]
    trend = {
        f["name"]: [
            (g.get("decision") or {}).get("value")
            for r in runs
            for g in r.get("features", [])
            if g["name"] == f["name"]
        ]
        for f in latest.get("features", [])
    }
    return {"latest": latest, "runs": len(runs), "trend": trend}


# -- model quality -------------------------------------------------------------------------------------------
def _capture_inferences(
    location: str, start: datetime, end: datetime, field: str, s3: Any
) -> dict[str, capture.Inference]:
    if location.startswith("s3://"):
        client = _s3(s3)
        bucket, _ = job.split_uri(location)
        files: Iterable[tuple[str, Iterable[bytes | str]]] = job.s3_files(
            client, bucket, job.capture_keys(client, location, start, end)
        )
    else:
        files = capture.iter_local(_local_files([Path(location)]))
    return job.read_inferences(files, field, (), start, end)[0]


def quality(
    capture_location: str,
    records: Iterable[Mapping[str, Any]],
    output: str,
    *,
    start: datetime,
    end: datetime,
    endpoint: str,
    schedule: str,
    problem_type: str = "BinaryClassification",
    threshold: float = 0.5,
    field: str = "probability",
    card_thresholds: Sequence[Mapping[str, Any]] = (),
    cloudwatch: Any = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Model quality of a window: captured predictions joined to feedback labels on the inference id,
    Model Monitor's model-quality statistics.json and violations, and its metrics when ``cloudwatch``
    (the scheduled job's code: launchpad.monitor.outcomes)."""
    checks = outcomes.Checks(problem_type, threshold, field, tuple(card_thresholds))
    inferences = _capture_inferences(capture_location, start, end, field, s3)
    outcome = outcomes.evaluate(inferences, labels.ground_truth(records), checks, ())
    if outcome.status != "ok":
        problem = (
            "no matched records to score"
            if outcome.status == "no-data"
            else (outcome.violations["violations"][0]["description"])
        )
        raise MonitorError(f"model quality of {endpoint}: {problem} ({outcome.join})")
    documents = {f.removeprefix("model_quality/"): d for f, d in outcome.documents().items()}
    write_documents(output, documents, s3=s3)
    if cloudwatch is not None:
        found, _ = outcome.metric_data(drift.dimensions(endpoint, schedule))
        job.put_metrics(cloudwatch, job.NAMESPACES["model"], found)
    return {"results": output, "join": outcome.join, "metrics": outcome.quality_metrics, **outcome.violations}
