# One dashboard per endpoint: an alarm-status strip, then one row per production variant with invocations,
# error rates (the same metric math as the alarms), latency percentiles in ms and utilisation, in the order
# of var.variants.

locals {
  dashboard_name = "${local.name}-endpoint"
  ep             = var.endpoint_name
  pct            = var.latency_percentile

  variant_kind = {
    for k, v in local.variants : k => (v.serverless ? "serverless" : (v.gpu ? "GPU instances" : "CPU instances"))
  }

  header_widgets = [
    {
      type   = "text"
      x      = 0
      y      = 0
      width  = 24
      height = 2
      properties = {
        markdown = "# SageMaker endpoint ${local.ep}\nAlarms notify ${local.topic_arn}. Latency is shown at ${local.pct} in milliseconds (SageMaker publishes it in microseconds). CPU and GPU utilisation are summed over the vCPUs/GPUs of an instance (0-100% x cores)."
      }
    },
    {
      type   = "alarm"
      x      = 0
      y      = 2
      width  = 24
      height = 6
      properties = {
        title  = "Alarms"
        alarms = local.planned_alarm_arns
        sortBy = "stateUpdatedTimestamp"
      }
    },
  ]

  variant_widgets = flatten([
    for i, variant in [for v in var.variants : v.name] : [
      {
        type   = "text"
        x      = 0
        y      = 8 + i * 7
        width  = 24
        height = 1
        properties = {
          markdown = "## Variant ${variant} (${local.variant_kind[variant]})"
        }
      },
      {
        type   = "metric"
        x      = 0
        y      = 9 + i * 7
        width  = 6
        height = 6
        properties = {
          title   = "${variant}: invocations (Sum)"
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = var.period_seconds
          stat    = "Sum"
          metrics = [
            ["AWS/SageMaker", "Invocations", "EndpointName", local.ep, "VariantName", variant, { label = "Invocations" }],
          ]
        }
      },
      {
        type   = "metric"
        x      = 6
        y      = 9 + i * 7
        width  = 6
        height = 6
        properties = {
          title   = "${variant}: error rates (%)"
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = var.period_seconds
          stat    = "Sum"
          metrics = [
            ["AWS/SageMaker", "Invocations", "EndpointName", local.ep, "VariantName", variant, { id = "invocations", visible = false }],
            ["AWS/SageMaker", "Invocation4XXErrors", "EndpointName", local.ep, "VariantName", variant, { id = "errors4xx", visible = false }],
            ["AWS/SageMaker", "Invocation5XXErrors", "EndpointName", local.ep, "VariantName", variant, { id = "errors5xx", visible = false }],
            [{ id = "rate4xx", label = "4xx rate (%)", expression = "IF(FILL(invocations, 0) > 0, 100 * FILL(errors4xx, 0) / FILL(invocations, 1), 0)" }],
            [{ id = "rate5xx", label = "5xx rate (%)", expression = "IF(FILL(invocations, 0) > 0, 100 * FILL(errors5xx, 0) / FILL(invocations, 1), 0)" }],
          ]
          yAxis = { left = { min = 0, label = "%", showUnits = false } }
          annotations = {
            horizontal = [
              { label = "5xx alarm", value = var.thresholds.error_5xx_rate_percent },
              { label = "4xx alarm", value = var.thresholds.error_4xx_rate_percent },
            ]
          }
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = 9 + i * 7
        width  = 6
        height = 6
        properties = {
          title   = "${variant}: latency ${local.pct} (ms)"
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = var.period_seconds
          stat    = local.pct
          metrics = [
            ["AWS/SageMaker", "ModelLatency", "EndpointName", local.ep, "VariantName", variant, { id = "modellatency", visible = false }],
            ["AWS/SageMaker", "OverheadLatency", "EndpointName", local.ep, "VariantName", variant, { id = "overheadlatency", visible = false }],
            [{ id = "modellatencyms", label = "ModelLatency ${local.pct} (ms)", expression = "modellatency / 1000" }],
            [{ id = "overheadlatencyms", label = "OverheadLatency ${local.pct} (ms)", expression = "overheadlatency / 1000" }],
          ]
          yAxis = { left = { min = 0, label = "ms", showUnits = false } }
          annotations = {
            horizontal = [
              { label = "ModelLatency alarm", value = var.thresholds.model_latency_ms },
              { label = "OverheadLatency alarm", value = var.thresholds.overhead_latency_ms },
            ]
          }
        }
      },
      [for _ in [1] : {
        type   = "metric"
        x      = 18
        y      = 9 + i * 7
        width  = 6
        height = 6
        properties = {
          # Serverless variants publish no instance utilisation; cold starts are what they have instead.
          title   = "${variant}: cold starts, ModelSetupTime ${local.pct} (ms)"
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = var.period_seconds
          stat    = local.pct
          metrics = [
            ["AWS/SageMaker", "ModelSetupTime", "EndpointName", local.ep, "VariantName", variant, { id = "modelsetuptime", visible = false }],
            [{ id = "modelsetuptimems", label = "ModelSetupTime ${local.pct} (ms)", expression = "modelsetuptime / 1000" }],
          ]
          yAxis = { left = { min = 0, label = "ms", showUnits = false } }
        }
      } if local.variants[variant].serverless],
      [for _ in [1] : {
        type   = "metric"
        x      = 18
        y      = 9 + i * 7
        width  = 6
        height = 6
        properties = {
          title   = "${variant}: utilisation (%, CPU/GPU summed over cores)"
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = var.period_seconds
          stat    = "Average"
          metrics = [
            for m in ["CPUUtilization", "MemoryUtilization", "DiskUtilization", "GPUUtilization", "GPUMemoryUtilization"] :
            ["/aws/sagemaker/Endpoints", m, "EndpointName", local.ep, "VariantName", variant, { label = m }]
            if local.variants[variant].gpu || !startswith(m, "GPU")
          ]
          yAxis = { left = { min = 0, label = "%", showUnits = false } }
        }
      } if !local.variants[variant].serverless],
    ]
  ])
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({
    start   = "-PT6H"
    widgets = concat(local.header_widgets, local.variant_widgets)
  })
}
