"""S3: server access logging to a target bucket whose policy grants the logging service.

AWS: ``PutBucketLogging`` needs the target bucket's policy to allow ``s3:PutObject`` to the
``logging.s3.amazonaws.com`` service principal on the target prefix, for the source bucket (its conditions on
``aws:SourceArn`` and ``aws:SourceAccount``); the sandbox's evaluator judges it as a delivery would be
judged (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
Stock moto crashes with HTTP 500 on any statement whose ``Principal`` is the string ``"*"`` (so every bucket
with a TLS-only deny) and only matches a single-string ``Resource``.

S3: EventBridge notifications. ``GetBucketNotificationConfiguration`` returns an (empty)
``EventBridgeConfiguration`` element once ``PutBucketNotificationConfiguration`` turned EventBridge on
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html).
Stock moto stores it but leaves it out of the answer, so ``aws_s3_bucket_notification`` with
``eventbridge = true`` always re-plans.

S3: bucket policies on object calls. Stock moto checks object calls against the bucket policy itself but
evaluates only ``StringEquals`` conditions and treats every other operator as met, so the TLS-only deny of
every launchpad bucket (``Bool aws:SecureTransport false``) refuses every GET, PUT and DELETE. Bucket
policies are evaluated by the sandbox's authorization gate (``launchpad.sandbox.authz``) for every call,
with every condition operator, so moto's own check is turned off here.

S3: server access log delivery. The logging service writes each log object into the target bucket as
``logging.s3.amazonaws.com``, with ``aws:SourceArn`` the source bucket and ``aws:SourceAccount`` its owner, so
the target's bucket policy decides (S3 User Guide, "Permissions for log delivery"). Stock moto writes a log
object for every request to a logging bucket without asking; here the sandbox's authorization decides first,
and a refused delivery is dropped (as AWS drops it) and kept as a refusal.

S3: deleting objects from a bucket whose versioning was suspended. ``DeleteObjects`` on such a bucket, where
a key's history holds a delete marker, crashes stock moto with HTTP 500 (a delete marker has no ``dispose``);
``terraform destroy`` of a ``force_destroy`` bucket suspends versioning first, and then retries forever.

S3: the expected bucket owner. A request with ``x-amz-expected-bucket-owner`` (boto3's
``ExpectedBucketOwner``) to a bucket of another account is refused with 403 Access Denied, on bucket and
object calls alike
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html). Stock moto ignores the
header, so a deploy could not tell a bucket of its own account from another's that lets it read.

S3: a read of an object that does not exist (``GetObject``, ``HeadObject``, ``GetObjectAttributes``) is 404
only to a caller also allowed ``s3:ListBucket`` on the bucket, 403 AccessDenied to any other (their API
references, "Permissions"). Stock moto answers 404 to everyone; the authorization gate asks for ListBucket
as a dependent authorization of such a read (``launchpad.sandbox.authz.requests``, which also says which
condition keys that check sees), so moto's 404 is only reached by a caller that may list the bucket.

S3: event notifications (S3 User Guide, "Amazon S3 Event Notifications", "Event notification types and
destinations", "Event message structure", "Granting permissions to invoke an AWS Lambda function", "Using
EventBridge" and its event message structure; API_PutBucketNotificationConfiguration). A
``LambdaFunctionConfiguration`` (events ``s3:ObjectCreated:*``, ``:Put``, ``:Post``, ``:Copy``,
``:CompleteMultipartUpload``, ``s3:ObjectRemoved:*``, ...; ``Filter`` key prefix and suffix) invokes the
function asynchronously with S3's event (``Records[0]``: ``eventVersion`` 2.1, ``eventSource`` aws:s3,
``awsRegion``, ``eventTime``, ``eventName`` such as ``ObjectCreated:Put``, ``s3.bucket`` {name, arn},
``s3.object`` {key URL-encoded, size, eTag, versionId (versioned buckets), sequencer}), as
``s3.amazonaws.com`` under the function's resource-based policy (``aws:SourceArn`` the bucket,
``aws:SourceAccount`` its owner). ``PutBucketNotificationConfiguration`` checks that first, as AWS does:
a function that does not exist, is in another region, or does not let S3 invoke it for this bucket is
``InvalidArgument`` "Unable to validate the following destination configurations", and the configuration
is not changed. With ``EventBridgeConfiguration`` the bucket sends every event to the account's default
EventBridge bus in its region: "Object Created" (source ``aws.s3``, ``resources`` the bucket, ``detail``
{version, bucket {name}, object {key, size, etag, version-id, sequencer}, request-id, requester,
source-ip-address, reason ``PutObject``, ``POST Object``, ``CopyObject`` or ``CompleteMultipartUpload``}),
"Object Deleted" (with ``deletion-type``), and the other kinds stock moto reports. SQS and SNS destinations
are delivered by moto with the same record (their policies are not checked). Stock moto invokes a
function without asking, puts the bucket's events on every bus and rule of the account, and words the
EventBridge detail its own way (``eTag``, fixed request ids and requester, ``reason`` "ObjectCreated").
The ``requester`` and ``userIdentity`` are the calling account and the caller's ARN (in place of AWS's
unique ids), the source address 127.0.0.1.

S3: lifecycle configurations round-trip. ``PutBucketLifecycleConfiguration`` takes the
``x-amz-transition-default-minimum-object-size`` header (``all_storage_classes_128K`` when absent, or
``varies_by_storage_class``) and answers with it; ``GetBucketLifecycleConfiguration`` answers with that
header and with the rules as they were put, a filter's ``ObjectSizeGreaterThan`` and ``ObjectSizeLessThan``
(alone or in ``And``) and ``NoncurrentVersionExpiration``'s ``NewerNoncurrentVersions`` included
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_NoncurrentVersionExpiration.html).
Stock moto ignores the header (no header on PUT, always ``all_storage_classes_128K`` on GET) and drops those
three elements. ``aws_s3_bucket_lifecycle_configuration`` polls until the answer equals what it put, so with
``varies_by_storage_class`` or any of those elements it timed out after 3 minutes. The ~55 s it waits when
the answer matches is the provider's own, on AWS too (docs/sandbox-s3-lifecycle.md).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote_plus

from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.iam.access_control import PermissionResult
from moto.s3 import notifications
from moto.s3.exceptions import (
    InvalidArgumentError,
    InvalidNotificationDestination,
    InvalidTargetBucketForLogging,
    MalformedXML,
    S3AccessDeniedError,
)
from moto.s3.models import FakeBucket, FakeDeleteMarker, LifecycleRule, S3Backend, s3_backends
from moto.s3.responses import S3Response

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.principals import KEYS, UnknownCredentials
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches import awslambda, events

_MARK = "_launchpad_s3_patch"
LOGGING_SERVICE = "logging.s3.amazonaws.com"
TRANSITION_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"
EXPECTED_OWNER_HEADER = "x-amz-expected-bucket-owner"
DEFAULT_TRANSITION_SIZE = "all_storage_classes_128K"


def log_delivery(source: FakeBucket, target: FakeBucket, prefix: str | None) -> acting.Denied | None:
    """Whether the logging service may write ``source``'s access logs under ``target/prefix`` (None: yes)."""
    logger = principals.service(LOGGING_SERVICE, source.account_id, source.partition)
    key = f"{prefix or ''}access-log"
    made = acting.call("s3", "PutObject", {"Bucket": target.name, "Key": key}, source.region_name)
    return acting.check(
        logger, made, acting.source(f"arn:{source.partition}:s3:::{source.name}", source.account_id)
    )


