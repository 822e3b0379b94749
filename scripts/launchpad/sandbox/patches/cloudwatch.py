"""CloudWatch: metric alarms are evaluated on the sandbox's clock, keep a history, and act on state changes.

AWS (CloudWatch User Guide, "Using Amazon CloudWatch alarms": "Alarm evaluation", "Configuring how CloudWatch
alarms treat missing data", "Percentile-based alarms and low data samples", "Create an alarm based on a
metric math expression", "CloudWatch anomaly detection", "Alarm events and EventBridge", "Using Amazon SNS
topics with CloudWatch alarms"; API Reference ``PutMetricAlarm``, ``DescribeAlarms``,
``DescribeAlarmHistory``, ``SetAlarmState``):

- ``PutMetricAlarm`` creates an alarm in ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm creation"); an
  update overwrites the configuration and leaves the state. AWS's own refusals, in its words:
  "Exactly one element of the metrics list should return data." (the ``ThresholdMetricId`` band aside),
  "DatapointsToAlarm must be less than or equal to EvaluationPeriods", "ComparisonOperators for ranges
  require ThresholdMetricId to be set", "Threshold and ThresholdMetricId cannot both be set", "<Parameter>
  should not be set if list of Metrics is set.". What the sandbox cannot evaluate is refused as a
  ``ValidationError`` that says so, and nothing is stored: metric math beyond ``launchpad.sandbox.
  cloudwatch_math`` (other functions, ``SEARCH``, ``METRICS()``, Metrics Insights), cross-account metrics
  (``AccountId``), extended statistics other than percentiles, metrics of different periods in one alarm,
  PromQL criteria, evaluation windows, warm-up periods and ``ActionConfiguration``, and alarm actions other
  than SNS topics (Lambda, Auto Scaling, EC2, SSM and others are not modelled). Alarms AWS services make for
  themselves (moto's Application Auto Scaling target tracking) are evaluated too; their scaling-policy
  actions are recorded as failed ``Action`` items ("the sandbox does not run alarm actions of this kind").
- Alarms are evaluated by ``launchpad.sandbox.cloudwatch_eval`` (statistics, M out of N, missing data, low
  samples, anomaly bands) at every period boundary of the alarm's clock. A state change sets ``StateValue``,
  ``StateReason``, ``StateReasonData`` (CloudWatch's JSON), ``StateUpdatedTimestamp`` and
  ``StateTransitionedTimestamp``, stamped with the instant it happened on, and adds a ``StateUpdate`` history
  item ("Alarm updated from OK to ALARM"). ``DescribeAlarmHistory`` (which moto lacks) answers the history,
  kept after an alarm is deleted, with AWS's filters and paging.
- On each state change, with ``ActionsEnabled``, CloudWatch publishes its alarm notification (JSON with
  AlarmName, NewStateValue, NewStateReason, Trigger, ...) to each SNS topic of the new state's actions, as
  ``cloudwatch.amazonaws.com`` for the alarm (``aws:SourceArn`` the alarm, ``aws:SourceAccount`` its account):
  the topic policy must allow it and, for an encrypted topic, the key policy (``kms:GenerateDataKey``,
  ``kms:Decrypt``). Each action adds an ``Action`` history item, "Successfully executed action <arn>" or
  "Failed to execute action <arn>. Received error: ..." (a refusal is also kept,
  ``/_launchpad/authz/refusals``). Every state change goes to the account's default EventBridge bus as a
  "CloudWatch Alarm State Change" event (source ``aws.cloudwatch``).
- ``SetAlarmState`` sets the state (actions and event as above); the next evaluation recomputes it ("the
  alarm returns to its actual state").

The clock (the sandbox's model, as the rollouts' ``launchpad.deploy.timescale``): an alarm's scale, in real
seconds per AWS second, is its tag ``launchpad:sandbox:time-scale`` if set (and above 0), else
``LAUNCHPAD_SANDBOX_TIME_SCALE`` of the server if above 0, else 1 (real time): at 0.01 a 60 s period lasts
0.6 s. The clock reads 0 when the alarm is created or its configuration last changed; the alarm is evaluated
at each period boundary of it, and metric data goes into periods by its timestamps on it. Evaluation is lazy
and complete: ``evaluate`` replays every instant due since the last (before ``DescribeAlarms``,
``DescribeAlarmsForMetric``, ``DescribeAlarmHistory``, ``SetAlarmState`` and the rollouts' alarm checks), and
one daemon thread does it at each due instant so actions happen even when nobody reads; it sleeps on an event
and skips alarms whose whole look-back holds no data (their next evaluations change nothing) until data comes.
Notifications and events are sent by that thread, never while a lock is held. A reset of the sandbox stops it
(a new one starts with the next alarm), and so does the server's exit. Metric data counts from the backend's
own ``PutMetricData`` store (not moto's computed service metrics); late data does not rewrite past
evaluations.

``GET /_launchpad/cloudwatch/alarms?account=..&region=..`` answers what the sandbox evaluates: each alarm's
scale, period, next instant and whether it is idle, and whether the thread runs.
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import re
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.loaders import Loader
from moto.cloudwatch.exceptions import CloudWatchException, ValidationError
from moto.cloudwatch.models import (
    Alarm,
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    Statistics,
    cloudwatch_backends,
)
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.events.models import events_backends
from moto.moto_api._internal.models import MotoAPIBackend
from moto.sns.models import sns_backends

from launchpad.deploy import timescale
from launchpad.sandbox import authz, routes
from launchpad.sandbox import cloudwatch_eval as ev
from launchpad.sandbox import cloudwatch_math as mm
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message

log = logging.getLogger(__name__)

SERVICE = "cloudwatch.amazonaws.com"
ROUTE = "/_launchpad/cloudwatch/alarms"
HISTORY_LIMIT = 10_000  # items kept per account and region (CloudWatch keeps 30 days)
EVENT_SOURCE, EVENT_DETAIL_TYPE = "aws.cloudwatch", "CloudWatch Alarm State Change"
KMS_REFUSAL = "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?", re.ASCII)
_SINGLE_METRIC = ("Namespace", "MetricName", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic")
_NOT_MODELLED = (
    "EvaluationCriteria",
    "EvaluationInterval",
    "EvaluationWindow",
    "WarmUpConfiguration",
    "ActionConfiguration",
)
_MARK = "_launchpad_cloudwatch_patch"
_LOCK = threading.RLock()  # alarms' evaluation state and history; never held while calling other services
_WATCHED: dict[tuple[str, str], CloudWatchBackend] = {}  # the backends with alarms, for the thread
_EFFECTS: deque[Effect] = deque()
_TICKER: list[ev.Ticker] = []  # the running thread, if any


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


# -- what an alarm watches, compiled once --------------------------------------------------------------------
@dataclass(frozen=True)
class MetricQuery:
    id: str
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]  # sorted (name, value): a metric is its exact dimension set
    stat: str
    unit: str | None


@dataclass(frozen=True)
class Plan:
    """An alarm as the sandbox evaluates it."""

    metrics: tuple[MetricQuery, ...]
    expressions: tuple[tuple[str, mm.Node], ...]  # in evaluation order
    watched: str  # the query whose series is judged
    band: str | None  # ThresholdMetricId
    rule: ev.Rule
    period: int

    @property
    def history(self) -> int:
        """Periods before the evaluation range the anomaly band needs."""
        return mm.BAND_HISTORY if self.band else 0

    @property
    def single(self) -> MetricQuery | None:
        return self.metrics[0] if not self.expressions and len(self.metrics) == 1 else None


def _refuse(message: str) -> ValidationError:
    return ValidationError(message)


def _returns(query: Mapping[str, Any]) -> bool:
    """``ReturnData`` (true when left out, as the API documents)."""
    value = query.get("ReturnData")
    if value is None:
        return True
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _dimensions(dimensions: Iterable[Mapping[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(d.get("Name")), str(d.get("Value"))) for d in dimensions or []))


def _dimensions_of(datum: Any) -> tuple[tuple[str, str], ...]:
    """A stored datapoint's dimension set, as ``_dimensions`` gives a request's."""
    return tuple(sorted((d.name, d.value) for d in datum.dimensions))


def _statistic(stat: str | None) -> str:
    if not stat:
        raise _refuse("You must specify either Statistic or ExtendedStatistic, but not both.")
    try:
        ev.percentile_of(stat)
    except ev.Unsupported as exc:
        raise _refuse(f"The sandbox cannot evaluate this alarm: {exc}.") from exc
    return stat


def _metric_query(query_id: str, stat_block: Mapping[str, Any]) -> tuple[MetricQuery, int]:
    metric = stat_block.get("Metric") or {}
    period = int(stat_block.get("Period") or 0)
    if not metric.get("MetricName") or not period:
        raise _refuse(f"The sandbox cannot evaluate the metric {query_id}: name its Metric and Period.")
    query = MetricQuery(
        query_id,
        str(metric.get("Namespace") or ""),
        str(metric["MetricName"]),
        _dimensions(metric.get("Dimensions")),
        _statistic(stat_block.get("Stat")),
        stat_block.get("Unit"),
    )
    return query, period


def _expression(query_id: str, text: str) -> mm.Node:
    try:
        return mm.parse(text)
    except mm.Unsupported as exc:
        raise _refuse(f"The sandbox cannot evaluate the expression of {query_id} ({text}): {exc}.") from exc
    except mm.ExpressionError as exc:
        raise _refuse(f"Invalid metric math expression {query_id} ({text}): {exc}.") from exc


def _single_plan(params: Mapping[str, Any], rule: ev.Rule) -> Plan:
    if not params.get("MetricName"):
        raise _refuse("MetricName must not be null")
    statistic, extended = params.get("Statistic"), params.get("ExtendedStatistic")
    if bool(statistic) == bool(extended):
        raise _refuse("You must specify either Statistic or ExtendedStatistic, but not both.")
    block = {
        "Metric": {k: params.get(k) for k in ("Namespace", "MetricName", "Dimensions")},
        "Period": params.get("Period"),
        "Stat": statistic or extended,
        "Unit": params.get("Unit"),
    }
    query, period = _metric_query("m1", block)
    return Plan((query,), (), "m1", None, rule, period)


def _watched(queries: list[Mapping[str, Any]], band: str | None) -> str:
    """The one query the alarm judges: AWS's rule, the ``ThresholdMetricId`` band aside."""
    watched = [str(q.get("Id")) for q in queries if _returns(q) and q.get("Id") != band]
    if len(watched) != 1:
        raise _refuse("Exactly one element of the metrics list should return data.")
    return watched[0]


