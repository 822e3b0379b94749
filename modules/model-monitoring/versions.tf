terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_scheduler_schedule (5.3) and aws_lambda_function logging_config (5.26).
      version = ">= 5.26, < 6.0"
    }
  }
}
