"""The sandbox answers a retried attempt of an SDK call it already served with the same response, so a
response lost on the way back never makes a create run twice."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _iam_sending(target: AwsTarget, invocation: str, attempt: int) -> Any:
    """An IAM client whose calls all carry one SDK invocation id and attempt number."""
    iam = target.session().client("iam", endpoint_url=target.endpoint_url)

    def stamp(request: Any, **_: Any) -> None:
        request.headers["amz-sdk-invocation-id"] = invocation
        request.headers["amz-sdk-request"] = f"attempt={attempt}; max=3"

    iam.meta.events.register("before-send.iam.*", stamp)
    return iam


def test_a_retry_of_a_served_create_gets_the_first_answer(sandbox_target: AwsTarget) -> None:
    first = _iam_sending(sandbox_target, "11111111-aaaa-4bbb-8ccc-000000000001", 1)
    created = first.create_role(RoleName="once", AssumeRolePolicyDocument=TRUST)["Role"]
    retry = _iam_sending(sandbox_target, "11111111-aaaa-4bbb-8ccc-000000000001", 2)
    again = retry.create_role(RoleName="once", AssumeRolePolicyDocument=TRUST)["Role"]
    assert again["RoleId"] == created["RoleId"]
    assert [r["RoleName"] for r in sandbox_target.client("iam").list_roles()["Roles"]] == ["once"]


def test_a_new_call_is_never_answered_from_memory(sandbox_target: AwsTarget) -> None:
    _iam_sending(sandbox_target, "22222222-aaaa-4bbb-8ccc-000000000002", 1).create_role(
        RoleName="twice", AssumeRolePolicyDocument=TRUST
    )
    other_call = _iam_sending(sandbox_target, "22222222-aaaa-4bbb-8ccc-000000000003", 1)
    with pytest.raises(ClientError) as raised:
        other_call.create_role(RoleName="twice", AssumeRolePolicyDocument=TRUST)
    assert raised.value.response["Error"]["Code"] == "EntityAlreadyExists"


def test_a_first_attempt_reusing_an_id_is_run_again(sandbox_target: AwsTarget) -> None:
    """Only retries (attempt 2 and later) are answered from memory."""
    _iam_sending(sandbox_target, "33333333-aaaa-4bbb-8ccc-000000000004", 1).create_role(
        RoleName="thrice", AssumeRolePolicyDocument=TRUST
    )
    with pytest.raises(ClientError):
        _iam_sending(sandbox_target, "33333333-aaaa-4bbb-8ccc-000000000004", 1).create_role(
            RoleName="thrice", AssumeRolePolicyDocument=TRUST
        )
