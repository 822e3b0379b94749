"""Drift of a capture window against the baseline: per feature, the statistics suited to its type and the
sample size, the decision, Model Monitor's violations, and the metrics (docs/monitoring.md).

The window is first *summarized* on the baseline's bins (``summarize``); summaries of several shards add up
(``merge``), and ``compare`` computes everything from one summary. Numerical statistics come from two
histograms on the same edges:

- PSI and Jensen-Shannon distance (natural log, as scipy's ``jensenshannon``) on ten bins of equal baseline
  mass, an empty bin's share taken as 1e-4;
- KS: the largest CDF difference at the edges (exact at every edge; within a bin off by at most the bin's
  share), p-value from scipy's ``kstwo`` with n*m/(n+m) samples as ``ks_2samp(method="asymp")`` does;
- Wasserstein-1: the area between the CDFs, linear within a bin (step-wise for a ``discrete`` feature,
  which is then exact), and exact beyond the baseline's range (the window's out-of-range values are kept
  as sums);
  ``wasserstein_normed`` divides it by the baseline's standard deviation.

Categorical statistics compare category shares over the union of categories (chi-square against the
baseline's shares, smoothed by 1e-4 so an unseen category does not divide by zero; L-infinity as Model Monitor
defines it; the share of unseen categories).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats as scipy_stats
from scipy.spatial import distance

from . import capture
from .capture import Table
from .profile import DEFAULT_DRIFT, NUMERICAL_TYPES, P_VALUES, ProfileError, feature_kind

EPSILON = 1e-4
PSI_BINS = 10
NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"


# -- summaries ---------------------------------------------------------------------------------------------
def _numerical_summary(values: np.ndarray, wrong: int, edges: np.ndarray) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=edges.size + 1)
    under, over = present[present < edges[0]], present[present > edges[-1]]
    return {
        "rows": int(values.size),
        "missing": int(values.size - present.size - wrong),
        "wrong_type": wrong,
        "counts": counts.tolist(),
        "sum": float(present.sum()),
        "sum_squares": float(np.square(present).sum()),
        "min": float(present.min()) if present.size else None,
        "max": float(present.max()) if present.size else None,
        "under": [int(under.size), float(under.sum())],
        "over": [int(over.size), float(over.sum())],
        "negative": int(np.count_nonzero(present < 0)),
    }


def _categorical_summary(values: Sequence[Any]) -> dict[str, Any]:
    try:
        counted = Counter(values)  # in C: a Python loop per value would cost more than parsing the capture
    except TypeError:  # a list or object where a category was expected: counted as its text
        counted = Counter(v if isinstance(v, Hashable) else json.dumps(v, sort_keys=True) for v in values)
    categories: dict[str, int] = {}
    absent = 0
    for value, count in counted.items():
        if capture.missing(value):
            absent += count
            continue
        key = value if isinstance(value, str) else json_text(value)
        categories[key] = categories.get(key, 0) + count
    return {"rows": len(values), "missing": absent, "wrong_type": 0, "categories": categories}


def json_text(value: Any) -> str:
    """A captured non-string value as a category (1 and 1.0 both read "1")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def summarize(table: Table, baseline: Mapping[str, Any]) -> dict[str, Any]:
    """A window's mergeable summary on the baseline's bins (no raw values kept)."""
    features: dict[str, Any] = {}
    for feature in baseline["features"]:
        name = feature["name"]
        if feature_kind(feature) == "numerical":
            values, wrong = table.numeric(name)
            features[name] = _numerical_summary(values, wrong, np.asarray(feature["launchpad"]["edges"]))
        else:
            features[name] = _categorical_summary(table.column(name))
    return {
        "files": table.files,
        "lines": table.lines,
        "rows": table.rows,
        "malformed": table.malformed,
        "malformed_examples": list(table.malformed_examples),
        "short_rows": table.short_rows,
        "long_rows": table.long_rows,
        "unknown_names": sorted(table.unknown_names),
        "features": features,
    }


