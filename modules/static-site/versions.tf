terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_kms_key_policy (5.6), aws_cloudfront_origin_access_control (4.48), response headers policy
      # remove_headers_config and server_timing_headers_config (4.24).
      version = ">= 5.6, < 6.0"
    }
  }
}
