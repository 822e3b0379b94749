variable "name" {
  description = "Name of the key. The alias becomes alias/<name>; also used as the Name tag."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.name)) && !startswith(var.name, "aws")
    error_message = "name must be 1-250 characters of A-Z, a-z, 0-9, '/', '_' and '-', and must not start with \"aws\" (the alias alias/<name> must follow the KMS alias naming rules; alias/aws/ is reserved for AWS managed keys)."
  }
}

variable "description" {
  description = "Description of the key, shown in the KMS console. Defaults to \"Customer managed key <name>\"."
  type        = string
  default     = null

  validation {
    condition     = var.description == null || length(coalesce(var.description, " ")) <= 8192
    error_message = "description must be at most 8192 characters (the KMS limit)."
  }
}

variable "administrator_arns" {
  description = "ARNs of IAM roles or users in this account that may administer the key (policy, rotation, tags, aliases, enable/disable, scheduled deletion). Administrators get no cryptographic actions (no kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:CreateGrant)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for arn in var.administrator_arns :
      can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))
    ])
    error_message = "administrator_arns must contain only IAM role or user ARNs (arn:<partition>:iam::<12-digit account>:role/<name> or :user/<name>); wildcards such as \"*\" are not allowed."
  }
}

variable "user_arns" {
  description = "ARNs of IAM roles or users in this account that may use the key for kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey* and kms:DescribeKey (for example the roles that read and write an SSE-KMS bucket, or a SageMaker execution role)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for arn in var.user_arns :
      can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))
    ])
    error_message = "user_arns must contain only IAM role or user ARNs (arn:<partition>:iam::<12-digit account>:role/<name> or :user/<name>); wildcards such as \"*\" are not allowed."
  }
}

variable "enable_user_grants_for_aws_resources" {
  description = "Let user_arns create, list and revoke grants on the key, only for AWS resources (condition kms:GrantIsForAWSResource = true). SageMaker volumes, EBS and other integrated services need it; turn it off explicitly if the users only call Encrypt/Decrypt themselves."
  type        = bool
  default     = true
  nullable    = false
}

variable "service_principals" {
  description = "AWS service principals that may use the key, for example [\"logs.eu-west-1.amazonaws.com\", \"delivery.logs.amazonaws.com\", \"s3.amazonaws.com\", \"sns.amazonaws.com\", \"sagemaker.amazonaws.com\"]. Each gets its own statement with the cryptographic actions, conditioned on aws:SourceAccount = this account; CloudWatch Logs principals (logs.amazonaws.com or logs.<region>.amazonaws.com) are conditioned instead on kms:EncryptionContext:aws:logs:arn matching a log group of this account and region."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for svc in var.service_principals :
      can(regex("^[a-z0-9][a-z0-9.-]*\\.amazonaws\\.com(\\.cn)?$", svc))
    ])
    error_message = "service_principals must contain only AWS service principals such as \"logs.eu-west-1.amazonaws.com\" or \"s3.amazonaws.com\" (lower-case letters, digits, '.' and '-', ending in .amazonaws.com); wildcards are not allowed."
  }
}

variable "enable_key_rotation" {
  description = "Enable automatic rotation of the key material. On by default; turning it off must be explicit."
  type        = bool
  default     = true
  nullable    = false
}

variable "rotation_period_in_days" {
  description = "Days between automatic rotations of the key material (used only when enable_key_rotation is true)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560 && floor(var.rotation_period_in_days) == var.rotation_period_in_days
    error_message = "rotation_period_in_days must be between 90 and 2560 (a whole number of days, the range KMS accepts)."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period, in days, between scheduling the key for deletion and its deletion."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be between 7 and 30 (a whole number of days, the range KMS accepts)."
  }
}

variable "multi_region" {
  description = "Create a multi-Region primary key (replicas are created elsewhere with aws_kms_replica_key). Single-Region by default."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the key."
  type        = map(string)
  default     = {}
  nullable    = false
}
