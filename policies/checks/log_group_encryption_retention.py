"""CKV_LP_011: a CloudWatch log group is encrypted with a KMS key and keeps its logs long enough.

Why: endpoint, pipeline and flow logs record who used the system and how (HIPAA 164.312(b) audit controls;
EU AI Act Art. 12 and 19: logs of a high-risk system kept at least six months, longer where other law asks).
They may contain request payloads, so they are encrypted with our key (HIPAA 164.312(a)(2)(iv)); without
``kms_key_id`` CloudWatch uses its own service key, which our key policy cannot govern.

Passes when ``kms_key_id`` is set and ``retention_in_days`` is at least config.yaml
``minimum_log_retention_days`` (365). ``retention_in_days`` absent or 0 means the logs never expire (AWS's
default): that meets any minimum and passes; deleting logs in time (GDPR storage limitation) is the owner's
decision, not this check's. CloudWatch Logs only accepts customer-managed keys, so any key set passes here;
CKV_LP_010 adds nothing for log groups beyond that. UNKNOWN when either value is an expression checkov could
not evaluate.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, all_of
from _helpers.settings import setting
from _helpers.values import Unresolved, attr, known_attr
from checkov.common.models.enums import CheckCategories, CheckResult


def _retained_long_enough(conf: dict[str, Any]) -> bool:
    days = known_attr(conf, "retention_in_days")
    return days is None or int(days) == 0 or int(days) >= int(setting("minimum_log_retention_days"))


def _has_key(conf: dict[str, Any]) -> bool:
    """Whether ``kms_key_id`` is set: a reference to a resource, data source or module output counts as set;
    a variable or local checkov could not evaluate may be null and raises :class:`Unresolved`."""
    value = attr(conf, "kms_key_id")
    if value is None or value == "":
        return False
    if str(value).startswith(("var.", "local.", "${var.", "${local.")):
        raise Unresolved(str(value))
    return True


class LogGroupEncryptionRetention(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_011",
            "Ensure a CloudWatch log group is KMS-encrypted and retains logs for the minimum period",
            [CheckCategories.LOGGING],
            ["aws_cloudwatch_log_group"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["kms_key_id", "retention_in_days"]
        return all_of(
            lambda: _has_key(conf),
            lambda: _retained_long_enough(conf),
        )


check = LogGroupEncryptionRetention()
