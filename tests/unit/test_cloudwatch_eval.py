"""The sandbox's CloudWatch alarm evaluation: statistics, the alarm clock, the state machine, the thread."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from launchpad.sandbox import cloudwatch_eval as ev
from launchpad.sandbox.cloudwatch_eval import ALARM, INSUFFICIENT, OK

T0 = datetime(2026, 1, 1, 12, 0, 0)


# -- statistics ----------------------------------------------------------------------------------------------
def samples(*values: float, sets: tuple[ev.StatisticSet, ...] = ()) -> ev.Samples:
    return ev.Samples(list(values), list(sets))


@pytest.mark.parametrize(
    ("stat", "expected"),
    [("SampleCount", 5.0), ("Sum", 21.0), ("Average", 4.2), ("Minimum", 0.5), ("Maximum", 9.0)],
)
def test_simple_statistics_count_raw_values_and_statistic_sets(stat: str, expected: float) -> None:
    period = samples(1.0, 9.0, 0.5, sets=(ev.StatisticSet(sum=10.5, minimum=2.0, maximum=6.0, count=2),))
    assert ev.statistic(stat, period) == pytest.approx(expected)


def test_a_period_without_data_has_no_datapoint() -> None:
    assert ev.statistic("Sum", samples()) is None
    assert (
        ev.statistic("p99", samples(sets=(ev.StatisticSet(1, 1, 1, 1),))) is None
    )  # sets carry no percentiles


def test_percentiles_are_nearest_rank_over_the_raw_values() -> None:
    values = samples(*[float(v) for v in range(1, 101)])  # 1 .. 100
    assert ev.statistic("p99", values) == 99.0
    assert ev.statistic("p50", values) == 50.0
    assert ev.statistic("p99.5", values) == 100.0
    assert ev.statistic("p100", values) == 100.0 and ev.statistic("p0", values) == 1.0
    assert ev.statistic("p90", samples(7.0)) == 7.0


@pytest.mark.parametrize("stat", ["tm90", "IQM", "TC(10%:90%)", "p101", "p99.999", "average"])
def test_other_extended_statistics_are_refused(stat: str) -> None:
    with pytest.raises(
        ev.Unsupported, match=f"cannot evaluate the statistic {stat.replace('(', '.').replace(')', '.')}"
    ):
        ev.percentile_of(stat)


def test_low_sample_counts_follow_the_guides_thresholds() -> None:
    # p99 needs 10 / (1 - 0.99) = 1000 samples; p50 needs 20; p10 needs 10 / 0.1 = 100.
    assert ev.too_few_samples("p99", samples(*[1.0] * 999))
    assert not ev.too_few_samples("p99", samples(*[1.0] * 1000))
    assert ev.too_few_samples("p50", samples(*[1.0] * 19)) and not ev.too_few_samples(
        "p50", samples(*[1.0] * 20)
    )
    assert ev.too_few_samples("p10", samples(*[1.0] * 99))
    assert not ev.too_few_samples("Average", samples(1.0))


# -- the clock -----------------------------------------------------------------------------------------------
def test_the_alarm_clock_scales_periods_from_the_alarms_creation() -> None:
    clock = ev.Clock(T0, scale=0.01, period=60)  # a 60 s period lasts 0.6 real seconds
    assert clock.start(1) == T0 + timedelta(seconds=0.6)
    assert clock.period_of(T0 + timedelta(seconds=0.59)) == 0
    assert clock.period_of(T0 + timedelta(seconds=1.3)) == 2
    assert clock.period_of(T0 - timedelta(seconds=0.1)) == -1  # data from before the alarm
    assert clock.last_instant(T0 + timedelta(seconds=1.79)) == 2


# -- the state machine ---------------------------------------------------------------------------------------
def rule(n: int = 3, m: int = 3, treat: str = "missing", op: str = "GreaterThanThreshold") -> ev.Rule:
    return ev.Rule(n, m, op, 1.0, treat)


def points(pattern: str) -> list[ev.Point]:
    """The guide's notation, oldest first: 0 not breaching, X breaching, - missing."""
    values = {"0": 0.0, "X": 5.0, "-": None}
    return [ev.Point(i, values[c]) for i, c in enumerate(pattern.split())]


# CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data": Datapoints to Alarm and
# Evaluation Periods 3, evaluation range 5; None is "Retain current state".
GUIDE_TABLE = [
    ("0 - X - X", {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK}),
    ("- - - - 0", {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK}),
    ("- - - - -", {"missing": INSUFFICIENT, "ignore": None, "breaching": ALARM, "notBreaching": OK}),
    ("0 X X - X", {"missing": ALARM, "ignore": ALARM, "breaching": ALARM, "notBreaching": ALARM}),
    ("- - X - -", {"missing": ALARM, "ignore": None, "breaching": ALARM, "notBreaching": OK}),
]


@pytest.mark.parametrize(("pattern", "states"), GUIDE_TABLE)
@pytest.mark.parametrize("treat", ev.TREATMENTS)
def test_missing_data_treatment_follows_the_guides_table(
    pattern: str, states: dict[str, str | None], treat: str
) -> None:
    assert rule().range == 5
    assert ev.judge(rule(treat=treat), points(pattern)).state == states[treat]


def test_m_out_of_n_counts_breaching_datapoints_among_the_most_recent_n() -> None:
    two_of_three = rule(3, 2)
    assert ev.judge(two_of_three, points("0 0 X 0 X")).state == ALARM  # need not be consecutive
    assert ev.judge(two_of_three, points("X X 0 0 X")).state == OK  # the older ones are out of the last 3
    verdict = ev.judge(two_of_three, points("X X 0 X X"))
    assert (verdict.state, verdict.breaching, [p.period for p in verdict.judged]) == (ALARM, 2, [2, 3, 4])


def test_real_datapoints_from_farther_back_are_used_before_missing_data_is() -> None:
    # Only 2 of the last 3 periods have data, but the range holds 3 real ones: no filling, treatment unused.
    verdict = ev.judge(rule(treat="breaching"), points("0 X - X X"))
    assert (verdict.state, verdict.filled, [p.period for p in verdict.judged]) == (ALARM, 0, [1, 3, 4])
    assert ev.judge(rule(treat="breaching"), points("0 0 - X X")).state == OK


def test_breaching_fills_the_fewest_missing_datapoints() -> None:
    verdict = ev.judge(rule(treat="breaching"), points("- - - X X"))
    assert (verdict.state, verdict.filled) == (ALARM, 1)


@pytest.mark.parametrize(
    ("op", "value", "breaching"),
    [("GreaterThanOrEqualToThreshold", 1.0, True), ("GreaterThanThreshold", 1.0, False),
     ("LessThanThreshold", 0.5, True), ("LessThanOrEqualToThreshold", 1.0, True),
     ("LessThanThreshold", 1.0, False)],
)  # fmt: skip
def test_static_comparison_operators(op: str, value: float, breaching: bool) -> None:
    assert ev.breaches(rule(op=op), ev.Point(0, value)) is breaching


@pytest.mark.parametrize(
    ("op", "value", "breaching"),
    [("LessThanLowerOrGreaterThanUpperThreshold", 0.0, True),
     ("LessThanLowerOrGreaterThanUpperThreshold", 11.0, True),
     ("LessThanLowerOrGreaterThanUpperThreshold", 5.0, False), ("LessThanLowerThreshold", 11.0, False),
     ("LessThanLowerThreshold", 0.0, True), ("GreaterThanUpperThreshold", 11.0, True),
     ("GreaterThanUpperThreshold", 0.0, False)],
)  # fmt: skip
def test_band_comparison_operators_judge_against_the_periods_band(
    op: str, value: float, breaching: bool
) -> None:
    band_rule = ev.Rule(1, 1, op, None)
    assert ev.breaches(band_rule, ev.Point(0, value, lower=1.0, upper=10.0)) is breaching
    assert ev.breaches(band_rule, ev.Point(0, value)) is None  # no band there: no datapoint


def test_low_sample_percentiles_keep_the_state_when_ignored_and_count_when_evaluated() -> None:
    thin = [ev.Point(i, 5.0, low_sample=True) for i in range(3)]
    assert ev.judge(ev.Rule(1, 1, "GreaterThanThreshold", 1.0, ignore_low_samples=True), thin).state is None
    assert ev.judge(ev.Rule(1, 1, "GreaterThanThreshold", 1.0), thin).state == ALARM


