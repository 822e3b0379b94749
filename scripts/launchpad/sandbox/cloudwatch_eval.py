"""CloudWatch alarm evaluation, without moto: statistics per period, the alarm's clock, its state machine.

AWS (CloudWatch User Guide, "Using Amazon CloudWatch alarms": "Alarm evaluation", "Configuring how CloudWatch
alarms treat missing data", "Percentile-based alarms and low data samples"; "CloudWatch statistics
definitions"; API Reference ``PutMetricAlarm``, ``MetricAlarm``):

- Statistics per period: ``SampleCount``, ``Average``, ``Sum``, ``Minimum``, ``Maximum`` over raw values and
  statistic sets; percentiles ``pNN`` / ``pNN.NN`` over the raw values (nearest rank; statistic sets carry no
  percentiles, as in CloudWatch). Other extended statistics (``tm90``, ``IQM``, ``TC(...)``...) are
  ``Unsupported``.
- "Evaluation Periods is the number of the most recent periods, or data points, to evaluate";
  "Datapoints to Alarm is the number of data points within the Evaluation Periods that must be breaching".
  CloudWatch retrieves more datapoints than that, the evaluation range (the guide's table: 5 for 3 evaluation
  periods; the sandbox uses N + 2): with at least N real datapoints in it, the most recent N are judged and
  the missing-data setting is not used; with none, ``missing`` gives ``INSUFFICIENT_DATA``, ``ignore`` keeps
  the state, ``breaching`` gives ``ALARM``, ``notBreaching`` ``OK``; with some, the missing ones are filled
  in as few times as possible: ``breaching`` counts them as breaching, ``notBreaching`` as not, ``ignore``
  keeps the state unless the real ones decide it whatever the missing ones were, and ``missing`` judges the
  real ones alone (ALARM when min(M, their number) of them breach), which is the sandbox's reading of the
  guide's table (``- - X - -`` is ALARM, ``- - - - 0`` is OK for ``missing``).
- ``EvaluateLowSampleCountPercentile`` ``ignore``: a percentile alarm keeps its state when a judged period
  has fewer samples than "10/(1-percentile)" (percentiles from 0.5) or "10/percentile" (below 0.5).
- The anomaly-band comparison operators judge a datapoint against the band of its period; no band there is
  no datapoint.

The clock (the sandbox's own model): each alarm has a clock that reads 0 at its creation (or last
configuration update) and runs ``scale`` real seconds per AWS second. It is evaluated at every period
boundary of that clock (instant k judges periods ..., k-2, k-1), and metric data is placed in periods by its
own timestamps on that clock. At scale 0.01 a 60 s period lasts 0.6 real seconds.

``Ticker`` is the one background thread: it sleeps on an event until the next due instant and never spins.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
SIMPLE_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
TREATMENTS = ("breaching", "notBreaching", "ignore", "missing")
BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
_OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
_PERCENTILE = re.compile(r"p(100(?:\.0{1,2})?|\d{1,2}(?:\.\d{1,2})?)", re.ASCII)
EXTRA_PERIODS = 2  # the evaluation range: EvaluationPeriods + this
FAILURE_PAUSE = 1.0  # seconds the ticker waits after a failed tick


class Unsupported(ValueError):
    """A statistic or setting the sandbox does not evaluate; the message names it."""


# -- statistics --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatisticSet:
    """A ``StatisticValues`` datum: what CloudWatch keeps of values published already aggregated."""

    sum: float
    minimum: float
    maximum: float
    count: float


@dataclass
class Samples:
    """One period's data of one metric."""

    values: list[float] = field(default_factory=list)
    sets: list[StatisticSet] = field(default_factory=list)

    @property
    def count(self) -> float:
        return len(self.values) + sum(s.count for s in self.sets)


def percentile_of(stat: str) -> float | None:
    """The percentile (0-100) of ``pNN``/``pNN.NN``, None for a simple statistic; ``Unsupported`` else."""
    if stat in SIMPLE_STATISTICS:
        return None
    found = _PERCENTILE.fullmatch(stat)
    if found is None:
        raise Unsupported(
            f"the sandbox cannot evaluate the statistic {stat} (it evaluates {', '.join(SIMPLE_STATISTICS)} "
            "and percentiles pNN or pNN.NN)"
        )
    return float(found.group(1))


def statistic(stat: str, samples: Samples) -> float | None:
    """``stat`` of one period's samples; None when the period has none (or no raw value, for a percentile)."""
    percentile = percentile_of(stat)
    if percentile is not None:
        return nearest_rank(samples.values, percentile)
    if not samples.count:
        return None
    if stat == "SampleCount":
        return samples.count
    total = math.fsum(samples.values) + math.fsum(s.sum for s in samples.sets)
    if stat == "Sum":
        return total
    if stat == "Average":
        return total / samples.count
    lows = [*samples.values, *(s.minimum for s in samples.sets)]
    highs = [*samples.values, *(s.maximum for s in samples.sets)]
    return min(lows) if stat == "Minimum" else max(highs)


