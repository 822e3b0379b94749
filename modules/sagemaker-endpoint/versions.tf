terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Shadow variants, serverless provisioned concurrency, routing_config and the endpoint's rolling update
      # policy are all present from provider 5.12; nothing older is tested here.
      version = ">= 5.12, < 6.0"
    }
  }
}
