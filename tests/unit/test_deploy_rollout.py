"""The rollout waiter: every terminal outcome, played by botocore Stubbers on real clients with a fake clock,
and the pure state machine underneath it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from launchpad.deploy import rollout, watch
from launchpad.deploy.rollout import Event, Outcome, Phase, Rollout, RolloutResult, State, scaled_poll
from launchpad.deploy.watch import FiringAlarm, Observation
from launchpad.errors import DeployError, GuardRolledBackError, LaunchpadError

REGION = "eu-west-1"
ENDPOINT = "churn"
V1, V2, V3 = "churn-v1", "churn-v2", "churn-v3"
ALARMS = ("churn-5xx", "churn-latency")
ARN = f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
BREACH = "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)."
DESCRIBE_ALARMS = {
    "AlarmNames": list(ALARMS),
    "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
    "MaxRecords": 100,
}


@dataclass
class FakeTime:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        """Epoch seconds on CloudWatch's clock: ``WHEN`` is t=0 of the fake clock."""
        return WHEN.timestamp() + self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the waiter must never busy-loop"
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Aws:
    """Real boto3 clients with Stubbers: queue AWS's answers, run the waiter, check every answer was used."""

    sagemaker: Any
    cloudwatch: Any
    sm: Stubber
    cw: Stubber
    time: FakeTime = field(default_factory=FakeTime)
    events: list[Event] = field(default_factory=list)

    def endpoint(self, status: str, config: str, reason: str | None = None) -> None:
        response = {
            "EndpointName": ENDPOINT,
            "EndpointArn": ARN,
            "EndpointConfigName": config,
            "EndpointStatus": status,
            "CreationTime": WHEN,
            "LastModifiedTime": WHEN,
        }
        if reason:
            response["FailureReason"] = reason
        self.sm.add_response("describe_endpoint", response, {"EndpointName": ENDPOINT})

    def endpoint_error(self, code: str, message: str, http: int = 400) -> None:
        self.sm.add_client_error(
            "describe_endpoint", code, message, http, expected_params={"EndpointName": ENDPOINT}
        )

    def alarms(
        self, *firing: str, names: tuple[str, ...] = ALARMS, entered: dict[str, float] | None = None
    ) -> None:
        """DescribeAlarms' answer; ``entered``: the fake-clock second each alarm entered its state."""
        metric_alarms: list[dict[str, Any]] = [
            {
                "AlarmName": n,
                "StateValue": "ALARM" if n in firing else "OK",
                "StateReason": BREACH if n in firing else "ok",
            }
            for n in names
        ]
        for alarm in metric_alarms:
            if entered and alarm["AlarmName"] in entered:
                seconds = entered[alarm["AlarmName"]]
                alarm["StateTransitionedTimestamp"] = datetime.fromtimestamp(WHEN.timestamp() + seconds, UTC)
        self.cw.add_response("describe_alarms", {"MetricAlarms": metric_alarms}, DESCRIBE_ALARMS)

    def history(self, fired: dict[str, float] | None = None, names: tuple[str, ...] = ALARMS) -> None:
        """DescribeAlarmHistory's answers, one per alarm; ``fired``: the fake-clock second each alarm entered
        ALARM (and left it again) since the rollout started at t=0."""
        for name in names:
            items = []
            if fired and name in fired:
                at = datetime.fromtimestamp(WHEN.timestamp() + fired[name], UTC)
                for old, new, reason in (("OK", "ALARM", BREACH), ("ALARM", "OK", "ok")):
                    data = {
                        "newState": {"stateValue": new, "stateReason": reason},
                        "oldState": {"stateValue": old},
                    }
                    items.append(
                        {
                            "AlarmName": name,
                            "AlarmType": "MetricAlarm",
                            "Timestamp": at,
                            "HistoryItemType": "StateUpdate",
                            "HistorySummary": f"Alarm updated from {old} to {new}",
                            "HistoryData": json.dumps(data),
                        }
                    )
            expected = {
                "AlarmName": name,
                "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                "HistoryItemType": "StateUpdate",
                "StartDate": WHEN,
            }
            self.cw.add_response("describe_alarm_history", {"AlarmHistoryItems": items}, expected)

    def alarms_error(self, code: str, message: str, http: int) -> None:
        self.cw.add_client_error("describe_alarms", code, message, http, expected_params=DESCRIBE_ALARMS)

    def poll(self, status: str, config: str, *firing: str, reason: str | None = None) -> None:
        """One poll that watches alarms: DescribeEndpoint, then DescribeAlarms."""
        self.endpoint(status, config, reason)
        self.alarms(*firing)

    def update_endpoint(self, config: str) -> None:
        self.sm.add_response(
            "update_endpoint", {"EndpointArn": ARN}, {"EndpointName": ENDPOINT, "EndpointConfigName": config}
        )

    def wait(self, previous: str | None = V1, **overrides: Any) -> RolloutResult:
        options: dict[str, Any] = {"timeout": 600, "poll_interval": 30, "bake_seconds": 60}
        options.update(overrides)
        result = rollout.wait_for_rollout(
            self.sagemaker,
            self.cloudwatch,
            ENDPOINT,
            V2,
            previous,
            ALARMS,
            on_progress=self.events.append,
            clock=self.time.clock,
            sleep=self.time.sleep,
            wall_clock=self.time.wall,
            **options,
        )
        self.sm.assert_no_pending_responses()
        self.cw.assert_no_pending_responses()
        return result

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


