"""Bias: SageMaker Clarify's pre-training and post-training bias metrics, in Clarify's ``analysis.json`` form,
with bootstrap confidence intervals and thresholds (docs/monitoring.md).

Names, descriptions and sign conventions are Clarify's (the ``smclarify`` library,
github.com/aws/amazon-sagemaker-clarify, ``src/smclarify/bias/metrics/``, and the SageMaker developer guide's
"Pre-training Bias Metrics" and "Post-training Data and Model Bias Metrics" pages). Facet *d* is the sensitive
group (the rows whose facet value is one of the given values, or above the given threshold) and facet *a* is
every other row; a positive value of a difference metric means *d* fares worse. The label is collapsed to
positive / negative by ``label_values_or_threshold`` (positive when one of the values, or above the threshold:
Clarify's interval ``(threshold, max]``), and so is the predicted label.

Where launchpad departs from Clarify's library, on purpose:

* A ratio whose denominator is 0 is reported as ``"value": null`` with an ``"error"`` saying which count is 0;
  smclarify returns 0 for 0/0 and +/-Infinity otherwise, which reads as a measurement.
* KL, JS, LP, TVD and KS compare the two facets' label distributions over both label values; smclarify keeps
  only the values present in both facets, which makes KL negative and TVD too small when a facet has one
  class. KL is null (infinite) when a label value occurs in facet *a* but never in *d*.
* FT follows the developer guide's sign: FT = (F+ - F-) / n_d, F+ the members of *d* the model rejects whose
  nearest neighbours in *a* it accepts (smclarify's code counts the opposite flips as positive).

Counting metrics are computed from the facet x label x predicted label (x group) contingency table; a
bootstrap resample of rows is a multinomial draw of that table (the same distribution, at a fraction of the
cost). FT's interval resamples the members of facet d with their flips fixed (see :func:`_ft_draws`).

Standard library, numpy and scipy only, Python 3.9 syntax: this module runs inside a SageMaker Processing job.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Union

import numpy as np

log = logging.getLogger(__name__)

PRE_TRAINING: dict[str, str] = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
}
POST_TRAINING: dict[str, str] = {
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}
METRICS = {**PRE_TRAINING, **POST_TRAINING}
DEFAULT_RESAMPLES = 200
DEFAULT_LEVEL = 0.95
# Clarify's FlipTest: 5 neighbours, or 1 when facet a has at most 9 rows.
FT_NEIGHBOURS = 5
FT_FEW_ROWS = 9
# Clarify's rule for a numeric column with one value given: a threshold when at least this share of its
# values are distinct (launchpad also requires more than two distinct values, so a 0/1 column is categorical).
UNIQUENESS_THRESHOLD = 0.05
# Distances computed at once by FT's nearest-neighbour search (rows of d x rows of a).
FT_CHUNK = 4_000_000

Column = Union[str, int]
Counts = np.ndarray  # shape (groups, 2 facet [a, d], 2 label [neg, pos], 2 predicted [neg, pos])


class BiasError(ValueError):
    """Data or configuration launchpad cannot compute bias on; the message says what to change."""


class FacetNotFound(BiasError):
    """A facet (or label, predicted label, group) column missing, or a facet value that never occurs."""


class EmptyFacetGroup(BiasError):
    """Facet a or facet d has no row."""


class SingleClassLabel(BiasError):
    """Every label is positive, or every label is negative."""


class Undefined(BiasError):
    """One metric is undefined on these data (a division by zero); ``str(error)`` says why."""


# ------------------------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Facet:
    """Clarify's ``facet`` entry: the column and its sensitive values, or ``[threshold]`` for a numeric one.

    ``value_or_threshold`` None: every distinct value in turn against all the others (Clarify's default).
    ``threshold`` None decides as Clarify does: one number given, on a numeric column that has fractional
    values or at least 5 % distinct values (and, for launchpad, more than two), is a threshold. That rule
    depends on the number of rows (73 distinct ages are 5 % of 1460 rows, not of 2000), so a monitoring job
    that runs on windows of varying size should set ``threshold`` True or False (``"threshold": true`` in the
    facet's mapping). The report's ``value_or_threshold`` shows which was used: ``"(60, 88]"`` or ``"60"``.
    """

    name_or_index: Column
    value_or_threshold: tuple[Any, ...] | None = None
    threshold: bool | None = None

    @classmethod
    def of(cls, spec: Facet | Mapping[str, Any]) -> Facet:
        if isinstance(spec, Facet):
            return spec
        values = spec.get("value_or_threshold")
        return cls(spec["name_or_index"], None if values is None else tuple(values), spec.get("threshold"))


@dataclass(frozen=True)
class BiasConfig:
    """The bias knobs of Clarify's analysis configuration (``label``, ``label_values_or_threshold``,
    ``facet``, ``group_variable``, ``predicted_label``, ``probability_threshold``, ``methods``)."""

    label: Column
    label_values_or_threshold: tuple[Any, ...]
    facets: tuple[Facet, ...]
    group_variable: Column | None = None
    predicted_label: Column | None = None
    probability_threshold: float | None = None
    label_threshold: bool | None = None
    pre_training_methods: tuple[str, ...] = tuple(PRE_TRAINING)
    post_training_methods: tuple[str, ...] = tuple(POST_TRAINING)
    feature_columns: tuple[Column, ...] | None = None

    @classmethod
    def from_analysis_config(cls, config: Mapping[str, Any]) -> BiasConfig:
        """Read Clarify's analysis configuration JSON (as a dict)."""
        methods = config.get("methods") or {}
        return cls(
            label=config["label"],
            label_values_or_threshold=tuple(config["label_values_or_threshold"]),
            facets=tuple(Facet.of(f) for f in config["facet"]),
            group_variable=config.get("group_variable"),
            predicted_label=config.get("predicted_label"),
            probability_threshold=config.get("probability_threshold"),
            pre_training_methods=_methods(
                methods.get("pre_training_bias", {}).get("methods", "all"), PRE_TRAINING
            ),
            post_training_methods=_methods(
                methods.get("post_training_bias", {}).get("methods", "all"), POST_TRAINING
            ),
        )


def _methods(chosen: str | Sequence[str], known: Mapping[str, str]) -> tuple[str, ...]:
    if chosen == "all":
        return tuple(known)
    names = [chosen] if isinstance(chosen, str) else list(chosen)
    wrong = [name for name in names if name not in known]
    if wrong:
        raise BiasError(f"unknown bias metrics {wrong}; Clarify's are {', '.join(known)}")
    return tuple(sorted(names))


def thresholds_from_card(card: Mapping[str, Any]) -> dict[str, float]:
    """Bias thresholds from a model card's optional ``monitoring.bias`` section::

        monitoring:
          bias:
            facets:                       # the sensitive groups (see facets_from_card)
              - attribute: age_band
                values: ["65+"]
            thresholds:                   # Clarify metric name -> largest acceptable |value|
              DPPL: 0.1
              DI: 0.2                     # for DI: largest acceptable |DI - 1|
              CI: 0.3

    Returns ``{}`` when the card has no such section; an unknown metric name or a non-numeric or negative
    threshold raises :class:`BiasError`.
    """
    section = ((card.get("monitoring") or {}).get("bias") or {}).get("thresholds") or {}
    out: dict[str, float] = {}
    for name, limit in section.items():
        if name not in METRICS:
            raise BiasError(f"monitoring.bias.thresholds names {name!r}, not a Clarify bias metric")
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0:
            raise BiasError(f"monitoring.bias.thresholds.{name} must be a number >= 0, not {limit!r}")
        out[name] = float(limit)
    return out


def facets_from_card(card: Mapping[str, Any]) -> list[Facet]:
    """The facets of a model card's ``monitoring.bias.facets`` (``[{attribute, values}]``, see
    :func:`thresholds_from_card`); ``values`` omitted means each value against the others."""
    entries = ((card.get("monitoring") or {}).get("bias") or {}).get("facets") or []
    out = []
    for entry in entries:
        if "attribute" not in entry:
            raise BiasError(f"monitoring.bias.facets entry {entry!r} has no attribute")
        values = entry.get("values")
        out.append(Facet(entry["attribute"], None if values is None else tuple(values)))
    return out


# ---------------------------------------------------------------------------------------- columns and values


def _missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and value.strip() == "")
    )


