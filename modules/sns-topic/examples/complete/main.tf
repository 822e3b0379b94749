provider "aws" {
  region = var.region
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
