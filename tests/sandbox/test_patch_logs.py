"""The CloudWatch Logs patch: CreateLogGroup with a ``kmsKeyId`` succeeds only when the key policy lets the
service principal ``logs.<region>.amazonaws.com`` generate data keys and decrypt with it for that log group
(the encryption context ``kms:EncryptionContext:aws:logs:arn``); otherwise it is AccessDeniedException "The
specified KMS key does not exist or is not allowed to be used with Arn '<log group ARN>'" and no group is
made."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from tests.sandbox.support import client_error

pytestmark = pytest.mark.sandbox

CLOUDWATCH_LOGS_USE = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
]


def _key(target: AwsTarget, *statements: dict[str, Any]) -> str:
    """A key whose policy lets the account administer it, plus ``statements``; its ARN."""
    root = {
        "Sid": "Account",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{target.account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    policy = {"Version": "2012-10-17", "Statement": [root, *statements]}
    return target.client("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]


def _logs_may(
    target: AwsTarget, actions: list[str], region: str | None = None, groups: str | None = None
) -> dict[str, Any]:
    """A key policy statement letting CloudWatch Logs of ``region`` use the key, for log groups ``groups``."""
    statement: dict[str, Any] = {
        "Sid": "CloudWatchLogs",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region or target.region}.amazonaws.com"},
        "Action": actions,
        "Resource": "*",
    }
    if groups:
        statement["Condition"] = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups}}
    return statement


def _group_arn(target: AwsTarget, name: str) -> str:
    return f"arn:aws:logs:{target.region}:{target.account_id}:log-group:{name}"


def _groups(target: AwsTarget, prefix: str) -> list[dict[str, Any]]:
    return list(target.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"])


def _refused(target: AwsTarget, name: str, key: str) -> str:
    """CreateLogGroup ``name`` with ``key`` is refused as CloudWatch Logs refuses it, and makes nothing; the
    message's explanation (the key policy's refusal)."""
    with pytest.raises(ClientError) as raised:
        target.client("logs").create_log_group(logGroupName=name, kmsKeyId=key)
    code, message = client_error(raised)
    assert code == "AccessDeniedException"
    expected = (
        "The specified KMS key does not exist or is not allowed to be used with Arn "
        f"'{_group_arn(target, name)}' ("
    )
    assert message.startswith(expected), message
    assert _groups(target, name) == []
    return message[len(expected) : -1]


def test_a_key_whose_policy_does_not_name_cloudwatch_logs_is_refused(sandbox_target: AwsTarget) -> None:
    key = _key(sandbox_target)
    why = _refused(sandbox_target, "/lp/logs/unnamed", key)
    assert why == (
        f"User: logs.{sandbox_target.region}.amazonaws.com is not authorized to perform: kms:GenerateDataKey "
        f"on resource: {key} because no resource-based policy allows the kms:GenerateDataKey action"
    )


def test_a_key_whose_policy_allows_cloudwatch_logs_encrypts_the_group(sandbox_target: AwsTarget) -> None:
    key = _key(sandbox_target, _logs_may(sandbox_target, CLOUDWATCH_LOGS_USE))
    logs = sandbox_target.client("logs")
    logs.create_log_group(logGroupName="/lp/logs/encrypted", kmsKeyId=key)
    [group] = _groups(sandbox_target, "/lp/logs/encrypted")
    assert (group["logGroupName"], group["kmsKeyId"]) == ("/lp/logs/encrypted", key)


def test_cloudwatch_logs_must_also_be_allowed_to_decrypt(sandbox_target: AwsTarget) -> None:
    key = _key(sandbox_target, _logs_may(sandbox_target, ["kms:GenerateDataKey*", "kms:Describe*"]))
    why = _refused(sandbox_target, "/lp/logs/write-only", key)
    assert f"is not authorized to perform: kms:Decrypt on resource: {key}" in why


def test_the_key_is_used_with_the_log_groups_arn_as_encryption_context(sandbox_target: AwsTarget) -> None:
    allowed = _group_arn(sandbox_target, "/lp/logs/team-a/*")
    key = _key(sandbox_target, _logs_may(sandbox_target, CLOUDWATCH_LOGS_USE, groups=allowed))
    why = _refused(sandbox_target, "/lp/logs/team-b/app", key)
    assert "kms:GenerateDataKey" in why
    sandbox_target.client("logs").create_log_group(logGroupName="/lp/logs/team-a/app", kmsKeyId=key)
    assert [g["logGroupName"] for g in _groups(sandbox_target, "/lp/logs/team-")] == ["/lp/logs/team-a/app"]


def test_a_key_allowing_cloudwatch_logs_of_another_region_is_refused(sandbox_target: AwsTarget) -> None:
    other = "us-east-1" if sandbox_target.region != "us-east-1" else "eu-west-1"
    key = _key(sandbox_target, _logs_may(sandbox_target, CLOUDWATCH_LOGS_USE, region=other))
    why = _refused(sandbox_target, "/lp/logs/elsewhere", key)
    assert why.startswith(f"User: logs.{sandbox_target.region}.amazonaws.com is not authorized")


def test_a_key_that_does_not_exist_is_refused(sandbox_target: AwsTarget) -> None:
    missing = (
        f"arn:aws:kms:{sandbox_target.region}:{sandbox_target.account_id}:key/"
        "11111111-2222-3333-4444-555555555555"
    )
    why = _refused(sandbox_target, "/lp/logs/keyless", missing)
    assert f"kms:GenerateDataKey on resource: {missing}" in why


def test_a_group_without_a_key_needs_no_key_policy(sandbox_target: AwsTarget) -> None:
    sandbox_target.client("logs").create_log_group(logGroupName="/lp/logs/plain")
    [group] = _groups(sandbox_target, "/lp/logs/plain")
    assert "kmsKeyId" not in group
