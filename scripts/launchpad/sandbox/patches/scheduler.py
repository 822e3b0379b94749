"""EventBridge Scheduler: a schedule invokes its target, as its execution role, at each of its times.

AWS (EventBridge Scheduler User Guide, "Schedule types on EventBridge Scheduler" (rate, cron and one-time
``at`` schedules, ``ScheduleExpressionTimezone``), "Configuring flexible time windows", "Set up the execution
role", "Confused deputy prevention", "Using templated targets", "Deleting a schedule after it completes";
API Reference ``CreateSchedule``, ``UpdateSchedule``, ``Target``, ``FlexibleTimeWindow``):

- At each time of its expression between ``StartDate`` and ``EndDate`` (a ``cron`` read in the schedule's
  time zone; a ``rate`` every period from the schedule's start; an ``at`` once, at that local time), an
  ENABLED schedule invokes its target; a DISABLED one does not. With a ``FLEXIBLE`` time window the
  invocation happens at a random moment within ``MaximumWindowInMinutes`` after that time.
- Scheduler assumes the target's ``RoleArn`` as ``scheduler.amazonaws.com`` (``aws:SourceArn`` the schedule
  group, ``aws:SourceAccount`` its account, as the confused-deputy page's trust policy conditions them)
  and calls the target's API with the role's permissions: Lambda ``Invoke`` (asynchronously, the target's
  ``Input`` as the event), SQS ``SendMessage`` (``SqsParameters.MessageGroupId``), SNS ``Publish``,
  CodePipeline ``StartPipelineExecution``. A refused role or call is dropped (Scheduler retries, then gives
  up) and kept as a refusal.
- Universal targets ("Using universal targets"): ``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`` calls
  that API as the role, the target's ``Input`` (JSON, the API's PascalCase request parameters) as the
  request. The sandbox models ``UNIVERSAL_TARGETS``: SageMaker ``CreateProcessingJob``
  (``sagemaker_processing`` runs the job; the role needs ``sagemaker:CreateProcessingJob`` and
  ``iam:PassRole`` on the job's role, and ``sagemaker:AddTags`` with ``Tags``); a request SageMaker refuses
  (a job name in use, ...) is dropped and kept as a refusal.
- Context attributes ("Adding context attributes in EventBridge Scheduler"): in the ``Input`` of any target,
  ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>`` (the invocation's time, e.g.
  ``2022-03-22T18:59:43Z``), ``<aws.scheduler.execution-id>`` (unique per invocation, 16 characters of
  ``[0-9a-z]``) and ``<aws.scheduler.attempt-number>`` (``1``: the sandbox does not retry) are replaced with
  their values when the schedule invokes its target; a processing job's name takes the execution id to be
  unique per run.
- ``ActionAfterCompletion: DELETE``: once a schedule has invoked its target for the last time (its ``at``
  time, or the last time before ``EndDate``), Scheduler deletes it.

On the sandbox's clock (``patches.events``: one thread for every schedule, real seconds per AWS second from
the schedule group's tag ``launchpad:sandbox:time-scale`` or ``LAUNCHPAD_SANDBOX_TIME_SCALE``; at 0, the
default, no schedule fires on its own). Tests fire a schedule now with::

    POST /_launchpad/scheduler/fire   {"account", "region", "group"?, "name"}   -> {"delivered": [target ARN]}

Refused at ``CreateSchedule``/``UpdateSchedule`` (``ValidationException``; the sandbox's own refusals start
"launchpad sandbox:"): an expression that is not ``rate``, ``cron`` or ``at``, an unknown time zone, a
flexible window without its size, targets other than the four above and ``UNIVERSAL_TARGETS`` (other
universal targets ``arn:aws:scheduler:::aws-sdk:<service>:<action>``, EventBridge, ECS, Kinesis, SageMaker
pipelines, Step Functions), a universal target whose ``Input`` is not a JSON object, ``DeadLetterConfig`` and
a customer managed ``KmsKeyArn``. Not modelled: retries (``RetryPolicy``).
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import string
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moto.core.exceptions import ServiceException
from moto.sagemaker.models import sagemaker_backends
from moto.scheduler.exceptions import ValidationException
from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule, scheduler_backends
from moto.sqs.models import sqs_backends

from launchpad.sandbox import lifecycle, routes
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches import awslambda, events, sagemaker_processing

log = logging.getLogger(__name__)

ROUTE = "/_launchpad/scheduler/fire"
SERVICE = "scheduler.amazonaws.com"
TARGET_SERVICES = ("lambda", "sqs", "sns", "codepipeline")
PREFIX = events.PREFIX
SEED = str(random.SystemRandom().random())  # where in flexible windows invocations fall (tests may set it)
_MARK = "_launchpad_scheduler_patch"
UNIVERSAL_PREFIX = "arn:aws:scheduler:::aws-sdk:"
# the universal targets the sandbox calls: target ARN -> (service, operation)
UNIVERSAL_TARGETS = {
    f"{UNIVERSAL_PREFIX}sagemaker:createProcessingJob": ("sagemaker", "CreateProcessingJob"),
}
CONTEXT_ATTRIBUTES = ("schedule-arn", "scheduled-time", "execution-id", "attempt-number")


# -- what a schedule may be ----------------------------------------------------------------------------------
def zone(name: str | None) -> tzinfo:
    if not name or name == "UTC":
        return UTC
    return ZoneInfo(name)


def check_schedule(params: Mapping[str, Any]) -> None:
    """CreateSchedule's and UpdateSchedule's checks (ValidationException)."""
    expression = str(params.get("schedule_expression") or "")
    try:
        events.parse_expression(expression, one_time=True)
    except ValueError:
        raise ValidationException(f"Invalid Schedule Expression {expression}.") from None
    try:
        zone(params.get("schedule_expression_timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationException(
            f"Invalid ScheduleExpressionTimezone {params.get('schedule_expression_timezone')}."
        ) from None
    window = params.get("flexible_time_window") or {}
    if window.get("Mode") == "FLEXIBLE" and not 1 <= int(window.get("MaximumWindowInMinutes") or 0) <= 1440:
        raise ValidationException("MaximumWindowInMinutes must be between 1 and 1440 for a FLEXIBLE window.")
    if params.get("kms_key_arn"):
        raise ValidationException(f"{PREFIX}a customer managed KmsKeyArn for a schedule is not modelled")
    check_target(params.get("target") or {})


def check_target(target: Mapping[str, Any]) -> None:
    arn = str(target.get("Arn", ""))
    if arn in UNIVERSAL_TARGETS:
        try:
            request = json.loads(str(target.get("Input") or ""))
        except ValueError:
            request = None
        if not isinstance(request, dict):
            raise ValidationException(
                f"Invalid Input for the universal target {arn}: it must be a JSON object of the API's "
                "request parameters."
            )
    elif arn.startswith(UNIVERSAL_PREFIX):
        raise ValidationException(
            f"{PREFIX}the universal target {arn} is not modelled; the sandbox calls "
            f"{', '.join(UNIVERSAL_TARGETS)}, or use a templated target: a Lambda function, an SQS queue, an "
            "SNS topic or a CodePipeline pipeline"
        )
    elif events.target_service(arn) not in TARGET_SERVICES:
        raise ValidationException(
            f"{PREFIX}EventBridge Scheduler in the sandbox invokes Lambda functions, SQS queues, SNS topics "
            f"and CodePipeline pipelines; {arn} is not one (not modelled)"
        )
    if target.get("DeadLetterConfig"):
        raise ValidationException(f"{PREFIX}a schedule's DeadLetterConfig is not modelled")


# -- invoking the target -------------------------------------------------------------------------------------
def group_arn(account: str, region: str, group: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule-group/{group}"


def _as_role(
    principal: Principal, service: str, operation: str, params: Mapping[str, Any], region: str
) -> str | None:
    denied = acting.check(principal, acting.call(service, operation, params, region))
    return denied.message if denied is not None else None


def context_values(schedule_arn: str, scheduled: float) -> dict[str, str]:
    """The values of the context attributes for one invocation of a schedule at ``scheduled`` (epoch)."""
    alphabet = string.digits + string.ascii_lowercase
    return {
        "schedule-arn": schedule_arn,
        "scheduled-time": datetime.fromtimestamp(scheduled, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "execution-id": "".join(secrets.choice(alphabet) for _ in range(16)),
        "attempt-number": "1",
    }


def substitute(payload: str, values: Mapping[str, str]) -> str:
    """``payload`` with each ``<aws.scheduler.<name>>`` keyword replaced by its value."""
    for name in CONTEXT_ATTRIBUTES:
        payload = payload.replace(f"<aws.scheduler.{name}>", values[name])
    return payload


def _universal(
    principal: Principal, arn: str, account: str, region: str, payload: str
) -> tuple[bool, str | None]:
    """Call a universal target's API as the role, ``payload`` its request."""
    service, operation = UNIVERSAL_TARGETS[arn]
    params = json.loads(payload)
    refused = _as_role(principal, service, operation, params, region)
    if refused:
        return False, refused
    try:
        sagemaker_processing.create(sagemaker_backends[account][region], params)
    except ServiceException as error:  # what SageMaker answers the call: dropped, as Scheduler drops it
        return False, f"{service}:{operation} failed: {error.code}: {error.message}"
    return True, None


