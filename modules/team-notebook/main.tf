# A team's development environment: a SageMaker notebook instance in the platform's private subnet (no direct
# internet, no root), its volume encrypted with the team's key, a lifecycle configuration that installs the
# team's project and stops the instance when idle, and a role that may start the team's pipeline and read
# its data and models, never approve a model version.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  region        = data.aws_region.current.name
  sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  ec2_arn       = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  logs_arn      = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
  via_s3        = "s3.${local.region}.amazonaws.com"

  notebook_arn = "${local.sagemaker_arn}:notebook-instance/${lower(var.name)}"
  pipeline_arn = "${local.sagemaker_arn}:pipeline/${var.pipeline_name}"

  # s3://bucket/prefix/ -> bucket, prefix/ and the ARNs a policy names.
  s3 = {
    for k, uri in merge({ data = var.data.s3_prefix }, var.project_source.type == "s3" ? { wheels = var.project_source.uri } : {}) : k => {
      bucket_arn = "arn:${local.partition}:s3:::${split("/", trimprefix(uri, "s3://"))[0]}"
      prefix     = join("/", slice(split("/", trimprefix(uri, "s3://")), 1, length(split("/", trimprefix(uri, "s3://")))))
      objects    = "arn:${local.partition}:s3:::${trimprefix(uri, "s3://")}*"
    }
  }
  repository_arn = var.project_source.type == "git" ? format(
    "arn:%s:codecommit:%s:%s:%s",
    local.partition,
    regex("^https://git-codecommit\\.([a-z0-9-]+)\\.", var.project_source.uri)[0],
    local.account_id,
    regex("/v1/repos/([^/]+)$", var.project_source.uri)[0],
  ) : null

  on_create = templatefile("${path.module}/scripts/on-create.sh.tftpl", {
    source_type = var.project_source.type
    source_uri  = var.project_source.uri
    index_url   = var.project_source.index_url
  })
  on_start = templatefile("${path.module}/scripts/on-start.sh.tftpl", {
    idle_minutes = var.idle_minutes
    idle_script  = filebase64("${path.module}/scripts/idle_shutdown.py")
  })
}

# ---------------------------------------------------------------------------------------------------------
# The notebook's role
# ---------------------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "SageMakerRunsThisNotebook"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.notebook_arn]
    }
  }
}

data "aws_iam_policy_document" "notebook" {
  #checkov:skip=CKV_AWS_356:ListModelVersions: sagemaker:ListModelPackages has no resource type in the Service Authorization Reference (AWS authorizes it on "*"); every other statement names its resources.
  statement {
    sid       = "StartTeamPipeline"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = [local.pipeline_arn]
  }

  statement {
    sid       = "FollowTeamPipeline"
    actions   = ["sagemaker:DescribePipeline", "sagemaker:ListPipelineExecutions", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps"]
    resources = [local.pipeline_arn, "${local.pipeline_arn}/execution/*"]
  }

  statement {
    sid       = "ListTeamData"
    actions   = ["s3:ListBucket"]
    resources = [local.s3.data.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.s3.data.prefix}*"]
    }
  }

  statement {
    sid       = "ReadTeamData"
    actions   = ["s3:GetObject"]
    resources = [local.s3.data.objects]
  }

  statement {
    sid       = "DecryptTeamDataThroughS3"
    actions   = ["kms:Decrypt"]
    resources = distinct(var.data.kms_key_arns)

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_s3]
    }
  }

  statement {
    sid       = "ReadModelRegistry"
    actions   = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage"]
    resources = ["${local.sagemaker_arn}:model-package-group/${var.model_package_group_name}", "${local.sagemaker_arn}:model-package/${var.model_package_group_name}/*"]
  }

  # ListModelPackages has no resource-level permissions (Service Authorization Reference): "*" only.
  statement {
    sid       = "ListModelVersions"
    actions   = ["sagemaker:ListModelPackages"]
    resources = ["*"]
  }

  # Approving a version is the approvers' (modules/model-registry): never the team's notebook, whatever
  # else grants it.
  statement {
    sid       = "NeverApproveModelVersions"
    effect    = "Deny"
    actions   = ["sagemaker:UpdateModelPackage"]
    resources = ["*"]
  }

  # The idle shutdown stops the instance it runs on, and nothing else.
  statement {
    sid       = "StopItselfWhenIdle"
    actions   = ["sagemaker:StopNotebookInstance"]
    resources = [local.notebook_arn]
  }

  # The group exists once per account and region (created with its key and retention, not by the role).
  statement {
    sid       = "WriteNotebookLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.logs_arn}:log-group:/aws/sagemaker/NotebookInstances:log-stream:${var.name}/*"]
  }

  dynamic "statement" {
    for_each = local.repository_arn == null ? [] : [local.repository_arn]
    content {
      sid       = "InstallProjectFromCodeCommit"
      actions   = ["codecommit:GitPull"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = contains(keys(local.s3), "wheels") ? [local.s3.wheels] : []
    content {
      sid       = "ListProjectWheels"
      actions   = ["s3:ListBucket"]
      resources = [statement.value.bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.prefix}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = contains(keys(local.s3), "wheels") ? [local.s3.wheels] : []
    content {
      sid       = "ReadProjectWheels"
      actions   = ["s3:GetObject"]
      resources = [statement.value.objects]
    }
  }

  statement {
    sid       = "DescribeNetwork"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
    resources = ["*"]
  }

  # The notebook's network interface, in the platform's subnet and security groups only.
  statement {
    sid     = "CreateNotebookNetworkInterface"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["${local.ec2_arn}:network-interface/*", "${local.ec2_arn}:subnet/${var.network.subnet_id}"],
      [for g in var.network.security_group_ids : "${local.ec2_arn}:security-group/${g}"],
    )
  }

  statement {
    sid       = "ManageNotebookNetworkInterface"
    actions   = ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
    resources = ["${local.ec2_arn}:network-interface/*"]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = ["${local.ec2_arn}:subnet/${var.network.subnet_id}"]
    }
  }
}

resource "aws_iam_role" "notebook" {
  name                  = "${var.name}-notebook"
  description           = "SageMaker notebook instance ${var.name}: starts pipeline ${var.pipeline_name}, reads the team's data and models (launchpad team-notebook)."
  assume_role_policy    = data.aws_iam_policy_document.trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = var.tags
}

resource "aws_iam_role_policy" "notebook" {
  name   = "${var.name}-notebook"
  role   = aws_iam_role.notebook.id
  policy = data.aws_iam_policy_document.notebook.json
}

# ---------------------------------------------------------------------------------------------------------
# The notebook instance
# ---------------------------------------------------------------------------------------------------------
resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "this" {
  name      = var.name
  on_create = base64encode(local.on_create)
  on_start  = base64encode(local.on_start)
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  role_arn               = aws_iam_role.notebook.arn
  instance_type          = var.instance_type
  platform_identifier    = var.platform_identifier
  volume_size            = var.volume_size_gb
  kms_key_id             = var.kms_key_arn
  subnet_id              = var.network.subnet_id
  security_groups        = var.network.security_group_ids
  direct_internet_access = "Disabled"
  root_access            = "Disabled"
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.this.name

  instance_metadata_service_configuration {
    minimum_instance_metadata_service_version = "2"
  }

  tags = var.tags

  # The role's policy first: the lifecycle scripts run as it when the instance starts.
  depends_on = [aws_iam_role_policy.notebook]
}
