# A production real-time endpoint: two instances in private subnets with no network access from the container,
# every request and response captured (KMS) for drift detection, guarded updates that shift one instance's worth
# of traffic first (canary) and roll back on any rollback alarm, and autoscaling on invocations and CPU.
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
    Example = "sagemaker-endpoint-realtime-canary"
  }
}

# One key for the endpoint's volumes, captured data, the data bucket, the flow logs, its log group and alarm topic.
module "key" {
  source = "../../../kms"

  name        = var.name
  description = "${var.name}: SageMaker endpoint data and logs"
  # CloudWatch Logs encrypts the endpoint and flow-log groups; CloudWatch publishes alarms to the encrypted topic.
  service_principals = ["logs.${var.region}.amazonaws.com", "cloudwatch.amazonaws.com"]

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not leave a key pending deletion
  # for a month. The module default is 30 days.
  deletion_window_in_days = 7

  tags = local.tags
}

module "network" {
  source = "../../../network"

  name                  = var.name
  availability_zones    = ["${var.region}a", "${var.region}b"]
  flow_logs_kms_key_arn = module.key.key_arn
  tags                  = local.tags
}

# The model containers' security group: HTTPS to the VPC's interface endpoints and, through the S3 gateway
# endpoint, to S3 (model artifacts, image layers), and nothing else.
resource "aws_security_group" "endpoint" {
  #checkov:skip=CKV2_AWS_5:Attached to the SageMaker model's network interfaces through module.endpoint (vpc_config), which checkov cannot follow.
  name        = "${var.name}-endpoint"
  description = "SageMaker endpoint ${var.name}: HTTPS to the VPC endpoints and S3 only"
  vpc_id      = module.network.vpc_id
  tags        = local.tags

  egress {
    description = "HTTPS to the interface endpoints of the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [module.network.vpc_cidr_block]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [module.network.s3_prefix_list_id]
  }
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

  # ml.m5.xlarge: 4 vCPUs; CPU utilisation is summed over them (320 = 80% of each).
  variants = [{ name = "primary", cpu_utilization_percent = 320 }]

  tags = local.tags
}

module "role" {
  source = "../../../iam"

  name                    = "${var.name}-sagemaker"
  s3_read_bucket_arns     = [module.data_bucket.bucket_arn]
  s3_write_bucket_arns    = [module.data_bucket.bucket_arn]
  kms_key_arns            = [module.key.key_arn]
  ecr_repository_arns     = ["arn:${local.partition}:ecr:${var.region}:${local.image_account}:repository/${local.image_repo}"]
  rollback_alarm_arns     = [local.rollback_alarms]
  log_group_arns          = [module.monitoring.log_group_arn]
  vpc_subnet_arns         = [for id in module.network.private_subnet_ids : "arn:${local.partition}:ec2:${var.region}:${local.account_id}:subnet/${id}"]
  vpc_security_group_arns = [aws_security_group.endpoint.arn]
  tags                    = local.tags
}

module "endpoint" {
  source = "../../"

  name               = var.name
  execution_role_arn = module.role.role_arn
  kms_key_arn        = module.key.key_arn

  variants = [{
    name                   = "primary"
    model                  = { image = var.image, model_data_url = local.model_data_url }
    instance_type          = "ml.m5.xlarge"
    initial_instance_count = 2
  }]

  vpc_config = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [aws_security_group.endpoint.id]
  }

  data_capture = {
    destination_s3_uri = "s3://${module.data_bucket.bucket_id}/data-capture"
  }

  # One instance takes the new model first (half of a two-instance fleet); 5 minutes of baking, then all
  # traffic; the old fleet is kept 10 more minutes in case an alarm fires late.
  deployment = {
    strategy                             = "CANARY"
    canary_size                          = { type = "INSTANCE_COUNT", value = 1 }
    wait_interval_in_seconds             = 300
    termination_wait_in_seconds          = 600
    maximum_execution_timeout_in_seconds = 3600
  }

  # The rollback alarms notify the on-call topic too.
  rollback_alarms = { alarm_actions = [module.monitoring.sns_topic_arn] }

  autoscaling = {
    min_capacity                    = 2
    max_capacity                    = 6
    target_invocations_per_instance = 300
    utilization                     = { metric = "CPUUtilization", target_percent = 70 }
  }

  tags = local.tags

  depends_on = [module.monitoring]
}
