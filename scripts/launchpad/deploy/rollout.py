"""The wait after CreateEndpoint/UpdateEndpoint: an explicit state machine that decides whether a rollout
landed, and rolls it back when a rollback alarm fires.

``decide`` is the machine and does no I/O: the rollout's fixed facts, the current ``State`` and one
``Observation`` in; the next state, whether to issue the guard's rollback now, and at the end the ``Outcome``
and its message out. ``wait_for_rollout`` is the thin loop around it: observe, decide, act, sleep.

Phases:

- UPDATING: until the endpoint is InService on the target config.
- BAKING: InService on the target; the rollback alarms are watched ``bake_seconds`` more.
- GUARD_PENDING: a rollback alarm fired while the endpoint could not take an update (SageMaker refuses
  UpdateEndpoint unless the endpoint is InService); the rollback goes out the first poll it can.
- ROLLING_BACK: the guard called ``rollback(previous)``; waiting for the endpoint to settle on it.

Deadlines: ``timeout`` seconds for the target to reach InService; once it has, the bake window plus
``timeout`` again (an endpoint that leaves InService during the bake, for maintenance, may come back); a guard
rollback gets ``rollback_timeout`` seconds of its own from the call.

The bake window is AWS seconds; ``time_scale`` is how many real seconds one of them lasts: 1 on AWS, the
sandbox's own scale there (``launchpad.deploy.timescale``), so a rehearsal bakes as fast as the sandbox rolls
out. Timeouts and poll intervals are the caller's real seconds and are never scaled.

An alarm counts once seen in ALARM at any poll of UPDATING or BAKING, including the first: preflight should
refuse to deploy while a rollback alarm is already firing.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.deploy import watch
from launchpad.deploy.timescale import UNSCALED, at_scale
from launchpad.deploy.watch import FiringAlarm, Observation
from launchpad.errors import (
    DeployError,
    DeployTimeoutError,
    EndpointFailedError,
    EndpointGoneError,
    GuardRollbackFailedError,
    GuardRolledBackError,
    LaunchpadError,
    RollbackFailedError,
    SilentRollbackError,
)

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3600.0
DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_BAKE_SECONDS = 600.0
# A failed poll is retried after one poll interval, then twice that, and so on up to this many seconds.
MAX_POLL_BACKOFF = 120.0
MIN_SCALED_POLL = 0.1  # real seconds: the shortest poll on a time-scaled sandbox
# A refused-but-transient guard rollback is retried sooner: a bad model is serving.
ROLLBACK_BACKOFF = 1.0
MAX_ROLLBACK_BACKOFF = 30.0

IN_SERVICE = "InService"
FAILED = "Failed"
UPDATE_ROLLBACK_FAILED = "UpdateRollbackFailed"
DELETING = "Deleting"


class Outcome(str, Enum):
    """How a rollout ended. The exit codes live on the matching ``DeployError`` subclass (errors.py), the one
    place the CLI turns errors into exit codes; SUCCEEDED is 0."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLBACK_FAILED = "rollback_failed"
    SILENT_ROLLBACK = "silent_rollback"
    ROLLED_BACK_BY_GUARD = "rolled_back_by_guard"
    GUARD_ROLLBACK_FAILED = "guard_rollback_failed"
    TIMED_OUT = "timed_out"
    ENDPOINT_GONE = "endpoint_gone"

    @property
    def error(self) -> type[DeployError] | None:
        return _ERRORS.get(self)

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0


_ERRORS: dict[Outcome, type[DeployError]] = {
    Outcome.FAILED: EndpointFailedError,
    Outcome.ROLLBACK_FAILED: RollbackFailedError,
    Outcome.SILENT_ROLLBACK: SilentRollbackError,
    Outcome.ROLLED_BACK_BY_GUARD: GuardRolledBackError,
    Outcome.GUARD_ROLLBACK_FAILED: GuardRollbackFailedError,
    Outcome.TIMED_OUT: DeployTimeoutError,
    Outcome.ENDPOINT_GONE: EndpointGoneError,
}


