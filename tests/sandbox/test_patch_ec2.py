"""The EC2 patch: flow logs sent to a log group named by ARN report successful delivery."""

from __future__ import annotations

from launchpad.aws import AwsTarget
from launchpad.sandbox.patches.ec2 import log_group_from_arn


def _flow_log(target: AwsTarget, destination_group: str) -> dict:
    ec2, logs = target.client("ec2"), target.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    logs.create_log_group(logGroupName="/lp/flow")
    arn = f"arn:aws:logs:{target.region}:{target.account_id}:log-group:{destination_group}"
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=arn,
        DeliverLogsPermissionArn=f"arn:aws:iam::{target.account_id}:role/flow-logs",
    )
    return ec2.describe_flow_logs()["FlowLogs"][0]


def test_flow_log_to_an_existing_group_by_arn_is_delivering(sandbox_target: AwsTarget) -> None:
    flow_log = _flow_log(sandbox_target, "/lp/flow")
    assert flow_log["DeliverLogsStatus"] == "SUCCESS"
    assert "DeliverLogsErrorMessage" not in flow_log


def test_flow_log_to_a_missing_group_still_fails(sandbox_target: AwsTarget) -> None:
    flow_log = _flow_log(sandbox_target, "/lp/absent")
    assert flow_log["DeliverLogsStatus"] == "FAILED"


def test_log_group_name_is_read_from_the_arn() -> None:
    assert log_group_from_arn("arn:aws:logs:eu-west-1:123456789012:log-group:/a/b:*") == "/a/b"
    assert log_group_from_arn("arn:aws:logs:eu-west-1:123456789012:log-group:/a/b") == "/a/b"
    assert log_group_from_arn("arn:aws:s3:::bucket") is None
    assert log_group_from_arn(None) is None