@pytest.fixture
def aws() -> Iterator[Aws]:
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    sagemaker = boto3.client("sagemaker", region_name=REGION, **credentials)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, **credentials)
    with Stubber(sagemaker) as sm, Stubber(cloudwatch) as cw:
        yield Aws(sagemaker, cloudwatch, sm, cw)


# -- every terminal outcome, through real clients ----------------------------------------------------------
def test_an_update_that_reaches_inservice_on_the_target_and_bakes_quietly_succeeds(aws: Aws) -> None:
    aws.poll("Updating", V1)
    aws.poll("InService", V2)  # t=30: the bake starts
    aws.poll("InService", V2)
    aws.poll("InService", V2)  # t=90: 60 s of quiet alarms
    aws.history()
    result = aws.wait()
    assert result.outcome is Outcome.SUCCEEDED and result.exit_code == 0 and result.succeeded
    assert result.message == (
        "endpoint churn is InService on churn-v2; its rollback alarms (churn-5xx, churn-latency) stayed out "
        "of ALARM for the 60 s bake."
    )
    assert (result.seconds, result.polls, result.mutating_calls) == (90, 4, 0)
    assert result.alarm_to_rollback_seconds is None
    assert aws.time.sleeps == [30, 30, 30]
    result.raise_for_outcome()  # success raises nothing


def test_a_failed_endpoint_ends_failed_with_sagemakers_reason(aws: Aws) -> None:
    health = "The primary container for production variant AllTraffic did not pass the ping health check."
    aws.poll("Creating", V2)
    aws.poll("Failed", V2, reason=health)
    result = aws.wait(previous=None)
    assert result.outcome is Outcome.FAILED and result.exit_code == 11
    assert result.message.startswith(f"endpoint churn is Failed deploying churn-v2: {health[:-1]}. A Failed")
    assert ".." not in result.message
    assert "delete the endpoint, and deploy again" in result.message
    assert result.status == "Failed" and result.mutating_calls == 0


def test_update_rollback_failed_says_the_endpoint_serves_a_mix(aws: Aws) -> None:
    aws.poll("Updating", V1)
    aws.poll("UpdateRollbackFailed", V1, reason="Rolling back failed: insufficient capacity.")
    result = aws.wait()
    assert result.outcome is Outcome.ROLLBACK_FAILED and result.exit_code == 12
    assert "the update to churn-v2 failed and so did SageMaker's rollback to churn-v1" in result.message
    assert "(Rolling back failed: insufficient capacity)" in result.message
    assert "serves a mix of both configs" in result.message


def test_sagemakers_own_rollback_through_rollingback_is_a_failure(aws: Aws) -> None:
    aws.poll("Updating", V1)
    aws.poll("RollingBack", V1)
    aws.poll("InService", V1)
    aws.history()
    result = aws.wait()
    assert result.outcome is Outcome.SILENT_ROLLBACK and result.exit_code == 13 and not result.succeeded
    assert result.message.startswith(
        "endpoint churn is back on churn-v1: SageMaker rolled back the update to churn-v2 by itself. "
        "churn-v2 is not serving"
    )
    with pytest.raises(DeployError) as raised:
        result.raise_for_outcome()
    assert raised.value.exit_code == 13


