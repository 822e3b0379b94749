locals {
  # What this module and launchpad's deploy engine both create, named and shaped alike (see the file).
  definition = jsondecode(file("${path.module}/definition.json"))
  names      = local.definition.names

  serverless = anytrue([for v in var.variants : v.serverless != null])
  guarded    = var.deployment.strategy != "ALL_AT_ONCE"

  instance_variants = [for v in var.variants : v if v.serverless == null]
  instance_types    = concat([for v in local.instance_variants : v.instance_type], var.shadow_variant == null ? [] : [var.shadow_variant.instance_type])
  smallest_fleet    = length(local.instance_variants) == 0 ? 1 : min([for v in local.instance_variants : v.initial_instance_count]...)

  # Instance types with local NVMe storage take no volume key (AWS encrypts those disks in hardware), and
  # serverless variants have no ML storage volume: the volume key is then left out of the configuration.
  local_storage      = anytrue([for t in local.instance_types : contains(local.definition.volume_key.families_with_local_storage, split(".", t)[1])])
  volume_kms_key_arn = local.local_storage || local.serverless ? null : var.kms_key_arn
  # What SageMaker writes to S3 for the endpoint (captured data, async results) is encrypted with this key.
  output_kms_key_arn = coalesce(var.capture_kms_key_arn, var.kms_key_arn)

  # -- models: one per variant, named after its content -------------------------------------------------------
  # Every argument of a SageMaker model forces a new one, so the name carries a hash of them all: a change is a
  # new model (created first), which in turn changes the endpoint configuration below.
  models = merge(
    { for v in var.variants : v.name => v.model },
    var.shadow_variant == null ? {} : { (var.shadow_variant.name) = var.shadow_variant.model },
  )
  model_names = {
    for name, model in local.models : name => replace(replace(replace(local.names.model, "{endpoint}", var.name), "{variant}", name), "{hash}", substr(sha256(jsonencode({
      model     = model
      role      = var.execution_role_arn
      isolation = var.enable_network_isolation
      vpc       = var.vpc_config
    })), 0, local.names.hash_length))
  }

  # -- endpoint configuration: immutable, so a new name per change ----------------------------------------------
  production_variants = [for v in var.variants : {
    variant_name                                      = v.name
    model_name                                        = local.model_names[v.name]
    instance_type                                     = v.instance_type
    initial_instance_count                            = v.serverless == null ? v.initial_instance_count : null
    initial_variant_weight                            = v.weight
    serverless                                        = v.serverless
    volume_size_in_gb                                 = v.volume_size_in_gb
    model_data_download_timeout_in_seconds            = v.model_data_download_timeout_in_seconds
    container_startup_health_check_timeout_in_seconds = v.container_startup_health_check_timeout_in_seconds
  }]
  shadow_variants = var.shadow_variant == null ? [] : [{
    variant_name                                      = var.shadow_variant.name
    model_name                                        = local.model_names[var.shadow_variant.name]
    instance_type                                     = var.shadow_variant.instance_type
    initial_instance_count                            = var.shadow_variant.initial_instance_count
    initial_variant_weight                            = var.shadow_variant.weight
    volume_size_in_gb                                 = var.shadow_variant.volume_size_in_gb
    model_data_download_timeout_in_seconds            = var.shadow_variant.model_data_download_timeout_in_seconds
    container_startup_health_check_timeout_in_seconds = var.shadow_variant.container_startup_health_check_timeout_in_seconds
  }]
  capture_modes = [for mode in local.definition.data_capture.modes : mode if mode == "Input" ? var.data_capture.capture_input : var.data_capture.capture_output]
  data_capture = var.data_capture.enabled ? {
    destination_s3_uri  = var.data_capture.destination_s3_uri
    sampling_percentage = var.data_capture.sampling_percentage
    modes               = local.capture_modes
    json_content_types  = var.data_capture.json_content_types == null ? local.definition.data_capture.json_content_types : var.data_capture.json_content_types
    csv_content_types   = var.data_capture.csv_content_types == null ? local.definition.data_capture.csv_content_types : var.data_capture.csv_content_types
  } : null

  endpoint_config_name = replace(replace(local.names.endpoint_config, "{endpoint}", var.name), "{hash}", substr(sha256(jsonencode({
    production_variants = local.production_variants
    shadow_variants     = local.shadow_variants
    volume_kms_key_arn  = local.volume_kms_key_arn
    data_capture        = local.data_capture
    async_inference     = var.async_inference
    kms_key_arn         = var.kms_key_arn
    capture_kms_key_arn = var.capture_kms_key_arn
  })), 0, local.names.hash_length))

  # -- deployment guardrails --------------------------------------------------------------------------------------
  step_size = {
    CANARY      = var.deployment.canary_size
    LINEAR      = var.deployment.linear_step_size
    ROLLING     = var.deployment.rolling_batch_size
    ALL_AT_ONCE = null
  }[var.deployment.strategy]
  # Instance counts as a share of the smallest fleet, to hold INSTANCE_COUNT sizes to the same limits as
  # CAPACITY_PERCENT ones.
  step_percent = local.step_size == null ? 100 : (
    local.step_size.type == "CAPACITY_PERCENT" ? local.step_size.value : 100 * local.step_size.value / local.smallest_fleet
  )
  # The baking waits a rollout goes through: one for all at once, the canary's and the final one for a canary,
  # one per step or batch otherwise. The update must be able to finish all of them and the termination wait.
  rollout_steps = {
    ALL_AT_ONCE = 1
    CANARY      = 2
    LINEAR      = ceil(100 / local.step_percent)
    ROLLING     = ceil(100 / local.step_percent)
  }[var.deployment.strategy]
  rollout_wait_seconds = local.rollout_steps * var.deployment.wait_interval_in_seconds + (
    var.deployment.strategy == "ROLLING" ? 0 : var.deployment.termination_wait_in_seconds
  )
  step_limits = {
    CANARY      = { min = 0, max = 50, what = "canary_size must be at most 50% of the fleet" }
    LINEAR      = { min = 10, max = 50, what = "linear_step_size must be 10-50% of the fleet" }
    ROLLING     = { min = 5, max = 50, what = "rolling_batch_size must be 5-50% of the fleet" }
    ALL_AT_ONCE = { min = 0, max = 100, what = "" }
  }[var.deployment.strategy]

  rollback_alarm_names = concat(
    [for alarm in aws_cloudwatch_metric_alarm.rollback_error_rate : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.rollback_latency : alarm.alarm_name],
    var.deployment.extra_rollback_alarm_names,
  )
}

