"""KMS: key rotation periods.

AWS: ``EnableKeyRotation`` takes an optional ``RotationPeriodInDays`` (90-2560, default 365) and
``GetKeyRotationStatus`` returns it with ``KeyId`` while rotation is on
(https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html,
https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html).
Stock moto drops the period and returns only ``KeyRotationEnabled``, so the AWS provider reads a period of 0
and every re-plan of an ``aws_kms_key`` with ``rotation_period_in_days`` wants to change it.

KMS: AWS managed keys. The keys behind the reserved ``alias/aws/<service>`` aliases, which a service creates
on first use, are AWS managed: ``DescribeKey`` reports ``KeyManager: AWS``
(https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html). Stock moto creates them on the
fly (e.g. when the AWS provider reads an encrypted DynamoDB table and describes ``alias/aws/dynamodb``) as
``CUSTOMER`` keys, which would count as customer keys left behind.

Not an AWS behaviour: stock moto makes an RSA-2048 private key for every key it creates, symmetric ones
included (~50 ms of CPU each, for a key only Sign, Verify and GetPublicKey of an asymmetric key use). The
sandbox makes it on first use instead; what those calls answer is unchanged.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import moto.kms.models
from moto.kms.exceptions import ValidationException
from moto.kms.models import Alias, KmsBackend
from moto.kms.responses import KmsResponse
from moto.kms.utils import generate_private_key

_MARK = "_launchpad_kms_patch"
DEFAULT_PERIOD_DAYS = 365
MIN_PERIOD_DAYS, MAX_PERIOD_DAYS = 90, 2560


class LazyPrivateKey:
    """moto's private key of a KMS key of ``key_spec``, generated when it is first used."""

    def __init__(self, key_spec: str) -> None:
        self.key_spec = key_spec
        self._key: Any = None
        self._lock = threading.Lock()

    @property
    def generated(self) -> bool:
        return self._key is not None

    def __getattr__(self, name: str) -> Any:  # only for what this class does not define
        with self._lock:
            if self._key is None:
                self._key = generate_private_key(self.key_spec)
        return getattr(self._key, name)


def apply() -> None:
    if getattr(KmsResponse, _MARK, False):
        return
    moto.kms.models.generate_private_key = LazyPrivateKey  # type: ignore[attr-defined, assignment]
    original_enable = KmsResponse.enable_key_rotation

    def enable_key_rotation(self: KmsResponse) -> str:
        period = self._get_param("RotationPeriodInDays", DEFAULT_PERIOD_DAYS)
        if not MIN_PERIOD_DAYS <= int(period) <= MAX_PERIOD_DAYS:
            raise ValidationException(
                f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to satisfy "
                f"constraint: Member must have value between {MIN_PERIOD_DAYS} and {MAX_PERIOD_DAYS}"
            )
        result = original_enable(self)
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        key.launchpad_rotation_period_in_days = int(period)  # type: ignore[attr-defined]
        key.launchpad_rotation_enabled_at = datetime.now(UTC)  # type: ignore[attr-defined]
        return result

    def get_key_rotation_status(self: KmsResponse) -> str:
        key_id = self._get_param("KeyId")
        self._validate_cmk_id(key_id)
        key = self.kms_backend.describe_key(key_id)
        body: dict[str, object] = {"KeyId": key.arn, "KeyRotationEnabled": key.key_rotation_status}
        if key.key_rotation_status:
            period = getattr(key, "launchpad_rotation_period_in_days", DEFAULT_PERIOD_DAYS)
            since = getattr(key, "launchpad_rotation_enabled_at", datetime.now(UTC))
            body["RotationPeriodInDays"] = period
            body["NextRotationDate"] = (since + timedelta(days=period)).timestamp()
        return json.dumps(body)

    KmsResponse.enable_key_rotation = enable_key_rotation  # type: ignore[method-assign]
    KmsResponse.get_key_rotation_status = get_key_rotation_status  # type: ignore[method-assign]
    _aws_managed_keys_behind_reserved_aliases()
    setattr(KmsResponse, _MARK, True)


def _aws_managed_keys_behind_reserved_aliases() -> None:
    original = KmsBackend.create_alias

    def create_alias(self: KmsBackend, target_key_id: str, alias_name: str) -> Alias:
        alias = original(self, target_key_id, alias_name)
        if alias_name.startswith("alias/aws/"):  # only AWS may use the reserved prefix
            self.keys[self.get_key_id(target_key_id)].key_manager = "AWS"
        return alias

    KmsBackend.create_alias = create_alias  # type: ignore[method-assign]