def test_inservice_on_the_previous_config_at_the_first_poll_is_a_silent_rollback(aws: Aws) -> None:
    aws.poll("InService", V1)
    aws.history()
    result = aws.wait()
    assert result.outcome is Outcome.SILENT_ROLLBACK and result.exit_code == 13
    assert (result.polls, result.mutating_calls, aws.time.sleeps) == (1, 0, [])


def test_an_alarm_during_the_update_rolls_back_as_soon_as_sagemaker_accepts_an_update(aws: Aws) -> None:
    aws.poll("Updating", V1, "churn-5xx")  # t=0: alarm; UpdateEndpoint is refused while Updating
    aws.endpoint("Updating", V1)  # t=30: alarms are no longer polled: the guard is already tripped
    aws.endpoint("InService", V2)  # t=60: now the rollback goes out
    aws.update_endpoint(V1)
    aws.endpoint("Updating", V2)
    aws.endpoint("InService", V1)  # t=120: settled on the previous config
    result = aws.wait()
    assert result.outcome is Outcome.ROLLED_BACK_BY_GUARD and result.exit_code == 14
    assert result.message == (
        "rollback alarm churn-5xx entered ALARM during the update of churn-v2 on endpoint churn; launchpad "
        "rolled the endpoint back to churn-v1, which is InService again. churn-v2 is not serving: find out "
        "why churn-5xx fired before deploying again."
    )
    assert (result.alarm, result.alarm_reason) == ("churn-5xx", BREACH)
    assert result.alarm_to_rollback_seconds == 60
    assert result.mutating_calls == 1 and result.seconds == 120


def test_alarm_to_rollback_counts_from_when_cloudwatch_says_the_alarm_entered_alarm(aws: Aws) -> None:
    aws.poll("InService", V2)  # t=0: bake starts
    aws.endpoint("InService", V2)  # t=30: the alarm entered ALARM at t=12, between two polls
    aws.alarms("churn-5xx", entered={"churn-5xx": 12})
    aws.update_endpoint(V1)
    aws.endpoint("InService", V1)
    result = aws.wait()
    assert result.outcome is Outcome.ROLLED_BACK_BY_GUARD
    assert result.alarm_to_rollback_seconds == 18
    assert "(18.0 s after the alarm entered ALARM)" in aws.events[3].message


def test_sagemaker_rolling_back_on_the_alarm_itself_names_the_alarm(aws: Aws) -> None:
    aws.poll("Updating", V1, "churn-5xx")
    aws.endpoint("InService", V1)  # SageMaker's AutoRollbackConfiguration got there first
    result = aws.wait()
    assert result.outcome is Outcome.SILENT_ROLLBACK and result.mutating_calls == 0
    assert "by itself while rollback alarm churn-5xx was in ALARM" in result.message
    assert result.alarm_to_rollback_seconds is None


def test_an_alarm_that_fired_and_cleared_between_two_polls_is_named_from_its_history(aws: Aws) -> None:
    aws.poll("Updating", V1)  # t=0
    aws.poll("Updating", V1)  # t=30: churn-latency fired at t=40 and cleared before the next poll
    aws.poll("InService", V1)  # t=60: SageMaker rolled back on it
    aws.history({"churn-latency": 40})
    result = aws.wait()
    assert result.outcome is Outcome.SILENT_ROLLBACK and result.exit_code == 13
    assert "by itself while rollback alarm churn-latency was in ALARM" in result.message
    assert (result.alarm, result.alarm_reason) == ("churn-latency", BREACH)
    assert result.mutating_calls == 0


def test_the_earliest_alarm_to_fire_is_named(aws: Aws) -> None:
    aws.poll("InService", V1)
    aws.history({"churn-5xx": 9, "churn-latency": 3})
    assert aws.wait().alarm == "churn-latency"


def test_an_alarm_that_fired_and_cleared_during_the_bake_rolls_back(aws: Aws) -> None:
    aws.poll("InService", V2)  # t=0: the bake starts
    aws.poll("InService", V2)  # t=30: the bake ends; no poll saw churn-5xx, in ALARM from t=10 to t=20
    aws.history({"churn-5xx": 10})
    aws.update_endpoint(V1)
    aws.endpoint("InService", V1)
    result = aws.wait(bake_seconds=30)
    assert result.outcome is Outcome.ROLLED_BACK_BY_GUARD and result.exit_code == 14
    assert result.message.startswith("rollback alarm churn-5xx entered ALARM during the bake of churn-v2")
    assert result.alarm_to_rollback_seconds == 20  # from when CloudWatch says it fired


