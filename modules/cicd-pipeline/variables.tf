variable "name" {
  description = "Name of the pipeline and prefix of everything it creates (projects <name>-<step>, roles, log groups /aws/codebuild/<name>-<step>): 3-40 lowercase letters, digits and hyphens, starting with a letter."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit (it prefixes IAM role names, which allow 64 characters)."
  }
}

variable "source_repository" {
  description = <<-EOT
    Where the model project's code comes from. type = "codestar": a CodeStar (CodeConnections) connection to
    GitHub, GitLab or Bitbucket (connection_arn, repository "owner/name", branch); a push to the branch starts the
    pipeline. type = "s3": an air-gapped source, a zip at s3://<s3_bucket_name>/<s3_object_key> in a versioned,
    KMS-encrypted bucket this module creates; uploading a new version starts the pipeline (EventBridge).
  EOT
  type = object({
    type           = string
    connection_arn = optional(string)
    repository     = optional(string)
    branch         = optional(string, "main")
    s3_bucket_name = optional(string)
    s3_object_key  = optional(string, "source.zip")
  })
  nullable = false

  validation {
    condition     = contains(["codestar", "s3"], var.source_repository.type)
    error_message = "source_repository.type must be \"codestar\" (a CodeStar connection to GitHub, GitLab or Bitbucket) or \"s3\" (an air-gapped zip upload)."
  }

  validation {
    condition = var.source_repository.type != "codestar" || (
      can(regex("^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$", var.source_repository.connection_arn)) &&
      can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", var.source_repository.repository))
    )
    error_message = "a codestar source needs connection_arn (arn:<partition>:codeconnections:<region>:<account>:connection/<uuid>, or the older codestar-connections form) and repository as \"owner/name\" (GitLab subgroups: \"group/subgroup/name\")."
  }

  validation {
    condition     = can(regex("^[^\\s~^:?*\\[\\\\]+$", var.source_repository.branch)) && !endswith(var.source_repository.branch, "/") && !strcontains(var.source_repository.branch, "..")
    error_message = "source_repository.branch must be a git branch name: no spaces, ~ ^ : ? * [ or \\, no \"..\", not ending in \"/\"."
  }

  validation {
    condition = var.source_repository.type != "s3" || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.source_repository.s3_bucket_name)) &&
      can(regex("^[A-Za-z0-9!_.*'()/-]+\\.zip$", var.source_repository.s3_object_key))
    )
    error_message = "an s3 source needs s3_bucket_name (3-63 lowercase letters, digits, dots and hyphens) and s3_object_key, the key of a .zip (letters, digits and !_.*'()/-)."
  }
}

variable "artifact_bucket_name" {
  description = "Name of the bucket this module creates for pipeline artifacts (KMS-encrypted with kms_key_arn, versioned, TLS-only, access-logged)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket_name))
    error_message = "artifact_bucket_name must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "artifact_retention_days" {
  description = "Days pipeline artifacts (and their noncurrent versions) are kept before S3 expires them."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.artifact_retention_days >= 1 && var.artifact_retention_days <= 3650 && floor(var.artifact_retention_days) == var.artifact_retention_days
    error_message = "artifact_retention_days must be a whole number of days between 1 and 3650."
  }
}

variable "access_log_bucket" {
  description = "Name of the bucket that receives the S3 server access logs of the artifact and source buckets (a modules/s3-bucket bucket with is_access_log_target = true)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a bucket name (3-63 lowercase letters, digits, dots and hyphens), not an ARN or URL."
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete the artifact and source buckets with their objects. Keep false outside tests and sandboxes."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the pipeline artifacts (artifact store, buckets, CodeBuild output) and the approval topic."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>); aliases, bare key ids and the AWS managed alias/aws/s3 key are not accepted."
  }
}

variable "logs_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the CodeBuild log groups; its key policy must let logs.<region>.amazonaws.com use it (modules/kms: service_principals)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>)."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the CodeBuild log groups, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the values CloudWatch Logs accepts; never-expiring retention is not offered)."
  }
}

