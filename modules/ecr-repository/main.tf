data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  tags       = merge({ Name = var.name }, var.tags)

  pull_actions = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
  ]
  push_actions = concat(local.pull_actions, [
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
  ])

  pull_principal_arns = distinct(var.pull_principal_arns)
  push_principal_arns = distinct(var.push_principal_arns)

  # The account of each principal is the fifth field of its ARN (arn:<partition>:iam::<account>:role/<name>).
  foreign_principal_arns = [
    for a in concat(local.pull_principal_arns, local.push_principal_arns) : a if split(":", a)[4] != local.account_id
  ]

  # ECR lifecycle-policy grammar (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html):
  # untagged images expire after untagged_image_expiry_days; of the tagged ones (every tag matches "*"), the
  # keep_tagged_images most recently pushed are kept.
  lifecycle_policy = {
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images ${var.untagged_image_expiry_days} days after their push."
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_image_expiry_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last ${var.keep_tagged_images} tagged images."
        selection = {
          tagStatus      = "tagged"
          tagPatternList = ["*"]
          countType      = "imageCountMoreThan"
          countNumber    = var.keep_tagged_images
        }
        action = { type = "expire" }
      },
    ]
  }
}

resource "aws_ecr_repository" "this" {
  name = var.name

  # Releases are pinned by tag: a tag, once pushed, must never point at another image.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  image_scanning_configuration {
    scan_on_push = true
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = length(local.foreign_principal_arns) == 0
      error_message = "pull_principal_arns and push_principal_arns must be IAM roles of this account (${local.account_id}); these are not: ${join(", ", local.foreign_principal_arns)}. Another account's principals would be denied anyway by the repository policy."
    }
  }
}

# Principals of this account get the repository actions named for them; every principal of another account
# is denied everything. No statement allows "*", and a statement exists only for the principals given.
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(local.pull_principal_arns) > 0 ? [1] : []

    content {
      sid     = "AllowPull"
      effect  = "Allow"
      actions = local.pull_actions

      principals {
        type        = "AWS"
        identifiers = local.pull_principal_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.push_principal_arns) > 0 ? [1] : []

    content {
      sid     = "AllowPush"
      effect  = "Allow"
      actions = local.push_actions

      principals {
        type        = "AWS"
        identifiers = local.push_principal_arns
      }
    }
  }

  statement {
    sid     = "DenyOutsideAccount"
    effect  = "Deny"
    actions = ["ecr:*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_ecr_repository_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = data.aws_iam_policy_document.this.json
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = jsonencode(local.lifecycle_policy)
}
