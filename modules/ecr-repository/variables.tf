variable "name" {
  description = "Name of the repository: 2-256 characters, lowercase letters and digits in components separated by '.', '_', '__' or '-' runs, optionally namespaced with '/' (e.g. \"fraud-detector/serving\"), the ECR repository-name rule. Also used as the Name tag."
  type        = string
  nullable    = false

  validation {
    condition = (
      length(var.name) >= 2 && length(var.name) <= 256 &&
      can(regex("^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$", var.name))
    )
    error_message = "name must be 2-256 characters: lowercase letters and digits, in components joined by '.', '_', '__' or hyphens, with '/' between namespaces (the ECR repository-name rule), e.g. \"fraud-detector/serving\"."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the images (encryption type KMS). The principal that applies the module needs kms:CreateGrant, kms:DescribeKey and kms:RetireGrant on it: ECR uses the key through a grant, so the pulling and pushing roles need no KMS permission. The key cannot be changed later without replacing the repository."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>): a customer managed key; aliases and the AWS managed alias/aws/ecr key are not accepted."
  }
}

variable "pull_principal_arns" {
  description = "ARNs of the IAM roles of this account that may pull images (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability), e.g. a SageMaker execution role. They also need ecr:GetAuthorizationToken in their own IAM policy (it cannot be granted on a repository). No statement is written when empty."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.pull_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\\x21-\\x7e]+/)?[\\w+=,.@-]{1,64}$", a))])
    error_message = "pull_principal_arns must contain only IAM role ARNs (arn:<partition>:iam::<12-digit account>:role/<optional path/><name>); users, account roots, services and wildcards such as \"*\" are not allowed."
  }
}

variable "push_principal_arns" {
  description = "ARNs of the IAM roles of this account that may push images (the pull actions plus ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload), e.g. the CodeBuild role that builds the serving image. They also need ecr:GetAuthorizationToken in their own IAM policy. No statement is written when empty."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.push_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\\x21-\\x7e]+/)?[\\w+=,.@-]{1,64}$", a))])
    error_message = "push_principal_arns must contain only IAM role ARNs (arn:<partition>:iam::<12-digit account>:role/<optional path/><name>); users, account roots, services and wildcards such as \"*\" are not allowed."
  }
}

variable "keep_tagged_images" {
  description = "How many tagged images the lifecycle policy keeps: the most recently pushed ones; older tagged images expire (1-1000)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.keep_tagged_images >= 1 && var.keep_tagged_images <= 1000 && floor(var.keep_tagged_images) == var.keep_tagged_images
    error_message = "keep_tagged_images must be a whole number between 1 and 1000."
  }
}

variable "untagged_image_expiry_days" {
  description = "Days after its push that the lifecycle policy expires an untagged image (1-3650)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_image_expiry_days >= 1 && var.untagged_image_expiry_days <= 3650 && floor(var.untagged_image_expiry_days) == var.untagged_image_expiry_days
    error_message = "untagged_image_expiry_days must be a whole number of days between 1 and 3650."
  }
}

variable "force_delete" {
  description = "Let terraform destroy delete the repository while it still holds images (they are deleted with it). Off by default: released images are kept unless a caller says otherwise."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags applied to the repository (a Name tag is added)."
  type        = map(string)
  default     = {}
  nullable    = false
}
