"""sns-topic example applied for real: a KMS-encrypted topic whose policy admits only this account and the
named service, for the named source ARNs, over TLS."""

from __future__ import annotations

import json

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("sns-topic", shared=True)


def _policy(stack: Stack) -> dict:
    attributes = stack.client("sns").get_topic_attributes(TopicArn=stack.outputs["topic_arn"])["Attributes"]
    return json.loads(attributes["Policy"])


def test_topic_is_encrypted_with_the_key_and_signs_with_sha256(stack: Stack) -> None:
    attributes = stack.client("sns").get_topic_attributes(TopicArn=stack.outputs["topic_arn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == stack.outputs["kms_key_arn"]
    assert attributes["SignatureVersion"] == "2"


def test_cloudwatch_publishes_only_for_this_account_and_its_alarms(stack: Stack) -> None:
    statements = {s["Sid"]: s for s in _policy(stack)["Statement"]}
    publisher = statements["AllowServicePublisher0"]
    assert publisher["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publisher["Action"] == "sns:Publish"
    account = stack.target.account_id or stack.outputs["topic_arn"].split(":")[4]
    assert publisher["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    assert publisher["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":alarm:{stack.name}-*")
    assert all(s["Principal"] != "*" for s in statements.values())


def test_publishing_without_tls_is_denied(stack: Stack) -> None:
    deny = next(s for s in _policy(stack)["Statement"] if s["Sid"] == "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_email_subscription_is_pending_confirmation(stack: Stack) -> None:
    subscriptions = stack.client("sns").list_subscriptions_by_topic(TopicArn=stack.outputs["topic_arn"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [
        ("email", "ml-oncall@example.com")
    ]


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
