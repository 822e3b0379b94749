"""The EC2 patch: flow logs are delivered by vpc-flow-logs.amazonaws.com as their role, to a log group named
by ARN; a refused delivery is FAILED / Access error and kept as a refusal."""

from __future__ import annotations

import json

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.ec2 import log_group_from_arn
from tests.sandbox.support import service_role

GROUP = "/lp/flow"
DELIVERY = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]


def _role(
    target: AwsTarget, actions: list[str] = DELIVERY, service: str = "vpc-flow-logs.amazonaws.com"
) -> str:
    arn = f"arn:aws:logs:{target.region}:{target.account_id}:log-group:{GROUP}"
    return service_role(
        target, "flow-logs", service, [{"Effect": "Allow", "Action": actions, "Resource": [arn, f"{arn}:*"]}]
    )


def _flow_log(target: AwsTarget, destination_group: str, role: str) -> dict:
    ec2, logs = target.client("ec2"), target.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    logs.create_log_group(logGroupName=GROUP)
    arn = f"arn:aws:logs:{target.region}:{target.account_id}:log-group:{destination_group}"
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=arn,
        DeliverLogsPermissionArn=role,
    )
    return ec2.describe_flow_logs()["FlowLogs"][0]


def test_flow_log_to_an_existing_group_by_arn_is_delivered_as_its_role(sandbox_target: AwsTarget) -> None:
    flow_log = _flow_log(sandbox_target, GROUP, _role(sandbox_target))
    assert flow_log["DeliverLogsStatus"] == "SUCCESS"
    assert "DeliverLogsErrorMessage" not in flow_log
    logs = sandbox_target.client("logs")
    [stream] = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=stream["logStreamName"])["events"]
    assert len(events) == 1 and flow_log["ResourceId"] in events[0]["message"]


def test_flow_log_to_a_missing_group_still_fails(sandbox_target: AwsTarget) -> None:
    flow_log = _flow_log(sandbox_target, "/lp/absent", _role(sandbox_target))
    assert flow_log["DeliverLogsStatus"] == "FAILED"


def test_a_role_without_put_log_events_fails_the_delivery_and_says_so(sandbox_target: AwsTarget) -> None:
    role = _role(sandbox_target, ["logs:CreateLogStream", "logs:DescribeLogStreams"])
    flow_log = _flow_log(sandbox_target, GROUP, role)
    assert (flow_log["DeliverLogsStatus"], flow_log["DeliverLogsErrorMessage"]) == ("FAILED", "Access error")
    [refusal] = workloads.refusals(sandbox_target)
    assert (
        "logs:PutLogEvents" in refusal["message"] and "assumed-role/flow-logs/FlowLogs" in refusal["message"]
    )


def test_a_role_the_flow_log_service_cannot_assume_fails_the_delivery(sandbox_target: AwsTarget) -> None:
    role = _role(sandbox_target, service="ec2.amazonaws.com")
    flow_log = _flow_log(sandbox_target, GROUP, role)
    assert flow_log["DeliverLogsStatus"] == "FAILED"
    [refusal] = workloads.refusals(sandbox_target)
    assert "vpc-flow-logs.amazonaws.com is not authorized to perform: sts:AssumeRole" in refusal["message"]


def test_log_group_name_is_read_from_the_arn() -> None:
    assert log_group_from_arn("arn:aws:logs:eu-west-1:123456789012:log-group:/a/b:*") == "/a/b"
    assert log_group_from_arn("arn:aws:logs:eu-west-1:123456789012:log-group:/a/b") == "/a/b"
    assert log_group_from_arn("arn:aws:s3:::bucket") is None
    assert log_group_from_arn(None) is None


# -- CloudWatch Logs: an encrypted group only with a key CloudWatch Logs may use ----------------------
def _key(target: AwsTarget, allow_logs: bool) -> str:
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{target.account_id}:root"},
        "Action": "kms:*",
    }
    statements = [{**root, "Resource": "*"}]
    if allow_logs:
        group_arns = f"arn:aws:logs:{target.region}:{target.account_id}:*"
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{target.region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": group_arns}},
            }
        )
    policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return target.client("kms").create_key(Policy=policy)["KeyMetadata"]["Arn"]


def test_an_encrypted_log_group_needs_a_key_that_lets_cloudwatch_logs_use_it(
    sandbox_target: AwsTarget,
) -> None:
    logs = sandbox_target.client("logs")
    refused = _key(sandbox_target, allow_logs=False)
    try:
        logs.create_log_group(logGroupName="/lp/encrypted", kmsKeyId=refused)
    except logs.exceptions.ClientError as error:
        code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
    else:
        raise AssertionError("a key that does not allow CloudWatch Logs was accepted")
    assert code == "AccessDeniedException"
    assert "is not allowed to be used with Arn" in message and "kms:GenerateDataKey" in message
    assert logs.describe_log_groups(logGroupNamePrefix="/lp/encrypted")["logGroups"] == []
    logs.create_log_group(logGroupName="/lp/encrypted", kmsKeyId=_key(sandbox_target, allow_logs=True))
    [group] = logs.describe_log_groups(logGroupNamePrefix="/lp/encrypted")["logGroups"]
    assert group["kmsKeyId"].startswith("arn:aws:kms:")
