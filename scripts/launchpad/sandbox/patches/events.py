"""EventBridge: rules match events and deliver them to their targets; scheduled rules fire on a clock.

AWS (EventBridge User Guide, "Amazon EventBridge rules", "Creating Amazon EventBridge event patterns" and
"Event pattern comparison operators", "Amazon EventBridge targets", "Transforming target input", "Using
IAM roles for EventBridge targets", "Using resource-based policies for Amazon EventBridge" (Lambda, SNS),
"Schedule expressions for rules"; API_PutRule, API_PutTargets, API_PutEvents, API_Rule):

- An event put on a bus (``PutEvents``, or by an AWS service: S3 "Object Created", CloudWatch "Alarm State
  Change") goes to every ENABLED rule of the bus whose ``EventPattern`` matches it ("EventBridge does not
  match any events against" a DISABLED rule); moto's matcher covers the comparison operators (exact,
  prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr, ``$or``).
- Each target gets the whole event, or what its ``Input`` (a fixed JSON text), ``InputPath`` (a JSONPath
  into the event) or ``InputTransformer`` makes of it (only one of the three per target).
- Delivery as the target's principal: a Lambda function is invoked asynchronously as
  ``events.amazonaws.com``, so its resource-based policy must allow that service for the rule
  (``aws:SourceArn`` the rule, ``aws:SourceAccount`` its account); an SNS topic is published to as
  ``events.amazonaws.com`` under the topic policy (and, for a KMS-encrypted topic, the key policy); a
  CodePipeline pipeline is started (``codepipeline:StartPipelineExecution``) as the target's ``RoleArn``,
  which EventBridge assumes as ``events.amazonaws.com`` with the same source keys. A refused delivery is
  dropped (EventBridge retries, then gives up) and kept as a refusal. SQS queues, CloudWatch Logs groups
  and event buses are delivered to by moto (their resource policies are not evaluated).
- A rule with a ``ScheduleExpression`` (``rate(5 minutes)``, ``cron(0 12 * * ? *)``; default bus only) fires
  a "Scheduled Event" (source ``aws.events``, ``resources`` the rule) at each occurrence: a ``rate`` every
  period from the rule's creation, a ``cron`` (UTC; minutes hours day-of-month month day-of-week year, with
  ``,`` ``-`` ``*`` ``?`` ``/`` ``L`` ``W`` ``#``) at each matching minute.

The sandbox's clock: a scheduled rule fires on its own only on a scaled clock, real seconds per AWS second
from the rule's tag ``launchpad:sandbox:time-scale``, else ``LAUNCHPAD_SANDBOX_TIME_SCALE`` of the server
(``launchpad.deploy.timescale``), anchored when the sandbox first sees the schedule: at scale 0.01 a
``rate(5 minutes)`` rule fires every 3 real seconds, a daily cron every 14.4 minutes. At scale 0 (the
default) schedules never fire on their own. One daemon thread (``Clock``) serves every scheduled rule and
EventBridge Scheduler schedule (``patches.scheduler``), sleeping until the next one is due; a reset or the
server's end stops it. Tests fire a rule now with::

    POST /_launchpad/events/fire      {"account", "region", "rule"}   -> {"delivered": [target ARNs]}
    POST /_launchpad/events/deliver   {"account", "region", "rule", "event"?}   -> {"delivered": [...]}

(``fire``: the rule's scheduled event; ``deliver``: an event, ``event`` or a placeholder, to the rule's
targets whatever its pattern.) Refused at ``PutTargets`` (``ValidationException`` starting "launchpad
sandbox:"): targets of other services (Step Functions, ECS, Kinesis, API destinations, ...), a CodePipeline
target without ``RoleArn``, ``Input``/``InputPath`` on the targets moto delivers to, and an
``InputTemplate`` that is not JSON. Not modelled: retries and dead-letter queues of failed deliveries,
archives' replays, cross-account buses' policies.
"""

from __future__ import annotations

import calendar
import copy
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from jsonpath_ng.ext import parser as jsonpath_ext
from moto.codepipeline.exceptions import PipelineNotFoundException
from moto.core.utils import unix_time
from moto.events.exceptions import ValidationException
from moto.events.models import EventPattern, EventsBackend, Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.sns.models import sns_backends

from launchpad.deploy import timescale
from launchpad.sandbox import lifecycle, routes
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches import awslambda