def _queries(queries: list[Mapping[str, Any]]) -> tuple[list[MetricQuery], dict[str, mm.Node], int]:
    """The metrics list's metrics, its expressions by id, and the one period of its metrics."""
    metrics: list[MetricQuery] = []
    expressions: dict[str, mm.Node] = {}
    periods: set[int] = set()
    for index, query in enumerate(queries, start=1):
        query_id = str(query.get("Id") or "")
        if query_id in expressions or any(m.id == query_id for m in metrics):
            raise _refuse(f"The sandbox cannot evaluate the metrics list: the Id {query_id} is used twice.")
        if query.get("AccountId"):
            raise _refuse(
                f"The sandbox cannot evaluate cross-account alarms (Metrics.member.{index}.AccountId "
                f"{query['AccountId']}): it watches the alarm's own account only."
            )
        if bool(query.get("MetricStat")) == bool(query.get("Expression")):
            raise _refuse(f"The parameter Metrics.member.{index}.MetricStat is required.")
        if query.get("MetricStat"):
            metric, period = _metric_query(query_id, query["MetricStat"])
            metrics.append(metric)
            periods.add(period)
        else:
            expressions[query_id] = _expression(query_id, str(query["Expression"]))
    if not periods:
        raise _refuse("The sandbox cannot evaluate an alarm that watches no metric.")
    if len(periods) > 1:
        shown = ", ".join(str(p) for p in sorted(periods))
        raise _refuse(
            f"The sandbox cannot evaluate an alarm whose metrics have different periods ({shown} s)."
        )
    return metrics, expressions, periods.pop()


