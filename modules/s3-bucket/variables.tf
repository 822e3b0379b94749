variable "bucket" {
  description = "Name of the bucket. S3 bucket names are global: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, not shaped like an IP address, no adjacent dots, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.bucket) >= 3 && length(var.bucket) <= 63
    error_message = "bucket must be between 3 and 63 characters long."
  }

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", var.bucket))
    error_message = "bucket may contain only lowercase letters, digits, dots (.) and hyphens (-), and must start and end with a letter or digit."
  }

  validation {
    condition     = !strcontains(var.bucket, "..")
    error_message = "bucket must not contain two adjacent dots."
  }

  validation {
    condition     = !can(regex("^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$", var.bucket))
    error_message = "bucket must not be formatted as an IP address (for example 192.168.5.4)."
  }

  validation {
    condition     = !startswith(var.bucket, "xn--") && !startswith(var.bucket, "sthree-") && !startswith(var.bucket, "amzn-s3-demo-")
    error_message = "bucket must not start with a prefix S3 reserves: xn--, sthree- or amzn-s3-demo-."
  }

  validation {
    condition     = !endswith(var.bucket, "-s3alias") && !endswith(var.bucket, "--ol-s3") && !endswith(var.bucket, ".mrap") && !endswith(var.bucket, "--x-s3") && !endswith(var.bucket, "--table-s3")
    error_message = "bucket must not end with a suffix S3 reserves: -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key used for default encryption (SSE-KMS, with an S3 Bucket Key). Required unless is_access_log_target = true, and must then be null. A key ARN, not an alias or key ID: the bucket policy compares it with the s3:x-amz-server-side-encryption-aws-kms-key-id header."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>); aliases and bare key IDs are not accepted."
  }
}

variable "is_access_log_target" {
  description = "Set to true when this bucket receives S3 server access logs from other buckets. S3 server access logging only delivers to targets whose default encryption is SSE-S3 (AES256), so such a bucket uses AES256 instead of KMS, does not log to another bucket, and its policy lets logging.s3.amazonaws.com put objects (restricted by aws:SourceAccount and aws:SourceArn)."
  type        = bool
  default     = false
  nullable    = false
}

variable "access_log_bucket" {
  description = "Name of the bucket that receives this bucket's S3 server access logs (a bucket created with is_access_log_target = true, in the same region and account). May be null only when is_access_log_target = true."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be null or a bucket name (3-63 lowercase letters, digits, dots and hyphens), not an ARN or URL."
  }
}

variable "access_log_prefix" {
  description = "Key prefix for this bucket's access logs in access_log_bucket. Defaults to \"<bucket>/\" so several buckets can share one log bucket."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_prefix == null || try(length(var.access_log_prefix) >= 1 && length(var.access_log_prefix) <= 512 && !startswith(var.access_log_prefix, "/"), false)
    error_message = "access_log_prefix must be null or a non-empty key prefix of at most 512 characters that does not start with \"/\"."
  }
}

variable "access_log_source_bucket_arns" {
  description = "Only used when is_access_log_target = true: ARNs of the buckets allowed to deliver access logs here (the aws:SourceArn condition). Empty means any bucket of this account (aws:SourceAccount is always enforced)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.access_log_source_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.*-]+$", arn))])
    error_message = "access_log_source_bucket_arns must contain bucket ARNs of the form arn:<partition>:s3:::<bucket-name>."
  }
}

variable "enable_versioning" {
  description = "Keep every version of every object. On by default; turning it off suspends versioning (existing versions stay). Object lock requires it."
  type        = bool
  default     = true
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after an object version becomes noncurrent before S3 deletes it (the lifecycle rule expire-noncurrent-versions, which also removes expired delete markers)."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, 1 or more."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which S3 aborts multipart uploads that were never completed, deleting their parts (the lifecycle rule abort-incomplete-multipart-uploads)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, 1 or more."
  }
}