def apply() -> None:
    if getattr(FakeBucket, _MARK, False):
        return

    original_set_logging = FakeBucket.set_logging

    def set_logging(self: FakeBucket, logging_config: dict[str, Any] | None, bucket_backend: Any) -> None:
        target = bucket_backend.buckets.get((logging_config or {}).get("TargetBucket"))
        if target is not None and authz.enabled():
            denied = log_delivery(self, target, (logging_config or {}).get("TargetPrefix"))
            if denied is not None and not FakeBucket._log_permissions_enabled_acl(target_bucket=target):
                raise InvalidTargetBucketForLogging(
                    "You must either provide the necessary permissions to the logging service using a bucket "
                    "policy or give the log-delivery group WRITE and READ_ACP permissions to the target "
                    f"bucket ({denied.message})"
                )
        original_set_logging(self, logging_config, bucket_backend)

    # The policy was judged above, by the sandbox's evaluator, with the source bucket's aws:SourceArn.
    FakeBucket._log_permissions_enabled_policy = staticmethod(lambda **_: True)  # type: ignore[method-assign,assignment]
    FakeBucket.set_logging = set_logging  # type: ignore[method-assign]
    _return_event_bridge_configuration()
    _authorize_log_delivery()
    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL  # type: ignore[method-assign]
    FakeDeleteMarker.dispose = lambda self, garbage=False: None  # type: ignore[attr-defined]  # holds no data
    _round_trip_lifecycle_configurations()
    _check_expected_bucket_owner()
    _send_event_notifications()
    setattr(FakeBucket, _MARK, True)