def _math_plan(params: Mapping[str, Any], rule: ev.Rule) -> Plan:
    for name in _SINGLE_METRIC:
        if params.get(name) not in (None, [], ""):
            raise _refuse(f"{name} should not be set if list of Metrics is set.")
    queries = list(params.get("Metrics") or [])
    band = params.get("ThresholdMetricId")
    watched = _watched(queries, band)
    metrics, expressions, period = _queries(queries)
    try:
        order = mm.order(expressions, [m.id for m in metrics])
    except mm.ExpressionError as exc:
        raise _refuse(f"Invalid metrics list: {exc}.") from exc
    _check_band_use(expressions, band, watched)
    return Plan(tuple(metrics), tuple((i, expressions[i]) for i in order), watched, band, rule, period)


def _check_band_use(expressions: Mapping[str, mm.Node], band: str | None, watched: str) -> None:
    if band is not None and not mm.is_band(expressions.get(band, mm.Number(0))):
        raise _refuse(
            f"The sandbox cannot evaluate this alarm: ThresholdMetricId {band} must name an "
            "ANOMALY_DETECTION_BAND expression of the metrics list."
        )
    for query_id, node in expressions.items():
        if query_id != band and mm.uses_band(node):
            raise _refuse(
                f"The sandbox cannot evaluate the expression of {query_id}: an ANOMALY_DETECTION_BAND can "
                "only be the alarm's ThresholdMetricId."
            )
    if watched == band:
        raise _refuse("Exactly one element of the metrics list should return data.")


