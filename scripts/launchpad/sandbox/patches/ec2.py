"""EC2: VPC flow logs delivered to a CloudWatch Logs group named by ARN.

AWS: ``CreateFlowLogs`` accepts the destination either as ``LogGroupName`` or as ``LogDestination`` (the log
group ARN) with ``LogDestinationType=cloud-watch-logs``; ``DescribeFlowLogs`` then reports
``DeliverLogsStatus`` ``SUCCESS`` while the group exists
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html).
Stock moto looks the group up by ``LogGroupName`` only, so a flow log created by ARN (as the Terraform
provider does) is reported ``FAILED`` / ``Access error`` although its group exists.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.flow_logs import FlowLogsBackend
from moto.logs.models import logs_backends

_MARK = "_launchpad_ec2_patch"
_LOG_GROUP_MARKER = ":log-group:"


def log_group_from_arn(arn: str | None) -> str | None:
    """``arn:aws:logs:eu-west-1:123456789012:log-group:NAME[:*]`` -> ``NAME``."""
    if not arn or _LOG_GROUP_MARKER not in arn:
        return None
    name = arn.split(_LOG_GROUP_MARKER, 1)[1]
    return name[:-2] if name.endswith(":*") else name


def apply() -> None:
    if getattr(FlowLogsBackend, _MARK, False):
        return
    original = FlowLogsBackend.create_flow_logs

    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        flow_logs, unsuccessful = original(self, *args, **kwargs)
        groups = logs_backends[self.account_id][self.region_name].groups
        for flow_log in flow_logs:
            name = log_group_from_arn(flow_log.log_destination)
            if flow_log.log_destination_type == "cloud-watch-logs" and name in groups:
                flow_log.deliver_logs_status = "SUCCESS"
                flow_log.deliver_logs_error_message = None
        return flow_logs, unsuccessful

    FlowLogsBackend.create_flow_logs = create_flow_logs  # type: ignore[method-assign]
    setattr(FlowLogsBackend, _MARK, True)
