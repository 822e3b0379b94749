# The alarms SageMaker watches while it rolls an update out (deployment_config.auto_rollback_configuration):
# any of them in ALARM during a baking period rolls the whole update back to the old fleet.
# https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html
# Their kinds, metrics, statistics and names come from definition.json, which launchpad's deploy engine reads too.

locals {
  alarms = local.definition.rollback_alarms

  # Metric-math ids are per variant position, in the order of var.variants (ids start with a lowercase letter).
  variant_ids = { for i, v in var.variants : v.name => i }

  alarm_period             = coalesce(var.rollback_alarms.period_seconds, local.alarms.period_seconds)
  alarm_evaluation_periods = coalesce(var.rollback_alarms.evaluation_periods, local.alarms.evaluation_periods)

  error_rate_alarms = {
    for kind, alarm in local.alarms.error_rates : kind => merge(alarm, {
      name      = replace(replace(local.names.rollback_alarm, "{endpoint}", var.name), "{kind}", kind)
      threshold = var.rollback_alarms[alarm.threshold]
    })
  }
  latency_alarms = {
    for kind, alarm in local.alarms.latency : kind => merge(alarm, {
      name      = replace(replace(local.names.rollback_alarm, "{endpoint}", var.name), "{kind}", kind)
      threshold = var.rollback_alarms[alarm.threshold]
    })
  }
  all_errors      = join(" + ", [for i, v in var.variants : "e${i}"])
  all_invocations = join(" + ", [for i, v in var.variants : "i${i}"])
}

# Error rates of the whole endpoint, old and new fleet alike, in percent: a bad new model shows up in them as
# soon as traffic reaches it. No traffic is not an error (notBreaching).
resource "aws_cloudwatch_metric_alarm" "rollback_error_rate" {
  for_each = local.error_rate_alarms

  alarm_name          = each.value.name
  alarm_description   = "${each.value.label} error rate of endpoint ${var.name} (all variants) above ${each.value.threshold}%: rolls an endpoint update back."
  comparison_operator = local.alarms.comparison_operator
  threshold           = each.value.threshold
  evaluation_periods  = local.alarm_evaluation_periods
  datapoints_to_alarm = local.alarm_evaluation_periods
  treat_missing_data  = local.alarms.treat_missing_data
  actions_enabled     = true
  alarm_actions       = var.rollback_alarms.alarm_actions
  ok_actions          = var.rollback_alarms.alarm_actions

  metric_query {
    id          = "rate"
    label       = "${each.value.label} error rate (%)"
    expression  = "IF((${local.all_invocations}) > 0, 100 * (${local.all_errors}) / (${local.all_invocations}), 0)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.variant_ids

    content {
      id = "e${metric_query.value}"

      metric {
        namespace   = local.alarms.namespace
        metric_name = each.value.metric
        stat        = each.value.statistic
        period      = local.alarm_period
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
        namespace   = local.alarms.namespace
        metric_name = local.alarms.invocations_metric
        stat        = each.value.statistic
        period      = local.alarm_period
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
# microseconds (threshold_scale).
resource "aws_cloudwatch_metric_alarm" "rollback_latency" {
  for_each = local.latency_alarms

  alarm_name          = each.value.name
  alarm_description   = "${each.value.statistic} ${each.value.metric} of endpoint ${var.name}, configuration ${aws_sagemaker_endpoint_configuration.this.name}, above ${each.value.threshold} ms: rolls an endpoint update back."
  comparison_operator = local.alarms.comparison_operator
  threshold           = each.value.threshold * each.value.threshold_scale
  evaluation_periods  = local.alarm_evaluation_periods
  datapoints_to_alarm = local.alarm_evaluation_periods
  treat_missing_data  = local.alarms.treat_missing_data
  actions_enabled     = true
  alarm_actions       = var.rollback_alarms.alarm_actions
  ok_actions          = var.rollback_alarms.alarm_actions

  metric_query {
    id          = "worst"
    label       = "${each.value.statistic} ${each.value.metric}, worst variant (microseconds)"
    expression  = length(local.variant_ids) == 1 ? "l0" : "MAX([${join(", ", [for i, v in var.variants : "l${i}"])}])"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.variant_ids

    content {
      id = "l${metric_query.value}"

      metric {
        namespace   = local.alarms.namespace
        metric_name = each.value.metric
        stat        = each.value.statistic
        period      = local.alarm_period
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

# Addresses before the alarms were read from definition.json.
moved {
  from = aws_cloudwatch_metric_alarm.rollback_error_rate["5xx"]
  to   = aws_cloudwatch_metric_alarm.rollback_error_rate["5xx-rate"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rollback_error_rate["4xx"]
  to   = aws_cloudwatch_metric_alarm.rollback_error_rate["4xx-rate"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rollback_latency
  to   = aws_cloudwatch_metric_alarm.rollback_latency["p99-model-latency"]
}
