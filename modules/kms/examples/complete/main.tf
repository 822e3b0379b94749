provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example.
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "internal"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# Roles that can be assumed by principals of this account only (the account root delegates to IAM policies).
data "aws_iam_policy_document" "assume_from_account" {
  statement {
    sid     = "AssumeFromThisAccount"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

# Administers the key (policy, rotation, deletion) but cannot encrypt or decrypt with it.
resource "aws_iam_role" "key_admin" {
  name                 = "${var.name}-key-admin"
  description          = "Administers the ${var.name} KMS key; no cryptographic use."
  assume_role_policy   = data.aws_iam_policy_document.assume_from_account.json
  max_session_duration = 3600
  tags                 = var.tags
}

# Uses the key: encrypts and decrypts data (for example objects of an SSE-KMS bucket).
resource "aws_iam_role" "key_user" {
  name                 = "${var.name}-key-user"
  description          = "Uses the ${var.name} KMS key to encrypt and decrypt data."
  assume_role_policy   = data.aws_iam_policy_document.assume_from_account.json
  max_session_duration = 3600
  tags                 = var.tags
}

# One key for CloudWatch Logs log groups of this region and for S3 data buckets.
module "kms" {
  source = "../../"

  name        = var.name
  description = "Encrypts the ${var.name} CloudWatch Logs log groups and S3 data buckets."

  administrator_arns = [aws_iam_role.key_admin.arn]
  user_arns          = [aws_iam_role.key_user.arn]
  service_principals = [
    "logs.${var.region}.amazonaws.com",
    "s3.amazonaws.com",
  ]

  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  tags = var.tags
}
