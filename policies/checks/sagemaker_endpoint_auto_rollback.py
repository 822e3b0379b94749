"""CKV_LP_004: a production SageMaker endpoint rolls a deployment back automatically when an alarm fires.

Why: a new model version that errors or slows down must not stay in front of patients and users until
someone notices. ``deployment_config.auto_rollback_configuration`` names CloudWatch alarms that SageMaker
watches during a blue/green or rolling update, and it restores the previous configuration when one fires
(EU AI Act Art. 15: accuracy, robustness and resilience throughout the lifecycle).

Passes when ``deployment_config`` has an ``auto_rollback_configuration`` naming at least one alarm. Endpoints
whose stage tag (config.yaml ``stage_tags``, the resource's tags over the provider's ``default_tags``) names
a non-production stage (``non_production_stages``) pass as not applicable; every other endpoint, including
one without a stage tag, is production. UNKNOWN when the alarms are a dynamic block or expressions checkov
could not evaluate.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck
from _helpers.tags import stage_is_production
from _helpers.values import attr, blocks, is_unresolved, one_block
from checkov.common.models.enums import CheckCategories, CheckResult


class SageMakerEndpointAutoRollback(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_004",
            "Ensure a production SageMaker endpoint rolls back automatically on CloudWatch alarms",
            [CheckCategories.GENERAL_SECURITY],
            ["aws_sagemaker_endpoint"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["deployment_config/[0]/auto_rollback_configuration", "tags"]
        if not stage_is_production(self.graph, conf):
            return CheckResult.PASSED
        deployment = one_block(conf, "deployment_config")
        rollback = one_block(deployment, "auto_rollback_configuration") if deployment else None
        names = [attr(alarm, "alarm_name") for alarm in blocks(rollback, "alarms")] if rollback else []
        if any(isinstance(n, str) and n and not is_unresolved(n) for n in names):
            return CheckResult.PASSED
        return CheckResult.UNKNOWN if any(is_unresolved(n) for n in names) else CheckResult.FAILED


check = SageMakerEndpointAutoRollback()
