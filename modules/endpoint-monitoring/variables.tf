variable "name" {
  description = "Name prefix of everything the module creates: alarms are named <name>-<variant>-<kind>, the SNS topic <name>-alarms and the dashboard <name>-endpoint. Null (the default): endpoint_name."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", var.name))
    error_message = "name must be 1-64 characters of A-Z, a-z, 0-9, '-' and '_', starting with a letter or digit (it prefixes alarm, SNS topic and dashboard names; dashboard names allow only these characters)."
  }
}

variable "endpoint_name" {
  description = "Name of the SageMaker endpoint to monitor, as a plain string (not an output of the endpoint module: the endpoint must be created after this module, see the README). The endpoint does not need to exist yet."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must follow the SageMaker endpoint naming rule ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "variants" {
  description = <<-EOT
    Production variants of the endpoint, each monitored on its own (CloudWatch dimensions EndpointName + VariantName).
    `serverless = true` for a serverless variant (no instance metrics, so no CPU/memory/disk/GPU alarms);
    `gpu = true` for an instance variant on a GPU instance type (adds GPUUtilization and GPUMemoryUtilization alarms).
    The optional `cpu_utilization_percent`, `gpu_utilization_percent` and `gpu_memory_utilization_percent` override
    the matching `thresholds` for this variant: CPU and GPU utilisation are summed over the cores/GPUs of an instance
    (0-100% x cores), so the right threshold depends on the instance type of each variant.
  EOT
  type = list(object({
    name                           = string
    serverless                     = optional(bool, false)
    gpu                            = optional(bool, false)
    cpu_utilization_percent        = optional(number)
    gpu_utilization_percent        = optional(number)
    gpu_memory_utilization_percent = optional(number)
  }))
  nullable = false

  validation {
    condition     = length(var.variants) >= 1 && length(var.variants) <= 10
    error_message = "variants must list between 1 and 10 production variants (the SageMaker limit per endpoint)."
  }

  validation {
    condition     = alltrue([for v in var.variants : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", v.name))])
    error_message = "variants[*].name must follow the SageMaker variant naming rule ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = length(distinct([for v in var.variants : v.name])) == length(var.variants)
    error_message = "variants[*].name must be unique: each production variant of an endpoint has its own name."
  }

  validation {
    condition     = alltrue([for v in var.variants : !(v.gpu == true && v.serverless == true)])
    error_message = "A variant cannot be both gpu and serverless: serverless variants run on CPU only."
  }

  validation {
    condition = alltrue([
      for v in var.variants : alltrue([
        for t in [v.cpu_utilization_percent, v.gpu_utilization_percent, v.gpu_memory_utilization_percent] : t == null || try(t > 0, false)
      ])
    ])
    error_message = "variants[*].cpu_utilization_percent, gpu_utilization_percent and gpu_memory_utilization_percent must be greater than 0 when set (they are sums over cores/GPUs, so they may exceed 100)."
  }

  validation {
    condition = alltrue([
      for v in var.variants : (v.serverless != true || v.cpu_utilization_percent == null) && (v.gpu == true || (v.gpu_utilization_percent == null && v.gpu_memory_utilization_percent == null))
    ])
    error_message = "variants[*]: cpu_utilization_percent applies only to instance variants (serverless = false), and gpu_utilization_percent / gpu_memory_utilization_percent only to GPU variants (gpu = true)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the SNS alarm topic and the endpoint log group. Its key policy must let cloudwatch.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt: CloudWatch encrypts the alarm notifications it publishes) and logs.<region>.amazonaws.com (the log group); with modules/kms, put both in service_principals."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>); aliases are not accepted by CloudWatch Logs."
  }
}

variable "sns_topic_arn" {
  description = "ARN of an existing SNS topic to send alarm and OK notifications to. Null (the default) makes the module create <name>-alarms, encrypted with kms_key_arn. An existing topic must be KMS-encrypted with a key CloudWatch may use, and its policy must let cloudwatch.amazonaws.com publish: the module does not change it."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be null or a standard SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>); FIFO topics cannot receive alarm notifications."
  }
}

variable "alarm_name_prefixes" {
  description = "Name prefixes of other CloudWatch alarms of this account and region that may publish to the topic this module creates, besides its own (<name>-*): e.g. the endpoint's rollback alarms, [\"churn-prod-rollback-\"]. Names, not ARNs: the module builds the ARNs. Only with the topic this module creates (sns_topic_arn = null)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.alarm_name_prefixes : can(regex("^[^*:]{1,254}$", p))])
    error_message = "alarm_name_prefixes must each be the start of an alarm name: 1-254 characters, without '*' (the module adds it) or ':' (a name, not an ARN)."
  }
}

variable "topic_subscriptions" {
  description = "Subscriptions to the topic this module creates (see modules/sns-topic: e-mail, https, SQS, Lambda or SMS; plain http is refused). An existing topic (sns_topic_arn) keeps the subscriptions its owner manages, so this must then be empty."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false
}

