terraform {
  # use_lockfile (S3 native state locking) in envs/<stage>.backend.hcl needs 1.10.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.49, < 6.0"
    }
  }
}
