"""A read of an object that does not exist: 404 only for a caller that may also list the bucket.

S3 API Reference, GetObject, HeadObject and GetObjectAttributes, "Permissions": "If the object you request
doesn't exist, the error that Amazon S3 returns depends on whether you also have the s3:ListBucket
permission": with it 404 Not Found, without it 403 Forbidden. The ListBucket check is the sandbox's
authorization of that caller (identity policies and the bucket policy); AWS does not document whether its
context has ``s3:prefix`` set to the key, so 404 needs ListBucket allowed both without it and with it.
What the sandbox reads as a role (SageMaker's model artifact) follows the same rule:
``test_patch_sagemaker_execution.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from tests.sandbox.support import service_role

SERVICE = "codebuild.amazonaws.com"
ROLE = "reader"


def _bucket(target: AwsTarget) -> str:
    name = f"models-{target.account_id}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region})
    s3.put_object(Bucket=name, Key="v1/model.tar.gz", Body=b"model")
    return name


def _reads(bucket: str, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
        *extra,
    ]


def _listing(bucket: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {
        "Sid": "List",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{bucket}",
    }
    return {**statement, "Condition": condition} if condition else statement


def _reader(target: AwsTarget, statements: list[dict[str, Any]]) -> Any:
    """An S3 client of a CodeBuild session of a role allowed ``statements``."""
    arn = service_role(target, ROLE, SERVICE, statements)
    return workloads.service_session(target, arn, SERVICE).client("s3")


def _error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return {
        "status": raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
        **raised.value.response["Error"],
    }


def test_without_list_bucket_a_missing_object_is_access_denied(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, _reads(bucket))
    got = _error(lambda: s3.get_object(Bucket=bucket, Key="v2/model.tar.gz"))
    assert (got["status"], got["Code"]) == (403, "AccessDenied")
    assert got["Message"].endswith(
        f"is not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::{bucket} because no "
        "identity-based policy allows the s3:ListBucket action"
    ), got
    # HEAD answers a bare 403: no body, so the code is the status
    headed = _error(lambda: s3.head_object(Bucket=bucket, Key="v2/model.tar.gz"))
    assert (headed["status"], headed["Code"], headed["Message"]) == (403, "403", "Forbidden")


def test_with_list_bucket_a_missing_object_is_not_found(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, _reads(bucket, _listing(bucket)))
    got = _error(lambda: s3.get_object(Bucket=bucket, Key="v2/model.tar.gz"))
    assert (got["status"], got["Code"]) == (404, "NoSuchKey")
    headed = _error(lambda: s3.head_object(Bucket=bucket, Key="v2/model.tar.gz"))
    assert (headed["status"], headed["Code"]) == (404, "404")


@pytest.mark.parametrize(("listing", "status"), [(False, 403), (True, 404)])
def test_get_object_attributes_of_a_missing_object_follows_the_same_rule(
    sandbox_target: AwsTarget, listing: bool, status: int
) -> None:
    bucket = _bucket(sandbox_target)
    attributes = {
        "Effect": "Allow",
        "Action": "s3:GetObjectAttributes",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3 = _reader(sandbox_target, _reads(bucket, attributes, *([_listing(bucket)] if listing else [])))
    asked = {"Bucket": bucket, "ObjectAttributes": ["ETag"]}
    assert _error(lambda: s3.get_object_attributes(Key="v2/model.tar.gz", **asked))["status"] == status
    assert s3.get_object_attributes(Key="v1/model.tar.gz", **asked)["ETag"]


def test_an_existing_object_needs_only_get_object(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, _reads(bucket))
    assert s3.get_object(Bucket=bucket, Key="v1/model.tar.gz")["Body"].read() == b"model"
    assert s3.head_object(Bucket=bucket, Key="v1/model.tar.gz")["ContentLength"] == 5


def test_a_caller_refused_the_read_is_refused_it_not_the_listing(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, [_listing(bucket)])
    got = _error(lambda: s3.get_object(Bucket=bucket, Key="v2/model.tar.gz"))
    assert got["Code"] == "AccessDenied"
    assert f"s3:GetObject on resource: arn:aws:s3:::{bucket}/v2/model.tar.gz" in got["Message"], got


def test_a_bucket_policy_that_allows_listing_makes_it_not_found(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, _reads(bucket))
    role = f"arn:aws:iam::{sandbox_target.account_id}:role/{ROLE}"
    policy = {"Version": "2012-10-17", "Statement": [{**_listing(bucket), "Principal": {"AWS": role}}]}
    sandbox_target.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert _error(lambda: s3.head_object(Bucket=bucket, Key="v2/model.tar.gz"))["status"] == 404


def test_a_bucket_policy_that_denies_listing_makes_it_access_denied(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, _reads(bucket, _listing(bucket)))
    deny = {**_listing(bucket), "Sid": "NoListing", "Effect": "Deny", "Principal": "*"}
    policy = {"Version": "2012-10-17", "Statement": [deny]}
    sandbox_target.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    got = _error(lambda: s3.get_object(Bucket=bucket, Key="v2/model.tar.gz"))
    assert (got["status"], got["Code"]) == (403, "AccessDenied")
    assert "with an explicit deny in a resource-based policy" in got["Message"], got
    assert s3.get_object(Bucket=bucket, Key="v1/model.tar.gz")["Body"].read() == b"model"


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        # The stricter reading: AWS does not say s3:prefix is the key, so a grant that needs it is not enough.
        ({"StringEquals": {"s3:prefix": "v2/model.tar.gz"}}, 403),
        ({"StringLike": {"s3:prefix": "v2/*"}}, 403),
        # ... nor is one that a prefix of the key would fail.
        ({"StringNotLike": {"s3:prefix": "v2/*"}}, 403),
        # A grant that holds whether or not s3:prefix is the key is.
        ({"StringEqualsIfExists": {"s3:prefix": "v2/model.tar.gz"}}, 404),
        ({"Bool": {"aws:SecureTransport": "true"}}, 404),
    ],
)
def test_a_listing_grant_must_hold_with_s3_prefix_absent_and_the_key(
    sandbox_target: AwsTarget, condition: dict[str, Any], status: int
) -> None:
    bucket = _bucket(sandbox_target)
    s3 = _reader(sandbox_target, _reads(bucket, _listing(bucket, condition)))
    assert _error(lambda: s3.head_object(Bucket=bucket, Key="v2/model.tar.gz"))["status"] == status


def test_a_deny_on_the_key_as_prefix_makes_it_access_denied(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    deny = {**_listing(bucket, {"StringLike": {"s3:prefix": "v2/*"}}), "Sid": "NoV2", "Effect": "Deny"}
    s3 = _reader(sandbox_target, _reads(bucket, _listing(bucket), deny))
    assert _error(lambda: s3.head_object(Bucket=bucket, Key="v2/model.tar.gz"))["status"] == 403
    assert _error(lambda: s3.head_object(Bucket=bucket, Key="v3/model.tar.gz"))["status"] == 404


def test_a_deleted_object_and_a_missing_version_are_missing(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target)
    admin = sandbox_target.client("s3")
    admin.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = admin.put_object(Bucket=bucket, Key="v3/model.tar.gz", Body=b"v3")["VersionId"]
    admin.delete_object(Bucket=bucket, Key="v3/model.tar.gz")  # its current version is a delete marker
    versions = {"Effect": "Allow", "Action": "s3:GetObjectVersion", "Resource": f"arn:aws:s3:::{bucket}/*"}
    s3 = _reader(sandbox_target, _reads(bucket, versions))
    assert _error(lambda: s3.get_object(Bucket=bucket, Key="v3/model.tar.gz"))["status"] == 403
    assert s3.get_object(Bucket=bucket, Key="v3/model.tar.gz", VersionId=version)["Body"].read() == b"v3"
    other = _error(lambda: s3.get_object(Bucket=bucket, Key="v1/model.tar.gz", VersionId=version))
    assert other["status"] == 403


def test_a_missing_bucket_is_no_such_bucket_for_everyone(sandbox_target: AwsTarget) -> None:
    s3 = _reader(sandbox_target, _reads(f"absent-{sandbox_target.account_id}"))
    got = _error(lambda: s3.get_object(Bucket=f"absent-{sandbox_target.account_id}", Key="model.tar.gz"))
    assert (got["status"], got["Code"]) == (404, "NoSuchBucket")
