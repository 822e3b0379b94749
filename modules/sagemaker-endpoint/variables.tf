variable "name" {
  description = "Name of the endpoint. Also the prefix of its models (<name>-<variant>-<hash>), endpoint configurations (<name>-<hash>) and rollback alarms. 1-40 characters of a-z, A-Z, 0-9 and '-' (not at either end), so every derived SageMaker name stays within 63 characters."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name) <= 40 && can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", var.name))
    error_message = "name must be 1-40 characters of a-z, A-Z, 0-9 and '-', starting and ending with a letter or digit (the SageMaker endpoint naming rule, shortened so derived names fit in 63 characters)."
  }
}

variable "execution_role_arn" {
  description = "ARN of the IAM role SageMaker assumes to pull the image and model data, write data capture and logs, and use the KMS key (the iam module's role_arn)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<name>."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key for the ML storage volumes (left out automatically for instance types with local NVMe storage, which AWS encrypts in hardware), and for data capture and async inference output unless capture_kms_key_arn names another key."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias or a key id."
  }
}

variable "capture_kms_key_arn" {
  description = "ARN of the customer-managed KMS key of what the endpoint writes to S3 for you: captured requests and responses, async inference results and failures. SageMaker writes them as the execution role, so the destination bucket's policy must accept this key (launchpad's data-capture bucket accepts only its own key). Null: kms_key_arn."
  type        = string
  default     = null

  validation {
    condition     = var.capture_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.capture_kms_key_arn))
    error_message = "capture_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias or a key id."
  }
}

