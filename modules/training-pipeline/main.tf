# One model project's training pipeline (SageMaker Pipelines): the definition launchpad generates, the role
# SageMaker runs the pipeline as (it creates the steps' jobs and registers the model version) and the role the
# steps' Processing, Training and Tuning jobs run as.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  name          = coalesce(var.name, "${var.project}-training")
  group_name    = coalesce(var.model_package_group_name, var.project)
  sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  ec2_arn       = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  logs_arn      = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
  pipeline_arn  = "${local.sagemaker_arn}:pipeline/${local.name}"
  job_role_name = "${local.name}-job"
  job_role_arn  = "arn:${local.partition}:iam::${local.account_id}:role/${local.job_role_name}" # known at plan
  via_s3        = "s3.${local.region}.amazonaws.com"

  # What SageMaker Pipelines names the jobs of a step: a Processing or Training step's job is
  # pipelines-<execution id>-<step name>-<random> (the pipeline's name is not in it), and a Tuning step's job
  # <execution id>-<step name, cut>-<random> (at most 32 characters), whose training jobs are
  # <tuning job>-<nnn>-<hash>. Only the first two can be scoped by a prefix; the tuning job and its training
  # jobs are scoped to this account and region only.
  processing_jobs = "${local.sagemaker_arn}:processing-job/pipelines-*"
  training_jobs   = "${local.sagemaker_arn}:training-job/pipelines-*"
  tuning_jobs     = "${local.sagemaker_arn}:hyper-parameter-tuning-job/*"
  tuned_jobs      = "${local.sagemaker_arn}:training-job/*"

  # s3://bucket/prefix/ -> bucket, prefix/ and the ARNs a policy names.
  s3 = {
    for k, uri in { for k, v in var.s3 : k => v if v != null } : k => {
      uri        = uri
      bucket     = split("/", trimprefix(uri, "s3://"))[0]
      prefix     = join("/", slice(split("/", trimprefix(uri, "s3://")), 1, length(split("/", trimprefix(uri, "s3://")))))
      objects    = "arn:${local.partition}:s3:::${trimprefix(uri, "s3://")}*"
      bucket_arn = "arn:${local.partition}:s3:::${split("/", trimprefix(uri, "s3://"))[0]}"
    }
  }
  read_inputs = [for k in ["training_data", "code", "baselines"] : k if contains(keys(local.s3), k)]

  # The namespaces SageMaker publishes job metrics to (the training jobs' metric definitions, the
  # processing jobs' own metrics).
  metric_namespaces = ["/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs"]
}