def _key(value: Any) -> Any:
    """A comparable form: numbers (and numeric strings) as float, anything else as its str."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _column(data: Mapping[str, Sequence[Any]], column: Column, role: str) -> tuple[str, list[Any]]:
    names = list(data)
    if isinstance(column, int) and not isinstance(column, bool):
        if not 0 <= column < len(names):
            raise FacetNotFound(f"the {role} column index {column} is out of range ({len(names)} columns)")
        name = names[column]
    else:
        name = str(column)
    if name not in data:
        raise FacetNotFound(f"the {role} column {name!r} is not in the data (columns: {', '.join(names)})")
    return name, list(data[name])


def _numeric(values: Sequence[Any]) -> np.ndarray | None:
    keys = [_key(v) for v in values]
    if any(isinstance(k, str) for k in keys):
        return None
    return np.asarray(keys, dtype=np.float64)


def _is_threshold(values: Sequence[Any], given: Sequence[Any], forced: bool | None) -> bool:
    """Clarify's rule: one number given, on a numeric column that is not a few categories."""
    if forced is not None:
        return forced
    if len(given) != 1 or isinstance(_key(given[0]), str):
        return False
    numbers = _numeric(values)
    if numbers is None or numbers.size == 0:
        return False
    distinct = np.unique(numbers).size
    fractional = bool(np.any(numbers != np.round(numbers)))
    return distinct > 2 and (fractional or distinct / numbers.size >= UNIQUENESS_THRESHOLD)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True, eq=False)