def _authorize_log_delivery() -> None:
    original = S3Backend.log_incoming_request

    def log_incoming_request(self: S3Backend, request: Any, bucket_name: str) -> None:
        bucket = self.buckets.get(bucket_name)
        target_name = (bucket.logging or {}).get("TargetBucket") if bucket is not None else None
        target = self.buckets.get(target_name) if target_name is not None else None
        if bucket is None or target is None or not authz.enabled():
            return original(self, request, bucket_name)
        denied = log_delivery(bucket, target, bucket.logging.get("TargetPrefix"))
        if denied is not None:
            USAGE.refuse(
                bucket.account_id,
                "s3",
                f"server access log of {bucket_name} to {target.name}",
                denied.message,
            )
            return None
        return original(self, request, bucket_name)

    S3Backend.log_incoming_request = log_incoming_request  # type: ignore[method-assign]


def check_expected_owner(headers: Any, bucket_name: str | None) -> None:
    """Refuse (403 Access Denied) a request whose expected bucket owner is not the bucket's account."""
    expected = headers.get(EXPECTED_OWNER_HEADER) if headers is not None else None
    owner = s3_backends.bucket_accounts.get(bucket_name) if expected and bucket_name else None
    if owner is not None and owner[1] != expected:
        raise S3AccessDeniedError()


def _check_expected_bucket_owner() -> None:
    original_bucket = S3Response._bucket_response
    original_key = S3Response._key_response

    def bucket_response(self: S3Response, request: Any, full_url: str) -> Any:
        check_expected_owner(request.headers, self.parse_bucket_name_from_url(request, full_url))
        return original_bucket(self, request, full_url)

    def key_response(self: S3Response, request: Any, full_url: str) -> Any:
        check_expected_owner(request.headers, self.parse_bucket_name_from_url(request, full_url))
        return original_key(self, request, full_url)

    S3Response._bucket_response = bucket_response  # type: ignore[method-assign]
    S3Response._key_response = key_response  # type: ignore[method-assign]


def _return_event_bridge_configuration() -> None:
    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: S3Response) -> Any:
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is None or config.event_bridge is None:
            return original(self)
        serialized = self.serialized

        def with_event_bridge(result: ActionResult) -> Any:
            if isinstance(result.result, dict):
                result.result["EventBridgeConfiguration"] = {}
            return serialized(result)

        self.serialized = with_event_bridge  # type: ignore[method-assign,assignment]  # this call only
        try:
            return original(self)
        finally:
            del self.serialized

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]


# -- lifecycle configurations -------------------------------------------------------------------------
_EXTRAS = "_launchpad_answer_extras"  # on a moto LifecycleRule: what stock moto leaves out of the answer
_SIZES = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")


def _size_elements(element: Any) -> dict[str, int]:
    if not isinstance(element, dict):
        return {}
    try:
        return {name: int(element[name]) for name in _SIZES if element.get(name) is not None}
    except (TypeError, ValueError):
        raise MalformedXML() from None