def _rule(params: Mapping[str, Any]) -> ev.Rule:
    n = int(params.get("EvaluationPeriods") or 0)
    m = int(params.get("DatapointsToAlarm") or n)
    if m > n:
        raise _refuse("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
    operator = str(params.get("ComparisonOperator") or "")
    band, threshold = params.get("ThresholdMetricId"), params.get("Threshold")
    if operator in ev.BAND_OPERATORS and not band:
        raise _refuse("ComparisonOperators for ranges require ThresholdMetricId to be set")
    if band and threshold is not None:
        raise _refuse("Threshold and ThresholdMetricId cannot both be set")
    if band and operator not in ev.BAND_OPERATORS:
        raise _refuse(
            "The sandbox cannot evaluate this alarm: ThresholdMetricId goes with the anomaly-band "
            f"comparison operators ({', '.join(ev.BAND_OPERATORS)}), not {operator}."
        )
    if not band and threshold is None:
        raise _refuse("Threshold is required for alarms based on static thresholds.")
    treatment = params.get("TreatMissingData") or "missing"
    if treatment not in ev.TREATMENTS:
        raise _refuse(
            f"Option {treatment} is not supported. Supported options for parameter TreatMissingData are "
            "breaching, notBreaching, ignore and missing."
        )
    low = params.get("EvaluateLowSampleCountPercentile") or "evaluate"
    return ev.Rule(
        n, m, operator, None if threshold is None else float(threshold), treatment, low == "ignore"
    )


def plan(params: Mapping[str, Any]) -> Plan:
    """The alarm a ``PutMetricAlarm`` request describes, as the sandbox evaluates it; ``ValidationError`` in
    AWS's words for what AWS refuses, and naming what the sandbox cannot evaluate."""
    for name in _NOT_MODELLED:
        if params.get(name) not in (None, {}, ""):
            raise _refuse(f"The sandbox cannot evaluate alarms with {name}: it does not model it.")
    rule = _rule(params)
    return _math_plan(params, rule) if params.get("Metrics") else _single_plan(params, rule)


def _actions(params: Mapping[str, Any]) -> None:
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        for arn in params.get(key) or []:
            if _SNS_ARN.fullmatch(str(arn)):
                continue
            if ":lambda:" in str(arn):
                raise _refuse(
                    f"The sandbox does not run Lambda alarm actions yet ({key}: {arn}); it publishes to SNS "
                    "topics only."
                )
            raise _refuse(f"The sandbox runs SNS topic alarm actions only, not {arn} ({key}).")


def _tag_scale(tags: Iterable[Mapping[str, Any]]) -> float | None:
    """The time-scale tag among ``tags`` (None: no tag, or 0); ``ValidationError`` for a bad value."""
    for tag in tags:
        if tag.get("Key") == timescale.TIME_SCALE_TAG:
            try:
                value = timescale.parse(str(tag.get("Value", "")), f"Tag {timescale.TIME_SCALE_TAG}")
            except timescale.TimeScaleError as exc:
                raise _refuse(f"{exc}.") from exc
            return value or None
    return None


def _environment_scale() -> float | None:
    text = os.environ.get(timescale.TIME_SCALE_ENV, "").strip()
    if not text:
        return None
    try:
        return timescale.parse(text, timescale.TIME_SCALE_ENV) or None
    except timescale.TimeScaleError as exc:
        raise _refuse(f"{exc}.") from exc


def validate(params: Mapping[str, Any]) -> Plan:
    """A ``PutMetricAlarm`` request checked before anything is stored."""
    found = plan(params)
    _actions(params)
    _tag_scale(params.get("Tags") or [])
    _environment_scale()
    return found


# -- an alarm's clock and evaluation state -------------------------------------------------------------------
@dataclass
class Watch:
    """What the sandbox keeps on a moto ``Alarm`` to evaluate it."""

    plan: Plan | None
    clock: ev.Clock
    evaluated: int = 0  # the last instant judged (instant k judges the periods before k)
    idle: bool = False  # no data in its look-back: the next evaluations change nothing until data comes


@dataclass(frozen=True)
class HistoryItem:
    alarm: str
    timestamp: datetime
    kind: str  # ConfigurationUpdate | StateUpdate | Action
    summary: str
    data: str
    state: str | None = None  # the new state of a StateUpdate (or of a creation: INSUFFICIENT_DATA)

    def shown(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm,
            "AlarmType": "MetricAlarm",
            "Timestamp": self.timestamp,
            "HistoryItemType": self.kind,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


@dataclass
class Backend:
    """What the sandbox keeps on a moto ``CloudWatchBackend``: history and a metric index."""

    history: deque[HistoryItem] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    index: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    indexed: int = 0  # metric_data entries already in the index


@dataclass(frozen=True)
class Effect:
    """A state change's notifications and event, sent by the thread after the lock is released."""

    backend: CloudWatchBackend  # whose history gets the Action items (a reset orphans it: harmless)
    account: str
    region: str
    alarm: str
    alarm_arn: str
    topics: tuple[str, ...]
    notification: str
    subject: str
    event: str
    when: datetime


def _state(backend: CloudWatchBackend) -> Backend:
    found = backend.__dict__.get(_MARK)
    if found is None:
        found = backend.__dict__[_MARK] = Backend()
    return found


def _watch(alarm: Alarm) -> Watch | None:
    return alarm.__dict__.get(_MARK)


def _scale(backend: CloudWatchBackend, alarm: Alarm) -> float:
    tags = backend.tagger.get_tag_dict_for_resource(alarm.alarm_arn)
    try:
        found = _tag_scale([{"Key": k, "Value": v} for k, v in tags.items()]) or _environment_scale()
    except ValidationError:
        log.warning("alarm %s: its time scale is not a number; it runs in real time", alarm.name)
        found = None
    return found or timescale.UNSCALED


def _naive(stamp: Any) -> datetime:
    if isinstance(stamp, datetime):
        return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)
    return _naive(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")))


def params_of(alarm: Alarm) -> dict[str, Any]:
    """A stored alarm as its ``PutMetricAlarm`` request (to compile it, and for notifications)."""
    params: dict[str, Any] = {
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing_data,
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile,
        "ThresholdMetricId": alarm.threshold_metric_id,
    }
    if alarm.metric_data_queries:
        params["Metrics"] = [_query_params(q) for q in alarm.metric_data_queries]
        return params
    params.update(
        Namespace=alarm.namespace,
        MetricName=alarm.metric_name,
        Dimensions=[{"Name": d.name, "Value": d.value} for d in alarm.dimensions],
        Period=alarm.period,
        Statistic=alarm.statistic,
        ExtendedStatistic=alarm.extended_statistic,
        Unit=alarm.unit,
    )
    return params


def _query_params(query: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"Id": query.id, "ReturnData": _returns({"ReturnData": query.return_data})}
    if query.label:
        found["Label"] = query.label
    if query.expression:
        found["Expression"] = query.expression
    if query.metric_stat is not None:
        metric = query.metric_stat.metric
        found["MetricStat"] = {
            "Metric": {
                "Namespace": metric.namespace,
                "MetricName": metric.metric_name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in metric.dimensions],
            },
            "Period": int(query.metric_stat.period),
            "Stat": query.metric_stat.stat,
        }
        if query.metric_stat.unit:
            found["MetricStat"]["Unit"] = query.metric_stat.unit
    return found


def _compiled(alarm: Alarm) -> Plan | None:
    try:
        return plan(params_of(alarm))
    except ValidationError as exc:  # an alarm AWS services made for themselves (Application Auto Scaling)
        log.warning("alarm %s is not evaluated: %s", alarm.name, exc.message)
        return None


# -- evaluation ----------------------------------------------------------------------------------------------
def _index(backend: CloudWatchBackend) -> dict[tuple[str, str], list[Any]]:
    state = _state(backend)
    data = backend.metric_data
    for datum in data[state.indexed :]:
        state.index.setdefault((datum.namespace, datum.name), []).append(datum)
    state.indexed = len(data)
    return state.index


def _samples(
    index: Mapping[tuple[str, str], list[Any]], query: MetricQuery, clock: ev.Clock
) -> dict[int, ev.Samples]:
    """The query's data by period of ``clock``."""
    by_period: dict[int, ev.Samples] = {}
    for datum in index.get((query.namespace, query.name), ()):
        if query.unit and datum.unit != query.unit:
            continue
        if _dimensions_of(datum) != query.dimensions:
            continue
        samples = by_period.setdefault(clock.period_of(_naive(datum.timestamp)), ev.Samples())
        if isinstance(datum, MetricDatum):
            samples.values.append(float(datum.value))
        elif isinstance(datum, MetricAggregatedDatum):
            samples.sets.append(ev.StatisticSet(datum.sum, datum.min, datum.max, datum.sample_count))
    return by_period


@dataclass(frozen=True)
class Series:
    """An alarm's watched values over periods ``first`` .. ``first + len - 1``."""

    first: int
    points: tuple[ev.Point, ...]
    latest_data: int | None  # the last period holding any data of the alarm's metrics

    def window(self, instant: int, size: int) -> list[ev.Point]:
        start = instant - size - self.first
        return list(self.points[start : start + size])


def _series(
    plan: Plan, clock: ev.Clock, index: Mapping[tuple[str, str], list[Any]], first: int, last: int
) -> Series:
    """The watched series (and band) of ``plan`` for periods ``first`` .. ``last``."""
    size = last - first + 1
    samples = {q.id: _samples(index, q, clock) for q in plan.metrics}
    periods = [p for found in samples.values() for p in found]
    env: dict[str, mm.Value] = {}
    for query in plan.metrics:
        found = samples[query.id]
        env[query.id] = [
            ev.statistic(query.stat, found[p]) if p in found else None for p in range(first, last + 1)
        ]
    for query_id, node in plan.expressions:
        env[query_id] = mm.evaluate(node, env, size)
    values = mm.as_series(env[plan.watched], size)
    band = env.get(plan.band) if plan.band else None
    single = plan.single
    points = []
    for offset, value in enumerate(values):
        period = first + offset
        held = samples[single.id].get(period) if single else None
        points.append(
            ev.Point(
                period,
                value,
                band.lower[offset] if isinstance(band, mm.Band) else None,
                band.upper[offset] if isinstance(band, mm.Band) else None,
                bool(single and held and ev.too_few_samples(single.stat, held)),
                held.count if held else None,
            )
        )
    return Series(first, tuple(points), max(periods) if periods else None)


def _evaluate_alarm(
    backend: CloudWatchBackend, alarm: Alarm, watch: Watch, until: datetime, index: Mapping[Any, Any]
) -> None:
    last = watch.clock.last_instant(until)
    if last <= watch.evaluated or watch.plan is None:
        return
    if watch.idle:
        watch.evaluated = last
        return
    plan, first = watch.plan, watch.evaluated + 1
    series = _series(plan, watch.clock, index, first - plan.rule.range - plan.history, last - 1)
    for instant in range(first, last + 1):
        verdict = ev.judge(plan.rule, series.window(instant, plan.rule.range))
        watch.evaluated = instant
        if verdict.state is not None and verdict.state != alarm.state_value:
            _change(backend, alarm, plan, watch.clock, verdict, instant)
        look_back = instant - plan.rule.range - plan.history
        if series.latest_data is None or series.latest_data < look_back:
            watch.idle = True
            watch.evaluated = last
            return


def _change(
    backend: CloudWatchBackend, alarm: Alarm, plan: Plan, clock: ev.Clock, verdict: ev.Verdict, instant: int
) -> None:
    """The state change the evaluation at ``instant`` leads to, with CloudWatch's reason and its data."""
    when, single, state = clock.start(instant), plan.single, verdict.state or alarm.state_value
    text = ev.reason(plan.rule, verdict, alarm.state_value, clock.start)
    stat, unit = (single.stat, single.unit) if single else (None, None)
    data = ev.reason_data(plan.rule, verdict, when, clock.start, stat, plan.period, unit)
    transition(backend, alarm, state, text, data, when)


def _evaluate_backend(backend: CloudWatchBackend, until: datetime) -> None:
    index = _index(backend)
    for alarm in list(backend.alarms.values()):
        watch = _watch(alarm)
        if watch is not None:
            _evaluate_alarm(backend, alarm, watch, until, index)


def evaluate(account: str, region: str, until: datetime | None = None) -> None:
    """Evaluate every alarm of the account and region at each instant due up to ``until`` (now)."""
    backend = cloudwatch_backends[account][region]
    with _LOCK:
        _evaluate_backend(backend, until or utcnow())


# -- state changes -------------------------------------------------------------------------------------------
def _record(backend: CloudWatchBackend, item: HistoryItem) -> None:
    _state(backend).history.append(item)


def _state_json(value: str, text: str, data: str) -> dict[str, Any]:
    try:
        parsed = json.loads(data or "{}")
    except ValueError:
        parsed = data
    return {"stateValue": value, "stateReason": text, "stateReasonData": parsed}


def transition(
    backend: CloudWatchBackend, alarm: Alarm, state: str, text: str, data: str, when: datetime
) -> None:
    """Move ``alarm`` to ``state`` at ``when``: its fields, a history item, and the actions and event."""
    old = (alarm.state_value, alarm.state_reason, alarm.state_reason_data, alarm.state_updated_timestamp)
    alarm.state_value, alarm.state_reason, alarm.state_reason_data = state, text, data
    alarm.state_updated_timestamp = when
    alarm.state_transitioned_timestamp = when  # type: ignore[attr-defined]
    history = {
        "version": "1.0",
        "oldState": _state_json(*old[:3]),
        "newState": _state_json(state, text, data),
    }
    _record(
        backend,
        HistoryItem(
            alarm.name,
            when,
            "StateUpdate",
            f"Alarm updated from {old[0]} to {state}",
            json.dumps(history),
            state,
        ),
    )
    _EFFECTS.append(_effect(backend, alarm, old, when))
    _wake()


@functools.cache
def _region_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for partition in Loader().load_data("endpoints")["partitions"]:
        for region, described in partition.get("regions", {}).items():
            names[region] = described.get("description", region)
    return names


def _trigger(alarm: Alarm) -> dict[str, Any]:
    params = params_of(alarm)
    trigger: dict[str, Any] = {}
    if "Metrics" in params:
        trigger["Metrics"] = params["Metrics"]
        watch = _watch(alarm)
        trigger["Period"] = watch.plan.period if watch and watch.plan else None
    else:
        trigger.update(
            MetricName=alarm.metric_name,
            Namespace=alarm.namespace,
            StatisticType="ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            Unit=alarm.unit,
            Dimensions=[{"value": d.value, "name": d.name} for d in alarm.dimensions],
            Period=alarm.period,
        )
        if alarm.extended_statistic:
            trigger["ExtendedStatistic"] = alarm.extended_statistic
        else:
            trigger["Statistic"] = str(alarm.statistic).upper()
    trigger.update(
        EvaluationPeriods=alarm.evaluation_periods,
        DatapointsToAlarm=alarm.datapoints_to_alarm or alarm.evaluation_periods,
        ComparisonOperator=alarm.comparison_operator,
        TreatMissingData=alarm.treat_missing_data or "missing",
        EvaluateLowSampleCountPercentile=alarm.evaluate_low_sample_count_percentile or "",
    )
    if alarm.threshold_metric_id:
        trigger["ThresholdMetricId"] = alarm.threshold_metric_id
    else:
        trigger["Threshold"] = alarm.threshold
    return trigger


def _configuration(alarm: Alarm) -> dict[str, Any]:
    """The ``configuration`` of an alarm state change event."""
    metrics = []
    for query in params_of(alarm).get("Metrics") or [_single_as_query(alarm)]:
        entry: dict[str, Any] = {"id": query["Id"], "returnData": query.get("ReturnData", True)}
        if "Expression" in query:
            entry.update(expression=query["Expression"], label=query.get("Label", query["Id"]))
        else:
            stat = query["MetricStat"]
            entry["metricStat"] = {
                "metric": {
                    "dimensions": {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]},
                    "name": stat["Metric"]["MetricName"],
                    "namespace": stat["Metric"]["Namespace"],
                },
                "period": stat["Period"],
                "stat": stat["Stat"],
            }
        metrics.append(entry)
    return {"description": alarm.description or "", "metrics": metrics}