def _merge_feature(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {k: a[k] + b[k] for k in ("rows", "missing", "wrong_type")}
    if "categories" in a:
        categories = dict(a["categories"])
        for key, count in b["categories"].items():
            categories[key] = categories.get(key, 0) + count
        out["categories"] = categories
        return out
    out["counts"] = (np.asarray(a["counts"]) + np.asarray(b["counts"])).tolist()
    for key in ("sum", "sum_squares", "negative"):
        out[key] = a[key] + b[key]
    lows = [v for v in (a["min"], b["min"]) if v is not None]
    highs = [v for v in (a["max"], b["max"]) if v is not None]
    out["min"], out["max"] = (min(lows) if lows else None), (max(highs) if highs else None)
    out["under"] = [a["under"][0] + b["under"][0], a["under"][1] + b["under"][1]]
    out["over"] = [a["over"][0] + b["over"][0], a["over"][1] + b["over"][1]]
    return out


def merge(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One summary of several shards' summaries of the same window and baseline."""
    if not summaries:
        raise ValueError("no summaries to merge")
    total = dict(summaries[0])
    for other in summaries[1:]:
        for key in ("files", "lines", "rows", "malformed", "short_rows", "long_rows"):
            total[key] = total[key] + other[key]
        total["malformed_examples"] = (total["malformed_examples"] + other["malformed_examples"])[:5]
        total["unknown_names"] = sorted(set(total["unknown_names"]) | set(other["unknown_names"]))
        total["features"] = {
            name: _merge_feature(total["features"][name], other["features"][name])
            for name in total["features"]
        }
    return total


# -- statistics --------------------------------------------------------------------------------------------
def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    shares = counts / total if total else np.zeros(counts.size)
    return np.where(shares > 0, shares, EPSILON)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two count vectors on the same bins."""
    e, a = _shares(expected), _shares(actual)
    return float(np.sum((a - e) * np.log(a / e)))


def _equal_mass_groups(base: np.ndarray, groups: int = PSI_BINS) -> np.ndarray:
    start = np.concatenate([[0.0], np.cumsum(base)[:-1]]) / base.sum()
    return np.minimum((start * groups + 1e-9).astype(int), groups - 1)


def _area(d0: np.ndarray, d1: np.ndarray, width: np.ndarray) -> float:
    """Integral of |d| over bins where d goes linearly from d0 to d1."""
    same = (d0 >= 0) == (d1 >= 0)
    a0, a1 = np.abs(d0), np.abs(d1)
    denominator = np.where(same, 1.0, a0 + a1)
    crossing = np.where(denominator > 0, (d0**2 + d1**2) / (2 * denominator), 0.0)
    return float(np.sum(width * np.where(same, (a0 + a1) / 2, crossing)))


def _ks_p_value(statistic: float, samples: int) -> float:
    """Two-sample KS p-value with n*m/(n+m) effective samples: scipy's exact one-sample distribution up to
    10,000 (as ``ks_2samp(method="asymp")``), Kolmogorov's limit above (where they agree to 1e-4)."""
    if samples <= 10_000:
        return float(scipy_stats.kstwo.sf(statistic, max(samples, 1)))
    return float(scipy_stats.kstwobign.sf(statistic * math.sqrt(samples)))


def numerical_statistics(feature: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The drift statistics of a numerical feature (module docstring)."""
    edges = np.asarray(feature["launchpad"]["edges"], dtype=np.float64)
    base = np.asarray(feature["launchpad"]["counts"], dtype=np.float64)
    cur = np.asarray(current["counts"], dtype=np.float64)
    n_base, n_cur = base.sum(), cur.sum()
    groups = _equal_mass_groups(base)
    base_groups = np.bincount(groups, weights=base, minlength=PSI_BINS)
    cur_groups = np.bincount(groups, weights=cur, minlength=PSI_BINS)
    cdf_base, cdf_cur = np.cumsum(base)[:-1] / n_base, np.cumsum(cur)[:-1] / n_cur  # at each edge
    difference = cdf_cur - cdf_base
    ks = float(np.max(np.abs(difference)))
    effective = round(n_base * n_cur / (n_base + n_cur))
    widths = np.diff(edges)
    if feature["launchpad"].get("discrete"):
        inside = float(np.sum(np.abs(difference[:-1]) * widths))
    else:
        inside = _area(difference[:-1], difference[1:], widths)
    (under_n, under_sum), (over_n, over_sum) = current["under"], current["over"]
    beyond = (under_n * edges[0] - under_sum + over_sum - over_n * edges[-1]) / n_cur
    wasserstein = inside + beyond
    std = float(feature["numerical_statistics"]["std_dev"])
    scale = std if std > 0 else (abs(float(feature["numerical_statistics"]["mean"])) or 1.0)
    return {
        "psi": psi(base_groups, cur_groups),
        "jensen_shannon": float(distance.jensenshannon(_shares(base_groups), _shares(cur_groups))),
        "ks": ks,
        "ks_p_value": _ks_p_value(ks, effective),
        "wasserstein": float(wasserstein),
        "wasserstein_normed": float(wasserstein / scale),
    }


def categorical_statistics(feature: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The drift statistics of a categorical feature (module docstring)."""
    buckets = feature["string_statistics"]["distribution"]["categorical"]["buckets"]
    known = {str(b["value"]): int(b["count"]) for b in buckets}
    seen = current["categories"]
    names = sorted(set(known) | set(seen))
    base = np.asarray([known.get(n, 0) for n in names], dtype=np.float64)
    cur = np.asarray([seen.get(n, 0) for n in names], dtype=np.float64)
    n_cur = cur.sum()
    unseen = sum(count for name, count in seen.items() if name not in known)
    expected = _shares(base)
    expected = expected / expected.sum() * n_cur
    chi_square, p_value = scipy_stats.chisquare(cur, expected) if names else (0.0, 1.0)
    return {
        "psi": psi(base, cur),
        "jensen_shannon": float(distance.jensenshannon(_shares(base), _shares(cur))),
        "chi_square": float(chi_square),
        "chi_square_p_value": float(p_value),
        "l_infinity": float(np.max(np.abs(base / base.sum() - cur / n_cur))),
        "unseen_share": float(unseen / n_cur),
    }


def decide(kind: str, statistics: Mapping[str, Any], rows: int, drift: Mapping[str, Any]) -> dict[str, Any]:
    """The statistic that judges this feature at this sample size, and whether it drifted."""
    size = "small" if rows < int(drift.get("sample_size_cutoff", 1000)) else "large"
    rule = drift[kind][size]
    value = statistics[rule["statistic"]]
    threshold = float(rule["threshold"])
    drifted = value < threshold if rule["statistic"] in P_VALUES else value >= threshold
    return {"statistic": rule["statistic"], "value": value, "threshold": threshold, "drifted": bool(drifted)}


# -- the comparison ----------------------------------------------------------------------------------------
def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _feature_checks(
    name: str, constraint: Mapping[str, Any], current: Mapping[str, Any], cfg: Mapping[str, Any]
) -> Iterator[dict[str, str]]:
    present = current["rows"] - current["missing"] - current["wrong_type"]
    if current["rows"] and present == 0 and current["missing"] == current["rows"]:
        yield _violation(name, "missing_column_check", f"feature {name} has no value in any captured row")
        return
    completeness = (current["rows"] - current["missing"]) / current["rows"] if current["rows"] else 1.0
    if completeness < float(constraint.get("completeness", 0.0)):
        yield _violation(
            name,
            "completeness_check",
            f"Data completeness {completeness:.4f} is below the baseline's {constraint['completeness']}",
        )
    typed = 1 - current["wrong_type"] / max(current["rows"] - current["missing"], 1)
    if typed < float(cfg.get("datatype_check_threshold", 1.0)):
        yield _violation(
            name,
            "data_type_check",
            f"{current['wrong_type']} values are not of the baseline's type {constraint['inferred_type']}",
        )
    if constraint.get("num_constraints", {}).get("is_non_negative") and current.get("negative"):
        yield _violation(
            name,
            "data_type_check",
            f"{current['negative']} negative values; the baseline has none (num_constraints.is_non_negative)",
        )
    domains = constraint.get("string_constraints", {}).get("domains")
    if domains is not None and present:
        unknown = sum(c for v, c in current["categories"].items() if v not in set(domains))
        if 1 - unknown / present < float(cfg.get("domain_content_threshold", 1.0)):
            yield _violation(
                name,
                "categorical_values_check",
                f"{unknown} of {present} values are categories the baseline never saw",
            )


def compare(
    baseline: Mapping[str, Any], constraints: Mapping[str, Any], summary: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(the run's features for drift.json, Model Monitor's violations) of a window's summary."""
    drift_config = constraints.get("launchpad", {}).get("drift") or DEFAULT_DRIFT
    by_name = {c["name"]: c for c in constraints.get("features", [])}
    cfg = constraints.get("monitoring_config", {})
    violations: list[dict[str, str]] = []
    if summary["malformed"]:
        where = "; ".join(summary["malformed_examples"])
        violations.append(
            _violation(
                "", "capture_format_check", f"{summary['malformed']} capture lines unreadable ({where})"
            )
        )
    if summary["short_rows"]:
        violations.append(
            _violation(
                "", "missing_column_check", f"{summary['short_rows']} rows have fewer values than features"
            )
        )
    if summary["long_rows"] or summary["unknown_names"]:
        names = ", ".join(summary["unknown_names"][:10])
        detail = f"{summary['long_rows']} rows have more values than features" if summary["long_rows"] else ""
        extra = f"fields no baseline feature has: {names}" if names else ""
        violations.append(_violation("", "extra_column_check", "; ".join(p for p in (detail, extra) if p)))
    features = []
    for feature in baseline["features"]:
        name, kind = feature["name"], feature_kind(feature)
        current = summary["features"][name]
        if feature["inferred_type"] not in (*NUMERICAL_TYPES, "String"):
            raise ProfileError(f"baseline feature {name!r} has type {feature['inferred_type']!r}")
        checks = list(
            _feature_checks(
                name, by_name.get(name, {"inferred_type": feature["inferred_type"]}), current, cfg
            )
        )
        violations.extend(checks)
        entry: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "rows": current["rows"],
            "missing": current["missing"],
            "current": {"categories": current["categories"]}
            if kind == "categorical"
            else {"counts": current["counts"]},
        }
        present = current["rows"] - current["missing"] - current["wrong_type"]
        if present == 0:
            entry["statistics"], entry["decision"] = {}, None
            features.append(entry)
            continue
        computed = (
            categorical_statistics(feature, current)
            if kind == "categorical"
            else numerical_statistics(feature, current)
        )
        entry["statistics"] = computed
        entry["decision"] = decide(kind, computed, present, drift_config)
        if entry["decision"]["drifted"]:
            d = entry["decision"]
            violations.append(
                _violation(
                    name,
                    "baseline_drift_check",
                    f"Baseline drift {d['statistic']} {d['value']:.4g} "
                    f"{'is below' if d['statistic'] in P_VALUES else 'reaches'} "
                    f"the threshold {d['threshold']:g}",
                )
            )
        features.append(entry)
    return {
        "features": features,
        "drifted_features": sum(1 for f in features if (f["decision"] or {}).get("drifted")),
    }, violations


def dimensions(endpoint: str, schedule: str) -> list[dict[str, str]]:
    """Model Monitor's metric dimensions (its data, model quality and bias metrics alike)."""
    return [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]


def metric_data(run: Mapping[str, Any], endpoint: str, schedule: str) -> list[dict[str, Any]]:
    """PutMetricData entries of a run, under Model Monitor's namespace, metric names and dimensions."""
    data: list[dict[str, Any]] = [
        {"MetricName": "records_read", "Value": float(run["records"]["rows"]), "Unit": "Count"},
        {"MetricName": "malformed_records", "Value": float(run["records"]["malformed"]), "Unit": "Count"},
    ]
    if run.get("status") == "ok":
        data.append(
            {"MetricName": "drifted_features", "Value": float(run["drifted_features"]), "Unit": "Count"}
        )
    for feature in run.get("features", []):
        if feature.get("decision"):
            value = feature["decision"]["value"]
            data.append({"MetricName": f"feature_baseline_drift_{feature['name']}", "Value": float(value)})
        if feature["rows"]:
            share = (feature["rows"] - feature["missing"]) / feature["rows"]
            data.append({"MetricName": f"feature_non_null_{feature['name']}", "Value": share})
    for entry in data:
        entry["Dimensions"] = dimensions(endpoint, schedule)
    return [e for e in data if math.isfinite(float(e["Value"]))]