resource "aws_sagemaker_model" "this" {
  for_each = local.models

  name                     = local.model_names[each.key]
  execution_role_arn       = var.execution_role_arn
  enable_network_isolation = var.enable_network_isolation

  primary_container {
    image              = each.value.image
    model_data_url     = each.value.model_data_url
    model_package_name = each.value.model_package_arn
    environment        = length(each.value.environment) > 0 ? each.value.environment : null
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]

    content {
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  name        = local.endpoint_config_name
  kms_key_arn = local.volume_kms_key_arn

  dynamic "production_variants" {
    for_each = local.production_variants
    iterator = variant

    content {
      variant_name                                      = variant.value.variant_name
      model_name                                        = aws_sagemaker_model.this[variant.value.variant_name].name
      instance_type                                     = variant.value.instance_type
      initial_instance_count                            = variant.value.initial_instance_count
      initial_variant_weight                            = variant.value.initial_variant_weight
      volume_size_in_gb                                 = variant.value.volume_size_in_gb
      model_data_download_timeout_in_seconds            = variant.value.model_data_download_timeout_in_seconds
      container_startup_health_check_timeout_in_seconds = variant.value.container_startup_health_check_timeout_in_seconds

      dynamic "serverless_config" {
        for_each = variant.value.serverless == null ? [] : [variant.value.serverless]

        content {
          memory_size_in_mb       = serverless_config.value.memory_size_in_mb
          max_concurrency         = serverless_config.value.max_concurrency
          provisioned_concurrency = serverless_config.value.provisioned_concurrency
        }
      }
    }
  }

  dynamic "shadow_production_variants" {
    for_each = local.shadow_variants
    iterator = variant

    content {
      variant_name                                      = variant.value.variant_name
      model_name                                        = aws_sagemaker_model.this[variant.value.variant_name].name
      instance_type                                     = variant.value.instance_type
      initial_instance_count                            = variant.value.initial_instance_count
      initial_variant_weight                            = variant.value.initial_variant_weight
      volume_size_in_gb                                 = variant.value.volume_size_in_gb
      model_data_download_timeout_in_seconds            = variant.value.model_data_download_timeout_in_seconds
      container_startup_health_check_timeout_in_seconds = variant.value.container_startup_health_check_timeout_in_seconds
    }
  }

  dynamic "data_capture_config" {
    for_each = local.data_capture == null ? [] : [local.data_capture]
    iterator = capture

    content {
      enable_capture              = true
      destination_s3_uri          = capture.value.destination_s3_uri
      initial_sampling_percentage = capture.value.sampling_percentage
      kms_key_id                  = local.output_kms_key_arn

      dynamic "capture_options" {
        for_each = capture.value.modes

        content {
          capture_mode = capture_options.value
        }
      }

      dynamic "capture_content_type_header" {
        for_each = length(capture.value.json_content_types) + length(capture.value.csv_content_types) > 0 ? [1] : []

        content {
          json_content_types = length(capture.value.json_content_types) > 0 ? capture.value.json_content_types : null
          csv_content_types  = length(capture.value.csv_content_types) > 0 ? capture.value.csv_content_types : null
        }
      }
    }
  }

  dynamic "async_inference_config" {
    for_each = var.async_inference == null ? [] : [var.async_inference]
    iterator = async

    content {
      output_config {
        s3_output_path  = async.value.output_s3_uri
        s3_failure_path = async.value.failure_s3_uri
        kms_key_id      = local.output_kms_key_arn

        dynamic "notification_config" {
          for_each = async.value.success_topic_arn != null || async.value.error_topic_arn != null ? [1] : []

          content {
            success_topic                 = async.value.success_topic_arn
            error_topic                   = async.value.error_topic_arn
            include_inference_response_in = length(async.value.include_inference_response_in) > 0 ? async.value.include_inference_response_in : null
          }
        }
      }

      dynamic "client_config" {
        for_each = async.value.max_concurrent_invocations_per_instance == null ? [] : [1]

        content {
          max_concurrent_invocations_per_instance = async.value.max_concurrent_invocations_per_instance
        }
      }
    }
  }

  tags = var.tags

  lifecycle {
    # Never replaced in place: the new configuration is created, the endpoint moved onto it (UpdateEndpoint,
    # with the deployment guardrails below), and only then the old one deleted.
    create_before_destroy = true

    precondition {
      condition     = !var.data_capture.enabled || var.data_capture.destination_s3_uri != null
      error_message = "data_capture.destination_s3_uri is required while data capture is on (the default); set data_capture.enabled = false to opt out."
    }

    precondition {
      condition     = !local.serverless || !var.data_capture.enabled
      error_message = "serverless endpoints do not support data capture: set data_capture.enabled = false."
    }

    precondition {
      condition     = !local.serverless || !var.enable_network_isolation
      error_message = "serverless endpoints do not support network isolation: set enable_network_isolation = false."
    }

    precondition {
      condition     = !local.serverless || var.vpc_config == null
      error_message = "serverless endpoints do not support vpc_config: leave it null."
    }

    precondition {
      condition     = !local.serverless || (var.async_inference == null && var.shadow_variant == null)
      error_message = "serverless endpoints support neither async_inference nor a shadow_variant."
    }

    precondition {
      condition     = var.shadow_variant == null || (length(var.variants) == 1 && !contains([for v in var.variants : v.name], try(var.shadow_variant.name, "")))
      error_message = "a shadow_variant needs exactly one production variant, with a different name."
    }

    precondition {
      condition     = !local.guarded || local.serverless || local.smallest_fleet >= 2
      error_message = "CANARY, LINEAR and ROLLING deployments need initial_instance_count >= 2 in every variant (traffic moves in steps between instances)."
    }

    precondition {
      condition     = !local.guarded || local.serverless || var.autoscaling.min_capacity == null || try(var.autoscaling.min_capacity >= 2, false)
      error_message = "CANARY, LINEAR and ROLLING deployments need autoscaling.min_capacity >= 2 (a scaled-in fleet of 1 cannot shift traffic in steps)."
    }

    precondition {
      condition     = local.step_percent >= local.step_limits.min && local.step_percent <= local.step_limits.max
      error_message = "deployment.${local.step_limits.what}: ${local.step_size == null ? 0 : local.step_size.value} ${local.step_size == null ? "" : local.step_size.type} is ${floor(local.step_percent)}% of the smallest fleet (${local.smallest_fleet} instances)."
    }

    precondition {
      condition     = var.deployment.strategy != "ROLLING" || (!local.serverless && length(var.variants) == 1)
      error_message = "ROLLING deployments support neither serverless endpoints nor several production variants: use ALL_AT_ONCE, CANARY or LINEAR."
    }

    precondition {
      condition     = var.deployment.maximum_execution_timeout_in_seconds > local.rollout_wait_seconds
      error_message = "deployment.maximum_execution_timeout_in_seconds (${var.deployment.maximum_execution_timeout_in_seconds}) must be greater than the waits of the rollout: ${local.rollout_steps} x wait_interval_in_seconds ${var.deployment.strategy == "ROLLING" ? "" : "+ termination_wait_in_seconds "}= ${local.rollout_wait_seconds} s."
    }

    precondition {
      condition     = !local.guarded || !anytrue([for t in local.instance_types : startswith(t, "ml.inf1.")])
      error_message = "ml.inf1 endpoints do not support deployment guardrails (SageMaker would silently update them all at once): use strategy = \"ALL_AT_ONCE\"."
    }
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name

  deployment_config {
    dynamic "blue_green_update_policy" {
      for_each = var.deployment.strategy == "ROLLING" ? [] : [var.deployment]
      iterator = policy

      content {
        termination_wait_in_seconds          = policy.value.termination_wait_in_seconds
        maximum_execution_timeout_in_seconds = policy.value.maximum_execution_timeout_in_seconds

        traffic_routing_configuration {
          type                     = policy.value.strategy
          wait_interval_in_seconds = policy.value.wait_interval_in_seconds

          dynamic "canary_size" {
            for_each = policy.value.strategy == "CANARY" ? [policy.value.canary_size] : []

            content {
              type  = canary_size.value.type
              value = canary_size.value.value
            }
          }

          dynamic "linear_step_size" {
            for_each = policy.value.strategy == "LINEAR" ? [policy.value.linear_step_size] : []

            content {
              type  = linear_step_size.value.type
              value = linear_step_size.value.value
            }
          }
        }
      }
    }

    dynamic "rolling_update_policy" {
      for_each = var.deployment.strategy == "ROLLING" ? [var.deployment] : []
      iterator = policy

      content {
        wait_interval_in_seconds             = policy.value.wait_interval_in_seconds
        maximum_execution_timeout_in_seconds = policy.value.maximum_execution_timeout_in_seconds

        maximum_batch_size {
          type  = policy.value.rolling_batch_size.type
          value = policy.value.rolling_batch_size.value
        }

        dynamic "rollback_maximum_batch_size" {
          for_each = policy.value.rollback_batch_size == null ? [] : [policy.value.rollback_batch_size]

          content {
            type  = rollback_maximum_batch_size.value.type
            value = rollback_maximum_batch_size.value.value
          }
        }
      }
    }

    auto_rollback_configuration {
      dynamic "alarms" {
        for_each = local.rollback_alarm_names

        content {
          alarm_name = alarms.value
        }
      }
    }
  }

  tags = var.tags
}