# Outcomes that an alarm no poll saw in ALARM would change: a success becomes the guard's rollback, and
# SageMaker's own rollback gets its cause.
_CHECKED_IN_HISTORY = (Outcome.SUCCEEDED, Outcome.SILENT_ROLLBACK)


class Phase(str, Enum):
    UPDATING = "updating"
    BAKING = "baking"
    GUARD_PENDING = "guard_pending"
    ROLLING_BACK = "rolling_back"

    @property
    def watches_alarms(self) -> bool:
        """Alarms matter until one fires; after that the guard is already acting on it."""
        return self in (Phase.UPDATING, Phase.BAKING)


@dataclass(frozen=True)
class Rollout:
    """The fixed facts of one rollout: where it goes, where it came from (None on create), what guards it."""

    endpoint: str
    target: str
    previous: str | None
    alarm_names: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    bake_seconds: float = DEFAULT_BAKE_SECONDS
    rollback_timeout: float = DEFAULT_TIMEOUT
    time_scale: float = UNSCALED  # real seconds per AWS second of the bake (the sandbox's scale there)

    def __post_init__(self) -> None:
        if self.target == self.previous:
            raise ValueError(f"target and previous config are both {self.target}: nothing would change")
        waits = (self.timeout, self.rollback_timeout, self.bake_seconds, self.time_scale)
        if not all(math.isfinite(w) for w in waits):
            raise ValueError("timeouts, the bake window and the time scale must be finite numbers")
        if self.timeout <= 0 or self.rollback_timeout <= 0 or self.bake_seconds < 0 or self.time_scale < 0:
            raise ValueError("timeouts must be positive, the bake window and the time scale not negative")

    @property
    def bake_wait(self) -> float:
        """The real seconds the bake lasts: its AWS seconds at the time scale."""
        return self.bake_seconds * self.time_scale

    @property
    def at_scale(self) -> str:
        """What the bake lasts in real seconds, for people: "" on AWS, `` (3 s at the sandbox's ...)``."""
        return at_scale(self.bake_seconds, self.time_scale)
        if len(self.alarm_names) > watch.MAX_ALARMS:
            raise ValueError(f"at most {watch.MAX_ALARMS} rollback alarms (DescribeAlarms' limit)")


@dataclass(frozen=True)
class State:
    phase: Phase
    deadline: float
    bake_ends: float | None = None
    alarm: FiringAlarm | None = None
    alarm_seen_at: float | None = None
    status: str | None = None
    config: str | None = None
    error: str | None = None  # the last poll's transient AWS error, if it failed


@dataclass(frozen=True)
class Step:
    """``decide``'s answer: the next state; ``rollback``: call the guard's rollback now; ``outcome``: the
    end, with ``message``."""

    state: State
    rollback: bool = False
    outcome: Outcome | None = None
    message: str = ""


def start(rollout: Rollout, now: float) -> State:
    return State(Phase.UPDATING, deadline=now + rollout.timeout)


def decide(rollout: Rollout, state: State, seen: Observation) -> Step:
    """One step of the machine: the state after ``seen``, and what to do about it."""
    if seen.error is not None:
        return _waiting(rollout, replace(state, error=seen.error), seen.now)
    state = replace(state, status=seen.status, config=seen.config, error=None)
    if state.phase is Phase.ROLLING_BACK:
        return _rolling_back(rollout, state, seen)
    if state.alarm is None and seen.firing:
        state = replace(state, alarm=seen.firing[0], alarm_seen_at=seen.now)
    if seen.gone or seen.status == DELETING:
        return _end(state, Outcome.ENDPOINT_GONE, _gone(rollout, seen, f"while deploying {rollout.target}"))
    if seen.status == FAILED:
        return _end(state, Outcome.FAILED, _failed(rollout, seen))
    if seen.status == UPDATE_ROLLBACK_FAILED:
        return _end(state, Outcome.ROLLBACK_FAILED, _rollback_failed(rollout, seen))
    if seen.status == IN_SERVICE and seen.config != rollout.target:
        if seen.config == rollout.previous:
            return _end(state, Outcome.SILENT_ROLLBACK, _silent_rollback(rollout, state, seen))
        return _end(state, Outcome.FAILED, _changed_elsewhere(rollout, seen))
    if state.alarm is not None:
        if rollout.previous is None:
            return _end(state, Outcome.GUARD_ROLLBACK_FAILED, _nothing_to_roll_back(rollout, state))
        if seen.status == IN_SERVICE:
            rolling_back = replace(
                state, phase=Phase.ROLLING_BACK, deadline=seen.now + rollout.rollback_timeout
            )
            return Step(rolling_back, rollback=True)
        state = replace(state, phase=Phase.GUARD_PENDING)
    elif seen.status == IN_SERVICE:
        if state.bake_ends is None:
            bake_ends = seen.now + rollout.bake_wait
            state = replace(
                state, phase=Phase.BAKING, bake_ends=bake_ends, deadline=bake_ends + rollout.timeout
            )
        if seen.now >= (state.bake_ends or 0.0):
            return _end(state, Outcome.SUCCEEDED, _succeeded(rollout))
    return _waiting(rollout, state, seen.now)


