# The endpoint stack of {{ cookiecutter.__project }}, one stage at a time (envs/<stage>.tfvars), built from the platform's
# modules pinned to launchpad v{{ cookiecutter.launchpad_version }}.
#
# What it always creates: the endpoint's monitoring (alarms to the platform's monitoring topic, a dashboard,
# and in dev the encrypted log group the platform makes for staging and prod) and the security group of the
# model containers. The endpoint itself has one owner: `launchpad deploy` (deploy/config/<stage>.yaml, the
# pipeline's deploy steps) unless manage_endpoint = true, when this stack owns it instead{% if cookiecutter.inference_mode == 'async' %} (asynchronous
# endpoints: launchpad's stage config has no asynchronous settings yet){% endif %}. Never both.

provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009).
  default_tags {
    tags = {
      owner               = var.owner
      cost-center         = var.cost_center
      data-classification = var.data_classification
      project             = var.project
      stage               = var.stage
    }
  }
}

locals {
  # The platform's endpoint names: <project>-staging and <project>-production (its log groups and the
  # pipeline's deploy roles are scoped to them); dev is <project>-dev.
  endpoint_name = "${var.project}-${var.stage == "prod" ? "production" : var.stage}"
  serverless    = var.serverless != null
  guarded       = var.deployment_strategy != "ALL_AT_ONCE"
  step          = { type = "INSTANCE_COUNT", value = var.step_instances }
}

# The model containers' network: HTTPS to the VPC's interface endpoints and, through the platform's S3 gateway
# endpoint, to S3 (model artifacts, image layers), and nothing else. Serverless endpoints run outside the VPC.
data "aws_prefix_list" "s3" {
  name = "com.amazonaws.${var.region}.s3"
}

resource "aws_security_group" "endpoint" {
  #checkov:skip=CKV2_AWS_5:Attached to the SageMaker model's network interfaces by launchpad deploy or module.endpoint (vpc_config), which checkov cannot follow.
  count = local.serverless ? 0 : 1

  name        = "${local.endpoint_name}-endpoint"
  description = "SageMaker endpoint ${local.endpoint_name}: HTTPS to the VPC endpoints and S3 only"
  vpc_id      = var.vpc_id

  egress {
    description = "HTTPS to the interface endpoints of the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr_block]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [data.aws_prefix_list.s3.id]
  }
}

# Alarms, dashboard and (dev) the encrypted log group. Before the endpoint: SageMaker must find the log group
# with its key and retention rather than create an unencrypted, never-expiring one.
module "monitoring" {
  #checkov:skip=CKV_TF_1:Pinned to launchpad's release tag (ref=v<version>), the version its changelog and pyproject's launchpad== name; a bare commit hash would hide it.
  #checkov:skip=CKV_TF_2:The source is pinned to the release tag ref=v<version> (a local path only in the template's own tests, which rewrite it).
  source = "git::{{ cookiecutter.launchpad_git_url }}.git//modules/endpoint-monitoring?ref=v{{ cookiecutter.launchpad_version }}"

  name          = local.endpoint_name
  endpoint_name = local.endpoint_name
  kms_key_arn   = var.logs_kms_key_arn
  sns_topic_arn = var.monitoring_topic_arn

  variants = [{
    name                    = "primary"
    serverless              = local.serverless
    cpu_utilization_percent = local.serverless ? null : var.cpu_alarm_percent
  }]

  thresholds = {
    error_5xx_rate_percent = var.rollback_thresholds.error_5xx_rate_percent
    error_4xx_rate_percent = var.rollback_thresholds.error_4xx_rate_percent
    model_latency_ms       = var.rollback_thresholds.model_latency_p99_ms
  }

  create_log_group      = var.create_log_group
  log_retention_in_days = var.log_retention_in_days
}

module "endpoint" {
  #checkov:skip=CKV_TF_1:Pinned to launchpad's release tag (ref=v<version>), the version its changelog and pyproject's launchpad== name; a bare commit hash would hide it.
  #checkov:skip=CKV_TF_2:The source is pinned to the release tag ref=v<version> (a local path only in the template's own tests, which rewrite it).
  source = "git::{{ cookiecutter.launchpad_git_url }}.git//modules/sagemaker-endpoint?ref=v{{ cookiecutter.launchpad_version }}"
  count  = var.manage_endpoint ? 1 : 0

  name                = local.endpoint_name
  execution_role_arn  = var.execution_role_arn
  kms_key_arn         = var.model_kms_key_arn
  capture_kms_key_arn = var.capture_kms_key_arn

  variants = [{
    name                   = "primary"
    model                  = { image = var.image_uri, model_data_url = var.model_data_url }
    instance_type          = local.serverless ? null : var.instance_type
    initial_instance_count = local.serverless ? null : var.instance_count
    serverless             = var.serverless
  }]

  vpc_config = local.serverless ? null : {
    subnet_ids         = var.vpc_subnet_ids
    security_group_ids = [aws_security_group.endpoint[0].id]
  }
  # Serverless Inference supports neither network isolation nor data capture: off explicitly for it.
  enable_network_isolation = var.enable_network_isolation
  data_capture = local.serverless ? { enabled = false } : {
    destination_s3_uri  = var.data_capture_s3_uri
    sampling_percentage = var.data_capture_sampling_percentage
  }
{%- if cookiecutter.inference_mode == 'async' %}
  async_inference = local.async_inference
{%- endif %}

  deployment = {
    strategy                             = var.deployment_strategy
    canary_size                          = local.step
    linear_step_size                     = local.step
    rolling_batch_size                   = local.step
    wait_interval_in_seconds             = var.wait_interval_in_seconds
    termination_wait_in_seconds          = var.termination_wait_in_seconds
    maximum_execution_timeout_in_seconds = var.maximum_execution_timeout_in_seconds
  }

  rollback_alarms = merge(var.rollback_thresholds, { alarm_actions = [var.monitoring_topic_arn] })
  autoscaling     = var.autoscaling

  depends_on = [module.monitoring]
}