def _single_as_query(alarm: Alarm) -> dict[str, Any]:
    return {
        "Id": "m1",
        "ReturnData": True,
        "MetricStat": {
            "Metric": {
                "Namespace": alarm.namespace,
                "MetricName": alarm.metric_name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in alarm.dimensions],
            },
            "Period": alarm.period,
            "Stat": alarm.extended_statistic or alarm.statistic,
        },
    }


def _effect(backend: CloudWatchBackend, alarm: Alarm, old: tuple[Any, ...], when: datetime) -> Effect:
    region = _region_names().get(backend.region_name, backend.region_name)
    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }
    notification = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": ev.iso(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": ev.iso(when),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old[0],
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": _trigger(alarm),
    }
    detail = {
        "alarmName": alarm.name,
        "state": {
            "value": alarm.state_value,
            "reason": alarm.state_reason,
            "reasonData": alarm.state_reason_data,
            "timestamp": ev.iso(when),
        },
        "previousState": {
            "value": old[0],
            "reason": old[1],
            "reasonData": old[2],
            "timestamp": ev.iso(old[3]),
        },
        "configuration": _configuration(alarm),
    }
    topics = tuple(actions.get(alarm.state_value) or []) if alarm.actions_enabled else ()
    subject = f'{alarm.state_value}: "{alarm.name}" in {region}'
    return Effect(
        backend,
        backend.account_id,
        backend.region_name,
        alarm.name,
        alarm.alarm_arn,
        topics,
        json.dumps(notification),
        subject[:100],
        json.dumps(detail),
        when,
    )


