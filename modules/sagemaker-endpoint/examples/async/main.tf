# An asynchronous endpoint: requests are queued, results land in S3 (KMS) and SNS topics (KMS) announce success
# and failure; the fleet scales on the queue backlog per instance.
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
  account_id          = data.aws_caller_identity.current.account_id
  partition           = data.aws_partition.current.partition
  log_bucket          = "${var.name}-${local.account_id}-access-logs"
  data_bucket         = "${var.name}-${local.account_id}-data"
  placeholder_models  = var.model_data_url == null ? { primary = "models/model.tar.gz" } : {}
  empty_model_archive = "H4sIAAAAAAACA+3BAQ0AAADCoPdPbQ43oAAAAAAAAAAAAIA3A5reHScAKAAA"
  model_data_url      = coalesce(var.model_data_url, try("s3://${local.data_bucket}/${aws_s3_object.placeholder_model["primary"].key}", null))
  image_account       = split(".", var.image)[0]
  image_repo          = split(":", split("/", var.image)[1])[0]
  rollback_alarms     = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${var.name}-rollback-*"

  tags = {
    Project = "launchpad"
    Example = "sagemaker-endpoint-async"
  }
}

# One key for the endpoint's volumes, captured data, results, the data bucket, its log group and the topics.
module "key" {
  source = "../../../kms"

  name        = var.name
  description = "${var.name}: SageMaker endpoint data and logs"
  # CloudWatch Logs encrypts the endpoint's log group; CloudWatch publishes alarms to the encrypted topic.
  service_principals = ["logs.${var.region}.amazonaws.com", "cloudwatch.amazonaws.com"]

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not leave a key pending deletion
  # for a month. The module default is 30 days.
  deletion_window_in_days = 7

  tags = local.tags
}

module "log_bucket" {
  source = "../../../s3-bucket"

  bucket                        = local.log_bucket
  is_access_log_target          = true
  access_log_source_bucket_arns = ["arn:${local.partition}:s3:::${local.data_bucket}"]

  # EXAMPLE ONLY: lets `terraform destroy` remove the bucket with its objects. Keep the default (false) for
  # buckets holding real data.
  force_destroy = true
  tags          = local.tags
}

# Model artifacts under models/, captured requests and responses under data-capture/.
module "data_bucket" {
  source = "../../../s3-bucket"

  bucket            = local.data_bucket
  kms_key_arn       = module.key.key_arn
  access_log_bucket = module.log_bucket.bucket_id

  # EXAMPLE ONLY: see log_bucket.
  force_destroy = true
  tags          = local.tags
}

# EXAMPLE ONLY: a model_data_url left null serves a placeholder model.tar.gz (an empty archive, uploaded here) so
# the example applies on its own: SageMaker downloads it with the execution role, as it would a real model.
# Pass model_data_url for a model the image can serve.
resource "aws_s3_object" "placeholder_model" {
  for_each = local.placeholder_models

  bucket                 = module.data_bucket.bucket_id
  key                    = each.value
  content_base64         = local.empty_model_archive
  content_type           = "application/gzip"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.key.key_arn
  tags                   = local.tags
}

# Where SageMaker announces finished and failed requests (it publishes with the execution role).
resource "aws_sns_topic" "result" {
  for_each = toset(["success", "error"])

  name              = "${var.name}-${each.key}"
  kms_master_key_id = module.key.key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "notify" {
  statement {
    sid       = "PublishAsyncResults"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [for topic in aws_sns_topic.result : topic.arn]
  }
}

# Alarms, dashboard and the encrypted log group SageMaker writes the container logs to. Created before the
# endpoint (depends_on below), so SageMaker finds the group instead of creating an unencrypted one.
module "monitoring" {
  source = "../../../endpoint-monitoring"

  name          = var.name
  endpoint_name = var.name
  kms_key_arn   = module.key.key_arn

  # ml.m5.large: 2 vCPUs (CPU utilisation is summed over them: 160 = 80% of each).
  variants = [{ name = "primary", cpu_utilization_percent = 160 }]

  tags = local.tags
}

module "role" {
  source = "../../../iam"

  name                 = "${var.name}-sagemaker"
  s3_read_bucket_arns  = [module.data_bucket.bucket_arn]
  s3_write_bucket_arns = [module.data_bucket.bucket_arn]
  kms_key_arns         = [module.key.key_arn]
  ecr_repository_arns  = ["arn:${local.partition}:ecr:${var.region}:${local.image_account}:repository/${local.image_repo}"]
  rollback_alarm_arns  = [local.rollback_alarms]
  log_group_arns       = [module.monitoring.log_group_arn]
  enable_vpc_access    = false
  extra_policy_json    = data.aws_iam_policy_document.notify.json
  tags                 = local.tags
}

module "endpoint" {
  source = "../../"

  name               = var.name
  execution_role_arn = module.role.role_arn
  kms_key_arn        = module.key.key_arn

  variants = [{
    name                   = "primary"
    model                  = { image = var.image, model_data_url = local.model_data_url }
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }]

  async_inference = {
    output_s3_uri                           = "s3://${module.data_bucket.bucket_id}/async/output"
    failure_s3_uri                          = "s3://${module.data_bucket.bucket_id}/async/failures"
    success_topic_arn                       = aws_sns_topic.result["success"].arn
    error_topic_arn                         = aws_sns_topic.result["error"].arn
    include_inference_response_in           = ["SUCCESS_NOTIFICATION_TOPIC"]
    max_concurrent_invocations_per_instance = 4
  }

  data_capture = {
    destination_s3_uri = "s3://${module.data_bucket.bucket_id}/data-capture"
  }

  # A one-instance fleet: blue/green all at once (canary and linear steps need two instances or more).
  deployment = {
    strategy                 = "ALL_AT_ONCE"
    wait_interval_in_seconds = 600
  }

  # Scales on ApproximateBacklogSizePerInstance (queued requests per instance) for an async endpoint.
  autoscaling = {
    min_capacity                = 1
    max_capacity                = 4
    target_backlog_per_instance = 10
  }

  # The rollback alarms notify the on-call topic too.
  rollback_alarms = { alarm_actions = [module.monitoring.sns_topic_arn] }

  tags = local.tags

  depends_on = [module.monitoring]
}
