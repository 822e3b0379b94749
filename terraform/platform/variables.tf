variable "name" {
  description = "Name prefix of everything the stack creates (lowercase letters, digits and hyphens), e.g. \"acme-ml-prod\"."
  type        = string
  default     = "lp-platform"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name))
    error_message = "name must be 3-20 characters of lowercase letters, digits and hyphens, starting with a letter (bucket names add the account id and a suffix)."
  }
}

variable "environment" {
  description = "The environment this stack is: dev, staging, prod or sandbox (tags every resource)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod", "sandbox"], var.environment)
    error_message = "environment must be one of dev, staging, prod, sandbox."
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "availability_zones" {
  description = "Zone letters of the private subnets (two or three), appended to the region."
  type        = list(string)
  default     = ["a", "b"]
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3 && alltrue([for z in var.availability_zones : can(regex("^[a-f]$", z))])
    error_message = "availability_zones must be two or three zone letters (a-f)."
  }
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.20.0.0/16"
}

variable "log_retention_in_days" {
  description = "Retention of every log group (flow logs, endpoints, builds), in days. HIPAA asks for six years (2192) of audit records in production."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, 1 or more."
  }
}

variable "pipeline_artifact_retention_days" {
  description = "Days pipeline artifacts are kept."
  type        = number
  default     = 90
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a deleted KMS key is gone (7-30 days): the time left to notice and cancel a mistaken deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete non-empty buckets. Never in production; sandboxes and tests set it."
  type        = bool
  default     = false
}

variable "force_delete_repositories" {
  description = "Let terraform destroy delete the model projects' ECR repositories with their images. Never in production; sandboxes and tests set it."
  type        = bool
  default     = false
}

variable "require_production_approval" {
  description = "Put a manual approval before every production deploy. On by default; only dev turns it off."
  type        = bool
  default     = true
}

variable "codebuild_in_vpc" {
  description = "Run the pipelines' CodeBuild steps in the private subnets. The network has no internet route: the builds then need a package mirror reachable from it (e.g. CodeArtifact through a VPC endpoint)."
  type        = bool
  default     = false
}

variable "codebuild_build_image" {
  description = "Run each pipeline's CodeBuild steps in its model project's build image (model_projects' build_image_tag) from the platform's ECR repository <project>-build, which the stack makes (immutable tags, scan on push, the pipeline key): launchpad, the project's pinned dependencies, checkov and Terraform are already installed, so builds without internet (codebuild_in_vpc, no NAT) download nothing. The steps' roles pull it themselves (SERVICE_ROLE), from that repository only. false (default): AWS's curated image, and each build installs from the package index."
  type        = bool
  default     = false
  nullable    = false
}

variable "codebuild_deploy_timeout_minutes" {
  description = "CodeBuild timeout of the pipelines' deploy steps, which wait for the rollout, its bake and a possible guard rollback (5-2160). The default, 180, covers the baked project's prod config (3600 s maximum execution + 900 s bake + 3600 s rollback = 135 minutes) and its setup; launchpad deploy refuses a stage config whose worst case would outlast it."
  type        = number
  default     = 180
  nullable    = false

  validation {
    condition     = var.codebuild_deploy_timeout_minutes >= 5 && var.codebuild_deploy_timeout_minutes <= 2160 && floor(var.codebuild_deploy_timeout_minutes) == var.codebuild_deploy_timeout_minutes
    error_message = "codebuild_deploy_timeout_minutes must be a whole number between 5 and 2160 (the CodeBuild limits)."
  }
}

variable "terraform_state" {
  description = "The state store of terraform/bootstrap in this account (its outputs state_bucket_arn, kms_key_arn and lock_table_arn, null when the S3 lockfile locks), where model projects that deploy with Terraform (model_projects' deploys_with_terraform: asynchronous endpoints) keep <project>/staging.tfstate and <project>/prod.tfstate (the baked project's terraform/envs/<stage>.backend.hcl). Their deploy steps may then read and write their own stage's state and lock, nothing else of the bucket. Null: no project deploys with Terraform."
  type = object({
    bucket_arn     = string
    kms_key_arn    = string
    lock_table_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.terraform_state == null ? true : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.terraform_state.bucket_arn)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.terraform_state.kms_key_arn))
    error_message = "terraform_state must name the state bucket by ARN (state_bucket_arn, arn:<partition>:s3:::<bucket>) and its key by ARN (kms_key_arn, not an alias): terraform/bootstrap's outputs."
  }
}

variable "launchpad_version" {
  description = "The launchpad release the pipelines' builds install from this environment's model-artifacts bucket (s3://<bucket>/releases/launchpad/<version>/, put there by `launchpad release publish --bucket`), for builds without internet (codebuild_in_vpc). Set it to the version the model projects pin (requirements-launchpad.txt). Null (default): builds install launchpad from the projects' package index."
  type        = string
  default     = null

  validation {
    condition     = var.launchpad_version == null || can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)((a|b|rc)(0|[1-9][0-9]*))?$", coalesce(var.launchpad_version, "-")))
    error_message = "launchpad_version must be null or a launchpad release version: MAJOR.MINOR.PATCH, optionally with a pre-release (1.2.0rc1), without a \"v\"."
  }
}

