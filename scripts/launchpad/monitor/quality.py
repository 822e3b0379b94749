"""Model quality: predictions joined to ground truth, scored in Model Monitor's ``statistics.json`` form, and
checked against thresholds into Model Monitor's ``constraint_violations.json`` entries (docs/monitoring.md).

Ground truth and predictions meet on the inference id (:func:`join`); a label without a prediction and a
prediction without a label are counted and named, never silently dropped. Metrics follow Model Monitor's
model quality metric names (``binary_classification_metrics`` / ``regression_metrics``, each
``{"value", "standard_deviation"}``), with the definitions scikit-learn uses, so a team can check one against
the other. Standard deviations are bootstrap estimates (rows resampled with replacement, a seeded numpy
Generator) rather than Model Monitor's five 80 % subsamples. A metric that is undefined on the data (AUC with
one class, precision with no predicted positive) is left out of the metrics and listed with its reason under
``launchpad.not_computable``: never NaN, never a crash.

Standard library, numpy and scipy only, Python 3.9 syntax: this module runs inside a SageMaker Processing job.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import numpy as np
from scipy import stats

log = logging.getLogger(__name__)

BINARY = "BinaryClassification"
REGRESSION = "Regression"
PROBLEM_TYPES = (BINARY, REGRESSION)
DEFAULT_RESAMPLES = 200
# scikit-learn's historical log_loss clip: a score of exactly 0 or 1 costs -log(1e-15), not infinity.
LOG_LOSS_EPS = 1e-15
# How many unmatched ids statistics.json names (all of them are on the Joined record).
EXAMPLE_IDS = 10
HIGHER = "higher_is_better"
LOWER = "lower_is_better"

Value = Union[float, int, str]
ArrayLike = Union[Sequence[float], np.ndarray]


class QualityError(ValueError):
    """Predictions or ground truth launchpad cannot score; the message says what to change."""


class NoMatchedRecords(QualityError):
    """No inference id has both a prediction and a label."""


class NonNumericValue(QualityError):
    """A prediction or label that is not a number (or, for a binary label, not 0 or 1)."""


class NotComputable(QualityError):
    """A metric undefined on these data (e.g. AUC with one class); ``str(error)`` is the reason."""


@dataclass(frozen=True, eq=False)
class Joined:
    """Predictions and labels matched on inference id, in id order, and what did not match."""

    ids: tuple[str, ...]
    predictions: np.ndarray
    labels: np.ndarray
    predictions_without_label: tuple[str, ...] = ()
    labels_without_prediction: tuple[str, ...] = ()

    @property
    def matched(self) -> int:
        return len(self.ids)

    def counts(self) -> dict[str, Any]:
        """The join's counts and a few unmatched ids, for statistics.json's ``launchpad`` key."""
        return {
            "matched": self.matched,
            "predictions_without_label": len(self.predictions_without_label),
            "labels_without_prediction": len(self.labels_without_prediction),
            "example_predictions_without_label": list(self.predictions_without_label[:EXAMPLE_IDS]),
            "example_labels_without_prediction": list(self.labels_without_prediction[:EXAMPLE_IDS]),
        }


@dataclass
class Computed:
    """Point values of the metrics that are defined, and the reason each undefined one is not."""

    values: dict[str, float] = field(default_factory=dict)
    not_computable: dict[str, str] = field(default_factory=dict)
    confusion_matrix: dict[str, dict[str, int]] | None = None


# ---------------------------------------------------------------------------------------------------- join


def _number(value: Any, what: str, inference_id: str) -> float:
    """``value`` as a float; a message names the inference id and the value's type, never the value (a label
    or a prediction may be personal data)."""
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NonNumericValue(
            f"the {what} of inference id {inference_id!r} is {type(value).__name__}, not a number"
        ) from None
    if not math.isfinite(number):
        raise NonNumericValue(f"the {what} of inference id {inference_id!r} is not a finite number")
    return number


def join(predictions: Mapping[str, Value], labels: Mapping[str, Value]) -> Joined:
    """Match ``predictions`` (inference id -> score or value) to ``labels`` (inference id -> ground truth).

    Both sides are converted to float (a numeric string is fine); anything else raises
    :class:`NonNumericValue` naming the inference id. Unmatched ids on either side are kept on the result
    and logged; no matched id at all raises :class:`NoMatchedRecords`.
    """
    matched = sorted(set(predictions) & set(labels))
    without_label = tuple(sorted(set(predictions) - set(labels)))
    without_prediction = tuple(sorted(set(labels) - set(predictions)))
    if without_prediction:
        log.warning(
            "%d labels have no prediction (e.g. %s)", len(without_prediction), list(without_prediction[:3])
        )
    if without_label:
        log.info("%d predictions have no label yet", len(without_label))
    if not matched:
        raise NoMatchedRecords(
            f"no inference id has both a prediction and a label ({len(predictions)} predictions, "
            f"{len(labels)} labels): check that ground truth carries the captured requests' inference ids"
        )
    scores = np.array([_number(predictions[i], "prediction", i) for i in matched], dtype=np.float64)
    truth = np.array([_number(labels[i], "label", i) for i in matched], dtype=np.float64)
    return Joined(tuple(matched), scores, truth, without_label, without_prediction)


# --------------------------------------------------------------------------------- binary classification


def _binary_inputs(scores: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if s.shape != y.shape or s.ndim != 1:
        raise QualityError(f"scores and labels must be 1-D and of one length, not {s.shape} and {y.shape}")
    if s.size == 0:
        raise NoMatchedRecords("no records to score")
    if not np.all(np.isfinite(s)):
        raise NonNumericValue("a score is NaN or infinite")
    wrong = y[(y != 0) & (y != 1)]
    if wrong.size:
        raise NonNumericValue(
            f"binary classification labels must be 0 or 1; {wrong.size} are not (e.g. {float(wrong[0]):g})"
        )
    return s, y.astype(bool)


def _ratio(numerator: float, denominator: float, name: str, why: str) -> float:
    if denominator == 0:
        raise NotComputable(f"{name} is undefined: {why}")
    return float(numerator) / float(denominator)


@dataclass(frozen=True)
class Confusion:
    """Counts of a binary confusion matrix (positive = label 1)."""

    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, predicted: np.ndarray, actual: np.ndarray) -> Confusion:
        return cls(
            tp=int(np.sum(predicted & actual)),
            fp=int(np.sum(predicted & ~actual)),
            fn=int(np.sum(~predicted & actual)),
            tn=int(np.sum(~predicted & ~actual)),
        )

    def as_model_monitor(self) -> dict[str, dict[str, int]]:
        """Model Monitor's ``confusion_matrix``: outer key the actual label, inner key the predicted one."""
        return {"0": {"0": self.tn, "1": self.fp}, "1": {"0": self.fn, "1": self.tp}}