# -- actions and events (sent by the thread, no lock held) ---------------------------------------------------
def _publish(effect: Effect, topic_arn: str) -> tuple[bool, str]:
    """Publish the notification to ``topic_arn`` as CloudWatch; (done, the message id or the error)."""
    if not _SNS_ARN.fullmatch(topic_arn):
        return False, f"the sandbox does not run alarm actions of this kind ({topic_arn})"
    parts = topic_arn.split(":")
    topic = sns_backends[parts[4]][parts[3]].topics.get(topic_arn)
    if topic is None:
        return False, f"Topic {topic_arn} does not exist"
    if authz.enabled():
        cloudwatch = principals.service(SERVICE, effect.account)
        made = acting.call(
            "sns", "Publish", {"TopicArn": topic_arn, "Message": effect.notification}, effect.region
        )
        denied = acting.check(cloudwatch, made, acting.source(effect.alarm_arn, effect.account))
        if denied is not None:
            USAGE.refuse(
                effect.account, "cloudwatch", f"alarm {effect.alarm} action {topic_arn}", denied.message
            )
            return False, KMS_REFUSAL if denied.check.action.startswith("kms:") else denied.message
    try:
        return True, topic.publish(effect.notification, subject=effect.subject)
    except Exception as exc:  # a subscriber's failed delivery: SNS retries, then drops it
        log.warning("alarm %s: publishing to %s failed", effect.alarm, topic_arn, exc_info=True)
        return False, str(exc)


def _act(effect: Effect) -> list[HistoryItem]:
    items = []
    stamp = int(effect.when.replace(tzinfo=UTC).timestamp() * 1000)
    for topic in effect.topics:
        done, said = _publish(effect, topic)
        data: dict[str, Any] = {
            "actionState": "Succeeded" if done else "Failed",
            "stateUpdateTimestamp": stamp,
            "notificationResource": topic,
        }
        if done:
            data["publishedMessage"] = {"messageId": said, "message": json.loads(effect.notification)}
            summary = f"Successfully executed action {topic}"
        else:
            data["error"] = said
            summary = f'Failed to execute action {topic}. Received error: "{said}"'
        items.append(HistoryItem(effect.alarm, utcnow(), "Action", summary, json.dumps(data)))
    return items


def _send_event(effect: Effect) -> None:
    """The state change on the account's default event bus (AWS needs no permission for it)."""
    entry = {
        "Source": EVENT_SOURCE,
        "DetailType": EVENT_DETAIL_TYPE,
        "Resources": [effect.alarm_arn],
        "Detail": effect.event,
        "Time": effect.when.replace(tzinfo=UTC).timestamp(),  # moto keeps an event's time as Unix seconds
    }
    try:
        events_backends[effect.account][effect.region].put_events([entry])
    except Exception:  # a rule's failed delivery: EventBridge retries, then drops it
        log.warning("alarm %s: the state change event failed to deliver", effect.alarm, exc_info=True)


def dispatch() -> None:
    """Send the pending notifications and events."""
    while True:
        with _LOCK:
            if not _EFFECTS:
                return
            effect = _EFFECTS.popleft()
        items = _act(effect)
        _send_event(effect)
        with _LOCK:
            for item in items:
                _record(effect.backend, item)


# -- the thread ----------------------------------------------------------------------------------------------
def _tick() -> None:
    now = utcnow()
    for backend in list(_WATCHED.values()):
        with _LOCK:
            _evaluate_backend(backend, now)
    dispatch()


def _due() -> float | None:
    with _LOCK:
        if _EFFECTS:
            return 0.0
        soonest = None
        for backend in list(_WATCHED.values()):
            for alarm in list(backend.alarms.values()):
                watch = _watch(alarm)
                if watch is None or watch.idle or watch.plan is None:
                    continue
                due = watch.clock.start(watch.evaluated + 1)
                soonest = due if soonest is None else min(soonest, due)
    return None if soonest is None else max(0.0, (soonest - utcnow()).total_seconds())


def _ensure_thread(backend: CloudWatchBackend) -> None:
    with _LOCK:
        _WATCHED[(backend.account_id, backend.region_name)] = backend
        if not _TICKER or not _TICKER[0].alive:
            ticker = ev.Ticker(_tick, _due, "launchpad-cloudwatch-alarms")
            _TICKER[:] = [ticker]
            ticker.start()
    _wake()