variable "thresholds" {
  description = <<-EOT
    Alarm thresholds; every attribute is optional.
    - `error_5xx_rate_percent` / `error_4xx_rate_percent`: alarm when 100 * Invocation5XXErrors (4XX) / Invocations, summed over a period, is above this (default 1 and 5).
    - `model_latency_ms` / `overhead_latency_ms`: alarm when ModelLatency / OverheadLatency at latency_percentile is above this many MILLIseconds (default 1000 and 100). SageMaker publishes both in MICROseconds; the module multiplies by 1000.
    - `cpu_utilization_percent` (default 80), `gpu_utilization_percent` (default 80), `gpu_memory_utilization_percent` (default 80): SUMS over the vCPUs / GPUs of an instance (0-100% x cores), so 80 means 80% of ONE core: scale to the instance type (for example 320 = 80% of a 4-vCPU instance), or override per variant in `variants`.
    - `memory_utilization_percent` / `disk_utilization_percent`: 0-100% of the instance (default 80).
  EOT
  type = object({
    error_5xx_rate_percent         = optional(number, 1)
    error_4xx_rate_percent         = optional(number, 5)
    model_latency_ms               = optional(number, 1000)
    overhead_latency_ms            = optional(number, 100)
    cpu_utilization_percent        = optional(number, 80)
    memory_utilization_percent     = optional(number, 80)
    disk_utilization_percent       = optional(number, 80)
    gpu_utilization_percent        = optional(number, 80)
    gpu_memory_utilization_percent = optional(number, 80)
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for t in [var.thresholds.error_5xx_rate_percent, var.thresholds.error_4xx_rate_percent] : t != null && try(t > 0 && t < 100, false)
    ])
    error_message = "thresholds.error_5xx_rate_percent and thresholds.error_4xx_rate_percent must be greater than 0 and less than 100 (percent of invocations)."
  }

  validation {
    condition = alltrue([
      for t in [var.thresholds.model_latency_ms, var.thresholds.overhead_latency_ms] : t != null && try(t > 0, false)
    ])
    error_message = "thresholds.model_latency_ms and thresholds.overhead_latency_ms must be greater than 0 (milliseconds)."
  }

  validation {
    condition = alltrue([
      for t in [var.thresholds.memory_utilization_percent, var.thresholds.disk_utilization_percent] : t != null && try(t > 0 && t < 100, false)
    ])
    error_message = "thresholds.memory_utilization_percent and thresholds.disk_utilization_percent must be greater than 0 and less than 100 (percent of the instance)."
  }

  validation {
    condition = alltrue([
      for t in [var.thresholds.cpu_utilization_percent, var.thresholds.gpu_utilization_percent, var.thresholds.gpu_memory_utilization_percent] : t != null && try(t > 0, false)
    ])
    error_message = "thresholds.cpu_utilization_percent, gpu_utilization_percent and gpu_memory_utilization_percent must be greater than 0 (sums over cores/GPUs: up to 100 x the number of vCPUs/GPUs)."
  }
}

variable "latency_percentile" {
  description = "Percentile of ModelLatency and OverheadLatency the latency alarms and the dashboard use: p50, p90, p95 or p99."
  type        = string
  default     = "p99"
  nullable    = false

  validation {
    condition     = contains(["p50", "p90", "p95", "p99"], var.latency_percentile)
    error_message = "latency_percentile must be one of p50, p90, p95, p99."
  }
}

variable "period_seconds" {
  description = "Period, in seconds, over which every alarm aggregates its metrics: 10, 30 or a multiple of 60. SageMaker publishes invocation metrics every 60 s unless the endpoint config enables enhanced metrics with a shorter MetricPublishFrequencyInSeconds; a 10 or 30 s period on 60 s data leaves most periods empty (and costs high-resolution alarm prices)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = contains([10, 30], var.period_seconds) || (var.period_seconds >= 60 && var.period_seconds % 60 == 0)
    error_message = "period_seconds must be 10, 30 or a multiple of 60 (the periods CloudWatch alarms accept)."
  }
}

variable "evaluation_periods" {
  description = "Number of most recent periods each alarm evaluates (the N of \"M out of N\"). period_seconds x evaluation_periods may not exceed one day (seven days when period_seconds >= 3600)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number of at least 1."
  }
}

variable "datapoints_to_alarm" {
  description = "Number of breaching periods, among the last evaluation_periods, that put an alarm in ALARM (the M of \"M out of N\"); must not exceed evaluation_periods."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.datapoints_to_alarm >= 1 && floor(var.datapoints_to_alarm) == var.datapoints_to_alarm
    error_message = "datapoints_to_alarm must be a whole number of at least 1."
  }
}

variable "enable_anomaly_alarm" {
  description = "Create, per variant, an anomaly-detection alarm on Invocations (traffic outside the expected band, too low or too high). On by default."
  type        = bool
  default     = true
  nullable    = false
}

variable "anomaly_band_width" {
  description = "Width of the Invocations anomaly-detection band, in standard deviations (the second argument of ANOMALY_DETECTION_BAND). Larger is less sensitive."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.anomaly_band_width > 0 && var.anomaly_band_width <= 100
    error_message = "anomaly_band_width must be greater than 0 and at most 100 (standard deviations)."
  }
}

variable "create_dashboard" {
  description = "Create a CloudWatch dashboard <name>-endpoint for the endpoint (invocations, error rates, latency percentiles, utilisation, per variant)."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_log_group" {
  description = "Create the log group SageMaker writes the endpoint's container logs to, /aws/sagemaker/Endpoints/<endpoint_name>, encrypted with kms_key_arn and with log_retention_in_days. On by default: otherwise SageMaker creates it itself, unencrypted and never expiring. The endpoint must be created after this module (depends_on)."
  type        = bool
  default     = true
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Retention of the endpoint log group, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the values CloudWatch Logs accepts; never-expiring retention is not offered)."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource the module creates (alarms, SNS topic, log group)."
  type        = map(string)
  default     = {}
  nullable    = false
}