def accuracy(c: Confusion) -> float:
    """(TP + TN) / n, as sklearn.metrics.accuracy_score."""
    return _ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn, "accuracy", "no records")


def precision(c: Confusion) -> float:
    """TP / (TP + FP), as sklearn.metrics.precision_score (undefined, not 0, when nothing is predicted 1)."""
    return _ratio(c.tp, c.tp + c.fp, "precision", "no record is predicted positive")


def recall(c: Confusion) -> float:
    """TP / (TP + FN), the true positive rate, as sklearn.metrics.recall_score."""
    return _ratio(c.tp, c.tp + c.fn, "recall", "no record has label 1")


def specificity(c: Confusion) -> float:
    """TN / (TN + FP), the true negative rate."""
    return _ratio(c.tn, c.tn + c.fp, "true_negative_rate", "no record has label 0")


def f_beta(c: Confusion, beta: float) -> float:
    """(1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP), as sklearn.metrics.fbeta_score."""
    b2 = beta * beta
    name = "f1" if beta == 1 else f"f{beta:g}".replace(".", "_")
    return _ratio(
        (1 + b2) * c.tp, (1 + b2) * c.tp + b2 * c.fn + c.fp, name, "no positive label or prediction"
    )


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve from ranks (the Mann-Whitney U statistic / (n1 n0)): tied scores count half,
    as sklearn.metrics.roc_auc_score. Raises :class:`NotComputable` when the labels hold one class."""
    s, y = _binary_inputs(scores, labels)
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        only = 1 if n1 else 0
        raise NotComputable(
            f"auc is undefined: every one of the {y.size} labels is {only} (AUC needs both classes)"
        )
    ranks = stats.rankdata(s)  # average ranks: a tie between a positive and a negative counts 1/2
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def brier_score(scores: ArrayLike, labels: ArrayLike) -> float:
    """Mean squared difference of probability and 0/1 label, as sklearn.metrics.brier_score_loss."""
    s, y = _probabilities(scores, labels, "brier_score")
    return float(np.mean((s - y) ** 2))


def log_loss(scores: ArrayLike, labels: ArrayLike) -> float:
    """Mean negative log-likelihood of the labels, natural log, probabilities clipped to [1e-15, 1 - 1e-15],
    as sklearn.metrics.log_loss (its pre-1.5 clip)."""
    s, y = _probabilities(scores, labels, "log_loss")
    p = np.clip(s, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _probabilities(scores: ArrayLike, labels: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    s, y = _binary_inputs(scores, labels)
    if s.min() < 0 or s.max() > 1:
        raise NotComputable(
            f"{name} is undefined: scores are not probabilities (range {s.min():g} to {s.max():g})"
        )
    return s, y.astype(np.float64)


def _binary_point(s: np.ndarray, y: np.ndarray, threshold: float) -> Computed:
    predicted = s >= threshold
    c = Confusion.of(predicted, y)
    out = Computed(confusion_matrix=c.as_model_monitor())
    metrics: dict[str, Callable[[], float]] = {
        "accuracy": lambda: accuracy(c),
        "precision": lambda: precision(c),
        "recall": lambda: recall(c),
        "f0_5": lambda: f_beta(c, 0.5),
        "f1": lambda: f_beta(c, 1.0),
        "f2": lambda: f_beta(c, 2.0),
        "auc": lambda: roc_auc(s, y),
        "true_positive_rate": lambda: recall(c),
        "true_negative_rate": lambda: specificity(c),
        "false_positive_rate": lambda: 1.0 - specificity(c),
        "false_negative_rate": lambda: 1.0 - recall(c),
        "brier_score": lambda: brier_score(s, y),
        "log_loss": lambda: log_loss(s, y),
    }
    _fill(out, metrics)
    return out


def binary_classification(scores: ArrayLike, labels: ArrayLike, threshold: float = 0.5) -> Computed:
    """Every binary classification metric of 0/1 ``labels`` against probability ``scores``; a record is
    predicted positive when its score is >= ``threshold`` (Model Monitor's probability threshold)."""
    s, y = _binary_inputs(scores, labels)
    return _binary_point(s, y, threshold)


# ------------------------------------------------------------------------------------------- regression


def _regression_inputs(predictions: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if p.shape != y.shape or p.ndim != 1:
        raise QualityError(
            f"predictions and labels must be 1-D and of one length, not {p.shape} and {y.shape}"
        )
    if p.size == 0:
        raise NoMatchedRecords("no records to score")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(y))):
        raise NonNumericValue("a prediction or label is NaN or infinite")
    return p, y