def _call(
    principal: Principal, target: Mapping[str, Any], account: str, region: str, payload: str
) -> tuple[bool, str | None]:
    """Call the target's API as the role: (whether it was done, why it was refused)."""
    arn = str(target["Arn"])
    if arn in UNIVERSAL_TARGETS:
        return _universal(principal, arn, account, region, payload)
    parts = arn.split(":")
    region = parts[3]
    service = events.target_service(arn)
    if service == "lambda":
        denied = awslambda.may_invoke(principal, arn)
        if denied is not None:
            return False, denied.message
        awslambda.invoke_later(parts[4], region, arn, payload)
        return True, None
    if service == "sqs":
        refused = _as_role(
            principal, "sqs", "SendMessage", {"QueueName": parts[5], "MessageBody": payload}, region
        )
        if refused:
            return False, refused
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        sqs_backends[parts[4]][region].send_message(parts[5], payload, group_id=group)
        return True, None
    if service == "sns":
        refused = _as_role(principal, "sns", "Publish", {"TopicArn": arn, "Message": payload}, region)
        return (False, refused) if refused else (events.publish(arn, payload), None)
    name = parts[5]
    refused = _as_role(principal, "codepipeline", "StartPipelineExecution", {"name": name}, region)
    if refused:
        return False, refused
    return events.start_pipeline(account, region, name, "StartPipelineExecution", principal.arn), None


