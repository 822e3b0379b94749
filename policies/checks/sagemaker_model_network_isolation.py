"""CKV_LP_002: a SageMaker model runs with network isolation (``enable_network_isolation = true``).

Why: an isolated inference container cannot make any outbound network call, even inside our VPC, so a
compromised or malicious model image (a supply-chain risk: we host third-party models) cannot exfiltrate the
ePHI it is sent (HIPAA 164.312(a)(1) and (e)(1); EU AI Act Art. 15 resilience against manipulation).
SageMaker itself still downloads the model artifacts for the container.

Absent means false (AWS's default), so the attribute must be set. A model that only serverless endpoint
configurations use passes (serverless endpoints reject network isolation), as in CKV_LP_001. UNKNOWN when
the value is an expression checkov could not evaluate.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, passed_if
from _helpers.endpoints import serves_only_serverless
from _helpers.values import known_attr
from checkov.common.models.enums import CheckCategories, CheckResult


class SageMakerModelNetworkIsolation(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_002",
            "Ensure a SageMaker model enables network isolation",
            [CheckCategories.NETWORKING],
            ["aws_sagemaker_model"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["enable_network_isolation"]
        if serves_only_serverless(self.graph, conf):
            return CheckResult.PASSED
        return passed_if(str(known_attr(conf, "enable_network_isolation")).lower() == "true")


check = SageMakerModelNetworkIsolation()
