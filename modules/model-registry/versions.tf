terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_sagemaker_model_package_group and aws_sagemaker_model_package_group_policy exist in every 5.x release.
      version = ">= 5.0, < 6.0"
    }
  }
}
