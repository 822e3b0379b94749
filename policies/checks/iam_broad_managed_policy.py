"""CKV_LP_007: no broad AWS-managed policy (AdministratorAccess, PowerUserAccess, *FullAccess) is attached.

Why: AWS-managed "full access" policies grant every action of a service on every resource, and AWS extends
them when the service grows; AmazonSageMakerFullAccess, for instance, also reads any bucket with "sagemaker"
in its name. A role must get scoped policies of our own instead (HIPAA 164.312(a)(1) access control; CIS AWS
1.16 and 1.22).

Fails when a policy ARN ``arn:<partition>:iam::aws:policy/[<path>/]<name>`` has a name matching config.yaml
``broad_managed_policies``. Checked: ``policy_arn`` of ``aws_iam_role_policy_attachment``,
``aws_iam_user_policy_attachment``, ``aws_iam_group_policy_attachment`` and ``aws_iam_policy_attachment``;
``managed_policy_arns`` of ``aws_iam_role``; ``policy_arns`` of ``aws_iam_role_policy_attachments_exclusive``.
An ARN read from ``data "aws_iam_policy"`` is followed to its ``arn`` or ``name``. The partition may be an
unevaluated expression (``${data.aws_partition.current.partition}``); UNKNOWN when the ARN itself is.
"""

from __future__ import annotations

import re
from typing import Any

from _helpers.base import ResourceCheck
from _helpers.graph import neighbours, vertex_conf, vertex_of
from _helpers.settings import matches_any, setting
from _helpers.values import attr, is_unresolved, string_list
from checkov.common.models.enums import CheckCategories, CheckResult

ARN_ATTRIBUTES = {
    "aws_iam_role_policy_attachment": "policy_arn",
    "aws_iam_user_policy_attachment": "policy_arn",
    "aws_iam_group_policy_attachment": "policy_arn",
    "aws_iam_policy_attachment": "policy_arn",
    "aws_iam_role": "managed_policy_arns",
    "aws_iam_role_policy_attachments_exclusive": "policy_arns",
}
_AWS_MANAGED = re.compile(r"^arn:[^:]*:iam::aws:policy/(?:.*/)?([^/]+)\Z")


class IamBroadManagedPolicy(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_007",
            "Ensure no AWS-managed AdministratorAccess, PowerUserAccess or *FullAccess policy is attached",
            [CheckCategories.IAM],
            ARN_ATTRIBUTES,
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        key = ARN_ATTRIBUTES[self.entity_type]
        self.evaluated_keys = [key]
        arns = string_list(attr(conf, key))
        lookups = [a for a in arns if a.startswith(("data.aws_iam_policy.", "${data.aws_iam_policy."))]
        looked_up = self._looked_up_arns(conf, key) if lookups else []
        if looked_up:
            arns = [a for a in arns if a not in lookups] + looked_up
        unknown = False
        for arn in arns:
            match = _AWS_MANAGED.match(str(arn).strip())  # padding does not make a policy narrower
            if match and not is_unresolved(match.group(1)):
                if matches_any(match.group(1), setting("broad_managed_policies")):
                    return CheckResult.FAILED
            elif is_unresolved(arn):
                unknown = True
        return CheckResult.UNKNOWN if unknown else CheckResult.PASSED

    def _looked_up_arns(self, conf: dict[str, Any], key: str) -> list[str]:
        """ARNs of the ``data "aws_iam_policy"`` that ``key`` references (by name if the ARN is unknown)."""
        index = vertex_of(self.graph, conf)
        if index is None:
            return []
        found = []
        for lookup in neighbours(self.graph, index, ["data.aws_iam_policy"], incoming=False, label=key):
            lookup_conf = vertex_conf(self.graph[lookup][1]) or {}
            arn, name = attr(lookup_conf, "arn"), attr(lookup_conf, "name")
            if isinstance(name, str) and not is_unresolved(name) and (arn is None or is_unresolved(arn)):
                arn = f"arn:aws:iam::aws:policy/{name}"
            if isinstance(arn, str):
                found.append(arn)
        return found


check = IamBroadManagedPolicy()
