"""The A/B decision rules and the weights parser of `launchpad traffic`, without AWS."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from launchpad.cli import main
from launchpad.deploy.status import read_status, render
from launchpad.deploy.traffic import (
    Decision,
    DecisionReport,
    KpiRule,
    Thresholds,
    VariantMetrics,
    decide,
    fetch_metrics,
    metric_queries,
    parse_weights,
    pick_variants,
    render_decision,
    set_weights,
)
from launchpad.errors import DeployTimeoutError, TrafficError
from launchpad.monitor.kpi import KpiMetrics

RULES = Thresholds(min_invocations=100, max_error_rate_increase=1.0, max_latency_increase_percent=10.0)


def metrics(variant: str, invocations: float = 1000, errors: float = 0, latency: float | None = 100_000):
    return VariantMetrics(variant, invocations=invocations, errors_5xx=errors, errors_4xx=0, latency=latency)


# -- decisions --------------------------------------------------------------------------------------------
def test_a_challenger_as_good_as_the_champion_is_promoted():
    verdict = decide(metrics("a", errors=5), metrics("b", errors=10, latency=105_000), RULES)
    assert verdict.decision is Decision.PROMOTE
    assert verdict.error_rate_increase == pytest.approx(0.5)
    assert verdict.latency_increase_percent == pytest.approx(5.0)
    assert verdict.exit_code == 0


def test_a_challenger_with_more_server_errors_is_aborted():
    verdict = decide(metrics("a", errors=5), metrics("b", errors=25), RULES)
    assert verdict.decision is Decision.ABORT
    assert verdict.exit_code == 21
    assert "5xx rate 2.50% is 2.00 points above a's 0.50%" in verdict.reasons[0]


def test_a_slower_challenger_is_aborted():
    verdict = decide(metrics("a"), metrics("b", latency=111_000), RULES)
    assert verdict.decision is Decision.ABORT
    assert "11.0% above" in verdict.reasons[0]


def test_both_reasons_are_given_when_both_rules_fail():
    verdict = decide(metrics("a"), metrics("b", errors=100, latency=200_000), RULES)
    assert verdict.decision is Decision.ABORT
    assert len(verdict.reasons) == 2


def test_too_few_invocations_on_either_variant_waits():
    verdict = decide(metrics("a", invocations=5000), metrics("b", invocations=99), RULES)
    assert verdict.decision is Decision.WAIT
    assert verdict.exit_code == 22
    assert verdict.reasons == ("b had 99 invocations, fewer than the 100 needed to judge it",)


def test_zero_traffic_waits_even_with_terrible_numbers():
    verdict = decide(metrics("a", invocations=0, latency=None), metrics("b", invocations=0), RULES)
    assert verdict.decision is Decision.WAIT
    assert len(verdict.reasons) == 2


def test_no_latency_data_waits():
    verdict = decide(metrics("a"), metrics("b", latency=None), RULES)
    assert verdict.decision is Decision.WAIT
    assert "no ModelLatency" in verdict.reasons[0]


def test_a_tie_is_promoted():
    verdict = decide(metrics("a", errors=10), metrics("b", errors=10), RULES)
    assert verdict.decision is Decision.PROMOTE
    assert verdict.error_rate_increase == 0 and verdict.latency_increase_percent == 0


def test_an_increase_exactly_at_the_thresholds_is_promoted():
    verdict = decide(metrics("a", errors=0), metrics("b", errors=10, latency=110_000), RULES)
    assert verdict.decision is Decision.PROMOTE


def test_a_better_challenger_is_promoted():
    verdict = decide(metrics("a", errors=50, latency=200_000), metrics("b", errors=0, latency=50_000), RULES)
    assert verdict.decision is Decision.PROMOTE
    assert verdict.error_rate_increase == pytest.approx(-5.0)


def test_a_zero_champion_latency_makes_any_challenger_latency_an_infinite_increase():
    verdict = decide(metrics("a", latency=0), metrics("b", latency=1), RULES)
    assert verdict.decision is Decision.ABORT
    assert math.isinf(verdict.latency_increase_percent or 0)
    assert verdict.as_dict()["latency_increase_percent"] == "inf"


def test_the_verdict_document_has_the_numbers_behind_it():
    document = decide(metrics("a", errors=5), metrics("b", errors=7), RULES).as_dict()
    assert document["decision"] == "promote"
    assert document["champion"]["error_rate_percent"] == 0.5
    assert document["challenger"]["invocations"] == 1000
    assert document["thresholds"] == {
        "min_invocations": 100,
        "max_error_rate_increase": 1.0,
        "max_latency_increase_percent": 10.0,
    }


def test_client_errors_do_not_decide():
    champion = VariantMetrics("a", invocations=1000, errors_4xx=0, latency=1.0)
    challenger = VariantMetrics("b", invocations=1000, errors_4xx=900, latency=1.0)
    assert decide(champion, challenger, RULES).decision is Decision.PROMOTE


def test_thresholds_refuse_a_decision_without_traffic():
    with pytest.raises(TrafficError, match="at least 1"):
        Thresholds(min_invocations=0)


# -- variants ---------------------------------------------------------------------------------------------
def test_the_heavier_of_two_variants_is_the_champion():
    assert pick_variants("e", {"new": 10.0, "old": 90.0}, None, None) == ("old", "new")
    assert pick_variants("e", {"new": 10.0, "old": 90.0}, "new", None) == ("new", "old")
    assert pick_variants("e", {"new": 10.0, "old": 90.0}, None, "old") == ("new", "old")


def test_equal_weights_need_the_champion_named():
    with pytest.raises(TrafficError, match="same weight"):
        pick_variants("e", {"a": 1.0, "b": 1.0}, None, None)


def test_an_unknown_champion_is_refused_naming_the_known_variants():
    with pytest.raises(TrafficError, match="no production variant c; its variants are a, b"):
        pick_variants("e", {"a": 1.0, "b": 1.0}, "c", "a")


def test_three_variants_need_both_named():
    with pytest.raises(TrafficError, match="name both"):
        pick_variants("e", {"a": 1.0, "b": 1.0, "c": 1.0}, "a", None)


# -- weights ----------------------------------------------------------------------------------------------
def test_weights_are_parsed():
    assert parse_weights("champion=90, challenger=10") == {"champion": 90.0, "challenger": 10.0}
    assert parse_weights("a=0.5,b=0,") == {"a": 0.5, "b": 0.0}
    assert parse_weights("a = .5 , b-2=+3.") == {"a": 0.5, "b-2": 3.0}


def test_a_zero_weight_is_how_an_ab_test_is_stopped_and_is_parsed_as_it_was_written():
    """Whether every weight would end up 0 depends on the variants not named: set_weights decides."""
    assert parse_weights("champion=9,challenger=0") == {"champion": 9.0, "challenger": 0.0}
    assert parse_weights("challenger=0") == {"challenger": 0.0}
    assert parse_weights("a=0,b=0") == {"a": 0.0, "b": 0.0}


LONG = "v" * 100_000
BAD_WEIGHTS = [
    ("", "weights: none given; e.g. --weights champion=90,challenger=10"),
    (" , ,", "weights: none given"),
    ("champion", "weights: 'champion' is not VARIANT=WEIGHT"),
    ("a=ten", "weights: a='ten' is not a number; write digits with at most one decimal point"),
    ("a=", "weights: a='' is not a number"),
    ("a=1e3", "weights: a='1e3' is not a number"),
    ("a=1_000", "weights: a='1_000' is not a number"),
    ("a=\u0661", "weights: a='\u0661' is not a number"),  # an Arabic-Indic one: float() takes it
    ("a=0x10", "weights: a='0x10' is not a number"),
    ("a=1.2.3", "weights: a='1.2.3' is not a number"),
    ("a=" + "9" * 400, "(400 characters)"),  # float() makes it inf
    ("a=-1", "weights: a='-1' is negative; write 0 or more (0 sends a no traffic)"),
    ("a=-0.5", "is negative"),
    ("a=nan", "weights: a='nan' is not a finite number; write 0 or more"),
    ("a=-NaN", "is not a finite number"),
    ("a=inf", "weights: a='inf' is not a finite number"),
    ("a=Infinity", "is not a finite number"),
    ("a=1,a=2", "weights: variant a is named twice; name each variant once"),
    ("=1", "weights: variant name is empty"),
    ("a b=1", "weights: variant name 'a b' is not a SageMaker name; write 1 to 63 ASCII letters"),
    ("-a=1", "variant name '-a' is not a SageMaker name"),
    ("a-=1", "variant name 'a-' is not a SageMaker name"),
    ("it's=1", "variant name 'it\\'s' is not a SageMaker name"),
    ("a/b=1", "variant name 'a/b' is not a SageMaker name"),
    ("champi\u00f3n=1", "variant name 'champi\u00f3n' is not a SageMaker name"),
    ("a\u202eb=1", "weights: 'a\\u202eb=1' holds U+202E (control, format or bidi characters)"),
    ("a=1\n", "weights: 'a=1\\n' holds U+000A"),
    ("a=1\x1f", "holds U+001F"),  # str.strip() would have dropped it
    ("a\tb=1", "holds U+0009"),
    (LONG + "=1", "variant name 'vvvv"),
    (",".join(f"v{i}=1" for i in range(11)), "weights: 11 variants named; an endpoint has at most 10"),
]


@pytest.mark.parametrize(("text", "message"), BAD_WEIGHTS, ids=range(len(BAD_WEIGHTS)))
def test_bad_weights_are_refused_with_one_bounded_message(text, message):
    with pytest.raises(TrafficError) as raised:
        parse_weights(text)
    said = str(raised.value)
    assert message in said, said
    assert raised.value.exit_code == 20
    assert len(said) < 400  # a 100 000-character value is quoted cut, not whole
    assert not any(c in said for c in "\n\t\x1f\u202e")  # escaped, never acted on by a terminal


def test_a_100000_character_name_costs_one_length_check():
    """The name is measured before any pattern runs: no regular expression sees it."""
    with pytest.raises(TrafficError, match="has 100000 characters; write at most 63"):
        parse_weights(LONG + "=1")


# -- metrics ----------------------------------------------------------------------------------------------
class FakeCloudWatch:
    """GetMetricData answering from a table, in two pages, to exercise NextToken."""

    def __init__(self, values):
        self.values = values
        self.calls = []

    def get_metric_data(self, MetricDataQueries, StartTime, EndTime, NextToken=None):
        self.calls.append((MetricDataQueries, StartTime, EndTime, NextToken))
        half = len(MetricDataQueries) // 2
        queries = MetricDataQueries[half:] if NextToken else MetricDataQueries[:half]
        results = [{"Id": q["Id"], "Values": self.values.get(q["Id"], [])} for q in queries]
        return {"MetricDataResults": results, **({} if NextToken else {"NextToken": "page2"})}


def test_metrics_sum_the_counts_and_take_the_worst_latency():
    cloudwatch = FakeCloudWatch(
        {
            "v0_invocations": [100.0, 50.0],
            "v0_errors_5xx": [1.0],
            "v0_latency": [10.0, 30.0],
            "v1_invocations": [7.0],
        }
    )
    end = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    found = fetch_metrics(
        cloudwatch, "ep", ["a", "b"], window_minutes=30, latency_statistic="Average", end=end
    )
    assert found["a"] == VariantMetrics("a", invocations=150.0, errors_5xx=1.0, errors_4xx=0, latency=30.0)
    assert found["b"] == VariantMetrics("b", invocations=7.0, latency=None)
    queries, start, stop, _ = cloudwatch.calls[0]
    assert (stop - start).total_seconds() == 1800 and stop == end
    latency = next(q for q in queries if q["Id"] == "v0_latency")["MetricStat"]
    assert latency["Stat"] == "Average" and latency["Period"] == 1800
    assert latency["Metric"]["Namespace"] == "AWS/SageMaker"
    assert latency["Metric"]["Dimensions"] == [
        {"Name": "EndpointName", "Value": "ep"},
        {"Name": "VariantName", "Value": "a"},
    ]
    assert len(cloudwatch.calls) == 2


def test_an_unknown_latency_statistic_is_refused():
    with pytest.raises(TrafficError, match="one of p99"):
        fetch_metrics(FakeCloudWatch({}), "ep", ["a"], window_minutes=5, latency_statistic="p42")


def test_a_failed_metrics_read_says_how_to_fix_it():
    class Refusing:
        def get_metric_data(self, **_):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "GetMetricData")

    with pytest.raises(TrafficError, match="needs --latency-statistic Average instead of p99"):
        fetch_metrics(Refusing(), "ep", ["a"], window_minutes=5)


# -- setting weights, with a fake SageMaker -------------------------------------------------------------
class FakeSageMaker:
    def __init__(self, status="InService", settles=True):
        self.status = status
        self.settles = settles
        self.updates = []
        self.variants = [
            {"VariantName": "a", "CurrentWeight": 1.0, "DesiredWeight": 1.0, "CurrentInstanceCount": 1},
            {"VariantName": "b", "CurrentWeight": 1.0, "DesiredWeight": 1.0, "CurrentInstanceCount": 1},
        ]

    def describe_endpoint(self, EndpointName):
        return {
            "EndpointName": EndpointName,
            "EndpointStatus": self.status,
            "ProductionVariants": self.variants,
        }

    def update_endpoint_weights_and_capacities(self, EndpointName, DesiredWeightsAndCapacities):
        self.updates.append(DesiredWeightsAndCapacities)
        if self.settles:
            for desired in DesiredWeightsAndCapacities:
                variant = next(v for v in self.variants if v["VariantName"] == desired["VariantName"])
                variant["CurrentWeight"] = variant["DesiredWeight"] = desired["DesiredWeight"]
        else:
            self.status = "Updating"


def test_weights_that_never_show_time_out():
    sagemaker = FakeSageMaker(settles=False)
    ticks = iter(range(0, 10_000, 5))
    with pytest.raises(DeployTimeoutError, match="did not show the new weights within 20 s"):
        set_weights(
            sagemaker, "ep", {"a": 1.0, "b": 0.0}, timeout=20, clock=lambda: next(ticks), sleep=lambda _: None
        )


def test_weights_are_not_sent_to_an_endpoint_that_is_not_in_service():
    sagemaker = FakeSageMaker(status="Updating")
    with pytest.raises(TrafficError, match="is Updating, not InService"):
        set_weights(sagemaker, "ep", {"a": 1.0})
    assert sagemaker.updates == []


def test_set_weights_returns_the_weights_now_serving():
    assert set_weights(FakeSageMaker(), "ep", {"b": 3.0}) == {"a": 1.0, "b": 3.0}


def test_a_zero_weight_stops_an_ab_test():
    sagemaker = FakeSageMaker()
    assert set_weights(sagemaker, "ep", {"a": 9.0, "b": 0.0}) == {"a": 9.0, "b": 0.0}
    assert sagemaker.updates == [
        [{"VariantName": "a", "DesiredWeight": 9.0}, {"VariantName": "b", "DesiredWeight": 0.0}]
    ]
    assert set_weights(FakeSageMaker(), "ep", {"b": 0.0}) == {"a": 1.0, "b": 0.0}  # a keeps serving


@pytest.mark.parametrize(
    ("before", "weights"),
    [({}, {"a": 0.0, "b": 0.0}), ({"b": 0.0}, {"a": 0.0})],
    ids=["both named", "the other already at 0"],
)
def test_weights_that_would_all_be_zero_are_refused_and_nothing_is_sent(before, weights):
    sagemaker = FakeSageMaker()
    for variant in sagemaker.variants:
        if variant["VariantName"] in before:
            variant["CurrentWeight"] = variant["DesiredWeight"] = before[variant["VariantName"]]
    with pytest.raises(TrafficError) as raised:
        set_weights(sagemaker, "ep", weights)
    assert "every production variant of ep would have weight 0 (a=0, b=0)" in str(raised.value)
    assert "give one a weight above 0" in str(raised.value) and raised.value.exit_code == 20
    assert sagemaker.updates == []


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"a": float("nan")}, "a weight must be a finite number of 0 or more"),
        ({"a": float("inf")}, "a weight must be a finite number of 0 or more"),
        ({"a": -1.0}, "a weight must be a finite number of 0 or more"),
        ({}, "none given"),
        ({"a\n": 1.0}, "holds U+000A"),
        ({"c": 1.0}, "endpoint ep has no production variant c; its variants are a, b"),
    ],
)
def test_weights_given_to_the_library_are_checked_before_anything_is_sent(weights, message):
    sagemaker = FakeSageMaker()
    with pytest.raises(TrafficError, match=re.escape(message)):
        set_weights(sagemaker, "ep", weights)
    assert sagemaker.updates == []


@pytest.mark.parametrize("name", ["b\n", "b\u202e", "", "b" * 64])
def test_a_champion_or_challenger_that_is_no_variant_name_is_refused(name):
    with pytest.raises(TrafficError, match="variant name"):
        pick_variants("ep", {"a": 1.0, "b": 2.0}, name, None)
    with pytest.raises(TrafficError, match="variant name"):
        pick_variants("ep", {"a": 1.0, "b": 2.0}, None, name)


@pytest.mark.parametrize(
    "thresholds",
    [
        {"max_error_rate_increase": float("nan")},
        {"max_latency_increase_percent": float("inf")},
        {"min_invocations": float("nan")},
    ],
)
def test_a_threshold_that_is_not_finite_is_refused_since_nan_would_promote_anything(thresholds):
    with pytest.raises(TrafficError, match="thresholds must be finite numbers"):
        Thresholds(**thresholds)


def test_a_window_longer_than_cloudwatchs_minute_data_is_refused():
    with pytest.raises(TrafficError, match="--window-minutes 21601: write 1 to 21600"):
        fetch_metrics(FakeCloudWatch({}), "ep", ["a"], window_minutes=21601)


# -- status, with a fake SageMaker ---------------------------------------------------------------------
def test_status_reads_serverless_and_shadow_variants_and_a_rolling_deployment():
    class Described:
        def describe_endpoint(self, EndpointName):
            return {
                "EndpointName": EndpointName,
                "EndpointStatus": "InService",
                "EndpointConfigName": "cfg",
                "ProductionVariants": [
                    {"VariantName": "live", "CurrentWeight": 1.0, "DesiredWeight": 1.0,
                     "CurrentServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
                ],
                "ShadowProductionVariants": [{"VariantName": "shadow", "CurrentWeight": 1.0}],
                "LastDeploymentConfig": {
                    "RollingUpdatePolicy": {
                        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                        "WaitIntervalInSeconds": 60,
                    },
                    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "gone"}]},
                },
            }  # fmt: skip

        def describe_endpoint_config(self, EndpointConfigName):
            return {"ShadowProductionVariants": [{"VariantName": "shadow", "InstanceType": "ml.m5.large"}]}

    class NoAlarms:
        def describe_alarms(self, **_):
            return {"MetricAlarms": [], "CompositeAlarms": []}

    shown = read_status(Described(), NoAlarms(), "ep")
    assert [v.compute for v in shown.variants] == ["serverless 2048 MB x5", "ml.m5.large"]
    assert shown.shadow_variants[0].current_share_percent is None
    assert shown.production_variants[0].current_share_percent == 100.0
    assert shown.deployment is not None and shown.deployment.strategy == "ROLLING"
    assert shown.deployment.step == "1 instance"
    assert [(a.name, a.state) for a in shown.alarms] == [("gone", "MISSING")]
    table = render(shown)
    assert re.search(r"\nshadow +shadow +copy +- +ml.m5.large\n", table)
    assert "ROLLING, step 1 instance; wait 60 s" in table
    assert shown.as_dict()["shadow_variants"][0]["compute"] == "ml.m5.large"


# -- the business KPI criterion (launchpad.monitor.kpi) ---------------------------------------------------
HELPFUL = KpiRule("HelpfulRate", max_decrease=0.02, min_samples=200, confidence=0.95)
WITH_KPI = Thresholds(
    min_invocations=100, max_error_rate_increase=1.0, max_latency_increase_percent=10.0, kpi=HELPFUL
)


def with_kpi(variant: str, samples: float, total: float, errors: float = 0, name: str = "HelpfulRate",
             squares: float | None = None) -> VariantMetrics:  # fmt: skip
    return VariantMetrics(
        variant,
        invocations=1000,
        errors_5xx=errors,
        latency=100_000,
        kpi=KpiMetrics(name, samples, total, squares),
    )


def test_a_challenger_whose_kpi_is_significantly_worse_is_aborted():
    """The hand-computed example of test_monitor_feedback: 0.80 of 500 against 0.68 of 500, upper bound of
    the 95% one-sided Newcombe interval -0.0745, below -0.02."""
    verdict = decide(with_kpi("a", 500, 400), with_kpi("b", 500, 340), WITH_KPI)
    assert verdict.decision is Decision.ABORT and verdict.exit_code == 21
    assert verdict.kpi is not None and verdict.kpi.upper == pytest.approx(-0.074526, abs=1e-5)
    assert verdict.reasons == (
        "b's HelpfulRate 0.6800 against a's 0.8000 (-0.1200; 0.95 one-sided interval -0.1648 to -0.0745): "
        "significantly worse, by more than the 0.02 allowed",
    )


def test_a_kpi_decrease_within_the_tolerance_is_promoted():
    lenient = Thresholds(kpi=KpiRule("HelpfulRate", max_decrease=0.08))
    verdict = decide(with_kpi("a", 500, 400), with_kpi("b", 500, 340), lenient)
    assert verdict.decision is Decision.PROMOTE
    assert "not significantly worse by more than 0.08" in verdict.reasons[1]


def test_a_kpi_difference_that_is_not_significant_is_promoted():
    """0.80 against 0.78 of 300 each: the interval reaches above 0, no evidence the challenger is worse."""
    verdict = decide(with_kpi("a", 300, 240), with_kpi("b", 300, 234), WITH_KPI)
    assert verdict.decision is Decision.PROMOTE
    assert verdict.kpi is not None and verdict.kpi.lower < -0.02 < verdict.kpi.upper


def test_too_few_kpi_samples_waits_but_does_not_hold_back_an_abort_on_errors():
    verdict = decide(with_kpi("a", 500, 400), with_kpi("b", 199, 199), WITH_KPI)
    assert verdict.decision is Decision.WAIT and verdict.exit_code == 22
    assert verdict.reasons == (
        "b has 199 HelpfulRate samples (feedback records), fewer than the 200 needed to judge the KPI",
    )
    assert verdict.kpi is None and verdict.error_rate_increase == 0
    no_feedback = VariantMetrics("b", invocations=1000, latency=100_000)  # nothing published at all
    assert decide(with_kpi("a", 500, 400), no_feedback, WITH_KPI).decision is Decision.WAIT
    failing = decide(with_kpi("a", 500, 400), with_kpi("b", 10, 10, errors=50), WITH_KPI)
    assert (
        failing.decision is Decision.ABORT and len(failing.reasons) == 1 and "5xx rate" in failing.reasons[0]
    )


def test_errors_and_the_kpi_are_both_given_as_reasons():
    verdict = decide(with_kpi("a", 500, 400), with_kpi("b", 500, 340, errors=50), WITH_KPI)
    assert verdict.decision is Decision.ABORT and len(verdict.reasons) == 2


def test_a_mean_rating_uses_its_variance_from_the_sum_of_squares():
    """Means 4.0 and 3.8 of 400 ratings each, upper bound -0.0833 (test_monitor_feedback's example)."""
    rule = Thresholds(kpi=KpiRule("MeanRating", max_decrease=0.05))
    champion = with_kpi("a", 400, 1600, name="MeanRating", squares=6800)
    challenger = with_kpi("b", 400, 1520, name="MeanRating", squares=6180)
    assert decide(champion, challenger, rule).decision is Decision.ABORT
    assert (
        decide(champion, challenger, Thresholds(kpi=KpiRule("MeanRating", 0.1))).decision is Decision.PROMOTE
    )


def test_the_verdict_document_has_the_kpi_figures():
    document = decide(with_kpi("a", 500, 400), with_kpi("b", 500, 340), WITH_KPI).as_dict()
    assert document["challenger"]["kpi"] == {
        "name": "HelpfulRate",
        "samples": 500,
        "total": 340,
        "value": 0.68,
    }
    assert document["kpi"]["difference"] == -0.12 and document["kpi"]["confidence"] == 0.95
    assert document["kpi"]["interval"] == [pytest.approx(-0.164841), pytest.approx(-0.074526)]
    assert document["thresholds"]["kpi"] == {
        "name": "HelpfulRate", "max_decrease": 0.02, "min_samples": 200, "confidence": 0.95,
    }  # fmt: skip
    assert "kpi" not in decide(metrics("a"), metrics("b"), RULES).as_dict()["challenger"]
    assert decide(metrics("a"), metrics("b"), RULES).as_dict()["kpi"] is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "Revenue"}, "--kpi 'Revenue': write one of HelpfulRate, OutcomeRate, MeanRating"),
        ({"max_decrease": -0.1}, "--max-kpi-decrease must be 0 or more"),
        ({"max_decrease": float("nan")}, "must be finite numbers"),
        ({"min_samples": 1}, "--min-kpi-samples must be at least 2"),
        ({"confidence": 1.0}, "--kpi-confidence must be from 0.5 to below 1"),
    ],
)
def test_a_kpi_rule_that_would_judge_nothing_is_refused(rule, message):
    with pytest.raises(TrafficError, match=re.escape(message)):
        KpiRule(**{"name": "HelpfulRate", **rule})


