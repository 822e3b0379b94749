"""terraform/baseline applied for real: the four modules composed as an environment uses them."""

from __future__ import annotations

import json

from launchpad.demo import describe_baseline
from launchpad.inventory import account_inventory
from launchpad.paths import repo_root
from launchpad.testing import Stack, applied_stack, assert_replan_empty

stack = applied_stack(repo_root() / "terraform" / "baseline", "lp-base", {"force_destroy_buckets": True})


def test_data_buckets_use_the_data_key_and_log_to_the_log_bucket(stack: Stack) -> None:
    s3 = stack.client("s3")
    log_bucket, *data_buckets = stack.outputs["bucket_names"]
    data_key = stack.outputs["kms_key_arns"][0]
    assert len(data_buckets) == 2
    for bucket in data_buckets:
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": data_key,
        }
        assert rule["BucketKeyEnabled"] is True
        assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"] == log_bucket


def test_role_reaches_exactly_the_stack_buckets_and_keys(stack: Stack) -> None:
    iam = stack.client("iam")
    role = stack.outputs["sagemaker_role_name"]
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
        for n in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    text = json.dumps(documents)
    for bucket in stack.outputs["bucket_names"][1:]:
        assert f"arn:aws:s3:::{bucket}" in text
    assert stack.outputs["bucket_names"][0] not in text, "the role has no business in the access logs"
    for key in stack.outputs["kms_key_arns"]:
        assert key in text


def test_demo_description_reads_the_security_properties_from_aws(stack: Stack) -> None:
    lines = describe_baseline(stack.target, stack.outputs)
    log_bucket, *data_buckets = stack.outputs["bucket_names"]
    assert f"bucket {log_bucket}: AES256, versioning Enabled" in lines  # S3 log delivery needs SSE-S3
    for bucket in data_buckets:
        assert f"bucket {bucket}: aws:kms, versioning Enabled" in lines
    assert sum("rotation on" in line for line in lines) == 2
    assert any(line.endswith("(0 public), 7 endpoints, flow logs ACTIVE") for line in lines), lines
    assert f"role {stack.outputs['sagemaker_role_name']}: 0 managed policies attached" in lines


def test_state_lists_every_resource(stack: Stack) -> None:
    resources = stack.workspace.tf.state_resources()
    assert "module.network.aws_vpc.this" in resources
    assert sum(r.startswith("module.buckets[") for r in resources) >= 2 * 8


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