# -- what CloudWatch writes ----------------------------------------------------------------------------------
def stamp(period: int) -> datetime:
    return T0 + timedelta(minutes=period)


def test_reasons_in_cloudwatchs_words() -> None:
    one = ev.Rule(1, 1, "GreaterThanThreshold", 1.0)
    verdict = ev.judge(one, [ev.Point(0, 0.0), ev.Point(1, 0.0), ev.Point(2, 2.0)])
    assert ev.reason(one, verdict, OK, stamp) == (
        "Threshold Crossed: 1 datapoint [2.0 (01/01/26 12:02:00)] was greater than the threshold (1.0)."
    )
    three = rule(3, 3)
    verdict = ev.judge(three, points("0 0 X X X"))
    assert ev.reason(three, verdict, OK, stamp) == (
        "Threshold Crossed: 3 out of the last 3 datapoints [5.0 (01/01/26 12:04:00), "
        "5.0 (01/01/26 12:03:00), 5.0 (01/01/26 12:02:00)] were greater than the threshold (1.0) "
        "(minimum 3 datapoints for OK -> ALARM transition)."
    )
    verdict = ev.judge(rule(treat="notBreaching"), points("- - - - -"))
    assert ev.reason(rule(), verdict, ALARM, stamp) == (
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were "
        "treated as [NonBreaching]."
    )
    verdict = ev.judge(rule(), points("- - - - -"))
    assert ev.reason(rule(), verdict, OK, stamp) == "Insufficient Data: 3 datapoints were unknown."


def test_reason_data_is_cloudwatchs_json() -> None:
    three = rule(3, 3)
    verdict = ev.judge(
        three, [ev.Point(i, v, sample_count=2.0) for i, v in enumerate([0.0, None, 5.0, 6.0, 7.0])]
    )
    data = json.loads(ev.reason_data(three, verdict, stamp(5), stamp, "Sum", 60))
    assert data == {
        "version": "1.0",
        "queryDate": "2026-01-01T12:05:00.000+0000",
        "startDate": "2026-01-01T12:00:00.000+0000",
        "statistic": "Sum",
        "period": 60,
        "recentDatapoints": [0.0, 5.0, 6.0, 7.0],
        "threshold": 1.0,
        "evaluatedDatapoints": [
            {"timestamp": "2026-01-01T12:04:00.000+0000", "sampleCount": 2.0, "value": 7.0},
            {"timestamp": "2026-01-01T12:03:00.000+0000", "sampleCount": 2.0, "value": 6.0},
            {"timestamp": "2026-01-01T12:02:00.000+0000", "sampleCount": 2.0, "value": 5.0},
        ],
    }


# -- the thread ----------------------------------------------------------------------------------------------
def test_the_ticker_sleeps_until_due_or_woken_and_stops() -> None:
    ticked = threading.Event()
    due: list[float | None] = [None]  # nothing due: it waits for wake() without ticking again

    def tick() -> None:
        ticked.set()

    ticker = ev.Ticker(tick, lambda: due[0], "test-ticker")
    ticker.start()
    assert ticked.wait(5)
    ticked.clear()
    assert not ticked.wait(0.2) and ticker.ticks == 1  # asleep: no spinning
    due[0] = 0.05
    ticker.wake()
    assert ticked.wait(5)  # woken, then due every 0.05 s
    ticked.clear()
    assert ticked.wait(5)
    ticker.stop()
    assert not ticker.alive


def test_a_failing_tick_is_logged_and_pauses_instead_of_spinning(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[threading.Event] = [threading.Event(), threading.Event()]

    def tick() -> None:
        calls[0 if not calls[0].is_set() else 1].set()
        raise RuntimeError("boom")

    ticker = ev.Ticker(tick, lambda: 0.0, "test-failing-ticker")  # always due
    ticker.start()
    assert calls[0].wait(5)
    assert not calls[1].wait(0.2)  # paused after the failure (FAILURE_PAUSE), not ticking again at once
    ticker.stop()
    assert not ticker.alive and ticker.ticks == 1
    assert "alarm evaluation failed" in caplog.text
