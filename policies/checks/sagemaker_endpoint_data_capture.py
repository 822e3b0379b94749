"""CKV_LP_003: a SageMaker endpoint configuration captures inference data, encrypted, into S3.

Why: the captured requests and responses are the record of what the model was asked and answered. They feed
drift detection and post-market monitoring (EU AI Act Art. 12 record-keeping, Art. 72) and the audit trail
of access to ePHI (HIPAA 164.312(b)); being ePHI themselves, they must be encrypted with our key (HIPAA
164.312(a)(2)(iv)).

Passes when ``data_capture_config`` exists with capture on (``enable_capture`` absent means on), a sampling
percentage above 0 when set, a customer-managed ``kms_key_id`` (not absent, not ``alias/aws/...``) and an
``s3://`` ``destination_s3_uri``. Serverless-only configurations pass: SageMaker offers no data capture for
them. UNKNOWN when the variants or the capture settings are expressions checkov could not evaluate (a module
whose settings come from its caller is judged in the caller's context).
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, all_of
from _helpers.endpoints import serverless_only
from _helpers.kms import key_is_customer_managed
from _helpers.values import attr, known_attr, one_block
from checkov.common.models.enums import CheckCategories, CheckResult


def _sampled(capture: dict[str, Any]) -> bool:
    sampling = known_attr(capture, "initial_sampling_percentage")
    return sampling is None or float(sampling) > 0


def _to_s3(capture: dict[str, Any]) -> bool:
    destination = known_attr(capture, "destination_s3_uri")
    return isinstance(destination, str) and destination.startswith("s3://")


class SageMakerEndpointDataCapture(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_003",
            "Ensure SageMaker endpoint data capture is on, to S3, under a customer-managed KMS key",
            [CheckCategories.LOGGING],
            ["aws_sagemaker_endpoint_configuration"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["data_capture_config", "production_variants"]
        if serverless_only(conf):
            return CheckResult.PASSED
        capture = one_block(conf, "data_capture_config")
        if capture is None:
            return CheckResult.FAILED
        return all_of(
            lambda: str(known_attr(capture, "enable_capture")).lower() in ("true", "none"),
            lambda: _sampled(capture),
            lambda: _to_s3(capture),
            lambda: key_is_customer_managed(attr(capture, "kms_key_id")),
        )


check = SageMakerEndpointDataCapture()