def _wake() -> None:
    if _TICKER:
        _TICKER[0].wake()


def stop() -> None:
    """Stop the thread and forget what it watched (a sandbox reset, the server's exit)."""
    with _LOCK:
        tickers = list(_TICKER)
        _TICKER.clear()
        _WATCHED.clear()
        _EFFECTS.clear()
    for ticker in tickers:
        ticker.stop()


# -- moto's backend ------------------------------------------------------------------------------------------
def _configuration_item(alarm: Alarm, kind: str, before: dict[str, Any] | None = None) -> HistoryItem:
    described = {"alarmName": alarm.name, "alarmArn": alarm.alarm_arn, **params_of(alarm)}
    data: dict[str, Any]
    if kind == "Create":
        data = {"type": kind, "version": "1.0", "createdAlarm": described}
    elif kind == "Update":
        data = {"type": kind, "version": "1.0", "originalAlarm": before, "updatedAlarm": described}
    else:
        data = {"type": kind, "version": "1.0", "deletedAlarm": described}
    verb = {"Create": "created", "Update": "updated", "Delete": "deleted"}[kind]
    state = ev.INSUFFICIENT if kind == "Create" else None
    return HistoryItem(
        alarm.name,
        utcnow(),
        "ConfigurationUpdate",
        f'Alarm "{alarm.name}" {verb}',
        json.dumps(data, default=str),
        state,
    )


def _after_put(backend: CloudWatchBackend, alarm: Alarm, previous: Alarm | None) -> None:
    now = utcnow()
    if previous is not None:  # "its state is left unchanged"
        for name in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp"):
            setattr(alarm, name, getattr(previous, name))
        alarm.state_transitioned_timestamp = getattr(previous, "state_transitioned_timestamp", now)  # type: ignore[attr-defined]
        before = {"alarmName": previous.name, **params_of(previous)}
        _record(backend, _configuration_item(alarm, "Update", before))
    else:
        alarm.state_value = ev.INSUFFICIENT
        alarm.state_updated_timestamp = now
        alarm.state_transitioned_timestamp = now  # type: ignore[attr-defined]
        _record(backend, _configuration_item(alarm, "Create"))
    compiled = _compiled(alarm)
    period = compiled.period if compiled else int(alarm.period or 60)
    alarm.__dict__[_MARK] = Watch(compiled, ev.Clock(now, _scale(backend, alarm), period))


def _rescale(backend: CloudWatchBackend, arn: str) -> None:
    """A tag change may change an alarm's time scale: its clock restarts now at the new scale."""
    alarm = next((a for a in backend.alarms.values() if a.alarm_arn == arn), None)
    watch = _watch(alarm) if alarm is not None else None
    if alarm is None or watch is None:
        return
    scale = _scale(backend, alarm)
    if scale != watch.clock.scale:
        now = utcnow()
        _evaluate_alarm(backend, alarm, watch, now, _index(backend))
        alarm.__dict__[_MARK] = Watch(watch.plan, ev.Clock(now, scale, watch.clock.period), idle=watch.idle)
        _wake()


def _patch_backend() -> None:
    original_put = CloudWatchBackend.put_metric_alarm
    original_delete = CloudWatchBackend.delete_alarms
    original_set = CloudWatchBackend.set_alarm_state
    original_data = CloudWatchBackend.put_metric_data
    original_tag = CloudWatchBackend.tag_resource
    original_untag = CloudWatchBackend.untag_resource
    original_statistics = CloudWatchBackend.get_metric_statistics

    def put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Alarm:
        with _LOCK:
            _evaluate_backend(self, utcnow())
            previous = self.alarms.get(name)
            alarm = original_put(self, name, *args, **kwargs)
            _after_put(self, alarm, previous)
        _ensure_thread(self)
        return alarm

    def delete_alarms(self: CloudWatchBackend, alarm_names: list[str]) -> None:
        with _LOCK:
            _evaluate_backend(self, utcnow())
            for alarm in [self.alarms[n] for n in alarm_names if n in self.alarms]:
                _record(self, _configuration_item(alarm, "Delete"))
            original_delete(self, alarm_names)

    def set_alarm_state(
        self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str
    ) -> None:
        with _LOCK:
            _evaluate_backend(self, utcnow())
            alarm = self.alarms.get(alarm_name)
            old = (alarm.state_value, alarm.state_reason, alarm.state_reason_data) if alarm else None
            original_set(self, alarm_name, reason, reason_data, state_value)
            if alarm is None or old is None:
                return
            now = alarm.state_updated_timestamp
            alarm.state_value, alarm.state_reason, alarm.state_reason_data = old
            if state_value != old[0]:
                transition(self, alarm, state_value, reason, reason_data or "{}", now)
            else:
                alarm.state_reason, alarm.state_reason_data = reason, reason_data or "{}"
            watch = _watch(alarm)
            if watch is not None:
                watch.idle = False  # the next evaluation recomputes the state
        _wake()

    def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original_data(self, namespace, metric_data)
        with _LOCK:
            now = utcnow()
            for alarm in list(self.alarms.values()):
                watch = _watch(alarm)
                if watch is not None and watch.idle:  # nothing changed before now: start judging from now
                    watch.evaluated = max(watch.evaluated, watch.clock.last_instant(now))
                    watch.idle = False
        _wake()

    def tag_resource(self: CloudWatchBackend, arn: str, tags: dict[str, str]) -> None:
        original_tag(self, arn, tags)
        with _LOCK:
            _rescale(self, arn)

    def untag_resource(self: CloudWatchBackend, arn: str, tag_keys: list[str]) -> None:
        original_untag(self, arn, tag_keys)
        with _LOCK:
            _rescale(self, arn)

    def get_metric_statistics(
        self: CloudWatchBackend,
        namespace: str,
        metric_name: str,
        start_time: datetime,
        end_time: datetime,
        period: int,
        stats: list[str],
        dimensions: list[dict[str, str]],
        unit: str | None = None,
    ) -> list[Statistics]:
        """moto's periods, holding only the metric whose dimension set is exactly ``dimensions``: "CloudWatch
        treats each unique combination of dimensions as a separate metric" (API_GetMetricStatistics), where
        moto counts a datapoint under every subset of its dimensions (SageMaker's metrics twice)."""
        wanted = _dimensions(dimensions)
        found = original_statistics(
            self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
        )
        exact = []
        for statistics in found:
            statistics.metric_data = [d for d in statistics.metric_data if _dimensions_of(d) == wanted]
            if statistics.metric_data:
                exact.append(statistics)
        return exact

    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    CloudWatchBackend.delete_alarms = delete_alarms  # type: ignore[method-assign]
    CloudWatchBackend.set_alarm_state = set_alarm_state  # type: ignore[method-assign]
    CloudWatchBackend.put_metric_data = put_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.tag_resource = tag_resource  # type: ignore[method-assign]
    CloudWatchBackend.untag_resource = untag_resource  # type: ignore[method-assign]
    CloudWatchBackend.get_metric_statistics = get_metric_statistics  # type: ignore[method-assign]


