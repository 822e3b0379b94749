"""What an AWS account holds, of the kinds of resources launchpad creates.

Used to prove that bad input touched nothing, that a destroy left nothing behind, and by the demo to show
what an apply created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from launchpad.aws import AwsTarget

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


def _live_customer_keys(kms: KMSClient) -> list[str]:
    """Customer-managed keys not scheduled for deletion (a destroyed key waits 7-30 days in AWS)."""
    live = []
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] != "PendingDeletion":
            live.append(key["KeyId"])
    return live


def _serving_inventory(target: AwsTarget) -> dict[str, list[str]]:
    """SageMaker hosting, its autoscaling, alarms, dashboards and topics."""
    sagemaker, cloudwatch = target.client("sagemaker"), target.client("cloudwatch")
    return {
        "sagemaker endpoints": [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]],
        "sagemaker endpoint configs": [
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ],
        "sagemaker models": [m["ModelName"] for m in sagemaker.list_models()["Models"]],
        "model package groups": [
            g["ModelPackageGroupName"]
            for g in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
        ],
        "scalable targets": [
            t["ResourceId"]
            for t in target.client("application-autoscaling").describe_scalable_targets(
                ServiceNamespace="sagemaker"
            )["ScalableTargets"]
        ],
        "cloudwatch alarms": [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]],
        "cloudwatch dashboards": [
            d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]
        ],
        "sns topics": [t["TopicArn"] for t in target.client("sns").list_topics()["Topics"]],
    }


def _delivery_inventory(target: AwsTarget) -> dict[str, list[str]]:
    """CI/CD and Terraform state: build projects, pipelines, their triggers, lock tables."""
    return {
        "codebuild projects": target.client("codebuild").list_projects()["projects"],
        "codepipelines": [p["name"] for p in target.client("codepipeline").list_pipelines()["pipelines"]],
        "eventbridge rules": [r["Name"] for r in target.client("events").list_rules()["Rules"]],
        "dynamodb tables": target.client("dynamodb").list_tables()["TableNames"],
    }


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
        **_serving_inventory(target),
        **_delivery_inventory(target),
    }
    return {kind: names for kind, names in found.items() if names}
