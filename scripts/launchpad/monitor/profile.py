"""Per-feature profiles: a baseline's ``statistics.json`` and ``constraints.json`` (Model Monitor's forms),
and a window's summary on the baseline's bins (docs/monitoring.md).

A numerical feature is profiled as moments, Model Monitor's ten KLL-style buckets, and launchpad's fine
histogram: ``edges`` are the baseline's quantiles at k/bins (``inverted_cdf``, so each edge is a value the
data holds), or every distinct value when there are at most ``bins`` of them (``discrete``: the histogram is
then exact). ``counts[i]`` counts ``edges[i-1] < v <= edges[i]``; ``counts[0]`` counts ``v <= edges[0]``
and the last ``v > edges[-1]``. A categorical feature is its category counts. No raw record is kept.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from . import baselines

BINS = 200
KLL_BUCKETS = 10
# The sketch parameters Model Monitor writes; launchpad's sketch data are exact quantiles, not a KLL sketch.
KLL_PARAMETERS = {"c": 0.64, "k": 2048.0}
NUMERICAL_TYPES = ("Integral", "Fractional")

# How drift is decided when the baseline does not say otherwise: a test's p-value on small windows, where a
# distance is noisy, and a distance on large ones, where every test finds a difference too small to matter.
DEFAULT_DRIFT: dict[str, Any] = {
    "sample_size_cutoff": 1000,
    "numerical": {
        "small": {"statistic": "ks_p_value", "threshold": 0.05},
        "large": {"statistic": "wasserstein_normed", "threshold": 0.1},
    },
    "categorical": {
        "small": {"statistic": "chi_square_p_value", "threshold": 0.05},
        "large": {"statistic": "jensen_shannon", "threshold": 0.1},
    },
}
# p-values drift when *below* their threshold; every other statistic when at or above it.
P_VALUES = ("ks_p_value", "chi_square_p_value")
STATISTICS = {
    "numerical": ("psi", "jensen_shannon", "ks", "ks_p_value", "wasserstein", "wasserstein_normed"),
    "categorical": ("psi", "jensen_shannon", "chi_square", "chi_square_p_value", "l_infinity"),
}


class ProfileError(ValueError):
    """Training data or a baseline launchpad cannot profile or read; the message says what to change."""


def numeric_values(values: Iterable[Any]) -> tuple[np.ndarray, int]:
    """Floats (NaN for a missing value: None, or a blank string) and how many present values were not
    numbers (text, a bool, NaN or an infinity). Baselines and capture windows both count with it."""
    values = values if isinstance(values, list) else list(values)
    if bool not in set(map(type, values)):  # the common case, in numpy: numbers and numeric strings
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):  # text, or a blank string: judged one value at a time below
            array = None
        if array is not None and array.ndim == 1:  # (equal-length lists would make a matrix)
            finite = np.isfinite(array)
            wrong = int(np.count_nonzero(~finite)) - values.count(None)  # None is missing, NaN is not
            return np.where(finite, array, np.nan), wrong
    out: list[float] = []
    wrong = 0
    for value in values:
        if value is None or (isinstance(value, str) and value.strip() == ""):
            out.append(math.nan)
        elif isinstance(value, bool):
            out.append(math.nan)
            wrong += 1
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                out.append(math.nan)
                wrong += 1
                continue
            out.append(number if math.isfinite(number) else math.nan)
            wrong += 0 if math.isfinite(number) else 1
    return np.asarray(out, dtype=np.float64), wrong


def infer_type(values: Sequence[Any]) -> str:
    """Model Monitor's ``inferred_type``: Integral, Fractional or String (what most present values are)."""
    present = [v for v in values if v is not None and not (isinstance(v, str) and v.strip() == "")]
    if not present:
        return "Fractional"
    numbers, wrong = numeric_values(present)
    if wrong > len(present) / 2:
        return "String"
    finite = numbers[np.isfinite(numbers)]
    return "Integral" if finite.size and bool(np.all(finite == np.round(finite))) else "Fractional"


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of the present ``values`` on ``edges`` (module docstring), len(edges) + 1 of them."""
    present = values[~np.isnan(values)]
    return np.bincount(np.searchsorted(edges, present, side="left"), minlength=edges.size + 1)


def _edges(present: np.ndarray, bins: int) -> tuple[np.ndarray, bool]:
    distinct = np.unique(present)
    if distinct.size <= bins:
        return distinct, True
    quantiles = np.quantile(present, np.linspace(0.0, 1.0, bins + 1), method="inverted_cdf")
    return np.unique(quantiles), False


def _kll(present: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    low, high = float(present.min()), float(present.max())
    bounds = np.linspace(low, high, KLL_BUCKETS + 1)
    counts, _ = np.histogram(present, bins=bounds) if high > low else (np.array([present.size]), None)
    buckets = [
        {
            "lower_bound": float(bounds[i]),
            "upper_bound": float(bounds[i + 1] if high > low else high),
            "count": int(c),
        }
        for i, c in enumerate(counts)
    ]
    return {"buckets": buckets, "sketch": {"parameters": dict(KLL_PARAMETERS), "data": [edges.tolist()]}}


def numerical_feature(name: str, values: np.ndarray, inferred_type: str, bins: int = BINS) -> dict[str, Any]:
    """The statistics.json entry of a numerical feature (NaN = missing)."""
    present = values[~np.isnan(values)]
    common = {"num_present": int(present.size), "num_missing": int(values.size - present.size)}
    if not present.size:
        raise ProfileError(f"feature {name!r} has no values in the training data: a baseline needs some")
    edges, discrete = _edges(present, bins)
    stats = {
        "common": common,
        "mean": float(present.mean()),
        "sum": float(present.sum()),
        "std_dev": float(present.std()),
        "min": float(present.min()),
        "max": float(present.max()),
        "distribution": {"kll": _kll(present, edges)},
    }
    extra = {"edges": edges.tolist(), "counts": histogram(present, edges).tolist(), "discrete": discrete}
    return {"name": name, "inferred_type": inferred_type, "numerical_statistics": stats, "launchpad": extra}


def categorical_feature(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The statistics.json entry of a categorical (String) feature."""
    present = [str(v) for v in values if v is not None and str(v) != ""]
    if not present:
        raise ProfileError(f"feature {name!r} has no values in the training data: a baseline needs some")
    counts = Counter(present)
    buckets = [{"value": value, "count": count} for value, count in sorted(counts.items())]
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": len(present), "num_missing": len(values) - len(present)},
            "distinct_count": len(counts),
            "distribution": {"categorical": {"buckets": buckets}},
        },
    }