def lifecycle_answer_extras(rule: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The elements of a rule, as parsed from a ``PutBucketLifecycleConfiguration`` body, that stock moto
    drops: the filter's object sizes (``Filter`` and ``And``) and ``NewerNoncurrentVersions``."""
    extras: dict[str, dict[str, int]] = {}
    rule_filter = rule.get("Filter")
    if sizes := _size_elements(rule_filter):
        extras["Filter"] = sizes
    if isinstance(rule_filter, dict) and (and_sizes := _size_elements(rule_filter.get("And"))):
        extras["And"] = and_sizes
    expiration = rule.get("NoncurrentVersionExpiration")
    if isinstance(expiration, dict) and expiration.get("NewerNoncurrentVersions") is not None:
        try:
            extras["NoncurrentVersionExpiration"] = {
                "NewerNoncurrentVersions": int(expiration["NewerNoncurrentVersions"])
            }
        except (TypeError, ValueError):
            raise MalformedXML() from None
    return extras


def with_lifecycle_extras(answer: dict[str, Any], extras: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Stock moto's answer for one rule, with ``extras`` (from ``lifecycle_answer_extras``) put back."""
    if "Filter" in extras or "And" in extras:
        rule_filter = answer.setdefault("Filter", {})
        rule_filter.update(extras.get("Filter", {}))
        if "And" in extras:
            rule_filter.setdefault("And", {}).update(extras["And"])
    if "NoncurrentVersionExpiration" in extras:
        answer.setdefault("NoncurrentVersionExpiration", {}).update(extras["NoncurrentVersionExpiration"])
    return answer


def _round_trip_lifecycle_configurations() -> None:
    original_set = FakeBucket.set_lifecycle
    original_put = S3Response._bucket_response_put
    original_get = S3Response.get_bucket_lifecycle

    def set_lifecycle(self: FakeBucket, rules: list[dict[str, Any]]) -> None:
        extras = [lifecycle_answer_extras(rule) if isinstance(rule, dict) else {} for rule in rules]
        original_set(self, rules)
        for model, rule_extras in zip(self.rules, extras, strict=False):
            setattr(model, _EXTRAS, rule_extras)

    def bucket_response_put(
        self: S3Response, request: Any, bucket_name: str, querystring: dict[str, Any]
    ) -> Any:
        response = original_put(self, request, bucket_name, querystring)
        if "lifecycle" not in querystring or not isinstance(response, (str, bytes)):
            return response  # another PUT, or a refusal
        size = request.headers.get(TRANSITION_SIZE_HEADER) or DEFAULT_TRANSITION_SIZE
        self.backend.get_bucket(bucket_name).transition_default_minimum_object_size = size  # type: ignore[attr-defined]
        return 200, {TRANSITION_SIZE_HEADER: size}, response

    def get_bucket_lifecycle(self: S3Response) -> Any:
        bucket = self.backend.get_bucket(self.bucket_name)
        rules: list[LifecycleRule] = list(bucket.rules)
        serialized = self.serialized

        def as_put(result: ActionResult) -> Any:
            if isinstance(result.result, dict):
                result.result["TransitionDefaultMinimumObjectSize"] = getattr(
                    bucket, "transition_default_minimum_object_size", DEFAULT_TRANSITION_SIZE
                )
                for answer, model in zip(result.result.get("Rules", []), rules, strict=False):
                    with_lifecycle_extras(answer, getattr(model, _EXTRAS, {}))
            return serialized(result)

        self.serialized = as_put  # type: ignore[method-assign,assignment]  # this call only
        try:
            return original_get(self)
        finally:
            del self.serialized

    FakeBucket.set_lifecycle = set_lifecycle  # type: ignore[method-assign]
    S3Response._bucket_response_put = bucket_response_put  # type: ignore[method-assign]
    S3Response.get_bucket_lifecycle = get_bucket_lifecycle  # type: ignore[method-assign]


# -- event notifications -------------------------------------------------------------------------------------
NOTIFYING_SERVICE = "s3.amazonaws.com"
UNVALIDATED = "Unable to validate the following destination configurations"
# The EventBridge detail's "reason" of each event (S3 User Guide, "EventBridge event message structure").
REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}
_CALLER = threading.local()  # the access key of the S3 request being served, for the event's requester
_SEQUENCE = itertools.count()


def _sequencer() -> str:
    """An increasing hexadecimal sequencer, as S3 gives the events of a key."""
    return f"{time.time_ns() // 1000:014X}{next(_SEQUENCE) % 0x10000:04X}"


def _requester(bucket: FakeBucket) -> tuple[str, str]:
    """(the calling account, the caller's ARN) of the request being served; the bucket owner's account
    for work the sandbox does itself."""
    key = getattr(_CALLER, "access_key", None)
    try:
        caller = KEYS.identify(key) if key else None
    except UnknownCredentials:
        caller = None
    if caller is None:
        return bucket.account_id, bucket.account_id
    return caller.account, caller.arn


def notification_record(
    event_name: str, bucket: FakeBucket, key: Any, configuration_id: str
) -> dict[str, Any]:
    """S3's event message (``Records``) for one event of one object."""
    account, caller = _requester(bucket)
    obj: dict[str, Any] = {"key": quote_plus(key.name, safe="/")}
    if event_name.startswith("s3:ObjectCreated"):
        obj.update({"size": key.size, "eTag": key.etag.replace('"', "")})
    if bucket.is_versioned and getattr(key, "version_id", None):
        obj["versionId"] = key.version_id
    obj["sequencer"] = _sequencer()
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": bucket.region_name,
                "eventTime": iso_8601_datetime_with_milliseconds(),
                "eventName": event_name.removeprefix("s3:"),
                "userIdentity": {"principalId": f"AWS:{caller}"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": bucket.name,
                        "ownerIdentity": {"principalId": account},
                        "arn": bucket.arn,
                    },
                    "object": obj,
                },
            }
        ]
    }


