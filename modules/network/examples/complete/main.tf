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

# Customer managed key for the flow-log group (rotation on). CloudWatch Logs of this region may use it, bound
# by the kms module to log groups of this account and region (kms:EncryptionContext:aws:logs:arn).
module "flow_logs_key" {
  source = "../../../kms"

  name               = "${var.name}-flow-logs"
  description        = "${var.name}: encryption of the VPC flow-log group"
  service_principals = ["logs.${var.region}.amazonaws.com"]

  tags = var.tags
}

# The network with its defaults: private subnets in two zones, no internet gateway, interface endpoints for
# SageMaker (api, runtime), STS, CloudWatch Logs and ECR (api, dkr), an S3 gateway endpoint, flow logs kept
# 365 days.
module "network" {
  source = "../../"

  name                  = var.name
  availability_zones    = ["${var.region}a", "${var.region}b"]
  flow_logs_kms_key_arn = module.flow_logs_key.key_arn

  tags = var.tags
}