def test_an_alarm_history_the_deployer_may_not_read_is_a_deploy_error(aws: Aws) -> None:
    aws.poll("InService", V2)
    aws.cw.add_client_error("describe_alarm_history", "AccessDenied", "not authorized", 403)
    with pytest.raises(DeployError) as raised:
        aws.wait(bake_seconds=0)
    assert "cannot read the history of rollback alarm churn-5xx: DescribeAlarmHistory: AccessDenied" in str(
        raised.value
    )
    assert "needs cloudwatch:DescribeAlarmHistory" in str(raised.value)


def test_a_throttled_alarm_history_is_logged_and_the_polls_states_stand(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    aws.poll("InService", V1)
    for _ in ALARMS:
        aws.cw.add_client_error("describe_alarm_history", "Throttling", "Rate exceeded", 400)
    with caplog.at_level(logging.WARNING):
        result = aws.wait()
    assert result.outcome is Outcome.SILENT_ROLLBACK and result.alarm is None
    assert "by itself. churn-v2 is not serving" in result.message
    assert "churn-5xx" in caplog.text and "churn-latency" in caplog.text and "Throttling" in caplog.text


def test_an_alarm_during_the_bake_rolls_back_at_once(aws: Aws) -> None:
    aws.poll("InService", V2)  # t=0: bake starts
    aws.poll("InService", V2, "churn-latency")  # t=30
    aws.update_endpoint(V1)
    aws.endpoint("Updating", V2)
    aws.endpoint("InService", V1)
    result = aws.wait()
    assert result.outcome is Outcome.ROLLED_BACK_BY_GUARD and result.exit_code == 14
    assert result.message.startswith("rollback alarm churn-latency entered ALARM during the bake of churn-v2")
    assert result.alarm_to_rollback_seconds == 0 and result.mutating_calls == 1
    assert aws.kinds() == ["status", "bake", "alarm", "rollback", "status", "status", "outcome"]
    rollback_event = aws.events[3].as_dict()
    assert rollback_event["config"] == V1 and rollback_event["alarm_to_rollback_seconds"] == 0
    outcome_event = json.loads(json.dumps(aws.events[-1].as_dict()))
    assert outcome_event["outcome"] == "rolled_back_by_guard" and outcome_event["exit_code"] == 14
    with pytest.raises(GuardRolledBackError, match=r"^rollback alarm churn-latency"):
        result.raise_for_outcome()


def test_an_injected_rollback_is_called_with_the_previous_config(aws: Aws) -> None:
    calls: list[str] = []
    aws.poll("InService", V2)
    aws.poll("InService", V2, "churn-5xx")
    aws.endpoint("InService", V1)  # no UpdateEndpoint is queued: the injected callable replaces it
    result = aws.wait(rollback=calls.append)
    assert calls == [V1]
    assert result.outcome is Outcome.ROLLED_BACK_BY_GUARD and result.mutating_calls == 1


def test_a_guard_rollback_that_ends_failed_is_guard_rollback_failed(aws: Aws) -> None:
    aws.poll("InService", V2)
    aws.poll("InService", V2, "churn-5xx")
    aws.update_endpoint(V1)
    aws.endpoint("Failed", V1, reason="Insufficient capacity for ml.g5.xlarge.")
    result = aws.wait()
    assert result.outcome is Outcome.GUARD_ROLLBACK_FAILED and result.exit_code == 15
    assert (
        "the guard rolled back to churn-v1, but the endpoint is Failed: Insufficient capacity"
        in result.message
    )
    assert "--endpoint-name churn --endpoint-config-name churn-v1" in result.message
    assert result.mutating_calls == 1


def test_a_guard_rollback_sagemaker_refuses_leaves_the_target_serving(aws: Aws) -> None:
    aws.poll("InService", V2)
    aws.poll("InService", V2, "churn-5xx")
    aws.sm.add_client_error(
        "update_endpoint",
        "ValidationException",
        f'Cannot update in-progress endpoint "{ARN}".',
        400,
        expected_params={"EndpointName": ENDPOINT, "EndpointConfigName": V1},
    )
    result = aws.wait()
    assert result.outcome is Outcome.GUARD_ROLLBACK_FAILED and result.exit_code == 15
    assert (
        "the guard's rollback to churn-v1 was refused: UpdateEndpoint: ValidationException: Cannot update "
        "in-progress endpoint" in result.message
    )
    assert "churn still serves churn-v2: roll back by hand: aws sagemaker update-endpoint" in result.message
    assert result.mutating_calls == 1 and result.polls == 2


def test_a_guard_rollback_that_does_not_settle_in_its_own_timeout_fails(aws: Aws) -> None:
    aws.poll("InService", V2)
    aws.poll("InService", V2, "churn-5xx")  # t=30: rollback, its deadline is t=90
    aws.update_endpoint(V1)
    aws.endpoint("Updating", V2)
    aws.endpoint("Updating", V2)  # t=90
    result = aws.wait(rollback_timeout=60)
    assert result.outcome is Outcome.GUARD_ROLLBACK_FAILED
    assert "did not settle within 60 s (last seen: Updating on churn-v2)" in result.message


def test_an_alarm_on_a_new_endpoint_has_nothing_to_roll_back_to(aws: Aws) -> None:
    aws.poll("Creating", V2, "churn-5xx")
    result = aws.wait(previous=None)
    assert result.outcome is Outcome.GUARD_ROLLBACK_FAILED and result.exit_code == 15
    assert "a new endpoint has no previous config to roll back to: it still runs churn-v2" in result.message
    assert result.mutating_calls == 0


def test_an_update_that_never_finishes_times_out_naming_the_last_status(aws: Aws) -> None:
    for _ in range(4):  # t=0, 30, 60, 90
        aws.poll("Updating", V1)
    result = aws.wait(timeout=90)
    assert result.outcome is Outcome.TIMED_OUT and result.exit_code == 16
    assert result.message.startswith(
        "endpoint churn did not reach InService on churn-v2 within 90 s (last seen: Updating on churn-v1). "
        "It may still be changing and nothing was rolled back"
    )
    assert result.mutating_calls == 0 and result.seconds == 90


def test_an_endpoint_that_cannot_be_found_is_gone(aws: Aws) -> None:
    aws.endpoint_error("ValidationException", f'Could not find endpoint "{ARN}".')
    result = aws.wait()
    assert result.outcome is Outcome.ENDPOINT_GONE and result.exit_code == 17
    assert result.message.startswith("endpoint churn no longer exists (while deploying churn-v2)")
    assert aws.kinds() == ["status", "outcome"]


def test_a_deleting_endpoint_is_gone(aws: Aws) -> None:
    aws.poll("Updating", V1)
    aws.poll("Deleting", V1)
    result = aws.wait()
    assert result.outcome is Outcome.ENDPOINT_GONE and result.exit_code == 17
    assert result.message.startswith("endpoint churn is being deleted (while deploying churn-v2)")


def test_throttling_and_5xx_are_retried_with_backoff_then_succeed(aws: Aws) -> None:
    aws.endpoint_error("ThrottlingException", "Rate exceeded")  # t=0, retried after 30 s
    aws.endpoint("InService", V2)  # t=30
    aws.alarms_error("ServiceUnavailable", "Service Unavailable", 503)  # retried after 60 s
    aws.poll("InService", V2)  # t=90
    aws.history()
    result = aws.wait(bake_seconds=0)
    assert result.outcome is Outcome.SUCCEEDED and result.polls == 3
    assert aws.time.sleeps == [30, 60]
    retries = [e.as_dict() for e in aws.events if e.kind == "retry"]
    assert [r["error"] for r in retries] == [
        "DescribeEndpoint: ThrottlingException: Rate exceeded",
        "DescribeAlarms: ServiceUnavailable: Service Unavailable",
    ]
    assert [r["delay_seconds"] for r in retries] == [30, 60]


def test_throttling_until_the_deadline_times_out_with_the_last_error(aws: Aws) -> None:
    aws.poll("Updating", V1)
    aws.endpoint_error("ThrottlingException", "Rate exceeded")  # t=30
    aws.endpoint_error("ThrottlingException", "Rate exceeded")  # t=60: the deadline
    result = aws.wait(timeout=60)
    assert result.outcome is Outcome.TIMED_OUT
    last = "Updating on churn-v1; last AWS error: DescribeEndpoint: ThrottlingException: Rate exceeded"
    assert f"(last seen: {last})" in result.message


def test_a_throttled_guard_rollback_is_retried_and_every_call_counted(aws: Aws) -> None:
    aws.poll("InService", V2)
    aws.poll("InService", V2, "churn-5xx")
    aws.sm.add_client_error(
        "update_endpoint",
        "ThrottlingException",
        "Rate exceeded",
        400,
        expected_params={"EndpointName": ENDPOINT, "EndpointConfigName": V1},
    )
    aws.update_endpoint(V1)
    aws.endpoint("InService", V1)
    result = aws.wait()
    assert result.outcome is Outcome.ROLLED_BACK_BY_GUARD
    assert result.mutating_calls == 2 and result.alarm_to_rollback_seconds == 0
    assert aws.time.sleeps == [30, 1, 30]  # one second's backoff between the two UpdateEndpoint calls


def test_access_denied_is_a_deploy_error_not_a_retry(aws: Aws) -> None:
    aws.endpoint_error("AccessDeniedException", "not authorized to perform: sagemaker:DescribeEndpoint")
    with pytest.raises(DeployError) as raised:
        aws.wait()
    assert raised.value.exit_code == 10
    assert str(raised.value).startswith(
        "cannot watch endpoint churn: DescribeEndpoint: AccessDeniedException"
    )
    assert "needs sagemaker:DescribeEndpoint and cloudwatch:DescribeAlarms" in str(raised.value)


def test_rollback_alarms_cloudwatch_does_not_know_are_reported(aws: Aws) -> None:
    aws.endpoint("InService", V2)
    aws.alarms(names=("churn-5xx",))
    aws.history()
    result = aws.wait(bake_seconds=0)
    assert result.outcome is Outcome.SUCCEEDED
    assert result.missing_alarms == ("churn-latency",)
    assert aws.events[0].kind == "missing_alarms" and aws.events[0].details["alarms"] == ["churn-latency"]


# -- exit codes ---------------------------------------------------------------------------------------------
def test_every_outcome_has_its_own_exit_code_and_deploy_errors_use_10_to_17() -> None:
    codes = {outcome: outcome.exit_code for outcome in Outcome}
    assert codes[Outcome.SUCCEEDED] == 0
    assert sorted(codes.values()) == [0, *range(11, 18)]
    assert DeployError.exit_code == 10 and issubclass(DeployError, LaunchpadError)
    for outcome in Outcome:
        assert outcome.error is None or issubclass(outcome.error, DeployError)


# -- the pure state machine -------------------------------------------------------------------------------
PLAN = Rollout(ENDPOINT, V2, V1, ALARMS, timeout=600, bake_seconds=60, rollback_timeout=300)


def updating(now: float = 0.0) -> State:
    return rollout.start(PLAN, now)


def seen(now: float, status: str, config: str, *firing: str, **extra: Any) -> Observation:
    return Observation(now, status, config, firing=tuple(FiringAlarm(n) for n in firing), **extra)


def test_every_status_of_the_api_has_a_decision_while_updating() -> None:
    expected = {
        "OutOfService": None,
        "Creating": None,
        "Updating": None,
        "SystemUpdating": None,
        "RollingBack": None,
        "InService": None,  # on the target: the bake starts
        "Deleting": Outcome.ENDPOINT_GONE,
        "Failed": Outcome.FAILED,
        "UpdateRollbackFailed": Outcome.ROLLBACK_FAILED,
    }
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("EndpointStatus")
    assert set(shape.enum) == set(expected), "the API has a status the machine was not written for"
    for status, outcome in expected.items():
        step = rollout.decide(PLAN, updating(), seen(10, status, V2))
        assert step.outcome is outcome, status
        assert not step.rollback
    assert rollout.decide(PLAN, updating(), seen(10, "InService", V2)).state.phase is Phase.BAKING


def test_inservice_on_the_target_bakes_and_succeeds_only_when_the_window_has_passed() -> None:
    step = rollout.decide(PLAN, updating(), seen(100, "InService", V2))
    assert step.outcome is None and step.state.phase is Phase.BAKING
    assert step.state.bake_ends == 160 and step.state.deadline == 160 + 600
    assert rollout.decide(PLAN, step.state, seen(159.9, "InService", V2)).outcome is None
    assert rollout.decide(PLAN, step.state, seen(160, "InService", V2)).outcome is Outcome.SUCCEEDED


def test_a_zero_second_bake_succeeds_on_the_first_inservice_poll() -> None:
    plan = Rollout(ENDPOINT, V2, V1, ALARMS, bake_seconds=0)
    assert rollout.decide(plan, rollout.start(plan, 0), seen(5, "InService", V2)).outcome is Outcome.SUCCEEDED


def test_an_alarm_while_updating_waits_for_inservice_then_rolls_back() -> None:
    step = rollout.decide(PLAN, updating(), seen(10, "Updating", V1, "churn-5xx"))
    assert (step.state.phase, step.rollback, step.outcome) == (Phase.GUARD_PENDING, False, None)
    assert step.state.alarm == FiringAlarm("churn-5xx") and step.state.alarm_seen_at == 10
    assert not step.state.phase.watches_alarms
    step = rollout.decide(PLAN, step.state, seen(70, "InService", V2))
    assert step.rollback and step.state.phase is Phase.ROLLING_BACK
    assert step.state.deadline == 70 + 300 and step.state.alarm_seen_at == 10


def test_an_alarm_that_clears_before_inservice_still_rolls_back() -> None:
    pending = rollout.decide(PLAN, updating(), seen(10, "Updating", V1, "churn-5xx")).state
    assert rollout.decide(PLAN, pending, seen(40, "InService", V2)).rollback


def test_an_alarm_during_the_bake_rolls_back_in_the_same_step() -> None:
    baking = rollout.decide(PLAN, updating(), seen(0, "InService", V2)).state
    step = rollout.decide(PLAN, baking, seen(30, "InService", V2, "churn-latency"))
    assert step.rollback and step.outcome is None and step.state.alarm == FiringAlarm("churn-latency")


def test_inservice_on_the_target_after_the_guard_rolled_back_means_the_rollback_failed() -> None:
    baking = rollout.decide(PLAN, updating(), seen(0, "InService", V2)).state
    rolling_back = rollout.decide(PLAN, baking, seen(30, "InService", V2, "churn-5xx")).state
    step = rollout.decide(PLAN, rolling_back, seen(60, "InService", V2))
    assert step.outcome is Outcome.GUARD_ROLLBACK_FAILED
    assert "but the endpoint is InService on churn-v2" in step.message
    assert (
        rollout.decide(PLAN, rolling_back, seen(60, "InService", V1)).outcome is Outcome.ROLLED_BACK_BY_GUARD
    )
    assert rollout.decide(PLAN, rolling_back, seen(60, "Updating", V2)).outcome is None
    assert (
        rollout.decide(PLAN, rolling_back, seen(330, "Updating", V2)).outcome is Outcome.GUARD_ROLLBACK_FAILED
    )


def test_an_alarm_pending_past_the_deadline_is_a_failed_guard_not_a_timeout() -> None:
    pending = rollout.decide(PLAN, updating(), seen(10, "Updating", V1, "churn-5xx")).state
    step = rollout.decide(PLAN, pending, seen(600, "Updating", V1))
    assert step.outcome is Outcome.GUARD_ROLLBACK_FAILED
    assert "SageMaker takes no UpdateEndpoint until the endpoint is InService" in step.message


def test_an_endpoint_serving_a_third_config_is_a_failure_not_a_rollback() -> None:
    step = rollout.decide(PLAN, updating(), seen(10, "InService", V3))
    assert step.outcome is Outcome.FAILED
    assert "churn-v3, which is neither the target churn-v2 nor the previous churn-v1" in step.message


def test_a_poll_that_saw_nothing_keeps_the_state_until_the_deadline() -> None:
    state = rollout.decide(PLAN, updating(), seen(0, "Updating", V1)).state
    step = rollout.decide(PLAN, state, Observation(30, error="DescribeEndpoint: ThrottlingException: x"))
    assert step.outcome is None and step.state.status == "Updating" and step.state.error is not None
    step = rollout.decide(PLAN, state, Observation(600, error="DescribeEndpoint: ThrottlingException: x"))
    assert step.outcome is Outcome.TIMED_OUT and "last AWS error" in step.message


def test_leaving_inservice_during_the_bake_gets_a_timeout_of_its_own() -> None:
    baking = rollout.decide(PLAN, updating(), seen(500, "InService", V2)).state
    maintenance = rollout.decide(PLAN, baking, seen(600, "SystemUpdating", V2))
    assert maintenance.outcome is None  # the update's deadline no longer applies
    late = rollout.decide(PLAN, maintenance.state, seen(1160, "SystemUpdating", V2))
    assert late.outcome is Outcome.TIMED_OUT and "left InService during the bake" in late.message


def test_sleeps_end_at_the_bake_and_back_off_on_failures() -> None:
    baking = rollout.decide(PLAN, updating(), seen(0, "InService", V2)).state  # bake ends at 60
    assert rollout.next_wake(baking, 50, 30) == 10
    assert rollout.next_wake(updating(), 590, 30) == 10  # the deadline is at 600
    assert [rollout.poll_delay(30, n) for n in range(6)] == [30, 30, 60, 120, 120, 120]
    assert rollout.poll_delay(300, 3) == 300  # never shorter than the poll interval


def test_a_rollout_that_changes_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing would change"):
        Rollout(ENDPOINT, V1, V1)


# -- the sandbox's time scale: the bake is AWS seconds, waited at the scale the sandbox rolls out at ---------
def test_on_a_scaled_sandbox_the_bake_lasts_its_aws_seconds_at_the_time_scale(aws: Aws) -> None:
    # At 1/16 the bake of 96 AWS seconds is 6 real seconds and a 30 s poll 1.875: polls at t=0, 1.875, 3.75,
    # 5.625 and 6 (the last sleep cut short at the bake's end).
    for _ in range(5):
        aws.poll("InService", V2)
    aws.history()
    result = aws.wait(bake_seconds=96, time_scale=0.0625)
    assert result.outcome is Outcome.SUCCEEDED, result.message
    assert aws.time.sleeps == [1.875, 1.875, 1.875, 0.375]
    assert result.seconds == 6 and result.time_scale == 0.0625
    assert result.message.endswith("for the 96 s bake (6 s at the sandbox's time scale 0.0625).")
    bake = next(e for e in aws.events if e.kind == "bake")
    assert bake.details == {"bake_seconds": 96, "time_scale": 0.0625}
    assert result.as_dict()["time_scale"] == 0.0625


def test_on_aws_the_bake_lasts_its_own_seconds(aws: Aws) -> None:
    for _ in range(21):  # t=0 to t=600, a poll every 30 s
        aws.poll("InService", V2)
    aws.history()
    result = aws.wait(bake_seconds=600)
    assert result.outcome is Outcome.SUCCEEDED and result.seconds == 600 and result.time_scale == 1
    assert result.message.endswith("for the 600 s bake.")


@pytest.mark.parametrize("scale", [-0.5, float("nan"), float("inf")])
def test_a_time_scale_that_is_not_a_non_negative_finite_number_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="time scale"):
        Rollout(ENDPOINT, V2, V1, time_scale=scale)