log = logging.getLogger(__name__)

ROUTE = "/_launchpad/events/deliver"
FIRE_ROUTE = "/_launchpad/events/fire"
SERVICE = "events.amazonaws.com"
PREFIX = "launchpad sandbox: "
# Targets the sandbox delivers to itself, and those moto delivers to (SQS, Logs, buses, archives).
OWN_TARGETS = ("lambda", "codepipeline", "sns")
MOTO_TARGETS = ("sqs", "logs", "events")
CATCH_UP = 10  # occurrences fired at most per tick for one schedule that fell behind; later ones are skipped
_MARK = "_launchpad_events_patch"


# -- schedule expressions ------------------------------------------------------------------------------------
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^()]*)\)")
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


@dataclass(frozen=True)
class Cron:
    """An AWS cron expression: minutes hours day-of-month month day-of-week year."""

    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str  # "?" or the field, read per month (L, W)
    months: frozenset[int]
    day_of_week: str  # "?" or the field, read per month (L, #)
    years: frozenset[int]


@dataclass(frozen=True)
class Expression:
    """A schedule: ``rate`` (every ``period`` seconds), ``cron`` or ``at`` (once, a local time)."""

    text: str
    period: float | None = None
    cron: Cron | None = None
    at: datetime | None = None


def _number(token: str, names: Mapping[str, int]) -> int:
    value = names.get(token.upper()) if names else None
    if value is None and not token.isdigit():
        raise ValueError(token)
    return value if value is not None else int(token)


def _field(spec: str, low: int, high: int, names: Mapping[str, int] | None = None) -> frozenset[int]:
    """A cron field of numbers: ``*``, ``a``, ``a-b``, ``*/n``, ``a/n``, ``a-b/n``, lists of them."""
    values: set[int] = set()
    for part in spec.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, names or {}), _number(last, names or {})
        else:
            start = _number(base, names or {})
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high and step >= 1 and start <= end):
            raise ValueError(part)
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _check_day_of_month(spec: str) -> None:
    for part in spec.upper().split(","):
        if part in ("L", "LW"):
            continue
        nearest = re.fullmatch(r"(\d{1,2})W", part)
        if nearest is None:
            _field(part, 1, 31)
        elif not 1 <= int(nearest.group(1)) <= 31:
            raise ValueError(part)


def _check_day_of_week(spec: str) -> None:
    for part in spec.upper().split(","):
        special = re.fullmatch(r"(\w+)(L|#[1-5])", part)
        if part == "L":
            continue
        if special is not None and part != "L":
            _field(special.group(1), 1, 7, _DAYS)
        else:
            _field(part, 1, 7, _DAYS)


def parse_cron(fields_text: str) -> Cron:
    """``cron(...)``'s six fields (ValueError when they are not AWS's cron)."""
    fields = fields_text.split()
    if len(fields) != 6:
        raise ValueError("six fields")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):  # "If you specify a value or a * in one of the fields, you must use a ?"
        raise ValueError("day-of-month and day-of-week")
    if dom != "?":
        _check_day_of_month(dom)
    if dow != "?":
        _check_day_of_week(dow)
    return Cron(
        _field(minutes, 0, 59),
        _field(hours, 0, 23),
        dom,
        _field(month, 1, 12, _MONTHS),
        dow,
        _field(year, 1970, 2199),
    )


