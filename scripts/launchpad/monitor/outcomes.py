"""Model quality and bias of a window: the captured predictions joined, on the request's InferenceId, to the
ground truth labels of feedback records; what the Processing job computes after drift.

The checks are the model version's: ``checks.json`` sits beside ``statistics.json`` and ``constraints.json``
in the baseline (``launchpad monitor baseline`` writes it from the model card)::

    {"version": 1, "model_version": "1.2.0",
     "quality": {"problem_type": "BinaryClassification", "threshold": 0.5, "field": "probability",
                 "thresholds": [{"name": "auc", "threshold": 0.8, "direction": "higher_is_better"}]},
     "bias": {"analysis_config": {<Clarify's: label, label_values_or_threshold, facet, predicted_label,
                                  probability_threshold, methods>},
              "thresholds": {"DPPL": 0.1}}}

``bias`` is null when the card names no facet. Bias is post-training (the predictions with their labels): a
facet is a feature of the captured requests, looked up by the baseline's feature names. A facet the window's
requests do not hold, one group empty, or labels of one class are reported in ``analysis.json`` (``launchpad
.error``) and as a violation, never as a measurement.

Results, beside drift.json: ``model_quality/statistics.json`` and
``model_quality/constraint_violations.json`` (Model Monitor's model-quality forms), ``bias/analysis.json``
(Clarify's) and ``bias/constraint_violations.json``. Metrics: each quality metric under its Model Monitor
name, each bias metric under its Clarify name (one value per facet group, so an alarm's Maximum or Minimum
sees the worst group), with Model Monitor's dimensions.

Standard library, numpy and scipy only, Python 3.9 syntax: this module runs inside a SageMaker Processing job.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import bias, quality
from .capture import Inference

LOG = logging.getLogger(__name__)
CHECKS_FILE = "checks.json"
LABEL, PREDICTION = "label", "prediction"  # the bias data's columns for the feedback label and the prediction


class ChecksError(ValueError):
    """A checks.json launchpad cannot use; the message says what to change."""


@dataclass(frozen=True)
class Checks:
    """A model version's quality and bias checks (see the module's docstring)."""

    problem_type: str = quality.BINARY
    threshold: float = 0.5
    prediction_field: str = "probability"
    quality_thresholds: tuple[Mapping[str, Any], ...] = ()
    bias_config: bias.BiasConfig | None = None
    bias_thresholds: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Checks:
        if document.get("version") != 1:
            raise ChecksError(f"{CHECKS_FILE} has version {document.get('version')!r}; launchpad reads 1")
        section = document.get("quality") or {}
        problem_type = section.get("problem_type", quality.BINARY)
        if problem_type not in quality.PROBLEM_TYPES:
            raise ChecksError(
                f"{CHECKS_FILE} quality.problem_type is {problem_type!r}; "
                f"write one of {', '.join(quality.PROBLEM_TYPES)}"
            )
        threshold = section.get("threshold", 0.5)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ChecksError(f"{CHECKS_FILE} quality.threshold must be a number from 0 to 1")
        card = {"evaluation": {"metrics": section.get("thresholds") or []}}
        biased = document.get("bias")
        try:
            thresholds = tuple(quality.thresholds_from_card(card))
            config = bias.BiasConfig.from_analysis_config(biased["analysis_config"]) if biased else None
            limits = bias.thresholds_from_card({"monitoring": {"bias": biased}}) if biased else {}
        except (quality.QualityError, bias.BiasError, KeyError, TypeError) as exc:
            raise ChecksError(f"{CHECKS_FILE}: {exc}") from None
        return cls(
            problem_type,
            float(threshold),
            str(section.get("field", "probability")),
            thresholds,
            config,
            limits,
        )


def checks_document(
    card: Mapping[str, Any],
    *,
    model_version: str | None,
    problem_type: str = quality.BINARY,
    threshold: float = 0.5,
    field: str = "probability",
    label_values: Sequence[Any] = (1,),
) -> dict[str, Any]:
    """checks.json of a model version from its model card: ``evaluation.metrics`` thresholds, and
    ``monitoring.bias`` facets and thresholds (post-training bias on the predictions with their labels)."""
    facets = bias.facets_from_card(card)
    document: dict[str, Any] = {
        "version": 1,
        "model_version": model_version,
        "quality": {
            "problem_type": problem_type,
            "threshold": threshold,
            "field": field,
            "thresholds": quality.thresholds_from_card(card),
        },
        "bias": None,
    }
    if facets:
        document["bias"] = {
            "analysis_config": {
                "label": LABEL,
                "label_values_or_threshold": list(label_values),
                "facet": [
                    {"name_or_index": f.name_or_index}
                    | (
                        {}
                        if f.value_or_threshold is None
                        else {"value_or_threshold": list(f.value_or_threshold)}
                    )
                    for f in facets
                ],
                "predicted_label": PREDICTION,
                "probability_threshold": threshold if problem_type == quality.BINARY else None,
                "methods": {"pre_training_bias": {"methods": []}, "post_training_bias": {"methods": "all"}},
            },
            "thresholds": bias.thresholds_from_card(card),
        }
    Checks.from_document(document)  # what is written can be read back
    return document


@dataclass
class Outcome:
    """A window's quality and bias documents and metrics (``status`` no-data when no label matched)."""

    status: str
    join: dict[str, Any]
    statistics: dict[str, Any] | None = None
    violations: dict[str, Any] = field(default_factory=lambda: {"violations": []})
    analysis: dict[str, Any] | None = None
    bias_violations: list[dict[str, str]] = field(default_factory=list)
    quality_metrics: dict[str, float] = field(default_factory=dict)
    bias_metrics: list[tuple[str, float]] = field(default_factory=list)

    def documents(self) -> dict[str, Any]:
        """Result files by relative path."""
        out: dict[str, Any] = {"model_quality/constraint_violations.json": self.violations}
        if self.statistics is not None:
            out["model_quality/statistics.json"] = self.statistics
        if self.analysis is not None:
            out["bias/analysis.json"] = self.analysis
            out["bias/constraint_violations.json"] = {"violations": self.bias_violations}
        return out

    def metric_data(
        self, dimensions: list[dict[str, str]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """PutMetricData entries: (quality, bias)."""

        def entry(name: str, value: float) -> dict[str, Any]:
            return {"MetricName": name, "Value": value, "Dimensions": dimensions}

        found = [entry(k, v) for k, v in self.quality_metrics.items() if math.isfinite(v)]
        biased = [entry(k, v) for k, v in self.bias_metrics if math.isfinite(v)]
        return found, biased


def quality_values(statistics: Mapping[str, Any]) -> dict[str, float]:
    """{metric: value} of a model-quality statistics.json (the metrics that have a value)."""
    section = next(v for k, v in statistics.items() if k.endswith("_metrics"))
    return {
        k: float(v["value"]) for k, v in section.items() if isinstance(v, dict) and v.get("value") is not None
    }


def evaluate(
    inferences: Mapping[str, Inference], truth: Mapping[str, Any], checks: Checks, features: Sequence[str]
) -> Outcome:
    """Quality and bias of the inferences that have a label in ``truth`` ({inference id: label})."""
    predictions = {k: v.prediction for k, v in inferences.items()}
    try:
        joined = quality.join(predictions, truth)
    except quality.NoMatchedRecords as exc:
        LOG.info("%s", exc)
        counts: dict[str, Any] = {"matched": 0, "predictions_without_label": len(predictions)}
        return Outcome("no-data", {**counts, "labels_without_prediction": len(truth)})
    except quality.QualityError as exc:  # a prediction or label that is no number, named by inference id
        counts = {"matched": None, "predictions": len(predictions), "labels": len(truth)}
        return Outcome(
            "error", counts, violations={"violations": [_violation("model_quality_check", str(exc))]}
        )
    outcome = Outcome("ok", joined.counts())
    try:
        outcome.statistics = quality.statistics(joined, checks.problem_type, checks.threshold)
        outcome.violations = quality.check_constraints(outcome.statistics, checks.quality_thresholds)
        outcome.quality_metrics = quality_values(outcome.statistics)
    except quality.QualityError as exc:
        outcome.status = "error"
        outcome.violations = {"violations": [_violation("model_quality_check", str(exc))]}
    if checks.bias_config is not None:
        outcome.analysis, found = _bias(joined, inferences, checks, features)
        outcome.bias_metrics = found
        outcome.bias_violations = _bias_violations(outcome.analysis)
    return outcome


def _violation(check: str, description: str, metric: str = "") -> dict[str, str]:
    return {"metric_name": metric, "constraint_check_type": check, "description": description}


def _bias(
    joined: quality.Joined, inferences: Mapping[str, Inference], checks: Checks, features: Sequence[str]
) -> tuple[dict[str, Any], list[tuple[str, float]]]:
    """Clarify's analysis.json of the joined rows, and (metric, value) of each facet group."""
    config = checks.bias_config
    assert config is not None
    rows = [inferences[i].features or {} for i in joined.ids]
    data: dict[str, list[Any]] = {name: [row.get(name) for row in rows] for name in features}
    data[LABEL] = list(joined.labels.tolist())
    data[PREDICTION] = list(joined.predictions.tolist())
    absent = [f.name_or_index for f in config.facets if f.name_or_index not in data]
    try:
        if absent:
            raise bias.FacetNotFound(
                f"facet {', '.join(map(str, absent))} is not a feature of the captured requests "
                f"({', '.join(features)}); a facet must be a model input for post-training bias"
            )
        analysis = bias.analysis(data, config, checks.bias_thresholds)
    except bias.BiasError as exc:
        LOG.warning("bias not computed: %s", exc)
        return {"version": "1.0", "launchpad": {"error": str(exc), "kind": type(exc).__name__}}, []
    values = [
        (metric["name"], float(metric["value"]))
        for groups in analysis.get("post_training_bias_metrics", {}).get("facets", {}).values()
        for group in groups
        for metric in group["metrics"]
        if metric.get("value") is not None
    ]
    return analysis, values


def _bias_violations(analysis: Mapping[str, Any]) -> list[dict[str, str]]:
    error = (analysis.get("launchpad") or {}).get("error")
    if error:
        return [_violation("bias_check", f"bias not computed: {error}")]
    return [
        _violation(
            "bias_threshold_check",
            f"{v['name']} of facet {v['facet']} {v['value_or_threshold']} is {v['value']:.6g}, beyond "
            f"{v['threshold']:g}",
            v["name"],
        )
        for v in bias.violations(analysis)
    ]