def guard_refused(rollout: Rollout, state: State, error: str) -> Step:
    """The step after the guard's rollback call itself failed: the endpoint still serves the target."""
    assert state.alarm is not None and rollout.previous is not None
    return _end(
        state,
        Outcome.GUARD_ROLLBACK_FAILED,
        f"{_alarm_fired(rollout, state)}, and the guard's rollback to {rollout.previous} was refused: "
        f"{error}. {rollout.endpoint} still serves {rollout.target}: {_by_hand(rollout)}",
    )


def scaled_poll(poll_interval: float, time_scale: float) -> float:
    """The real seconds between polls: ``poll_interval`` on AWS; on a time-scaled sandbox the same number of
    AWS seconds at its scale (a 30 s poll at 0.01 is 0.3 s), never under ``MIN_SCALED_POLL``, so a rollout
    that lasts seconds there is watched as closely as AWS's minutes are."""
    if time_scale == UNSCALED:
        return poll_interval
    return max(MIN_SCALED_POLL, poll_interval * time_scale)


def poll_delay(poll_interval: float, failures: int) -> float:
    """Seconds to the next poll after ``failures`` failed polls in a row: the interval, doubling per failure
    up to ``MAX_POLL_BACKOFF`` (or the interval, if that is longer)."""
    if failures <= 0:
        return poll_interval
    return min(poll_interval * 2 ** (failures - 1), max(poll_interval, MAX_POLL_BACKOFF))


def next_wake(state: State, now: float, delay: float) -> float:
    """Seconds to sleep: ``delay``, but no later than the end of the bake or the deadline."""
    wake = state.deadline
    if state.phase is Phase.BAKING and state.bake_ends is not None and state.bake_ends > now:
        wake = min(wake, state.bake_ends)
    return max(0.0, min(delay, wake - now))


def _rolling_back(rollout: Rollout, state: State, seen: Observation) -> Step:
    if seen.gone or seen.status == DELETING:
        return _end(
            state,
            Outcome.ENDPOINT_GONE,
            _gone(rollout, seen, f"while the guard rolled it back to {rollout.previous}"),
        )
    if seen.status == IN_SERVICE and seen.config == rollout.previous:
        return _end(state, Outcome.ROLLED_BACK_BY_GUARD, _rolled_back(rollout, state))
    if seen.status == IN_SERVICE:
        return _end(
            state, Outcome.GUARD_ROLLBACK_FAILED, _unsettled(rollout, state, f"is InService on {seen.config}")
        )
    if seen.status in (FAILED, UPDATE_ROLLBACK_FAILED):
        detail = f"is {seen.status}" + (f": {_reason(seen.failure_reason)}" if seen.failure_reason else "")
        return _end(state, Outcome.GUARD_ROLLBACK_FAILED, _unsettled(rollout, state, detail))
    return _waiting(rollout, state, seen.now)


