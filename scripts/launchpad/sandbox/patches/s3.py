"""S3: server access logging to a target bucket whose policy grants the logging service.

AWS: ``PutBucketLogging`` needs the target bucket's policy to allow ``s3:PutObject`` to the
``logging.s3.amazonaws.com`` service principal on the target prefix; the policy's other statements, including
denies with ``"Principal": "*"``, do not matter, and ``Principal``, ``Action`` and ``Resource`` may each be a
string or a list (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
Stock moto crashes with HTTP 500 on any statement whose ``Principal`` is the string ``"*"`` (so every bucket
with a TLS-only deny) and only matches a single-string ``Resource``.

S3: EventBridge notifications. ``GetBucketNotificationConfiguration`` returns an (empty)
``EventBridgeConfiguration`` element once ``PutBucketNotificationConfiguration`` turned EventBridge on
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html).
Stock moto stores it but leaves it out of the answer, so ``aws_s3_bucket_notification`` with
``eventbridge = true`` always re-plans.

S3: object calls on buckets with conditional policy statements. Stock moto checks object calls against the
bucket policy but evaluates only ``StringEquals`` conditions and treats every other operator as met, so the
TLS-only deny of every launchpad bucket (``Bool aws:SecureTransport false``) refuses every GET, PUT and
DELETE. The sandbox speaks plain HTTP on localhost, so it cannot judge such request-context conditions at
all: it leaves conditional statements out and applies the unconditional ones, as before.

S3: deleting objects from a bucket whose versioning was suspended. ``DeleteObjects`` on such a bucket, where
a key's history holds a delete marker, crashes stock moto with HTTP 500 (a delete marker has no ``dispose``);
``terraform destroy`` of a ``force_destroy`` bucket suspends versioning first, and then retries forever.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket, FakeDeleteMarker
from moto.s3.responses import S3Response

from launchpad.sandbox.patches.iam_policy import allows_service, as_list

_MARK = "_launchpad_s3_patch"
LOGGING_SERVICE = "logging.s3.amazonaws.com"


def grants_log_delivery(policy: dict[str, Any], bucket_arn: str, prefix: str | None) -> bool:
    """Whether ``policy`` allows the S3 logging service to put objects under ``bucket_arn/prefix``."""
    log_object = f"{bucket_arn}/{prefix or ''}example-log-object"
    return allows_service(policy, LOGGING_SERVICE, "s3:PutObject", log_object)


def apply() -> None:
    if getattr(FakeBucket, _MARK, False):
        return

    def _log_permissions_enabled_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        if not target_bucket.policy:
            return False
        policy = json.loads(target_bucket.policy.decode())
        bucket_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
        return grants_log_delivery(policy, bucket_arn, target_prefix)

    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)  # type: ignore[method-assign]
    _return_event_bridge_configuration()
    FakeBucket.get_permission = _unconditional_permission  # type: ignore[method-assign]
    FakeDeleteMarker.dispose = lambda self, garbage=False: None  # type: ignore[attr-defined]  # holds no data
    setattr(FakeBucket, _MARK, True)


def unconditional_policy(policy: dict[str, Any]) -> dict[str, Any] | None:
    """``policy`` without its conditional statements; None when none is left."""
    kept = [s for s in as_list(policy.get("Statement")) if "Condition" not in s]
    return {**policy, "Statement": kept} if kept else None


def _unconditional_permission(self: FakeBucket, action: str, resource: str) -> Any:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = unconditional_policy(json.loads(self.policy.decode()))
    if policy is None:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


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

        self.serialized = with_event_bridge  # type: ignore[method-assign]  # this call only
        try:
            return original(self)
        finally:
            del self.serialized

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]
