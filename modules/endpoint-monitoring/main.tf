data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_region" "current" {
  # Rules that relate several inputs (cross-variable validation needs Terraform 1.9; we support 1.5). The data
  # source is always read at plan, so these fail the plan before anything is created.
  lifecycle {
    precondition {
      condition     = var.datapoints_to_alarm <= var.evaluation_periods
      error_message = "datapoints_to_alarm (${var.datapoints_to_alarm}) must not exceed evaluation_periods (${var.evaluation_periods})."
    }

    precondition {
      condition     = var.sns_topic_arn == null || length(var.topic_subscriptions) == 0
      error_message = "topic_subscriptions are set with an existing sns_topic_arn: subscribe where that topic is managed (e.g. terraform/platform's monitoring_subscriptions); this module only subscribes to the topic it creates."
    }

    precondition {
      condition     = var.sns_topic_arn == null || length(var.alarm_name_prefixes) == 0
      error_message = "alarm_name_prefixes are set with an existing sns_topic_arn: this module changes no policy of a topic it does not create; let those alarms publish where that topic is managed."
    }

    precondition {
      condition     = var.period_seconds * var.evaluation_periods <= (var.period_seconds >= 3600 ? 604800 : 86400)
      error_message = "period_seconds x evaluation_periods (${var.period_seconds * var.evaluation_periods} s) must not exceed one day (86400 s), or seven days (604800 s) when period_seconds >= 3600 (the CloudWatch limit on an alarm's evaluation range)."
    }
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  tags = var.tags
  name = coalesce(var.name, var.endpoint_name)

  # CloudWatch may publish to the topic this module creates for its own alarms (<name>-*) and for the alarms
  # named by alarm_name_prefixes (the endpoint's rollback alarms, say), of this account and region only.
  topic_alarm_arns = [
    for prefix in distinct(concat(["${local.name}-"], var.alarm_name_prefixes)) :
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${prefix}*"
  ]

  create_topic = var.sns_topic_arn == null
  topic_arn    = local.create_topic ? module.topic[0].arn : var.sns_topic_arn

  variants          = { for v in var.variants : v.name => v }
  instance_variants = { for k, v in local.variants : k => v if !v.serverless }

  # "M out of N" wording reused by every alarm description.
  evaluation = "in ${var.datapoints_to_alarm} of the last ${var.evaluation_periods} periods of ${var.period_seconds} s"

  # -- error rates: 100 * errors / invocations (metric math) ------------------------------------------------
  error_kinds = {
    "5xx-error-rate" = { metric = "Invocation5XXErrors", threshold = var.thresholds.error_5xx_rate_percent, what = "5xx (model or container errors)" }
    "4xx-error-rate" = { metric = "Invocation4XXErrors", threshold = var.thresholds.error_4xx_rate_percent, what = "4xx (rejected requests)" }
  }

  # IF(...) guards the division: a period with no invocations is a 0% error rate, never a division by zero.
  error_rate_expression = "IF(FILL(invocations, 0) > 0, 100 * FILL(errors, 0) / FILL(invocations, 1), 0)"

  error_rate_alarms = merge([
    for variant in keys(local.variants) : {
      for kind, spec in local.error_kinds : "${variant}/${kind}" => merge(spec, { variant = variant, kind = kind })
    }
  ]...)

  # -- latency percentiles: thresholds in ms, metrics in microseconds --------------------------------------
  latency_kinds = {
    "model-latency"    = { metric = "ModelLatency", threshold_ms = var.thresholds.model_latency_ms, what = "time the model container takes to answer" }
    "overhead-latency" = { metric = "OverheadLatency", threshold_ms = var.thresholds.overhead_latency_ms, what = "time SageMaker adds on top of the model (including serverless cold starts)" }
  }

  latency_alarms = merge([
    for variant in keys(local.variants) : {
      for kind, spec in local.latency_kinds : "${variant}/${kind}" => merge(spec, { variant = variant, kind = kind })
    }
  ]...)

  # -- instance utilisation (namespace /aws/sagemaker/Endpoints), instance variants only -------------------
  utilization_kinds = {
    "cpu-utilization"        = { metric = "CPUUtilization", gpu_only = false, summed = "vCPUs", default = var.thresholds.cpu_utilization_percent, override = "cpu_utilization_percent" }
    "memory-utilization"     = { metric = "MemoryUtilization", gpu_only = false, summed = null, default = var.thresholds.memory_utilization_percent, override = null }
    "disk-utilization"       = { metric = "DiskUtilization", gpu_only = false, summed = null, default = var.thresholds.disk_utilization_percent, override = null }
    "gpu-utilization"        = { metric = "GPUUtilization", gpu_only = true, summed = "GPUs", default = var.thresholds.gpu_utilization_percent, override = "gpu_utilization_percent" }
    "gpu-memory-utilization" = { metric = "GPUMemoryUtilization", gpu_only = true, summed = "GPUs", default = var.thresholds.gpu_memory_utilization_percent, override = "gpu_memory_utilization_percent" }
  }

  utilization_alarms = merge([
    for variant, v in local.instance_variants : {
      for kind, spec in local.utilization_kinds : "${variant}/${kind}" => {
        variant   = variant
        kind      = kind
        metric    = spec.metric
        summed    = spec.summed
        threshold = coalesce(spec.override == null ? null : lookup(v, spec.override, null), spec.default)
      } if v.gpu || !spec.gpu_only
    }
  ]...)

  # -- invocations anomaly band ----------------------------------------------------------------------------
  anomaly_alarms = var.enable_anomaly_alarm ? { for variant in keys(local.variants) : "${variant}/invocations-anomaly" => { variant = variant } } : {}

  dimensions = { for variant in keys(local.variants) : variant => { EndpointName = var.endpoint_name, VariantName = variant } }

  # ARNs built from the names, known at plan (the dashboard's alarm widget lists them).
  planned_alarm_arns = [
    for k in sort(concat(keys(local.error_rate_alarms), keys(local.latency_alarms), keys(local.utilization_alarms), keys(local.anomaly_alarms))) :
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name}-${replace(k, "/", "-")}"
  ]

  alarm_names = merge(
    { for k, a in aws_cloudwatch_metric_alarm.error_rate : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.latency : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.utilization : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.invocations_anomaly : k => a.alarm_name },
  )

  alarm_arns = merge(
    { for k, a in aws_cloudwatch_metric_alarm.error_rate : k => a.arn },
    { for k, a in aws_cloudwatch_metric_alarm.latency : k => a.arn },
    { for k, a in aws_cloudwatch_metric_alarm.utilization : k => a.arn },
    { for k, a in aws_cloudwatch_metric_alarm.invocations_anomaly : k => a.arn },
  )
}