def _waiting(rollout: Rollout, state: State, now: float) -> Step:
    """Not finished: wait for the next poll, unless the phase's deadline has passed."""
    if now < state.deadline:
        return Step(state)
    last = f"{state.status or 'unknown'} on {state.config or 'unknown'}" + (
        f"; last AWS error: {state.error}" if state.error else ""
    )
    if state.phase is Phase.ROLLING_BACK:
        detail = f"did not settle within {rollout.rollback_timeout:g} s (last seen: {last})"
        return _end(state, Outcome.GUARD_ROLLBACK_FAILED, _unsettled(rollout, state, detail))
    if state.phase is Phase.GUARD_PENDING:
        message = (
            f"{_alarm_fired(rollout, state)}; SageMaker takes no UpdateEndpoint until the endpoint is "
            f"InService, and it was not by the deadline (last seen: {last}), so the guard could not roll "
            f"back. Once it is InService, {_by_hand(rollout)}"
        )
        return _end(state, Outcome.GUARD_ROLLBACK_FAILED, message)
    if state.phase is Phase.BAKING:
        what = f"left InService during the bake of {rollout.target}, not back within {rollout.timeout:g} s"
    else:
        what = f"did not reach InService on {rollout.target} within {rollout.timeout:g} s"
    return _end(
        state,
        Outcome.TIMED_OUT,
        f"endpoint {rollout.endpoint} {what} (last seen: {last}). It may still be changing and nothing "
        f"was rolled back: check `aws sagemaker describe-endpoint --endpoint-name {rollout.endpoint}`, then "
        f"deploy again or roll back.",
    )


def _end(state: State, outcome: Outcome, message: str) -> Step:
    return Step(state, outcome=outcome, message=message)


# -- messages: what happened, then what to do -------------------------------------------------------------
def _reason(text: str | None) -> str:
    """SageMaker's FailureReason, without the full stop it usually ends with (the message adds its own)."""
    return (text or "").strip().rstrip(".")


def _succeeded(rollout: Rollout) -> str:
    watched = (
        f"its rollback alarms ({', '.join(rollout.alarm_names)}) stayed out of ALARM"
        if rollout.alarm_names
        else "no rollback alarms were watched"
    )
    where = f"endpoint {rollout.endpoint} is InService on {rollout.target}"
    return f"{where}; {watched} for the {rollout.bake_seconds:g} s bake{rollout.at_scale}."


def _gone(rollout: Rollout, seen: Observation, when: str) -> str:
    what = "is being deleted" if seen.status == DELETING else "no longer exists"
    return (
        f"endpoint {rollout.endpoint} {what} ({when}); nothing is left to roll back. Find out who deleted "
        f"it, then deploy again to create it."
    )


def _failed(rollout: Rollout, seen: Observation) -> str:
    reason = _reason(seen.failure_reason) or "SageMaker gave no FailureReason"
    return (
        f"endpoint {rollout.endpoint} is Failed deploying {rollout.target}: {reason}. A Failed endpoint can "
        f"only be deleted: fix the cause (the endpoint's logs are in CloudWatch, /aws/sagemaker/Endpoints/"
        f"{rollout.endpoint}), delete the endpoint, and deploy again."
    )


def _rollback_failed(rollout: Rollout, seen: Observation) -> str:
    reason = f" ({_reason(seen.failure_reason)})" if seen.failure_reason else ""
    return (
        f"endpoint {rollout.endpoint} is UpdateRollbackFailed: the update to {rollout.target} failed and so "
        f"did SageMaker's rollback to {rollout.previous or 'the previous config'}{reason}. It serves a mix "
        f"of both configs: restore it with UpdateEndpoint to a known-good config (SageMaker guide, rolling "
        f"deployments), then deploy again."
    )


def _silent_rollback(rollout: Rollout, state: State, seen: Observation) -> str:
    cause = f" while rollback alarm {state.alarm.name} was in ALARM" if state.alarm else ""
    reason = f" ({_reason(seen.failure_reason)})" if seen.failure_reason else ""
    return (
        f"endpoint {rollout.endpoint} is back on {rollout.previous}: SageMaker rolled back the update to "
        f"{rollout.target} by itself{cause}{reason}. {rollout.target} is not serving: find the cause (the "
        f"endpoint's FailureReason, CloudWatch logs and alarms) before deploying again."
    )