variable "deploy" {
  description = <<-EOT
    What the two deploy steps ship to, and may touch. Each deploy role manages only its own endpoint and the
    models and endpoint configurations named "<endpoint>-*"; passes only execution_role_arn, and only to
    SageMaker; reads model artifacts under model_bucket_arn with model_kms_key_arn (staging also uploads them and
    registers versions in the registry, and may list the bucket: S3 answers its look for an artifact not yet
    uploaded 404 only then, 403 otherwise; production only reads it). The registry's own policy grants what the
    deploy steps do in it: give the model-registry module the deploy-staging role as a publisher and the
    deploy-production role as a reader (outputs codebuild_role_arns); this module adds only
    sagemaker:ListModelPackages, which AWS authorizes on "*", when a registry is named. Name it with
    model_package_group_name, a plain string shared with the model-registry module: the registry's
    model_package_group_arn output depends on these roles, so passing it here is a dependency cycle.
    model_package_group_arn (an ARN known beforehand) is equivalent. capture_bucket_arn, the bucket the stages'
    data capture writes to, lets the deploy steps check it exists and is this account's before anything is
    created (s3:ListBucket on it, for HeadBucket; nothing in it is read).

    terraform_state: for a project whose `make deploy` applies its own terraform/ (asynchronous endpoints): the
    S3 backend its envs/<stage>.backend.hcl names (terraform/bootstrap's state bucket, its KMS key and, when
    that stack keeps one, its DynamoDB lock table; the default is the S3 lockfile <key>.tflock). Each deploy
    step may then list, read and write its own stage's state object (staging_key, production_key) and lock,
    through S3 only with the key, and read and update what Terraform refreshes beyond what launchpad deploy
    calls, scoped to its endpoint (statement list in the README). Null (default): launchpad deploy ships.
  EOT
  type = object({
    staging_endpoint_name    = string
    production_endpoint_name = string
    execution_role_arn       = string
    model_bucket_arn         = string
    model_kms_key_arn        = string
    model_package_group_arn  = optional(string)
    model_package_group_name = optional(string)
    capture_bucket_arn       = optional(string)
    terraform_state = optional(object({
      bucket_arn     = string
      staging_key    = string
      production_key = string
      kms_key_arn    = string
      lock_table_arn = optional(string)
    }))
  })
  nullable = false

  validation {
    condition     = var.deploy.capture_bucket_arn == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.deploy.capture_bucket_arn, "-")))
    error_message = "deploy.capture_bucket_arn must be null or an S3 bucket ARN (arn:<partition>:s3:::<bucket>) with no wildcard or key."
  }

  validation {
    condition = alltrue([for e in [var.deploy.staging_endpoint_name, var.deploy.production_endpoint_name] :
    can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", e))]) && var.deploy.staging_endpoint_name != var.deploy.production_endpoint_name
    error_message = "deploy.staging_endpoint_name and deploy.production_endpoint_name must be two different SageMaker endpoint names (1-63 letters, digits and hyphens, starting and ending with a letter or digit)."
  }

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.deploy.execution_role_arn))
    error_message = "deploy.execution_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>) with no wildcard."
  }

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.deploy.model_bucket_arn))
    error_message = "deploy.model_bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>) with no wildcard or key."
  }

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.deploy.model_kms_key_arn))
    error_message = "deploy.model_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>)."
  }

  validation {
    condition     = var.deploy.model_package_group_arn == null || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package-group/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.deploy.model_package_group_arn))
    error_message = "deploy.model_package_group_arn must be null or a model package group ARN (arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>)."
  }

  validation {
    condition     = var.deploy.model_package_group_name == null || can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", coalesce(var.deploy.model_package_group_name, "-")))
    error_message = "deploy.model_package_group_name must be null or a model package group name (1-63 letters, digits and hyphens, starting and ending with a letter or digit), not an ARN."
  }

  validation {
    condition     = var.deploy.terraform_state == null ? true : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.deploy.terraform_state.bucket_arn))
    error_message = "deploy.terraform_state.bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>, terraform/bootstrap's state_bucket_arn) with no wildcard or key."
  }

  validation {
    condition = var.deploy.terraform_state == null ? true : (
      alltrue([for k in [var.deploy.terraform_state.staging_key, var.deploy.terraform_state.production_key] :
      can(regex("^[A-Za-z0-9_.:=+@-]+(/[A-Za-z0-9_.:=+@-]+)*$", k)) && !endswith(k, ".tflock")]) &&
      var.deploy.terraform_state.staging_key != var.deploy.terraform_state.production_key
    )
    error_message = "deploy.terraform_state.staging_key and production_key must be two different S3 keys (the backend's key of each stage, e.g. fraud-detector/staging.tfstate): letters, digits and _ . : = + @ - in segments joined by single slashes, no leading or trailing slash, no wildcard, not a .tflock lockfile."
  }

  validation {
    condition     = var.deploy.terraform_state == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.deploy.terraform_state.kms_key_arn))
    error_message = "deploy.terraform_state.kms_key_arn must be the state bucket's KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>, terraform/bootstrap's kms_key_arn), not an alias."
  }

  validation {
    condition     = var.deploy.terraform_state == null ? true : var.deploy.terraform_state.lock_table_arn == null ? true : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.deploy.terraform_state.lock_table_arn))
    error_message = "deploy.terraform_state.lock_table_arn must be null (the S3 lockfile) or a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>, terraform/bootstrap's lock_table_arn)."
  }
}

