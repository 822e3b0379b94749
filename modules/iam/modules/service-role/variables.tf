variable "name" {
  description = "Name of the IAM role (1-64 characters of letters, digits and + = , . @ _ -)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits and + = , . @ _ - (the IAM role name rules)."
  }
}

variable "description" {
  description = "Description of the IAM role (at most 1000 characters)."
  type        = string
  default     = "Service role managed by Terraform (launchpad)."
  nullable    = false

  validation {
    condition     = length(var.description) <= 1000
    error_message = "description must be at most 1000 characters."
  }
}

variable "service_principals" {
  description = "AWS service principals allowed to assume the role, e.g. [\"sagemaker.amazonaws.com\"]. Non-empty; each must end in \".amazonaws.com\"."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.service_principals) > 0
    error_message = "service_principals must name at least one AWS service principal."
  }

  validation {
    condition     = alltrue([for p in var.service_principals : can(regex("^[a-z0-9][a-z0-9.-]*\\.amazonaws\\.com$", p))])
    error_message = "service_principals must each be an AWS service principal ending in \".amazonaws.com\" (e.g. \"sagemaker.amazonaws.com\"); account, user or \"*\" principals are not allowed."
  }
}

variable "attach_policy_json" {
  description = "Attach policy_json as the role's inline policy. A separate, statically known switch because policy_json is usually computed from ARNs that are only known after apply. Set to false for a role without an inline policy."
  type        = bool
  default     = true
  nullable    = false
}

variable "policy_json" {
  description = "Inline IAM policy document (JSON) for the role, typically from an aws_iam_policy_document data source. Null for none (then set attach_policy_json = false)."
  type        = string
  default     = null

  validation {
    condition     = var.policy_json == null || can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be null or a JSON IAM policy document with a Statement element."
  }
}

variable "managed_policy_arns" {
  description = "ARNs of managed policies to attach (customer-managed, or narrowly scoped AWS-managed ones). AWS-managed *FullAccess, AdministratorAccess and PowerUserAccess policies are rejected."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.managed_policy_arns : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", a))])
    error_message = "managed_policy_arns must each be an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }

  validation {
    condition = alltrue([for a in var.managed_policy_arns : !can(regex(":aws:policy/.*FullAccess", a)) &&
    !can(regex(":aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess)", a))])
    error_message = "managed_policy_arns must not contain AWS-managed *FullAccess, AdministratorAccess or PowerUserAccess policies: grant least privilege through policy_json or a customer-managed policy instead."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy to set as the role's permissions boundary, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }
}

variable "max_session_duration" {
  description = "Maximum session duration of the role in seconds (3600-43200)."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200 && floor(var.max_session_duration) == var.max_session_duration
    error_message = "max_session_duration must be a whole number of seconds between 3600 and 43200."
  }
}

variable "path" {
  description = "IAM path of the role: \"/\" or a string that begins and ends with \"/\" (at most 512 characters)."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = length(var.path) <= 512 && can(regex("^/([!-~]+/)?$", var.path))
    error_message = "path must be \"/\" or begin and end with \"/\" (printable ASCII, at most 512 characters), e.g. \"/launchpad/\"."
  }
}

variable "source_account_condition" {
  description = "Condition the trust policy on aws:SourceAccount = this account (confused-deputy protection). Turn off only for a service that does not send the source account when it assumes the role."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the role."
  type        = map(string)
  default     = {}
  nullable    = false
}