variable "lifecycle_rules" {
  description = "Extra lifecycle rules, added to the two built-in ones (abort-incomplete-multipart-uploads, expire-noncurrent-versions). Each rule applies to the whole bucket, or to the keys under prefix, and needs at least one action: expiration_days, transitions or noncurrent_version_transitions."
  type = list(object({
    id              = string
    enabled         = optional(bool, true)
    prefix          = optional(string)
    expiration_days = optional(number)
    transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
    noncurrent_version_transitions = optional(list(object({
      noncurrent_days = number
      storage_class   = string
    })), [])
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : length(r.id) >= 1 && length(r.id) <= 255])
    error_message = "lifecycle_rules: every id must be 1-255 characters long."
  }

  validation {
    condition     = length(distinct([for r in var.lifecycle_rules : r.id])) == length(var.lifecycle_rules) && length(setintersection([for r in var.lifecycle_rules : r.id], ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"])) == 0
    error_message = "lifecycle_rules: ids must be unique and must not be abort-incomplete-multipart-uploads or expire-noncurrent-versions (the module's built-in rules)."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.expiration_days != null || length(r.transitions) > 0 || length(r.noncurrent_version_transitions) > 0])
    error_message = "lifecycle_rules: every rule needs at least one action: expiration_days, transitions or noncurrent_version_transitions."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.expiration_days == null || try(r.expiration_days >= 1 && floor(r.expiration_days) == r.expiration_days, false)])
    error_message = "lifecycle_rules: expiration_days must be a whole number of days, 1 or more."
  }

  validation {
    condition = alltrue(flatten([for r in var.lifecycle_rules : concat(
      [for t in r.transitions : t.days >= 0 && floor(t.days) == t.days],
      [for t in r.noncurrent_version_transitions : t.noncurrent_days >= 1 && floor(t.noncurrent_days) == t.noncurrent_days],
    )]))
    error_message = "lifecycle_rules: transitions[].days must be a whole number 0 or more, and noncurrent_version_transitions[].noncurrent_days a whole number 1 or more."
  }

  validation {
    condition = alltrue(flatten([for r in var.lifecycle_rules : [
      for sc in concat([for t in r.transitions : t.storage_class], [for t in r.noncurrent_version_transitions : t.storage_class]) :
      contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], sc)
    ]]))
    error_message = "lifecycle_rules: storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }

  validation {
    condition = alltrue(flatten([for r in var.lifecycle_rules : concat(
      [for t in r.transitions : t.days >= 30 if contains(["STANDARD_IA", "ONEZONE_IA"], t.storage_class)],
      [for t in r.noncurrent_version_transitions : t.noncurrent_days >= 30 if contains(["STANDARD_IA", "ONEZONE_IA"], t.storage_class)],
    )]))
    error_message = "lifecycle_rules: transitions to STANDARD_IA or ONEZONE_IA need days (or noncurrent_days) of 30 or more (an S3 minimum)."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.prefix == null || try(length(r.prefix) >= 1, false)])
    error_message = "lifecycle_rules: prefix must be null (the whole bucket) or a non-empty key prefix."
  }
}

variable "object_lock" {
  description = "Enable S3 Object Lock (WORM) with a default retention: mode GOVERNANCE (users with s3:BypassGovernanceRetention can override) or COMPLIANCE (nobody can shorten or remove it, not even root), for days days. Needs enable_versioning = true. Object lock can only be turned on when the bucket is created: setting it on an existing bucket replaces the bucket. null (default) leaves it off."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || try(contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock.mode), false)
    error_message = "object_lock.mode must be GOVERNANCE or COMPLIANCE."
  }

  validation {
    condition     = var.object_lock == null || try(var.object_lock.days >= 1 && floor(var.object_lock.days) == var.object_lock.days, false)
    error_message = "object_lock.days must be a whole number of days, 1 or more."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete every object (and version) in the bucket so the bucket itself can be deleted. Off by default: a bucket holding model artifacts, captured inference data or audit logs must not vanish with a destroy."
  type        = bool
  default     = false
  nullable    = false
}

variable "minimum_tls_version" {
  description = "Lowest TLS version the bucket policy accepts (the s3:TlsVersion condition); plain HTTP is always denied."
  type        = string
  default     = "1.2"
  nullable    = false

  validation {
    condition     = contains(["1.2", "1.3"], var.minimum_tls_version)
    error_message = "minimum_tls_version must be \"1.2\" or \"1.3\"."
  }
}

variable "extra_policy_statements" {
  description = "Extra bucket policy content, merged into the module's policy. Each item is JSON: either one IAM policy statement object (jsonencode({Sid = ..., Effect = ..., ...})) or a whole policy document (for example data.aws_iam_policy_document.x.json). Sids must be unique; a statement whose Sid equals one of the module's own (DenyInsecureTransport, DenyOutdatedTls, DenyIncorrectEncryptionHeader, DenySseCUploads, DenyWrongKmsKey, AllowS3ServerAccessLogs) is replaced by the module's, so the guardrails cannot be overridden."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.extra_policy_statements : can(jsondecode(s).Statement) || can(jsondecode(s).Effect)])
    error_message = "extra_policy_statements must contain JSON strings, each an IAM policy statement (an object with Effect) or a policy document (an object with Statement)."
  }
}

variable "tags" {
  description = "Tags applied to the bucket (the other S3 sub-resources are not taggable)."
  type        = map(string)
  default     = {}
  nullable    = false
}
