"""The A/B decision rules and the weights parser of `launchpad traffic`, without AWS."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from launchpad.deploy.status import read_status, render
from launchpad.deploy.traffic import (
    Decision,
    Thresholds,
    VariantMetrics,
    decide,
    fetch_metrics,
    parse_weights,
    pick_variants,
    set_weights,
)
from launchpad.errors import DeployTimeoutError, TrafficError

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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "none given"),
        ("champion", "is not VARIANT=WEIGHT"),
        ("a=ten", "a=ten: the weight is not a number"),
        ("a=-1", "a=-1: a weight must be a number of 0 or more"),
        ("a=nan", "a weight must be a number of 0 or more"),
        ("a=inf", "a weight must be a number of 0 or more"),
        ("a=1,a=2", "variant a is named twice"),
        ("a=0,b=0", "at least one weight must be above 0"),
    ],
)
def test_bad_weights_are_refused_with_a_message(text, message):
    with pytest.raises(TrafficError, match=message):
        parse_weights(text)


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
    end = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
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
