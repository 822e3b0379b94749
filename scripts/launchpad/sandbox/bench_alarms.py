"""`launchpad bench` hook: how long a CloudWatch alarm takes to fire in the sandbox.

On a fresh sandbox account, for a 60 s period alarm that is 1 out of 1 and for launchpad's 3 out of 3 rollback
alarm (the 5xx error rate by metric math, ``deploy.resources.alarm_requests``' shape), both at the time scale
``SCALE``: breaching data is published from the middle of one of the alarm's periods on, and the delay runs
from that first breaching datapoint to the alarm's state change. ``..._sandbox_s`` is in AWS seconds on the
alarm's clock (CloudWatch judges a period once it has ended: 30 s for 1 out of 1 from mid-period, 150 s for 3
out of 3; the sandbox stamps a change with the instant it happened on); ``..._real_s`` is real seconds until
a ``DescribeAlarms`` poll saw it, which adds the sandbox's own lag (its evaluation thread and the poll).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.deploy.timescale import TIME_SCALE_TAG
from launchpad.sandbox import workloads

SCALE = 0.01  # a 60 s period lasts 0.6 real seconds
PERIOD = 60
VARIANT = "primary"
TIMEOUT = 30.0  # real seconds any one wait may take


def dimensions(endpoint: str) -> list[dict[str, str]]:
    return [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": VARIANT}]


def _metric(query_id: str, name: str, endpoint: str) -> dict[str, Any]:
    metric = {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dimensions(endpoint)}
    return {
        "Id": query_id,
        "MetricStat": {"Metric": metric, "Period": PERIOD, "Stat": "Sum"},
        "ReturnData": False,
    }


def _common(name: str, periods: int) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": periods,
        "DatapointsToAlarm": periods,
        "TreatMissingData": "notBreaching",
        "Tags": [{"Key": TIME_SCALE_TAG, "Value": str(SCALE)}],
    }


def one_of_one(endpoint: str) -> dict[str, Any]:
    """A 60 s, 1 out of 1 alarm on the Sum of the endpoint's 5xx errors."""
    single = {
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Dimensions": dimensions(endpoint),
    }
    return {**_common(f"{endpoint}-5xx", 1), **single, "Statistic": "Sum", "Period": PERIOD, "Threshold": 0.0}


def rollback_rate(endpoint: str) -> dict[str, Any]:
    """launchpad's ``<endpoint>-rollback-5xx-rate``: 3 out of 3 periods of a 5xx rate above 1%."""
    rate = {"Id": "rate", "Expression": "IF((i0) > 0, 100 * (e0) / (i0), 0)", "ReturnData": True}
    queries = [rate, _metric("e0", "Invocation5XXErrors", endpoint), _metric("i0", "Invocations", endpoint)]
    return {**_common(f"{endpoint}-rollback-5xx-rate", 3), "Metrics": queries, "Threshold": 1.0}


def _wait(check: Callable[[], Any], between: Callable[[], None] | None = None) -> Any:
    return workloads.poll(check, TIMEOUT, PERIOD * SCALE / 20, "the sandbox's alarm", between)


def _mid_period(evaluated_at: datetime) -> None:
    """Sleep until the middle of the alarm's next period (its instants are ``evaluated_at`` + k periods)."""
    period = PERIOD * SCALE
    into = (datetime.now(UTC) - evaluated_at).total_seconds() % period
    time.sleep(period / 2 - into if into < period / 2 else 1.5 * period - into)


def _delay(target: AwsTarget, request: dict[str, Any], endpoint: str) -> tuple[float, float]:
    """(sandbox seconds, real seconds) from the first breaching datapoint to the alarm's ALARM."""
    cw: Any = target.client("cloudwatch")
    name = request["AlarmName"]
    cw.put_metric_alarm(**request)

    def state(value: str) -> Callable[[], dict[str, Any] | None]:
        def check() -> dict[str, Any] | None:
            alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
            return alarm if alarm["StateValue"] == value else None

        return check

    _mid_period(_wait(state("OK"))["StateTransitionedTimestamp"])  # evaluated once: no traffic is OK
    first: list[datetime] = []

    def breach() -> None:
        now = datetime.now(UTC)
        first[:] = first or [now]
        data = [("Invocations", 10.0), ("Invocation5XXErrors", 5.0)]
        metric_data = [
            {"MetricName": m, "Dimensions": dimensions(endpoint), "Value": v, "Timestamp": now}
            for m, v in data
        ]
        cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=metric_data)

    breach()
    fired = _wait(state("ALARM"), between=breach)
    seen = datetime.now(UTC)
    return (fired["StateTransitionedTimestamp"] - first[0]).total_seconds() / SCALE, (
        seen - first[0]
    ).total_seconds()


def measure_alarm_delay(endpoint_url: str) -> dict[str, float]:
    """The bench numbers (module docstring), in a fresh sandbox account of the sandbox at ``endpoint_url``."""
    target = AwsTarget.sandbox(endpoint_url)
    one_sandbox, one_real = _delay(target, one_of_one("bench-single"), "bench-single")
    three_sandbox, three_real = _delay(target, rollback_rate("bench-rate"), "bench-rate")
    return {
        "alarm_delay_1of1_sandbox_s": round(one_sandbox, 1),
        "alarm_delay_1of1_real_s": round(one_real, 3),
        "alarm_delay_3of3_sandbox_s": round(three_sandbox, 1),
        "alarm_delay_3of3_real_s": round(three_real, 3),
        "time_scale": SCALE,
    }
