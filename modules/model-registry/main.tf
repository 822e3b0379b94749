data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  account_root_arn = "arn:${local.partition}:iam::${local.account_id}:root"

  # A bare account id is written as that account's root ARN, the form IAM stores, so the policy reads back
  # as written and the separation-of-duties check compares like with like.
  reader_arns    = distinct([for p in var.reader_principals : can(regex("^[0-9]{12}$", p)) ? "arn:${local.partition}:iam::${p}:root" : p])
  publisher_arns = distinct([for p in var.publisher_principals : can(regex("^[0-9]{12}$", p)) ? "arn:${local.partition}:iam::${p}:root" : p])
  approver_arns  = distinct([for p in var.approver_principals : can(regex("^[0-9]{12}$", p)) ? "arn:${local.partition}:iam::${p}:root" : p])

  # With no principal at all, the readers default to this account (whose IAM policies then decide).
  effective_reader_arns = (
    length(local.reader_arns) + length(local.publisher_arns) + length(local.approver_arns) == 0
    ? [local.account_root_arn]
    : local.reader_arns
  )

  # Separation of duties: no principal may both register and approve a version. An account root stands for
  # every role and user of its account, so it conflicts with any principal of the same account.
  duty_conflicts = distinct(flatten([
    for p in local.publisher_arns : [
      for a in local.approver_arns : "${p} (publisher) / ${a} (approver)"
      if p == a || ((endswith(p, ":root") || endswith(a, ":root")) && split(":", p)[4] == split(":", a)[4])
    ]
  ]))

  # Versioned model packages of the group: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>.
  model_package_arn_prefix = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package/${var.name}/"
  model_package_arns       = "${local.model_package_arn_prefix}*"

  read_actions = [
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
  ]

  description = coalesce(var.description, "Model registry of ${var.name}")
  tags        = merge({ Name = var.name }, var.tags)
}

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.name
  model_package_group_description = local.description
  tags                            = local.tags

  lifecycle {
    precondition {
      condition     = length(local.duty_conflicts) == 0
      error_message = "publisher_principals and approver_principals must not overlap (separation of duties: whoever registers a model version must not be able to approve it). An account id or account root ARN stands for every principal of that account, so it also conflicts with any principal of the same account on the other side. Conflicts: ${join("; ", local.duty_conflicts)}."
    }
  }
}

# Every statement names its principals; none has "*". Statements exist only for the principals given.
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(local.effective_reader_arns) > 0 ? [1] : []

    content {
      sid       = "ReadModelVersions"
      effect    = "Allow"
      actions   = local.read_actions
      resources = [aws_sagemaker_model_package_group.this.arn, local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.effective_reader_arns
      }
    }
  }

  # CreateModelPackage is authorised on the group and on the new version; the reads let a pipeline check the
  # group and find what it registered.
  dynamic "statement" {
    for_each = length(local.publisher_arns) > 0 ? [1] : []

    content {
      sid       = "PublishModelVersions"
      effect    = "Allow"
      actions   = concat(["sagemaker:CreateModelPackage"], local.read_actions)
      resources = [aws_sagemaker_model_package_group.this.arn, local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.publisher_arns
      }
    }
  }

  # Tags passed to CreateModelPackage need sagemaker:AddTags; sagemaker:TaggingAction limits it to tagging at
  # registration, so a publisher cannot re-tag an existing (approved) version.
  dynamic "statement" {
    for_each = length(local.publisher_arns) > 0 ? [1] : []

    content {
      sid       = "TagModelVersionsAtRegistration"
      effect    = "Allow"
      actions   = ["sagemaker:AddTags"]
      resources = [local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.publisher_arns
      }

      condition {
        test     = "StringEquals"
        variable = "sagemaker:TaggingAction"
        values   = ["CreateModelPackage"]
      }
    }
  }

  # The explicit denies hold even if a publisher's own IAM policies allow more (an explicit deny wins):
  # a publisher cannot register a version that is already Approved ...
  dynamic "statement" {
    for_each = length(local.publisher_arns) > 0 ? [1] : []

    content {
      sid       = "DenyPublishersRegisteringApproved"
      effect    = "Deny"
      actions   = ["sagemaker:CreateModelPackage"]
      resources = [aws_sagemaker_model_package_group.this.arn, local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.publisher_arns
      }

      condition {
        test     = "StringEquals"
        variable = "sagemaker:ModelApprovalStatus"
        values   = ["Approved"]
      }
    }
  }

  # ... and cannot change a version's approval status (or anything else about it) afterwards.
  dynamic "statement" {
    for_each = length(local.publisher_arns) > 0 ? [1] : []

    content {
      sid       = "DenyPublishersUpdatingVersions"
      effect    = "Deny"
      actions   = ["sagemaker:UpdateModelPackage"]
      resources = [local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.publisher_arns
      }
    }
  }

  # Approvers may only make updates that set the approval status to Approved or Rejected.
  dynamic "statement" {
    for_each = length(local.approver_arns) > 0 ? [1] : []

    content {
      sid       = "ApproveModelVersions"
      effect    = "Allow"
      actions   = ["sagemaker:UpdateModelPackage"]
      resources = [local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.approver_arns
      }

      condition {
        test     = "StringEquals"
        variable = "sagemaker:ModelApprovalStatus"
        values   = ["Approved", "Rejected"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.approver_arns) > 0 ? [1] : []

    content {
      sid       = "ReviewModelVersions"
      effect    = "Allow"
      actions   = local.read_actions
      resources = [aws_sagemaker_model_package_group.this.arn, local.model_package_arns]

      principals {
        type        = "AWS"
        identifiers = local.approver_arns
      }
    }
  }
}

resource "aws_sagemaker_model_package_group_policy" "this" {
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy          = data.aws_iam_policy_document.this.json
}