class _Split:
    """A column collapsed to True / False, and how Clarify writes the rule (``"F"``, ``"(40, 90]"``)."""

    mask: np.ndarray
    text: str


def _split(values: Sequence[Any], given: Sequence[Any], forced: bool | None, role: str) -> _Split:
    if not given:
        raise BiasError(f"no {role} value or threshold given")
    if _is_threshold(values, given, forced):
        log.info("%s: %r read as a threshold (positive above it)", role, given[0])
        numbers = _numeric(values)
        if numbers is None:
            raise BiasError(f"the {role} threshold {given[0]!r} needs a numeric column")
        limit = float(_key(given[0]))
        top = float(numbers.max())
        return _Split(numbers > limit, f"({_number_text(limit)}, {_number_text(max(top, limit))}]")
    wanted = {_key(v) for v in given}
    mask = np.array([_key(v) in wanted for v in values], dtype=bool)
    return _Split(mask, ",".join(str(v) for v in given))


# ------------------------------------------------------------------------------------------------ counting


def counts(
    facet_d: np.ndarray,
    positive: np.ndarray,
    predicted: np.ndarray | None = None,
    group: np.ndarray | None = None,
) -> Counts:
    """The contingency table every counting metric reads: ``[group, facet (a, d), label (-, +), predicted
    (-, +)]``; without predictions every row counts as predicted negative, without groups there is one."""
    predicted = np.zeros_like(positive) if predicted is None else predicted
    codes = (
        np.zeros(facet_d.size, dtype=np.int64) if group is None else np.unique(group, return_inverse=True)[1]
    )
    table = np.zeros((int(codes.max()) + 1 if codes.size else 1, 2, 2, 2), dtype=np.float64)
    np.add.at(table, (codes, facet_d.astype(int), positive.astype(int), predicted.astype(int)), 1.0)
    return table


def _n(c: Counts, facet: int | None = None, label: int | None = None, pred: int | None = None) -> float:
    index = (slice(None), _axis(facet), _axis(label), _axis(pred))
    return float(c[index].sum())


def _axis(value: int | None) -> int | slice:
    return slice(None) if value is None else value


def _divide(numerator: float, denominator: float, why: str) -> float:
    if denominator == 0:
        raise Undefined(why)
    return numerator / denominator


A, D = 0, 1


def _facet_sizes(c: Counts) -> tuple[float, float]:
    na, nd = _n(c, A), _n(c, D)
    if na == 0:
        raise Undefined("facet a (the rows outside the sensitive group) is empty")
    if nd == 0:
        raise Undefined("facet d (the sensitive group) is empty")
    return na, nd


def _label_rates(c: Counts) -> tuple[float, float]:
    na, nd = _facet_sizes(c)
    return _n(c, A, 1) / na, _n(c, D, 1) / nd


# --------------------------------------------------------------------------------------- pre-training metrics


def class_imbalance(c: Counts) -> float:
    """CI = (n_a - n_d) / (n_a + n_d) (Clarify's Class Imbalance)."""
    na, nd = _facet_sizes(c)
    return (na - nd) / (na + nd)


def dpl(c: Counts) -> float:
    """DPL = q_a - q_d, q the share of positive labels in a facet (Clarify's Difference in Positive
    Proportions in Labels)."""
    qa, qd = _label_rates(c)
    return qa - qd


def _distributions(c: Counts) -> tuple[np.ndarray, np.ndarray]:
    qa, qd = _label_rates(c)
    return np.array([1 - qa, qa]), np.array([1 - qd, qd])


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    present = p > 0
    if np.any(present & (q == 0)):
        value = int(np.argmax(present & (q == 0)))
        raise Undefined(
            f"KL is infinite: label value {value} occurs in the first facet but never in the second"
        )
    return float(np.sum(p[present] * np.log(p[present] / q[present])))


def kl(c: Counts) -> float:
    """KL = sum_y P_a(y) ln(P_a(y) / P_d(y)) over the label values (Clarify's Kullback-Leibler divergence,
    natural log); null when a label value occurs in facet a and never in facet d."""
    pa, pd = _distributions(c)
    try:
        return _kl(pa, pd)
    except Undefined:
        raise Undefined("KL is infinite: a label value occurs in facet a but never in facet d") from None


def js(c: Counts) -> float:
    """JS = (KL(P_a, P) + KL(P_d, P)) / 2, P = (P_a + P_d) / 2, natural log (Clarify's Jensen-Shannon
    divergence; scipy.spatial.distance.jensenshannon returns its square root)."""
    pa, pd = _distributions(c)
    mix = (pa + pd) / 2
    return 0.5 * (_kl(pa, mix) + _kl(pd, mix))