def r2(predictions: ArrayLike, labels: ArrayLike) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot, as sklearn.metrics.r2_score; undefined (not
    sklearn's forced 0 or 1) when every label is the same."""
    p, y = _regression_inputs(predictions, labels)
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0:
        raise NotComputable(f"r2 is undefined: every one of the {y.size} labels is {y[0]:g} (no variance)")
    return 1.0 - float(np.sum((y - p) ** 2)) / total


def mape(predictions: ArrayLike, labels: ArrayLike) -> float:
    """Mean of |y - p| / |y| as a fraction (sklearn.metrics.mean_absolute_percentage_error's scale); undefined
    when a label is 0 (sklearn divides by machine epsilon there instead)."""
    p, y = _regression_inputs(predictions, labels)
    zeros = int(np.sum(y == 0))
    if zeros:
        raise NotComputable(f"mape is undefined: {zeros} of the {y.size} labels are 0")
    return float(np.mean(np.abs(y - p) / np.abs(y)))


def _regression_point(p: np.ndarray, y: np.ndarray) -> Computed:
    out = Computed()
    error = y - p
    mse = float(np.mean(error**2))
    metrics: dict[str, Callable[[], float]] = {
        "mae": lambda: float(np.mean(np.abs(error))),
        "mse": lambda: mse,
        "rmse": lambda: math.sqrt(mse),
        "r2": lambda: r2(p, y),
        "mape": lambda: mape(p, y),
    }
    _fill(out, metrics)
    return out


def regression(predictions: ArrayLike, labels: ArrayLike) -> Computed:
    """Model Monitor's regression metrics (mae, mse, rmse, r2) and mape, as scikit-learn defines them."""
    p, y = _regression_inputs(predictions, labels)
    return _regression_point(p, y)


def _fill(out: Computed, metrics: Mapping[str, Callable[[], float]]) -> None:
    for name, compute in metrics.items():
        try:
            out.values[name] = compute()
        except NotComputable as undefined:
            out.not_computable[name] = str(undefined)


# ------------------------------------------------------------------------------- bootstrap and statistics


def bootstrap_std(
    point: Callable[[np.ndarray, np.ndarray], Computed],
    first: np.ndarray,
    second: np.ndarray,
    resamples: int,
    seed: int,
) -> dict[str, float | None]:
    """Standard deviation (ddof=1) of each metric over ``resamples`` bootstrap resamples of the rows, drawn by
    ``numpy.random.default_rng(seed)``; None for a metric defined in fewer than two resamples."""
    if resamples < 2:
        raise QualityError(f"resamples must be at least 2 for a standard deviation, not {resamples}")
    rng = np.random.default_rng(seed)
    n = first.size
    draws: dict[str, list[float]] = {}
    for _ in range(resamples):
        rows = rng.integers(0, n, size=n)
        for name, value in point(first[rows], second[rows]).values.items():
            draws.setdefault(name, []).append(value)
    return {
        name: (float(np.std(values, ddof=1)) if len(values) >= 2 else None) for name, values in draws.items()
    }


def _evaluation_time(when: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() if when is None else when))


