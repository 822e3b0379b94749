# A serverless endpoint: no instances to size or scale, billed per request; one variant, no VPC, no network
# isolation and no data capture (SageMaker Serverless Inference supports none of the three, so each is turned off
# explicitly below; the module refuses the combination otherwise).
provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example. phi:
  # this example's endpoint handles health data, so every key must be customer-managed (CKV_LP_010).
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "phi"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # The execution role reads the model's bucket, when there is model data.
  model_bucket_arns = var.model_data_url == null ? [] : ["arn:${local.partition}:s3:::${split("/", trimprefix(var.model_data_url, "s3://"))[0]}"]
  image_account     = split(".", var.image)[0]
  image_repo        = split(":", split("/", var.image)[1])[0]
  rollback_alarms   = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${var.name}-rollback-*"

  tags = {
    Project = "launchpad"
    Example = "sagemaker-endpoint-serverless"
  }
}

module "key" {
  source = "../../../kms"

  name        = var.name
  description = "${var.name}: SageMaker endpoint data"
  # CloudWatch Logs encrypts the endpoint's log group; CloudWatch publishes alarms to the encrypted topic.
  service_principals = ["logs.${var.region}.amazonaws.com", "cloudwatch.amazonaws.com"]

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not leave a key pending deletion
  # for a month. The module default is 30 days.
  deletion_window_in_days = 7

  tags = local.tags
}

# Alarms, dashboard and the encrypted log group SageMaker writes the container logs to. Created before the
# endpoint (depends_on below), so SageMaker finds the group instead of creating an unencrypted one.
module "monitoring" {
  source = "../../../endpoint-monitoring"

  name          = var.name
  endpoint_name = var.name
  kms_key_arn   = module.key.key_arn

  variants = [{ name = "primary", serverless = true }]

  tags = local.tags
}

module "role" {
  source = "../../../iam"

  name                = "${var.name}-sagemaker"
  s3_read_bucket_arns = local.model_bucket_arns
  kms_key_arns        = [module.key.key_arn]
  ecr_repository_arns = ["arn:${local.partition}:ecr:${var.region}:${local.image_account}:repository/${local.image_repo}"]
  rollback_alarm_arns = [local.rollback_alarms]
  log_group_arns      = [module.monitoring.log_group_arn]
  enable_vpc_access   = false
  tags                = local.tags
}

module "endpoint" {
  source = "../../"

  name               = var.name
  execution_role_arn = module.role.role_arn
  kms_key_arn        = module.key.key_arn

  variants = [{
    name  = "primary"
    model = { image = var.image, model_data_url = var.model_data_url }
    serverless = {
      memory_size_in_mb       = 2048
      max_concurrency         = 10
      provisioned_concurrency = 1
    }
  }]

  # Serverless Inference supports neither; the module insists that both are turned off explicitly.
  enable_network_isolation = false
  data_capture             = { enabled = false }

  deployment = {
    strategy                 = "ALL_AT_ONCE"
    wait_interval_in_seconds = 600
  }

  # The rollback alarms notify the on-call topic too.
  rollback_alarms = { alarm_actions = [module.monitoring.sns_topic_arn] }

  tags = local.tags

  depends_on = [module.monitoring]
}
