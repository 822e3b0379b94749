"""What a REST API stage leaves behind per request: its access log line and its CloudWatch metrics.

AWS (API Gateway Developer Guide, "Set up CloudWatch logging for REST APIs in API Gateway" (access logging:
the stage's ``accessLogSettings`` ``destinationArn`` and ``format``, the account's ``cloudwatchRoleArn``
that API Gateway writes with), "Variables for data transformations for API Gateway" (``$context``),
"Amazon API Gateway dimensions and metrics" (``Count``, ``4XXError``, ``5XXError``, ``Latency``,
``IntegrationLatency``; dimensions ``ApiName`` and ``ApiName, Stage``)). The rules as modelled are in
``launchpad.sandbox.patches.apigateway``'s docstring. A failure here never fails the request: it is logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow
from moto.logs.models import logs_backends

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.record import USAGE

log = logging.getLogger(__name__)

NAMESPACE = "AWS/ApiGateway"
SERVICE = "apigateway.amazonaws.com"
_VARIABLE = re.compile(r"\$\{context((?:\.[A-Za-z0-9_:-]+)+)\}|\$context((?:\.[A-Za-z0-9_:-]+)+)")


@dataclass(frozen=True)
class Record:
    """One request a stage answered."""

    account: str
    region: str
    api_id: str
    api_name: str
    stage: str
    access_log: Mapping[str, Any] | None  # the stage's accessLogSettings
    cloudwatch_role: str | None  # the account's cloudwatchRoleArn
    context: Mapping[str, Any]  # the $context variables
    status: int
    latency_ms: float
    integration_ms: float | None


def publish_metrics(record: Record) -> None:
    values: list[tuple[str, float, str]] = [
        ("Count", 1.0, "Count"),
        ("4XXError", 1.0 if 400 <= record.status < 500 else 0.0, "Count"),
        ("5XXError", 1.0 if record.status >= 500 else 0.0, "Count"),
        ("Latency", record.latency_ms, "Milliseconds"),
    ]
    if record.integration_ms is not None:
        values.append(("IntegrationLatency", record.integration_ms, "Milliseconds"))
    by_api = [{"Name": "ApiName", "Value": record.api_name}]
    by_stage = [*by_api, {"Name": "Stage", "Value": record.stage}]
    now = utcnow()
    data = [
        {"MetricName": metric, "Dimensions": dimensions, "Value": value, "Unit": unit, "Timestamp": now}
        for dimensions in (by_api, by_stage)
        for metric, value, unit in values
    ]
    cloudwatch_backends[record.account][record.region].put_metric_data(NAMESPACE, data)


def _lookup(context: Mapping[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.strip(".").split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def access_line(template: str, context: Mapping[str, Any]) -> str:
    """The access log format with its ``$context`` variables substituted ("-" for an empty one)."""

    def substitute(found: re.Match[str]) -> str:
        value = _lookup(context, found.group(1) or found.group(2))
        return "-" if value is None or value == "" else str(value)

    return _VARIABLE.sub(substitute, template)


def _refuse(record: Record, why: str) -> None:
    USAGE.refuse(record.account, "apigateway", f"access log of {record.api_id}/{record.stage}", why)
    log.info("apigateway %s/%s: access log line dropped: %s", record.api_id, record.stage, why)


def write_access_log(record: Record) -> None:
    """The access log line to the stage's log group, as the account's CloudWatch role."""
    settings = record.access_log or {}
    destination, template = settings.get("destinationArn"), settings.get("format")
    if not destination or not template:
        return
    parts = str(destination).removesuffix(":*").split(":", 6)
    if len(parts) != 7 or parts[2] != "logs" or parts[5] != "log-group":
        _refuse(record, f"{destination} is not a log group ARN")
        return
    region, account, group = parts[3], parts[4], parts[6]
    stream = f"{record.api_id}-{record.stage}"
    if authz.enabled():
        if not record.cloudwatch_role:
            _refuse(record, "the account has no CloudWatch Logs role (UpdateAccount cloudwatchRoleArn)")
            return
        try:
            principal = acting.assume(record.cloudwatch_role, SERVICE, record.region, None, record.account)
        except acting.Refused as refused:
            _refuse(record, str(refused))
            return
        for operation in ("CreateLogStream", "PutLogEvents"):
            made = acting.call("logs", operation, {"logGroupName": group, "logStreamName": stream}, region)
            denied = acting.check(principal, made)
            if denied is not None:
                _refuse(record, denied.message)
                return
    backend = logs_backends[account][region]
    if group not in backend.groups:
        _refuse(record, f"The specified log group does not exist: {group}")
        return
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    line = access_line(str(template), record.context)
    backend.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])


def record(entry: Record) -> None:
    """Metrics and access log of one request; failures are logged, never answered."""
    for step in (publish_metrics, write_access_log):
        try:
            step(entry)
        except Exception:  # observing a request must not fail it
            log.exception("apigateway %s/%s: %s failed", entry.api_id, entry.stage, step.__name__)
