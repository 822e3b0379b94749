"""Lambda and customer managed KMS keys, as the execution role: the function's environment variables are
decrypted with its KMSKeyArn when an environment starts (Lambda Developer Guide, "Securing Lambda environment
variables"; Lambda API Reference, Invoke's KMS errors), and a dead letter sent to an SSE-KMS queue needs the
queue's key (SQS Developer Guide, "Amazon SQS Key management")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from tests.sandbox.support import client_error
from tests.sandbox.test_patch_lambda import FAILING, create_function, execution_role, invoke, package, poll

pytestmark = pytest.mark.sandbox

READER = "import os\n\ndef handler(event, context):\n    return os.environ['SECRET']\n"
CONTEXT_KEY = "kms:EncryptionContext:aws:lambda:FunctionArn"


def _key(target: AwsTarget) -> str:
    """A customer managed key of the target's account; its default policy lets IAM policies grant it."""
    return str(target.client("kms").create_key()["KeyMetadata"]["Arn"])


def _function_arn(target: AwsTarget, name: str) -> str:
    return f"arn:aws:lambda:{target.region}:{target.account_id}:function:{name}"


def _decrypt_own(key: str, function_arn: str) -> dict[str, Any]:
    """The retrain role's DecryptOwnEnvironment (modules/model-monitoring/retrain.tf)."""
    return {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
        "Condition": {"StringEquals": {CONTEXT_KEY: function_arn}},
    }


def _status(raised: pytest.ExceptionInfo[ClientError]) -> int:
    return int(raised.value.response["ResponseMetadata"]["HTTPStatusCode"])


def _denied(target: AwsTarget, role: str, function: str, key: str) -> str:
    kms = (
        f"User: arn:aws:sts::{target.account_id}:assumed-role/{role}/{function} is not authorized to "
        f"perform: kms:Decrypt on resource: {key} because no identity-based policy allows the kms:Decrypt "
        "action"
    )
    return (
        "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check "
        f"the function's KMS key settings. KMS Exception: AccessDeniedExceptionKMS Message: {kms}"
    )


# -- environment variables ----------------------------------------------------------------------------------
def test_the_role_decrypts_its_environment_with_the_functions_key_in_its_own_context(
    sandbox_target: AwsTarget,
) -> None:
    """With kms:Decrypt on the key in the function's encryption context, the function starts and reads its
    variables; the record shows the statement was the only allow of that kms:Decrypt."""
    target = sandbox_target
    key, arn = _key(target), _function_arn(target, "sealed-env")
    role = execution_role(target, "sealed-env", [{"Sid": "DecryptOwnEnvironment", **_decrypt_own(key, arn)}])
    env = {"Variables": {"SECRET": "s3cr3t"}}
    create_function(target, "sealed-env", package(**{"app.py": READER}), role, KMSKeyArn=key, Environment=env)
    assert target.client("lambda").get_function_configuration(FunctionName="sealed-env")["KMSKeyArn"] == key
    assert json.loads(invoke(target, "sealed-env")["Body"]) == "s3cr3t"
    record = workloads.usage(target, role)
    assert {n["statement"]: n["for"] for n in record["necessary"]}['Sid "DecryptOwnEnvironment"'] == [
        "kms:Decrypt",
        key,
    ]


def test_a_role_that_may_not_decrypt_its_environment_fails_the_invocation_with_kms_access_denied(
    sandbox_target: AwsTarget,
) -> None:
    """Without kms:Decrypt (or with it for another function's context), Invoke answers 502
    KMSAccessDeniedException with KMS's reason, the function does not run and leaves no log; an asynchronous
    invocation is dropped and kept as a refusal. Allowed, it runs."""
    target = sandbox_target
    key, arn = _key(target), _function_arn(target, "locked")
    other = _function_arn(target, "someone-else")
    role = execution_role(target, "locked", [_decrypt_own(key, other)])
    env = {"Variables": {"SECRET": "s3cr3t"}}
    create_function(target, "locked", package(**{"app.py": READER}), role, KMSKeyArn=key, Environment=env)
    with pytest.raises(ClientError) as raised:
        invoke(target, "locked")
    assert client_error(raised) == ("KMSAccessDeniedException", _denied(target, "locked", "locked", key))
    assert _status(raised) == 502
    logs = target.client("logs")
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/locked")["logGroups"] == []
    assert invoke(target, "locked", InvocationType="Event")["StatusCode"] == 202

    def refused() -> list[dict[str, str]]:
        return [r for r in workloads.refusals(target) if r["what"] == f"invocation of {arn}"]

    [refusal] = poll(refused, "the refused asynchronous invocation")
    assert refusal["message"] == _denied(target, "locked", "locked", key)
    execution_role(target, "locked", [_decrypt_own(key, arn)])
    assert json.loads(invoke(target, "locked")["Body"]) == "s3cr3t"


