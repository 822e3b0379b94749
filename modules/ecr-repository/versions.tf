terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_ecr_repository (force_delete, encryption_configuration, image_scanning_configuration),
      # aws_ecr_repository_policy and aws_ecr_lifecycle_policy have every argument used here in every 5.x release.
      version = ">= 5.0, < 6.0"
    }
  }
}