variable "endpoint_instance_counts" {
  description = "Instance counts the deploy steps give this environment's endpoints (LP_MIN_INSTANCE_COUNT, LP_MAX_INSTANCE_COUNT): guarded rollouts need at least 2."
  type = object({
    min = number
    max = number
  })
  default = { min = 1, max = 2 }

  validation {
    condition     = var.endpoint_instance_counts.min >= 1 && var.endpoint_instance_counts.max >= var.endpoint_instance_counts.min && var.endpoint_instance_counts.max <= 100
    error_message = "endpoint_instance_counts must have 1 <= min <= max <= 100."
  }
}

variable "source_connection_arn" {
  description = "ARN of the CodeStar (CodeConnections) connection to the Git host, for model projects with a repository. Create and confirm it in the console first. Null when every project uses the S3 source."
  type        = string
  default     = null
}

variable "model_projects" {
  description = <<-EOT
    The model projects this environment serves, by name (3-24 lowercase letters, digits and hyphens). Each gets a
    model registry, a SageMaker execution role, staging and production endpoint log groups and a pipeline.
    repository ("owner/name" on the Git host of source_connection_arn) and branch; null repository uses an S3
    source (air-gapped). approver_emails get the production approval requests; approver_role_arns may approve
    model versions in the registry. build_image_tag: the tag of the project's build image in <project>-build
    (what `make push-build-image` printed), required when codebuild_build_image is true. deploys_with_terraform:
    the project's `make deploy` applies its terraform/ (asynchronous endpoints), with its state in
    terraform_state.
  EOT
  type = map(object({
    repository             = optional(string)
    branch                 = optional(string, "main")
    approver_emails        = optional(list(string), [])
    approver_role_arns     = optional(list(string), [])
    build_image_tag        = optional(string)
    deploys_with_terraform = optional(bool, false)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for p in keys(var.model_projects) : can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", p))])
    error_message = "model_projects keys must be 3-24 lowercase letters, digits and hyphens, starting with a letter."
  }

  validation {
    condition     = alltrue([for p in values(var.model_projects) : p.repository == null]) || var.source_connection_arn != null
    error_message = "a model project names a repository but source_connection_arn is null: set the CodeStar connection ARN, or drop the repository to use an S3 source."
  }

  validation {
    condition     = alltrue([for p in values(var.model_projects) : p.build_image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", p.build_image_tag))])
    error_message = "model_projects' build_image_tag must be an image tag (1-128 letters, digits, _ . -, not starting with . or -), e.g. the deps-<hash> that make push-build-image printed."
  }

  validation {
    condition     = !var.codebuild_build_image || alltrue([for p in values(var.model_projects) : p.build_image_tag != null])
    error_message = "codebuild_build_image is true, and a model project has no build_image_tag: set each project's to the tag of its build image in <project>-build (make push-build-image prints it), or set codebuild_build_image = false."
  }

  validation {
    condition     = var.terraform_state != null || !anytrue([for p in values(var.model_projects) : p.deploys_with_terraform])
    error_message = "a model project deploys_with_terraform, and terraform_state is null: set it to terraform/bootstrap's state_bucket_arn, kms_key_arn (and lock_table_arn, if that stack keeps a lock table) in this account, where the project's envs/<stage>.backend.hcl keep its state."
  }
}

variable "monitoring_subscriptions" {
  description = "Subscriptions to the monitoring topic (on-call e-mail, an https pager hook, ...)."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false
}

variable "tags" {
  description = "Tags applied to every resource (with Environment = environment), through the provider's default_tags. launchpad policy (CKV_LP_009) requires owner, cost-center and data-classification (public, internal, confidential, pii or phi; policies/config.yaml); phi also requires customer-managed keys (CKV_LP_010, CKV_LP_013)."
  type        = map(string)
  default = {
    Project             = "launchpad"
    Stack               = "platform"
    owner               = "platform-team"
    cost-center         = "ml-platform"
    data-classification = "phi" # the platform stores and serves protected health information
  }
}

variable "model_monitoring" {
  description = <<-EOT
    Watch each model project's production endpoint (modules/model-monitoring, docs/monitoring.md): a scheduled
    job over its data capture and feedback against the baseline of the model version it serves, which the
    deploy ships beside the version's artifact (s3://<model-artifacts>/<project>/<version>/baseline/), running the code under s3://<model-artifacts>/monitor/code/ (launchpad monitor
    bundle); alarms on drift, a silent monitor and the business KPIs; and the retrain trigger, which starts the
    project's pipeline after a drift or KPI alarm once `cooldown_hours` passed since its last retraining and
    `min_new_labels` labelled feedback records arrived. `alarm_time_scale` is for the sandbox only: it tags the
    alarms with the sandbox's clock (real seconds per AWS second; AWS ignores the tag). Null (default): off.
  EOT
  type = object({
    schedule_expression  = optional(string, "rate(1 hour)")
    window_minutes       = optional(number, 60)
    alarm_period_seconds = optional(number, 3600)
    cooldown_hours       = optional(number, 24)
    min_new_labels       = optional(number, 500)
    helpful_rate_minimum = optional(number)
    alarm_time_scale     = optional(number)
  })
  default = null

  validation {
    condition     = var.model_monitoring == null ? true : try(var.model_monitoring.alarm_time_scale == null || (var.model_monitoring.alarm_time_scale > 0 && var.model_monitoring.alarm_time_scale <= 1), false)
    error_message = "model_monitoring.alarm_time_scale must be null (real AWS) or a number in (0, 1]: the sandbox's real seconds per AWS second."
  }
}
