provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example.
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "internal"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

module "kms" {
  source = "../../../kms"

  name                    = var.name
  description             = "${var.name}: SNS notifications"
  service_principals      = ["cloudwatch.amazonaws.com"]
  deletion_window_in_days = 7
  tags                    = var.tags
}

module "topic" {
  source = "../../"

  name         = var.name
  display_name = "launchpad notifications"
  kms_key_arn  = module.kms.key_arn
  service_publishers = [{
    service     = "cloudwatch.amazonaws.com"
    source_arns = ["arn:${data.aws_partition.current.partition}:cloudwatch:${var.region}:${data.aws_caller_identity.current.account_id}:alarm:${var.name}-*"]
  }]
  subscriptions = [{ protocol = "email", endpoint = "ml-oncall@example.com" }]
  tags          = var.tags
}
