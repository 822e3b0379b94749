terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_codepipeline pipeline_type, execution_mode, trigger and variable blocks (V2 pipelines) need 5.49.
      version = ">= 5.49, < 6.0"
    }
  }
}
