"""The model registry side of a deploy: the artifact in S3, the model package versions of a group.

``launchpad deploy --artifact build/model.tar.gz`` uploads the stage's artifact first, SSE-KMS with the
stage's key and its sha256 as object metadata. Artifacts are immutable, as the models and endpoint configs
named after them are: the same file already there is left alone (an unchanged deploy makes no call), and a
different one there is refused at preflight (bump the version in ``artifact_s3_uri``).

``--baseline build/baseline`` (with ``--artifact``) uploads the drift baseline beside it, under
``launchpad.monitor.baselines.baseline_prefix`` of the artifact (``s3://B/<dir>/baseline/``): every file of
the folder, flat, SSE-KMS with the same key, and immutable the same way. A rebuilt baseline that differs from
the one there only in ``launchpad.created`` (when it was written) is the same baseline (the
``baseline-sha256`` metadata, ``baselines.comparable_digest``): the one there is kept.

dev and staging register the artifact they deploy as a new version (PendingManualApproval), with the
baseline beside it, when there is one, as the version's DriftCheckBaselines (ModelDataQuality: its
statistics and constraints); prod registers nothing and deploys the latest Approved version (by creation
time), as the model-registry module's ``latest_approved_query`` finds it.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from launchpad.deploy.config import ModelSource, StageConfig
from launchpad.deploy.watch import error_code
from launchpad.monitor import baselines
from launchpad.quoting import shown

S3_MISSING_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})
# How S3 refuses a request: no permission, or (with ExpectedBucketOwner) a bucket of another account. A HEAD
# answer has no body, so its code is the bare status.
S3_REFUSED_CODES = frozenset({"403", "AccessDenied", "Forbidden"})
PATH_LIMIT = 4096  # characters of a local path a message quotes (Linux's PATH_MAX)
SHA256_METADATA = "sha256"  # x-amz-meta-sha256: the local file's digest, to skip an identical upload
BASELINE_METADATA = "baseline-sha256"  # a baseline file's digest as baselines.comparable_digest takes it
JSON = "application/json"
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


def drift_check_baselines(prefix: str) -> dict[str, Any]:
    """CreateModelPackage's DriftCheckBaselines for the baseline under ``prefix``: its statistics and
    constraints as the data-quality baseline (SageMaker API Reference: DriftCheckModelDataQuality)."""
    return {
        "ModelDataQuality": {
            "Statistics": {"ContentType": JSON, "S3Uri": prefix + baselines.STATISTICS},
            "Constraints": {"ContentType": JSON, "S3Uri": prefix + baselines.CONSTRAINTS},
        }
    }


def register(sagemaker: Any, config: StageConfig, baseline: str | None = None) -> str:
    """CreateModelPackage: the config's image and artifact as a new version, PendingManualApproval; with
    ``baseline`` (the prefix of the artifact's baseline), its DriftCheckBaselines.

    No Tags: a version in a group "uses the tags associated with the model group. In this case, you cannot
    supply a tag argument" (SageMaker API Reference, CreateModelPackage)."""
    instance_types = sorted({v.instance_type for v in config.variants if v.instance_type})
    spec: dict[str, Any] = {
        "Containers": [{"Image": config.model.image_uri, "ModelDataUrl": config.model.artifact_s3_uri}],
        "SupportedContentTypes": ["application/json"],
        "SupportedResponseMIMETypes": ["application/json"],
    }
    if instance_types:
        spec["SupportedRealtimeInferenceInstanceTypes"] = instance_types
    drift = {"DriftCheckBaselines": drift_check_baselines(baseline)} if baseline is not None else {}
    return sagemaker.create_model_package(
        ModelPackageGroupName=config.model_package_group,
        ModelPackageDescription=f"{config.project} deployed to {config.stage} ({config.endpoint_name})",
        InferenceSpecification=spec,
        ModelApprovalStatus=PENDING,
        **drift,
    )["ModelPackageArn"]


def local_problems(path: Path) -> Iterator[str]:
    """What is wrong with a local model.tar.gz (``--artifact``), if anything."""
    quoted = shown(str(path), limit=PATH_LIMIT)  # a path from the command line: escaped, but whole
    if not path.is_file():
        yield f"artifact {quoted} does not exist; build it first (make package)"
    elif path.stat().st_size == 0 or not tarfile.is_tarfile(path):
        yield f"artifact {quoted} is not a tar archive; SageMaker unpacks model.tar.gz into /opt/ml/model"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def owned_by(owner: str | None) -> dict[str, str]:
    """``ExpectedBucketOwner`` for an S3 call: S3 then refuses (403) a bucket of any other account."""
    return {"ExpectedBucketOwner": owner} if owner else {}


def is_refused(error: ClientError) -> bool:
    return error_code(error) in S3_REFUSED_CODES


def head(s3: Any, uri: str, owner: str | None = None) -> dict[str, Any] | None:
    """HeadObject of ``uri``, or None when the object (or its bucket) does not exist. With ``owner``, a bucket
    of another account is refused (a ClientError ``is_refused`` says yes to), as no permission is."""
    bucket, key = split_s3_uri(uri)
    try:
        return s3.head_object(Bucket=bucket, Key=key, **owned_by(owner))
    except ClientError as exc:
        if error_code(exc) in S3_MISSING_CODES:
            return None
        raise


def remote_sha256(s3: Any, uri: str, owner: str | None = None) -> str | None:
    """The sha256 launchpad recorded on the object at ``uri``; "" if it has none; None if there is none."""
    found = head(s3, uri, owner)
    return None if found is None else str(found.get("Metadata", {}).get(SHA256_METADATA, ""))


def overwrite_problems(s3: Any, path: Path, uri: str, owner: str | None = None) -> Iterator[str]:
    """A different file already at ``uri`` (artifacts are immutable)."""
    there = remote_sha256(s3, uri, owner)
    if there is not None and there != sha256(path):
        yield (
            f"{uri} already holds a different model.tar.gz, and artifacts are immutable (the models and "
            f"endpoint configs are named after them): bump the version in artifact_s3_uri"
        )


def upload(s3: Any, path: Path, uri: str, key_arn: str, owner: str | None = None) -> bool:
    """Put ``path`` at ``uri``, SSE-KMS with ``key_arn``; False if it is there already. With ``owner``, only
    into a bucket of that account (S3 refuses another's)."""
    digest = sha256(path)
    if remote_sha256(s3, uri, owner) == digest:
        return False
    bucket, key = split_s3_uri(uri)
    extra = {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": key_arn,
        "Metadata": {SHA256_METADATA: digest},
        **owned_by(owner),
    }
    s3.upload_file(str(path), bucket, key, ExtraArgs=extra)
    return True


# -- the drift baseline beside the artifact ------------------------------------------------------------------
@dataclass(frozen=True)
class BaselineFile:
    """A local baseline file and where it goes: ``uri`` is ``<the artifact's baseline prefix><its name>``."""

    path: Path
    uri: str
    digest: str  # sha256 of its bytes
    comparable: str  # baselines.comparable_digest


def baseline_files(folder: Path, artifact_uri: str) -> list[BaselineFile]:
    """Every regular file of the local baseline ``folder``, with its place beside ``artifact_uri``."""
    prefix = baselines.baseline_prefix(artifact_uri)
    return [
        BaselineFile(path, prefix + path.name, sha256(path), baselines.comparable_digest(path))
        for path in baselines.files(folder)
    ]


def baseline_there(s3: Any, file: BaselineFile, owner: str | None = None) -> bool | None:
    """Whether the object at ``file.uri`` is this file: True (the same bytes, or the same baseline written at
    another time), False (another file), None (no object there)."""
    found = head(s3, file.uri, owner)
    if found is None:
        return None
    metadata = found.get("Metadata", {})
    if metadata.get(SHA256_METADATA) == file.digest:
        return True
    return metadata.get(BASELINE_METADATA) == file.comparable


def baseline_overwrite_problems(
    s3: Any, files: list[BaselineFile], owner: str | None = None
) -> Iterator[str]:
    """A different file already at a baseline file's place (a baseline is as immutable as its artifact)."""
    for file in files:
        if baseline_there(s3, file, owner) is False:
            yield (
                f"{file.uri} already holds a different {file.path.name}, and a baseline is immutable with "
                f"its artifact (the model package versions registered with it name it): deploy the "
                f"baseline it was made with, or bump the version in artifact_s3_uri"
            )


def upload_baseline(
    s3: Any, files: list[BaselineFile], key_arn: str, owner: str | None = None
) -> list[BaselineFile]:
    """Put each of ``files`` at its place, SSE-KMS with ``key_arn``, unless it is there already; the ones
    put. One PutObject each (no multipart upload: a baseline is small, and PutObject under SSE-KMS needs only
    kms:GenerateDataKey). With ``owner``, only into a bucket of that account."""
    put = []
    for file in files:
        if baseline_there(s3, file, owner):
            continue
        bucket, key = split_s3_uri(file.uri)
        content_type = {"ContentType": JSON} if file.path.suffix == ".json" else {}
        with file.path.open("rb") as body:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=key_arn,
                Metadata={SHA256_METADATA: file.digest, BASELINE_METADATA: file.comparable},
                **content_type,
                **owned_by(owner),
            )
        put.append(file)
    return put


def remote_baseline(s3: Any, artifact_uri: str, owner: str | None = None) -> str | None:
    """The baseline prefix of ``artifact_uri`` when its statistics.json and constraints.json are there, else
    None. An object S3 refuses to show counts as absent: without s3:ListBucket, S3 answers a missing key
    with 403, not 404 (the version is then registered without a baseline)."""
    prefix = baselines.baseline_prefix(artifact_uri)
    for name in baselines.REQUIRED:
        try:
            if head(s3, prefix + name, owner) is None:
                return None
        except ClientError as exc:
            if is_refused(exc):
                return None
            raise
    return prefix
