"""terraform/bootstrap applied for real: the state store, read back, then used as a real S3 backend."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchpad.aws import AwsTarget
from launchpad.inventory import account_inventory
from launchpad.paths import repo_root
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.terraform import terraform_env
from launchpad.testing import Stack, applied_stack, assert_replan_empty, unique_name
from launchpad.workspace import Workspace

SOURCE = repo_root() / "terraform" / "bootstrap"
ENVIRONMENTS = ["dev", "staging", "prod"]
# A root module of another stack: an empty S3 backend (filled in by backend.hcl) and one built-in resource.
CONSUMER = """terraform {
  backend "s3" {}
}

resource "terraform_data" "marker" {
  input = "bootstrap"
}
"""

stack = applied_stack(
    SOURCE,
    "lp-boot",
    {
        "force_destroy": True,
        "create_dynamodb_lock_table": True,
        "enable_lock_table_deletion_protection": False,  # so the test can destroy it
        "kms_deletion_window_in_days": 7,  # the shortest wait, for runs against a real account
        "environments": ENVIRONMENTS,
    },
)


def _statements(stack: Stack, bucket: str) -> list[dict[str, Any]]:
    return json.loads(stack.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]


def parse_backend_hcl(text: str) -> dict[str, Any]:
    """A backend.hcl of flat ``key = value`` lines (strings, booleans), comments and blank lines skipped."""
    settings: dict[str, Any] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        assert sep and key.isidentifier(), f"not a key = value line: {line!r}"
        assert key not in settings, f"{key} set twice"
        settings[key] = json.loads(value)  # HCL strings and booleans are JSON literals here
    return settings


# -- the state bucket --------------------------------------------------------------------------------------
def test_state_bucket_is_encrypted_with_the_state_key(stack: Stack) -> None:
    config = stack.client("s3").get_bucket_encryption(Bucket=stack.outputs["state_bucket_name"])
    [rule] = config["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": stack.outputs["kms_key_arn"],
    }
    assert rule["BucketKeyEnabled"] is True


def test_state_bucket_is_versioned_and_keeps_old_state_versions_90_days(stack: Stack) -> None:
    s3, bucket = stack.client("s3"), stack.outputs["state_bucket_name"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    expiry = rules["expire-noncurrent-versions"]
    assert expiry["Status"] == "Enabled"
    assert expiry["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def test_state_bucket_policy_denies_plain_http_and_other_keys(stack: Stack) -> None:
    bucket = stack.outputs["state_bucket_name"]
    arn = stack.outputs["state_bucket_arn"]
    statements = _statements(stack, bucket)
    [tls] = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert tls["Principal"] in ("*", {"AWS": "*"})
    assert as_list(tls["Action"]) == ["s3:*"]
    assert sorted(as_list(tls["Resource"])) == [arn, f"{arn}/*"]
    [wrong_key] = [s for s in statements if s.get("Sid") == "DenyWrongKmsKey"]
    condition = wrong_key["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"]
    assert as_list(condition) == [stack.outputs["kms_key_arn"]]


def test_both_buckets_block_public_access(stack: Stack) -> None:
    s3 = stack.client("s3")
    for bucket in (stack.outputs["state_bucket_name"], stack.outputs["access_log_bucket_name"]):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_state_bucket_logs_to_the_access_log_bucket(stack: Stack) -> None:
    s3 = stack.client("s3")
    log_bucket = stack.outputs["access_log_bucket_name"]
    logging = s3.get_bucket_logging(Bucket=stack.outputs["state_bucket_name"])["LoggingEnabled"]
    assert logging["TargetBucket"] == log_bucket
    assert logging["TargetPrefix"] == "tfstate/"
    # The log bucket: SSE-S3 (log delivery cannot write SSE-KMS), deliveries only from the state bucket.
    [rule] = s3.get_bucket_encryption(Bucket=log_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [delivery] = [s for s in _statements(stack, log_bucket) if s.get("Sid") == "AllowS3ServerAccessLogs"]
    source_arns = delivery["Condition"]["ArnLike"]["aws:SourceArn"]
    assert as_list(source_arns) == [stack.outputs["state_bucket_arn"]]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=log_bucket)["Rules"]}
    assert rules["expire-access-logs"]["Expiration"]["Days"] == 2190


# -- the key and the lock table ----------------------------------------------------------------------------
def test_state_key_rotates_and_has_its_alias(stack: Stack) -> None:
    kms, key = stack.client("kms"), stack.outputs["kms_key_arn"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    meta = kms.describe_key(KeyId=stack.outputs["kms_key_alias"])["KeyMetadata"]
    assert meta["Arn"] == key
    assert meta["KeyManager"] == "CUSTOMER"


def test_lock_table_has_lockid_key_kms_encryption_and_pitr(stack: Stack) -> None:
    dynamodb, name = stack.client("dynamodb"), stack.outputs["lock_table_name"]
    assert name == f"{stack.name}-tflock"
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    sse = table["SSEDescription"]
    assert (sse["Status"], sse["SSEType"], sse["KMSMasterKeyArn"]) == (
        "ENABLED",
        "KMS",
        stack.outputs["kms_key_arn"],
    )
    assert table["DeletionProtectionEnabled"] is False  # as the test asked; the default is true
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


# -- backend.hcl -------------------------------------------------------------------------------------------
def test_backend_configs_name_the_bucket_key_lockfile_and_table(stack: Stack) -> None:
    configs = stack.outputs["backend_configs"]
    assert sorted(configs) == sorted(ENVIRONMENTS)
    for env, text in configs.items():
        assert parse_backend_hcl(text) == {
            "bucket": stack.outputs["state_bucket_name"],
            "key": f"{env}/platform.tfstate",
            "region": stack.target.region,
            "encrypt": True,
            "kms_key_id": stack.outputs["kms_key_arn"],
            "use_lockfile": True,
            "dynamodb_table": stack.outputs["lock_table_name"],
        }


def _terraform(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args, "-no-color", "-input=false"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _lock_info(lock_id: str, path: str) -> str:
    return json.dumps(
        {
            "ID": lock_id,
            "Operation": "OperationTypeApply",
            "Info": "",
            "Who": "pytest@launchpad",
            "Version": "1.11.4",
            "Created": "2026-01-01T00:00:00Z",
            "Path": path,
        }
    )


def test_generated_backend_config_serves_a_real_s3_backend(stack: Stack, tmp_path: Path) -> None:
    """A root module with ``backend "s3" {}``, initialised with the generated backend.hcl only (the target is
    chosen by the environment alone, as for every other stack), applied: the state lands in the bucket,
    encrypted with the state key, the lockfile is taken and released, the lock table holds the digest, and a
    held lockfile or table lock stops the next run."""
    s3, dynamodb = stack.client("s3"), stack.client("dynamodb")
    bucket, table = stack.outputs["state_bucket_name"], stack.outputs["lock_table_name"]
    key = "dev/platform.tfstate"
    root = tmp_path / "consumer"
    root.mkdir()
    (root / "main.tf").write_text(CONSUMER)
    (root / "backend.hcl").write_text(stack.outputs["backend_configs"]["dev"])
    env = terraform_env(stack.target.env())

    _ok(_terraform(root, env, "init", "-backend-config=backend.hcl"))
    _ok(_terraform(root, env, "apply", "-auto-approve"))

    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == stack.outputs["kms_key_arn"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert json.loads(body)["resources"][0]["type"] == "terraform_data"

    # The lockfile was written next to the state and deleted on unlock: one noncurrent version and a
    # delete marker, no current object.
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"{key}.tflock")
    assert [v["IsLatest"] for v in versions.get("Versions", [])] == [False]
    assert [m["IsLatest"] for m in versions.get("DeleteMarkers", [])] == [True]

    # With dynamodb_table set too, Terraform keeps the state's digest in the table.
    item = dynamodb.get_item(TableName=table, Key={"LockID": {"S": f"{bucket}/{key}-md5"}})["Item"]
    assert item["Digest"]["S"] == hashlib.md5(body, usedforsecurity=False).hexdigest()
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"LockID": {"S": f"{bucket}/{key}"}})

    # A held lockfile stops the next run (conditional PutObject, If-None-Match: *).
    s3.put_object(Bucket=bucket, Key=f"{key}.tflock", Body=_lock_info("held-lockfile", f"{bucket}/{key}"))
    refused = _terraform(root, env, "plan")
    assert refused.returncode != 0
    assert "Error acquiring the state lock" in refused.stderr and "held-lockfile" in refused.stderr
    s3.delete_object(Bucket=bucket, Key=f"{key}.tflock")

    # So does a held lock in the table.
    lock = {
        "LockID": {"S": f"{bucket}/{key}"},
        "Info": {"S": _lock_info("held-table", f"{bucket}/{key}")},
    }
    dynamodb.put_item(TableName=table, Item=lock)
    refused = _terraform(root, env, "plan")
    assert refused.returncode != 0
    assert "Error acquiring the state lock" in refused.stderr and "held-table" in refused.stderr
    dynamodb.delete_item(TableName=table, Key={"LockID": lock["LockID"]})
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dev/").get("Contents", [])]
    assert keys == [key], "a refused run must not leave its lockfile behind"

    # With both locks free again, the next plan runs and finds nothing to do.
    _ok(_terraform(root, env, "plan", "-detailed-exitcode"))


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
    key = stack.client("kms").describe_key(KeyId=stack.outputs["kms_key_arn"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"


# -- defaults and bad input, planned only ------------------------------------------------------------------
@contextlib.contextmanager
def _planned(target: AwsTarget, tmp_path: Path, tf_vars: dict[str, Any]) -> Iterator[Workspace]:
    workspace = Workspace(SOURCE, target, tf_vars, parent=tmp_path)
    try:
        workspace.init()
        yield workspace
    finally:
        workspace.cleanup()


@pytest.mark.sandbox
def test_defaults_lock_with_the_lockfile_only_and_keep_everything(
    sandbox_target: AwsTarget, tmp_path: Path
) -> None:
    name = unique_name("lp-boot", sandbox_target)
    with _planned(sandbox_target, tmp_path, {"name": name, "region": sandbox_target.region}) as workspace:
        plan = workspace.plan()
    changes = {c["address"]: c["change"]["after"] for c in plan["resource_changes"] if c["mode"] == "managed"}
    assert not [a for a in changes if "dynamodb" in a], "no lock table unless asked for"
    assert plan["planned_values"]["outputs"]["lock_table_name"].get("value") is None
    assert changes["module.state_bucket.aws_s3_bucket.this"]["force_destroy"] is False
    assert changes["module.access_logs.aws_s3_bucket.this"]["force_destroy"] is False
    key = changes["module.state_key.aws_kms_key.this"]
    assert (key["enable_key_rotation"], key["deletion_window_in_days"]) == (True, 30)
    versioning = changes["module.state_bucket.aws_s3_bucket_versioning.this"]
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"


BAD_INPUT = {
    "name": ("LP_Bad", "name must be 3-24 characters"),
    "region": ("mars-1", "region must be an AWS region code"),
    "environments": (["dev", "dev"], "environments must not repeat a name"),
    "state_file_name": ("prod/x.tfstate", "state_file_name must be a file name ending in .tfstate"),
    "noncurrent_version_expiration_days": (7, "noncurrent_version_expiration_days must be a whole number"),
    "access_log_expiration_days": (30, "access_log_expiration_days must be null (keep forever)"),
    "kms_deletion_window_in_days": (3, "kms_deletion_window_in_days must be a whole number between 7 and 30"),
    "kms_user_arns": (["*"], "kms_user_arns must contain only IAM role or user ARNs"),
}


@pytest.mark.sandbox
def test_bad_input_is_rejected_at_plan_and_touches_nothing(sandbox_target: AwsTarget, tmp_path: Path) -> None:
    bad = {variable: value for variable, (value, _) in BAD_INPUT.items()}
    with _planned(sandbox_target, tmp_path, {"region": sandbox_target.region, **bad}) as workspace:
        diagnostics = workspace.tf.plan_diagnostics()
    errors = [" ".join(f"{d['summary']} {d.get('detail', '')}".split()) for d in diagnostics]
    for variable, (_, message) in BAD_INPUT.items():
        assert any("Invalid value for variable" in e and message in e for e in errors), (
            f"{variable}: {errors}"
        )
    assert account_inventory(sandbox_target) == {}
