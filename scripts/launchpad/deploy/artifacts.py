"""The model registry side of a deploy: the artifact in S3, the model package versions of a group.

dev and staging register the artifact they deploy as a new version (PendingManualApproval); prod registers
nothing and deploys the latest Approved version (by creation time), as the model-registry module's
``latest_approved_query`` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from launchpad.deploy.config import ModelSource, StageConfig

APPROVED = "Approved"
PENDING = "PendingManualApproval"


@dataclass(frozen=True)
class PackageVersion:
    arn: str
    version: int | None
    status: str
    model: ModelSource


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` as (bucket, key)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _version(sagemaker: Any, arn: str) -> PackageVersion:
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    container = described.get("InferenceSpecification", {}).get("Containers", [{}])[0]
    return PackageVersion(
        arn=arn,
        version=described.get("ModelPackageVersion"),
        status=described.get("ModelApprovalStatus", ""),
        model=ModelSource(container.get("ModelDataUrl", ""), container.get("Image", "")),
    )


def latest_approved(sagemaker: Any, group: str) -> PackageVersion | None:
    """The group's latest Approved version by creation time, or None."""
    found = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus=APPROVED,
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    return _version(sagemaker, found[0]["ModelPackageArn"]) if found else None


def package_version(sagemaker: Any, group: str, version: int) -> PackageVersion | None:
    """Version ``version`` of the group, or None."""
    paginator = sagemaker.get_paginator("list_model_packages")
    for page in paginator.paginate(ModelPackageGroupName=group):
        for summary in page["ModelPackageSummaryList"]:
            if summary.get("ModelPackageVersion") == version:
                return _version(sagemaker, summary["ModelPackageArn"])
    return None


def register(sagemaker: Any, config: StageConfig) -> str:
    """CreateModelPackage: the config's image and artifact as a new version, PendingManualApproval."""
    instance_types = sorted({v.instance_type for v in config.variants if v.instance_type})
    spec: dict[str, Any] = {
        "Containers": [{"Image": config.model.image_uri, "ModelDataUrl": config.model.artifact_s3_uri}],
        "SupportedContentTypes": ["application/json"],
        "SupportedResponseMIMETypes": ["application/json"],
    }
    if instance_types:
        spec["SupportedRealtimeInferenceInstanceTypes"] = instance_types
    return sagemaker.create_model_package(
        ModelPackageGroupName=config.model_package_group,
        ModelPackageDescription=f"{config.project} deployed to {config.stage} ({config.endpoint_name})",
        InferenceSpecification=spec,
        ModelApprovalStatus=PENDING,
        Tags=[{"Key": k, "Value": v} for k, v in config.tags.items()],
    )["ModelPackageArn"]