# ---------------------------------------------------------------------------------------------------------
# SNS topic for alarm and OK notifications, encrypted with the caller's key; CloudWatch may publish to it
# only for this module's alarms and those of alarm_name_prefixes, of this account and region
# ---------------------------------------------------------------------------------------------------------
module "topic" {
  source = "../sns-topic"
  count  = local.create_topic ? 1 : 0

  name         = "${local.name}-alarms"
  display_name = "${local.name} endpoint alarms"
  kms_key_arn  = var.kms_key_arn
  service_publishers = [{
    service     = "cloudwatch.amazonaws.com"
    source_arns = local.topic_alarm_arns
  }]
  subscriptions = var.topic_subscriptions
  tags          = local.tags
}

# ---------------------------------------------------------------------------------------------------------
# Alarms, per production variant
# ---------------------------------------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each = local.error_rate_alarms

  alarm_name          = "${local.name}-${each.value.variant}-${each.value.kind}"
  alarm_description   = "Share of InvokeEndpoint requests to SageMaker endpoint ${var.endpoint_name}, variant ${each.value.variant}, that returned HTTP ${each.value.what}: 100 * ${each.value.metric} / Invocations (Sum per period; 0 when there is no traffic) above ${each.value.threshold}% ${local.evaluation}."
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching" # no traffic, no errors

  actions_enabled = true
  alarm_actions   = [local.topic_arn]
  ok_actions      = [local.topic_arn]

  metric_query {
    id          = "invocations"
    return_data = false

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      dimensions  = local.dimensions[each.value.variant]
      period      = var.period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "errors"
    return_data = false

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = each.value.metric
      dimensions  = local.dimensions[each.value.variant]
      period      = var.period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "error_rate"
    expression  = local.error_rate_expression
    label       = "${each.value.metric} rate (%)"
    return_data = true
  }

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  for_each = local.latency_alarms

  alarm_name          = "${local.name}-${each.value.variant}-${each.value.kind}"
  alarm_description   = "${each.value.metric} ${var.latency_percentile} (${each.value.what}) of SageMaker endpoint ${var.endpoint_name}, variant ${each.value.variant}, above ${each.value.threshold_ms} ms ${local.evaluation}. SageMaker publishes ${each.value.metric} in microseconds: the threshold is ${each.value.threshold_ms * 1000} microseconds = ${each.value.threshold_ms} ms."
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold_ms * 1000
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching" # no traffic, no latency

  namespace          = "AWS/SageMaker"
  metric_name        = each.value.metric
  dimensions         = local.dimensions[each.value.variant]
  period             = var.period_seconds
  extended_statistic = var.latency_percentile

  actions_enabled = true
  alarm_actions   = [local.topic_arn]
  ok_actions      = [local.topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "utilization" {
  for_each = local.utilization_alarms

  alarm_name          = "${local.name}-${each.value.variant}-${each.value.kind}"
  alarm_description   = each.value.summed == null ? "${each.value.metric} (Average, 0-100% of the instance) of SageMaker endpoint ${var.endpoint_name}, variant ${each.value.variant}, above ${each.value.threshold}% ${local.evaluation}." : "${each.value.metric} (Average) of SageMaker endpoint ${var.endpoint_name}, variant ${each.value.variant}, above ${each.value.threshold}% ${local.evaluation}. The metric is summed over the ${each.value.summed} of an instance (0-100% x ${each.value.summed}), so the threshold depends on the instance type."
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  # Instances report every minute, traffic or not: silence means no instance reports, which must not look OK.
  treat_missing_data = "missing"

  namespace   = "/aws/sagemaker/Endpoints"
  metric_name = each.value.metric
  dimensions  = local.dimensions[each.value.variant]
  period      = var.period_seconds
  statistic   = "Average"

  actions_enabled = true
  alarm_actions   = [local.topic_arn]
  ok_actions      = [local.topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "invocations_anomaly" {
  for_each = local.anomaly_alarms

  alarm_name          = "${local.name}-${each.value.variant}-invocations-anomaly"
  alarm_description   = "Invocations (Sum per period, missing periods counted as 0) of SageMaker endpoint ${var.endpoint_name}, variant ${each.value.variant}, outside the anomaly-detection band of ${var.anomaly_band_width} standard deviations (too low or too high) ${local.evaluation}."
  comparison_operator = "LessThanLowerOrGreaterThanUpperThreshold"
  threshold_metric_id = "band"
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  # Gaps are filled with 0 below, so a drop to zero traffic is seen; with no data at all (a new or idle
  # endpoint) the alarm keeps its state instead of flapping.
  treat_missing_data = "ignore"

  actions_enabled = true
  alarm_actions   = [local.topic_arn]
  ok_actions      = [local.topic_arn]

  metric_query {
    id          = "invocations"
    return_data = false

    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      dimensions  = local.dimensions[each.value.variant]
      period      = var.period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "traffic"
    expression  = "FILL(invocations, 0)"
    label       = "Invocations"
    return_data = true
  }

  metric_query {
    id          = "band"
    expression  = "ANOMALY_DETECTION_BAND(traffic, ${var.anomaly_band_width})"
    label       = "Invocations (expected)"
    return_data = true
  }

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------------
# Log group SageMaker writes the endpoint's container logs to
# ---------------------------------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  count = var.create_log_group ? 1 : 0

  name              = "/aws/sagemaker/Endpoints/${var.endpoint_name}"
  kms_key_id        = var.kms_key_arn
  retention_in_days = var.log_retention_in_days

  tags = local.tags
}
