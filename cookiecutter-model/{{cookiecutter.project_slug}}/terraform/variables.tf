# -- the project and its stage ------------------------------------------------------------------------------------
variable "project" {
  description = "The model project's name on the platform (terraform/platform's model_projects key): names the endpoints <project>-dev, -staging and -production."
  type        = string
  default     = "{{ cookiecutter.__project }}"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.project))
    error_message = "project must be 3-24 lowercase letters, digits and hyphens, starting with a letter (the platform's model project names)."
  }
}

variable "stage" {
  description = "The stage this state is: dev, staging or prod (envs/<stage>.tfvars)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.stage)
    error_message = "stage must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region of the endpoint."
  type        = string
  default     = "{{ cookiecutter.aws_region }}"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "owner" {
  description = "The owning team: the owner tag of every resource."
  type        = string
  default     = "{{ cookiecutter.owner_team }}"

  validation {
    condition     = length(trimspace(var.owner)) > 0
    error_message = "owner must not be empty (the owner tag is required on every resource)."
  }
}

variable "cost_center" {
  description = "The cost center to bill: the cost-center tag of every resource."
  type        = string
  default     = "{{ cookiecutter.cost_center }}"

  validation {
    condition     = length(trimspace(var.cost_center)) > 0
    error_message = "cost_center must not be empty (the cost-center tag is required on every resource)."
  }
}

variable "data_classification" {
  description = "The highest class of data the endpoint handles: the data-classification tag (phi demands customer-managed keys everywhere)."
  type        = string
  default     = "{{ cookiecutter.data_classification }}"

  validation {
    condition     = contains(["public", "internal", "confidential", "pii", "phi"], var.data_classification)
    error_message = "data_classification must be one of public, internal, confidential, pii, phi (lowercase)."
  }
}

# -- who owns the endpoint ----------------------------------------------------------------------------------------
variable "manage_endpoint" {
  description = "true: this stack creates and updates the endpoint (module.endpoint). false: launchpad deploy owns it (deploy/config/<stage>.yaml) and this stack only monitors it. One owner per endpoint, never both."
  type        = bool
  default     = false
  nullable    = false
}

# -- what the platform gives this project (terraform/platform outputs) ---------------------------------------------
variable "execution_role_arn" {
  description = "The project's SageMaker execution role: model_projects[<project>].sagemaker_role_arn of the platform stack."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN, arn:aws:iam::<account>:role/<name>."
  }
}

variable "model_kms_key_arn" {
  description = "The platform's models key (kms_key_arns.models): model artifacts and the endpoint's volumes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.model_kms_key_arn))
    error_message = "model_kms_key_arn must be a KMS key ARN (not an alias): arn:aws:kms:<region>:<account>:key/<id>."
  }
}

variable "capture_kms_key_arn" {
  description = "The platform's capture key (kms_key_arns.capture): captured requests and responses and async results, which SageMaker writes to the data-capture bucket. That bucket refuses any other key."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.capture_kms_key_arn))
    error_message = "capture_kms_key_arn must be a KMS key ARN (not an alias): arn:aws:kms:<region>:<account>:key/<id>."
  }
}

variable "logs_kms_key_arn" {
  description = "The platform's logs key (kms_key_arns.logs): the endpoint's log group; CloudWatch Logs and CloudWatch may use it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN (not an alias): arn:aws:kms:<region>:<account>:key/<id>."
  }
}

variable "monitoring_topic_arn" {
  description = "The platform's monitoring topic (monitoring_topic_arn): every alarm of the endpoint notifies it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.monitoring_topic_arn))
    error_message = "monitoring_topic_arn must be an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>."
  }
}

variable "vpc_id" {
  description = "The platform's VPC (vpc_id), where the model containers' security group lives. null for a serverless stage."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id, vpc-<8-17 hex digits>, or null."
  }
}

variable "vpc_cidr_block" {
  description = "The VPC's IPv4 CIDR block: the only place the model containers may send HTTPS to."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be an IPv4 CIDR block, e.g. 10.20.0.0/16."
  }
}

variable "vpc_subnet_ids" {
  description = "The platform's private subnets (private_subnet_ids) the model containers run in. Empty for a serverless stage."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.vpc_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "vpc_subnet_ids must be subnet ids, subnet-<8-17 hex digits>."
  }
}

variable "create_log_group" {
  description = "Create the endpoint's log group /aws/sagemaker/Endpoints/<endpoint> (KMS, retention). The platform creates those of <project>-staging and -production: true only for dev."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Retention of the log group this stack creates, in days (365 or more: launchpad's policy CKV_LP_011)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch Logs retention of at least a year: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

# -- the model and how it runs ------------------------------------------------------------------------------------
variable "image_uri" {
  description = "The serving image (built from the project's Dockerfile) in ECR, with a tag or digest."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]{1,128}|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or digest, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-model:0.1.0."
  }
}

variable "model_data_url" {
  description = "The model.tar.gz in the platform's model-artifacts bucket (build/model.tar.gz of `make package`)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.tar\\.gz$", var.model_data_url))
    error_message = "model_data_url must be the s3:// URI of a .tar.gz."
  }
}

variable "instance_type" {
  description = "Instance type of the endpoint (ignored for a serverless stage); in the platform's allow-list (policies/config.yaml)."
  type        = string
  default     = "{{ cookiecutter.instance_type }}"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_type)) && !startswith(var.instance_type, "ml.inf1.")
    error_message = "instance_type must be ml.<family>.<size>, and not ml.inf1 (it has no deployment guardrails)."
  }
}

variable "instance_count" {
  description = "Instances at start (ignored for a serverless stage). CANARY, LINEAR and ROLLING need 2 or more."
  type        = number
  default     = 2

  validation {
    condition     = var.instance_count >= 1 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number, 1 or more."
  }
}