variable "approval" {
  description = "The manual approval before production: on by default. Approvers subscribe to the <name>-approvals topic (subscriptions) and get the review_url (default: the staging endpoint in the SageMaker console). Turning it off (enabled = false) is an explicit opt-out, for non-production environments."
  type = object({
    enabled = optional(bool, true)
    subscriptions = optional(list(object({
      protocol = string
      endpoint = string
    })), [])
    review_url = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.approval.enabled || length(var.approval.subscriptions) == 0
    error_message = "approval.subscriptions are set but approval.enabled is false: nobody would be asked. Enable the approval or drop the subscriptions."
  }

  validation {
    condition     = var.approval.review_url == null || can(regex("^https://[^\\s]{1,2040}$", var.approval.review_url))
    error_message = "approval.review_url must be null or an https:// URL (CodePipeline accepts at most 2048 characters)."
  }
}

variable "execution_mode" {
  description = "How runs that overlap are handled: QUEUED (default: each run completes in order, so a deploy is never cut short), SUPERSEDED (a newer run replaces an older one at the next stage) or PARALLEL."
  type        = string
  default     = "QUEUED"
  nullable    = false

  validation {
    condition     = contains(["QUEUED", "SUPERSEDED", "PARALLEL"], var.execution_mode)
    error_message = "execution_mode must be QUEUED, SUPERSEDED or PARALLEL."
  }
}

variable "commands" {
  description = "The shell commands of each CodeBuild step, used by the buildspecs this module generates (ignored when buildspec is set). Deploy and integration-test steps get LAUNCHPAD_STAGE (staging or production) and LAUNCHPAD_ENDPOINT_NAME; every step gets LAUNCHPAD_STEP, LAUNCHPAD_PIPELINE and LAUNCHPAD_BUILD_TIMEOUT_MINUTES (its CodeBuild timeout)."
  type = object({
    build_and_test   = optional(list(string), ["make setup", "make test"])
    policy_check     = optional(list(string), ["make setup", "make policy"])
    deploy           = optional(list(string), ["make setup", "make deploy STAGE=$LAUNCHPAD_STAGE"])
    integration_test = optional(list(string), ["make setup", "make integration-test STAGE=$LAUNCHPAD_STAGE"])
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for c in [var.commands.build_and_test, var.commands.policy_check, var.commands.deploy, var.commands.integration_test] : length(c) > 0 && alltrue([for line in c : trimspace(line) != ""])])
    error_message = "commands must give each step at least one non-empty command."
  }
}

variable "buildspec" {
  description = "Path of a buildspec file in the source (e.g. \"buildspec.yml\") used by every step instead of the generated ones; it tells the steps apart by LAUNCHPAD_STEP. Null (default) generates one per step from commands."
  type        = string
  default     = null

  validation {
    condition     = var.buildspec == null || can(regex("^[A-Za-z0-9_./-]+\\.ya?ml$", var.buildspec))
    error_message = "buildspec must be null or a relative path to a .yml or .yaml file in the source."
  }
}

