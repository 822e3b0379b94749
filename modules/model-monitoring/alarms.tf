# Alarms on what the job publishes, all notifying sns_topic_arn (ALARM and OK). Every run is one datapoint
# per metric (alarm_period_seconds is the schedule's interval). Missing data: a run that found no labels
# publishes no quality metric, and no feedback is not bad feedback, so the drift, quality, bias and KPI alarms
# do not breach on silence; a job that stops running is caught by its own alarm, which does.

locals {
  job_dimensions = { Endpoint = var.endpoint_name, MonitoringSchedule = local.schedule_name }
  evaluation     = "in ${var.datapoints_to_alarm} of the last ${var.evaluation_periods} periods of ${var.alarm_period_seconds} s"

  metric_alarms = merge(
    { for metric, a in var.quality_alarms : "quality-${metric}" => merge(a, { metric = metric, namespace = local.namespaces.model, what = "model quality" }) },
    { for metric, a in var.bias_alarms : "bias-${metric}" => merge(a, { metric = metric, namespace = local.namespaces.bias, what = "bias" }) },
  )

  kpi_alarms = merge([
    for variant in var.variants : {
      for metric, kpi in var.business_kpis : "kpi-${variant}-${metric}" => { variant = variant, metric = metric, minimum = kpi.minimum }
    }
  ]...)

  comparison_words = {
    LessThanThreshold             = "below"
    LessThanOrEqualToThreshold    = "at or below"
    GreaterThanThreshold          = "above"
    GreaterThanOrEqualToThreshold = "at or above"
  }

  # The alarms that may start the pipeline again (the retrain rule's resources).
  retrain_alarm_names = concat(["${var.name}-drift"], [for k in sort(keys(local.kpi_alarms)) : "${var.name}-${k}"])
}

resource "aws_cloudwatch_metric_alarm" "drift" {
  alarm_name          = "${var.name}-drift"
  alarm_description   = "Data drift on endpoint ${var.endpoint_name}: the monitoring job found at least ${var.drift.drifted_features} drifted feature(s) (drifted_features, Maximum) ${local.evaluation}. drift.json under ${var.s3.results} names them. Starts the retrain trigger."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.drift.drifted_features
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching" # the job-not-reporting alarm watches silence

  namespace   = local.namespaces.data
  metric_name = "drifted_features"
  dimensions  = local.job_dimensions
  period      = var.alarm_period_seconds
  statistic   = "Maximum"

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "job_not_reporting" {
  alarm_name          = "${var.name}-job-not-reporting"
  alarm_description   = "The monitoring job of endpoint ${var.endpoint_name} published no ${var.drift.heartbeat_metric} for ${var.drift.missed_runs} period(s) of ${var.alarm_period_seconds} s: it did not run, failed, or cannot reach CloudWatch. Drift, quality and bias are not being checked. See schedule ${local.schedule_name} and /aws/sagemaker/ProcessingJobs ${local.job_prefix}-*."
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  evaluation_periods  = var.drift.missed_runs
  datapoints_to_alarm = var.drift.missed_runs
  treat_missing_data  = "breaching" # silence is the failure this alarm exists for

  namespace   = local.namespaces.data
  metric_name = var.drift.heartbeat_metric
  dimensions  = local.job_dimensions
  period      = var.alarm_period_seconds
  statistic   = "SampleCount"

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${title(each.value.what)} of endpoint ${var.endpoint_name}: ${each.value.metric} (${each.value.statistic}) ${local.comparison_words[each.value.comparison_operator]} ${each.value.threshold} ${local.evaluation}."
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching" # labels arrive late; the job-not-reporting alarm watches silence

  namespace   = each.value.namespace
  metric_name = each.value.metric
  dimensions  = local.job_dimensions
  period      = var.alarm_period_seconds
  statistic   = each.value.statistic

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "kpi" {
  for_each = local.kpi_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "Business KPI ${each.value.metric} of endpoint ${var.endpoint_name}, variant ${each.value.variant} (Average, ${local.namespaces.business}) below ${each.value.minimum} ${local.evaluation}. Starts the retrain trigger."
  comparison_operator = "LessThanThreshold"
  threshold           = each.value.minimum
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching" # no feedback is not bad feedback

  namespace   = local.namespaces.business
  metric_name = each.value.metric
  dimensions  = { EndpointName = var.endpoint_name, VariantName = each.value.variant }
  period      = var.alarm_period_seconds
  statistic   = "Average"

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------------
# Dashboard: alarm strip, drift and heartbeat, quality and bias, KPIs per variant
# ---------------------------------------------------------------------------------------------------------
locals {
  dashboard_name = "${var.name}-monitoring"
  planned_alarm_arns = sort(concat(
    ["${local.alarm_arn}:${var.name}-drift", "${local.alarm_arn}:${var.name}-job-not-reporting", "${local.alarm_arn}:${var.name}-retrain-failed"],
    [for k in keys(local.metric_alarms) : "${local.alarm_arn}:${var.name}-${k}"],
    [for k in keys(local.kpi_alarms) : "${local.alarm_arn}:${var.name}-${k}"],
  ))

  job_metric_widgets = [
    for i, w in [
      { title = "Drifted features (Maximum)", namespace = local.namespaces.data, metrics = ["drifted_features"], stat = "Maximum" },
      { title = "Job heartbeat: ${var.drift.heartbeat_metric} (Sum)", namespace = local.namespaces.data, metrics = [var.drift.heartbeat_metric], stat = "Sum" },
      { title = "Model quality", namespace = local.namespaces.model, metrics = sort(keys(var.quality_alarms)), stat = "Average" },
      { title = "Bias", namespace = local.namespaces.bias, metrics = sort(keys(var.bias_alarms)), stat = "Maximum" },
      ] : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = 6 + floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = var.alarm_period_seconds
        stat    = w.stat
        metrics = [for m in w.metrics : [w.namespace, m, "Endpoint", var.endpoint_name, "MonitoringSchedule", local.schedule_name, { label = m }]]
      }
    } if length(w.metrics) > 0
  ]

  kpi_widgets = [
    for i, metric in sort(keys(var.business_kpis)) : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = 18 + floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = "${metric} per variant (Average)"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = var.alarm_period_seconds
        stat    = "Average"
        metrics = [for v in var.variants : [local.namespaces.business, metric, "EndpointName", var.endpoint_name, "VariantName", v, { label = v }]]
        annotations = {
          horizontal = [{ label = "alarm below", value = var.business_kpis[metric].minimum }]
        }
      }
    }
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({
    start = "-P7D"
    widgets = concat(
      [{
        type   = "alarm"
        x      = 0
        y      = 0
        width  = 24
        height = 6
        properties = {
          title  = "Monitoring of ${var.endpoint_name}: alarms (notify ${var.sns_topic_arn})"
          alarms = local.planned_alarm_arns
          sortBy = "stateUpdatedTimestamp"
        }
      }],
      local.job_metric_widgets,
      local.kpi_widgets,
    )
  })
}
