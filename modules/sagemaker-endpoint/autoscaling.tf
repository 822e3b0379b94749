# Application Auto Scaling of the instance count of every instance-based variant. Serverless variants scale by
# themselves and are left out. Names, the metrics tracked and the default cooldowns come from definition.json,
# which launchpad's deploy engine reads too.

locals {
  scaling = local.definition.autoscaling
  scaled_variants = var.autoscaling.enabled ? {
    for v in local.instance_variants : v.name => {
      min = coalesce(var.autoscaling.min_capacity, v.initial_instance_count)
      max = coalesce(var.autoscaling.max_capacity, local.scaling.max_capacity_per_min_capacity * coalesce(var.autoscaling.min_capacity, v.initial_instance_count))
    }
  } : {}
  async = var.async_inference != null
  # Real-time endpoints track invocations per instance, asynchronous ones their queue backlog per instance.
  load_policy        = local.async ? "backlog" : "invocations"
  load_metric        = local.scaling.policies[local.load_policy]
  scale_in_cooldown  = coalesce(var.autoscaling.scale_in_cooldown_seconds, local.scaling.scale_in_cooldown_seconds)
  scale_out_cooldown = coalesce(var.autoscaling.scale_out_cooldown_seconds, local.scaling.scale_out_cooldown_seconds)
}

resource "aws_appautoscaling_target" "variant" {
  for_each = local.scaled_variants

  service_namespace  = local.scaling.service_namespace
  resource_id        = replace(replace(local.names.scalable_target, "{endpoint}", aws_sagemaker_endpoint.this.name), "{variant}", each.key)
  scalable_dimension = local.scaling.scalable_dimension
  min_capacity       = each.value.min
  max_capacity       = each.value.max
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = each.value.min <= each.value.max
      error_message = "autoscaling.max_capacity (${each.value.max}) is below the minimum of variant ${each.key} (${each.value.min}, its initial_instance_count unless autoscaling.min_capacity is set)."
    }
  }
}

# Real-time endpoints: invocations per instance per minute. Asynchronous endpoints: the queue backlog per
# instance, which is what an async endpoint's load looks like.
resource "aws_appautoscaling_policy" "load" {
  for_each = aws_appautoscaling_target.variant

  name               = replace(replace(replace(local.names.scaling_policy, "{endpoint}", var.name), "{variant}", each.key), "{policy}", local.load_policy)
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling[local.load_metric.target]
    scale_in_cooldown  = local.scale_in_cooldown
    scale_out_cooldown = local.scale_out_cooldown

    dynamic "predefined_metric_specification" {
      for_each = lookup(local.load_metric, "predefined_metric", null) == null ? [] : [local.load_metric.predefined_metric]

      content {
        predefined_metric_type = predefined_metric_specification.value
      }
    }

    dynamic "customized_metric_specification" {
      for_each = lookup(local.load_metric, "predefined_metric", null) == null ? [local.load_metric] : []

      content {
        namespace   = customized_metric_specification.value.namespace
        metric_name = customized_metric_specification.value.metric
        statistic   = customized_metric_specification.value.statistic

        dimensions {
          name  = "EndpointName"
          value = aws_sagemaker_endpoint.this.name
        }
      }
    }
  }
}

# Optional second target: CPU or GPU utilisation of the variant's instances (summed over cores, 0-100% x cores).
resource "aws_appautoscaling_policy" "utilization" {
  for_each = var.autoscaling.utilization == null ? {} : aws_appautoscaling_target.variant

  name               = replace(replace(replace(local.names.scaling_policy, "{endpoint}", var.name), "{variant}", each.key), "{policy}", lower(var.autoscaling.utilization.metric))
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.utilization.target_percent
    scale_in_cooldown  = local.scale_in_cooldown
    scale_out_cooldown = local.scale_out_cooldown

    customized_metric_specification {
      namespace   = "/aws/sagemaker/Endpoints"
      metric_name = var.autoscaling.utilization.metric
      statistic   = "Average"

      dimensions {
        name  = "EndpointName"
        value = aws_sagemaker_endpoint.this.name
      }

      dimensions {
        name  = "VariantName"
        value = each.key
      }
    }
  }
}

# Off hours (non-production stages): shrink the fleet on a schedule and restore it.
resource "aws_appautoscaling_scheduled_action" "scale_down" {
  for_each = var.autoscaling.off_hours == null ? {} : aws_appautoscaling_target.variant

  name               = "${var.name}-${each.key}-off-hours"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension
  schedule           = var.autoscaling.off_hours.scale_down_cron
  timezone           = var.autoscaling.off_hours.timezone

  scalable_target_action {
    min_capacity = var.autoscaling.off_hours.min_capacity
    max_capacity = var.autoscaling.off_hours.max_capacity
  }
}

resource "aws_appautoscaling_scheduled_action" "scale_up" {
  for_each = var.autoscaling.off_hours == null ? {} : aws_appautoscaling_target.variant

  name               = "${var.name}-${each.key}-working-hours"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension
  schedule           = var.autoscaling.off_hours.scale_up_cron
  timezone           = var.autoscaling.off_hours.timezone

  scalable_target_action {
    min_capacity = local.scaled_variants[each.key].min
    max_capacity = local.scaled_variants[each.key].max
  }

  # Application Auto Scaling applies one scheduled action per target at a time.
  depends_on = [aws_appautoscaling_scheduled_action.scale_down]
}
