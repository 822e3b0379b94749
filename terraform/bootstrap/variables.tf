variable "name" {
  description = "Name prefix of everything the stack creates (lowercase letters, digits and hyphens). The buckets are <name>-<account-id>-tfstate and <name>-<account-id>-access-logs, the key alias alias/<name>-tfstate, the lock table <name>-tflock."
  type        = string
  default     = "launchpad"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 3-24 characters of lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit (it becomes part of S3 bucket names, a KMS alias and a DynamoDB table name)."
  }
}

variable "region" {
  description = "AWS region of the state store (the buckets, key and lock table); written into every backend configuration."
  type        = string
  default     = "eu-west-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1, us-east-2 or us-gov-west-1."
  }
}

variable "environments" {
  description = "Environments that keep their Terraform state in this store; backend_configs has one backend.hcl text per environment, with the state key <environment>/<state_file_name>."
  type        = list(string)
  default     = ["dev", "staging", "prod"]
  nullable    = false

  validation {
    condition     = length(var.environments) >= 1
    error_message = "environments must name at least one environment."
  }

  validation {
    condition     = alltrue([for env in var.environments : can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", env))])
    error_message = "environments must contain names of 1-32 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit (each becomes the first segment of a state key)."
  }

  validation {
    condition     = length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must not repeat a name: two environments sharing one state key would overwrite each other's state."
  }
}

variable "state_file_name" {
  description = "Name of the state object under each environment's prefix: the backend key is <environment>/<state_file_name>."
  type        = string
  default     = "platform.tfstate"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\.tfstate$", var.state_file_name))
    error_message = "state_file_name must be a file name ending in .tfstate (at most 108 characters of letters, digits, '.', '_' and '-', no '/'), for example platform.tfstate."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted state version is kept before S3 expires it. Every apply writes a new version; these are what a corrupted or wrongly overwritten state is recovered from, so keep it long enough to notice the damage."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 30 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days between 30 and 3650: less than 30 leaves too little time to notice and recover a damaged state."
  }
}

variable "access_log_expiration_days" {
  description = "Days S3 server access logs of the state bucket are kept before they expire (default 2190, six years, the HIPAA documentation retention period). null keeps them forever; access logs hold IP addresses and principals, so GDPR storage limitation argues for a bound."
  type        = number
  default     = 2190

  validation {
    condition     = var.access_log_expiration_days == null || try(var.access_log_expiration_days >= 90 && var.access_log_expiration_days <= 3650 && floor(var.access_log_expiration_days) == var.access_log_expiration_days, false)
    error_message = "access_log_expiration_days must be null (keep forever) or a whole number of days between 90 and 3650."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the state and access-log buckets with every object version in them. Off by default: the state bucket holds every environment's state. Only tests and throwaway accounts set it."
  type        = bool
  default     = false
  nullable    = false
}

variable "create_dynamodb_lock_table" {
  description = "Also create a DynamoDB lock table (LockID hash key, on-demand, SSE with the state key, point-in-time recovery) and name it in the backend configurations. Off by default: use_lockfile (an S3 lockfile, Terraform >= 1.10) needs no table. Turn it on only while some users still run Terraform < 1.10 or during a migration away from DynamoDB locking (README.md)."
  type        = bool
  default     = false
  nullable    = false
}

variable "enable_lock_table_deletion_protection" {
  description = "Protect the DynamoDB lock table (when created) from deletion. On by default; turn it off explicitly (and apply) before removing the table."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, between scheduling the state key for deletion and its deletion. Without the key, no state version can be read: keep the longest window."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number between 7 and 30 (the range KMS accepts)."
  }
}

variable "kms_administrator_arns" {
  description = "IAM roles or users of this account that may administer the state key (no cryptographic use). Empty: administration only through IAM policies of this account (the key policy's account statement)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.kms_administrator_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "kms_administrator_arns must contain only IAM role or user ARNs of the form arn:<partition>:iam::<account-id>:role/<name> (or :user/<name>); wildcards are not allowed."
  }
}

variable "kms_user_arns" {
  description = "IAM roles or users of this account that run Terraform against this state store and so encrypt and decrypt with the state key (named in the key policy). Empty: key use only through IAM policies of this account."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.kms_user_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "kms_user_arns must contain only IAM role or user ARNs of the form arn:<partition>:iam::<account-id>:role/<name> (or :user/<name>); wildcards are not allowed."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource. launchpad policy (CKV_LP_009) requires owner, cost-center and data-classification (public, internal, confidential, pii or phi; policies/config.yaml)."
  type        = map(string)
  default = {
    Project             = "launchpad"
    Stack               = "bootstrap"
    owner               = "platform-team"
    cost-center         = "ml-platform"
    data-classification = "confidential" # Terraform state holds resource attributes, some of them secret
  }
  nullable = false
}