def event_bridge_detail(event_name: str, bucket: FakeBucket, key: Any) -> dict[str, Any]:
    """The ``detail`` of the EventBridge event S3 sends for one event of one object."""
    account, _ = _requester(bucket)
    obj: dict[str, Any] = {"key": key.name}
    if event_name.startswith("s3:ObjectCreated"):
        obj.update({"size": key.size, "etag": key.etag.replace('"', "")})
    if bucket.is_versioned and getattr(key, "version_id", None):
        obj["version-id"] = key.version_id
    obj["sequencer"] = _sequencer()
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": account,
        "source-ip-address": "127.0.0.1",
    }
    if event_name in REASONS:
        detail["reason"] = REASONS[event_name]
    if event_name.startswith("s3:ObjectRemoved"):
        marker = event_name.endswith("DeleteMarkerCreated")
        detail["deletion-type"] = "Delete Marker Created" if marker else "Permanently Deleted"
    return detail


def _to_function(bucket: FakeBucket, function_arn: str, record: dict[str, Any]) -> None:
    """Invoke the function asynchronously as S3, if its resource-based policy allows it for this bucket."""
    what = f"notification of {bucket.name} to {function_arn}"
    denied = awslambda.service_may_invoke(NOTIFYING_SERVICE, function_arn, bucket.arn, bucket.account_id)
    if denied is not None:
        USAGE.refuse(bucket.account_id, "s3", what, denied.message)
        return
    parts = function_arn.split(":")
    awslambda.invoke_later(parts[4], parts[3], function_arn, json.dumps(record))


def send_event(account_id: str, event_name: str, bucket: FakeBucket, key: Any) -> None:
    """An event of ``key`` in ``bucket``: to each matching destination, and to EventBridge if it is on."""
    config = bucket.notification_configuration
    if config is None:
        return
    for notification in config.cloud_function:
        if notification.matches(event_name, key.name):
            _to_function(
                bucket, notification.arn, notification_record(event_name, bucket, key, notification.id)
            )
    for notification in config.queue:
        if notification.matches(event_name, key.name):
            record = notification_record(event_name, bucket, key, notification.id)
            region, queue = notification.arn.split(":")[3], notification.arn.split(":")[-1]
            notifications._send_sqs_message(account_id, record, queue, region)
    for notification in config.topic:
        if notification.matches(event_name, key.name):
            record = notification_record(event_name, bucket, key, notification.id)
            notifications._send_sns_message(
                account_id, record, notification.arn, notification.arn.split(":")[3]
            )
    if config.event_bridge is not None:
        detail = event_bridge_detail(event_name, bucket, key)
        kind = notifications._detail_type(event_name)
        events.put_event(bucket.account_id, bucket.region_name, "aws.s3", kind, detail, [bucket.arn])


def check_destinations(bucket: FakeBucket, config: dict[str, Any] | None) -> None:
    """PutBucketNotificationConfiguration's check that S3 may invoke each function, for this bucket."""
    for entry in (config or {}).get("CloudFunctionConfiguration") or []:
        arn = str(entry.get("CloudFunction", ""))
        if arn.split(":")[3:4] != [bucket.region_name]:
            raise InvalidNotificationDestination()
        if not awslambda.function_exists(arn) or (
            authz.enabled()
            and awslambda.service_may_invoke(NOTIFYING_SERVICE, arn, bucket.arn, bucket.account_id)
            is not None
        ):
            raise InvalidArgumentError(UNVALIDATED, arn, f"Not authorized to invoke function [{arn}]")


def _send_event_notifications() -> None:
    original_set = FakeBucket.set_notification_configuration
    original_bucket = S3Response._bucket_response
    original_key = S3Response._key_response

    def set_notification_configuration(self: FakeBucket, notification_config: dict[str, Any] | None) -> None:
        check_destinations(self, notification_config)
        original_set(self, notification_config)

    def caller(request: Any) -> str | None:
        authorization = request.headers.get("Authorization", "") if request is not None else ""
        credential = authorization.split("Credential=", 1)[-1] if "Credential=" in authorization else ""
        return credential.split("/", 1)[0] or None

    def bucket_response(self: S3Response, request: Any, full_url: str) -> Any:
        _CALLER.access_key = caller(request)
        try:
            return original_bucket(self, request, full_url)
        finally:
            _CALLER.access_key = None

    def key_response(self: S3Response, request: Any, full_url: str) -> Any:
        _CALLER.access_key = caller(request)
        try:
            return original_key(self, request, full_url)
        finally:
            _CALLER.access_key = None

    FakeBucket.set_notification_configuration = set_notification_configuration  # type: ignore[method-assign]
    S3Response._bucket_response = bucket_response  # type: ignore[method-assign]
    S3Response._key_response = key_response  # type: ignore[method-assign]
    notifications.send_event = send_event
