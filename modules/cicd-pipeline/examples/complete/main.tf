# A delivery pipeline for one model project, with an S3 (air-gapped) source: upload the project zip and it runs
# build-and-test, the policy check, the staging deploy and its integration tests, asks for approval by e-mail,
# then deploys to production.

provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example.
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "internal"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  bucket_prefix = "${var.name}-${data.aws_caller_identity.current.account_id}"
  # Where the deploy steps upload model artifacts (created by the platform stack; here only named).
  model_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_prefix}-models"
}

module "artifact_key" {
  source = "../../../kms"

  name                    = "${var.name}-pipeline"
  description             = "${var.name}: pipeline artifacts and approval notifications"
  deletion_window_in_days = 7
  tags                    = var.tags
}

module "logs_key" {
  source = "../../../kms"

  name                    = "${var.name}-logs"
  description             = "${var.name}: CodeBuild logs"
  service_principals      = ["logs.${var.region}.amazonaws.com"]
  deletion_window_in_days = 7
  tags                    = var.tags
}

module "access_logs" {
  source = "../../../s3-bucket"

  bucket               = "${local.bucket_prefix}-access-logs"
  is_access_log_target = true
  access_log_source_bucket_arns = [
    "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_prefix}-pipeline-artifacts",
    "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_prefix}-pipeline-source",
    "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_prefix}-releases",
  ]
  force_destroy = var.force_destroy_buckets
  tags          = var.tags
}

# Where the builds, which may have no internet, get launchpad: the folder `launchpad release publish` writes,
# s3://<bucket>/releases/launchpad/<version>/, in a bucket with a key of its own (the platform's artifacts bucket).
module "release_key" {
  source = "../../../kms"

  name                    = "${var.name}-releases"
  description             = "${var.name}: launchpad releases for offline builds"
  deletion_window_in_days = 7
  tags                    = var.tags
}

module "releases" {
  source = "../../../s3-bucket"

  bucket            = "${local.bucket_prefix}-releases"
  kms_key_arn       = module.release_key.key_arn
  access_log_bucket = module.access_logs.bucket_id
  access_log_prefix = "releases/"
  force_destroy     = var.force_destroy_buckets
  tags              = var.tags
}

module "sagemaker_role" {
  source = "../../../iam"

  name                = "${var.name}-sagemaker-execution"
  s3_read_bucket_arns = [local.model_bucket_arn]
  kms_key_arns        = [module.artifact_key.key_arn]
  tags                = var.tags
}

module "pipeline" {
  source = "../../"

  name = var.name
  source_repository = {
    type           = "s3"
    s3_bucket_name = "${local.bucket_prefix}-pipeline-source"
    s3_object_key  = "${var.name}/source.zip"
  }
  artifact_bucket_name  = "${local.bucket_prefix}-pipeline-artifacts"
  access_log_bucket     = module.access_logs.bucket_id
  force_destroy_buckets = var.force_destroy_buckets
  kms_key_arn           = module.artifact_key.key_arn
  logs_kms_key_arn      = module.logs_key.key_arn

  deploy = {
    staging_endpoint_name    = "${var.name}-staging"
    production_endpoint_name = "${var.name}-production"
    execution_role_arn       = module.sagemaker_role.role_arn
    model_bucket_arn         = local.model_bucket_arn
    model_kms_key_arn        = module.artifact_key.key_arn
  }

  approval = {
    subscriptions = [{ protocol = "email", endpoint = var.approver_email }]
  }

  launchpad_release = {
    bucket_arn  = module.releases.bucket_arn
    version     = var.launchpad_version
    kms_key_arn = module.release_key.key_arn
  }

  environment_variables = { MODEL_NAME = var.name }
  tags                  = var.tags
}
