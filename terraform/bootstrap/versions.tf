terraform {
  # The backend this stack prepares locks with an S3 lockfile (use_lockfile), which Terraform 1.10 added.
  # The stack itself keeps local state (see README.md: it creates the bucket remote state would live in).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # rotation_period_in_days on aws_kms_key (modules/kms) arrived in provider 5.49.
      version = ">= 5.49, < 6.0"
    }
  }
}
