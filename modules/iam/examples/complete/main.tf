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
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # SageMaker writes an endpoint's container logs to /aws/sagemaker/Endpoints/<endpoint-name>.
  endpoint_log_group_name  = "/aws/sagemaker/Endpoints/${var.name}"
  codebuild_log_group_name = "/aws/codebuild/${var.name}"

  # Buckets are referenced by name only: IAM does not need them to exist (another module creates them).
  model_bucket_arn        = "arn:${local.partition}:s3:::${var.name}-model-artifacts"
  data_capture_bucket_arn = "arn:${local.partition}:s3:::${var.name}-data-capture"

  tags = {
    Project = "launchpad"
    Example = "iam-complete"
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Resources the role is scoped to: a KMS key, the endpoint's log group and the image repository.
# ---------------------------------------------------------------------------------------------------------------

# The workload key, from the shared kms module (key, key policy and alias/<name>). CloudWatch Logs of this
# region may use it for log groups of this account; the roles and ECR use it through IAM policies of this account
# (the module's account root statement).
module "key" {
  source = "../../../kms"

  name               = var.name
  description        = "${var.name}: SageMaker data, logs and images"
  service_principals = ["logs.${var.region}.amazonaws.com"]

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not leave a key pending deletion
  # for a month. The module default is 30 days.
  deletion_window_in_days = 7

  tags = local.tags
}

resource "aws_cloudwatch_log_group" "endpoint" {
  name              = local.endpoint_log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = module.key.key_arn
  tags              = local.tags
}

resource "aws_cloudwatch_log_group" "codebuild" {
  name              = local.codebuild_log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = module.key.key_arn
  tags              = local.tags
}

resource "aws_ecr_repository" "this" {
  name                 = "${var.name}/inference"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = module.key.key_arn
  }

  tags = local.tags
}

# ---------------------------------------------------------------------------------------------------------------
# Permissions boundary: the ceiling for every role of this workload, even if a policy is later widened.
# ---------------------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "boundary" {
  statement {
    sid    = "WorkloadData"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:GetBucketLocation",
    ]
    resources = [
      "arn:${local.partition}:s3:::${var.name}-*",
      "arn:${local.partition}:s3:::${var.name}-*/*",
    ]
  }

  statement {
    sid       = "WorkloadKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [module.key.key_arn]
  }

  statement {
    sid    = "WorkloadLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [
      "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/sagemaker/*",
      "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/codebuild/${var.name}*",
    ]
  }

  statement {
    sid    = "WorkloadImages"
    effect = "Allow"
    actions = [
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchCheckLayerAvailability",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
    ]
    resources = ["arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${var.name}/*"]
  }

  statement {
    sid    = "WorkloadNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface",
      "ec2:DeleteNetworkInterfacePermission",
    ]
    resources = [
      "arn:${local.partition}:ec2:${var.region}:${local.account_id}:network-interface/*",
      "arn:${local.partition}:ec2:${var.region}:${local.account_id}:subnet/*",
      "arn:${local.partition}:ec2:${var.region}:${local.account_id}:security-group/*",
    ]
  }

  statement {
    sid    = "UnscopableReadsAndMetrics"
    effect = "Allow"
    actions = [
      "ecr:GetAuthorizationToken",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeVpcs",
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "cloudwatch:PutMetricData",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name        = "${var.name}-boundary"
  description = "Permissions boundary for the ${var.name} workload roles."
  policy      = data.aws_iam_policy_document.boundary.json
  tags        = local.tags
}

# ---------------------------------------------------------------------------------------------------------------
# The SageMaker execution role.
# ---------------------------------------------------------------------------------------------------------------

module "sagemaker_role" {
  source = "../../"

  name                     = "${var.name}-sagemaker-execution"
  s3_read_bucket_arns      = [local.model_bucket_arn]
  s3_write_bucket_arns     = [local.data_capture_bucket_arn]
  kms_key_arns             = [module.key.key_arn]
  log_group_arns           = [aws_cloudwatch_log_group.endpoint.arn]
  ecr_repository_arns      = [aws_ecr_repository.this.arn]
  permissions_boundary_arn = aws_iam_policy.boundary.arn
  tags                     = local.tags
}

# ---------------------------------------------------------------------------------------------------------------
# Another service role through the same helper: a CodeBuild role that builds and pushes the inference image.
# ---------------------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "codebuild" {
  statement {
    sid    = "PushInferenceImage"
    effect = "Allow"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
    ]
    resources = [aws_ecr_repository.this.arn]
  }

  statement {
    sid       = "WriteBuildLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.codebuild.arn, "${aws_cloudwatch_log_group.codebuild.arn}:*"]
  }

  statement {
    sid       = "UseWorkloadKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [module.key.key_arn]
  }
}

data "aws_iam_policy_document" "codebuild_ecr_auth" {
  statement {
    sid       = "EcrAuthorizationToken"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "codebuild_combined" {
  source_policy_documents = [
    data.aws_iam_policy_document.codebuild.json,
    data.aws_iam_policy_document.codebuild_ecr_auth.json,
  ]
}

module "codebuild_role" {
  source = "../../modules/service-role"

  name                     = "${var.name}-codebuild"
  description              = "CodeBuild role that builds and pushes the ${var.name} inference image."
  service_principals       = ["codebuild.amazonaws.com"]
  policy_json              = data.aws_iam_policy_document.codebuild_combined.json
  permissions_boundary_arn = aws_iam_policy.boundary.arn
  tags                     = local.tags
}
