data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  account_root_arn = "arn:${local.partition}:iam::${local.account_id}:root"

  administrator_arns = distinct(var.administrator_arns)
  user_arns          = distinct(var.user_arns)

  # Every principal named in the policy must belong to this account: the key policy is scoped to it.
  foreign_principal_arns = [
    for arn in concat(local.administrator_arns, local.user_arns) : arn
    if split(":", arn)[4] != local.account_id
  ]

  # CloudWatch Logs (logs.amazonaws.com or logs.<region>.amazonaws.com) is bound to this account through the
  # encryption context it sends (the log group ARN); every other service through aws:SourceAccount.
  # delivery.logs.amazonaws.com is a different principal and does not match.
  logs_principal_pattern = "^logs(\\.[a-z0-9-]+)?\\.amazonaws\\.com(\\.cn)?$"

  service_principals = {
    for svc in distinct(var.service_principals) :
    "AllowService${join("", [for word in split(" ", trimspace(replace(trimsuffix(svc, ".amazonaws.com"), "/[^A-Za-z0-9]+/", " "))) : title(word)])}" => {
      principal = svc
      is_logs   = can(regex(local.logs_principal_pattern, svc))
      # A region-qualified logs principal names the region whose log groups may use the key.
      logs_region = try(regex("^logs\\.([a-z0-9-]+)\\.amazonaws\\.com", svc)[0], local.region)
    }
  }

  logs_service_principals  = { for sid, svc in local.service_principals : sid => svc if svc.is_logs }
  other_service_principals = { for sid, svc in local.service_principals : sid => svc if !svc.is_logs }

  # Key management without any cryptographic operation and without kms:CreateGrant (a grant would let an
  # administrator hand themselves kms:Decrypt).
  administrator_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
  ]

  crypto_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]

  grant_actions = [
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:RevokeGrant",
  ]

  description = coalesce(var.description, "Customer managed key ${var.name}")
  tags        = merge({ Name = var.name }, var.tags)
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; administration is limited to administrator_arns, and the account root statement is the standard statement that delegates to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; write actions are granted to named principals of this account and to services conditioned on this account.
  #checkov:skip=CKV_AWS_356:In a key policy, Resource "*" can only mean the key the policy is attached to.
  policy_id = "${var.name}-key-policy"

  # The standard statement that lets IAM policies of this account grant access to the key, and keeps the key
  # manageable if every named administrator is deleted. The principal is the account, never "*".
  statement {
    sid       = "EnableIAMPolicies"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }
  }

  dynamic "statement" {
    for_each = length(local.administrator_arns) > 0 ? [1] : []

    content {
      sid       = "AllowKeyAdministration"
      effect    = "Allow"
      actions   = local.administrator_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.administrator_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.user_arns) > 0 ? [1] : []

    content {
      sid       = "AllowKeyUse"
      effect    = "Allow"
      actions   = local.crypto_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.user_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.user_arns) > 0 && var.enable_user_grants_for_aws_resources ? [1] : []

    content {
      sid       = "AllowGrantsForAWSResources"
      effect    = "Allow"
      actions   = local.grant_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = local.user_arns
      }

      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.other_service_principals

    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = local.crypto_actions
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = [statement.value.principal]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = local.logs_service_principals

    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = local.crypto_actions
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = [statement.value.principal]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${local.partition}:logs:${statement.value.logs_region}:${local.account_id}:*"]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description              = local.description
  key_usage                = "ENCRYPT_DECRYPT"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  is_enabled               = true
  enable_key_rotation      = var.enable_key_rotation
  rotation_period_in_days  = var.enable_key_rotation ? var.rotation_period_in_days : null
  deletion_window_in_days  = var.deletion_window_in_days
  multi_region             = var.multi_region
  policy                   = data.aws_iam_policy_document.this.json

  # Never skip the KMS check that the caller keeps access to the key.
  bypass_policy_lockout_safety_check = false

  tags = local.tags

  lifecycle {
    precondition {
      condition     = length(local.foreign_principal_arns) == 0
      error_message = "administrator_arns and user_arns must belong to this account (${local.account_id}); these do not: ${join(", ", local.foreign_principal_arns)}."
    }
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