variable "environment_variables" {
  description = "Plain-text environment variables for every step (never secrets: use Secrets Manager or Parameter Store references in your buildspec). The LAUNCHPAD_* names are reserved."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k)) && !startswith(k, "LAUNCHPAD_") && !startswith(k, "CODEBUILD_")])
    error_message = "environment_variables names must be shell identifiers, and LAUNCHPAD_* and CODEBUILD_* are reserved."
  }

  validation {
    condition     = !anytrue([for k in keys(var.environment_variables) : can(regex("(?i)(secret|password|token|private_?key)", k))])
    error_message = "environment_variables must not carry secrets (a name contains secret, password, token or private key): they are stored in plain text in the project. Reference Secrets Manager or Parameter Store from the buildspec instead."
  }
}

variable "launchpad_release" {
  description = <<-EOT
    Where builds without internet get launchpad: a release that `launchpad release publish` put at
    s3://<bucket>/<prefix>/<version>/ (the wheels and SHA256SUMS). Every step gets LAUNCHPAD_RELEASE_URI set to
    that folder (the baked project's buildspec.yml installs from it when set) and its role may list that folder
    (s3:ListBucket with s3:prefix equal to it) and read its objects, nothing else of the bucket. kms_key_arn: the
    bucket's KMS key, in the pipeline's region; the roles may decrypt with it through S3 only (not needed when it
    is kms_key_arn, which they already use). Null (default): builds install launchpad from the project's index.
  EOT
  type = object({
    bucket_arn  = string
    version     = string
    prefix      = optional(string, "releases/launchpad")
    kms_key_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.launchpad_release == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.launchpad_release.bucket_arn))
    error_message = "launchpad_release.bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>) with no wildcard or key."
  }

  validation {
    condition     = var.launchpad_release == null || can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)((a|b|rc)(0|[1-9][0-9]*))?$", var.launchpad_release.version))
    error_message = "launchpad_release.version must be a release version as launchpad release publish names its folder: MAJOR.MINOR.PATCH, optionally with a pre-release (1.2.0rc1), no \"v\" and no wildcard."
  }

  validation {
    condition     = var.launchpad_release == null || can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.launchpad_release.prefix))
    error_message = "launchpad_release.prefix must be a key prefix of letters, digits, _ . - separated by single slashes, with no leading or trailing slash and no wildcard (default releases/launchpad)."
  }

  validation {
    condition     = var.launchpad_release == null || try(var.launchpad_release.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.launchpad_release.kms_key_arn)), false)
    error_message = "launchpad_release.kms_key_arn must be null (an SSE-S3 bucket) or a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>)."
  }
}