def lp(c: Counts) -> float:
    """LP = sqrt(sum_y (P_a(y) - P_d(y))^2) (Clarify's L-p norm, p = 2)."""
    pa, pd = _distributions(c)
    return float(np.linalg.norm(pa - pd, 2))


def tvd(c: Counts) -> float:
    """TVD = sum_y |P_a(y) - P_d(y)| / 2 (Clarify's Total Variation Distance)."""
    pa, pd = _distributions(c)
    return float(0.5 * np.sum(np.abs(pa - pd)))


def ks(c: Counts) -> float:
    """KS = max_y |P_a(y) - P_d(y)| (Clarify's Kolmogorov-Smirnov distance; on a binary label it equals the
    two-sample KS statistic, scipy.stats.ks_2samp, of the facets' 0/1 labels)."""
    pa, pd = _distributions(c)
    return float(np.max(np.abs(pa - pd)))


def cdd(c: Counts, axis: str = "label") -> float:
    """CDD = sum_i n_i DD_i / n over the groups i, DD_i = n_d(0)_i / n(0)_i - n_d(1)_i / n(1)_i: the share of
    the group's rejections that fall on facet d minus the share of its acceptances (Clarify's Conditional
    Demographic Disparity; a group with no rejection or no acceptance contributes 0 to that share, as in
    Clarify). ``axis`` "label" gives CDDL, "predicted" CDDPL."""
    outcome = c.sum(axis=3) if axis == "label" else c.sum(axis=2)  # (group, facet, outcome)
    if outcome[:, :, 1].sum() == 0:
        raise Undefined(f"CDD needs a positive {axis}; there is none")
    if outcome[:, :, 0].sum() == 0:
        raise Undefined(f"CDD needs a negative {axis}; there is none")
    sizes = outcome.sum(axis=(1, 2))
    rejected, accepted = outcome[:, :, 0].sum(axis=1), outcome[:, :, 1].sum(axis=1)
    share_rejected = np.divide(outcome[:, D, 0], rejected, out=np.zeros_like(rejected), where=rejected > 0)
    share_accepted = np.divide(outcome[:, D, 1], accepted, out=np.zeros_like(accepted), where=accepted > 0)
    return float(np.sum(sizes * (share_rejected - share_accepted)) / sizes.sum())


# -------------------------------------------------------------------------------------- post-training metrics


def _cell(c: Counts, facet: int, label: int, pred: int) -> float:
    return _n(c, facet, label, pred)


def dppl(c: Counts) -> float:
    """DPPL = q^_a - q^_d, q^ the share of positive predictions in a facet (Clarify's Difference in Positive
    Proportions in Predicted Labels)."""
    na, nd = _facet_sizes(c)
    return _n(c, A, None, 1) / na - _n(c, D, None, 1) / nd


def disparate_impact(c: Counts) -> float:
    """DI = q^_d / q^_a (Clarify's Disparate Impact); null when facet a has no positive prediction."""
    na, nd = _facet_sizes(c)
    qa, qd = _n(c, A, None, 1) / na, _n(c, D, None, 1) / nd
    return _divide(qd, qa, "DI is undefined: facet a has no positive prediction")


def _ratio(
    c: Counts,
    facet: int,
    numerator: tuple[int | None, int | None],
    denominator: tuple[int | None, int | None],
    name: str,
    what: str,
) -> float:
    side = "a" if facet == A else "d"
    return _divide(
        _n(c, facet, *numerator),
        _n(c, facet, *denominator),
        f"{name} is undefined: facet {side} has no {what}",
    )


def dca(c: Counts) -> float:
    """DCA = c_a - c_d, c = n(1) / n^(1), observed over predicted positives (Clarify's Difference in
    Conditional Acceptance, DCAcc in the developer guide)."""
    _facet_sizes(c)
    ca = _ratio(c, A, (1, None), (None, 1), "DCA", "positive prediction")
    cd = _ratio(c, D, (1, None), (None, 1), "DCA", "positive prediction")
    return ca - cd


def dcr(c: Counts) -> float:
    """DCR = r_d - r_a, r = n(0) / n^(0), observed over predicted negatives (Clarify's Difference in
    Conditional Rejection)."""
    _facet_sizes(c)
    ra = _ratio(c, A, (0, None), (None, 0), "DCR", "negative prediction")
    rd = _ratio(c, D, (0, None), (None, 0), "DCR", "negative prediction")
    return rd - ra


def dar(c: Counts) -> float:
    """DAR = TP_a / n^_a(1) - TP_d / n^_d(1), the precision difference (Clarify's Difference in Acceptance
    Rates)."""
    _facet_sizes(c)
    return _ratio(c, A, (1, 1), (None, 1), "DAR", "positive prediction") - _ratio(
        c, D, (1, 1), (None, 1), "DAR", "positive prediction"
    )


