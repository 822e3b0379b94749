"""The sandbox's CloudWatch metric math: what launchpad's alarms use is evaluated per period; the rest is
refused."""

from __future__ import annotations

import statistics

import pytest

from launchpad.sandbox import cloudwatch_math as mm

# Per period: 4 requests and 1 error; no traffic; 2 requests and no error; a period with no datapoint at all.
ENV: dict[str, mm.Value] = {
    "i0": [4.0, 0.0, 2.0, None],
    "e0": [1.0, 0.0, 0.0, None],
    "i1": [1.0, None, 3.0, None],
    "e1": [1.0, None, 3.0, None],
}


def run(expression: str, env: dict[str, mm.Value] | None = None, size: int = 4) -> mm.Value:
    return mm.evaluate(mm.parse(expression), ENV if env is None else env, size)


def test_launchpads_rollback_error_rate_is_the_rate_over_all_variants_and_0_without_traffic() -> None:
    rate = run("IF((i0 + i1) > 0, 100 * (e0 + e1) / (i0 + i1), 0)")
    # Period 2: i1 is missing, so the sum is missing, and so is the rate (arithmetic on a missing value).
    assert rate == [40.0, None, 60.0, None]


def test_the_monitoring_modules_rate_fills_gaps_so_silence_is_a_rate_of_0() -> None:
    rate = run("IF(FILL(i1, 0) > 0, 100 * FILL(e1, 0) / FILL(i1, 1), 0)")
    assert rate == [100.0, 0.0, 100.0, 0.0]


def test_arithmetic_precedence_parentheses_negation_and_scalars() -> None:
    assert run("i0 - e0 * 2") == [2.0, 0.0, 2.0, None]
    assert run("(i0 - e0) * 2") == [6.0, 0.0, 4.0, None]
    assert run("-i0 + 1") == [-3.0, 1.0, -1.0, None]
    assert run("e0 / i0") == [0.25, None, 0.0, None]  # x / 0 gives no datapoint
    assert run("1.5e1") == 15.0 and run("2 * 3 + 1") == [7.0] * 4  # a constant is one value a period


@pytest.mark.parametrize(
    ("op", "expected"),
    [(">", [1.0, 0.0, 1.0, None]), ("<", [0.0, 0.0, 0.0, None]), (">=", [1.0, 1.0, 1.0, None]),
     ("<=", [0.0, 1.0, 0.0, None]), ("==", [0.0, 1.0, 0.0, None]), ("!=", [1.0, 0.0, 1.0, None])],
)  # fmt: skip
def test_comparisons_are_1_or_0_per_period(op: str, expected: list[float | None]) -> None:
    assert run(f"i0 {op} e0") == expected


def test_if_with_two_arguments_has_no_datapoint_where_the_condition_is_false() -> None:
    assert run("IF(i0 > 1, i0)") == [4.0, None, 2.0, None]


def test_array_functions_reduce_the_members_that_have_a_datapoint() -> None:
    assert run("MAX([i0, i1])") == [4.0, 0.0, 3.0, None]
    assert run("MIN([i0, i1])") == [1.0, 0.0, 2.0, None]
    assert run("SUM([i0, i1, 1])") == [6.0, 1.0, 6.0, 1.0]
    assert run("AVG([e0, e1])") == [1.0, 0.0, 1.5, None]


def test_the_anomaly_band_is_the_mean_of_the_history_plus_or_minus_width_deviations() -> None:
    history = [10.0, 12.0, 14.0, 8.0, 11.0, None, 30.0]
    band = run("ANOMALY_DETECTION_BAND(m, 2)", {"m": history}, len(history))
    assert isinstance(band, mm.Band)
    assert band.lower[:3] == [None] * 3 and band.upper[:3] == [None] * 3  # fewer than 3 datapoints before
    seen = [10.0, 12.0, 14.0, 8.0, 11.0]
    mean, spread = statistics.fmean(seen), statistics.pstdev(seen)
    assert band.lower[6] == pytest.approx(mean - 2 * spread)
    assert band.upper[6] == pytest.approx(mean + 2 * spread)  # 30 is far above: an anomaly
    narrow = run("ANOMALY_DETECTION_BAND(m)", {"m": history}, len(history))
    assert isinstance(narrow, mm.Band) and narrow.upper[6] == band.upper[6]  # 2 deviations by default


def test_the_band_looks_back_a_bounded_window() -> None:
    series: mm.Series = [100.0] * 5 + [1.0] * mm.BAND_HISTORY + [1.0]
    band = run("ANOMALY_DETECTION_BAND(m, 1)", {"m": series}, len(series))
    assert isinstance(band, mm.Band)
    assert band.lower[-1] == band.upper[-1] == 1.0  # the spikes are older than BAND_HISTORY periods


def test_references_and_evaluation_order() -> None:
    nodes = {"rate": mm.parse("100 * errors / total"), "total": mm.parse("i0 + i1")}
    assert mm.references(nodes["rate"]) == {"errors", "total"}
    assert mm.order(nodes, ["i0", "i1", "errors"]) == ["total", "rate"]
    with pytest.raises(mm.ExpressionError, match="no query of the alarm defines"):
        mm.order(nodes, ["i0", "i1"])
    with pytest.raises(mm.ExpressionError, match="refers to itself"):
        mm.order({"a": mm.parse("b + 1"), "b": mm.parse("a * 2")}, [])


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("SEARCH('{AWS/SageMaker,EndpointName} Invocations', 'Sum', 60)", "the metric math function SEARCH"),
        ("SUM(METRICS())", "the metric math function METRICS"),
        ("RATE(m1)", "the metric math function RATE"),
        ("ANOMALY_DETECTION_BAND(m1 * 2)", "ANOMALY_DETECTION_BAND(id)"),
        ('SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', "Metrics Insights queries"),
        ("FILL(m1, REPEAT)", "FILL with REPEAT or LINEAR"),
        ("IF(m1 > 1 AND m2 > 1, 1, 0)", "the logical operator AND"),
        ("m1 ^ 2", "the exponent operator ^"),
        ("MAX(m1)", "MAX of an array"),
        ("m1 + LATENCY", "LATENCY"),
    ],
)
def test_what_the_sandbox_cannot_evaluate_is_refused_by_name(expression: str, named: str) -> None:
    with pytest.raises(mm.Unsupported) as refused:
        mm.parse(expression)
    assert named in str(refused.value)


@pytest.mark.parametrize("expression", ["", "m1 +", "(m1", "IF(m1)", "m1 m2", "m1 $ 2"])
def test_malformed_expressions_are_errors(expression: str) -> None:
    with pytest.raises(mm.ExpressionError):
        mm.parse(expression)


def test_a_band_or_an_array_is_not_a_time_series() -> None:
    with pytest.raises(mm.Unsupported, match="ThresholdMetricId"):
        run("ANOMALY_DETECTION_BAND(i0) + 1")
    with pytest.raises(mm.Unsupported, match="argument of MAX"):
        run("[i0, i1] * 2")
    assert mm.uses_band(mm.parse("IF(i0 > 0, ANOMALY_DETECTION_BAND(i0), 0)"))
    assert not mm.uses_band(mm.parse("IF(i0 > 0, i0, 0)"))
