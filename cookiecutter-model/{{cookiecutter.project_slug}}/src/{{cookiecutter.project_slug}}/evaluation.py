"""The evaluation the model card reports: AUC, Brier score and accuracy on the held-out rows, and the AUC
per segment (the fairness check). Plain numpy, so every framework is judged by the same code."""

from __future__ import annotations

from typing import Any

import numpy as np

from {{ cookiecutter.project_slug }}.columns import THRESHOLD

DATASET = "synthetic-holdout"


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half)."""
    labels = np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        raise ValueError("AUC needs both classes among the labels")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = np.asarray(scores)[order]
    start = 0
    while start < len(sorted_scores):  # average ranks over ties
        end = start
        while end + 1 < len(sorted_scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def evaluate(probabilities: np.ndarray, labels: np.ndarray, segments: np.ndarray) -> dict[str, Any]:
    """The metrics of build/metrics.json."""
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    metrics = {
        "auc": round(auc(labels, probabilities), 4),
        "brier_score": round(float(np.mean((probabilities - labels) ** 2)), 4),
        "accuracy": round(float(np.mean((probabilities >= THRESHOLD) == labels)), 4),
    }
    subgroups = [
        {
            "attribute": "segment",
            "group": str(group),
            "name": "auc",
            "value": round(auc(labels[segments == group], probabilities[segments == group]), 4),
        }
        for group in sorted(set(segments.tolist()))
    ]
    return {"dataset": DATASET, "rows": len(labels), "metrics": metrics, "subgroups": subgroups}
