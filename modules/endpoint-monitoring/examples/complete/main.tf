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

# The key for the endpoint log group (CloudWatch Logs of this region) and the alarm topic (CloudWatch encrypts
# the notifications it publishes to the topic, so cloudwatch.amazonaws.com must be able to use the key).
module "kms" {
  source = "../../../kms"

  name        = "${var.name}-monitoring"
  description = "Encrypts the ${var.name} endpoint log group and alarm topic."
  service_principals = [
    "logs.${var.region}.amazonaws.com",
    "cloudwatch.amazonaws.com",
  ]

  deletion_window_in_days = 7

  tags = var.tags
}

# Monitoring of the endpoint named var.name. The endpoint itself is created AFTER this module (in a real stack:
# module "endpoint" { ... depends_on = [module.monitoring] }), so that SageMaker finds the encrypted log group
# with its retention instead of creating an unencrypted, never-expiring one.
module "monitoring" {
  source = "../../"

  name          = var.name
  endpoint_name = var.name
  kms_key_arn   = module.kms.key_arn

  variants = [
    {
      # ml.g5.xlarge: 4 vCPUs, 1 GPU. CPU utilisation is summed over vCPUs: 320 = 80% of 4 vCPUs.
      name                           = "gpu-primary"
      gpu                            = true
      cpu_utilization_percent        = 320
      gpu_utilization_percent        = 90
      gpu_memory_utilization_percent = 90
    },
    {
      # ml.m5.xlarge: 4 vCPUs.
      name                    = "cpu-shadow"
      cpu_utilization_percent = 320
    },
  ]

  thresholds = {
    error_5xx_rate_percent = 1
    error_4xx_rate_percent = 5
    model_latency_ms       = 500
    overhead_latency_ms    = 50
  }
  latency_percentile = "p99"

  period_seconds      = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3

  enable_anomaly_alarm = true
  anomaly_band_width   = 3

  topic_subscriptions = [
    { protocol = "email", endpoint = var.alarm_email },
  ]

  create_dashboard      = true
  create_log_group      = true
  log_retention_in_days = 365

  tags = var.tags
}