@pytest.mark.parametrize("poll", [0.0, float("nan"), float("inf")])
def test_a_poll_interval_that_is_not_a_positive_finite_number_is_refused(aws: Aws, poll: float) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        aws.wait(poll_interval=poll)
    assert aws.time.sleeps == []


@pytest.mark.parametrize(("scale", "real"), [(1.0, 30.0), (0.01, 0.3), (0.001, 0.1), (0.0, 0.1)])
def test_the_poll_is_the_same_aws_seconds_at_the_sandboxs_time_scale_never_under_a_tenth(
    scale: float, real: float
) -> None:
    """On AWS a 30 s poll; on a scaled sandbox 30 AWS seconds at its scale, at least 0.1 real seconds (a
    rollout that takes seconds there is watched as closely as AWS's minutes)."""
    assert scaled_poll(30.0, scale) == pytest.approx(real)


# -- classifying AWS errors ----------------------------------------------------------------------------------
def client_error(code: str, http: int, message: str = "m") -> ClientError:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": http}}
    return ClientError(response, "DescribeEndpoint")  # type: ignore[arg-type]


def test_throttling_5xx_and_network_errors_are_transient_and_nothing_else_is() -> None:
    assert watch.is_transient(client_error("ThrottlingException", 400))
    assert watch.is_transient(client_error("SomethingNew", 502))
    assert watch.is_transient(EndpointConnectionError(endpoint_url="https://api.sagemaker"))
    assert not watch.is_transient(client_error("AccessDeniedException", 403))
    assert not watch.is_transient(client_error("ValidationException", 400))


def test_only_could_not_find_endpoint_means_gone() -> None:
    assert watch.is_endpoint_gone(
        client_error("ValidationException", 400, f'Could not find endpoint "{ARN}".')
    )
    assert watch.is_endpoint_gone(client_error("ResourceNotFound", 400))
    assert not watch.is_endpoint_gone(client_error("ValidationException", 400, "1 validation error detected"))
