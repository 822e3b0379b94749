"""Helpers the sandbox patch tests share."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.client import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget


def unchecked_client(target: AwsTarget, service: str) -> Any:
    """A client that sends what it is given, as the Go SDK under Terraform does: the server must check."""
    return target.new_client(service, Config(parameter_validation=False))


def client_error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """The code and message of the AWS error a call raised."""
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def outcome(call: Callable[[], Any]) -> str:
    """``ok``, or the error code of the call (every AccessDenied variant as ``AccessDenied``)."""
    try:
        call()
    except ClientError as error:
        code = str(error.response["Error"]["Code"])
        return "AccessDenied" if code.startswith("AccessDenied") else code
    return "ok"


def refusal(call: Callable[[], Any]) -> str:
    """``ok``, or ``<code>: <message>`` of the call's error (what a denial says it lacked)."""
    try:
        call()
    except ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error'].get('Message', '')}"
    return "ok"


SAGEMAKER_ROLE = "sagemaker"


def service_role(
    target: AwsTarget,
    name: str,
    service: str,
    statements: list[dict] | None = None,
    conditions: dict | None = None,
) -> str:
    """A role of the target's account that ``service`` may assume for this account, with an inline policy of
    ``statements`` (none: no policy); made once per name, its policy replaced on every call."""
    iam = target.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": conditions or {"StringEquals": {"aws:SourceAccount": target.account_id}},
            }
        ],
    }
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if statements:
        policy = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    return arn


def execution_role(
    target: AwsTarget, name: str = SAGEMAKER_ROLE, statements: list[dict] | None = None
) -> str:
    """A SageMaker execution role in the target's account, as SageMaker must be able to assume it (the
    sandbox checks CreateModel against its trust policy). Its policy allows reading rollback alarms, plus
    ``statements``; the sandbox's SageMaker logs and publishes metrics as the role best-effort."""
    allowed = [
        {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"},
        *(statements or []),
    ]
    return service_role(target, name, "sagemaker.amazonaws.com", allowed)


def model_artifacts(target: AwsTarget, *keys: str) -> tuple[str, list[str]]:
    """A bucket of the target's account holding an (unencrypted) object per key; (bucket, s3:// URIs)."""
    bucket = f"models-{target.account_id}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"model")
    return bucket, [f"s3://{bucket}/{key}" for key in keys]