def nearest_rank(values: Sequence[float], percentile: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def too_few_samples(stat: str, samples: Samples) -> bool:
    """Whether a percentile of this period is not statistically significant ("Percentile-based alarms and
    low data samples"): fewer than 10/(1-p) samples for p >= 0.5, 10/p below."""
    percentile = percentile_of(stat)
    if percentile is None or percentile in (0.0, 100.0):
        return False
    share = percentile / 100
    needed = 10 / (1 - share) if share >= 0.5 else 10 / share
    return len(samples.values) < needed


# -- the clock ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clock:
    """An alarm's clock: AWS seconds since ``origin`` (real time), ``scale`` real seconds each."""

    origin: datetime
    scale: float
    period: int  # AWS seconds

    def aws_seconds(self, when: datetime) -> float:
        return (when - self.origin).total_seconds() / self.scale

    def period_of(self, when: datetime) -> int:
        """The period a timestamp falls in: 0 is the first after ``origin``."""
        return math.floor(self.aws_seconds(when) / self.period)

    def start(self, index: int) -> datetime:
        """When period ``index`` starts (real time); instant k, which judges period k-1, is ``start(k)``."""
        return self.origin + timedelta(seconds=index * self.period * self.scale)

    def last_instant(self, until: datetime) -> int:
        """The last evaluation instant at or before ``until``."""
        return self.period_of(until)


# -- the state machine ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """What an alarm judges with."""

    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: str
    threshold: float | None
    treat_missing: str = "missing"
    ignore_low_samples: bool = False

    @property
    def range(self) -> int:
        return self.evaluation_periods + EXTRA_PERIODS


@dataclass(frozen=True)
class Point:
    """One period's datapoint of the watched series (value None: missing), with its band if any."""

    period: int
    value: float | None
    lower: float | None = None
    upper: float | None = None
    low_sample: bool = False
    sample_count: float | None = None


def breaches(rule: Rule, point: Point) -> bool | None:
    """Whether ``point`` breaches; None when it cannot be judged (no value, or no band for a band alarm)."""
    if point.value is None:
        return None
    if rule.comparison in BAND_OPERATORS:
        if point.lower is None or point.upper is None:
            return None
        low, high = point.value < point.lower, point.value > point.upper
        if rule.comparison == "LessThanLowerThreshold":
            return low
        if rule.comparison == "GreaterThanUpperThreshold":
            return high
        return low or high
    compare = _OPERATORS[rule.comparison][0]
    return compare(point.value, rule.threshold if rule.threshold is not None else 0.0)


@dataclass(frozen=True)
class Verdict:
    """One evaluation: the state it leads to (None: keep the current one), and what it judged."""

    state: str | None
    judged: tuple[Point, ...]  # the real datapoints judged, oldest first
    breaching: int
    filled: int  # missing datapoints filled in by TreatMissingData
    points: tuple[Point, ...]  # the whole evaluation range, oldest first


def judge(rule: Rule, points: Sequence[Point]) -> Verdict:
    """The evaluation of the range ``points`` (oldest first) by the guide's rules (module docstring)."""
    n, m = rule.evaluation_periods, rule.datapoints_to_alarm
    real = [p for p in points if breaches(rule, p) is not None]
    recent = real[-n:]
    count = sum(1 for p in recent if breaches(rule, p))
    everything = tuple(points)
    if rule.ignore_low_samples and any(p.low_sample for p in recent):
        return Verdict(None, tuple(recent), count, 0, everything)
    if len(real) >= n:
        return Verdict(ALARM if count >= m else OK, tuple(recent), count, 0, everything)
    need = n - len(real)
    treatment = rule.treat_missing
    state: str | None
    if not real:
        state = {"missing": INSUFFICIENT, "ignore": None, "breaching": ALARM, "notBreaching": OK}[treatment]
        return Verdict(state, (), 0, 0 if treatment in ("missing", "ignore") else need, everything)
    if treatment == "breaching":
        state = ALARM if count + need >= m else OK
    elif treatment == "notBreaching":
        state = ALARM if count >= m else OK
    elif treatment == "ignore":
        state = ALARM if count >= m else (OK if count + need < m else None)
    else:
        state = ALARM if count >= min(m, len(real)) else OK
    filled = need if treatment in ("breaching", "notBreaching") else 0
    return Verdict(state, tuple(real), count, filled, everything)


# -- what CloudWatch writes about it -------------------------------------------------------------------------
def _number(value: float) -> str:
    return repr(float(value))


def _when(stamp: datetime) -> str:
    return stamp.strftime("%d/%m/%y %H:%M:%S")


def iso(stamp: datetime) -> str:
    """CloudWatch's timestamp form in reason data and notifications: 2020-04-29T22:14:00.000+0000."""
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def reason(rule: Rule, verdict: Verdict, old: str, stamp: Callable[[int], datetime]) -> str:
    """``StateReason`` of a state change to ``verdict.state``, in CloudWatch's words."""
    new = verdict.state or old
    if not verdict.judged:
        periods = rule.evaluation_periods
        if new == INSUFFICIENT:
            return f"Insufficient Data: {_plural(periods, 'datapoint')} {_was(periods)} unknown."
        kind = "Breaching" if new == ALARM else "NonBreaching"
        return (
            f"Threshold Crossed: no datapoints were received for {_plural(periods, 'period')} and "
            f"{_plural(verdict.filled, 'missing datapoint')} {_was(verdict.filled)} treated as [{kind}]."
        )
    listed = ", ".join(
        f"{_number(p.value or 0.0)} ({_when(stamp(p.period))})" for p in reversed(verdict.judged)
    )
    count = len(verdict.judged)
    if rule.comparison in BAND_OPERATORS:
        bands = ", ".join(
            f"{_number(p.lower or 0.0)} - {_number(p.upper or 0.0)}" for p in reversed(verdict.judged)
        )
        verb = _was(count)
        where = "outside" if new == ALARM else "not outside"
        text = (
            f"Thresholds Crossed: {_plural(count, 'datapoint')} [{listed}] {verb} {where} the band [{bands}]"
        )
    else:
        words = _OPERATORS[rule.comparison][1]
        negation = "" if new == ALARM else "not "
        if count == 1:
            text = f"Threshold Crossed: 1 datapoint [{listed}] was {negation}{words} the threshold"
        else:
            shown = verdict.breaching if new == ALARM else count - verdict.breaching
            text = (
                f"Threshold Crossed: {shown} out of the last {count} datapoints [{listed}] were "
                f"{negation}{words} the threshold"
            )
        text = f"{text} ({_number(rule.threshold or 0.0)})"
    if rule.evaluation_periods > 1:
        minimum = (
            rule.datapoints_to_alarm
            if new == ALARM
            else rule.evaluation_periods - rule.datapoints_to_alarm + 1
        )
        text = f"{text} (minimum {_plural(minimum, 'datapoint')} for {old} -> {new} transition)"
    return f"{text}."


def reason_data(
    rule: Rule,
    verdict: Verdict,
    query: datetime,
    stamp: Callable[[int], datetime],
    statistic: str | None,
    period: int,
    unit: str | None = None,
) -> str:
    """``StateReasonData``: CloudWatch's JSON of an evaluation (version, queryDate, startDate, statistic,
    period, recentDatapoints, threshold, evaluatedDatapoints; bands for anomaly alarms)."""
    points = verdict.points
    data: dict[str, object] = {"version": "1.0", "queryDate": iso(query)}
    if points:
        data["startDate"] = iso(stamp(points[0].period))
    if statistic:
        data["statistic"] = statistic
    if unit:
        data["unit"] = unit
    data["period"] = period
    data["recentDatapoints"] = [p.value for p in points if p.value is not None]
    if rule.comparison in BAND_OPERATORS:
        data["recentLowerThresholds"] = [p.lower for p in points if p.value is not None]
        data["recentUpperThresholds"] = [p.upper for p in points if p.value is not None]
    else:
        data["threshold"] = rule.threshold
    evaluated = []
    for point in reversed(verdict.judged):
        entry: dict[str, object] = {"timestamp": iso(stamp(point.period))}
        if statistic and point.sample_count is not None:
            entry["sampleCount"] = float(point.sample_count)
        entry["value"] = point.value
        evaluated.append(entry)
    data["evaluatedDatapoints"] = evaluated
    return json.dumps(data)


# -- the background thread -----------------------------------------------------------------------------------
class Ticker:
    """One daemon thread that calls ``tick()`` whenever ``due()`` (seconds until the next due moment, None:
    nothing is due until someone calls ``wake()``) says so; it waits on an event, never spins."""

    def __init__(self, tick: Callable[[], None], due: Callable[[], float | None], name: str) -> None:
        self._tick = tick
        self._due = due
        self._event = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.ticks = 0

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._event.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._event.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._event.clear()
            try:
                self._tick()
            except Exception:  # the sandbox's own bug: logged, and the next tick tries again
                log.exception("alarm evaluation failed")
                self._stopping.wait(FAILURE_PAUSE)  # not a spin on a bug that repeats
            self.ticks += 1
            if self._stopping.is_set():
                return
            delay = self._due()
            if delay is None:
                self._event.wait()
            elif delay > 0:
                self._event.wait(delay)