def _changed_elsewhere(rollout: Rollout, seen: Observation) -> str:
    previous = f" nor the previous {rollout.previous}" if rollout.previous else ""
    return (
        f"endpoint {rollout.endpoint} is InService on {seen.config}, which is neither the target "
        f"{rollout.target}{previous}: another deployment changed it while this one ran. Find out who "
        f"deployed {seen.config} before deploying again."
    )


def _during(state: State) -> str:
    return "during the bake" if state.bake_ends is not None else "during the update"


def _alarm_fired(rollout: Rollout, state: State) -> str:
    assert state.alarm is not None
    return (
        f"rollback alarm {state.alarm.name} entered ALARM {_during(state)} of {rollout.target} on endpoint "
        f"{rollout.endpoint}"
    )


def _by_hand(rollout: Rollout) -> str:
    return (
        f"roll back by hand: aws sagemaker update-endpoint --endpoint-name {rollout.endpoint} "
        f"--endpoint-config-name {rollout.previous}"
    )


def _nothing_to_roll_back(rollout: Rollout, state: State) -> str:
    assert state.alarm is not None
    return (
        f"rollback alarm {state.alarm.name} entered ALARM {_during(state)} of the new endpoint "
        f"{rollout.endpoint}, and a new endpoint has no previous config to roll back to: it still runs "
        f"{rollout.target}. Investigate {state.alarm.name}, then delete the endpoint or deploy a fixed "
        f"config."
    )


def _rolled_back(rollout: Rollout, state: State) -> str:
    assert state.alarm is not None
    return (
        f"{_alarm_fired(rollout, state)}; launchpad rolled the endpoint back to {rollout.previous}, which is "
        f"InService again. {rollout.target} is not serving: find out why {state.alarm.name} fired before "
        f"deploying again."
    )


def _unsettled(rollout: Rollout, state: State, detail: str) -> str:
    return (
        f"{_alarm_fired(rollout, state)}; the guard rolled back to {rollout.previous}, but the endpoint "
        f"{detail}. Check it with `aws sagemaker describe-endpoint --endpoint-name {rollout.endpoint}` and, "
        f"once it is InService, {_by_hand(rollout)}"
    )


# -- the loop ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """A progress report for the CLI: ``message`` is one line for people, ``as_dict()`` one JSON event."""

    kind: str  # status | bake | alarm | rollback | retry | missing_alarms | outcome
    elapsed: float
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "elapsed_seconds": round(self.elapsed, 3),
            "message": self.message,
            **self.details,
        }


@dataclass(frozen=True)
class RolloutResult:
    """How the wait ended, with what ``make bench`` measures: mutating calls and alarm-to-rollback seconds."""

    outcome: Outcome
    message: str
    endpoint: str
    target_config: str
    previous_config: str | None
    status: str | None
    config: str | None
    alarm: str | None
    alarm_reason: str | None
    alarm_to_rollback_seconds: float | None
    mutating_calls: int
    polls: int
    seconds: float
    missing_alarms: tuple[str, ...] = ()
    time_scale: float = UNSCALED  # real seconds per AWS second of the bake: below 1 on a scaled sandbox

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    def settled_on(self, config: str) -> bool:
        """Whether the endpoint ended InService on ``config`` (the previous one, after a rollback)."""
        return self.status == IN_SERVICE and self.config == config

    def raise_for_outcome(self) -> None:
        """Raise the outcome's ``DeployError`` (its exit code, this message) unless the rollout succeeded."""
        if self.outcome.error is not None:
            raise self.outcome.error(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "exit_code": self.exit_code,
            "message": self.message,
            "endpoint": self.endpoint,
            "target_config": self.target_config,
            "previous_config": self.previous_config,
            "status": self.status,
            "config": self.config,
            "alarm": self.alarm,
            "alarm_reason": self.alarm_reason,
            "alarm_to_rollback_seconds": self.alarm_to_rollback_seconds,
            "mutating_calls": self.mutating_calls,
            "polls": self.polls,
            "seconds": self.seconds,
            "missing_alarms": list(self.missing_alarms),
            "time_scale": self.time_scale,
        }


