# Least-privilege roles, one per CodeBuild step, one for the pipeline, one for the S3 source trigger. Each is
# built with modules/iam/modules/service-role: trusted by one service, on behalf of this account only.

locals {
  artifact_objects = "${module.artifact_bucket.bucket_arn}/*"
  ec2_arn_prefix   = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  subnet_arns      = var.vpc_config == null ? [] : [for s in var.vpc_config.subnet_ids : "${local.ec2_arn_prefix}:subnet/${s}"]

  # What each deploy step may touch in SageMaker: its endpoint, and the models and configurations named after
  # it (the sagemaker-endpoint module and the deploy engine name them <endpoint>-<...>).
  deploy_targets = {
    "deploy-staging"    = { endpoint = var.deploy.staging_endpoint_name, registers = true }
    "deploy-production" = { endpoint = var.deploy.production_endpoint_name, registers = false }
  }
}

# -- what every CodeBuild step needs: its log group, the pipeline artifacts, the artifact key -----------------
data "aws_iam_policy_document" "codebuild" {
  for_each = local.projects

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.codebuild[each.key].arn}:*"]
  }

  statement {
    sid       = "ReadWritePipelineArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = [local.artifact_objects]
  }

  statement {
    sid       = "LocateArtifactBucket"
    actions   = ["s3:GetBucketAcl", "s3:GetBucketLocation"]
    resources = [module.artifact_bucket.bucket_arn]
  }

  statement {
    sid       = "UseArtifactKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid = "DescribeNetworkForVpcBuilds"
      # Describe* calls have no resource-level permissions in EC2.
      actions   = ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid       = "ManageBuildNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
      resources = concat(["${local.ec2_arn_prefix}:network-interface/*"], local.subnet_arns, [for g in var.vpc_config.security_group_ids : "${local.ec2_arn_prefix}:security-group/${g}"])
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid       = "AttachBuildNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterfacePermission"]
      resources = ["${local.ec2_arn_prefix}:network-interface/*"]

      condition {
        test     = "StringEquals"
        variable = "ec2:AuthorizedService"
        values   = ["codebuild.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "ec2:Subnet"
        values   = local.subnet_arns
      }
    }
  }
}

# -- what the deploy steps add: their own endpoint, models and configurations; pass the execution role ----------
data "aws_iam_policy_document" "deploy" {
  for_each = local.deploy_targets

  source_policy_documents = [data.aws_iam_policy_document.codebuild[each.key].json]

  statement {
    sid = "ManageOwnEndpoint"
    actions = [
      "sagemaker:AddTags",
      "sagemaker:CreateEndpoint",
      "sagemaker:CreateEndpointConfig",
      "sagemaker:CreateModel",
      "sagemaker:DeleteEndpointConfig",
      "sagemaker:DeleteModel",
      "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:DescribeModel",
      "sagemaker:ListTags",
      "sagemaker:UpdateEndpoint",
      "sagemaker:UpdateEndpointWeightsAndCapacities",
    ]
    resources = [
      "${local.sagemaker_arn}:endpoint/${each.value.endpoint}",
      "${local.sagemaker_arn}:endpoint-config/${each.value.endpoint}-*",
      "${local.sagemaker_arn}:model/${each.value.endpoint}-*",
    ]
  }

  statement {
    sid       = "PassExecutionRoleToSageMaker"
    actions   = ["iam:PassRole"]
    resources = [var.deploy.execution_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadModelArtifacts"
    actions   = each.value.registers ? ["s3:GetObject", "s3:PutObject"] : ["s3:GetObject"]
    resources = ["${var.deploy.model_bucket_arn}/*"]
  }

  statement {
    sid       = "UseModelKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    resources = [var.deploy.model_kms_key_arn]
  }

  statement {
    sid       = "WatchOwnRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${each.value.endpoint}-*"]
  }

  dynamic "statement" {
    for_each = var.deploy.model_package_group_arn == null ? [] : [1]

    content {
      sid = "FindModelVersions"
      actions = concat(
        ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"],
        each.value.registers ? ["sagemaker:CreateModelPackage"] : [],
      )
      resources = [
        var.deploy.model_package_group_arn,
        "${replace(var.deploy.model_package_group_arn, ":model-package-group/", ":model-package/")}/*",
      ]
    }
  }
}

