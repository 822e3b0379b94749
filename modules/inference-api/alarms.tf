# Alarms on the API, the function and the table, all notifying sns_topic_arn (ALARM and OK); the endpoint's
# own alarms are modules/sagemaker-endpoint's. Silence is not an error here (no traffic is no failure), so no
# alarm breaches on missing data.

locals {
  api_dimensions      = { ApiName = var.name, Stage = var.stage }
  function_dimensions = { FunctionName = local.function_name }
  alarm_arn           = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm"
  evaluation          = "in ${var.alarms.evaluation_periods} consecutive periods of ${var.alarms.period_seconds} s"

  # One alarm per entry: a metric of AWS/ApiGateway, AWS/Lambda (statistic or extended_statistic).
  metric_alarms = {
    "api-4xx" = {
      description = "More than ${var.alarms.api_4xx_rate * 100}% of the requests to ${var.name}/${var.stage} were refused by the gateway (4XXError, Average) ${local.evaluation}: keys, tokens, bodies or throttling. The access log ${aws_cloudwatch_log_group.access.name} says which (errorType)."
      namespace   = "AWS/ApiGateway", metric = "4XXError", dimensions = local.api_dimensions
      statistic   = "Average", extended = null, threshold = var.alarms.api_4xx_rate
    }
    "api-5xx" = {
      description = "More than ${var.alarms.api_5xx_rate * 100}% of the requests to ${var.name}/${var.stage} failed (5XXError, Average) ${local.evaluation}: the function, the endpoint or the gateway. See ${aws_cloudwatch_log_group.access.name} (integrationStatus) and ${aws_cloudwatch_log_group.function.name}."
      namespace   = "AWS/ApiGateway", metric = "5XXError", dimensions = local.api_dimensions
      statistic   = "Average", extended = null, threshold = var.alarms.api_5xx_rate
    }
    "api-latency-p99" = {
      description = "The p99 latency of ${var.name}/${var.stage} is above ${var.alarms.api_latency_p99_ms} ms ${local.evaluation} (Latency, p99): the endpoint is slow or the function is starved."
      namespace   = "AWS/ApiGateway", metric = "Latency", dimensions = local.api_dimensions
      statistic   = null, extended = "p99", threshold = var.alarms.api_latency_p99_ms
    }
    "function-errors" = {
      description = "The function ${local.function_name} failed (Errors, Sum >= 1) ${local.evaluation}: an unhandled error or a timeout, answered 502/504 by the gateway. See ${aws_cloudwatch_log_group.function.name}."
      namespace   = "AWS/Lambda", metric = "Errors", dimensions = local.function_dimensions
      statistic   = "Sum", extended = null, threshold = 1
    }
    "function-throttles" = {
      description = "The function ${local.function_name} was throttled (Throttles, Sum >= 1) ${local.evaluation}: all ${var.function.reserved_concurrency} reserved executions were busy."
      namespace   = "AWS/Lambda", metric = "Throttles", dimensions = local.function_dimensions
      statistic   = "Sum", extended = null, threshold = 1
    }
    "function-duration-p99" = {
      description = "The function ${local.function_name}'s p99 duration is above ${var.alarms.function_duration_p99_ratio * 100}% of its ${var.function.timeout_seconds} s timeout ${local.evaluation} (Duration, p99): requests are close to timing out."
      namespace   = "AWS/Lambda", metric = "Duration", dimensions = local.function_dimensions
      statistic   = null, extended = "p99", threshold = var.alarms.function_duration_p99_ratio * var.function.timeout_seconds * 1000
    }
    "function-concurrency" = {
      description = "The function ${local.function_name} ran at least ${ceil(var.alarms.concurrency_ratio * var.function.reserved_concurrency)} of its ${var.function.reserved_concurrency} reserved executions at once ${local.evaluation} (ConcurrentExecutions, Maximum): throttling is near."
      namespace   = "AWS/Lambda", metric = "ConcurrentExecutions", dimensions = local.function_dimensions
      statistic   = "Maximum", extended = null, threshold = ceil(var.alarms.concurrency_ratio * var.function.reserved_concurrency)
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.alarms.evaluation_periods
  treat_missing_data  = "notBreaching"

  namespace          = each.value.namespace
  metric_name        = each.value.metric
  dimensions         = each.value.dimensions
  period             = var.alarms.period_seconds
  statistic          = each.value.statistic
  extended_statistic = each.value.extended

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

# DynamoDB reports ThrottledRequests per operation: the function's two, summed.
resource "aws_cloudwatch_metric_alarm" "table_throttles" {
  alarm_name          = "${var.name}-table-throttles"
  alarm_description   = "Requests of the function to the query log ${local.table_name} were throttled (ThrottledRequests of PutItem and GetItem, Sum >= 1) ${local.evaluation}: answers or feedback were not recorded."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = var.alarms.evaluation_periods
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "throttled"
    expression  = "put + get"
    label       = "ThrottledRequests (PutItem + GetItem)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { put = "PutItem", get = "GetItem" }

    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = "ThrottledRequests"
        dimensions  = { TableName = local.table_name, Operation = metric_query.value }
        period      = var.alarms.period_seconds
        stat        = "Sum"
      }
    }
  }

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

# -- dashboard ------------------------------------------------------------------------------------------------------
locals {
  dashboard_name = "${var.name}-assistant"
  planned_alarm_arns = sort(concat(
    [for k in keys(local.metric_alarms) : "${local.alarm_arn}:${var.name}-${k}"],
    ["${local.alarm_arn}:${var.name}-table-throttles"],
  ))

  api_metric = ["AWS/ApiGateway", "ApiName", var.name, "Stage", var.stage]
  fn_metric  = ["AWS/Lambda", "FunctionName", local.function_name]

  dashboard_widgets = [
    for i, w in [
      { title = "Requests and gateway errors (Sum)", stat = "Sum", metrics = [
        [local.api_metric[0], "Count", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { label = "requests" }],
        [local.api_metric[0], "4XXError", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { label = "4xx" }],
        [local.api_metric[0], "5XXError", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { label = "5xx" }],
      ] },
      { title = "Latency (ms)", stat = "p99", metrics = [
        [local.api_metric[0], "Latency", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { label = "gateway p99" }],
        [local.api_metric[0], "IntegrationLatency", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { label = "function p99" }],
        [local.api_metric[0], "Latency", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { label = "gateway p50", stat = "p50" }],
      ] },
      { title = "Function: invocations, errors, throttles (Sum)", stat = "Sum", metrics = [
        [local.fn_metric[0], "Invocations", local.fn_metric[1], local.fn_metric[2]],
        [local.fn_metric[0], "Errors", local.fn_metric[1], local.fn_metric[2]],
        [local.fn_metric[0], "Throttles", local.fn_metric[1], local.fn_metric[2]],
      ] },
      { title = "Function: duration p99 (ms) and concurrency (Maximum)", stat = "p99", metrics = [
        [local.fn_metric[0], "Duration", local.fn_metric[1], local.fn_metric[2], { label = "duration p99" }],
        [local.fn_metric[0], "ConcurrentExecutions", local.fn_metric[1], local.fn_metric[2], { label = "concurrent executions", stat = "Maximum", yAxis = "right" }],
      ] },
      { title = "Query log: throttled requests and errors (Sum)", stat = "Sum", metrics = [
        ["AWS/DynamoDB", "ThrottledRequests", "TableName", local.table_name, "Operation", "PutItem"],
        ["AWS/DynamoDB", "ThrottledRequests", "TableName", local.table_name, "Operation", "GetItem"],
        ["AWS/DynamoDB", "SystemErrors", "TableName", local.table_name, "Operation", "PutItem"],
        ["AWS/DynamoDB", "UserErrors", { label = "UserErrors (account)" }],
      ] },
      { title = "Query log: consumed capacity (Sum)", stat = "Sum", metrics = [
        ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", local.table_name],
        ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", local.table_name],
      ] },
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
        period  = var.alarms.period_seconds
        stat    = w.stat
        metrics = w.metrics
      }
    }
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({
    start = "-PT24H"
    widgets = concat(
      [{
        type   = "alarm"
        x      = 0
        y      = 0
        width  = 24
        height = 6
        properties = {
          title  = "Assistant ${var.name} (${var.stage}): alarms (notify ${var.sns_topic_arn})"
          alarms = local.planned_alarm_arns
          sortBy = "stateUpdatedTimestamp"
        }
      }],
      local.dashboard_widgets,
    )
  })
}
