terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_sagemaker_pipeline (4.30); validated against 5.100.
      version = ">= 5.26, < 6.0"
    }
  }
}
