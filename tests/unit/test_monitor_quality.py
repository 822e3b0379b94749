"""Model quality (launchpad.monitor.quality): the join on inference id, each metric against a hand-computed
value, Model Monitor's statistics.json and constraint_violations.json shapes, and bad input."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from scipy import stats

from launchpad.monitor import quality as q

# Seven records, threshold 0.5.
#   scores  0.9 0.8 0.4 | 0.3 0.6 0.7 0.1
#   labels  1   1   1   | 0   0   0   0
#   predict 1   1   0   | 0   1   1   0    -> TP 2, FN 1, FP 2, TN 2
SCORES = [0.9, 0.8, 0.4, 0.3, 0.6, 0.7, 0.1]
LABELS = [1, 1, 1, 0, 0, 0, 0]


def test_join_matches_on_inference_id_and_reports_both_sides_unmatched() -> None:
    joined = q.join({"a": 0.9, "b": "0.2", "c": 0.6, "late": 0.4}, {"c": 0, "a": "1", "b": 0, "lost": 1})
    assert joined.ids == ("a", "b", "c")
    assert joined.predictions.tolist() == [0.9, 0.2, 0.6]
    assert joined.labels.tolist() == [1.0, 0.0, 0.0]
    assert joined.matched == 3
    assert joined.predictions_without_label == ("late",)
    assert joined.labels_without_prediction == ("lost",)
    counts = joined.counts()
    assert counts["labels_without_prediction"] == 1
    assert counts["example_labels_without_prediction"] == ["lost"]


def test_join_without_a_common_id_is_an_error_not_an_empty_result() -> None:
    with pytest.raises(
        q.NoMatchedRecords, match=r"no inference id has both a prediction and a label \(1 pre"
    ):
        q.join({"a": 0.5}, {"b": 1})


def test_a_non_numeric_label_names_its_inference_id() -> None:
    with pytest.raises(q.NonNumericValue, match=r"the label of inference id 'a' is str, not a number$"):
        q.join({"a": 0.5}, {"a": "yes"})
    with pytest.raises(q.NonNumericValue, match=r"prediction of inference id 'a' is not a finite number"):
        q.join({"a": "nan"}, {"a": 1})
    assert issubclass(q.NonNumericValue, ValueError)


def test_binary_metrics_against_hand_computed_values() -> None:
    c = q.binary_classification(SCORES, LABELS, threshold=0.5)
    v = c.values
    assert c.confusion_matrix == {"0": {"0": 2, "1": 2}, "1": {"0": 1, "1": 2}}  # actual -> predicted
    assert v["accuracy"] == pytest.approx(4 / 7)  # (TP 2 + TN 2) / 7
    assert v["precision"] == pytest.approx(2 / 4)  # TP / (TP + FP)
    assert v["recall"] == pytest.approx(2 / 3)  # TP / (TP + FN)
    assert v["true_positive_rate"] == v["recall"]
    assert v["true_negative_rate"] == pytest.approx(2 / 4)  # TN / (TN + FP)
    assert v["false_positive_rate"] == pytest.approx(2 / 4)
    assert v["false_negative_rate"] == pytest.approx(1 / 3)
    assert v["f1"] == pytest.approx(4 / 7)  # 2 TP / (2 TP + FN + FP) = 4 / 7
    assert v["f0_5"] == pytest.approx(10 / 19)  # 1.25 * 2 / (1.25 * 2 + 0.25 * 1 + 2) = 2.5 / 4.75
    assert v["f2"] == pytest.approx(10 / 16)  # 5 * 2 / (5 * 2 + 4 * 1 + 2)
    # AUC: of the 3 x 4 (positive, negative) pairs, 0.9 and 0.8 outrank all four negatives, 0.4 outranks 0.3
    # and 0.1: 10 / 12.
    assert v["auc"] == pytest.approx(10 / 12)
    # Brier: (0.1^2 + 0.2^2 + 0.6^2 + 0.3^2 + 0.6^2 + 0.7^2 + 0.1^2) / 7 = 1.36 / 7
    assert v["brier_score"] == pytest.approx(1.36 / 7)
    likelihoods = [0.9, 0.8, 0.4, 0.7, 0.4, 0.3, 0.9]  # p for label 1, 1 - p for label 0
    assert v["log_loss"] == pytest.approx(-sum(math.log(p) for p in likelihoods) / 7)
    assert c.not_computable == {}


def test_auc_counts_a_tie_half_and_equals_the_mann_whitney_statistic() -> None:
    # positives 0.5, 0.8; negatives 0.5, 0.2: pairs (0.5, 0.5) tie = 1/2, (0.5, 0.2) = 1, 0.8 beats both = 2.
    assert q.roc_auc([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1]) == pytest.approx(3.5 / 4)
    rng = np.random.default_rng(0)
    scores = np.round(rng.random(60), 1)  # rounded: many ties
    labels = (rng.random(60) < 0.4).astype(int)
    u = stats.mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic
    assert q.roc_auc(scores, labels) == pytest.approx(u / (labels.sum() * (60 - labels.sum())))


def test_threshold_is_inclusive() -> None:
    c = q.binary_classification([0.5, 0.49], [1, 0], threshold=0.5)
    assert c.confusion_matrix == {"0": {"0": 1, "1": 0}, "1": {"0": 0, "1": 1}}


def test_one_class_makes_auc_not_computable_with_a_reason_and_nothing_nan() -> None:
    joined = q.join({str(i): s for i, s in enumerate([0.2, 0.7, 0.4])}, {str(i): 0 for i in range(3)})
    out = q.statistics(joined, resamples=5, evaluation_time=0)
    metrics = out["binary_classification_metrics"]
    assert "auc" not in metrics and "recall" not in metrics
    reasons = out["launchpad"]["not_computable"]
    assert reasons["auc"] == "auc is undefined: every one of the 3 labels is 0 (AUC needs both classes)"
    assert reasons["recall"] == "recall is undefined: no record has label 1"
    assert metrics["accuracy"]["value"] == pytest.approx(2 / 3)
    json.dumps(out, allow_nan=False)  # no NaN or infinity anywhere


def test_labels_other_than_0_and_1_are_refused_for_binary_classification() -> None:
    joined = q.join({"a": 0.3, "b": 0.6}, {"a": 2, "b": 0})
    with pytest.raises(q.NonNumericValue, match=r"labels must be 0 or 1; 1 are not \(e.g. 2\)"):
        q.statistics(joined, resamples=2)


def test_scores_outside_0_1_leave_brier_and_log_loss_not_computable() -> None:
    c = q.binary_classification([2.0, -1.0, 0.5], [1, 0, 1])
    assert set(c.not_computable) == {"brier_score", "log_loss"}
    assert "not probabilities (range -1 to 2)" in c.not_computable["log_loss"]
    assert c.values["auc"] == 1.0


def test_regression_metrics_against_hand_computed_values() -> None:
    # labels 1, 2, 4; predictions 2, 2, 3: errors -1, 0, 1
    v = q.regression([2, 2, 3], [1, 2, 4]).values
    assert v["mae"] == pytest.approx(2 / 3)
    assert v["mse"] == pytest.approx(2 / 3)
    assert v["rmse"] == pytest.approx(math.sqrt(2 / 3))
    # r2: mean 7/3, SS_tot = 16/9 + 1/9 + 25/9 = 14/3, SS_res = 2: 1 - 2 / (14/3) = 4/7
    assert v["r2"] == pytest.approx(4 / 7)
    assert v["mape"] == pytest.approx((1 / 1 + 0 / 2 + 1 / 4) / 3)


def test_regression_undefined_metrics_say_why() -> None:
    c = q.regression([1.0, 2.0], [0.0, 0.0])
    assert c.not_computable == {
        "r2": "r2 is undefined: every one of the 2 labels is 0 (no variance)",
        "mape": "mape is undefined: 2 of the 2 labels are 0",
    }
    assert c.values["mae"] == 1.5


def test_statistics_has_model_monitors_shape_and_a_seeded_bootstrap() -> None:
    joined = q.join({str(i): s for i, s in enumerate(SCORES)}, {str(i): y for i, y in enumerate(LABELS)})
    out = q.statistics(joined, threshold=0.5, resamples=30, seed=1, evaluation_time=86400)
    assert out["version"] == 0.0
    assert out["dataset"] == {"item_count": 7, "evaluation_time": "1970-01-02T00:00:00.000Z"}
    metrics = out["binary_classification_metrics"]
    assert metrics["confusion_matrix"]["1"]["1"] == 2
    for name in (
        "accuracy",
        "precision",
        "recall",
        "f1",
        "auc",
        "brier_score",
        "log_loss",
        "false_positive_rate",
    ):
        assert set(metrics[name]) == {"value", "standard_deviation"}
        assert metrics[name]["standard_deviation"] > 0
    assert out["launchpad"]["threshold"] == 0.5
    assert out == q.statistics(joined, threshold=0.5, resamples=30, seed=1, evaluation_time=86400)
    now = q.statistics(joined, resamples=2)["dataset"]["evaluation_time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", now)


def test_bootstrap_standard_deviation_shrinks_with_more_data() -> None:
    rng = np.random.default_rng(3)

    def spread(n: int) -> float:
        labels = (rng.random(n) < 0.5).astype(int)
        scores = np.clip(0.3 * labels + 0.7 * rng.random(n), 0, 1)
        joined = q.join(
            {str(i): float(s) for i, s in enumerate(scores)}, {str(i): int(y) for i, y in enumerate(labels)}
        )
        return float(
            q.statistics(joined, resamples=40)["binary_classification_metrics"]["auc"]["standard_deviation"]
        )

    assert spread(800) < spread(50) / 2  # ~ 1 / sqrt(n): sqrt(16) = 4 times smaller, give or take


def test_regression_statistics_section() -> None:
    joined = q.join({"a": 2, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 4})
    out = q.statistics(joined, problem_type="Regression", resamples=10)
    assert set(out["regression_metrics"]) == {"mae", "mse", "rmse", "r2", "mape"}
    assert "threshold" not in out["launchpad"]
    with pytest.raises(q.QualityError, match="problem_type must be one of BinaryClassification, Regression"):
        q.statistics(joined, problem_type="Multiclass")


CARD = {
    "evaluation": {
        "metrics": [
            {"name": "auc", "value": 0.83, "threshold": 0.9, "direction": "higher_is_better"},
            {"name": "brier_score", "value": 0.07, "threshold": 0.1, "direction": "lower_is_better"},
            {"name": "log_loss", "value": 0.5, "threshold": 0.2, "direction": "lower_is_better"},
            {"name": "recall_at_10", "value": 0.4, "threshold": 0.3, "direction": "higher_is_better"},
            {"name": "coverage", "value": 0.4},
        ]
    }
}


def test_constraint_violations_follow_the_cards_directions() -> None:
    joined = q.join({str(i): s for i, s in enumerate(SCORES)}, {str(i): y for i, y in enumerate(LABELS)})
    statistics = q.statistics(joined, resamples=5)
    thresholds = q.thresholds_from_card(CARD)
    assert [t["name"] for t in thresholds] == ["auc", "brier_score", "log_loss", "recall_at_10"]
    out = q.check_constraints(statistics, thresholds)
    # auc 0.833 < 0.9 (higher is better); brier 0.194 > 0.1 and log loss 0.64 > 0.2 (lower is better)
    assert [(v["metric_name"], v["constraint_check_type"]) for v in out["violations"]] == [
        ("auc", "LessThanThreshold"),
        ("brier_score", "GreaterThanThreshold"),
        ("log_loss", "GreaterThanThreshold"),
    ]
    assert re.fullmatch(
        r"Metric auc with 0.833333 \+/- [0-9.e-]+ was LessThanThreshold '0.9'",
        out["violations"][0]["description"],
    )
    assert out["launchpad"]["not_checked"] == [
        {"metric_name": "recall_at_10", "reason": "recall_at_10 is not a metric of these statistics"}
    ]
    met = q.check_constraints(
        statistics, [{"name": "auc", "threshold": 0.8, "direction": "higher_is_better"}]
    )
    assert met["violations"] == []


def test_a_threshold_on_a_not_computable_metric_is_not_checked_with_its_reason() -> None:
    joined = q.join({"a": 0.2, "b": 0.7}, {"a": 0, "b": 0})
    out = q.check_constraints(
        q.statistics(joined, resamples=2),
        [{"name": "auc", "threshold": 0.8, "direction": "higher_is_better"}],
    )
    assert out["violations"] == []
    assert out["launchpad"]["not_checked"][0]["reason"].startswith(
        "auc is undefined: every one of the 2 labels"
    )


def test_a_threshold_needs_a_direction() -> None:
    with pytest.raises(q.QualityError, match=r"model card metric 'auc' has a threshold but direction None"):
        q.thresholds_from_card({"evaluation": {"metrics": [{"name": "auc", "threshold": 0.8}]}})
    with pytest.raises(q.QualityError, match="direction must be higher_is_better or lower_is_better"):
        q.check_constraints({"regression_metrics": {}}, [{"name": "mae", "threshold": 1, "direction": "up"}])
