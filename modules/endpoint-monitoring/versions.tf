terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Every argument used here (metric_query alarms, threshold_metric_id, signature_version on SNS topics)
      # exists in every 5.x release.
      version = ">= 5.0, < 6.0"
    }
  }
}