def test_the_kpi_is_read_in_the_same_get_metric_data_call():
    cloudwatch = FakeCloudWatch(
        {
            "v0_invocations": [500.0],
            "v0_kpi_total": [300.0, 100.0],
            "v0_kpi_samples": [380.0, 120.0],
            "v1_kpi_total": [7.0],
            "v1_kpi_samples": [9.0],
            "v1_kpi_squares": [1.0],  # not asked for a rate: never read
        }
    )
    found = fetch_metrics(cloudwatch, "ep", ["a", "b"], window_minutes=30, kpi="HelpfulRate")
    assert found["a"].kpi == KpiMetrics("HelpfulRate", samples=500.0, total=400.0, squares=None)
    assert found["b"].kpi == KpiMetrics("HelpfulRate", samples=9.0, total=7.0, squares=None)
    queries = cloudwatch.calls[0][0]
    assert all(call[0] is queries for call in cloudwatch.calls)  # one request, in two pages
    kpi_stats = {q["Id"]: q["MetricStat"] for q in queries if "kpi" in q["Id"]}
    assert set(kpi_stats) == {"v0_kpi_total", "v0_kpi_samples", "v1_kpi_total", "v1_kpi_samples"}
    assert kpi_stats["v0_kpi_total"]["Stat"] == "Sum" and kpi_stats["v0_kpi_samples"]["Stat"] == "SampleCount"
    assert kpi_stats["v1_kpi_total"]["Metric"]["Namespace"] == "launchpad/Business"
    assert kpi_stats["v1_kpi_total"]["Metric"]["MetricName"] == "HelpfulRate"
    rating = fetch_metrics(FakeCloudWatch({}), "ep", ["a"], window_minutes=5, kpi="MeanRating")
    assert rating["a"].kpi == KpiMetrics("MeanRating", squares=0.0)
    ids = [q["Id"] for q in metric_queries("ep", ["a"], 300, "p99", "MeanRating")]
    assert "v0_kpi_squares" in ids
    with pytest.raises(TrafficError, match="KPI 'Revenue': write one of"):
        fetch_metrics(FakeCloudWatch({}), "ep", ["a"], window_minutes=5, kpi="Revenue")


def test_the_decision_table_shows_the_kpi_and_its_samples():
    verdict = decide(with_kpi("a", 500, 400), with_kpi("b", 500, 340), WITH_KPI)
    table = render_decision(DecisionReport("ep", verdict, 60, "p99"))
    assert "HelpfulRate (N)" in table and "0.8000 (500)" in table and "0.6800 (500)" in table
    assert "decision: ABORT" in table


def test_kpi_options_without_kpi_are_a_usage_error():
    result = CliRunner().invoke(main, ["traffic", "churn", "--decide", "--max-kpi-decrease", "0.02"])
    assert result.exit_code == 2 and "need --kpi" in result.output
    bad = CliRunner().invoke(
        main, ["traffic", "churn", "--decide", "--kpi", "HelpfulRate", "--kpi-confidence", "1"]
    )
    assert bad.exit_code == 2 and "Invalid value for '--kpi-confidence'" in bad.output