def invoke_target(account: str, region: str, schedule: Schedule, scheduled: float | None = None) -> list[str]:
    """The schedule invokes its target as its role (its time ``scheduled``, epoch seconds; default now);
    [the target's ARN], or [] when refused."""
    target = schedule.target
    values = context_values(
        str(schedule.arn), datetime.now(UTC).timestamp() if scheduled is None else scheduled
    )
    payload = substitute(str(target.get("Input") or "{}"), values)
    what = f"invocation of {target.get('Arn')} by schedule {schedule.group_name}/{schedule.name}"
    try:
        principal = acting.assume(
            str(target.get("RoleArn")),
            SERVICE,
            region,
            group_arn(account, region, schedule.group_name),
            account,
            "EventBridgeScheduler",
        )
        done, refused = _call(principal, target, account, region, payload)
    except acting.Refused as refused_role:
        done, refused = False, str(refused_role)
    except Exception as exc:  # a failed invocation is dropped (Scheduler retries, then gives up)
        log.warning("%s failed", what, exc_info=True)
        done, refused = False, f"{PREFIX}{exc!r}"
    if refused:
        USAGE.refuse(account, "scheduler", what, refused)
    return [str(target["Arn"])] if done else []


def _complete(backend: EventBridgeSchedulerBackend, schedule: Schedule) -> None:
    """A schedule that will not invoke again: deleted if it says so (ActionAfterCompletion DELETE)."""
    if schedule.action_after_completion == "DELETE":
        group = backend.schedule_groups.get(schedule.group_name)
        if group is not None and schedule.name in group.schedules:
            group.delete_schedule(schedule.name)


# -- on the clock --------------------------------------------------------------------------------------------
_TIMINGS: dict[tuple[Any, ...], events.Timing] = {}
_LOCK = threading.Lock()


def _schedules() -> Iterator[tuple[str, str, EventBridgeSchedulerBackend, Schedule]]:
    for account, regions in list(scheduler_backends.items()):
        for region, backend in list(regions.items()):
            for group in list(backend.schedule_groups.values()):
                for schedule in list(group.schedules.values()):
                    if schedule.state == "ENABLED":
                        yield account, region, backend, schedule


