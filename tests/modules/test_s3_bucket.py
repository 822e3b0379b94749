"""s3-bucket example applied for real: KMS by default, TLS only, no public access, logged, lifecycled."""

from __future__ import annotations

import json
from typing import Any

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("s3-bucket", shared=True)


def _policy(stack: Stack, bucket: str) -> list[dict[str, Any]]:
    return json.loads(stack.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]


def _buckets(stack: Stack) -> list[str]:
    return [stack.outputs["data_bucket_id"], stack.outputs["log_bucket_id"]]


def test_data_bucket_is_encrypted_with_our_key_and_bucket_key(stack: Stack) -> None:
    config = stack.client("s3").get_bucket_encryption(Bucket=stack.outputs["data_bucket_id"])
    [rule] = config["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": stack.outputs["kms_key_arn"],
    }
    assert rule["BucketKeyEnabled"] is True


def test_log_bucket_uses_sse_s3_because_log_delivery_requires_it(stack: Stack) -> None:
    config = stack.client("s3").get_bucket_encryption(Bucket=stack.outputs["log_bucket_id"])
    [rule] = config["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_versioning_public_access_block_and_ownership(stack: Stack) -> None:
    s3 = stack.client("s3")
    for bucket in _buckets(stack):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_policy_denies_insecure_transport(stack: Stack) -> None:
    for bucket in _buckets(stack):
        denies = [s for s in _policy(stack, bucket) if s["Effect"] == "Deny"]
        tls = [
            s for s in denies if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert len(tls) == 1, f"{bucket}: no aws:SecureTransport=false deny"
        assert tls[0]["Principal"] in ("*", {"AWS": "*"}) and tls[0]["Action"] in ("s3:*", ["s3:*"])
        resources = tls[0]["Resource"] if isinstance(tls[0]["Resource"], list) else [tls[0]["Resource"]]
        assert set(resources) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


def test_policy_denies_uploads_with_another_kms_key(stack: Stack) -> None:
    statements = _policy(stack, stack.outputs["data_bucket_id"])
    wrong_key = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and "s3:x-amz-server-side-encryption-aws-kms-key-id" in json.dumps(s.get("Condition", {}))
    ]
    assert wrong_key, "no deny on a foreign s3:x-amz-server-side-encryption-aws-kms-key-id"
    assert stack.outputs["kms_key_arn"] in json.dumps(wrong_key)


def test_access_logs_go_to_the_log_bucket(stack: Stack) -> None:
    logging = stack.client("s3").get_bucket_logging(Bucket=stack.outputs["data_bucket_id"])
    assert logging["LoggingEnabled"]["TargetBucket"] == stack.outputs["log_bucket_id"]


def test_lifecycle_aborts_uploads_and_expires_noncurrent_versions(stack: Stack) -> None:
    rules = stack.client("s3").get_bucket_lifecycle_configuration(Bucket=stack.outputs["data_bucket_id"])[
        "Rules"
    ]
    by_id = {r["ID"]: r for r in rules if r["Status"] == "Enabled"}
    assert (
        by_id["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        >= 1
    )
    assert by_id["expire-noncurrent-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