# -- what the integration tests add: invoke and describe the staging endpoint -------------------------------------
data "aws_iam_policy_document" "integration_test" {
  source_policy_documents = [data.aws_iam_policy_document.codebuild["integration-test"].json]

  statement {
    sid       = "InvokeStagingEndpoint"
    actions   = ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
    resources = ["${local.sagemaker_arn}:endpoint/${var.deploy.staging_endpoint_name}"]
  }
}

module "codebuild_role" {
  source   = "../iam/modules/service-role"
  for_each = local.projects

  name               = "${var.name}-${each.key}"
  description        = "CodeBuild step ${each.key} of pipeline ${var.name}."
  service_principals = ["codebuild.amazonaws.com"]
  policy_json = (
    contains(keys(local.deploy_targets), each.key) ? data.aws_iam_policy_document.deploy[each.key].json :
    each.key == "integration-test" ? data.aws_iam_policy_document.integration_test.json :
    data.aws_iam_policy_document.codebuild[each.key].json
  )
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

# -- the pipeline: artifacts, the source, its own CodeBuild projects, the approval topic -------------------------
data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "ReadWritePipelineArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"]
    resources = [local.artifact_objects]
  }

  statement {
    sid       = "LocateArtifactBucket"
    actions   = ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"]
    resources = [module.artifact_bucket.bucket_arn]
  }

  statement {
    sid       = "UseArtifactKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "RunOwnBuilds"
    actions   = ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"]
    resources = [for p in aws_codebuild_project.this : p.arn]
  }

  dynamic "statement" {
    for_each = local.s3_source ? [1] : []

    content {
      sid       = "ReadSourceObject"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = ["${module.source_bucket[0].bucket_arn}/${var.source_repository.s3_object_key}"]
    }
  }

  dynamic "statement" {
    for_each = local.s3_source ? [1] : []

    content {
      sid       = "LocateSourceBucket"
      actions   = ["s3:GetBucketVersioning", "s3:ListBucket"]
      resources = [module.source_bucket[0].bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = local.s3_source ? [] : [1]

    content {
      sid = "UseSourceConnection"
      # The service prefix was renamed from codestar-connections to codeconnections in 2024; both are honoured.
      actions   = ["codeconnections:UseConnection", "codestar-connections:UseConnection"]
      resources = local.connection_arns
    }
  }

  dynamic "statement" {
    for_each = local.approval ? [1] : []

    content {
      sid       = "RequestApproval"
      actions   = ["sns:Publish"]
      resources = [module.approval_topic[0].arn]
    }
  }
}

module "pipeline_role" {
  source = "../iam/modules/service-role"

  name                     = "${var.name}-pipeline"
  description              = "CodePipeline ${var.name}."
  service_principals       = ["codepipeline.amazonaws.com"]
  policy_json              = data.aws_iam_policy_document.pipeline.json
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}

# -- EventBridge starts the pipeline when the S3 source object changes --------------------------------------------
data "aws_iam_policy_document" "events" {
  count = local.s3_source ? 1 : 0

  statement {
    sid       = "StartThisPipeline"
    actions   = ["codepipeline:StartPipelineExecution"]
    resources = [aws_codepipeline.this.arn]
  }
}

module "events_role" {
  source = "../iam/modules/service-role"
  count  = local.s3_source ? 1 : 0

  name                     = "${var.name}-source-trigger"
  description              = "EventBridge: starts pipeline ${var.name} when its S3 source changes."
  service_principals       = ["events.amazonaws.com"]
  policy_json              = data.aws_iam_policy_document.events[0].json
  permissions_boundary_arn = var.permissions_boundary_arn
  tags                     = local.tags
}