def test_a_disabled_key_or_one_pending_deletion_fails_the_invocation(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    key = _key(target)
    role = execution_role(target, "unkeyed", [_decrypt_own(key, _function_arn(target, "unkeyed"))])
    env = {"Variables": {"SECRET": "s3cr3t"}}
    create_function(target, "unkeyed", package(**{"app.py": READER}), role, KMSKeyArn=key, Environment=env)
    kms, key_id = target.client("kms"), key.rsplit("/", 1)[1]  # moto's DisableKey takes no ARN
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as raised:
        invoke(target, "unkeyed")
    assert client_error(raised) == (
        "KMSDisabledException",
        "Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Check "
        "the Lambda function's KMS key settings.",
    )
    assert _status(raised) == 502
    kms.enable_key(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as raised:
        invoke(target, "unkeyed")
    assert client_error(raised) == (
        "KMSInvalidStateException",
        "Lambda was unable to decrypt the environment variables because the KMS key used is in an invalid "
        "state for Decrypt. Check the function's KMS key settings.",
    )


def test_lambdas_own_key_needs_no_permission_and_an_update_can_go_back_to_it(
    sandbox_target: AwsTarget,
) -> None:
    """No KMSKeyArn: Lambda's default key, nothing asked of the role. UpdateFunctionConfiguration keeps a
    KMSKeyArn (then the role must decrypt) and an empty one goes back to the default key."""
    target = sandbox_target
    key = _key(target)
    role = execution_role(target, "plain-env")
    env = {"Variables": {"SECRET": "plain"}}
    create_function(target, "plain-env", package(**{"app.py": READER}), role, Environment=env)
    assert json.loads(invoke(target, "plain-env")["Body"]) == "plain"
    lam = target.client("lambda")
    assert lam.update_function_configuration(FunctionName="plain-env", KMSKeyArn=key)["KMSKeyArn"] == key
    with pytest.raises(ClientError) as raised:
        invoke(target, "plain-env")
    assert client_error(raised)[0] == "KMSAccessDeniedException"
    assert "KMSKeyArn" not in lam.update_function_configuration(FunctionName="plain-env", KMSKeyArn="")
    assert json.loads(invoke(target, "plain-env")["Body"]) == "plain"


# -- a dead-letter queue encrypted with a customer managed key ----------------------------------------------
def _sealed_queue(target: AwsTarget, name: str, key: str) -> tuple[str, str]:
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes={"KmsMasterKeyId": key})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _through_sqs(target: AwsTarget, key: str, *actions: str) -> dict[str, Any]:
    """The retrain role's EncryptFailedEventsThroughSqs (modules/model-monitoring/retrain.tf): ``actions``."""
    return {
        "Sid": "EncryptFailedEventsThroughSqs",
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{target.region}.amazonaws.com"}},
    }


def test_a_dead_letter_to_an_encrypted_queue_needs_its_key_through_sqs_as_the_role(
    sandbox_target: AwsTarget,
) -> None:
    """sqs:SendMessage is what CreateFunction checks; the delivery, as the role, also needs
    kms:GenerateDataKey and kms:Decrypt on the queue's key via SQS: each one missing drops the dead letter and
    keeps a refusal naming it; with both the letter arrives, each the only allow of its authorization."""
    target = sandbox_target
    key = _key(target)
    url, queue = _sealed_queue(target, "sealed-dlq", key)
    send = {
        "Sid": "SendFailedEventsToQueue",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": queue,
    }
    role = execution_role(target, "sealer", [send])
    dead_letters = {"TargetArn": queue}
    create_function(target, "sealer", package(**{"app.py": FAILING}), role, DeadLetterConfig=dead_letters)
    sqs = target.client("sqs")

    def letters() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))

    principal = f"arn:aws:sts::{target.account_id}:assumed-role/sealer/sealer"
    for granted, missing in (((), "kms:GenerateDataKey"), (("kms:GenerateDataKey",), "kms:Decrypt")):
        execution_role(target, "sealer", [send, *([_through_sqs(target, key, *granted)] if granted else [])])
        assert invoke(target, "sealer", {"fail": True}, InvocationType="Event")["StatusCode"] == 202

        def refused(missing: str = missing) -> list[dict[str, str]]:
            return [r for r in workloads.refusals(target) if f"perform: {missing} on" in r["message"]]

        [refusal] = poll(refused, f"the dead letter refused {missing}")
        assert refusal["what"].startswith("dead-letter of sealer's event ") and refusal["what"].endswith(
            queue
        )
        assert refusal["message"] == (
            f"User: {principal} is not authorized to perform: {missing} on resource: {key} because no "
            f"identity-based policy allows the {missing} action"
        )
        assert letters() == []
    execution_role(target, "sealer", [send, _through_sqs(target, key, "kms:GenerateDataKey", "kms:Decrypt")])
    workloads.clear_usage(target, role)
    invoke(target, "sealer", {"fail": True, "n": 3}, InvocationType="Event")
    [letter] = poll(letters, "the dead letter")
    assert json.loads(letter["Body"]) == {"fail": True, "n": 3}
    necessary = {(n["statement"], n["action"]): n["for"] for n in workloads.usage(target, role)["necessary"]}
    sid = 'Sid "EncryptFailedEventsThroughSqs"'
    assert necessary[(sid, "kms:GenerateDataKey")] == ["kms:GenerateDataKey", key]
    assert necessary[(sid, "kms:Decrypt")] == ["kms:Decrypt", key]
    assert necessary[('Sid "SendFailedEventsToQueue"', "sqs:SendMessage")] == ["sqs:SendMessage", queue]