# ---------------------------------------------------------------------------------------------------------
# The pipeline's role: SageMaker Pipelines runs the executions of this pipeline as it
# ---------------------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "pipeline_trust" {
  statement {
    sid     = "SageMakerRunsThisPipeline"
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
      values   = [local.pipeline_arn, "${local.pipeline_arn}/execution/*"]
    }
  }
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "RunProcessingSteps"
    actions   = ["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob"]
    resources = [local.processing_jobs]
  }

  statement {
    sid       = "RunTrainingSteps"
    actions   = ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"]
    resources = [local.training_jobs]
  }

  # Tuning job names carry no fixed prefix (see local.tuning_jobs): this account and region only.
  statement {
    sid       = "RunTuningSteps"
    actions   = ["sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob", "sagemaker:StopHyperParameterTuningJob"]
    resources = [local.tuning_jobs]
  }

  # The pipeline's tags go on the jobs it creates (sagemaker:AddTags with the create as tagging action).
  statement {
    sid       = "TagStepJobs"
    actions   = ["sagemaker:AddTags"]
    resources = [local.processing_jobs, local.training_jobs, local.tuning_jobs]
  }

  statement {
    sid       = "RegisterModelVersions"
    actions   = ["sagemaker:CreateModelPackage"]
    resources = ["${local.sagemaker_arn}:model-package/${local.group_name}/*"]
  }

  statement {
    sid       = "PassJobRoleToSageMaker"
    actions   = ["iam:PassRole"]
    resources = [local.job_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  # The steps' jobs encrypt their volumes with the artifacts key (VolumeKmsKeyId): creating such a job,
  # SageMaker makes a grant on the key for it as the caller, here the pipeline's role (the job fails to
  # start without it).
  statement {
    sid       = "GrantVolumeKeyToStepJobs"
    actions   = ["kms:CreateGrant"]
    resources = [var.kms.artifacts]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sagemaker.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # Property files (evaluation.json of the CrossValidate step), read by the Condition step's JsonGet.
  statement {
    sid       = "ReadPropertyFiles"
    actions   = ["s3:GetObject"]
    resources = [local.s3.artifacts.objects]
  }

  statement {
    sid       = "DecryptPropertyFilesThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [var.kms.artifacts]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_s3]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name                  = "${local.name}-pipeline"
  description           = "SageMaker Pipelines: runs pipeline ${local.name} (launchpad training-pipeline)."
  assume_role_policy    = data.aws_iam_policy_document.pipeline_trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = var.tags
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "${local.name}-pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# ---------------------------------------------------------------------------------------------------------
# The jobs' role: SageMaker runs the steps' Processing and Training jobs as it
# ---------------------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "job_trust" {
  statement {
    sid     = "SageMakerRunsThePipelinesJobs"
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

    # A tuning job's training jobs are named after it (see local.tuning_jobs): every training job of the
    # account and region.
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.processing_jobs, local.tuned_jobs]
    }
  }
}

data "aws_iam_policy_document" "job" {
  # SageMaker downloads the inputs (ListBucket on exactly the input prefixes, GetObject under them).
  statement {
    sid       = "ListInputPrefixes"
    actions   = ["s3:ListBucket"]
    resources = distinct([for k in local.read_inputs : local.s3[k].bucket_arn])

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for k in local.read_inputs : "${local.s3[k].prefix}*"]
    }
  }

  statement {
    sid       = "ReadTrainingData"
    actions   = ["s3:GetObject"]
    resources = [local.s3.training_data.objects]
  }

  statement {
    sid       = "ReadCode"
    actions   = ["s3:GetObject"]
    resources = [local.s3.code.objects]
  }

  dynamic "statement" {
    for_each = contains(keys(local.s3), "baselines") ? [local.s3.baselines] : []
    content {
      sid       = "ReadBaselines"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${statement.value.bucket}/${statement.value.prefix}*/baseline/*"]
    }
  }

  # Write only, and only SSE-KMS with the artifacts key.
  statement {
    sid       = "WriteArtifacts"
    actions   = ["s3:PutObject"]
    resources = [local.s3.artifacts.objects]

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.kms.artifacts]
    }
  }

  statement {
    sid       = "DecryptInputsThroughS3"
    actions   = ["kms:Decrypt"]
    resources = distinct(var.kms.data)

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_s3]
    }
  }

  statement {
    sid       = "EncryptArtifactsThroughS3"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kms.artifacts]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_s3]
    }
  }

  statement {
    sid       = "PublishJobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = local.metric_namespaces
    }
  }

  # The groups exist once per account and region (created with their key and retention, not by the role).
  statement {
    sid     = "WriteJobLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.logs_arn}:log-group:/aws/sagemaker/ProcessingJobs:log-stream:pipelines-*",
      "${local.logs_arn}:log-group:/aws/sagemaker/TrainingJobs:log-stream:*",
    ]
  }

  # The CrossValidate step reads the best candidate's hyperparameters (Steps.Tune.BestTrainingJob).
  statement {
    sid       = "DescribeTunedTrainingJobs"
    actions   = ["sagemaker:DescribeTrainingJob"]
    resources = [local.tuned_jobs]
  }

  dynamic "statement" {
    for_each = var.network == null ? [] : [var.network]
    content {
      sid       = "DescribeNetwork"
      actions   = ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.network == null ? [] : [var.network]
    content {
      sid     = "CreateJobNetworkInterfaces"
      actions = ["ec2:CreateNetworkInterface"]
      resources = concat(
        ["${local.ec2_arn}:network-interface/*"],
        [for s in statement.value.subnet_ids : "${local.ec2_arn}:subnet/${s}"],
        [for g in statement.value.security_group_ids : "${local.ec2_arn}:security-group/${g}"],
      )
    }
  }

  dynamic "statement" {
    for_each = var.network == null ? [] : [var.network]
    content {
      sid       = "ManageJobNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
      resources = ["${local.ec2_arn}:network-interface/*"]

      condition {
        test     = "ArnEquals"
        variable = "ec2:Subnet"
        values   = [for s in statement.value.subnet_ids : "${local.ec2_arn}:subnet/${s}"]
      }
    }
  }
}

resource "aws_iam_role" "job" {
  name                  = local.job_role_name
  description           = "SageMaker Processing and Training: the steps' jobs of pipeline ${local.name} (launchpad training-pipeline)."
  assume_role_policy    = data.aws_iam_policy_document.job_trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = var.tags
}

resource "aws_iam_role_policy" "job" {
  name   = "${local.name}-job"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

# ---------------------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------------------
resource "aws_sagemaker_pipeline" "this" {
  pipeline_name         = local.name
  pipeline_display_name = local.name
  pipeline_description  = var.description
  pipeline_definition   = var.pipeline_definition
  role_arn              = aws_iam_role.pipeline.arn

  parallelism_configuration {
    max_parallel_execution_steps = var.max_parallel_execution_steps
  }

  tags = var.tags

  # The role's policy first: an execution started as soon as the pipeline exists runs with it.
  depends_on = [aws_iam_role_policy.pipeline]
}
