# The alarms SageMaker watches while it rolls an update out (deployment_config.auto_rollback_configuration):
# any of them in ALARM during a baking period rolls the whole update back to the old fleet.
# https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html

locals {
  # Metric-math ids are per variant position (ids must start with a lowercase letter).
  variant_ids = { for i, v in var.variants : v.name => i }

  error_rate_alarms = {
    "5xx" = { metric = "Invocation5XXErrors", threshold = var.rollback_alarms.error_5xx_rate_percent }
    "4xx" = { metric = "Invocation4XXErrors", threshold = var.rollback_alarms.error_4xx_rate_percent }
  }
  all_errors      = join(" + ", [for i in values(local.variant_ids) : "e${i}"])
  all_invocations = join(" + ", [for i in values(local.variant_ids) : "i${i}"])
}

# Error rates of the whole endpoint, old and new fleet alike, in percent: a bad new model shows up in them as
# soon as traffic reaches it. No traffic is not an error (notBreaching).
resource "aws_cloudwatch_metric_alarm" "rollback_error_rate" {
  for_each = local.error_rate_alarms

  alarm_name          = "${var.name}-rollback-${each.key}-rate"
  alarm_description   = "${upper(each.key)} error rate of endpoint ${var.name} (all variants) above ${each.value.threshold}%: rolls an endpoint update back."
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.rollback_alarms.evaluation_periods
  datapoints_to_alarm = var.rollback_alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = var.rollback_alarms.alarm_actions
  ok_actions          = var.rollback_alarms.alarm_actions

  metric_query {
    id          = "rate"
    label       = "${upper(each.key)} error rate (%)"
    expression  = "IF((${local.all_invocations}) > 0, 100 * (${local.all_errors}) / (${local.all_invocations}), 0)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.variant_ids

    content {
      id = "e${metric_query.value}"

      metric {
        namespace   = "AWS/SageMaker"
        metric_name = each.value.metric
        stat        = "Sum"
        period      = var.rollback_alarms.period_seconds
        dimensions = {
          EndpointName = var.name
          VariantName  = metric_query.key
        }
      }
    }
  }

  dynamic "metric_query" {
    for_each = local.variant_ids

    content {
      id = "i${metric_query.value}"

      metric {
        namespace   = "AWS/SageMaker"
        metric_name = "Invocations"
        stat        = "Sum"
        period      = var.rollback_alarms.period_seconds
        dimensions = {
          EndpointName = var.name
          VariantName  = metric_query.key
        }
      }
    }
  }

  tags = var.tags
}

# p99 ModelLatency of the NEW endpoint configuration only (the EndpointConfigName dimension), worst variant:
# the old fleet's latency says nothing about the update. Thresholds are in milliseconds, the metric in
# microseconds.
resource "aws_cloudwatch_metric_alarm" "rollback_latency" {
  alarm_name          = "${var.name}-rollback-p99-model-latency"
  alarm_description   = "p99 ModelLatency of endpoint ${var.name}, configuration ${aws_sagemaker_endpoint_configuration.this.name}, above ${var.rollback_alarms.model_latency_p99_ms} ms: rolls an endpoint update back."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.rollback_alarms.model_latency_p99_ms * 1000
  evaluation_periods  = var.rollback_alarms.evaluation_periods
  datapoints_to_alarm = var.rollback_alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = var.rollback_alarms.alarm_actions
  ok_actions          = var.rollback_alarms.alarm_actions

  metric_query {
    id          = "worst"
    label       = "p99 ModelLatency, worst variant (microseconds)"
    expression  = length(local.variant_ids) == 1 ? "l0" : "MAX([${join(", ", [for i in values(local.variant_ids) : "l${i}"])}])"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.variant_ids

    content {
      id = "l${metric_query.value}"

      metric {
        namespace   = "AWS/SageMaker"
        metric_name = "ModelLatency"
        stat        = "p99"
        period      = var.rollback_alarms.period_seconds
        dimensions = {
          EndpointName       = var.name
          VariantName        = metric_query.key
          EndpointConfigName = aws_sagemaker_endpoint_configuration.this.name
        }
      }
    }
  }

  tags = var.tags
}
