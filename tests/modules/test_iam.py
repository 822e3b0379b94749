"""iam example applied for real: a SageMaker execution role scoped to what it was given, nothing more."""

from __future__ import annotations

import json
import re
from typing import Any

from launchpad.inventory import account_inventory
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("iam", shared=True)


def _inline_statements(stack: Stack, role: str) -> list[dict[str, Any]]:
    iam = stack.client("iam")
    statements = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements += document["Statement"]
    return statements


def test_role_has_no_aws_managed_full_access_policy(stack: Stack) -> None:
    for role in (stack.outputs["sagemaker_role_name"], stack.outputs["codebuild_role_name"]):
        attached = stack.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        full_access = [
            p["PolicyArn"] for p in attached if re.search(r":aws:policy/.*FullAccess", p["PolicyArn"])
        ]
        assert full_access == [], f"{role} has {full_access}"


def test_role_trusts_sagemaker_on_behalf_of_this_account_only(stack: Stack) -> None:
    role = stack.client("iam").get_role(RoleName=stack.outputs["sagemaker_role_name"])["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    account = stack.outputs["sagemaker_role_arn"].split(":")[4]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account


def test_role_has_the_permissions_boundary(stack: Stack) -> None:
    role = stack.client("iam").get_role(RoleName=stack.outputs["sagemaker_role_name"])["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == stack.outputs["permissions_boundary_arn"]


def test_s3_and_kms_access_is_scoped_to_the_named_resources(stack: Stack) -> None:
    statements = _inline_statements(stack, stack.outputs["sagemaker_role_name"])
    for statement in statements:
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        if any(a.startswith(("s3:", "kms:")) for a in actions):
            assert "*" not in resources, f"S3/KMS on every resource: {statement}"
        if "*" in resources:  # only calls AWS cannot scope (ECR auth token, Describe*, PutMetricData)
            assert all(
                a.startswith(("ecr:GetAuthorizationToken", "ec2:Describe", "cloudwatch:PutMetricData"))
                for a in actions
            ), statement
    s3_resources = {
        r
        for s in statements
        if any(a.startswith("s3:") for a in as_list(s["Action"]))
        for r in as_list(s["Resource"])
    }
    assert {r.split(":::")[1].split("/")[0] for r in s3_resources} == {
        f"{stack.name}-model-artifacts",
        f"{stack.name}-data-capture",
    }
    assert not [
        a for s in statements for a in as_list(s["Action"]) if a in ("s3:*", "s3:DeleteObject", "iam:*")
    ]


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
