"""CKV_LP_010: a resource tagged ``data-classification = phi`` is encrypted with a customer-managed KMS key.

Why: HIPAA 164.312(a)(2)(iv) asks for ePHI encrypted at rest, and for ePHI that means a key we control: its
key policy says who may decrypt, CloudTrail logs every use, and disabling it cuts off access at once (crypto
shredding). An AWS-managed key (``alias/aws/<service>``) can be used by any principal of the account that the
service lets in, and its policy cannot be changed; no key at all leaves the service's own default.

Checked where the key sits on the tagged resource itself: log group ``kms_key_id``,
SNS and SQS ``kms_master_key_id``, DynamoDB ``server_side_encryption`` (enabled, with ``kms_key_arn``),
CodeBuild ``encryption_key``, CodePipeline ``artifact_store.encryption_key.id``, Secrets Manager, EBS,
Kinesis, EFS, RDS, ECR and SageMaker notebook keys, and SageMaker endpoint configuration ``kms_key_arn``
(unless its instance types have local NVMe storage, which SageMaker encrypts in hardware and for which it
rejects a key, or it is serverless-only). S3 buckets carry the key elsewhere: CKV_LP_013.

The tags are the provider's ``default_tags`` overlaid by the resource's (as in CKV_LP_009). Resources not
classified phi pass. When the classification is unknown, a customer-managed key passes and anything else is
UNKNOWN. A reference to an ``aws_kms_key`` or ``aws_kms_alias`` resource counts as customer-managed;
other expressions checkov could not evaluate give UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from _helpers.base import ResourceCheck, all_of
from _helpers.endpoints import needs_volume_key
from _helpers.kms import key_is_customer_managed
from _helpers.tags import phi_verdict
from _helpers.values import attr, blocks, known
from checkov.common.models.enums import CheckCategories, CheckResult

# Where each resource type holds its key: nested block names, then the attribute.
KEY_PATHS: dict[str, tuple[str, ...]] = {
    "aws_cloudwatch_log_group": ("kms_key_id",),
    "aws_sns_topic": ("kms_master_key_id",),
    "aws_sqs_queue": ("kms_master_key_id",),
    "aws_dynamodb_table": ("server_side_encryption", "kms_key_arn"),
    "aws_codebuild_project": ("encryption_key",),
    "aws_codepipeline": ("artifact_store", "encryption_key", "id"),
    "aws_secretsmanager_secret": ("kms_key_id",),
    "aws_ebs_volume": ("kms_key_id",),
    "aws_kinesis_stream": ("kms_key_id",),
    "aws_efs_file_system": ("kms_key_id",),
    "aws_db_instance": ("kms_key_id",),
    "aws_rds_cluster": ("kms_key_id",),
    "aws_ecr_repository": ("encryption_configuration", "kms_key"),
    "aws_sagemaker_notebook_instance": ("kms_key_id",),
    "aws_sagemaker_endpoint_configuration": ("kms_key_arn",),
}
# Settings that must be on for the key to be used at all.
SWITCHES: dict[str, tuple[str, ...]] = {"aws_dynamodb_table": ("server_side_encryption", "enabled")}


def values_at(conf: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    """The values of the attribute at ``path``, through every nested block; [None] if a block is missing."""
    if len(path) == 1:
        return [attr(conf, path[0])]
    found = blocks(conf, path[0])
    return [value for block in found for value in values_at(block, path[1:])] if found else [None]


def _switched_on(conf: dict[str, Any], resource_type: str) -> bool:
    path = SWITCHES.get(resource_type)
    if path is None:
        return True
    return all(str(known(value)).lower() == "true" for value in values_at(conf, path))


class PhiCustomerManagedKey(ResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_LP_010",
            "Ensure resources tagged data-classification = phi use a customer-managed KMS key",
            [CheckCategories.ENCRYPTION],
            KEY_PATHS,
            __file__,
        )

    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        path = KEY_PATHS[self.entity_type]
        self.evaluated_keys = ["/[0]/".join(path), "tags"]
        if self.entity_type == "aws_sagemaker_endpoint_configuration":
            self.evaluated_keys.append("production_variants")
        return phi_verdict(self.graph, conf, lambda: self._keyed(conf, path))

    def _keyed(self, conf: dict[str, Any], path: tuple[str, ...]) -> CheckResult:
        if self.entity_type == "aws_sagemaker_endpoint_configuration" and not needs_volume_key(conf):
            return CheckResult.PASSED
        return all_of(
            lambda: _switched_on(conf, self.entity_type),
            *(lambda v=value: key_is_customer_managed(v) for value in values_at(conf, path)),
        )


check = PhiCustomerManagedKey()