def drr(c: Counts) -> float:
    """DRR = TN_d / n^_d(0) - TN_a / n^_a(0) (Clarify's Difference in Rejection Rates)."""
    _facet_sizes(c)
    return _ratio(c, D, (0, 0), (None, 0), "DRR", "negative prediction") - _ratio(
        c, A, (0, 0), (None, 0), "DRR", "negative prediction"
    )


def recall_difference(c: Counts) -> float:
    """RD = TP_a / (TP_a + FN_a) - TP_d / (TP_d + FN_d) (Clarify's Recall Difference)."""
    _facet_sizes(c)
    return _ratio(c, A, (1, 1), (1, None), "RD", "positive label") - _ratio(
        c, D, (1, 1), (1, None), "RD", "positive label"
    )


def specificity_difference(c: Counts) -> float:
    """SD = TN_d / (TN_d + FP_d) - TN_a / (TN_a + FP_a) (Clarify's Specificity Difference)."""
    _facet_sizes(c)
    return _ratio(c, D, (0, 0), (0, None), "SD", "negative label") - _ratio(
        c, A, (0, 0), (0, None), "SD", "negative label"
    )


def accuracy_difference(c: Counts) -> float:
    """AD = ACC_a - ACC_d, ACC = (TP + TN) / n (Clarify's Accuracy Difference)."""
    na, nd = _facet_sizes(c)
    correct_a = _cell(c, A, 1, 1) + _cell(c, A, 0, 0)
    correct_d = _cell(c, D, 1, 1) + _cell(c, D, 0, 0)
    return correct_a / na - correct_d / nd


def treatment_equality(c: Counts) -> float:
    """TE = FN_d / FP_d - FN_a / FP_a (Clarify's Treatment Equality)."""
    _facet_sizes(c)
    return _ratio(c, D, (1, 0), (0, 1), "TE", "false positive") - _ratio(
        c, A, (1, 0), (0, 1), "TE", "false positive"
    )


def generalized_entropy(c: Counts, alpha: float = 2.0) -> float:
    """GE = sum_i ((b_i / mean b)^alpha - 1) / (n alpha (alpha - 1)), b_i = predicted_i - label_i + 1, over
    every row, alpha = 2 (Clarify's Generalized Entropy; it does not depend on the facet)."""
    benefit = np.array([[1.0, 2.0], [0.0, 1.0]])  # [label, predicted] -> b
    cells = c.sum(axis=(0, 1))  # (label, predicted)
    n = float(cells.sum())
    mean = float(np.sum(cells * benefit)) / n if n else 0.0
    if mean == 0:
        raise Undefined("GE is undefined: every prediction is a false negative (mean benefit 0)")
    return float(np.sum(cells * ((benefit / mean) ** alpha - 1)) / (n * alpha * (alpha - 1)))


COUNTING: dict[str, Callable[[Counts], float]] = {
    "CI": class_imbalance,
    "DPL": dpl,
    "KL": kl,
    "JS": js,
    "LP": lp,
    "TVD": tvd,
    "KS": ks,
    "CDDL": lambda c: cdd(c, "label"),
    "DPPL": dppl,
    "DI": disparate_impact,
    "DCA": dca,
    "DCR": dcr,
    "DAR": dar,
    "DRR": drr,
    "RD": recall_difference,
    "SD": specificity_difference,
    "AD": accuracy_difference,
    "TE": treatment_equality,
    "CDDPL": lambda c: cdd(c, "predicted"),
    "GE": generalized_entropy,
}


# ---------------------------------------------------------------------------------------------- flip test


