"""CKV_LP_009: every taggable AWS resource has the required tags (owner, cost-center, data-classification).

Why: ``data-classification`` is how we know which resources hold ePHI (CKV_LP_010 and CKV_LP_013 act on
``phi``), ``owner`` who answers for a resource in an incident or an access review, ``cost-center`` who pays.
An untagged resource is one nobody can be asked about: the HIPAA risk analysis (164.308(a)(1)) starts with an
inventory of where ePHI lives.

The tags counted are those AWS sets: the provider's ``default_tags`` (of the provider configuration the
resource uses, in its root module) overlaid by the resource's ``tags``. Keys come from
config.yaml ``required_tags`` (case-sensitive; an empty value counts as missing), and ``data-classification``
must be one of ``data_classifications``. The resource types are checkov's own list of taggable AWS resources
(``aws_taggable`` in checkov/common/checks_infra/resources_types.py).

Fails when a key is missing from tags checkov resolved, including no tags at all. UNKNOWN when the missing
key may hide in tags checkov could not evaluate: a string such as ``var.tags``, ``merge(...)`` or
``${...}``, or a map rendered from a root variable without a default (which checkov reads as ``{}``). A
module's resources are judged in each caller's context, where the tags are known.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck
from _helpers.settings import setting
from _helpers.tags import Tags, tags
from _helpers.values import is_unresolved
from checkov.common.checks_infra.resources_types import resources_types
from checkov.common.models.enums import CheckCategories, CheckResult


def _missing(effective: Tags) -> list[str]:
    missing = [key for key in setting("required_tags") if effective.get(key) in (None, "")]
    classification = effective.get("data-classification")
    allowed = {str(c).lower() for c in setting("data_classifications")}
    known = isinstance(classification, str) and bool(classification) and not is_unresolved(classification)
    if known and str(classification).lower() not in allowed:
        missing.append(f"data-classification (one of {', '.join(sorted(allowed))})")
    return missing


class RequiredTags(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_009",
            "Ensure AWS resources carry the required tags (owner, cost-center, data-classification)",
            [CheckCategories.CONVENTION],
            resources_types["aws_taggable"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["tags"]
        effective = tags(self.graph, conf)
        missing = _missing(effective)
        if not missing:
            return CheckResult.PASSED
        self.details.append(f"missing tags: {', '.join(missing)}")
        return CheckResult.FAILED if effective.complete else CheckResult.UNKNOWN


check = RequiredTags()
