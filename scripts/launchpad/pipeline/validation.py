"""The ValidateData step: the new training data checked before anything trains on it, and its drift baseline.

Input: CSV files with a header row (every ``*.csv`` under the data folder, sorted; one header for all),
holding the feature columns and the label column the project declares (``project.json``, written from its
``pipeline.yaml``: :func:`launchpad.pipeline.jobs.project_config`). Other columns (a sensitive attribute the
bias check reads, an id) are allowed and reported.

Fails (:class:`ValidationFailed`, exit 2 in the job) when the data cannot train the model:

- schema: a declared column missing; a numerical feature (Integral, Fractional) with values that are not
  finite numbers; a label that is not 0 or 1, or of one class only; no rows;
- missing values: a feature or the label with a larger share of missing (empty) cells than
  ``max_missing``.

Reported, not failing: drift of the data against the deployed version's baseline (launchpad.monitor.drift,
the drift job's comparison), and Clarify's pre-training bias of the data for the project's facets
(launchpad.monitor.bias), each in ``report.json``. Written beside it: the new data's baseline
(``statistics.json``, ``constraints.json`` and ``checks.json`` as ``launchpad monitor baseline`` writes
them, and ``analysis.json``, the pre-training bias, when the project has facets), the drift baseline of the
model version this data trains.

Standard library, numpy and scipy only, Python 3.9 syntax: this module runs inside a SageMaker Processing job
(AWS's scikit-learn image), with launchpad.monitor's modules beside it.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from launchpad.monitor import bias, capture, drift, outcomes, profile

LOG = logging.getLogger(__name__)
NUMERICAL = ("Integral", "Fractional")
TYPES = (*NUMERICAL, "String")
LABEL_VALUES = ("0", "1")
MAX_SHOWN = 5  # examples of a problem named in a message
REPORT = "report.json"
PRE_TRAINING_FILE = "analysis.json"


class ValidationFailed(ValueError):
    """Training data the model cannot train on; the message says what is wrong and where."""


@dataclass
class Data:
    """The cells of the training CSV files by column (None: an empty cell), and where each row came from."""

    header: list[str]
    columns: dict[str, list[str | None]]
    files: list[str]
    origins: list[tuple[int, int]] = field(default_factory=list)  # (file index, line) per row

    @property
    def rows(self) -> int:
        return len(self.origins)

    def where(self, row: int) -> str:
        index, line = self.origins[row]
        return f"{os.path.basename(self.files[index])} line {line}"


def csv_files(folder: str) -> list[str]:
    """Every ``*.csv`` file under ``folder``, sorted by path."""
    found = sorted(
        os.path.join(top, name)
        for top, _, names in os.walk(folder)
        for name in names
        if name.lower().endswith(".csv")
    )
    if not found:
        raise ValidationFailed(
            f"no CSV file under {folder}: TrainingData must be an S3 prefix of CSV files with a header row"
        )
    return found


def read_csv(paths: Sequence[str]) -> Data:
    """The cells of CSV files that share one header (empty or blank cells are missing values)."""
    header: list[str] = []
    columns: dict[str, list[str | None]] = {}
    origins: list[tuple[int, int]] = []
    for index, path in enumerate(paths):
        name = os.path.basename(path)
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                first = next(reader, None)
                if not first or not any(cell.strip() for cell in first):
                    raise ValidationFailed(f"{name} is empty: every CSV file needs a header row")
                first = [cell.strip() for cell in first]
                if not header:
                    header = first
                    duplicated = sorted({c for c in header if header.count(c) > 1})
                    if duplicated:
                        raise ValidationFailed(f"{name}: the header names {', '.join(duplicated)} twice")
                    columns = {c: [] for c in header}
                elif first != header:
                    raise ValidationFailed(
                        f"{name}'s header differs from {os.path.basename(paths[0])}'s: every file of the "
                        f"training data needs the same columns in the same order"
                    )
                cells = [columns[c] for c in header]
                width = len(header)
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # a blank line
                    if len(row) != len(header):
                        raise ValidationFailed(
                            f"{name} line {reader.line_num} has {len(row)} cells; "
                            f"the header has {len(header)}"
                        )
                    for i in range(width):
                        cells[i].append(row[i] if row[i].strip() else None)
                    origins.append((index, reader.line_num))
        except UnicodeDecodeError:
            raise ValidationFailed(f"{name} is not UTF-8 text") from None
        except csv.Error as exc:
            raise ValidationFailed(f"{name} is not CSV: {exc}") from None
    if not origins:
        raise ValidationFailed(f"the training data ({len(paths)} files) has a header but no rows")
    return Data(header, columns, list(paths), origins)


# -- schema and missing values -------------------------------------------------------------------------------
def features_of(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(f["name"], f["type"]) for f in config["features"]]


def facet_columns(config: Mapping[str, Any]) -> list[str]:
    return [str(f["name_or_index"]) for f in config.get("facets") or []]


def problems(data: Data, config: Mapping[str, Any]) -> list[str]:
    """Why ``data`` cannot train the model (empty: it can): the schema, then the missing values."""
    label, limit = config["label"], float(config["max_missing"])
    declared = [name for name, _ in features_of(config)] + [label]
    absent = [name for name in declared + facet_columns(config) if name not in data.columns]
    found: list[str] = []
    if absent:
        found.append(
            f"the training data has no column {', '.join(absent)} (its header: {', '.join(data.header)}); "
            f"it needs the features {', '.join(declared[:-1])} and the label {label}"
        )
    for name, kind in features_of(config):
        if name in data.columns and kind in NUMERICAL:
            found.extend(_not_numbers(data, name))
    if label in data.columns:
        found.extend(_label_problems(data, label))
    for name in declared:
        if name not in data.columns:
            continue
        missing = sum(1 for v in data.columns[name] if v is None)
        if missing and missing / data.rows > limit:
            found.append(
                f"column {name}: {missing} of {data.rows} values missing ({missing / data.rows:.1%}), above "
                f"the limit of {limit:.1%} (validation.max_missing in pipeline.yaml)"
            )
    return found


def _not_numbers(data: Data, name: str) -> list[str]:
    values = data.columns[name]
    numbers, wrong = profile.numeric_values(values)
    if not wrong:
        return []
    bad = [i for i, v in enumerate(values) if v is not None and not math.isfinite(numbers[i])]
    shown = "; ".join(f"{data.where(i)}: {values[i]!r}" for i in bad[:MAX_SHOWN])
    return [f"column {name} is numerical but {wrong} values are not finite numbers ({shown})"]


def _label_problems(data: Data, label: str) -> list[str]:
    values = data.columns[label]
    bad = [i for i, v in enumerate(values) if v is not None and _label(v) is None]
    if bad:
        shown = "; ".join(f"{data.where(i)}: {values[i]!r}" for i in bad[:MAX_SHOWN])
        return [f"label {label} must be 0 or 1, and {len(bad)} values are not ({shown})"]
    classes = {_label(v) for v in values if v is not None}
    if len(classes) == 1:
        return [f"label {label} is {classes.pop()} in every row: training needs both classes"]
    return []


def _label(value: str) -> int | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number in (0.0, 1.0) else None


def label_number(value: str | None) -> float:
    """A label cell as 0.0 or 1.0, NaN when missing or neither."""
    number = None if value is None else _label(value)
    return math.nan if number is None else float(number)


def check(data: Data, config: Mapping[str, Any]) -> None:
    found = problems(data, config)
    if found:
        raise ValidationFailed("; ".join(found))


# -- drift, bias and the baseline ----------------------------------------------------------------------------
def feature_columns(data: Data, config: Mapping[str, Any]) -> dict[str, list[str | None]]:
    return {name: data.columns[name] for name, _ in features_of(config)}


def drift_report(
    data: Data, statistics: Mapping[str, Any], constraints: Mapping[str, Any], source: str
) -> dict[str, Any]:
    """Drift of the training data against a baseline (the deployed version's): the drift job's comparison."""
    profile.check_baseline(statistics)
    names = tuple(f["name"] for f in statistics["features"])
    absent = [name for name in names if name not in data.columns]
    report: dict[str, Any] = {
        "baseline": source,
        "baseline_model_version": (statistics.get("launchpad") or {}).get("model_version"),
    }
    if absent:
        report.update(
            status="not-compared",
            message=f"the baseline's features {', '.join(absent)} are not columns of the training data",
        )
        return report
    table = capture.Table(names)
    chosen = [data.columns[name] for name in names]
    table.values = [[column[i] for column in chosen] for i in range(data.rows)]
    table.files, table.lines = len(data.files), data.rows
    compared, violations = drift.compare(statistics, constraints, drift.summarize(table, statistics))
    report.update(
        status="ok",
        drifted_features=compared["drifted_features"],
        features=[
            {
                "name": f["name"],
                "kind": f["kind"],
                "rows": f["rows"],
                "missing": f["missing"],
                "decision": f["decision"],
            }
            for f in compared["features"]
        ],
        violations=violations,
    )
    return report


def bias_config(config: Mapping[str, Any], *, pre: bool, post: bool) -> bias.BiasConfig:
    """Clarify's analysis configuration of the project's facets: pre-training metrics on the labels,
    post-training ones on the predicted probabilities (``outcomes.PREDICTION``)."""
    methods = {
        "pre_training_bias": {"methods": "all" if pre else []},
        "post_training_bias": {"methods": "all" if post else []},
    }
    return bias.BiasConfig.from_analysis_config(
        {
            "label": config["label"],
            "label_values_or_threshold": list(config.get("label_values") or [1]),
            "facet": list(config.get("facets") or []),
            "predicted_label": outcomes.PREDICTION if post else None,
            "probability_threshold": float(config.get("probability_threshold", 0.5)) if post else None,
            "methods": methods,
        }
    )


def pre_training_bias(data: Data, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Clarify's analysis.json of the training data for the project's facets (None without facets); an
    error the metrics cannot be computed for is reported in it (``launchpad.error``), not raised."""
    if not config.get("facets"):
        return None
    label = config["label"]
    columns: dict[str, Any] = {label: [_label(v) if v is not None else None for v in data.columns[label]]}
    for name in facet_columns(config):
        columns[name] = data.columns[name]
    try:
        cfg = bias_config(config, pre=True, post=False)
        return bias.analysis(columns, cfg, config.get("bias_thresholds") or {})
    except bias.BiasError as exc:
        LOG.warning("pre-training bias: %s", exc)
        return {"version": "1.0", "launchpad": {"error": str(exc)}}


def baseline_documents(data: Data, config: Mapping[str, Any]) -> dict[str, Any]:
    """statistics.json, constraints.json and checks.json of the training data's features, as
    ``launchpad monitor baseline`` writes them: the drift baseline of the version this data trains."""
    rule = config.get("drift") or {}
    metadata = {
        "model_version": config.get("model_version"),
        "model_package_arn": None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": ", ".join(os.path.basename(f) for f in data.files)[:200],
    }
    types = dict(features_of(config))
    stats = profile.statistics(feature_columns(data, config), types=types, metadata=metadata)
    rules = profile.constraints(stats, statistic=rule.get("statistic"), threshold=rule.get("threshold"))
    checks = config.get("checks") or outcomes.checks_document({}, model_version=config.get("model_version"))
    outcomes.Checks.from_document(checks)
    return {"statistics.json": stats, "constraints.json": rules, outcomes.CHECKS_FILE: checks}


def validate(
    data: Data,
    config: Mapping[str, Any],
    deployed: tuple[Mapping[str, Any], Mapping[str, Any], str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(report.json, the baseline's documents) of training data that passed :func:`check`; ``deployed``
    is the deployed version's (statistics, constraints, where) to compare with."""
    check(data, config)
    declared = {name for name, _ in features_of(config)} | {config["label"]}
    label = config["label"]
    positives = sum(1 for v in data.columns[label] if v is not None and _label(v) == 1)
    labelled = sum(1 for v in data.columns[label] if v is not None)
    report: dict[str, Any] = {
        "version": 1,
        "status": "passed",
        "files": [os.path.basename(f) for f in data.files],
        "rows": data.rows,
        "label": {"name": label, "positive_share": round(positives / labelled, 6) if labelled else None},
        "features": [
            {
                "name": name,
                "type": kind,
                "missing": sum(1 for v in data.columns[name] if v is None),
            }
            for name, kind in features_of(config)
        ],
        "other_columns": [c for c in data.header if c not in declared],
        "max_missing": float(config["max_missing"]),
    }
    documents = baseline_documents(data, config)
    report["drift"] = drift_report(data, *deployed) if deployed is not None else None
    analysis = pre_training_bias(data, config)
    if analysis is not None:
        documents[PRE_TRAINING_FILE] = analysis
        report["bias"] = {
            "error": (analysis.get("launchpad") or {}).get("error"),
            "violations": bias.violations(analysis) if "pre_training_bias_metrics" in analysis else [],
        }
    else:
        report["bias"] = None
    return report, documents