variable "serverless" {
  description = "Serverless Inference instead of instances: memory_size_in_mb (1024-6144 in steps of 1024) and max_concurrency (1-200). null runs on instances."
  type = object({
    memory_size_in_mb = number
    max_concurrency   = number
  })
  default = null

  validation {
    condition     = var.serverless == null || try(contains([1024, 2048, 3072, 4096, 5120, 6144], var.serverless.memory_size_in_mb) && var.serverless.max_concurrency >= 1 && var.serverless.max_concurrency <= 200, false)
    error_message = "serverless needs memory_size_in_mb of 1024, 2048, 3072, 4096, 5120 or 6144 and max_concurrency of 1-200."
  }
}

variable "enable_network_isolation" {
  description = "Run the model containers with no network access at all. On; a serverless stage must turn it off (Serverless Inference does not support it)."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.serverless == null || !var.enable_network_isolation
    error_message = "enable_network_isolation must be false for a serverless stage: Serverless Inference does not support network isolation."
  }
}

variable "data_capture_s3_uri" {
  description = "Where requests and responses are captured: an s3:// prefix in the platform's data-capture bucket. Serverless stages capture nothing."
  type        = string
  default     = null

  validation {
    condition     = var.data_capture_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.data_capture_s3_uri))
    error_message = "data_capture_s3_uri must be an s3:// prefix, or null."
  }
}

variable "data_capture_sampling_percentage" {
  description = "Share of the requests captured, 1-100."
  type        = number
  default     = 100

  validation {
    condition     = var.data_capture_sampling_percentage >= 1 && var.data_capture_sampling_percentage <= 100
    error_message = "data_capture_sampling_percentage must be 1 to 100."
  }
}

variable "cpu_alarm_percent" {
  description = "CPU utilisation that raises the monitoring alarm, summed over the instance's vCPUs (160 = 80% of a 2-vCPU ml.m5.large)."
  type        = number
  default     = 160

  validation {
    condition     = var.cpu_alarm_percent > 0
    error_message = "cpu_alarm_percent must be above 0."
  }
}

# -- how an update rolls out, and when it rolls back ----------------------------------------------------------------
variable "deployment_strategy" {
  description = "ALL_AT_ONCE (dev), or CANARY, LINEAR or ROLLING (staging and prod: one instance at a time, rolled back on an alarm)."
  type        = string

  validation {
    condition     = contains(["ALL_AT_ONCE", "CANARY", "LINEAR", "ROLLING"], var.deployment_strategy)
    error_message = "deployment_strategy must be ALL_AT_ONCE, CANARY, LINEAR or ROLLING."
  }
}

variable "step_instances" {
  description = "Instances each canary, linear step or rolling batch moves (at most half the fleet)."
  type        = number
  default     = 1

  validation {
    condition     = var.step_instances >= 1 && floor(var.step_instances) == var.step_instances
    error_message = "step_instances must be a whole number, 1 or more."
  }
}

variable "wait_interval_in_seconds" {
  description = "Baking time of each step, 0-3600 s: the rollback alarms are watched meanwhile."
  type        = number
  default     = 300

  validation {
    condition     = var.wait_interval_in_seconds >= 0 && var.wait_interval_in_seconds <= 3600
    error_message = "wait_interval_in_seconds must be 0 to 3600."
  }
}

variable "termination_wait_in_seconds" {
  description = "How long the old fleet is kept after the traffic moved, 0-3600 s."
  type        = number
  default     = 300

  validation {
    condition     = var.termination_wait_in_seconds >= 0 && var.termination_wait_in_seconds <= 3600
    error_message = "termination_wait_in_seconds must be 0 to 3600."
  }
}

variable "maximum_execution_timeout_in_seconds" {
  description = "Upper bound of a whole update, 600-14400 s; must exceed the rollout's waits."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_execution_timeout_in_seconds >= 600 && var.maximum_execution_timeout_in_seconds <= 14400
    error_message = "maximum_execution_timeout_in_seconds must be 600 to 14400."
  }
}

variable "rollback_thresholds" {
  description = "The rollback alarms (and the monitoring alarms): 5xx and 4xx error rates in percent, p99 model latency in milliseconds."
  type = object({
    error_5xx_rate_percent = number
    error_4xx_rate_percent = number
    model_latency_p99_ms   = number
  })
  default = {
    error_5xx_rate_percent = 1
    error_4xx_rate_percent = 5
    model_latency_p99_ms   = {{ 8000 if cookiecutter.__rag == 'yes' else 2000 if cookiecutter.__llm == 'yes' else 300 }}
  }
  nullable = false

  validation {
    condition     = alltrue([for v in [var.rollback_thresholds.error_5xx_rate_percent, var.rollback_thresholds.error_4xx_rate_percent] : v > 0 && v < 100]) && var.rollback_thresholds.model_latency_p99_ms > 0
    error_message = "rollback_thresholds: error rates must be above 0 and below 100 (percent), model_latency_p99_ms above 0."
  }
}

variable "autoscaling" {
  description = "Target tracking on invocations per instance per minute (asynchronous endpoints: on the queue backlog). A guarded strategy needs min_capacity >= 2."
  type = object({
    enabled                         = optional(bool, true)
    min_capacity                    = optional(number)
    max_capacity                    = optional(number)
    target_invocations_per_instance = optional(number, 100)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.autoscaling.min_capacity == null || var.autoscaling.max_capacity == null || try(var.autoscaling.min_capacity <= var.autoscaling.max_capacity, false)
    error_message = "autoscaling.min_capacity must not exceed max_capacity."
  }
}
