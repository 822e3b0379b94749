"""CKV_LP_014: a SageMaker endpoint configuration encrypts its instances' ML storage volumes with our KMS key.

Why: the EBS volume attached to each hosting instance holds the model artifacts and whatever the container
writes (caches, temporary copies of payloads, which may be ePHI). Without ``kms_key_arn`` SageMaker encrypts
it with an AWS-managed key that our key policy does not govern (HIPAA 164.312(a)(2)(iv)). checkov's
CKV_AWS_98 asks for ``kms_key_arn`` everywhere, which SageMaker rejects for the configurations below.

Passes when ``kms_key_arn`` is a customer-managed key, and, as not applicable, when the configuration is
serverless-only (no volume) or uses an instance family with local NVMe storage (config.yaml
``local_storage_instance_families``: encrypted in hardware, and SageMaker rejects a key for them). UNKNOWN
when the variants' instance types or the key are expressions checkov could not evaluate.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, passed_if
from _helpers.endpoints import needs_volume_key
from _helpers.kms import key_is_customer_managed
from _helpers.values import attr
from checkov.common.models.enums import CheckCategories, CheckResult


class SageMakerEndpointVolumeKey(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_014",
            "Ensure SageMaker endpoint instance volumes are encrypted with a customer-managed KMS key",
            [CheckCategories.ENCRYPTION],
            ["aws_sagemaker_endpoint_configuration"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = [
            "kms_key_arn",
            "production_variants/[*]/instance_type",
            "shadow_production_variants/[*]/instance_type",
        ]
        if not needs_volume_key(conf):
            return CheckResult.PASSED
        return passed_if(key_is_customer_managed(attr(conf, "kms_key_arn")))


check = SageMakerEndpointVolumeKey()
