"""CKV_LP_013: an S3 bucket tagged ``data-classification = phi`` is encrypted with a customer-managed KMS key.

Why: as CKV_LP_010 (HIPAA 164.312(a)(2)(iv)): ePHI at rest under a key whose policy we write and whose every
use CloudTrail logs. A bucket's default encryption is SSE-S3 (keys S3 manages) unless configured otherwise,
and ``aws:kms`` without a key id means the AWS-managed ``aws/s3`` key, which any principal of the account
with S3 access can use.

The tag sits on ``aws_s3_bucket``, the key on ``aws_s3_bucket_server_side_encryption_configuration`` (found by
reference or equal literal bucket name, as in CKV_LP_012) or on the bucket's legacy inline
``server_side_encryption_configuration``. Passes when every default-encryption rule uses ``aws:kms`` or
``aws:kms:dsse`` with a customer-managed ``kms_master_key_id`` (not absent, not ``alias/aws/...``); fails
when there is no such configuration. Classification and unknown values are handled as in CKV_LP_010.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, all_of
from _helpers.graph import attached
from _helpers.kms import key_is_customer_managed
from _helpers.tags import phi_verdict
from _helpers.values import attr, blocks, known_attr
from checkov.common.models.enums import CheckCategories, CheckResult

SSE_CONFIGURATION = "aws_s3_bucket_server_side_encryption_configuration"


def _defaults(configuration: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``apply_server_side_encryption_by_default`` blocks of an SSE configuration (resource or inline)."""
    return [
        default
        for rule in blocks(configuration, "rule")
        for default in blocks(rule, "apply_server_side_encryption_by_default")
    ]


def _customer_keyed(default: dict[str, Any]) -> bool:
    return str(known_attr(default, "sse_algorithm")) in (
        "aws:kms",
        "aws:kms:dsse",
    ) and key_is_customer_managed(attr(default, "kms_master_key_id"))


class S3BucketPhiCustomerManagedKey(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_013",
            "Ensure S3 buckets tagged data-classification = phi use a customer-managed KMS key",
            [CheckCategories.ENCRYPTION],
            ["aws_s3_bucket"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["tags", "server_side_encryption_configuration"]
        return phi_verdict(self.graph, conf, lambda: self._keyed(conf))

    def _keyed(self, conf: dict[str, Any]) -> CheckResult:
        configurations = blocks(conf, "server_side_encryption_configuration")
        configurations += attached(self.graph, conf, SSE_CONFIGURATION)
        defaults = [default for configuration in configurations for default in _defaults(configuration)]
        if not defaults:
            return CheckResult.FAILED
        return all_of(*(lambda d=default: _customer_keyed(d) for default in defaults))


check = S3BucketPhiCustomerManagedKey()
