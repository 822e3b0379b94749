terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_api_gateway_account reset_on_delete (5.76), aws_lambda_function logging_config (5.26).
      version = ">= 5.76, < 6.0"
    }
  }
}