def statistics(
    joined: Joined,
    problem_type: str = BINARY,
    threshold: float = 0.5,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    evaluation_time: float | None = None,
) -> dict[str, Any]:
    """Model Monitor's model quality ``statistics.json`` for ``joined`` records.

    ``problem_type`` is ``BinaryClassification`` (probability scores, 0/1 labels, positive when score >=
    ``threshold``) or ``Regression``. ``evaluation_time`` is a Unix time (default now). Each metric is
    ``{"value", "standard_deviation"}``; launchpad's additions (the join's counts, the threshold, the
    bootstrap settings and each metric that could not be computed, with why) are under the ``launchpad`` key.
    """
    if problem_type not in PROBLEM_TYPES:
        raise QualityError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, not {problem_type!r}")
    if joined.matched == 0:
        raise NoMatchedRecords("no matched records to score")
    point: Callable[[np.ndarray, np.ndarray], Computed]
    if problem_type == BINARY:
        s, y = _binary_inputs(joined.predictions, joined.labels)

        def point(a: np.ndarray, b: np.ndarray) -> Computed:
            return _binary_point(a, b, threshold)

        first, second, section = s, y, "binary_classification_metrics"
    else:
        first, second = _regression_inputs(joined.predictions, joined.labels)
        point, section = _regression_point, "regression_metrics"
    computed = point(first, second)
    spread = bootstrap_std(point, first, second, resamples, seed)
    metrics: dict[str, Any] = {}
    if computed.confusion_matrix is not None:
        metrics["confusion_matrix"] = computed.confusion_matrix
    for name, value in computed.values.items():
        metrics[name] = {"value": value, "standard_deviation": spread.get(name)}
    for reason in computed.not_computable.values():
        log.warning("%s", reason)
    launchpad: dict[str, Any] = {
        "join": joined.counts(),
        "bootstrap": {"resamples": resamples, "seed": seed},
        "not_computable": dict(computed.not_computable),
    }
    if problem_type == BINARY:
        launchpad["threshold"] = threshold
    return {
        "version": 0.0,
        "dataset": {"item_count": joined.matched, "evaluation_time": _evaluation_time(evaluation_time)},
        section: metrics,
        "launchpad": launchpad,
    }


