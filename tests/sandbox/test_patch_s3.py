"""The S3 patch: access logging to a target whose policy also has `Principal: "*"` statements."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget

ARN = "arn:aws:s3:::logs"


def _target_policy(bucket: str, account: str, grant: bool) -> str:
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if grant:
        statements.append(
            {
                "Sid": "AllowS3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _buckets(target: AwsTarget, grant: bool) -> tuple[object, str, str]:
    s3 = target.client("s3")
    source, logs = f"src-{target.account_id}", f"logs-{target.account_id}"
    for bucket in (source, logs):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    s3.put_bucket_policy(Bucket=logs, Policy=_target_policy(logs, str(target.account_id), grant))
    return s3, source, logs


def _enable_logging(s3, source: str, logs: str) -> None:
    s3.put_bucket_logging(
        Bucket=source,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": "src/"}},
    )


def test_logging_is_accepted_when_the_target_grants_the_logging_service(sandbox_target: AwsTarget) -> None:
    s3, source, logs = _buckets(sandbox_target, grant=True)
    _enable_logging(s3, source, logs)
    assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]["TargetBucket"] == logs


def test_logging_is_refused_without_the_grant(sandbox_target: AwsTarget) -> None:
    s3, source, logs = _buckets(sandbox_target, grant=False)
    with pytest.raises(ClientError) as raised:
        _enable_logging(s3, source, logs)
    assert raised.value.response["Error"]["Code"] == "InvalidTargetBucketForLogging"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=source)


@pytest.mark.parametrize(
    ("statement", "granted"),
    [
        (
            {
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{ARN}/src/*",
            },
            True,
        ),
        (
            {
                "Principal": {"Service": ["logging.s3.amazonaws.com"]},
                "Action": ["s3:*"],
                "Resource": f"{ARN}/*",
            },
            True,
        ),
        (
            {
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{ARN}/other/*",
            },
            False,
        ),
        # "*" names every principal, the logging service included (IAM User Guide, Principal element).
        ({"Principal": "*", "Action": "s3:PutObject", "Resource": f"{ARN}/*"}, True),
        (
            {
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{ARN}/*",
            },
            False,
        ),
    ],
)
def test_policy_grant_follows_iam_matching(sandbox_target: AwsTarget, statement: dict, granted: bool) -> None:
    s3 = sandbox_target.client("s3")
    source, logs = f"src-{sandbox_target.account_id}", f"logs-{sandbox_target.account_id}"
    for bucket in (source, logs):
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": sandbox_target.region}
        )
    resources = statement["Resource"].replace(ARN, f"arn:aws:s3:::{logs}")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement, "Resource": resources}]}
    s3.put_bucket_policy(Bucket=logs, Policy=json.dumps(policy))
    if granted:
        _enable_logging(s3, source, logs)
        assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]["TargetBucket"] == logs
    else:
        with pytest.raises(ClientError) as raised:
            _enable_logging(s3, source, logs)
        assert raised.value.response["Error"]["Code"] == "InvalidTargetBucketForLogging"


# -- EventBridge notifications --------------------------------------------------------------------
def test_eventbridge_notifications_are_returned_once_enabled(sandbox_target: AwsTarget) -> None:
    s3 = sandbox_target.client("s3")
    s3.create_bucket(Bucket="source", CreateBucketConfiguration={"LocationConstraint": sandbox_target.region})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="source")
    s3.put_bucket_notification_configuration(
        Bucket="source", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    assert s3.get_bucket_notification_configuration(Bucket="source")["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket="source", NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="source")


# -- object calls on buckets with conditional statements ----------------------------------------------
def _tls_only_bucket(sandbox_target: AwsTarget, bucket: str) -> Any:
    s3 = sandbox_target.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": sandbox_target.region})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return s3


def test_objects_of_a_tls_only_bucket_can_be_written_read_and_deleted(sandbox_target: AwsTarget) -> None:
    s3 = _tls_only_bucket(sandbox_target, "tls-only")
    s3.put_object(Bucket="tls-only", Key="model.tar.gz", Body=b"weights")
    assert s3.get_object(Bucket="tls-only", Key="model.tar.gz")["Body"].read() == b"weights"
    s3.delete_object(Bucket="tls-only", Key="model.tar.gz")


def test_unconditional_denies_still_refuse_object_calls(sandbox_target: AwsTarget) -> None:
    s3 = _tls_only_bucket(sandbox_target, "deny-all")
    policy = json.loads(s3.get_bucket_policy(Bucket="deny-all")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "DenyReads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::deny-all/*",
        }
    )
    s3.put_bucket_policy(Bucket="deny-all", Policy=json.dumps(policy))
    s3.put_object(Bucket="deny-all", Key="k", Body=b"x")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket="deny-all", Key="k")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_objects_with_delete_markers_are_deleted_after_versioning_is_suspended(
    sandbox_target: AwsTarget,
) -> None:
    s3 = sandbox_target.client("s3")
    s3.create_bucket(
        Bucket="suspended", CreateBucketConfiguration={"LocationConstraint": sandbox_target.region}
    )
    s3.put_bucket_versioning(Bucket="suspended", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="suspended", Key="dev/platform.tfstate.tflock", Body=b"{}")
    s3.delete_object(Bucket="suspended", Key="dev/platform.tfstate.tflock")  # leaves a delete marker
    s3.put_bucket_versioning(Bucket="suspended", VersioningConfiguration={"Status": "Suspended"})
    versions = s3.list_object_versions(Bucket="suspended")
    objects = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
    ]
    s3.delete_objects(Bucket="suspended", Delete={"Objects": objects})
    assert "Versions" not in s3.list_object_versions(Bucket="suspended")
    s3.delete_bucket(Bucket="suspended")


# -- lifecycle configurations ----------------------------------------------------------------------
TRANSITION_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"


def _lifecycle_bucket(sandbox_target: AwsTarget, bucket: str) -> Any:
    s3 = sandbox_target.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": sandbox_target.region})
    return s3


def _put_lifecycle(s3: Any, bucket: str, rules: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    return s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": rules}, **kwargs
    )


ABORT_UPLOADS = {
    "ID": "abort-incomplete-multipart-uploads",
    "Status": "Enabled",
    "Filter": {},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}


def test_lifecycle_transition_default_minimum_object_size_is_answered_as_put(
    sandbox_target: AwsTarget,
) -> None:
    s3 = _lifecycle_bucket(sandbox_target, "sizes")
    put = _put_lifecycle(
        s3, "sizes", [ABORT_UPLOADS], TransitionDefaultMinimumObjectSize="varies_by_storage_class"
    )
    assert put["ResponseMetadata"]["HTTPHeaders"][TRANSITION_SIZE_HEADER] == "varies_by_storage_class"
    got = s3.get_bucket_lifecycle_configuration(Bucket="sizes")
    assert got["ResponseMetadata"]["HTTPHeaders"][TRANSITION_SIZE_HEADER] == "varies_by_storage_class"
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"


def test_lifecycle_transition_default_minimum_object_size_defaults_to_128k_on_each_put(
    sandbox_target: AwsTarget,
) -> None:
    s3 = _lifecycle_bucket(sandbox_target, "default-size")
    _put_lifecycle(
        s3, "default-size", [ABORT_UPLOADS], TransitionDefaultMinimumObjectSize="varies_by_storage_class"
    )
    put = _put_lifecycle(s3, "default-size", [ABORT_UPLOADS])  # no header: S3's default again
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket="default-size")
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"


def test_lifecycle_rules_are_answered_as_put_object_size_filters_and_newer_noncurrent_versions_included(
    sandbox_target: AwsTarget,
) -> None:
    rules = [
        ABORT_UPLOADS,
        {  # the rules of modules/s3-bucket: stock moto already answered these as put
            "ID": "expire-noncurrent-versions",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        },
        {
            "ID": "raw-data",
            "Status": "Enabled",
            "Filter": {"Prefix": "raw/"},
            "Expiration": {"Days": 365},
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
        },
        {  # what stock moto dropped: object sizes (alone and in And), NewerNoncurrentVersions
            "ID": "large-objects",
            "Status": "Enabled",
            "Filter": {"ObjectSizeGreaterThan": 131072},
            "Transitions": [
                {"Days": 30, "StorageClass": "STANDARD_IA"},
                {"Days": 90, "StorageClass": "GLACIER"},
            ],
        },
        {
            "ID": "small-objects",
            "Status": "Enabled",
            "Filter": {"ObjectSizeLessThan": 1024},
            "Expiration": {"Days": 7},
        },
        {
            "ID": "keep-three-versions",
            "Status": "Enabled",
            "Filter": {
                "And": {
                    "Prefix": "models/",
                    "ObjectSizeGreaterThan": 1,
                    "ObjectSizeLessThan": 1073741824,
                    "Tags": [{"Key": "data-classification", "Value": "phi"}],
                }
            },
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 3},
        },
    ]
    s3 = _lifecycle_bucket(sandbox_target, "rules")
    _put_lifecycle(s3, "rules", rules)
    assert s3.get_bucket_lifecycle_configuration(Bucket="rules")["Rules"] == rules