def parse_expression(text: str, one_time: bool = False) -> Expression:
    """A schedule expression: ``rate(...)``, ``cron(...)``, and with ``one_time`` (EventBridge Scheduler)
    ``at(...)``; ValueError when it is not one."""
    rate = _RATE.fullmatch(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):  # rate(1 minute), rate(5 minutes)
            raise ValueError(text)
        return Expression(text, period=value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.fullmatch(text)
    if cron:
        return Expression(text, cron=parse_cron(cron.group(1)))
    at = _AT.fullmatch(text) if one_time else None
    if at:
        return Expression(text, at=datetime.strptime(at.group(1), "%Y-%m-%dT%H:%M:%S"))
    raise ValueError(text)


def _dow(day: date) -> int:
    """AWS's day-of-week: 1 (SUN) to 7 (SAT)."""
    return (day.weekday() + 1) % 7 + 1


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _nearest_weekday(day: date, wanted: int) -> int:
    """``nW``: the weekday nearest to day ``wanted`` of the month, in the month."""
    wanted = min(wanted, _last_day(day))
    weekday = date(day.year, day.month, wanted).weekday()
    if weekday == 5:  # Saturday: Friday, unless that is in the month before
        return wanted - 1 if wanted > 1 else wanted + 2
    if weekday == 6:  # Sunday: Monday, unless that is in the month after
        return wanted + 1 if wanted < _last_day(day) else wanted - 2
    return wanted


def _day_of_month_matches(spec: str, day: date) -> bool:
    for part in spec.upper().split(","):
        if part == "L":
            hit = day.day == _last_day(day)
        elif part == "LW":
            hit = day.day == _nearest_weekday(day, _last_day(day))
        elif part.endswith("W"):
            hit = day.day == _nearest_weekday(day, int(part[:-1]))
        else:
            hit = day.day in _field(part, 1, 31)
        if hit:
            return True
    return False


def _day_of_week_matches(spec: str, day: date) -> bool:
    for part in spec.upper().split(","):
        if part == "L":  # Saturday, the week's last day
            hit = _dow(day) == 7
        elif part.endswith("L"):  # the last <weekday> of the month
            hit = _dow(day) == _number(part[:-1], _DAYS) and day.day + 7 > _last_day(day)
        elif "#" in part:  # the n-th <weekday> of the month
            weekday, nth = part.split("#")
            hit = _dow(day) == _number(weekday, _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
        else:
            hit = _dow(day) in _field(part, 1, 7, _DAYS)
        if hit:
            return True
    return False


def _cron_day(cron: Cron, day: date) -> bool:
    if day.year not in cron.years or day.month not in cron.months:
        return False
    if cron.day_of_month != "?":
        return _day_of_month_matches(cron.day_of_month, day)
    return _day_of_week_matches(cron.day_of_week, day)


def next_cron(cron: Cron, after: datetime, zone: tzinfo = UTC) -> datetime | None:
    """The first minute of ``cron`` (read in ``zone``) strictly after ``after``; None if there is none."""
    local = after.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = local.date()
    for _ in range(366 * 5):
        if day.year > max(cron.years):
            return None
        if _cron_day(cron, day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    if moment >= local:
                        return moment.astimezone(UTC)
        day += timedelta(days=1)
    return None


def next_occurrence(expression: Expression, after: float, anchor: float, zone: tzinfo = UTC) -> float | None:
    """The first occurrence (epoch seconds) after ``after`` of a schedule created at ``anchor``."""
    if expression.period is not None:
        periods = max(int((after - anchor) // expression.period) + 1, 1)
        return anchor + periods * expression.period
    if expression.cron is not None:
        found = next_cron(expression.cron, datetime.fromtimestamp(after, UTC), zone)
        return found.timestamp() if found is not None else None
    assert expression.at is not None
    moment = expression.at.replace(tzinfo=zone).timestamp()
    return moment if moment > after else None


# -- the clock -----------------------------------------------------------------------------------------------
Tick = Callable[[float], float | None]  # fires what is due at a real time; the next due real time, or None


@dataclass
class Timing:
    """A schedule on the sandbox's clock: anchored at a real time, ``scale`` real seconds per AWS second."""

    anchor: float
    scale: float
    last: float  # the AWS time of the last occurrence handled (the anchor at first)

    def aws(self, real: float) -> float:
        return self.anchor + (real - self.anchor) / self.scale

    def real(self, aws: float) -> float:
        return self.anchor + (aws - self.anchor) * self.scale


class Clock:
    """One daemon thread for every schedule of the sandbox: it runs each source's tick, then sleeps until the
    earliest next due time or until poked (a schedule was made, changed or deleted); nothing due, it sleeps
    until poked. A reset stops it; the next poke starts it again."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sources: list[Tick] = []
        self._thread: threading.Thread | None = None
        self._poked = False
        self._generation = 0  # a stopped thread's generation is over: it ends, whatever a new one does

    def add(self, tick: Tick) -> None:
        with self._cond:
            if tick not in self._sources:
                self._sources.append(tick)

    def poke(self) -> None:
        with self._cond:
            self._poked = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._generation,), name="schedule-clock", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            thread, self._thread = self._thread, None
            self._generation += 1
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _tick(self) -> float | None:
        due: list[float] = []
        with self._cond:
            sources = list(self._sources)
        for tick in sources:
            try:
                found = tick(time.time())
            except Exception:  # one broken schedule must not stop the others
                log.exception("schedule clock: %s failed", getattr(tick, "__qualname__", tick))
                found = None
            if found is not None:
                due.append(found)
        return min(due) if due else None

    def _run(self, generation: int) -> None:
        while True:
            with self._cond:
                if self._generation != generation:
                    return
                self._poked = False
            next_due = self._tick()
            with self._cond:
                if self._generation != generation:
                    return
                if not self._poked:
                    timeout = None if next_due is None else max(next_due - time.time(), 0.0)
                    self._cond.wait(timeout=timeout)


CLOCK = Clock()


def scale_for(tags: list[dict[str, str]]) -> float:
    """A schedule's time scale: its tag, else the server's environment, else 0 (never fires on its own)."""
    try:
        return timescale.applying(tags, os.environ)
    except timescale.TimeScaleError as bad:
        log.warning("schedule clock: %s", bad)
        return 0.0


def due_occurrences(
    timing: Timing, expression: Expression, now: float, zone: tzinfo = UTC
) -> tuple[list[float], float | None]:
    """The AWS times of the occurrences due by the real time ``now`` (at most ``CATCH_UP``; the rest are
    skipped), and the real time of the next one."""
    due: list[float] = []
    upcoming = next_occurrence(expression, timing.last, timing.anchor, zone)
    while upcoming is not None and timing.real(upcoming) <= now:
        due.append(upcoming)
        timing.last = upcoming
        if len(due) >= CATCH_UP:
            timing.last = max(timing.last, timing.aws(now))
        upcoming = next_occurrence(expression, timing.last, timing.anchor, zone)
    return due, timing.real(upcoming) if upcoming is not None else None


# -- events and target input ---------------------------------------------------------------------------------
def _seconds(moment: Any) -> float:
    """An event's time as epoch seconds."""
    if isinstance(moment, datetime):
        return moment.timestamp()
    if isinstance(moment, (int, float)):
        return float(moment)
    try:
        return datetime.strptime(str(moment), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return unix_time()


def iso(moment: Any) -> str:
    """An event's ``time``: ISO 8601 UTC, to the second."""
    if isinstance(moment, datetime):
        seconds = moment.timestamp()
    elif isinstance(moment, str) and not moment.replace(".", "", 1).isdigit():
        return moment  # already a time, as the event's producer wrote it
    else:
        seconds = float(moment)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as EventBridge hands it to a target."""
    return {
        "version": event.get("version", "0"),
        "id": event.get("id") or str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": event.get("account", ""),
        "time": iso(event.get("time") or unix_time()),
        "region": event.get("region", ""),
        "resources": list(event.get("resources") or []),
        "detail": event.get("detail") or {},
    }


def target_input(target: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    """What ``target`` receives of ``event``: Input, InputPath's value, InputTransformer's text, or it all."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        found = jsonpath_ext.parse(target["InputPath"]).find(aws_event(event))
        return json.dumps(found[0].value if found else None)
    transformer = target.get("InputTransformer")
    if transformer:
        internal = {**event, "ingestion-time": event.get("ingestion-time", unix_time())}
        parsed = EventTemplateParser.parse(
            transformer.get("InputTemplate"),
            transformer.get("InputPathsMap") or {},
            internal,  # type: ignore[arg-type]
        )
        return json.dumps(parsed)
    return json.dumps(aws_event(event))


def scheduled_event(rule: Rule, moment: float) -> dict[str, Any]:
    """The event a scheduled rule fires ("Scheduled Event", source aws.events, the rule as resource)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": moment,
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
        "ingestion-time": unix_time(),
    }


# -- targets -------------------------------------------------------------------------------------------------
def target_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 5 and parts[0] == "arn" else ""


def _refuse(target: Mapping[str, Any], message: str) -> ValidationException:
    return ValidationException(f"{PREFIX}target {target.get('Id')}: {message}")


def _check_template(target: Mapping[str, Any], transformer: Mapping[str, Any]) -> None:
    template = str(transformer.get("InputTemplate") or "")
    filled = re.sub(r"<[^<>\s]+>", "0", template)  # each placeholder as a JSON value (or inside a string)
    try:
        json.loads(filled)
    except ValueError:
        message = "InputTemplate is not a JSON template; the sandbox fills JSON templates only"
        raise _refuse(target, message) from None


def check_target(target: Mapping[str, Any]) -> None:
    """A target the sandbox can deliver to, with input it can make (ValidationException otherwise)."""
    arn, service = str(target.get("Arn", "")), target_service(str(target.get("Arn", "")))
    if service not in OWN_TARGETS + MOTO_TARGETS or ":api-destination/" in arn:
        raise _refuse(
            target,
            f"EventBridge in the sandbox delivers to Lambda functions, CodePipeline pipelines, SNS topics, "
            f"SQS queues, CloudWatch Logs log groups and event buses; {arn} is not one (not modelled)",
        )
    if service == "codepipeline" and not target.get("RoleArn"):
        raise ValidationException(f"Parameter(s) RoleArn must be specified for target: {target.get('Id')}.")
    given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
    if len(given) > 1:
        raise ValidationException(
            f"Only one of Input, InputPath, or InputTransformer can be specified for target "
            f"{target.get('Id')}."
        )
    if service in MOTO_TARGETS and {"Input", "InputPath"} & set(given):
        raise _refuse(
            target, f"Input and InputPath apply to Lambda, CodePipeline and SNS targets only, not {arn}"
        )
    if target.get("Input") is not None:
        try:
            json.loads(str(target["Input"]))
        except ValueError:
            message = (
                f"Parameter Input is not valid. Reason: target {target.get('Id')} Input is not valid JSON."
            )
            raise ValidationException(message) from None
    if target.get("InputPath"):
        try:
            jsonpath_ext.parse(str(target["InputPath"]))
        except Exception:  # jsonpath_ng raises its own and Python's errors on bad paths
            raise ValidationException(
                f"Parameter InputPath is not valid for target {target.get('Id')}."
            ) from None
    if target.get("InputTransformer"):
        _check_template(target, target["InputTransformer"])


def _lambda(rule: Rule, arn: str, payload: str) -> bool:
    """Invoke the function asynchronously as events.amazonaws.com, if its resource policy allows."""
    what = f"delivery of {rule.name} to {arn}"
    if not awslambda.function_exists(arn):
        USAGE.refuse(rule.account_id, "events", what, f"Function not found: {arn}")
        return False
    denied = awslambda.service_may_invoke(SERVICE, arn, rule.arn, rule.account_id)
    if denied is not None:
        USAGE.refuse(rule.account_id, "events", what, denied.message)
        return False
    awslambda.invoke_later(arn.split(":")[4], arn.split(":")[3], arn, payload)
    return True


def start_pipeline(account: str, region: str, name: str, trigger: str, detail: str) -> bool:
    """Start the pipeline ``name`` (the one way CodePipeline starts executions); whether it exists."""
    from launchpad.sandbox.patches import codepipeline_runs

    try:
        codepipeline_runs.start_execution(account, region, name, trigger, detail)
    except PipelineNotFoundException:
        return False
    return True


def _pipeline(rule: Rule, target: Mapping[str, Any]) -> bool:
    """Start the pipeline as the target's role, taken by EventBridge for the rule."""
    arn, role = str(target["Arn"]), str(target.get("RoleArn") or "")
    account, region, what = rule.account_id, rule.region_name, f"delivery of {rule.name} to {arn}"
    try:
        principal = acting.assume(role, SERVICE, region, rule.arn, account, "EventBridge")
    except acting.Refused as refused:
        USAGE.refuse(account, "events", what, str(refused))
        return False
    name = arn.rsplit(":", 1)[1]
    denied = acting.check(
        principal, acting.call("codepipeline", "StartPipelineExecution", {"name": name}, region)
    )
    if denied is not None:
        USAGE.refuse(account, "events", what, denied.message)
        return False
    return start_pipeline(account, region, name, "CloudWatchEvent", rule.arn)


def publish(topic_arn: str, message: str) -> bool:
    """Publish ``message`` to the topic (its subscribers get it); whether the topic exists."""
    parts = topic_arn.split(":")
    topic = sns_backends[parts[4]][parts[3]].topics.get(topic_arn) if len(parts) == 6 else None
    if topic is None:
        return False
    try:
        topic.publish(message)
    except Exception:  # a subscriber's failed delivery does not fail the publish (SNS retries, then drops it)
        log.warning("publish to %s: a delivery failed", topic_arn, exc_info=True)
    return True


def _topic(rule: Rule, arn: str, payload: str) -> bool:
    """Publish as events.amazonaws.com, if the topic policy (and its key's policy) allows."""
    service = principals.service(SERVICE, rule.account_id)
    made = acting.call("sns", "Publish", {"TopicArn": arn, "Message": payload}, arn.split(":")[3])
    denied = acting.check(service, made, acting.source(rule.arn, rule.account_id))
    if denied is not None:
        USAGE.refuse(rule.account_id, "events", f"delivery of {rule.name} to {arn}", denied.message)
        return False
    return publish(arn, payload)


def _by_moto(rule: Rule, target: Mapping[str, Any], event: dict[str, Any]) -> bool:
    """moto's own delivery of ``event`` to one SQS, Logs or bus target: the whole event (its time as moto
    reads it), or what the target's InputTransformer makes of it."""
    single = copy.copy(rule)
    single.targets = [dict(target)]
    single.event_pattern = EventPattern.load(None)
    single.state = "ENABLED"
    if target.get("InputTransformer"):
        _ORIGINAL_SEND(single, copy.deepcopy(event))  # type: ignore[arg-type]
        return True
    whole: dict[str, Any] = aws_event(event)
    whole["time"] = _seconds(event.get("time"))
    _ORIGINAL_SEND(single, whole, transform_input=False)  # type: ignore[arg-type]
    return True


def dispatch(rule: Rule, event: dict[str, Any]) -> list[str]:
    """Deliver ``event`` to each of the rule's targets; the ARNs of those that received it."""
    delivered = []
    for target in list(rule.targets):
        arn, service = str(target.get("Arn", "")), target_service(str(target.get("Arn", "")))
        try:
            if service == "lambda":
                done = _lambda(rule, arn, target_input(target, event))
            elif service == "codepipeline":
                done = _pipeline(rule, target)
            elif service == "sns":
                done = _topic(rule, arn, target_input(target, event))
            else:
                done = _by_moto(rule, target, event)
        except Exception as exc:  # a delivery that fails is dropped (EventBridge retries, then gives up)
            log.warning("delivery of %s to %s failed", rule.name, arn, exc_info=True)
            USAGE.refuse(rule.account_id, "events", f"delivery of {rule.name} to {arn}", f"{PREFIX}{exc!r}")
            done = False
        if done:
            delivered.append(arn)
    return delivered


def put_event(
    account: str,
    region: str,
    source: str,
    detail_type: str,
    detail: Mapping[str, Any],
    resources: list[str] | None = None,
    moment: float | None = None,
) -> None:
    """Put an event on the account's default bus, as an AWS service does (S3, CloudWatch)."""
    entry: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": resources or [],
    }
    if moment is not None:
        entry["Time"] = moment
    events_backends[account][region].put_events([entry])


# -- scheduled rules -----------------------------------------------------------------------------------------
_TIMINGS: dict[tuple[str, str, float], Timing] = {}
_TIMINGS_LOCK = threading.Lock()


def _rule_tags(backend: EventsBackend, rule: Rule) -> list[dict[str, str]]:
    return list(backend.tagger.list_tags_for_resource(rule.arn).get("Tags", []))


def _scheduled_rules() -> Iterator[tuple[EventsBackend, Rule]]:
    for _, regions in list(events_backends.items()):
        for _, backend in list(regions.items()):
            bus = backend.event_buses.get("default")
            for rule in list(bus.rules.values()) if bus is not None else []:
                if rule.scheduled_expression and rule.state == "ENABLED":
                    yield backend, rule


def fire_rule(rule: Rule, moment: float | None = None) -> list[str]:
    """A scheduled rule's occurrence: its scheduled event to its targets."""
    return dispatch(rule, scheduled_event(rule, moment if moment is not None else unix_time()))


def tick_rules(now: float) -> float | None:
    """Fire the scheduled rules that are due on their clocks; the real time the next one is due."""
    next_due: float | None = None
    seen = set()
    for backend, rule in _scheduled_rules():
        scale = scale_for(_rule_tags(backend, rule))
        if scale <= 0:
            continue
        key = (rule.arn, str(rule.scheduled_expression), scale)
        seen.add(key)
        with _TIMINGS_LOCK:
            timing = _TIMINGS.setdefault(key, Timing(now, scale, now))
        try:
            expression = parse_expression(str(rule.scheduled_expression))
        except ValueError:
            continue
        due, upcoming = due_occurrences(timing, expression, now)
        for moment in due:
            fire_rule(rule, moment)
        if upcoming is not None:
            next_due = upcoming if next_due is None else min(next_due, upcoming)
    with _TIMINGS_LOCK:
        for key in set(_TIMINGS) - seen:
            del _TIMINGS[key]
    return next_due


def _reset() -> None:
    CLOCK.stop()
    with _TIMINGS_LOCK:
        _TIMINGS.clear()


# -- routes --------------------------------------------------------------------------------------------------
def _rule(account: str, region: str, name: str) -> Rule:
    bus = events_backends[account][region].event_buses.get("default")
    rule = bus.rules.get(name) if bus is not None else None
    if rule is None:
        raise routes.BadRequest(f"Rule {name} does not exist on EventBus default.")
    return rule


def deliver(account: str, region: str, rule_name: str, event: Mapping[str, Any] | None = None) -> list[str]:
    """Deliver an event (``event``, or a placeholder) to each target of ``rule_name``, whatever its pattern;
    the targets that received it. A DISABLED rule delivers nothing."""
    rule = _rule(account, region, rule_name)
    if rule.state == "DISABLED":  # "EventBridge does not match any events against the rule" (API_Rule, State)
        return []
    given = dict(event or {})
    internal = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": given.get("detail-type", "launchpad sandbox delivery"),
        "source": given.get("source", "launchpad.sandbox"),
        "account": account,
        "time": unix_time(),
        "region": region,
        "resources": given.get("resources", []),
        "detail": given.get("detail", {}),
        "ingestion-time": unix_time(),
    }
    return dispatch(rule, internal)


def fire(account: str, region: str, rule_name: str) -> list[str]:
    """Fire a scheduled rule now (tests, whatever the time scale)."""
    rule = _rule(account, region, rule_name)
    if not rule.scheduled_expression:
        raise routes.BadRequest(f"Rule {rule_name} has no ScheduleExpression: put its events with PutEvents")
    if rule.state == "DISABLED":
        return []
    return fire_rule(rule)


def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "POST" or path not in (ROUTE, FIRE_ROUTE):
        return 404, {"error": "NotFound", "message": f"POST {ROUTE} or {FIRE_ROUTE}"}
    if path == FIRE_ROUTE:
        return 200, {"delivered": fire(body["account"], body["region"], body["rule"])}
    return 200, {"delivered": deliver(body["account"], body["region"], body["rule"], body.get("event"))}


# -- moto ----------------------------------------------------------------------------------------------------
_ORIGINAL_SEND = Rule.send_to_targets


def send_to_targets(self: Rule, event: Any, transform_input: bool = True) -> None:
    """An event on the rule's bus: delivered when the rule is ENABLED and its pattern matches."""
    if self.state != "ENABLED" or not self.event_pattern.matches_event(event):
        return
    dispatch(self, dict(event))


def _patch_backend() -> None:
    original_put_rule = EventsBackend.put_rule
    original_put_targets = EventsBackend.put_targets

    def put_rule(self: EventsBackend, name: str, *args: Any, **kwargs: Any) -> Rule:
        expression = kwargs.get("scheduled_expression")
        if expression:
            try:
                parse_expression(str(expression))
            except ValueError:
                raise ValidationException("Parameter ScheduleExpression is not valid.") from None
        rule = original_put_rule(self, name, *args, **kwargs)
        if rule.scheduled_expression:
            CLOCK.poke()
        return rule

    def put_targets(
        self: EventsBackend, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]
    ) -> None:
        for target in targets:
            check_target(target)
        original_put_targets(self, name, event_bus_arn, targets)

    def poking(method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(self: EventsBackend, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            CLOCK.poke()
            return result

        return wrapped

    EventsBackend.put_rule = put_rule  # type: ignore[method-assign]
    EventsBackend.put_targets = put_targets  # type: ignore[method-assign]
    for name in ("enable_rule", "disable_rule", "delete_rule", "tag_resource", "untag_resource"):
        setattr(EventsBackend, name, poking(getattr(EventsBackend, name)))


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    _patch_backend()
    CLOCK.add(tick_rules)
    lifecycle.on_reset(_reset)
    routes.add(ROUTE, _route)
    routes.add(FIRE_ROUTE, _route)
    setattr(routes, _MARK, True)