def update_endpoint_config(sagemaker: Any, endpoint: str, config: str) -> None:
    """The guard's default rollback: UpdateEndpoint back to ``config``. No DeploymentConfig: a rollback should
    not canary, and SageMaker then replaces the fleet all at once (blue/green, no downtime)."""
    sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)


def wait_for_rollout(
    sagemaker: Any,
    cloudwatch: Any,
    endpoint: str,
    target_config: str,
    previous_config: str | None,
    alarm_names: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    bake_seconds: float = DEFAULT_BAKE_SECONDS,
    rollback: Callable[[str], object] | None = None,
    rollback_timeout: float | None = None,
    on_progress: Callable[[Event], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], float] = time.time,
    time_scale: float = UNSCALED,
) -> RolloutResult:
    """Wait until the rollout of ``target_config`` to ``endpoint`` ends, and say how; never raises for an
    outcome (``result.raise_for_outcome()`` does). Raises ``DeployError`` when it cannot watch at all.

    ``clock`` times the wait; ``wall_clock`` (epoch seconds) only measures how long after the alarm entered
    ALARM, by CloudWatch's timestamp, the guard's rollback call went out. ``time_scale``: real seconds per
    AWS second of the bake and of ``poll_interval`` (the sandbox's scale; 1 on AWS: ``scaled_poll``)."""
    if not (math.isfinite(poll_interval) and poll_interval > 0):
        raise ValueError("poll_interval must be a positive number")
    poll_interval = scaled_poll(poll_interval, time_scale)
    rollout = Rollout(
        endpoint,
        target_config,
        previous_config,
        tuple(dict.fromkeys(alarm_names)),
        timeout=timeout,
        bake_seconds=bake_seconds,
        rollback_timeout=rollback_timeout or timeout,
        time_scale=time_scale,
    )
    roll_back = rollback or functools.partial(update_endpoint_config, sagemaker, endpoint)
    started, started_at = clock(), datetime.fromtimestamp(wall_clock(), UTC)
    report = _Reporter(rollout, on_progress, clock, started)
    state = start(rollout, started)
    polls = failures = mutating_calls = 0
    alarm_to_rollback: float | None = None
    while True:
        names = rollout.alarm_names if state.phase.watches_alarms else ()
        seen = watch.observe(sagemaker, cloudwatch, endpoint, names, clock)
        polls += 1
        step = decide(rollout, state, seen)
        if step.outcome in _CHECKED_IN_HISTORY and step.state.alarm is None and rollout.alarm_names:
            # An alarm can enter ALARM and leave it between two polls: before calling the rollout a success,
            # or SageMaker's own rollback unexplained, the alarms' history is read once.
            fired = watch.fired_since(cloudwatch, rollout.alarm_names, started_at)
            if fired is not None:
                seen = replace(seen, firing=(fired,))
                step = decide(rollout, state, seen)
        report.changes(state, step.state, seen)
        state = step.state
        if step.rollback:
            assert rollout.previous is not None
            alarm_to_rollback = _since_alarm(state, clock, wall_clock)
            report.rollback(alarm_to_rollback)
            calls, error = _issue_rollback(roll_back, rollout.previous, state.deadline, clock, sleep, report)
            mutating_calls += calls
            if error is not None:
                step = guard_refused(rollout, state, error)
        if step.outcome is not None:
            break
        failures = failures + 1 if seen.error else 0
        delay = poll_delay(poll_interval, failures)
        if seen.error:
            report.retry(seen.error, delay)
        sleep(next_wake(state, clock(), delay))
    assert step.outcome is not None
    result = RolloutResult(
        outcome=step.outcome,
        message=step.message,
        endpoint=endpoint,
        target_config=target_config,
        previous_config=previous_config,
        status=state.status,
        config=state.config,
        alarm=state.alarm.name if state.alarm else None,
        alarm_reason=state.alarm.reason if state.alarm else None,
        alarm_to_rollback_seconds=alarm_to_rollback,
        mutating_calls=mutating_calls,
        polls=polls,
        seconds=clock() - started,
        missing_alarms=report.missing,
        time_scale=time_scale,
    )
    report.outcome(result)
    return result


