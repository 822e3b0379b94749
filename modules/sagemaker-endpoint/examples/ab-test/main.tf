# An A/B test in a staging account: the champion model takes 90% of the traffic, the challenger (on a GPU instance
# type) 10%, by integer relative weights; a fifth of the requests are captured to compare them. Updates move in
# linear steps of one instance. The fleet shrinks outside working hours.
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
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  log_bucket  = "${var.name}-${local.account_id}-access-logs"
  data_bucket = "${var.name}-${local.account_id}-data"
  placeholder_models = merge(
    var.model_data_url == null ? { champion = "models/champion/model.tar.gz" } : {},
    var.challenger_model_data_url == null ? { challenger = "models/challenger/model.tar.gz" } : {},
  )
  empty_model_archive = "H4sIAAAAAAACA+3BAQ0AAADCoPdPbQ43oAAAAAAAAAAAAIA3A5reHScAKAAA"
  model_data_url      = coalesce(var.model_data_url, try("s3://${local.data_bucket}/${aws_s3_object.placeholder_model["champion"].key}", null))
  challenger_url      = coalesce(var.challenger_model_data_url, try("s3://${local.data_bucket}/${aws_s3_object.placeholder_model["challenger"].key}", null))
  image_account       = split(".", var.image)[0]
  image_repo          = split(":", split("/", var.image)[1])[0]
  rollback_alarms     = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${var.name}-rollback-*"

  tags = {
    Project = "launchpad"
    Example = "sagemaker-endpoint-ab-test"
  }
}

# One key for the endpoint's volumes, captured data, the data bucket, its log group and alarm topic.
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

# Alarms, dashboard and the encrypted log group SageMaker writes the container logs to. Created before the
# endpoint (depends_on below), so SageMaker finds the group instead of creating an unencrypted one.
module "monitoring" {
  source = "../../../endpoint-monitoring"

  name          = var.name
  endpoint_name = var.name
  kms_key_arn   = module.key.key_arn

  # m5.xlarge and g5.xlarge: 4 vCPUs each (CPU utilisation is summed over them: 320 = 80% of each).
  variants = [
    { name = "champion", cpu_utilization_percent = 320 },
    { name = "challenger", gpu = true, cpu_utilization_percent = 320 },
  ]

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
  tags                 = local.tags
}

module "endpoint" {
  source = "../../"

  name               = var.name
  execution_role_arn = module.role.role_arn
  kms_key_arn        = module.key.key_arn

  variants = [
    {
      name                   = "champion"
      model                  = { image = var.image, model_data_url = local.model_data_url }
      instance_type          = "ml.m5.xlarge"
      initial_instance_count = 2
      weight                 = 9
    },
    {
      # ml.g5 instances carry local NVMe storage, which AWS encrypts in hardware: the module leaves the volume
      # key out of the configuration by itself (AWS rejects one for such instance types).
      name                   = "challenger"
      model                  = { image = var.image, model_data_url = local.challenger_url, environment = { MODEL_ROLE = "challenger" } }
      instance_type          = "ml.g5.xlarge"
      initial_instance_count = 2
      weight                 = 1
    },
  ]

  data_capture = {
    destination_s3_uri  = "s3://${module.data_bucket.bucket_id}/data-capture"
    sampling_percentage = 20
  }

  deployment = {
    strategy                             = "LINEAR"
    linear_step_size                     = { type = "INSTANCE_COUNT", value = 1 }
    wait_interval_in_seconds             = 300
    termination_wait_in_seconds          = 300
    maximum_execution_timeout_in_seconds = 3600
  }

  autoscaling = {
    min_capacity                    = 2
    max_capacity                    = 4
    target_invocations_per_instance = 200
    off_hours = {
      scale_down_cron = "cron(0 19 ? * MON-FRI *)"
      scale_up_cron   = "cron(0 7 ? * MON-FRI *)"
      timezone        = "Europe/Dublin"
      min_capacity    = 2
      max_capacity    = 2
    }
  }

  # The rollback alarms notify the on-call topic too.
  rollback_alarms = { alarm_actions = [module.monitoring.sns_topic_arn] }

  tags = local.tags

  depends_on = [module.monitoring]
}
