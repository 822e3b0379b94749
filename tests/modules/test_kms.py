"""kms example applied for real: rotation, key policy without wildcard principals, alias, clean destroy."""

from __future__ import annotations

import json

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("kms", shared=True)


def _policy(stack: Stack) -> dict:
    raw = stack.client("kms").get_key_policy(KeyId=stack.outputs["key_id"], PolicyName="default")["Policy"]
    return json.loads(raw)


def test_key_is_customer_managed_with_rotation(stack: Stack) -> None:
    kms = stack.client("kms")
    meta = kms.describe_key(KeyId=stack.outputs["key_arn"])["KeyMetadata"]
    assert meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=stack.outputs["key_arn"])["KeyRotationEnabled"] is True


def test_alias_points_at_the_key(stack: Stack) -> None:
    aliases = stack.client("kms").list_aliases(KeyId=stack.outputs["key_id"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/{stack.name}"]


def test_key_policy_names_every_principal(stack: Stack) -> None:
    principals = []
    for statement in _policy(stack)["Statement"]:
        assert statement["Effect"] == "Allow"
        for values in statement["Principal"].values():
            principals += values if isinstance(values, list) else [values]
    assert "*" not in principals
    account = stack.outputs["key_arn"].split(":")[4]
    assert f"arn:aws:iam::{account}:root" in principals
    assert stack.outputs["key_admin_role_arn"] in principals
    assert stack.outputs["key_user_role_arn"] in principals


def test_services_are_held_to_this_account(stack: Stack) -> None:
    """A service principal may use the key only on behalf of this account (no confused deputy)."""
    account = stack.outputs["key_arn"].split(":")[4]
    service_statements = [s for s in _policy(stack)["Statement"] if "Service" in s["Principal"]]
    assert service_statements, "the example grants CloudWatch Logs and S3"
    for statement in service_statements:
        conditions = json.dumps(statement.get("Condition", {}))
        assert account in conditions, f"not held to account {account}: {statement}"


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