variable "codebuild" {
  description = <<-EOT
    The CodeBuild environment of every step. privileged_mode (Docker-in-Docker) applies to build-and-test only,
    and only when it builds a container image: it gives the build root on its host, so it is off by default.

    image is AWS's curated image by default. A private ECR image (the model project's build image, with its
    dependencies, launchpad and checkov installed: builds without internet need one) needs
    image_repository_arn, the ARN of its repository in this account: CodeBuild then pulls it as each step's
    role (image_pull_credentials_type SERVICE_ROLE), and each role may pull from that repository only
    (ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer on it; ecr:GetAuthorizationToken,
    which has no resource, on "*"). An ECR image without it is refused: CodeBuild's own credentials would need
    a repository policy this module does not write.

    build_timeout_minutes bounds build-and-test, policy-check and integration-test; deploy_timeout_minutes the
    two deploy steps, which wait for the rollout, its bake and a possible rollback. The default, 180 minutes,
    covers the baked project's prod config (3600 s maximum execution + 900 s bake + a 3600 s guard rollback =
    135 minutes) and its setup. Every step gets its own as LAUNCHPAD_BUILD_TIMEOUT_MINUTES, and launchpad
    deploy refuses a stage config whose worst case would not end before the build does.
  EOT
  type = object({
    image                  = optional(string, "aws/codebuild/amazonlinux2-x86_64-standard:5.0")
    image_repository_arn   = optional(string)
    compute_type           = optional(string, "BUILD_GENERAL1_SMALL")
    build_timeout_minutes  = optional(number, 60)
    deploy_timeout_minutes = optional(number, 180)
    queued_timeout_minutes = optional(number, 480)
    privileged_mode        = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"], var.codebuild.compute_type)
    error_message = "codebuild.compute_type must be one of BUILD_GENERAL1_SMALL, _MEDIUM, _LARGE, _XLARGE, _2XLARGE (Linux container builds)."
  }

  validation {
    condition     = var.codebuild.build_timeout_minutes >= 5 && var.codebuild.build_timeout_minutes <= 2160 && floor(var.codebuild.build_timeout_minutes) == var.codebuild.build_timeout_minutes
    error_message = "codebuild.build_timeout_minutes must be a whole number between 5 and 2160 (the CodeBuild limits)."
  }

  validation {
    condition     = var.codebuild.deploy_timeout_minutes >= 5 && var.codebuild.deploy_timeout_minutes <= 2160 && floor(var.codebuild.deploy_timeout_minutes) == var.codebuild.deploy_timeout_minutes
    error_message = "codebuild.deploy_timeout_minutes must be a whole number between 5 and 2160 (the CodeBuild limits): the deploy steps' timeout, which must outlast the rollout, its bake and a rollback."
  }

  validation {
    condition     = var.codebuild.queued_timeout_minutes >= 5 && var.codebuild.queued_timeout_minutes <= 480 && floor(var.codebuild.queued_timeout_minutes) == var.codebuild.queued_timeout_minutes
    error_message = "codebuild.queued_timeout_minutes must be a whole number between 5 and 480 (the CodeBuild limits)."
  }

  validation {
    condition     = trimspace(var.codebuild.image) != "" && !strcontains(var.codebuild.image, " ")
    error_message = "codebuild.image must be a CodeBuild curated image (aws/codebuild/...) or an image URI, without spaces."
  }

  validation {
    condition     = var.codebuild.image_repository_arn != null || !can(regex("^[0-9]{12}\\.dkr\\.ecr\\.", var.codebuild.image))
    error_message = "codebuild.image is a private ECR image, but codebuild.image_repository_arn is null: set it to the ARN of that repository, so the steps' roles may pull it (SERVICE_ROLE credentials); CodeBuild's own credentials would need a repository policy this module does not write."
  }

  validation {
    condition = var.codebuild.image_repository_arn == null ? true : try(
      can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9][a-z0-9._/-]{1,255}$", var.codebuild.image_repository_arn)) &&
      can(regex(format(
        "^%s\\.dkr\\.ecr\\.%s\\.amazonaws\\.com(\\.cn)?/%s(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$",
        split(":", var.codebuild.image_repository_arn)[4],
        split(":", var.codebuild.image_repository_arn)[3],
        replace(split(":repository/", var.codebuild.image_repository_arn)[1], ".", "\\."),
      ), var.codebuild.image)),
    false)
    error_message = "codebuild.image_repository_arn must be an ECR repository ARN (arn:<partition>:ecr:<region>:<account>:repository/<name>), and codebuild.image an image of that repository: <account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag> (or @sha256:<digest>), of the same account, region and name."
  }
}

variable "vpc_config" {
  description = "Run the builds inside a VPC: private subnets with the VPC endpoints the steps call (S3 gateway; logs, sts, sagemaker.api, monitoring, application-autoscaling; ecr.api and ecr.dkr to pull a build image). Without a NAT there is no package index: give the steps the project's build image (codebuild.image_repository_arn). Null (default) runs them in CodeBuild's network."
  type = object({
    vpc_id             = string
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.vpc_config == null || try(
      can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_config.vpc_id)) &&
      length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= 16 &&
      alltrue([for s in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]) &&
      length(var.vpc_config.security_group_ids) >= 1 && length(var.vpc_config.security_group_ids) <= 5 &&
      alltrue([for g in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))]),
    false)
    error_message = "vpc_config must be null, or name a vpc-… id, 1-16 subnet-… ids and 1-5 sg-… ids (the CodeBuild limits)."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of a permissions boundary set on every role the module creates, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource (a Pipeline tag is added)."
  type        = map(string)
  default     = {}
  nullable    = false
}
