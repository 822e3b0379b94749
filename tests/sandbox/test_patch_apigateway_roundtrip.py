"""The API Gateway round-trip patch: the account's CloudWatch role is set, read back, and cleared again by a
``replace`` without a value (what aws_api_gateway_account sends on destroy)."""

from __future__ import annotations

import json

from launchpad.aws import AwsTarget

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _role(target: AwsTarget) -> str:
    iam = target.client("iam")
    return iam.create_role(RoleName="apigateway-logs", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]


def test_the_role_set_is_read_back(sandbox_target: AwsTarget) -> None:
    api = sandbox_target.client("apigateway")
    role = _role(sandbox_target)
    api.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert api.get_account()["cloudwatchRoleArn"] == role


def test_replace_without_a_value_clears_the_role(sandbox_target: AwsTarget) -> None:
    api = sandbox_target.client("apigateway")
    role = _role(sandbox_target)
    api.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    api.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn"}])
    assert "cloudwatchRoleArn" not in api.get_account()


def test_replace_with_an_empty_value_clears_the_role_too(sandbox_target: AwsTarget) -> None:
    api = sandbox_target.client("apigateway")
    role = _role(sandbox_target)
    api.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    api.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}])
    account = api.get_account()
    assert "cloudwatchRoleArn" not in account
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}


def test_a_fresh_account_has_no_role(sandbox_target: AwsTarget) -> None:
    assert "cloudwatchRoleArn" not in sandbox_target.client("apigateway").get_account()
