"""What one poll of a rollout sees: the endpoint's status and config (DescribeEndpoint) and which of its
rollback alarms are in ALARM (DescribeAlarms); at the end of a rollout, which of them entered ALARM since it
began, between polls too (DescribeAlarmHistory).

Three kinds of failure, three answers: a missing endpoint is an observation that it is gone; throttling, 5xx
and connection errors are an observation that could not be made (the rollout retries it); any other AWS error
is a ``DeployError``, because retrying AccessDenied for an hour helps nobody.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from launchpad.errors import DeployError

LOG = logging.getLogger(__name__)

# DescribeAlarms takes at most 100 names, and returns composite alarms only when asked for them.
MAX_ALARMS = 100
ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
# Error codes AWS uses for throttling and for its own transient faults (botocore's standard retry mode retries
# the same ones); any HTTP 5xx counts too.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
GONE_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
# How SageMaker's Describe* answers for a resource that does not exist (``Could not find model "<arn>"``).
MISSING_CODES = frozenset({"ValidationException", "ResourceNotFound"})


@dataclass(frozen=True)
class FiringAlarm:
    """A rollback alarm seen in the ALARM state, with CloudWatch's reason (the datapoints that breached) and
    when it entered ALARM (epoch seconds, from CloudWatch's clock), if CloudWatch said."""

    name: str
    reason: str = ""
    entered_at: float | None = None


@dataclass(frozen=True)
class Observation:
    """One poll. ``gone``: the endpoint does not exist. ``error``: this poll saw nothing (a transient AWS
    error); every other field is then empty."""

    now: float
    status: str | None = None
    config: str | None = None
    failure_reason: str | None = None
    firing: tuple[FiringAlarm, ...] = ()
    missing_alarms: tuple[str, ...] = ()
    gone: bool = False
    error: str | None = None


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def describe_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return f"{error.operation_name}: {error_code(error)}: {message}".rstrip(": ")
    return f"{type(error).__name__}: {error}"


def is_transient(error: Exception) -> bool:
    """Throttling, an AWS-side fault (5xx) or a network error: worth trying again."""
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_code(error) in TRANSIENT_CODES or status >= 500
    return False


_Answer = TypeVar("_Answer")


def described(describe: Callable[..., _Answer], **kwargs: Any) -> _Answer | None:
    """A SageMaker Describe* answer, or None when the resource does not exist; other errors are raised."""
    try:
        return describe(**kwargs)
    except ClientError as exc:
        if error_code(exc) in MISSING_CODES:
            return None
        raise


def is_endpoint_gone(error: ClientError) -> bool:
    """DescribeEndpoint's answer for an endpoint that does not exist: a ValidationException
    ``Could not find endpoint "<arn>".`` (or ResourceNotFound, as other SageMaker reads say it)."""
    code = error_code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    if code in GONE_CODES:
        return True
    return code in {"ValidationException", "ValidationError"} and "could not find endpoint" in message.lower()


def describe_alarms(cloudwatch: Any, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The alarms among ``names`` that CloudWatch knows, metric and composite, by name."""
    if not names:
        return {}
    response = cloudwatch.describe_alarms(
        AlarmNames=list(names), AlarmTypes=ALARM_TYPES, MaxRecords=MAX_ALARMS
    )
    return {
        a["AlarmName"]: a for a in [*response.get("MetricAlarms", []), *response.get("CompositeAlarms", [])]
    }


def alarm_states(cloudwatch: Any, names: Sequence[str]) -> tuple[tuple[FiringAlarm, ...], tuple[str, ...]]:
    """The alarms among ``names`` in ALARM, and the names CloudWatch does not know (guards that cannot
    fire)."""
    found = describe_alarms(cloudwatch, names)
    firing = tuple(
        FiringAlarm(name, str(found[name].get("StateReason", "")), _entered_at(found[name]))
        for name in names
        if name in found and found[name].get("StateValue") == "ALARM"
    )
    return firing, tuple(name for name in names if name not in found)


def fired_since(cloudwatch: Any, names: Sequence[str], since: datetime) -> FiringAlarm | None:
    """The first of ``names`` to enter ALARM at or after ``since``, by each alarm's history
    (DescribeAlarmHistory): an alarm can fire and clear between two polls, and SageMaker's auto-rollback still
    counts it. None when none did. Errors are answered as ``observe`` answers them: a transient one leaves an
    alarm's history unread (logged; every poll read its state), any other is a ``DeployError``."""
    fired: list[FiringAlarm] = []
    for name in names:
        try:
            pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
                AlarmName=name, AlarmTypes=ALARM_TYPES, HistoryItemType="StateUpdate", StartDate=since
            )
            items = [item for page in pages for item in page.get("AlarmHistoryItems", [])]
        except (ClientError, BotoCoreError) as exc:
            if not is_transient(exc):
                raise DeployError(
                    f"cannot read the history of rollback alarm {name}: {describe_error(exc)}. The deploying "
                    "identity needs cloudwatch:DescribeAlarmHistory on it: without it, an alarm that fired "
                    "between two polls would go unseen."
                ) from exc
            LOG.warning("the history of alarm %s was not read (%s)", name, describe_error(exc))
            continue
        fired += [alarm for alarm in (_fired(name, item) for item in items) if alarm is not None]
    return min(fired, key=lambda alarm: alarm.entered_at or 0.0, default=None)


def _fired(name: str, item: dict[str, Any]) -> FiringAlarm | None:
    """The alarm entering ALARM, if the history item says it did."""
    state, when = _new_state(item), item.get("Timestamp")
    if state.get("stateValue") != "ALARM" or not isinstance(when, datetime):
        return None
    return FiringAlarm(name, str(state.get("stateReason", "")), when.timestamp())


def _new_state(item: dict[str, Any]) -> dict[str, Any]:
    """A StateUpdate item's new state, from its HistoryData (CloudWatch's JSON ``{"newState": ...}``)."""
    try:
        state = json.loads(item.get("HistoryData") or "{}").get("newState")
    except (ValueError, AttributeError):
        return {}
    return state if isinstance(state, dict) else {}


def _entered_at(alarm: dict[str, Any]) -> float | None:
    """When the alarm entered its current state: StateTransitionedTimestamp (metric alarms on AWS), else
    StateUpdatedTimestamp (which also moves when only the reason changes, but is all some APIs return)."""
    for key in ("StateTransitionedTimestamp", "StateUpdatedTimestamp"):
        when = alarm.get(key)
        if isinstance(when, datetime):
            return when.timestamp()
    return None


def observe(
    sagemaker: Any,
    cloudwatch: Any,
    endpoint: str,
    alarm_names: Sequence[str],
    clock: Callable[[], float],
) -> Observation:
    """Describe the endpoint, then (if it exists and ``alarm_names`` is not empty) its rollback alarms."""
    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
        if not alarm_names:
            firing: tuple[FiringAlarm, ...] = ()
            missing: tuple[str, ...] = ()
        else:
            firing, missing = alarm_states(cloudwatch, alarm_names)
    except ClientError as exc:
        if exc.operation_name == "DescribeEndpoint" and is_endpoint_gone(exc):
            return Observation(now=clock(), gone=True)
        return _unobserved(exc, endpoint, clock)
    except BotoCoreError as exc:
        return _unobserved(exc, endpoint, clock)
    return Observation(
        now=clock(),
        status=described.get("EndpointStatus"),
        config=described.get("EndpointConfigName"),
        failure_reason=described.get("FailureReason"),
        firing=firing,
        missing_alarms=missing,
    )


def _unobserved(error: Exception, endpoint: str, clock: Callable[[], float]) -> Observation:
    what = describe_error(error)
    if is_transient(error):
        LOG.debug("transient error watching %s: %s", endpoint, what)
        return Observation(now=clock(), error=what)
    raise DeployError(
        f"cannot watch endpoint {endpoint}: {what}. The deploying identity needs sagemaker:DescribeEndpoint "
        f"and cloudwatch:DescribeAlarms; the endpoint may still be changing: check it with "
        f"`aws sagemaker describe-endpoint --endpoint-name {endpoint}`."
    ) from error