def _since_alarm(state: State, clock: Callable[[], float], wall_clock: Callable[[], float]) -> float:
    """Seconds from the alarm entering ALARM (CloudWatch's timestamp) to now; from the poll that saw it when
    CloudWatch gave no timestamp. Never negative: a clock skew says nothing about the guard."""
    assert state.alarm is not None and state.alarm_seen_at is not None
    if state.alarm.entered_at is not None:
        return max(0.0, wall_clock() - state.alarm.entered_at)
    return clock() - state.alarm_seen_at


def _issue_rollback(
    roll_back: Callable[[str], object],
    previous: str,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    report: _Reporter,
) -> tuple[int, str | None]:
    """Call the guard's rollback, retrying transient refusals until ``deadline``; return the calls made and
    the final error."""
    calls = 0
    while True:
        calls += 1
        try:
            roll_back(previous)
            return calls, None
        except (ClientError, BotoCoreError, LaunchpadError) as exc:
            error = watch.describe_error(exc)
            delay = min(ROLLBACK_BACKOFF * 2 ** (calls - 1), MAX_ROLLBACK_BACKOFF)
            if not watch.is_transient(exc) or clock() + delay >= deadline:
                LOG.warning("guard rollback to %s failed: %s", previous, error)
                return calls, error
            report.retry(error, delay)
            sleep(delay)


class _Reporter:
    """Turns state changes into ``Event``s for ``on_progress`` (and debug logging)."""

    def __init__(
        self,
        rollout: Rollout,
        on_progress: Callable[[Event], None] | None,
        clock: Callable[[], float],
        started: float,
    ) -> None:
        self.rollout = rollout
        self.on_progress = on_progress
        self.clock = clock
        self.started = started
        self.missing: tuple[str, ...] = ()

    def emit(self, kind: str, message: str, **details: Any) -> None:
        event = Event(kind, self.clock() - self.started, message, details)
        LOG.debug("%s: %s", kind, message)
        if self.on_progress is not None:
            self.on_progress(event)

    def changes(self, before: State, after: State, seen: Observation) -> None:
        if seen.missing_alarms and not self.missing:
            self.missing = seen.missing_alarms
            LOG.warning("rollback alarms not found in CloudWatch: %s", ", ".join(self.missing))
            self.emit(
                "missing_alarms",
                f"rollback alarms not found in CloudWatch, so they cannot fire: {', '.join(self.missing)}",
                alarms=list(self.missing),
            )
        if seen.gone or (
            seen.error is None and (after.status, after.config) != (before.status, before.config)
        ):
            where = f" on {after.config}" if after.config else ""
            self.emit("status", f"{after.status or 'gone'}{where}", status=after.status, config=after.config)
        if after.alarm is not None and before.alarm is None:
            self.emit(
                "alarm",
                f"rollback alarm {after.alarm.name} is in ALARM: {after.alarm.reason}".rstrip(": "),
                alarm=after.alarm.name,
                reason=after.alarm.reason,
            )
        if after.phase is Phase.BAKING and before.phase is not Phase.BAKING:
            self.emit(
                "bake",
                f"InService on {self.rollout.target}; watching the rollback alarms for "
                f"{self.rollout.bake_seconds:g} s{self.rollout.at_scale}",
                bake_seconds=self.rollout.bake_seconds,
                time_scale=self.rollout.time_scale,
            )

    def rollback(self, alarm_to_rollback: float) -> None:
        self.emit(
            "rollback",
            f"rolling back to {self.rollout.previous} "
            f"({alarm_to_rollback:.1f} s after the alarm entered ALARM)",
            config=self.rollout.previous,
            alarm_to_rollback_seconds=alarm_to_rollback,
        )

    def retry(self, error: str, delay: float) -> None:
        self.emit("retry", f"{error}; retrying in {delay:g} s", error=error, delay_seconds=delay)

    def outcome(self, result: RolloutResult) -> None:
        self.emit("outcome", result.message, **{k: v for k, v in result.as_dict().items() if k != "message"})
