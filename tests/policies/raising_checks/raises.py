"""CKV_LPTEST_001: raises on every SQS queue, as a check with a bug (or unreadable settings) would."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class Raises(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="raises on purpose",
            id="CKV_LPTEST_001",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_sqs_queue"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        raise RuntimeError("raised on purpose")


check = Raises()
