terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # platform_identifier of aws_sagemaker_notebook_instance (4.x); validated against 5.100.
      version = ">= 5.26, < 6.0"
    }
  }
}
