"""model-registry example applied for real: the group, its resource policy, and the query the deploy engine
uses to find the latest Approved version."""

from __future__ import annotations

import json
from typing import Any

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("model-registry", shared=True)


def _register(stack: Stack, version_image: str) -> str:
    return stack.client("sagemaker").create_model_package(
        ModelPackageGroupName=stack.outputs["model_package_group_name"],
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": version_image, "ModelDataUrl": "s3://lp-models/churn/model.tar.gz"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]


def _latest_approved(stack: Stack) -> list[str]:
    query: dict[str, Any] = stack.outputs["latest_approved_query"]
    summaries = stack.client("sagemaker").list_model_packages(**query)["ModelPackageSummaryList"]
    return [s["ModelPackageArn"] for s in summaries]


def _policy(stack: Stack) -> dict[str, Any]:
    raw = stack.client("sagemaker").get_model_package_group_policy(
        ModelPackageGroupName=stack.outputs["model_package_group_name"]
    )["ResourcePolicy"]
    return json.loads(raw)


def test_group_exists_with_its_resource_policy(stack: Stack) -> None:
    group = stack.client("sagemaker").describe_model_package_group(
        ModelPackageGroupName=stack.outputs["model_package_group_name"]
    )
    assert group["ModelPackageGroupArn"] == stack.outputs["model_package_group_arn"]
    assert _policy(stack) == json.loads(stack.outputs["resource_policy"])


def test_publishers_and_approvers_are_kept_apart(stack: Stack) -> None:
    allowed: dict[str, set[str]] = {}
    for statement in _policy(stack)["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        principals = statement["Principal"]["AWS"]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for principal in principals if isinstance(principals, list) else [principals]:
            allowed.setdefault(principal, set()).update(actions)
    publisher, approver = stack.outputs["publisher_role_arn"], stack.outputs["approver_role_arn"]
    assert "sagemaker:CreateModelPackage" in allowed[publisher]
    assert "sagemaker:UpdateModelPackage" not in allowed[publisher]
    assert "sagemaker:UpdateModelPackage" in allowed[approver]
    assert "sagemaker:CreateModelPackage" not in allowed[approver]
    assert allowed[stack.outputs["deployer_role_arn"]] <= {
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
    }


def test_query_finds_the_latest_approved_version(stack: Stack) -> None:
    sagemaker = stack.client("sagemaker")
    first = _register(stack, "111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn:1")
    second = _register(stack, "111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn:2")
    try:
        assert _latest_approved(stack) == []
        sagemaker.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved")
        assert _latest_approved(stack) == [first]
        sagemaker.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Approved")
        assert _latest_approved(stack) == [second]
        sagemaker.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Rejected")
        assert _latest_approved(stack) == [first]
    finally:  # a group holding versions cannot be deleted (AWS and sandbox alike)
        for arn in (first, second):
            sagemaker.delete_model_package(ModelPackageName=arn)


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
