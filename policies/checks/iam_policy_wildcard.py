"""CKV_LP_006: no IAM policy allows every action, or every action of a service, on every resource.

Why: ``Action: "*"`` or ``"s3:*"`` on ``Resource: "*"`` hands a role every current and future permission of
AWS or of a whole service in the account: reading every bucket of ePHI, deleting keys, disabling logs.
Least privilege is the core of HIPAA access control (164.312(a)(1)) and of CIS AWS 1.16.

Fails when an Allow statement without a principal (an identity policy) has ``Resource: "*"`` (or any
``NotResource``) together with ``Action`` ``"*"``/``"<service>:*"`` or any ``NotAction`` (allowing all but a
few actions is as broad). Checked: ``data.aws_iam_policy_document`` statements, and the JSON ``policy`` of
``aws_iam_policy``, ``aws_iam_role_policy``, ``aws_iam_user_policy``, ``aws_iam_group_policy`` and
``aws_iam_role`` ``inline_policy`` blocks (jsonencode'd, heredoc, or a reference to a policy document, which
is then judged on the attaching resource too).

Statements with a principal belong to resource policies (key, bucket, topic, trust policies): there
``Resource: "*"`` can only mean the resource itself, as in the standard KMS key policy statement granting the
account ``kms:*``; they are left to checkov's own checks. Wildcards inside a name (``s3:Get*``) are not
whole-service wildcards and pass. UNKNOWN when a statement's effect, actions or resources are expressions
checkov could not evaluate and no other statement fails.
"""

from __future__ import annotations

import re
from typing import Any

from _helpers.base import DataCheck, ResourceCheck
from _helpers.iam import Document, Statement, attached_document, data_document, policy_document, tri_any
from _helpers.values import attr, blocks, is_unresolved
from checkov.common.models.enums import CheckCategories, CheckResult

NAME = 'Ensure no IAM policy allows "*" or "<service>:*" actions on Resource "*"'
# Matched on the action with surrounding whitespace stripped: "s3:*\n" or " * " is as broad as "s3:*" (where
# AWS accepts it at all), so it fails too.
_SERVICE_WILDCARD = re.compile(r"^(\*|[a-z0-9-]+:\*|\*:\*)\Z", re.IGNORECASE)
POLICY_RESOURCES = ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"]


def _statement_too_broad(statement: Statement) -> bool | None:
    """True if the statement allows a wildcard on every resource, None if that cannot be told."""
    if statement.principals is not None:
        return False
    if is_unresolved(statement.effect):
        return None
    if statement.effect.lower() != "allow":
        return False
    every_resource = True if statement.not_resources else tri_any(statement.resources, lambda r: r == "*")
    broad_action = (
        True
        if statement.not_actions
        else tri_any(statement.actions, lambda a: bool(_SERVICE_WILDCARD.match(str(a).strip())))
    )
    if every_resource is False or broad_action is False:
        return False
    return True if every_resource and broad_action else None


def verdict(documents: list[Document]) -> CheckResult:
    """FAILED if a statement is too broad, UNKNOWN if one or a document part cannot be told, else PASSED."""
    unknown = False
    for document in documents:
        unknown = unknown or not document.complete
        for statement in document.statements:
            too_broad = _statement_too_broad(statement)
            if too_broad:
                return CheckResult.FAILED
            unknown = unknown or too_broad is None
    return CheckResult.UNKNOWN if unknown else CheckResult.PASSED


class IamPolicyWildcard(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_006", NAME, [CheckCategories.IAM], [*POLICY_RESOURCES, "aws_iam_role"], __file__
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        if self.entity_type == "aws_iam_role":
            self.evaluated_keys = ["inline_policy/[0]/policy"]
            inline = [attr(block, "policy") for block in blocks(conf, "inline_policy")]
            return verdict([policy_document(self.graph, conf, policy, "inline_policy") for policy in inline])
        self.evaluated_keys = ["policy"]
        return verdict([attached_document(self.graph, conf)])


class IamPolicyDocumentWildcard(DataCheck):
    def __init__(self) -> None:
        super().__init__("CKV_LP_006", NAME, [CheckCategories.IAM], ["aws_iam_policy_document"], __file__)

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        return verdict([data_document(conf)])


check = IamPolicyWildcard()
data_check = IamPolicyDocumentWildcard()
