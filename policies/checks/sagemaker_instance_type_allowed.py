"""CKV_LP_008: SageMaker endpoint variants use only instance types from the allow-list.

Why: cost and operability. GPU families such as ml.p4d/ml.p5 cost tens of dollars an hour each and need a
capacity plan; ml.inf1 endpoints silently ignore deployment guardrails; old generations lack Nitro (and its
in-transit encryption between instances). The allow-list (config.yaml ``allowed_instance_types``, glob
patterns such as ``ml.m5.*``) is what the platform team has tested and budgeted. A model team may point
LAUNCHPAD_POLICY_CONFIG at a config file with its own list.

Checked: ``instance_type`` of every ``production_variants`` and ``shadow_production_variants`` block of an
``aws_sagemaker_endpoint_configuration``; serverless variants have none and pass. Fails on the first type
outside the list, even when other variants are unknown; UNKNOWN when a type is an expression checkov could
not evaluate (as in a module's dynamic variant blocks: the module's callers are judged instead).
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck
from _helpers.endpoints import variant_instance_types
from _helpers.iam import tri_any
from _helpers.settings import matches_any, setting
from checkov.common.models.enums import CheckCategories, CheckResult


class SageMakerInstanceTypeAllowed(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_008",
            "Ensure SageMaker endpoint variants use instance types from the allow-list",
            [CheckCategories.GENERAL_SECURITY],
            ["aws_sagemaker_endpoint_configuration"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = [
            "production_variants/[*]/instance_type",
            "shadow_production_variants/[*]/instance_type",
        ]
        allowed = setting("allowed_instance_types")
        types = [str(t) for t in variant_instance_types(conf) if t is not None]
        outside = tri_any(types, lambda t: not matches_any(t, allowed))
        return (
            CheckResult.UNKNOWN if outside is None else CheckResult.FAILED if outside else CheckResult.PASSED
        )


check = SageMakerInstanceTypeAllowed()