# -------------------------------------------------------------------------------------------- constraints


def thresholds_from_card(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model card's ``evaluation.metrics`` entries that have a threshold, as ``{name, threshold,
    direction}`` (docs/model-card.md); a threshold without a direction raises :class:`QualityError`."""
    entries = (card.get("evaluation") or {}).get("metrics") or []
    out: list[dict[str, Any]] = []
    for entry in entries:
        if entry.get("threshold") is None:
            continue
        direction = entry.get("direction")
        if direction not in (HIGHER, LOWER):
            raise QualityError(
                f"model card metric {entry.get('name')!r} has a threshold but direction {direction!r}; "
                f"write {HIGHER} or {LOWER}"
            )
        out.append({"name": entry["name"], "threshold": float(entry["threshold"]), "direction": direction})
    return out


def _metrics_section(statistics_json: Mapping[str, Any]) -> Mapping[str, Any]:
    for section in ("binary_classification_metrics", "regression_metrics"):
        if section in statistics_json:
            return statistics_json[section]
    raise QualityError("statistics have neither binary_classification_metrics nor regression_metrics")


def _format(value: float) -> str:
    return f"{value:.6g}"


def check_constraints(
    statistics_json: Mapping[str, Any], thresholds: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """Model Monitor's ``constraint_violations.json`` for ``statistics_json`` against ``thresholds``
    (``{name, threshold, direction}``, e.g. from :func:`thresholds_from_card`).

    ``higher_is_better`` is violated when the value is below the threshold (``LessThanThreshold``),
    ``lower_is_better`` when above it (``GreaterThanThreshold``). A threshold on a metric the statistics do
    not hold (not computable, or not a metric launchpad computes) is not a violation: it is listed under
    ``launchpad.not_checked`` with the reason.
    """
    section = _metrics_section(statistics_json)
    reasons = (statistics_json.get("launchpad") or {}).get("not_computable") or {}
    violations: list[dict[str, str]] = []
    not_checked: list[dict[str, str]] = []
    for entry in thresholds:
        name, limit, direction = entry["name"], float(entry["threshold"]), entry.get("direction")
        if direction not in (HIGHER, LOWER):
            raise QualityError(
                f"threshold on {name!r}: direction must be {HIGHER} or {LOWER}, not {direction!r}"
            )
        metric = section.get(name)
        if not isinstance(metric, Mapping) or metric.get("value") is None:
            reason = reasons.get(name, f"{name} is not a metric of these statistics")
            not_checked.append({"metric_name": name, "reason": reason})
            log.warning("threshold on %s not checked: %s", name, reason)
            continue
        value = float(metric["value"])
        check = "LessThanThreshold" if direction == HIGHER else "GreaterThanThreshold"
        if (value < limit) if direction == HIGHER else (value > limit):
            spread = metric.get("standard_deviation")
            shown = _format(value) + (f" +/- {_format(spread)}" if spread is not None else "")
            violations.append(
                {
                    "constraint_check_type": check,
                    "metric_name": name,
                    "description": f"Metric {name} with {shown} was {check} '{_format(limit)}'",
                }
            )
    return {"violations": violations, "launchpad": {"not_checked": not_checked}}