def statistics(
    columns: Mapping[str, Sequence[Any]],
    *,
    bins: int = BINS,
    types: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The baseline ``statistics.json`` of training data given as columns (name -> values, None = missing).

    ``types`` forces a feature's ``inferred_type`` (e.g. a numeric code that is really a category: String).
    """
    if not columns:
        raise ProfileError("no features: give the training data's feature columns")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ProfileError(
            f"the feature columns differ in length ({sorted(lengths)}): give one row per record"
        )
    if not 2 <= bins <= 10_000:
        raise ProfileError(f"bins is {bins}; use 2 to 10000")
    features = []
    for name, values in columns.items():
        kind = (types or {}).get(name) or infer_type(values)
        if kind not in (*NUMERICAL_TYPES, "String"):
            raise ProfileError(f"feature {name!r}: type {kind!r} is not one of Integral, Fractional, String")
        if kind == "String":
            features.append(categorical_feature(name, values))
        else:
            numbers, _ = numeric_values(values)
            features.append(numerical_feature(name, numbers, kind, bins))
    meta = {"bins": bins, **dict(metadata or {})}
    return {"version": 0.0, "dataset": {"item_count": lengths.pop()}, "launchpad": meta, "features": features}


def constraints(
    stats: Mapping[str, Any],
    *,
    statistic: str | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The baseline ``constraints.json``: Model Monitor's checks, and launchpad's drift decision.

    With ``statistic`` (and ``threshold``) every feature is judged by that statistic at any sample size, e.g.
    a model card's "PSI above 0.2"; without, by DEFAULT_DRIFT.
    """
    drift = dict(DEFAULT_DRIFT)
    if statistic is not None:
        kinds = [k for k, names in STATISTICS.items() if statistic in names]
        if not kinds:
            known = sorted({s for names in STATISTICS.values() for s in names})
            raise ProfileError(f"unknown drift statistic {statistic!r}; use one of {', '.join(known)}")
        if threshold is None or not math.isfinite(threshold) or threshold < 0:
            raise ProfileError(f"statistic {statistic} needs a threshold >= 0")
        rule = {"statistic": statistic, "threshold": float(threshold)}
        for kind in kinds:
            drift[kind] = {"small": rule, "large": rule}
    features = []
    for feature in stats["features"]:
        kind = feature["inferred_type"]
        section = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        common = section.get("common", {})
        total = common.get("num_present", 0) + common.get("num_missing", 0)
        entry: dict[str, Any] = {
            "name": feature["name"],
            "inferred_type": kind,
            "completeness": round(common.get("num_present", 0) / total, 6) if total else 0.0,
        }
        if kind in NUMERICAL_TYPES:
            entry["num_constraints"] = {"is_non_negative": bool(section.get("min", -1) >= 0)}
        else:
            buckets = section["distribution"]["categorical"]["buckets"]
            entry["string_constraints"] = {"domains": [b["value"] for b in buckets]}
        features.append(entry)
    return {
        "version": 0.0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {"perform_comparison": "Enabled"},
        },
        "launchpad": {"drift": drift},
    }


def feature_kind(feature: Mapping[str, Any]) -> str:
    """numerical or categorical, from a statistics.json feature."""
    return "categorical" if feature.get("inferred_type") == "String" else "numerical"


def check_baseline(stats: Mapping[str, Any]) -> None:
    """Refuse a statistics.json launchpad did not write (it needs the fine histograms):
    :func:`launchpad.monitor.baselines.statistics_problem`, the deploy's check too."""
    problem = baselines.statistics_problem(stats)
    if problem is not None:
        raise ProfileError(f"the baseline statistics.json: {problem}")
