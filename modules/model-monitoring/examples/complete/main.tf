provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example. phi:
  # the endpoint's capture and feedback hold health data, so every key must be customer-managed (CKV_LP_010).
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "phi"
    }
  }
}

# What terraform/platform provides in a real environment: the data keys, the monitoring topic, the private
# subnets and a security group, the buckets and the project's pipeline. Here the keys are made with
# modules/kms and the rest is named by variables.
module "data_key" {
  source = "../../../kms"

  name                    = "${var.name}-monitoring-data"
  description             = "Encrypts ${var.name}'s capture, baseline, results and feedback objects and the job's volumes."
  service_principals      = ["s3.amazonaws.com", "sagemaker.amazonaws.com"]
  deletion_window_in_days = 7

  tags = var.tags
}

module "logs_key" {
  source = "../../../kms"

  name                    = "${var.name}-monitoring-logs"
  description             = "Encrypts ${var.name}'s retrain function log group, environment and dead-letter queue."
  service_principals      = ["logs.${var.region}.amazonaws.com"]
  deletion_window_in_days = 7

  tags = var.tags
}

module "monitoring" {
  source = "../../"

  name          = var.name
  endpoint_name = "${var.name}-production"
  variants      = ["primary", "challenger"]

  s3 = {
    code     = "s3://${var.bucket_prefix}-model-artifacts/${var.name}/monitor/code/"
    baseline = "s3://${var.bucket_prefix}-model-artifacts/${var.name}/"
    capture  = "s3://${var.bucket_prefix}-data-capture/${var.name}-production/"
    results  = "s3://${var.bucket_prefix}-data-capture/${var.name}/monitor/results/"
  }
  kms = {
    data     = [module.data_key.key_arn]
    results  = module.data_key.key_arn
    volume   = module.data_key.key_arn
    logs     = module.logs_key.key_arn
    feedback = module.data_key.key_arn
  }
  network = {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  schedule_expression = "rate(1 hour)"
  window_minutes      = 60
  instance            = { type = "ml.m5.large", count = 1, volume_size_gb = 30, max_runtime_seconds = 1800 }

  sns_topic_arn        = var.sns_topic_arn
  alarm_period_seconds = 3600
  drift                = { drifted_features = 1, heartbeat_metric = "records_read", missed_runs = 2 }
  quality_alarms       = { auc = { comparison_operator = "LessThanThreshold", threshold = 0.75 } }
  bias_alarms          = { DPPL = { comparison_operator = "GreaterThanThreshold", threshold = 0.1 } }
  business_kpis        = { HelpfulRate = { minimum = 0.6 } }

  retrain = {
    pipeline_name   = "${var.name}-training"
    feedback_s3_uri = "s3://${var.bucket_prefix}-feedback/feedback/stage=prod/endpoint=${var.name}-production/"
    cooldown_hours  = 24
    min_new_labels  = 500
  }

  log_retention_in_days = 365
  tags                  = var.tags
}
