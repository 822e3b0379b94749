"""CKV_LP_001: a SageMaker model runs inside our VPC (``vpc_config`` with subnets and security groups).

Why: without ``vpc_config`` the model's containers get network interfaces in a SageMaker-managed VPC, outside
our security groups, flow logs and VPC endpoints, so inference traffic carrying ePHI leaves the network we
audit (HIPAA 164.312(e)(1) transmission security; EU AI Act Art. 15 cybersecurity).

Passes when ``vpc_config`` names at least one subnet and one security group. A model that only serverless
endpoint configurations use passes too (serverless endpoints reject ``vpc_config``); that needs those
configurations to reference the model (``model_name = aws_sagemaker_model.x.name``) with known variants.
UNKNOWN when the block or its lists are expressions checkov could not evaluate.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, passed_if
from _helpers.endpoints import serves_only_serverless
from _helpers.values import known_attr, one_block
from checkov.common.models.enums import CheckCategories, CheckResult


class SageMakerModelVpc(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_001",
            "Ensure a SageMaker model runs in a VPC (vpc_config with subnets and security groups)",
            [CheckCategories.NETWORKING],
            ["aws_sagemaker_model"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["vpc_config"]
        if serves_only_serverless(self.graph, conf):
            return CheckResult.PASSED
        vpc_config = one_block(conf, "vpc_config")
        if vpc_config is None:
            return CheckResult.FAILED
        return passed_if(
            bool(known_attr(vpc_config, "subnets")) and bool(known_attr(vpc_config, "security_group_ids"))
        )


check = SageMakerModelVpc()