variable "variants" {
  description = <<-EOT
    Production variants (1-10). Each serves its own model and is either instance-based (instance_type and
    initial_instance_count) or serverless (serverless = { memory_size_in_mb, max_concurrency, provisioned_concurrency }).
    weight is an integer relative weight: traffic share = weight / sum of weights (A/B tests: 9 and 1 send 90% and
    10%); integers because the provider round-trips weights as float32 and 0.9/0.1 drift.
    model: the container image and model data (model_data_url, an s3:// URI of a model.tar.gz), or
    model_package_arn (a registered, approved model package version) instead of both; environment for the container.
  EOT
  type = list(object({
    name = string
    model = object({
      image             = optional(string)
      model_data_url    = optional(string)
      model_package_arn = optional(string)
      environment       = optional(map(string), {})
    })
    instance_type          = optional(string)
    initial_instance_count = optional(number, 2)
    weight                 = optional(number, 1)
    serverless = optional(object({
      memory_size_in_mb       = number
      max_concurrency         = number
      provisioned_concurrency = optional(number)
    }))
    volume_size_in_gb                                 = optional(number)
    model_data_download_timeout_in_seconds            = optional(number)
    container_startup_health_check_timeout_in_seconds = optional(number)
  }))
  nullable = false

  validation {
    condition     = length(var.variants) >= 1 && length(var.variants) <= 10
    error_message = "variants must hold 1 to 10 production variants (the CreateEndpointConfig limit)."
  }

  validation {
    condition     = alltrue([for v in var.variants : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,12}$", v.name))]) && length(distinct([for v in var.variants : v.name])) == length(var.variants)
    error_message = "variant names must be unique, 1-13 characters of a-z, A-Z, 0-9 and '-' (not at either end)."
  }

  validation {
    condition     = alltrue([for v in var.variants : (v.instance_type == null) != (v.serverless == null)])
    error_message = "each variant is either instance-based (instance_type) or serverless (serverless = {...}): set exactly one of the two."
  }

  validation {
    condition     = alltrue([for v in var.variants : v.instance_type == null || can(regex("^ml\\.[a-z0-9-]+\\.[a-z0-9]+$", v.instance_type))])
    error_message = "instance_type must be a SageMaker hosting instance type such as ml.m5.xlarge or ml.g5.2xlarge."
  }

  validation {
    condition     = alltrue([for v in var.variants : v.initial_instance_count >= 1 && floor(v.initial_instance_count) == v.initial_instance_count])
    error_message = "initial_instance_count must be a whole number, 1 or more."
  }

  validation {
    condition     = alltrue([for v in var.variants : v.weight >= 0 && floor(v.weight) == v.weight]) && anytrue([for v in var.variants : v.weight > 0])
    error_message = "variant weights must be whole numbers >= 0, and at least one must be > 0 (traffic share = weight / sum of weights)."
  }

  validation {
    condition = alltrue([for v in var.variants : v.serverless == null || try(
      contains([1024, 2048, 3072, 4096, 5120, 6144], v.serverless.memory_size_in_mb)
      && v.serverless.max_concurrency >= 1 && v.serverless.max_concurrency <= 200
      && (v.serverless.provisioned_concurrency == null ? true : v.serverless.provisioned_concurrency >= 1 && v.serverless.provisioned_concurrency <= v.serverless.max_concurrency),
    false)])
    error_message = "serverless: memory_size_in_mb must be one of 1024, 2048, 3072, 4096, 5120, 6144; max_concurrency 1-200; provisioned_concurrency, if set, 1 to max_concurrency."
  }

  validation {
    condition     = !anytrue([for v in var.variants : v.serverless != null]) || length(var.variants) == 1
    error_message = "a serverless variant must be the endpoint's only production variant (serverless endpoints do not support several variants)."
  }

  validation {
    condition = alltrue([for v in var.variants :
      (v.model.model_package_arn == null) == (v.model.image != null)
      && (v.model.model_package_arn == null || v.model.model_data_url == null)
    ])
    error_message = "each variant's model needs either image (with an optional model_data_url) or model_package_arn, not both."
  }

  validation {
    condition     = alltrue([for v in var.variants : v.model.model_data_url == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+", v.model.model_data_url))])
    error_message = "model_data_url must be an s3:// URI of an object, e.g. s3://my-models/churn/model.tar.gz."
  }

  validation {
    condition     = alltrue([for v in var.variants : v.model.model_package_arn == null || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/.+", v.model.model_package_arn))])
    error_message = "model_package_arn must be a SageMaker model package ARN: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>."
  }

  validation {
    condition = alltrue([for v in var.variants : alltrue([
      for t in [v.model_data_download_timeout_in_seconds, v.container_startup_health_check_timeout_in_seconds] : t == null || try(t >= 60 && t <= 3600, false)
    ])])
    error_message = "model_data_download_timeout_in_seconds and container_startup_health_check_timeout_in_seconds must be 60-3600 seconds."
  }

  validation {
    condition     = alltrue([for v in var.variants : v.volume_size_in_gb == null || try(v.volume_size_in_gb >= 1 && v.volume_size_in_gb <= 512, false)])
    error_message = "volume_size_in_gb must be 1-512."
  }
}

variable "shadow_variant" {
  description = "An optional shadow variant (same shape as an entry of variants): SageMaker copies a share of the production traffic (weight relative to the production variant) to it and stores its responses without returning them. Needs exactly one production variant."
  type = object({
    name = string
    model = object({
      image             = optional(string)
      model_data_url    = optional(string)
      model_package_arn = optional(string)
      environment       = optional(map(string), {})
    })
    instance_type                                     = string
    initial_instance_count                            = optional(number, 1)
    weight                                            = optional(number, 1)
    volume_size_in_gb                                 = optional(number)
    model_data_download_timeout_in_seconds            = optional(number)
    container_startup_health_check_timeout_in_seconds = optional(number)
  })
  default = null

  validation {
    condition     = var.shadow_variant == null || try(can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,12}$", var.shadow_variant.name)) && can(regex("^ml\\.[a-z0-9-]+\\.[a-z0-9]+$", var.shadow_variant.instance_type)) && var.shadow_variant.weight > 0 && floor(var.shadow_variant.weight) == var.shadow_variant.weight, false)
    error_message = "shadow_variant needs a name of 1-13 characters of a-z, A-Z, 0-9 and '-', an ml.* instance_type and a whole weight > 0."
  }
}

variable "enable_network_isolation" {
  description = "Run the model containers with no network access at all (no calls out, not even to AWS services). On by default; set false explicitly for containers that must reach the network, and for serverless variants (which do not support it)."
  type        = bool
  default     = true
  nullable    = false
}

variable "vpc_config" {
  description = "Subnets and security groups (the network module's private_subnet_ids and a security group) for the model containers. null runs them outside your VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.vpc_config == null || try(
      length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= 16
      && length(var.vpc_config.security_group_ids) >= 1 && length(var.vpc_config.security_group_ids) <= 5
      && alltrue([for s in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
      && alltrue([for g in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]+$", g))]),
    false)
    error_message = "vpc_config needs 1-16 subnet ids (subnet-...) and 1-5 security group ids (sg-...)."
  }
}

variable "data_capture" {
  description = <<-EOT
    Capture of requests and responses to S3 (the input of drift detection and of the retraining feedback loop),
    encrypted with kms_key_arn. On by default: destination_s3_uri (an s3:// prefix in the data-capture bucket) is
    then required. sampling_percentage is the share of requests captured (0-100). json_content_types and csv_content_types
    default to application/json and text/csv (definition.json); [] captures no content type header. Serverless endpoints do not
    support it: set enabled = false for them.
  EOT
  type = object({
    enabled             = optional(bool, true)
    destination_s3_uri  = optional(string)
    sampling_percentage = optional(number, 100)
    capture_input       = optional(bool, true)
    capture_output      = optional(bool, true)
    json_content_types  = optional(list(string))
    csv_content_types   = optional(list(string))
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.data_capture.sampling_percentage >= 0 && var.data_capture.sampling_percentage <= 100 && floor(var.data_capture.sampling_percentage) == var.data_capture.sampling_percentage
    error_message = "data_capture.sampling_percentage must be a whole number from 0 to 100."
  }

  validation {
    condition     = var.data_capture.capture_input || var.data_capture.capture_output
    error_message = "data_capture must capture the input, the output or both (capture_input / capture_output)."
  }

  validation {
    condition     = var.data_capture.destination_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.data_capture.destination_s3_uri))
    error_message = "data_capture.destination_s3_uri must be an s3:// URI, e.g. s3://my-data-capture/churn."
  }
}

variable "async_inference" {
  description = "Make this an asynchronous endpoint: requests are queued and results written to output_s3_uri (errors to failure_s3_uri), encrypted with kms_key_arn, with optional SNS notifications on success and error. null (the default) is a real-time endpoint."
  type = object({
    output_s3_uri                           = string
    failure_s3_uri                          = optional(string)
    success_topic_arn                       = optional(string)
    error_topic_arn                         = optional(string)
    include_inference_response_in           = optional(list(string), [])
    max_concurrent_invocations_per_instance = optional(number)
  })
  default = null

  validation {
    condition = var.async_inference == null || try(alltrue([
      for uri in compact([var.async_inference.output_s3_uri, var.async_inference.failure_s3_uri]) : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", uri))
    ]), false)
    error_message = "async_inference.output_s3_uri and failure_s3_uri must be s3:// URIs."
  }

  validation {
    condition = var.async_inference == null || try(alltrue([
      for arn in compact([var.async_inference.success_topic_arn, var.async_inference.error_topic_arn]) : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[\\w-]+$", arn))
    ]), false)
    error_message = "async_inference.success_topic_arn and error_topic_arn must be SNS topic ARNs."
  }

  validation {
    condition     = var.async_inference == null || try(alltrue([for t in var.async_inference.include_inference_response_in : contains(["SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC"], t)]), false)
    error_message = "async_inference.include_inference_response_in may hold only SUCCESS_NOTIFICATION_TOPIC and ERROR_NOTIFICATION_TOPIC."
  }

  validation {
    condition     = var.async_inference == null || try(var.async_inference.max_concurrent_invocations_per_instance == null ? true : var.async_inference.max_concurrent_invocations_per_instance >= 1 && var.async_inference.max_concurrent_invocations_per_instance <= 1000, false)
    error_message = "async_inference.max_concurrent_invocations_per_instance must be 1-1000."
  }
}

variable "deployment" {
  description = <<-EOT
    How an endpoint update rolls out (deployment guardrails). strategy: ALL_AT_ONCE, CANARY or LINEAR (blue/green:
    a new fleet, traffic shifted to it, the old fleet kept for termination_wait_in_seconds), or ROLLING (the fleet
    replaced batch by batch). canary_size, linear_step_size and rolling_batch_size are { type = CAPACITY_PERCENT or
    INSTANCE_COUNT, value }. wait_interval_in_seconds is the baking time of each step, during which the rollback
    alarms are watched; a firing alarm rolls the whole update back. maximum_execution_timeout_in_seconds bounds the
    whole update. extra_rollback_alarm_names are alarms of yours watched too (the module's three plus yours: at
    most 10).
  EOT
  type = object({
    strategy = optional(string, "ALL_AT_ONCE")
    canary_size = optional(object({
      type  = string
      value = number
    }), { type = "CAPACITY_PERCENT", value = 10 })
    linear_step_size = optional(object({
      type  = string
      value = number
    }), { type = "CAPACITY_PERCENT", value = 20 })
    rolling_batch_size = optional(object({
      type  = string
      value = number
    }), { type = "CAPACITY_PERCENT", value = 25 })
    rollback_batch_size = optional(object({
      type  = string
      value = number
    }))
    wait_interval_in_seconds             = optional(number, 300)
    termination_wait_in_seconds          = optional(number, 300)
    maximum_execution_timeout_in_seconds = optional(number, 3600)
    extra_rollback_alarm_names           = optional(list(string), [])
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["ALL_AT_ONCE", "CANARY", "LINEAR", "ROLLING"], var.deployment.strategy)
    error_message = "deployment.strategy must be ALL_AT_ONCE, CANARY or LINEAR (blue/green traffic shifting) or ROLLING."
  }

  validation {
    condition = alltrue([for size in [var.deployment.canary_size, var.deployment.linear_step_size, var.deployment.rolling_batch_size, var.deployment.rollback_batch_size] :
      size == null ? true : try(
      contains(["CAPACITY_PERCENT", "INSTANCE_COUNT"], size.type) && size.value >= 1 && floor(size.value) == size.value, false)
    ])
    error_message = "deployment sizes need type CAPACITY_PERCENT or INSTANCE_COUNT and a whole value of 1 or more."
  }

  validation {
    condition     = var.deployment.canary_size.type != "CAPACITY_PERCENT" || var.deployment.canary_size.value <= 50
    error_message = "deployment.canary_size must be at most 50% of the fleet (CAPACITY_PERCENT 1-50)."
  }

  validation {
    condition     = var.deployment.linear_step_size.type != "CAPACITY_PERCENT" || (var.deployment.linear_step_size.value >= 10 && var.deployment.linear_step_size.value <= 50)
    error_message = "deployment.linear_step_size must be 10-50% of the fleet (CAPACITY_PERCENT 10-50)."
  }

  validation {
    condition     = var.deployment.rolling_batch_size.type != "CAPACITY_PERCENT" || (var.deployment.rolling_batch_size.value >= 5 && var.deployment.rolling_batch_size.value <= 50)
    error_message = "deployment.rolling_batch_size must be 5-50% of the fleet (CAPACITY_PERCENT 5-50)."
  }

  validation {
    condition     = var.deployment.rollback_batch_size == null || try(var.deployment.rollback_batch_size.type != "CAPACITY_PERCENT" || var.deployment.rollback_batch_size.value <= 100, false)
    error_message = "deployment.rollback_batch_size must be at most 100% of the fleet."
  }

  validation {
    condition     = var.deployment.wait_interval_in_seconds >= 0 && var.deployment.wait_interval_in_seconds <= 3600 && var.deployment.termination_wait_in_seconds >= 0 && var.deployment.termination_wait_in_seconds <= 3600
    error_message = "deployment.wait_interval_in_seconds and termination_wait_in_seconds must be 0-3600 seconds."
  }

  validation {
    condition     = var.deployment.maximum_execution_timeout_in_seconds >= 600 && var.deployment.maximum_execution_timeout_in_seconds <= 14400
    error_message = "deployment.maximum_execution_timeout_in_seconds must be 600-14400 seconds (10 minutes to 4 hours)."
  }

  validation {
    condition     = length(var.deployment.extra_rollback_alarm_names) <= 7 && alltrue([for a in var.deployment.extra_rollback_alarm_names : length(a) >= 1 && length(a) <= 255])
    error_message = "deployment.extra_rollback_alarm_names may name at most 7 alarms (SageMaker watches at most 10 and the module creates 3), each 1-255 characters."
  }
}

variable "rollback_alarms" {
  description = <<-EOT
    Thresholds of the three alarms the module creates and SageMaker watches during every update (a firing alarm
    rolls the update back): the 5xx and 4xx error rates of the endpoint in percent (all variants, old and new
    fleet), and the p99 ModelLatency of the new endpoint configuration in milliseconds (the worst variant).
    Evaluated over evaluation_periods periods of period_seconds (null: 3 of 60 s, from definition.json, as
    launchpad's deploy engine does); alarm_actions (e.g. an SNS topic ARN) are
    notified too.
  EOT
  type = object({
    error_5xx_rate_percent = optional(number, 1)
    error_4xx_rate_percent = optional(number, 5)
    model_latency_p99_ms   = optional(number, 1000)
    period_seconds         = optional(number)
    evaluation_periods     = optional(number)
    alarm_actions          = optional(list(string), [])
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.rollback_alarms.error_5xx_rate_percent > 0 && var.rollback_alarms.error_5xx_rate_percent < 100 && var.rollback_alarms.error_4xx_rate_percent > 0 && var.rollback_alarms.error_4xx_rate_percent < 100
    error_message = "rollback_alarms error rates must be percentages above 0 and below 100."
  }

  validation {
    condition     = var.rollback_alarms.model_latency_p99_ms > 0
    error_message = "rollback_alarms.model_latency_p99_ms must be above 0."
  }

  validation {
    condition     = var.rollback_alarms.period_seconds == null || try(contains([10, 30], var.rollback_alarms.period_seconds) || (var.rollback_alarms.period_seconds >= 60 && var.rollback_alarms.period_seconds % 60 == 0), false)
    error_message = "rollback_alarms.period_seconds must be 10, 30 or a multiple of 60 (the periods CloudWatch alarms accept)."
  }

  validation {
    condition     = var.rollback_alarms.evaluation_periods == null || try(var.rollback_alarms.evaluation_periods >= 1 && floor(var.rollback_alarms.evaluation_periods) == var.rollback_alarms.evaluation_periods, false)
    error_message = "rollback_alarms.evaluation_periods must be a whole number, 1 or more."
  }
}

variable "autoscaling" {
  description = <<-EOT
    Application Auto Scaling for every instance-based variant (serverless variants scale by themselves).
    min_capacity / max_capacity default to the variant's initial_instance_count and 4 times that.
    target_invocations_per_instance is the target of the SageMakerVariantInvocationsPerInstance target-tracking
    policy (invocations per instance per minute); derive it from a load test: the highest requests per second one
    instance sustains within your latency objective x 60 x a safety factor of about 0.5 (see the README).
    Asynchronous endpoints track target_backlog_per_instance (ApproximateBacklogSizePerInstance) instead.
    The cooldowns default (null) to 300 s in and 60 s out (definition.json, as launchpad's deploy engine).
    utilization optionally adds a CPUUtilization or GPUUtilization target-tracking policy.
    off_hours, for non-production stages, lowers min/max on a schedule (scale_down_cron) and restores them
    (scale_up_cron): cron expressions in Application Auto Scaling's cron(...) form, in timezone.
  EOT
  type = object({
    enabled                         = optional(bool, true)
    min_capacity                    = optional(number)
    max_capacity                    = optional(number)
    target_invocations_per_instance = optional(number, 100)
    target_backlog_per_instance     = optional(number, 5)
    scale_in_cooldown_seconds       = optional(number)
    scale_out_cooldown_seconds      = optional(number)
    utilization = optional(object({
      metric         = string
      target_percent = number
    }))
    off_hours = optional(object({
      scale_down_cron = string
      scale_up_cron   = string
      timezone        = optional(string, "UTC")
      min_capacity    = optional(number, 1)
      max_capacity    = optional(number, 1)
    }))
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([for c in [var.autoscaling.min_capacity, var.autoscaling.max_capacity] : c == null ? true : try(c >= 1 && floor(c) == c, false)]) && (
      var.autoscaling.min_capacity == null || var.autoscaling.max_capacity == null || try(var.autoscaling.min_capacity <= var.autoscaling.max_capacity, false)
    )
    error_message = "autoscaling.min_capacity and max_capacity must be whole numbers of 1 or more, with min_capacity <= max_capacity."
  }

  validation {
    condition     = var.autoscaling.target_invocations_per_instance > 0 && var.autoscaling.target_backlog_per_instance > 0
    error_message = "autoscaling.target_invocations_per_instance and target_backlog_per_instance must be above 0."
  }

  validation {
    condition     = alltrue([for c in [var.autoscaling.scale_in_cooldown_seconds, var.autoscaling.scale_out_cooldown_seconds] : c == null ? true : try(c >= 0, false)])
    error_message = "autoscaling cooldowns must be 0 seconds or more."
  }

  validation {
    condition     = var.autoscaling.utilization == null || try(contains(["CPUUtilization", "GPUUtilization"], var.autoscaling.utilization.metric) && var.autoscaling.utilization.target_percent > 0, false)
    error_message = "autoscaling.utilization.metric must be CPUUtilization or GPUUtilization, with a target_percent above 0."
  }

  validation {
    condition = var.autoscaling.off_hours == null || try(
      can(regex("^cron\\(.+\\)$", var.autoscaling.off_hours.scale_down_cron)) && can(regex("^cron\\(.+\\)$", var.autoscaling.off_hours.scale_up_cron))
      && var.autoscaling.off_hours.min_capacity >= 1 && var.autoscaling.off_hours.min_capacity <= var.autoscaling.off_hours.max_capacity,
    false)
    error_message = "autoscaling.off_hours needs scale_down_cron and scale_up_cron as cron(...) expressions and 1 <= min_capacity <= max_capacity."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of the module."
  type        = map(string)
  default     = {}
  nullable    = false
}