# -- the API -------------------------------------------------------------------------------------------------
def history(account: str, region: str, alarm: str | None = None) -> list[HistoryItem]:
    """The history items of the account and region (of one alarm), oldest first, after evaluating."""
    backend = cloudwatch_backends[account][region]
    with _LOCK:
        _evaluate_backend(backend, utcnow())
        items = [i for i in _state(backend).history if alarm is None or i.alarm == alarm]
    return sorted(items, key=lambda i: i.timestamp)


def timeline(account: str, region: str, alarm: str) -> list[tuple[str, datetime]]:
    """The states ``alarm`` was in, each with when it began, oldest first (from its history)."""
    backend = cloudwatch_backends[account][region]
    with _LOCK:
        items = [i for i in _state(backend).history if i.alarm == alarm and i.state is not None]
    return [(i.state, i.timestamp) for i in sorted(items, key=lambda i: i.timestamp) if i.state]


@functools.cache
def _history_input() -> Any:
    return (
        botocore.session.get_session()
        .get_service_model("cloudwatch")
        .operation_model("DescribeAlarmHistory")
        .input_shape
    )


def alarm_history_page(account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``DescribeAlarmHistory``: filters AlarmName, AlarmTypes (metric alarms when left out),
    HistoryItemType, StartDate, EndDate; ScanBy (newest first by default); MaxRecords / NextToken."""
    errors = constraint_errors(
        {k: v for k, v in params.items() if v is not None}, _history_input(), "describeAlarmHistoryInput"
    )
    if errors:
        raise _refuse(validation_message([e.replace("describeAlarmHistoryInput.", "") for e in errors]))
    items = history(account, region, params.get("AlarmName"))
    if "MetricAlarm" not in (params.get("AlarmTypes") or ["MetricAlarm"]):
        items = []
    if params.get("HistoryItemType"):
        items = [i for i in items if i.kind == params["HistoryItemType"]]
    if params.get("StartDate") is not None:
        items = [i for i in items if i.timestamp >= _naive(params["StartDate"])]
    if params.get("EndDate") is not None:
        items = [i for i in items if i.timestamp <= _naive(params["EndDate"])]
    if (params.get("ScanBy") or "TimestampDescending") == "TimestampDescending":
        items.reverse()
    token = params.get("NextToken")
    start = 0
    if token:
        if not str(token).isdigit() or int(token) > len(items):
            raise InvalidNextToken("The NextToken is invalid.")
        start = int(token)
    size = int(params.get("MaxRecords") or 100)
    page = items[start : start + size]
    answer: dict[str, Any] = {"AlarmHistoryItems": [i.shown() for i in page]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


def _patch_responses() -> None:
    original_put = CloudWatchResponse.put_metric_alarm
    original_describe = CloudWatchResponse.describe_alarms
    original_for_metric = CloudWatchResponse.describe_alarms_for_metric

    def put_metric_alarm(self: CloudWatchResponse) -> ActionResult:
        validate(self._get_params())
        return original_put(self)

    def describe_alarms(self: CloudWatchResponse) -> ActionResult:
        evaluate(self.current_account, self.region)
        return original_describe(self)

    def describe_alarms_for_metric(self: CloudWatchResponse) -> ActionResult:
        evaluate(self.current_account, self.region)
        return original_for_metric(self)

    def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
        return ActionResult(alarm_history_page(self.current_account, self.region, self._get_params()))

    CloudWatchResponse.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarms = describe_alarms  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarms_for_metric = describe_alarms_for_metric  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]


def _patch_reset() -> None:
    original_reset = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        stop()
        original_reset(self)

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]


# -- the route -----------------------------------------------------------------------------------------------
def _route(environ: Mapping[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    query = {**dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""))), **body}
    if environ.get("REQUEST_METHOD") != "GET" or not query.get("account") or not query.get("region"):
        return 400, {"error": "BadRequest", "message": f"GET {ROUTE}?account=<id>&region=<region>"}
    backend = cloudwatch_backends[query["account"]][query["region"]]
    alarms = []
    with _LOCK:
        _evaluate_backend(backend, utcnow())
        for alarm in backend.alarms.values():
            watch = _watch(alarm)
            if watch is None:
                continue
            alarms.append(
                {
                    "name": alarm.name,
                    "evaluated": watch.plan is not None,
                    "scale": watch.clock.scale,
                    "period": watch.clock.period,
                    "next": watch.clock.start(watch.evaluated + 1).isoformat() + "Z",
                    "idle": watch.idle,
                }
            )
        running = bool(_TICKER) and _TICKER[0].alive
    return 200, {"thread": "running" if running else "stopped", "alarms": alarms}


def apply() -> None:
    if getattr(CloudWatchBackend, _MARK, False):
        return
    _patch_backend()
    _patch_responses()
    _patch_reset()
    routes.add(ROUTE, _route)
    atexit.register(stop)
    setattr(CloudWatchBackend, _MARK, True)
