data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  tags       = merge({ Pipeline = var.name }, var.tags)

  s3_source       = var.source_repository.type == "s3"
  approval        = var.approval.enabled
  sagemaker_arn   = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  connection_arns = local.s3_source ? [] : [var.source_repository.connection_arn]

  # The review link in the approval request: the approver looks at the staging endpoint before saying yes.
  review_url = coalesce(
    var.approval.review_url,
    "https://${local.region}.console.aws.amazon.com/sagemaker/home?region=${local.region}#/endpoints/${var.deploy.staging_endpoint_name}",
  )
}

# -- buckets: pipeline artifacts, and the source bucket of an S3 (air-gapped) source ---------------------------
module "artifact_bucket" {
  source = "../s3-bucket"

  bucket                             = var.artifact_bucket_name
  kms_key_arn                        = var.kms_key_arn
  access_log_bucket                  = var.access_log_bucket
  noncurrent_version_expiration_days = var.artifact_retention_days
  lifecycle_rules                    = [{ id = "expire-pipeline-artifacts", expiration_days = var.artifact_retention_days }]
  force_destroy                      = var.force_destroy_buckets
  tags                               = local.tags
}

module "source_bucket" {
  source = "../s3-bucket"
  count  = local.s3_source ? 1 : 0

  bucket            = var.source_repository.s3_bucket_name
  kms_key_arn       = var.kms_key_arn
  access_log_bucket = var.access_log_bucket
  force_destroy     = var.force_destroy_buckets
  tags              = local.tags
}

# An S3 source starts the pipeline through EventBridge (S3 sends Object Created events once enabled), not by
# polling, which AWS deprecates for V2 pipelines.
resource "aws_s3_bucket_notification" "source" {
  count = local.s3_source ? 1 : 0

  bucket      = module.source_bucket[0].bucket_id
  eventbridge = true
}

resource "aws_cloudwatch_event_rule" "source" {
  count = local.s3_source ? 1 : 0

  name        = "${var.name}-source-changed"
  description = "Start pipeline ${var.name} when s3://${var.source_repository.s3_bucket_name}/${var.source_repository.s3_object_key} changes."
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [var.source_repository.s3_bucket_name] }
      object = { key = [var.source_repository.s3_object_key] }
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "source" {
  count = local.s3_source ? 1 : 0

  rule     = aws_cloudwatch_event_rule.source[0].name
  arn      = aws_codepipeline.this.arn
  role_arn = module.events_role[0].arn
}

# -- the approval topic: approvers get the request, with the review link, by e-mail (or https) ----------------
module "approval_topic" {
  source = "../sns-topic"
  count  = local.approval ? 1 : 0

  name          = "${var.name}-approvals"
  display_name  = "${var.name} production approvals"
  kms_key_arn   = var.kms_key_arn
  subscriptions = var.approval.subscriptions
  tags          = local.tags
}

# -- the pipeline ------------------------------------------------------------------------------------------------
resource "aws_codepipeline" "this" {
  name           = var.name
  role_arn       = module.pipeline_role.arn
  pipeline_type  = "V2"
  execution_mode = var.execution_mode

  # CodePipeline starts a first execution as soon as the pipeline exists: its roles' policies come first, or
  # that execution runs with roles that may do nothing yet.
  depends_on = [module.pipeline_role, module.codebuild_role, aws_iam_role_policy.build_image]

  artifact_store {
    type     = "S3"
    location = module.artifact_bucket.bucket_id

    encryption_key {
      id   = var.kms_key_arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"

    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = local.s3_source ? "S3" : "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = local.s3_source ? {
        S3Bucket             = one(module.source_bucket[*].bucket_id)
        S3ObjectKey          = var.source_repository.s3_object_key
        PollForSourceChanges = "false"
        } : {
        ConnectionArn        = var.source_repository.connection_arn
        FullRepositoryId     = var.source_repository.repository
        BranchName           = var.source_repository.branch
        OutputArtifactFormat = "CODE_ZIP"
        DetectChanges        = "false" # the V2 trigger below starts the pipeline
      }
    }
  }

  dynamic "stage" {
    for_each = local.stages

    content {
      name = stage.value.stage

      dynamic "action" {
        for_each = stage.value.step == "approval" ? [1] : []

        content {
          name     = "Approve"
          category = "Approval"
          owner    = "AWS"
          provider = "Manual"
          version  = "1"
          configuration = {
            NotificationArn    = module.approval_topic[0].arn
            CustomData         = "Approve deploying ${var.name} to production (${var.deploy.production_endpoint_name}): it passed its tests, the policy check and the integration tests on staging (${var.deploy.staging_endpoint_name})."
            ExternalEntityLink = local.review_url
          }
        }
      }

      dynamic "action" {
        for_each = stage.value.step == "approval" ? [] : [local.projects[stage.value.step]]

        content {
          name             = stage.value.stage
          category         = action.value.category
          owner            = "AWS"
          provider         = "CodeBuild"
          version          = "1"
          input_artifacts  = [action.value.input]
          output_artifacts = action.value.output == null ? [] : [action.value.output]
          configuration = {
            ProjectName = aws_codebuild_project.this[stage.value.step].name
          }
        }
      }
    }
  }

  dynamic "trigger" {
    for_each = local.s3_source ? [] : [1]

    content {
      provider_type = "CodeStarSourceConnection"

      git_configuration {
        source_action_name = "Source"

        push {
          branches {
            includes = [var.source_repository.branch]
          }
        }
      }
    }
  }

  tags = local.tags
}