def _knn_votes(train: np.ndarray, votes: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Majority vote of the ``k`` nearest (Euclidean) training rows of each query row."""
    out = np.empty(query.shape[0], dtype=bool)
    train_sq = np.sum(train**2, axis=1)
    step = max(1, FT_CHUNK // max(1, train.shape[0]))
    for start in range(0, query.shape[0], step):
        chunk = query[start : start + step]
        distance = np.sum(chunk**2, axis=1)[:, None] + train_sq[None, :] - 2.0 * chunk @ train.T
        nearest = np.argpartition(distance, k - 1, axis=1)[:, :k] if k < train.shape[0] else None
        chosen = (
            votes[nearest] if nearest is not None else np.broadcast_to(votes, (chunk.shape[0], votes.size))
        )
        out[start : start + step] = chosen.mean(axis=1) > 0.5
    return out


def flips(features: np.ndarray, facet_d: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Each member of facet d's flip: +1 when the model rejects it and its nearest neighbours in facet a
    (by a k-nearest-neighbour vote on their predicted labels) would accept it, -1 for the reverse, else 0.

    k = 5, or 1 when facet a has at most 9 rows; Euclidean distance; majority vote (Clarify's FlipTest
    settings). Ties at the k-th distance are broken arbitrarily, as in scikit-learn."""
    a, d = ~facet_d, facet_d
    if not a.any():
        raise Undefined("FT is undefined: facet a is empty")
    if not d.any():
        raise Undefined("FT is undefined: facet d is empty")
    k = FT_NEIGHBOURS if int(a.sum()) > FT_FEW_ROWS else 1
    as_a = _knn_votes(features[a], predicted[a], features[d], k)
    model = predicted[d]
    return (~model & as_a).astype(np.int64) - (model & ~as_a).astype(np.int64)


def flip_test(features: np.ndarray, facet_d: np.ndarray, predicted: np.ndarray) -> float:
    """FT = (F+ - F-) / n_d (Clarify's Flip Test, with the developer guide's sign): F+ counts the members of
    facet d the model rejects and their neighbours in facet a would accept, F- the reverse (:func:`flips`)."""
    return float(np.mean(flips(features, facet_d, predicted)))


def _features(data: Mapping[str, Sequence[Any]], columns: Sequence[str], rows: np.ndarray) -> np.ndarray:
    if not columns:
        raise Undefined("FT needs feature columns; there are none besides the facet and labels")
    matrix = []
    for name in columns:
        values = list(data[name])
        numbers = _numeric([values[int(i)] for i in np.flatnonzero(rows)])
        if numbers is None or not np.all(np.isfinite(numbers)):
            raise Undefined(f"FT needs numeric feature columns without missing values; {name!r} is not")
        matrix.append(numbers)
    return np.column_stack(matrix)


# ---------------------------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class Bootstrap:
    """Percentile bootstrap settings: ``resamples`` draws by ``numpy.random.default_rng(seed)``, the central
    ``level`` interval."""

    resamples: int = DEFAULT_RESAMPLES
    level: float = DEFAULT_LEVEL
    seed: int = 0

    def __post_init__(self) -> None:
        if self.resamples < 2:
            raise BiasError(f"resamples must be at least 2, not {self.resamples}")
        if not 0 < self.level < 1:
            raise BiasError(f"level must be between 0 and 1, not {self.level}")

    def interval(self, draws: Sequence[float]) -> list[float] | None:
        """The percentile interval of the resamples where the metric is defined (None if under two)."""
        if len(draws) < 2:
            return None
        tail = (1 - self.level) / 2 * 100
        low, high = np.percentile(np.asarray(draws), [tail, 100 - tail])
        return [float(low), float(high)]


def _count_draws(
    c: Counts, names: Sequence[str], boot: Bootstrap, rng: np.random.Generator
) -> dict[str, list[float]]:
    total = int(c.sum())
    tables = rng.multinomial(total, c.ravel() / total, size=boot.resamples).reshape(
        (boot.resamples, *c.shape)
    )
    draws: dict[str, list[float]] = {name: [] for name in names}
    for table in tables.astype(np.float64):
        for name in names:
            try:
                draws[name].append(COUNTING[name](table))
            except Undefined:
                continue
    return draws


def _ft_draws(member_flips: np.ndarray, boot: Bootstrap, rng: np.random.Generator) -> list[float]:
    """FT over resamples of facet d's members, their flips fixed: the neighbours are found once, on all the
    data (refitting the nearest-neighbour search per resample costs n_a x n_d distances each time), so the
    interval leaves out the variation that resampling facet a would add."""
    n = member_flips.size
    shares = np.array([np.sum(member_flips == 1), np.sum(member_flips == -1), np.sum(member_flips == 0)]) / n
    drawn = rng.multinomial(n, shares, size=boot.resamples)
    return [float(x) for x in (drawn[:, 0] - drawn[:, 1]) / n]


# ------------------------------------------------------------------------------------------------ reports


def _entry(name: str, compute: Callable[[], float], thresholds: Mapping[str, float]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "description": METRICS[name]}
    try:
        entry["value"] = float(compute())
    except Undefined as undefined:
        entry["value"] = None
        entry["error"] = str(undefined)
    if name in thresholds:
        entry["threshold"] = thresholds[name]
        entry["violation"] = (
            None if entry["value"] is None else _violates(name, entry["value"], thresholds[name])
        )
    return entry


def _violates(name: str, value: float, limit: float) -> bool:
    """|value| > limit, and for DI (whose parity is 1) |DI - 1| > limit."""
    return abs(value - 1.0 if name == "DI" else value) > limit


@dataclass(frozen=True, eq=False)
class _Prepared:
    """The rows a report uses and their collapsed columns."""

    rows: np.ndarray
    positive: np.ndarray
    predicted: np.ndarray | None
    group: np.ndarray | None
    label_text: str
    label_name: str
    dropped: int


def _prepare(data: Mapping[str, Sequence[Any]], config: BiasConfig, post: bool) -> _Prepared:
    label_name, labels = _column(data, config.label, "label")
    columns = [labels]
    predicted_values: list[Any] | None = None
    if post:
        if config.predicted_label is None:
            raise BiasError("post-training bias needs predicted_label, the predicted label column")
        predicted_values = _column(data, config.predicted_label, "predicted label")[1]
        columns.append(predicted_values)
    group_values = None if config.group_variable is None else _column(data, config.group_variable, "group")[1]
    if group_values is not None:
        columns.append(group_values)
    for facet in config.facets:
        columns.append(_column(data, facet.name_or_index, "facet")[1])
    if len({len(c) for c in columns}) != 1:
        raise BiasError("the label, predicted label, group and facet columns are not of one length")
    rows = np.array([not any(_missing(c[i]) for c in columns) for i in range(len(labels))], dtype=bool)
    dropped = int(rows.size - rows.sum())
    if dropped:
        log.warning(
            "%d of %d rows have a missing label, prediction, group or facet value; left out",
            dropped,
            rows.size,
        )
    kept = np.flatnonzero(rows)
    label_split = _split(
        [labels[i] for i in kept], config.label_values_or_threshold, config.label_threshold, "label"
    )
    positive = label_split.mask
    if positive.size == 0:
        raise BiasError("no row has a label, prediction, group and facet value")
    if positive.all() or not positive.any():
        which = "positive" if positive.all() else "negative"
        raise SingleClassLabel(
            f"every one of the {positive.size} labels is {which} for label_values_or_threshold "
            f"{list(config.label_values_or_threshold)}: bias metrics need both outcomes"
        )
    predicted = None
    if predicted_values is not None:
        predicted = _predicted([predicted_values[i] for i in kept], config, [labels[i] for i in kept])
    group = None if group_values is None else np.array([str(_key(group_values[i])) for i in kept])
    return _Prepared(rows, positive, predicted, group, label_split.text, label_name, dropped)


def _predicted(values: list[Any], config: BiasConfig, labels: list[Any]) -> np.ndarray:
    if config.probability_threshold is not None:
        scores = _numeric(values)
        if scores is None:
            raise BiasError("probability_threshold is set but a predicted label is not a number")
        return np.asarray(scores >= config.probability_threshold)
    forced = config.label_threshold
    if forced is None:
        forced = _is_threshold(labels, config.label_values_or_threshold, None)
    return _split(values, config.label_values_or_threshold, forced, "predicted label").mask


def _facet_groups(facet: Facet, values: list[Any], name: str) -> list[_Split]:
    if facet.value_or_threshold is not None:
        split = _split(values, facet.value_or_threshold, facet.threshold, f"facet {name!r}")
        if not split.mask.any():
            present = sorted({str(v) for v in values})[:20]
            raise FacetNotFound(
                f"facet {name!r} has no row with value_or_threshold {split.text!r}; values present: {present}"
            )
        return [split]
    seen: dict[Any, Any] = {}
    for v in values:
        seen.setdefault(_key(v), v)
    return [_split(values, [v], False, f"facet {name!r}") for v in seen.values()]


def _facet_report(
    prepared: _Prepared,
    facet_d: np.ndarray,
    names: Sequence[str],
    thresholds: Mapping[str, float],
    boot: Bootstrap,
    rng: np.random.Generator,
    features: Callable[[], np.ndarray] | None,
) -> list[dict[str, Any]]:
    c = counts(facet_d, prepared.positive, prepared.predicted, prepared.group)
    counting = [n for n in names if n in COUNTING and not (n in ("CDDL", "CDDPL") and prepared.group is None)]
    draws = _count_draws(c, counting, boot, rng)
    metrics = []
    for name in names:
        if name in ("CDDL", "CDDPL") and prepared.group is None:
            entry = _entry(name, _needs_group(name), thresholds)
        elif name == "FT":
            entry, ft_draws = _ft_entry(prepared, facet_d, thresholds, boot, rng, features)
            draws["FT"] = ft_draws
        else:
            entry = _entry(name, partial(COUNTING[name], c), thresholds)
        if entry["value"] is not None:
            entry["confidence_interval"] = boot.interval(draws.get(name, []))
        metrics.append(entry)
    return metrics


def _needs_group(name: str) -> Callable[[], float]:
    def fail() -> float:
        raise Undefined(f"{name} needs group_variable, the column of the groups to condition on")

    return fail


def _ft_entry(
    prepared: _Prepared,
    facet_d: np.ndarray,
    thresholds: Mapping[str, float],
    boot: Bootstrap,
    rng: np.random.Generator,
    features: Callable[[], np.ndarray] | None,
) -> tuple[dict[str, Any], list[float]]:
    assert prepared.predicted is not None
    predicted = prepared.predicted
    found: list[np.ndarray] = []

    def compute() -> float:
        if features is None:
            raise Undefined("FT needs the feature columns")
        found.append(flips(features(), facet_d, predicted))
        return float(np.mean(found[0]))

    entry = _entry("FT", compute, thresholds)
    if entry["value"] is None:
        return entry, []
    return entry, _ft_draws(found[0], boot, rng)


def _section(
    data: Mapping[str, Sequence[Any]],
    config: BiasConfig,
    post: bool,
    thresholds: Mapping[str, float],
    boot: Bootstrap,
) -> dict[str, Any]:
    prepared = _prepare(data, config, post)
    names = sorted(config.post_training_methods if post else config.pre_training_methods)
    rng = np.random.default_rng(boot.seed)
    facets: dict[str, list[dict[str, Any]]] = {}
    for facet in config.facets:
        name, values = _column(data, facet.name_or_index, "facet")
        kept = [values[i] for i in np.flatnonzero(prepared.rows)]
        features = _feature_source(data, config, name, prepared) if post else None
        for split in _facet_groups(facet, kept, name):
            _check_groups(split, name)
            metrics = _facet_report(prepared, split.mask, names, thresholds, boot, rng, features)
            facets.setdefault(name, []).append({"value_or_threshold": split.text, "metrics": metrics})
    return {
        "label": prepared.label_name,
        "label_value_or_threshold": prepared.label_text,
        "facets": facets,
        "launchpad": {
            "rows": int(prepared.rows.sum()),
            "rows_with_missing_values": prepared.dropped,
            "bootstrap": {"resamples": boot.resamples, "level": boot.level, "seed": boot.seed},
        },
    }


def _check_groups(split: _Split, name: str) -> None:
    if split.mask.all():
        raise EmptyFacetGroup(
            f"facet {name!r} {split.text!r}: every row is in facet d, so facet a (the other rows) is empty"
        )
    if not split.mask.any():
        raise EmptyFacetGroup(f"facet {name!r} {split.text!r}: facet d (the sensitive group) is empty")


def _feature_source(
    data: Mapping[str, Sequence[Any]], config: BiasConfig, facet_name: str, prepared: _Prepared
) -> Callable[[], np.ndarray]:
    if config.feature_columns is not None:
        columns = [_column(data, c, "feature")[0] for c in config.feature_columns]
    else:  # Clarify's: every column but the facet, the label and the predicted label
        skip = {facet_name, prepared.label_name}
        if config.predicted_label is not None:
            skip.add(_column(data, config.predicted_label, "predicted label")[0])
        columns = [str(c) for c in data if str(c) not in skip]
    return lambda: _features(data, columns, prepared.rows)


def pre_training_bias(
    data: Mapping[str, Sequence[Any]],
    config: BiasConfig,
    thresholds: Mapping[str, float] | None = None,
    bootstrap: Bootstrap | None = None,
) -> dict[str, Any]:
    """Clarify's ``pre_training_bias_metrics`` section for ``data`` (column name -> values)."""
    return _section(data, config, False, _thresholds(thresholds), bootstrap or Bootstrap())


def post_training_bias(
    data: Mapping[str, Sequence[Any]],
    config: BiasConfig,
    thresholds: Mapping[str, float] | None = None,
    bootstrap: Bootstrap | None = None,
) -> dict[str, Any]:
    """Clarify's ``post_training_bias_metrics`` section; ``config.predicted_label`` names the predictions."""
    return _section(data, config, True, _thresholds(thresholds), bootstrap or Bootstrap())


def analysis(
    data: Mapping[str, Sequence[Any]],
    config: BiasConfig,
    thresholds: Mapping[str, float] | None = None,
    bootstrap: Bootstrap | None = None,
) -> dict[str, Any]:
    """Clarify's ``analysis.json``: pre-training metrics, and post-training ones when the config names a
    predicted label. Each metric is ``{name, description, value, confidence_interval}`` (``value`` null and an
    ``error`` when undefined); with a threshold, also ``threshold`` and ``violation``."""
    out: dict[str, Any] = {"version": "1.0"}
    if config.pre_training_methods:
        out["pre_training_bias_metrics"] = pre_training_bias(data, config, thresholds, bootstrap)
    if config.predicted_label is not None and config.post_training_methods:
        out["post_training_bias_metrics"] = post_training_bias(data, config, thresholds, bootstrap)
    return out


def _thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(thresholds or {})
    wrong = [name for name in out if name not in METRICS]
    if wrong:
        raise BiasError(f"thresholds name {wrong}, not Clarify bias metrics ({', '.join(METRICS)})")
    return out


def violations(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every metric of an ``analysis.json`` over its threshold: ``{stage, facet, value_or_threshold, name,
    value, threshold}``."""
    out = []
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for facet, groups in (report.get(stage) or {}).get("facets", {}).items():
            for group in groups:
                for metric in group["metrics"]:
                    if metric.get("violation"):
                        out.append(
                            {
                                "stage": stage,
                                "facet": facet,
                                "value_or_threshold": group["value_or_threshold"],
                                "name": metric["name"],
                                "value": metric["value"],
                                "threshold": metric["threshold"],
                            }
                        )
    return out
