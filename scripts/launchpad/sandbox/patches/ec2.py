"""EC2: VPC flow logs delivered to a CloudWatch Logs group named by ARN.

AWS: ``CreateFlowLogs`` accepts the destination either as ``LogGroupName`` or as ``LogDestination`` (the log
group ARN) with ``LogDestinationType=cloud-watch-logs``; ``DescribeFlowLogs`` then reports
``DeliverLogsStatus`` ``SUCCESS`` while the group exists
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html).
Stock moto looks the group up by ``LogGroupName`` only, so a flow log created by ARN (as the Terraform
provider does) is reported ``FAILED`` / ``Access error`` although its group exists.

EC2: flow logs are delivered by ``vpc-flow-logs.amazonaws.com`` as the role ``DeliverLogsPermissionArn``
names (VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs"): it assumes the role for the
flow log (``aws:SourceArn`` the flow log, ``aws:SourceAccount`` the account; the role's trust policy
decides), finds or makes the log stream (``logs:DescribeLogStreams``, ``logs:CreateLogStream``) and puts the
records (``logs:PutLogEvents``). The sandbox delivers a first record when the flow log is created, so a
working flow log has a stream with an event in its group; a refused delivery makes it ``FAILED`` with
``Access error``, as AWS reports it, and is kept as a refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.ec2.models.flow_logs import FlowLogsBackend
from moto.logs.models import logs_backends

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.record import USAGE

_MARK = "_launchpad_ec2_patch"
_LOG_GROUP_MARKER = ":log-group:"
FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"


def log_group_from_arn(arn: str | None) -> str | None:
    """``arn:aws:logs:eu-west-1:123456789012:log-group:NAME[:*]`` -> ``NAME``."""
    if not arn or _LOG_GROUP_MARKER not in arn:
        return None
    name = arn.split(_LOG_GROUP_MARKER, 1)[1]
    return name[:-2] if name.endswith(":*") else name


def deliver(account: str, region: str, flow_log: Any, group: str) -> str | None:
    """Deliver the flow log's first record as its role; the refusal's message, or None when it landed."""
    if not authz.enabled():
        return None
    arn = f"arn:aws:ec2:{region}:{account}:vpc-flow-log/{flow_log.id}"
    stream = f"{flow_log.resource_id}-all"
    try:
        role = acting.assume(
            str(flow_log.deliver_logs_permission_arn), FLOW_LOGS_SERVICE, region, arn, account, "FlowLogs"
        )
    except acting.Refused as refused:
        USAGE.refuse(account, "ec2", f"flow log {flow_log.id} to {group}", str(refused))
        return str(refused)
    for operation, params in (
        ("DescribeLogStreams", {"logGroupName": group, "logStreamNamePrefix": stream}),
        ("CreateLogStream", {"logGroupName": group, "logStreamName": stream}),
        ("PutLogEvents", {"logGroupName": group, "logStreamName": stream}),
    ):
        denied = acting.check(role, acting.call("logs", operation, params, region))
        if denied is not None:
            USAGE.refuse(account, "ec2", f"flow log {flow_log.id} to {group}", denied.message)
            return denied.message
    logs = logs_backends[account][region]
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    now = int(datetime.now(UTC).timestamp() * 1000)
    record = f"2 {account} {flow_log.resource_id} - - - - - - - {now // 1000} {now // 1000} - NODATA"
    logs.put_log_events(group, stream, [{"timestamp": now, "message": record}])
    return None


def apply() -> None:
    if getattr(FlowLogsBackend, _MARK, False):
        return
    original = FlowLogsBackend.create_flow_logs

    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        flow_logs, unsuccessful = original(self, *args, **kwargs)
        groups = logs_backends[self.account_id][self.region_name].groups
        for flow_log in flow_logs:
            name = log_group_from_arn(flow_log.log_destination) or flow_log.log_group_name
            if flow_log.log_destination_type == "cloud-watch-logs" and name in groups:
                refused = deliver(self.account_id, self.region_name, flow_log, name)
                flow_log.deliver_logs_status = "FAILED" if refused else "SUCCESS"
                flow_log.deliver_logs_error_message = "Access error" if refused else None
        return flow_logs, unsuccessful

    FlowLogsBackend.create_flow_logs = create_flow_logs  # type: ignore[method-assign]
    setattr(FlowLogsBackend, _MARK, True)
