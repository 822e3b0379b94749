"""CKV_LP_012: an S3 bucket's policy denies every request that does not use TLS.

Why: S3 answers plain HTTP too; without a Deny on ``aws:SecureTransport = false`` a misconfigured client (or
an SDK pointed at an ``http://`` endpoint) sends ePHI and credentials-signed requests in clear text. HIPAA
164.312(e)(1) and (e)(2)(ii) ask for transmission security; CIS AWS 2.1.1 asks for exactly this statement.

Passes when a bucket policy of the bucket (an ``aws_s3_bucket_policy`` whose ``bucket`` references it or
names it literally, or the bucket's legacy inline ``policy``) has a Deny statement for every principal
(``*``), on ``s3:*`` (or ``*``), with a ``Bool``/``BoolIfExists`` condition ``aws:SecureTransport = false``.
The policy may be JSON (``jsonencode``, heredoc) or a ``data "aws_iam_policy_document"``, including JSON
documents it pulls in with ``source_policy_documents`` when checkov rendered them; the statement's
resources are not checked (they are usually computed). Fails when no policy or no such statement is
found; UNKNOWN when the statement is not found but part of the policy could not be evaluated.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck
from _helpers.graph import attached, has_graph
from _helpers.iam import Document, Statement, attached_document
from checkov.common.models.enums import CheckCategories, CheckResult


def denies_insecure_transport(statement: Statement) -> bool:
    """Whether the statement denies every principal every S3 action when the request is not over TLS."""
    return (
        statement.effect.lower() == "deny"
        and "*" in (statement.principals or [])
        and any(action.lower() in ("*", "s3:*") for action in statement.actions)
        and any(
            test.lower() in ("bool", "boolifexists")
            and variable.lower() == "aws:securetransport"
            and "false" in [str(v).lower() for v in values]
            for test, variable, values in statement.conditions
        )
    )


class S3BucketTlsOnly(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_012",
            "Ensure an S3 bucket policy denies requests that do not use TLS (aws:SecureTransport = false)",
            [CheckCategories.ENCRYPTION],
            ["aws_s3_bucket"],
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        if not has_graph(self.graph):
            return CheckResult.UNKNOWN
        policies = [conf] if conf.get("policy") else []
        policies += attached(self.graph, conf, "aws_s3_bucket_policy")
        documents: list[Document] = [attached_document(self.graph, policy) for policy in policies]
        if any(denies_insecure_transport(s) for document in documents for s in document.statements):
            return CheckResult.PASSED
        return CheckResult.FAILED if all(d.complete for d in documents) else CheckResult.UNKNOWN


check = S3BucketTlsOnly()
