"""What an AWS account holds, of the kinds of resources launchpad creates.

Used to prove that bad input touched nothing, that a destroy left nothing behind, and by the demo to show
what an apply created.
"""

from __future__ import annotations

from typing import Any

from launchpad.aws import AwsTarget


def _live_customer_keys(kms: Any) -> list[str]:
    """Customer-managed keys not scheduled for deletion (a destroyed key waits 7-30 days in AWS)."""
    live = []
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] != "PendingDeletion":
            live.append(key["KeyId"])
    return live


def account_inventory(target: AwsTarget) -> dict[str, list[str]]:
    """The resources of the kinds launchpad creates that exist in the target's account and region.

    Empty for a fresh sandbox account; used to prove that bad input touched nothing and that a destroy
    left nothing behind. Defaults AWS creates by itself (the default VPC, AWS-managed keys and
    service-linked roles) are not counted.
    """
    found: dict[str, list[str]] = {
        "s3 buckets": [b["Name"] for b in target.client("s3").list_buckets()["Buckets"]],
        "kms keys": _live_customer_keys(target.client("kms")),
        "iam roles": [
            r["RoleName"]
            for r in target.client("iam").list_roles()["Roles"]
            if not r["Path"].startswith("/aws-service-role/")
        ],
        "iam policies": [
            p["PolicyName"] for p in target.client("iam").list_policies(Scope="Local")["Policies"]
        ],
        "vpcs": [v["VpcId"] for v in target.client("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]],
        "log groups": [g["logGroupName"] for g in target.client("logs").describe_log_groups()["logGroups"]],
        "ecr repositories": [
            r["repositoryName"] for r in target.client("ecr").describe_repositories()["repositories"]
        ],
    }
    return {kind: names for kind, names in found.items() if names}
