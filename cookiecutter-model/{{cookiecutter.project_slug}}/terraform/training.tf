# The training pipeline {{ cookiecutter.__project }}-training (SageMaker Pipelines; README.md, "The training pipeline"), in the
# stage that trains: envs/dev.tfvars sets training_pipeline, the other stages leave it null and have none.
# Its definition is the file `make pipeline-definition` writes from pipeline.yaml, the model card and
# deploy/config/training.yaml; the module adds the role SageMaker runs the pipeline as and the role of its jobs
# ({{ cookiecutter.__project }}-training-job, the job_role_arn of deploy/config/training.yaml).

variable "training_pipeline" {
  description = <<-EOT
    The training pipeline, or null (the default) for none. From the platform stack's outputs:
    - `definition_file`: the definition `make pipeline-definition` writes, relative to terraform/ (the default);
    - `s3.training_data`: the TrainingData prefix, in the data bucket (bucket_names -> data);
    - `s3.code`, `s3.artifacts`: <artifact_bucket>/<artifact_prefix>/code/ and .../executions/ of deploy/config/training.yaml;
    - `s3.baselines`: the deployed versions' folders, <model-artifacts bucket>/<project>/ (drift baselines), or null;
    - `kms.data`: the keys of the training data, code and baselines (kms_key_arns -> data, models);
    - `kms.artifacts`: the key the executions write with, kms_key_arn of deploy/config/training.yaml (models);
    - `network`: the jobs' subnets and security groups (private_subnet_ids, model_security_group_id), or null.
  EOT
  type = object({
    definition_file = optional(string, "../build/pipeline/definition.json")
    s3 = object({
      training_data = string
      code          = string
      artifacts     = string
      baselines     = optional(string)
    })
    kms = object({
      data      = list(string)
      artifacts = string
    })
    network = optional(object({
      subnet_ids         = list(string)
      security_group_ids = list(string)
    }))
    max_parallel_execution_steps = optional(number, 5)
  })
  default = null

  validation {
    condition     = var.training_pipeline == null || try(fileexists(var.training_pipeline.definition_file), false)
    error_message = "training_pipeline: no pipeline definition at definition_file (../build/pipeline/definition.json by default, relative to terraform/): run make pipeline-definition first."
  }

  validation {
    condition     = var.training_pipeline == null || try(alltrue([for p in compact([var.training_pipeline.s3.training_data, var.training_pipeline.s3.code, var.training_pipeline.s3.artifacts, var.training_pipeline.s3.baselines]) : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", p))]), false)
    error_message = "training_pipeline.s3: training_data, code, artifacts and baselines must each be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\"."
  }

  validation {
    condition     = var.training_pipeline == null || try(length(var.training_pipeline.kms.data) >= 1 && alltrue([for k in concat(var.training_pipeline.kms.data, [var.training_pipeline.kms.artifacts]) : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", k))]), false)
    error_message = "training_pipeline.kms: data (at least one) and artifacts must be KMS key ARNs (not aliases): arn:aws:kms:<region>:<account>:key/<id>."
  }

  validation {
    condition     = try(var.training_pipeline.network == null, true) || try(length(var.training_pipeline.network.subnet_ids) >= 1 && length(var.training_pipeline.network.security_group_ids) >= 1 && alltrue([for s in var.training_pipeline.network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]) && alltrue([for g in var.training_pipeline.network.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))]), false)
    error_message = "training_pipeline.network: subnet_ids (subnet-<8-17 hex digits>) and security_group_ids (sg-<8-17 hex digits>), at least one of each, or network = null."
  }

  validation {
    condition     = var.training_pipeline == null || try(var.training_pipeline.max_parallel_execution_steps >= 1 && var.training_pipeline.max_parallel_execution_steps <= 256, false)
    error_message = "training_pipeline.max_parallel_execution_steps must be 1 to 256."
  }
}

locals {
  # The definition's text (null without training_pipeline); the module checks it is JSON of Version 2020-12-01.
  training_definition = var.training_pipeline == null ? null : file(var.training_pipeline.definition_file)
}

module "training" {
  #checkov:skip=CKV_TF_1:Pinned to launchpad's release tag (ref=v<version>), the version its changelog and pyproject's launchpad== name; a bare commit hash would hide it.
  #checkov:skip=CKV_TF_2:The source is pinned to the release tag ref=v<version> (a local path only in the template's own tests, which rewrite it).
  source = "git::{{ cookiecutter.launchpad_git_url }}.git//modules/training-pipeline?ref=v{{ cookiecutter.launchpad_version }}"
  count  = var.training_pipeline != null ? 1 : 0

  project                      = var.project
  pipeline_definition          = local.training_definition
  max_parallel_execution_steps = var.training_pipeline.max_parallel_execution_steps

  s3      = var.training_pipeline.s3
  kms     = var.training_pipeline.kms
  network = var.training_pipeline.network
}

output "training_pipeline_name" {
  description = "The training pipeline (what make pipeline-run starts), or null without training_pipeline."
  value       = one(module.training[*].pipeline_name)

  # The definition must be written from deploy/config/training.yaml with the values given here: its jobs run as
  # this stack's job role, read the code and write under the prefixes the roles allow.
  precondition {
    condition     = local.training_definition == null || strcontains(coalesce(local.training_definition, "-"), ":role/${var.project}-training-job\"")
    error_message = "The pipeline definition's jobs do not run as ${var.project}-training-job, the role this stack makes: set job_role_arn in deploy/config/training.yaml to it and run make pipeline-definition again."
  }

  precondition {
    condition     = local.training_definition == null || try(strcontains(coalesce(local.training_definition, "-"), "\"${var.training_pipeline.s3.artifacts}\"") && strcontains(coalesce(local.training_definition, "-"), "\"${var.training_pipeline.s3.code}"), false)
    error_message = "The pipeline definition reads its code or writes its executions outside training_pipeline.s3.code and .artifacts: make artifact_bucket and artifact_prefix of deploy/config/training.yaml name <bucket>/<prefix>/code/ and <bucket>/<prefix>/executions/ of training_pipeline.s3, and run make pipeline-definition again."
  }
}

output "training_pipeline_arn" {
  description = "ARN of the training pipeline, or null without training_pipeline."
  value       = one(module.training[*].pipeline_arn)
}

output "training_job_role_arn" {
  description = "The role the pipeline's jobs run as: job_role_arn of deploy/config/training.yaml (null without training_pipeline)."
  value       = one(module.training[*].job_role_arn)
}