def _epoch(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def window_delay(schedule: Schedule, occurrence: float) -> float:
    """Where (AWS seconds after its time) one invocation falls in the schedule's flexible time window: drawn
    once per occurrence."""
    window = schedule.flexible_time_window or {}
    if window.get("Mode") != "FLEXIBLE":
        return 0.0
    draw = random.Random(f"{SEED}:{schedule.arn}:{occurrence}")
    return draw.uniform(0, float(window.get("MaximumWindowInMinutes") or 0) * 60)


def _scale(backend: EventBridgeSchedulerBackend, schedule: Schedule, account: str, region: str) -> float:
    tags = backend.tagger.list_tags_for_resource(group_arn(account, region, schedule.group_name)).get(
        "Tags", []
    )
    return events.scale_for(list(tags))


def _next(schedule: Schedule, timing: events.Timing, expression: events.Expression) -> float | None:
    """The AWS time of the schedule's next invocation after the last handled one, within its dates."""
    start, end = _epoch(schedule.start_date), _epoch(schedule.end_date)
    after = max(timing.last, (start - 1) if start else timing.last)
    upcoming = events.next_occurrence(
        expression, after, timing.anchor, zone(schedule.schedule_expression_timezone)
    )
    if upcoming is None or (end is not None and upcoming > end):
        return None
    return upcoming


def tick_schedules(now: float) -> float | None:
    """Invoke the targets of the schedules that are due on their clocks; the real time the next one is."""
    next_due: float | None = None
    seen = set()
    for account, region, backend, schedule in _schedules():
        scale = _scale(backend, schedule, account, region)
        if scale <= 0:
            continue
        key = (schedule.arn, schedule.schedule_expression, schedule.schedule_expression_timezone, scale,
               str(schedule.start_date), str(schedule.end_date))  # fmt: skip
        seen.add(key)
        expression = events.parse_expression(str(schedule.schedule_expression), one_time=True)
        with _LOCK:  # a one-time schedule whose time has passed is due at once
            timing = _TIMINGS.setdefault(key, events.Timing(now, scale, 0.0 if expression.at else now))
        upcoming, fired = _next(schedule, timing, expression), 0
        while upcoming is not None and timing.real(upcoming + window_delay(schedule, upcoming)) <= now:
            timing.last, fired = upcoming, fired + 1
            invoke_target(account, region, schedule, upcoming)
            if fired >= events.CATCH_UP:  # fell behind: skip to now
                timing.last = max(timing.last, timing.aws(now))
            upcoming = _next(schedule, timing, expression)
        if upcoming is None:
            _complete(backend, schedule)
        else:
            due = timing.real(upcoming + window_delay(schedule, upcoming))
            next_due = due if next_due is None else min(next_due, due)
    with _LOCK:
        for key in set(_TIMINGS) - seen:
            del _TIMINGS[key]
    return next_due


def _reset() -> None:
    with _LOCK:
        _TIMINGS.clear()


# -- the route -----------------------------------------------------------------------------------------------
def fire(account: str, region: str, group: str, name: str) -> list[str]:
    """Invoke a schedule's target now (tests, whatever the time scale); a one-time schedule is then done."""
    backend = scheduler_backends[account][region]
    found = backend.schedule_groups.get(group)
    schedule = found.schedules.get(name) if found is not None else None
    if schedule is None:
        raise routes.BadRequest(f"Schedule {name} does not exist.")
    if schedule.state != "ENABLED":
        return []
    delivered = invoke_target(account, region, schedule)
    if str(schedule.schedule_expression).startswith("at("):
        _complete(backend, schedule)
    return delivered


def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != ROUTE:
        return 404, {"error": "NotFound", "message": f"POST {ROUTE}"}
    group = body.get("group") or "default"
    return 200, {"delivered": fire(body["account"], body["region"], group, body["name"])}


# -- moto ----------------------------------------------------------------------------------------------------
def _patch_backend() -> None:
    original_create = EventBridgeSchedulerBackend.create_schedule
    original_update = EventBridgeSchedulerBackend.update_schedule
    original_delete = EventBridgeSchedulerBackend.delete_schedule

    def create_schedule(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Schedule:
        check_schedule(kwargs)
        schedule = original_create(self, **kwargs)
        events.CLOCK.poke()
        return schedule

    def update_schedule(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Schedule:
        check_schedule(kwargs)
        schedule = original_update(self, **kwargs)
        events.CLOCK.poke()
        return schedule

    def delete_schedule(self: EventBridgeSchedulerBackend, group_name: str | None, name: str) -> None:
        original_delete(self, group_name, name)
        events.CLOCK.poke()

    EventBridgeSchedulerBackend.create_schedule = create_schedule  # type: ignore[method-assign,assignment]
    EventBridgeSchedulerBackend.update_schedule = update_schedule  # type: ignore[method-assign,assignment]
    EventBridgeSchedulerBackend.delete_schedule = delete_schedule  # type: ignore[method-assign]


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    _patch_backend()
    events.CLOCK.add(tick_schedules)
    lifecycle.on_reset(_reset)
    routes.add(ROUTE, _route)
    setattr(routes, _MARK, True)
