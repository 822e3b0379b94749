variable "name" {
  description = "Name of the notebook instance (and prefix of its role <name>-notebook and lifecycle configuration <name>)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,54}$", var.name))
    error_message = "name must be 1-55 letters, digits and hyphens, starting and ending with a letter or digit (the notebook instance name rule; the role is <name>-notebook, at most 64 characters)."
  }
}

variable "instance_type" {
  description = "The notebook's instance type (the general-purpose types a team develops on; training runs in the pipeline's jobs)."
  type        = string
  default     = "ml.t3.medium"
  nullable    = false

  validation {
    condition     = contains(["ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.t3.2xlarge", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.c5.xlarge", "ml.c5.2xlarge"], var.instance_type)
    error_message = "instance_type must be one of ml.t3.medium, ml.t3.large, ml.t3.xlarge, ml.t3.2xlarge, ml.m5.xlarge, ml.m5.2xlarge, ml.m5.4xlarge, ml.c5.xlarge, ml.c5.2xlarge."
  }
}

variable "platform_identifier" {
  description = "The notebook's platform (Amazon Linux 2 and its JupyterLab)."
  type        = string
  default     = "notebook-al2-v3"
  nullable    = false

  validation {
    condition     = contains(["notebook-al2-v2", "notebook-al2-v3"], var.platform_identifier)
    error_message = "platform_identifier must be notebook-al2-v2 or notebook-al2-v3 (Amazon Linux 2; notebook-al1-v1 is past its end of support)."
  }
}

variable "volume_size_gb" {
  description = "Size of the notebook's ML storage volume, in GB (encrypted with kms_key_arn)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.volume_size_gb >= 5 && var.volume_size_gb <= 16384 && floor(var.volume_size_gb) == var.volume_size_gb
    error_message = "volume_size_gb must be a whole number between 5 and 16384."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key (ARN) of the notebook's storage volume."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>); aliases are not accepted."
  }
}

variable "network" {
  description = "The platform's private subnet the notebook runs in and its security groups. Direct internet access is always off: the subnet must reach the services the notebook uses through VPC endpoints (sagemaker.api, logs, sts, codecommit/git-codecommit or S3, the package index)."
  type = object({
    subnet_id          = string
    security_group_ids = list(string)
  })
  nullable = false

  validation {
    condition     = can(regex("^subnet-[0-9a-f]{8,17}$", var.network.subnet_id))
    error_message = "network.subnet_id must be a subnet ID (subnet-<8 or 17 hex digits>)."
  }

  validation {
    condition     = length(var.network.security_group_ids) >= 1 && length(var.network.security_group_ids) <= 5 && alltrue([for g in var.network.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))])
    error_message = "network.security_group_ids must list 1-5 security group IDs (sg-<8 or 17 hex digits>)."
  }
}

variable "project_source" {
  description = <<-EOT
    Where the on-create script installs the team's project from (pip, into the python3 environment), without internet:
    - `git`: `uri` is the project's CodeCommit HTTPS clone URL (https://git-codecommit.<region>.amazonaws.com/v1/repos/<repository>); the role may codecommit:GitPull that repository only;
    - `s3`: `uri` is an S3 prefix holding the project's wheel and its dependencies' (s3://<bucket>/<prefix>/); the role may list and read it (kms:Decrypt through S3 with data.kms_key_arns).
    `index_url`: the platform's package index (e.g. a CodeArtifact PyPI endpoint reached through its VPC endpoint) for dependencies; null: none (an `s3` source then installs with --no-index).
  EOT
  type = object({
    type      = string
    uri       = string
    index_url = optional(string)
  })
  nullable = false

  validation {
    condition     = contains(["git", "s3"], var.project_source.type)
    error_message = "project_source.type must be \"git\" or \"s3\"."
  }

  validation {
    condition     = var.project_source.type != "git" || can(regex("^https://git-codecommit\\.[a-z0-9-]+\\.amazonaws\\.com/v1/repos/[A-Za-z0-9._-]{1,100}$", var.project_source.uri))
    error_message = "project_source.uri of a git source must be a CodeCommit HTTPS clone URL: https://git-codecommit.<region>.amazonaws.com/v1/repos/<repository>."
  }

  validation {
    condition     = var.project_source.type != "s3" || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", var.project_source.uri))
    error_message = "project_source.uri of an s3 source must be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\", without * or ?."
  }

  validation {
    condition     = var.project_source.index_url == null || can(regex("^https://[^\\s'\"]+$", coalesce(var.project_source.index_url, "-")))
    error_message = "project_source.index_url must be null or an https:// URL without spaces or quotes."
  }
}

variable "idle_minutes" {
  description = "Minutes without Jupyter activity (no busy kernel, no kernel activity) after which the instance stops itself."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.idle_minutes >= 10 && var.idle_minutes <= 1440 && floor(var.idle_minutes) == var.idle_minutes
    error_message = "idle_minutes must be a whole number of minutes between 10 and 1440 (the check runs every 5 minutes)."
  }
}

variable "pipeline_name" {
  description = "The team's SageMaker pipeline (modules/training-pipeline): the notebook's role may start it and follow its executions."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.pipeline_name) <= 55 && can(regex("^[a-z0-9](-?[a-z0-9])*$", var.pipeline_name))
    error_message = "pipeline_name must be a pipeline name as modules/training-pipeline makes them: 1-55 lowercase letters, digits and single hyphens."
  }
}

variable "model_package_group_name" {
  description = "The team's model registry group: the role may read it and its versions, never approve them."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be a model package group name: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "data" {
  description = "The team's data: `s3_prefix` (s3://<bucket>/<prefix>/, read only: s3:ListBucket and s3:GetObject) and the keys of its objects (`kms_key_arns`, kms:Decrypt through S3 only)."
  type = object({
    s3_prefix    = string
    kms_key_arns = list(string)
  })
  nullable = false

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", var.data.s3_prefix))
    error_message = "data.s3_prefix must be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\", without * or ?."
  }

  validation {
    condition     = length(var.data.kms_key_arns) >= 1 && alltrue([for k in var.data.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "data.kms_key_arns must list at least one KMS key ARN; aliases are not accepted."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the notebook's role, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }
}

variable "tags" {
  description = "Tags applied to the notebook instance and its role."
  type        = map(string)
  default     = {}
  nullable    = false
}
