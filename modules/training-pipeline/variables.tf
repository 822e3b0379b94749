variable "project" {
  description = "The model project's slug (hyphens, as launchpad names it): the pipeline is <project>-training unless `name` says otherwise, and its roles are <project>-training-pipeline and <project>-training-job."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.project) <= 40 && can(regex("^[a-z0-9](-?[a-z0-9])*$", var.project))
    error_message = "project must be 1-40 lowercase letters, digits and single hyphens, starting and ending with a letter or digit (the slug launchpad gives a project)."
  }
}

variable "name" {
  description = "Name of the SageMaker pipeline. Null (the default): <project>-training, the name launchpad and the retrain function start."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || (length(coalesce(var.name, "-")) <= 55 && can(regex("^[a-z0-9](-?[a-z0-9])*$", coalesce(var.name, "-"))))
    error_message = "name must be null or 1-55 lowercase letters, digits and single hyphens, starting and ending with a letter or digit (the roles are <name>-pipeline and <name>-job, at most 64 characters; SageMaker's pipeline name rule, lowercase: SageMaker writes pipeline ARNs in lowercase, and the role's trust names the ARN)."
  }
}

variable "pipeline_definition" {
  description = "The pipeline definition as a JSON string, as `launchpad pipeline definition` writes it: a JSON object whose Version is 2020-12-01 (the pipeline definition schema's version), at most 1 MiB."
  type        = string
  nullable    = false

  validation {
    condition     = can(jsondecode(var.pipeline_definition))
    error_message = "pipeline_definition must be a JSON document (`launchpad pipeline definition` writes one)."
  }

  validation {
    condition     = try(jsondecode(var.pipeline_definition).Version == "2020-12-01", false)
    error_message = "pipeline_definition must be a JSON object whose \"Version\" is \"2020-12-01\" (the only version of the SageMaker pipeline definition schema)."
  }

  validation {
    condition     = length(var.pipeline_definition) <= 1048576
    error_message = "pipeline_definition must be at most 1048576 characters (CreatePipeline's limit)."
  }
}

variable "description" {
  description = "The pipeline's description."
  type        = string
  default     = "Validates the training data, tunes the project's training code, cross-validates the best candidate and registers it for approval (launchpad)."
  nullable    = false

  validation {
    condition     = length(var.description) <= 3072
    error_message = "description must be at most 3072 characters (SageMaker's limit)."
  }
}

variable "max_parallel_execution_steps" {
  description = "How many steps of one execution may run at once (the pipeline's ParallelismConfiguration)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.max_parallel_execution_steps >= 1 && var.max_parallel_execution_steps <= 256 && floor(var.max_parallel_execution_steps) == var.max_parallel_execution_steps
    error_message = "max_parallel_execution_steps must be a whole number between 1 and 256."
  }
}

variable "model_package_group_name" {
  description = "The model registry group the Register step creates versions in (modules/model-registry). Null (the default): the project's slug."
  type        = string
  default     = null

  validation {
    condition     = var.model_package_group_name == null || can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", coalesce(var.model_package_group_name, "-")))
    error_message = "model_package_group_name must be null or a model package group name: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "s3" {
  description = <<-EOT
    Where the pipeline's jobs read and write, each an S3 prefix ending in "/":
    - `training_data`: the TrainingData parameter's prefix (CSV files with a header); the jobs only read it;
    - `code`: the project's sourcedir.tar.gz and launchpad's job bundle (SourceCode, the processing steps' code inputs); only read;
    - `artifacts`: where every step writes (reports, baselines, models, evaluation.json), SSE-KMS with `kms.artifacts`; the jobs only write it, the pipeline role reads its property files (evaluation.json) from it;
    - `baselines`: optional, the deployed versions' drift baselines (the Baseline parameter points under it, e.g. s3://<models>/<project>/); only read, its baseline/ folders.
  EOT
  type = object({
    training_data = string
    code          = string
    artifacts     = string
    baselines     = optional(string)
  })
  nullable = false

  validation {
    condition     = alltrue([for p in compact([var.s3.training_data, var.s3.code, var.s3.artifacts, var.s3.baselines]) : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", p))])
    error_message = "s3.training_data, s3.code, s3.artifacts and s3.baselines must each be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\", without * or ?."
  }
}

variable "kms" {
  description = <<-EOT
    Customer managed KMS keys (ARNs, not aliases):
    - `data`: the keys of the training data, code and baseline objects (kms:Decrypt through S3 only);
    - `artifacts`: the key the steps write the artifacts prefix with (kms:GenerateDataKey through S3 for the jobs; kms:Decrypt through S3 for the pipeline role, which reads the property files).
  EOT
  type = object({
    data      = list(string)
    artifacts = string
  })
  nullable = false

  validation {
    condition     = length(var.kms.data) >= 1 && alltrue([for k in concat(var.kms.data, [var.kms.artifacts]) : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "kms.data (at least one) and kms.artifacts must be KMS key ARNs (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>); aliases are not accepted."
  }
}

variable "network" {
  description = "The platform's private subnets and the jobs' security groups, when the steps' jobs run in the VPC (their VpcConfig): the job role may then make and remove the jobs' network interfaces there. Null: the jobs run outside a VPC and the role has no EC2 permission."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.network == null || try(length(var.network.subnet_ids) >= 1 && length(var.network.subnet_ids) <= 16 && alltrue([for s in var.network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]), false)
    error_message = "network.subnet_ids must list 1-16 subnet IDs (subnet-<8 or 17 hex digits>)."
  }

  validation {
    condition     = var.network == null || try(length(var.network.security_group_ids) >= 1 && length(var.network.security_group_ids) <= 5 && alltrue([for g in var.network.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))]), false)
    error_message = "network.security_group_ids must list 1-5 security group IDs (sg-<8 or 17 hex digits>)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the two roles the module creates, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }
}

variable "tags" {
  description = "Tags applied to the pipeline and the roles."
  type        = map(string)
  default     = {}
  nullable    = false
}
