terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # rotation_period_in_days on aws_kms_key arrived in provider 5.49.
      version = ">= 5.49, < 6.0"
    }
  }
}
