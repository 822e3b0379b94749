# A platform team's own root module, composed the way a team composes the launchpad modules rather than the
# way each module's example does: another region (us-east-2), modules used more than once (two KMS keys with
# the team's own alias scheme, three buckets, two SNS topics), its own names, and every ARN wired from an
# output to an input: no ARN is built by hand. See README.md.

provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole root module.
  default_tags {
    tags = {
      owner               = "risk-ml-team"
      cost-center         = "risk-analytics"
      data-classification = "phi"
    }
  }
}

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  # The team's naming scheme: <team-env>-<component>; buckets add the account (S3 names are global); keys are
  # aliased alias/<team-env>/<purpose>.
  endpoint_name = "${var.name}-scorer"
  bucket_prefix = "${var.name}-${local.account_id}"
  # The endpoint module names its rollback alarms <endpoint>-rollback-...: the team's monitoring topic, named
  # after the team rather than the endpoint, must accept them too.
  rollback_alarm_prefix = "${local.endpoint_name}-rollback-"

  tags = { team = "risk", component = "scorer" }
}

# -- two keys: one for data (buckets, images, endpoint volumes), one for logs and notifications -------------------
module "data_key" {
  source = "../../../kms"

  name        = "${var.name}/data"
  description = "${var.name}: model artifacts, captured requests, images and endpoint volumes"

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not keep keys pending deletion.
  deletion_window_in_days = 7
  tags                    = local.tags
}

module "logs_key" {
  source = "../../../kms"

  name               = "${var.name}/logs"
  description        = "${var.name}: log groups and alarm notifications"
  service_principals = ["logs.${var.region}.amazonaws.com", "cloudwatch.amazonaws.com"]

  deletion_window_in_days = 7
  tags                    = local.tags
}

# -- three buckets from one module: access logs, model artifacts, captured requests -------------------------------
module "access_logs" {
  source = "../../../s3-bucket"

  bucket               = "${local.bucket_prefix}-access-logs"
  is_access_log_target = true
  force_destroy        = true # EXAMPLE ONLY
  tags                 = local.tags
}

module "models" {
  source = "../../../s3-bucket"

  bucket            = "${local.bucket_prefix}-models"
  kms_key_arn       = module.data_key.key_arn
  access_log_bucket = module.access_logs.bucket_id
  force_destroy     = true # EXAMPLE ONLY
  tags              = local.tags
}

module "capture" {
  source = "../../../s3-bucket"

  bucket            = "${local.bucket_prefix}-capture"
  kms_key_arn       = module.data_key.key_arn
  access_log_bucket = module.access_logs.bucket_id
  force_destroy     = true # EXAMPLE ONLY
  tags              = local.tags
}

# -- network: private subnets in two zones of the team's region ---------------------------------------------------
module "network" {
  source = "../../../network"

  name                  = var.name
  cidr_block            = "10.64.0.0/16"
  availability_zones    = ["${var.region}a", "${var.region}b"]
  flow_logs_kms_key_arn = module.logs_key.key_arn
  tags                  = local.tags
}

resource "aws_security_group" "endpoint" {
  name        = "${local.endpoint_name}-endpoint"
  description = "${local.endpoint_name}: HTTPS to the VPC endpoints and S3 only"
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

# -- the serving image's repository -------------------------------------------------------------------------------
# The execution role pulls through its own policy (ecr_repository_arns below), so it is not named in the
# repository policy: naming it in both would be a dependency cycle.
module "images" {
  source = "../../../ecr-repository"

  name         = "${var.name}/scorer"
  kms_key_arn  = module.data_key.key_arn
  force_delete = true # EXAMPLE ONLY
  tags         = local.tags
}

# -- two topics: the monitoring module's (alarms) and the team's own (capacity alarms) ---------------------------
module "monitoring" {
  source = "../../../endpoint-monitoring"

  name          = "${var.name}-alerts" # the team's name for it, not the endpoint's
  endpoint_name = local.endpoint_name  # a plain string: the endpoint is created after this module
  kms_key_arn   = module.logs_key.key_arn
  variants      = [{ name = "primary", cpu_utilization_percent = 160 }] # ml.m5.large: 2 vCPUs

  # Without this, the topic would refuse the endpoint's rollback alarms: they are not named <name>-*.
  alarm_name_prefixes = [local.rollback_alarm_prefix]

  create_dashboard     = false
  enable_anomaly_alarm = false
  tags                 = local.tags
}

# The team's capacity topic takes exactly the alarm below, by its ARN output: the alarm needs the topic's ARN
# and the topic's policy the alarm's, which are different resources, so this is no cycle.
module "ops_topic" {
  source = "../../../sns-topic"

  name        = "${var.name}-capacity"
  kms_key_arn = module.logs_key.key_arn
  service_publishers = [{
    service     = "cloudwatch.amazonaws.com"
    source_arns = [aws_cloudwatch_metric_alarm.capacity.arn]
  }]
  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "capacity" {
  alarm_name          = "${var.name}-capacity-invocations-per-instance"
  alarm_description   = "InvocationsPerInstance (Sum per minute) of ${local.endpoint_name}/primary above 1000 in 3 of 5 minutes: time to raise max_capacity."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 1000
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  namespace           = "AWS/SageMaker"
  metric_name         = "InvocationsPerInstance"
  dimensions          = { EndpointName = local.endpoint_name, VariantName = "primary" }
  period              = 60
  statistic           = "Sum"
  actions_enabled     = true
  alarm_actions       = [module.ops_topic.arn]
  tags                = local.tags
}

# -- the execution role: every ARN it is scoped to comes from an output -------------------------------------------
module "execution_role" {
  source = "../../"

  name                    = "${local.endpoint_name}-execution"
  s3_read_bucket_arns     = [module.models.bucket_arn]
  s3_write_bucket_arns    = [module.capture.bucket_arn]
  kms_key_arns            = [module.data_key.key_arn]
  log_group_arns          = [module.monitoring.log_group_arn]
  ecr_repository_arns     = [module.images.repository_arn]
  vpc_subnet_arns         = module.network.private_subnet_arns
  vpc_security_group_arns = [aws_security_group.endpoint.arn]
  # By name: the endpoint module's rollback_alarm_arns output depends on this role (a cycle).
  rollback_alarm_names = ["${local.rollback_alarm_prefix}*"]
  tags                 = local.tags
}

# -- the endpoint -------------------------------------------------------------------------------------------------
resource "aws_s3_object" "model" {
  bucket                 = module.models.bucket_id
  key                    = "scorer/1.0.0/model.tar.gz"
  content_base64         = "H4sIAAAAAAACA+3BAQ0AAADCoPdPbQ43oAAAAAAAAAAAAIA3A5reHScAKAAA" # an empty archive
  content_type           = "application/gzip"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.data_key.key_arn
  tags                   = local.tags
}

module "endpoint" {
  source = "../../../sagemaker-endpoint"

  name               = local.endpoint_name
  execution_role_arn = module.execution_role.role_arn
  kms_key_arn        = module.data_key.key_arn

  variants = [{
    name                   = "primary"
    model                  = { image = var.image, model_data_url = "s3://${module.models.bucket_id}/${aws_s3_object.model.key}" }
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }]

  vpc_config = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [aws_security_group.endpoint.id]
  }

  data_capture    = { destination_s3_uri = "s3://${module.capture.bucket_id}/scorer" }
  rollback_alarms = { alarm_actions = [module.monitoring.sns_topic_arn] }
  tags            = local.tags

  # After the monitoring module: SageMaker must find the encrypted log group already there.
  depends_on = [module.monitoring]
}
