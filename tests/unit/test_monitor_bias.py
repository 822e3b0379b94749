"""Bias (launchpad.monitor.bias): every Clarify metric against a hand-computed value, cross-checks with scipy,
Clarify's sign conventions and analysis.json shape, the bootstrap intervals, thresholds, and bad input."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from launchpad.monitor import bias as b

# Twelve rows; facet d is sex F (5 rows), facet a is M (7 rows). (label, predicted):
#   a: (1,1) (1,1) (1,0) (0,0) (0,0) (0,1) (0,1)  -> TP 2, FN 1, FP 2, TN 2; n_a(1) 3, n^_a(1) 4, n^_a(0) 3
#   d: (1,1) (1,0) (0,1) (0,1) (0,0)              -> TP 1, FN 1, FP 2, TN 1; n_d(1) 2, n^_d(1) 3, n^_d(0) 2
ROWS = [
    ("M", 1, 1),
    ("M", 1, 1),
    ("M", 1, 0),
    ("M", 0, 0),
    ("M", 0, 0),
    ("M", 0, 1),
    ("M", 0, 1),
    ("F", 1, 1),
    ("F", 1, 0),
    ("F", 0, 1),
    ("F", 0, 1),
    ("F", 0, 0),
]
DATA: dict[str, list[Any]] = {
    "sex": [r[0] for r in ROWS],
    "y": [r[1] for r in ROWS],
    "yhat": [r[2] for r in ROWS],
}
CONFIG = b.BiasConfig(
    label="y", label_values_or_threshold=(1,), facets=(b.Facet("sex", ("F",)),), predicted_label="yhat"
)
FEW = b.Bootstrap(resamples=20, seed=0)


def metrics(section: dict[str, Any], facet: str = "sex", index: int = 0) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in section["facets"][facet][index]["metrics"]}


def values(section: dict[str, Any], facet: str = "sex") -> dict[str, Any]:
    return {name: m["value"] for name, m in metrics(section, facet).items()}


def table(facet_d: list[int], label: list[int], predicted: list[int] | None = None) -> np.ndarray:
    return b.counts(
        np.array(facet_d, dtype=bool),
        np.array(label, dtype=bool),
        None if predicted is None else np.array(predicted, dtype=bool),
    )


def test_pre_training_metrics_against_hand_computed_values() -> None:
    v = values(b.pre_training_bias(DATA, CONFIG, bootstrap=FEW))
    assert v["CI"] == pytest.approx((7 - 5) / 12)  # (n_a - n_d) / n
    assert v["DPL"] == pytest.approx(3 / 7 - 2 / 5)  # q_a - q_d = 1/35
    pa, pd = [4 / 7, 3 / 7], [3 / 5, 2 / 5]  # label distributions (negative, positive)
    assert v["KL"] == pytest.approx(4 / 7 * math.log((4 / 7) / (3 / 5)) + 3 / 7 * math.log((3 / 7) / (2 / 5)))
    mix = [(x + y) / 2 for x, y in zip(pa, pd, strict=True)]
    kl_a = sum(x * math.log(x / m) for x, m in zip(pa, mix, strict=True))
    kl_d = sum(y * math.log(y / m) for y, m in zip(pd, mix, strict=True))
    assert v["JS"] == pytest.approx((kl_a + kl_d) / 2)
    assert v["LP"] == pytest.approx(math.sqrt(2) / 35)  # sqrt((1/35)^2 + (1/35)^2)
    assert v["TVD"] == pytest.approx(1 / 35)  # (|4/7 - 3/5| + |3/7 - 2/5|) / 2
    assert v["KS"] == pytest.approx(1 / 35)  # max |P_a - P_d|
    assert v["CDDL"] is None  # no group variable


def test_post_training_metrics_against_hand_computed_values() -> None:
    v = values(b.post_training_bias(DATA, CONFIG, bootstrap=FEW))
    assert v["DPPL"] == pytest.approx(4 / 7 - 3 / 5)  # q^_a - q^_d = -1/35
    assert v["DI"] == pytest.approx((3 / 5) / (4 / 7))  # q^_d / q^_a = 21/20
    assert v["DCA"] == pytest.approx(3 / 4 - 2 / 3)  # n_a(1)/n^_a(1) - n_d(1)/n^_d(1)
    assert v["DCR"] == pytest.approx(3 / 2 - 4 / 3)  # n_d(0)/n^_d(0) - n_a(0)/n^_a(0)
    assert v["DAR"] == pytest.approx(2 / 4 - 1 / 3)  # TP_a/n^_a(1) - TP_d/n^_d(1)
    assert v["DRR"] == pytest.approx(1 / 2 - 2 / 3)  # TN_d/n^_d(0) - TN_a/n^_a(0)
    assert v["RD"] == pytest.approx(2 / 3 - 1 / 2)  # TP_a/(TP_a+FN_a) - TP_d/(TP_d+FN_d)
    assert v["SD"] == pytest.approx(1 / 3 - 2 / 4)  # TN_d/(TN_d+FP_d) - TN_a/(TN_a+FP_a)
    assert v["AD"] == pytest.approx(4 / 7 - 2 / 5)  # ACC_a - ACC_d
    assert v["TE"] == pytest.approx(1 / 2 - 1 / 2)  # FN_d/FP_d - FN_a/FP_a
    # GE: benefit b = predicted - label + 1: TP (3 rows) 1, TN (3) 1, FP (4) 2, FN (2) 0; mean 14/12 = 7/6.
    # GE = sum((b / mean)^2 - 1) / (n * 2 * 1) = (6 (36/49 - 1) + 4 (144/49 - 1) - 2) / 24 = 17/98
    assert v["GE"] == pytest.approx(17 / 98)
    assert v["CDDPL"] is None and v["FT"] is None  # no group variable; no feature column


def test_generalized_entropy_is_undefined_when_every_prediction_is_a_false_negative() -> None:
    with pytest.raises(b.Undefined, match=r"every prediction is a false negative \(mean benefit 0\)"):
        b.generalized_entropy(table([0, 1], [1, 1], [0, 0]))


def test_treatment_equality_sign() -> None:
    # a: FN 1, FP 2 -> 1/2; d: FN 2, FP 1 -> 2: TE = 2 - 1/2
    c = table([0, 0, 0, 1, 1, 1], [1, 0, 0, 1, 1, 0], [0, 1, 1, 0, 0, 1])
    assert b.treatment_equality(c) == pytest.approx(1.5)


def test_conditional_demographic_disparity_weights_groups_by_size() -> None:
    # g1 (4 rows): a 1, 0; d 0, 0  -> share of rejections on d 2/3, of acceptances 0/1:   DD 2/3
    # g2 (6 rows): a 1, 1, 0; d 1, 0, 0 -> rejections 2/3, acceptances 1/3:               DD 1/3
    # g3 (2 rows): a 0; d 0 -> rejections 1/2, no acceptance (counts 0, as in Clarify):    DD 1/2
    # CDDL = (4 * 2/3 + 6 * 1/3 + 2 * 1/2) / 12 = 17/36
    data = {
        "sex": list("MMFF" + "MMMFFF" + "MF"),
        "y": [1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0],
        "grp": ["g1"] * 4 + ["g2"] * 6 + ["g3"] * 2,
    }
    config = b.BiasConfig("y", (1,), (b.Facet("sex", ("F",)),), group_variable="grp")
    assert values(b.pre_training_bias(data, config, bootstrap=FEW))["CDDL"] == pytest.approx(17 / 36)
    # CDDPL is the same on predicted labels
    post = b.BiasConfig("y", (1,), (b.Facet("sex", ("F",)),), group_variable="grp", predicted_label="yhat")
    data["yhat"] = data["y"]
    assert values(b.post_training_bias(data, post, bootstrap=FEW))["CDDPL"] == pytest.approx(17 / 36)


def test_distribution_metrics_match_scipy() -> None:
    rng = np.random.default_rng(4)
    facet = rng.random(300) < 0.3
    label = rng.random(300) < np.where(facet, 0.25, 0.45)
    c = b.counts(facet, label)
    pa = np.bincount(label[~facet].astype(int), minlength=2) / (~facet).sum()
    pd = np.bincount(label[facet].astype(int), minlength=2) / facet.sum()
    assert b.js(c) == pytest.approx(distance.jensenshannon(pa, pd) ** 2)  # scipy returns the square root
    assert b.kl(c) == pytest.approx(stats.entropy(pa, pd))
    assert b.ks(c) == pytest.approx(stats.ks_2samp(label[~facet], label[facet]).statistic)
    assert b.lp(c) == pytest.approx(distance.euclidean(pa, pd))
    assert b.tvd(c) == pytest.approx(distance.cityblock(pa, pd) / 2)


def test_signs_follow_clarify_a_positive_difference_means_facet_d_fares_worse() -> None:
    # d (2 of 10 rows) has fewer positive labels and predictions than a.
    data = {"g": list("ddaaaaaaaa"), "y": [0, 1, 1, 1, 1, 1, 0, 0, 0, 1], "p": [0, 0, 1, 1, 1, 1, 0, 0, 1, 1]}
    config = b.BiasConfig("y", (1,), (b.Facet("g", ("d",)),), predicted_label="p")
    report = b.analysis(data, config, bootstrap=FEW)
    pre, post = (
        values(report["pre_training_bias_metrics"], "g"),
        values(report["post_training_bias_metrics"], "g"),
    )
    assert pre["CI"] > 0  # d is the minority
    assert pre["DPL"] > 0  # q_a 5/8 > q_d 1/2
    assert post["DPPL"] > 0 and post["DI"] < 1  # q^_a 6/8 > q^_d 0
    assert post["RD"] > 0  # recall a 5/5 > recall d 0/1


def test_flip_test_counts_d_members_the_neighbours_would_treat_otherwise() -> None:
    # a: x 0, 1, 2 predicted 1, 1, 0 (3 rows: k = 1). d: x 0.1, 1.9, 5 predicted 0, 1, 1.
    # nearest a: 0.1 -> x 0 (1), 1.9 -> x 2 (0), 5 -> x 2 (0). F+ (model 0, neighbours 1) = 1; F- = 2.
    features = np.array([[0.0], [1.0], [2.0], [0.1], [1.9], [5.0]])
    facet_d = np.array([0, 0, 0, 1, 1, 1], dtype=bool)
    predicted = np.array([1, 1, 0, 0, 1, 1], dtype=bool)
    assert b.flips(features, facet_d, predicted).tolist() == [1, -1, -1]
    assert b.flip_test(features, facet_d, predicted) == pytest.approx((1 - 2) / 3)


def test_flip_test_uses_five_neighbours_past_nine_rows_of_a() -> None:
    # a: x 0..9 predicted 0 0 1 1 1 0 0 0 0 0; d: x 1.0 predicted 0. The 5 nearest a (x 1, 0, 2, 3, 4) vote
    # 0 0 1 1 1 -> 1, so d's member flips (F+ = 1); with one neighbour (x 1 -> 0) it would not.
    features = np.arange(11, dtype=float).reshape(-1, 1)
    features[10, 0] = 1.0
    facet_d = np.array([0] * 10 + [1], dtype=bool)
    predicted = np.array([0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    assert b.flip_test(features, facet_d, predicted) == 1.0


def test_flip_test_in_a_report_uses_the_numeric_feature_columns() -> None:
    data = {**DATA, "x": [0.0, 1, 2, 3, 4, 5, 6, 0.1, 1.1, 2.1, 3.1, 6.1]}
    report = b.post_training_bias(data, CONFIG, bootstrap=FEW)
    ft = metrics(report)["FT"]
    # k = 1: d at 0.1, 1.1, 2.1, 3.1, 6.1 (model 1 0 1 1 0) meet a at 0, 1, 2, 3, 6 (model 1 1 0 0 1)
    # F+ (model 0, neighbour 1): 1.1, 6.1 = 2; F- (model 1, neighbour 0): 2.1, 3.1 = 2 -> FT 0
    assert ft["value"] == 0.0
    low, high = ft["confidence_interval"]  # d's 5 members resampled, flips +1 +1 -1 -1 0 fixed
    assert -1 <= low < 0 < high <= 1
    data["note"] = ["x"] * 12
    broken = metrics(b.post_training_bias(data, CONFIG, bootstrap=FEW))["FT"]
    assert broken["value"] is None
    assert broken["error"] == "FT needs numeric feature columns without missing values; 'note' is not"


def test_analysis_json_has_clarifys_shape() -> None:
    report = b.analysis(DATA, CONFIG, thresholds={"DPPL": 0.01, "CI": 0.5}, bootstrap=FEW)
    assert report["version"] == "1.0"
    for stage, names in (
        ("pre_training_bias_metrics", b.PRE_TRAINING),
        ("post_training_bias_metrics", b.POST_TRAINING),
    ):
        section = report[stage]
        assert section["label"] == "y"
        assert section["label_value_or_threshold"] == "1"
        [group] = section["facets"]["sex"]
        assert group["value_or_threshold"] == "F"
        assert [m["name"] for m in group["metrics"]] == sorted(names)  # Clarify sorts by name
        for metric in group["metrics"]:
            assert metric["description"] == b.METRICS[metric["name"]]
            assert ("error" in metric) == (metric["value"] is None)
    ci = metrics(report["pre_training_bias_metrics"])["CI"]
    assert ci["description"] == "Class Imbalance (CI)"
    assert (ci["threshold"], ci["violation"]) == (0.5, False)  # |1/6| <= 0.5
    dppl = metrics(report["post_training_bias_metrics"])["DPPL"]
    assert (dppl["threshold"], dppl["violation"]) == (0.01, True)  # |-1/35| > 0.01
    assert "threshold" not in metrics(report["post_training_bias_metrics"])["AD"]
    json.dumps(report, allow_nan=False)  # no NaN, no infinity
    assert b.violations(report) == [
        {
            "stage": "post_training_bias_metrics",
            "facet": "sex",
            "value_or_threshold": "F",
            "name": "DPPL",
            "value": pytest.approx(-1 / 35),
            "threshold": 0.01,
        }
    ]


def test_disparate_impact_threshold_bounds_its_distance_from_one() -> None:
    report = b.post_training_bias(DATA, CONFIG, thresholds={"DI": 0.04}, bootstrap=FEW)
    di = metrics(report)["DI"]
    assert di["value"] == pytest.approx(1.05) and di["violation"] is True  # |1.05 - 1| > 0.04


# The differences and ratios; the divergences (KL, JS, ...) are bounded by 0, so their interval on little data
# is squeezed against it and need not be wider than on more.
NARROWING = ("CI", "DPL", "DPPL", "DI", "AD")


def test_bootstrap_interval_holds_the_estimate_is_seeded_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(2)

    def report(n: int, seed: int = 0) -> dict[str, Any]:
        facet = rng.random(n) < 0.4
        label = rng.random(n) < np.where(facet, 0.3, 0.5)
        predicted = np.where(rng.random(n) < 0.8, label, ~label)
        data = {
            "f": facet.astype(int).tolist(),
            "y": label.astype(int).tolist(),
            "p": predicted.astype(int).tolist(),
        }
        config = b.BiasConfig(
            "y", (1,), (b.Facet("f", (1,)),), predicted_label="p", post_training_methods=("DPPL", "DI", "AD")
        )
        return b.analysis(data, config, bootstrap=b.Bootstrap(resamples=60, level=0.9, seed=seed))

    small, large = report(200), report(3200)
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for name, metric in metrics(small[stage], "f").items():
            if metric["value"] is None:
                continue
            low, high = metric["confidence_interval"]
            assert low <= metric["value"] <= high, name
            if name not in NARROWING:
                continue
            big_low, big_high = metrics(large[stage], "f")[name]["confidence_interval"]
            assert big_high - big_low < (high - low) / 2, name  # 16 times the data: ~4 times narrower
    config = b.BiasConfig("y", (1,), (b.Facet("sex", ("F",)),))
    data = {"sex": DATA["sex"], "y": DATA["y"]}
    once = b.pre_training_bias(data, config, bootstrap=b.Bootstrap(10, seed=5))
    assert once == b.pre_training_bias(data, config, bootstrap=b.Bootstrap(10, seed=5))
    assert once != b.pre_training_bias(data, config, bootstrap=b.Bootstrap(10, seed=6))
    assert once["launchpad"]["bootstrap"] == {"resamples": 10, "level": 0.95, "seed": 5}


def test_undefined_metrics_are_null_with_the_reason() -> None:
    # facet d has no positive label and no positive prediction
    data = {"g": list("aaadd"), "y": [1, 0, 1, 0, 0], "p": [0, 0, 0, 0, 0]}
    config = b.BiasConfig("y", (1,), (b.Facet("g", ("d",)),), predicted_label="p")
    report = b.analysis(data, config, bootstrap=FEW)
    pre = metrics(report["pre_training_bias_metrics"], "g")
    assert pre["KL"] == {
        "name": "KL",
        "description": "Kullback-Liebler Divergence (KL)",
        "value": None,
        "error": "KL is infinite: a label value occurs in facet a but never in facet d",
    }
    assert pre["JS"]["value"] is not None and pre["TVD"]["value"] == pytest.approx(2 / 3)
    post = metrics(report["post_training_bias_metrics"], "g")
    assert post["DI"]["error"] == "DI is undefined: facet a has no positive prediction"
    assert post["DCA"]["error"] == "DCA is undefined: facet a has no positive prediction"
    assert post["GE"]["value"] == pytest.approx(((0 - 1) * 2 + ((1 / 0.6) ** 2 - 1) * 3) / 10)  # b: 0 0 1 1 1
    assert post["TE"]["error"] == "TE is undefined: facet d has no false positive"
    assert "confidence_interval" not in post["DI"]
    assert post["DPPL"]["value"] == 0.0
    json.dumps(report, allow_nan=False)


def test_numeric_facet_threshold_and_label_threshold_read_as_clarify_writes_them() -> None:
    ages = [23, 35, 41, 52, 61, 67, 70, 75, 80, 88, 19, 45]
    scores = [10.5, 3.2, 8.8, 1.0, 9.9, 4.4, 7.7, 2.2, 6.6, 5.5, 3.3, 9.1]
    data = {"age": ages, "score": scores}
    config = b.BiasConfig.from_analysis_config(
        {
            "label": "score",
            "label_values_or_threshold": [5],
            "facet": [{"name_or_index": "age", "value_or_threshold": [60]}],
        }
    )
    section = b.pre_training_bias(data, config, bootstrap=FEW)
    assert section["label_value_or_threshold"] == "(5, 10.5]"  # positive: score > 5
    assert section["facets"]["age"][0]["value_or_threshold"] == "(60, 88]"  # facet d: age > 60
    # d: 61 67 70 75 80 88 (6 rows) with scores 9.9 4.4 7.7 2.2 6.6 5.5 -> 4 positive;
    # a: 6 rows with 10.5 3.2 8.8 1.0 3.3 9.1 -> 3 positive. DPL = 3/6 - 4/6
    assert values(section, "age")["DPL"] == pytest.approx(-1 / 6)


def test_a_facet_without_values_is_each_value_against_the_rest_and_columns_may_be_indexes() -> None:
    data = {"plan": ["basic", "plus", "basic", "premium", "plus", "basic"], "y": [1, 0, 1, 0, 1, 0]}
    config = b.BiasConfig.from_analysis_config(
        {
            "label": 1,
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": 0}],
            "methods": {"pre_training_bias": {"methods": ["DPL", "CI"]}},
        }
    )
    section = b.analysis(data, config, bootstrap=FEW)["pre_training_bias_metrics"]
    groups = section["facets"]["plan"]
    assert [g["value_or_threshold"] for g in groups] == ["basic", "plus", "premium"]  # order of appearance
    assert [m["name"] for m in groups[0]["metrics"]] == ["CI", "DPL"]
    assert groups[0]["metrics"][0]["value"] == 0.0  # 3 basic vs 3 others


def test_values_match_across_numbers_and_strings() -> None:
    data = {"sex": ["1", "0", "1", "0"], "y": ["1", "0", "0", "1"]}
    config = b.BiasConfig("y", (1,), (b.Facet("sex", (1,)),), pre_training_methods=("DPL",))
    assert values(b.pre_training_bias(data, config, bootstrap=FEW))["DPL"] == 0.0


def test_rows_with_a_missing_value_are_left_out_and_counted() -> None:
    data = {"sex": ["F", None, "M", "F", "M"], "y": [1, 1, 0, "", 1]}
    config = b.BiasConfig("y", (1,), (b.Facet("sex", ("F",)),), pre_training_methods=("CI",))
    section = b.pre_training_bias(data, config, bootstrap=FEW)
    assert section["launchpad"]["rows"] == 3 and section["launchpad"]["rows_with_missing_values"] == 2
    assert values(section)["CI"] == pytest.approx(1 / 3)  # a: 2 (M, M), d: 1 (F)


def test_bad_input_raises_a_clear_error() -> None:
    def config(**kw: Any) -> b.BiasConfig:
        return b.BiasConfig(
            **{"label": "y", "label_values_or_threshold": (1,), "facets": (b.Facet("sex", ("F",)),), **kw}
        )

    with pytest.raises(
        b.FacetNotFound, match=r"the facet column 'race' is not in the data \(columns: sex, y, yhat\)"
    ):
        b.analysis(DATA, config(facets=(b.Facet("race", ("x",)),)))
    with pytest.raises(
        b.FacetNotFound,
        match=r"facet 'sex' has no row with value_or_threshold 'X'; values present: \['F', 'M'\]",
    ):
        b.analysis(DATA, config(facets=(b.Facet("sex", ("X",)),)))
    with pytest.raises(
        b.EmptyFacetGroup, match=r"every row is in facet d, so facet a \(the other rows\) is empty"
    ):
        b.analysis(DATA, config(facets=(b.Facet("sex", ("F", "M")),)))
    with pytest.raises(
        b.SingleClassLabel,
        match=r"every one of the 12 labels is negative for label_values_or_threshold \[7\]",
    ):
        b.analysis(DATA, config(label_values_or_threshold=(7,)))
    with pytest.raises(b.FacetNotFound, match="the predicted label column 'p' is not in the data"):
        b.post_training_bias(DATA, config(predicted_label="p"))
    with pytest.raises(b.BiasError, match="post-training bias needs predicted_label"):
        b.post_training_bias(DATA, config())
    with pytest.raises(b.BiasError, match=r"thresholds name \['XYZ'\], not Clarify bias metrics"):
        b.analysis(DATA, config(), thresholds={"XYZ": 1.0})
    with pytest.raises(b.BiasError, match=r"unknown bias metrics \['DCAcc'\]"):
        b.BiasConfig.from_analysis_config(
            {
                "label": "y",
                "label_values_or_threshold": [1],
                "facet": [],
                "methods": {"post_training_bias": {"methods": ["DCAcc"]}},
            }
        )
    with pytest.raises(b.BiasError, match="resamples must be at least 2"):
        b.Bootstrap(resamples=1)
    assert issubclass(b.BiasError, ValueError)


def test_probability_threshold_turns_scores_into_predicted_labels() -> None:
    data = {**DATA, "score": [0.9, 0.8, 0.1, 0.2, 0.3, 0.5, 0.7, 0.6, 0.4, 0.95, 0.55, 0.0]}
    config = b.BiasConfig(
        "y",
        (1,),
        (b.Facet("sex", ("F",)),),
        predicted_label="score",
        probability_threshold=0.5,
        post_training_methods=("DPPL",),
    )
    # predicted (>= 0.5): a 1 1 0 0 0 1 1 -> 4/7; d 1 0 1 1 0 -> 3/5 (the same as yhat)
    assert values(b.post_training_bias(data, config, bootstrap=FEW))["DPPL"] == pytest.approx(4 / 7 - 3 / 5)


def test_thresholds_and_facets_from_a_model_card() -> None:
    card = {
        "monitoring": {
            "drift": {"method": "psi", "schedule": "daily"},
            "bias": {
                "facets": [{"attribute": "age_band", "values": ["65+"]}, {"attribute": "sex"}],
                "thresholds": {"DPPL": 0.1, "DI": 0.2},
            },
        }
    }
    assert b.thresholds_from_card(card) == {"DPPL": 0.1, "DI": 0.2}
    assert b.facets_from_card(card) == [b.Facet("age_band", ("65+",)), b.Facet("sex", None)]
    assert b.thresholds_from_card({"monitoring": {"drift": {}}}) == {}
    with pytest.raises(
        b.BiasError, match=r"monitoring\.bias\.thresholds names 'DCAcc', not a Clarify bias metric"
    ):
        b.thresholds_from_card({"monitoring": {"bias": {"thresholds": {"DCAcc": 0.1}}}})
    with pytest.raises(b.BiasError, match=r"monitoring.bias.thresholds.DI must be a number >= 0, not '0.2'"):
        b.thresholds_from_card({"monitoring": {"bias": {"thresholds": {"DI": "0.2"}}}})
