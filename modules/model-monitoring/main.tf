# The monitoring loop of one model project's endpoint: a scheduled Processing job computes drift, quality and
# bias (launchpad.monitor on AWS's scikit-learn image), alarms watch what it publishes, and the drift and KPI
# alarms may start the project's pipeline again through the retrain function.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_region" "current" {
  # Rules that relate several inputs; the data source is read at every plan, so these fail it before anything
  # is created.
  lifecycle {
    precondition {
      condition     = var.datapoints_to_alarm <= var.evaluation_periods
      error_message = "datapoints_to_alarm (${var.datapoints_to_alarm}) must not exceed evaluation_periods (${var.evaluation_periods})."
    }

    precondition {
      condition     = var.alarm_period_seconds * max(var.evaluation_periods, var.drift.missed_runs) <= (var.alarm_period_seconds >= 3600 ? 604800 : 86400)
      error_message = "alarm_period_seconds x evaluation_periods (or drift.missed_runs) must not exceed one day (86400 s), or seven days (604800 s) when alarm_period_seconds >= 3600 (the CloudWatch limit on an alarm's evaluation range)."
    }
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  dns_suffix = data.aws_partition.current.dns_suffix
  tags       = var.tags

  schedule_name = "${var.name}-monitor"
  job_prefix    = var.name

  sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  ec2_arn       = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  logs_arn      = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
  alarm_arn     = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm"

  # s3://bucket/prefix/ -> bucket, prefix/ and the ARNs a policy names.
  s3 = {
    for k, uri in merge(var.s3, { feedback = var.retrain.feedback_s3_uri }) : k => {
      uri     = uri
      bucket  = split("/", trimprefix(uri, "s3://"))[0]
      prefix  = join("/", slice(split("/", trimprefix(uri, "s3://")), 1, length(split("/", trimprefix(uri, "s3://")))))
      objects = "arn:${local.partition}:s3:::${trimprefix(uri, "s3://")}*"
    }
  }
  s3_bucket_arn = { for k, v in local.s3 : k => "arn:${local.partition}:s3:::${v.bucket}" }

  # AWS's registry account of the prebuilt scikit-learn images in each region (SageMaker Developer Guide,
  # "Docker Registry Paths and Example Code", Scikit-learn; the same table as the SageMaker Python SDK's
  # image_uri_config/sklearn.json). A region missing here needs image_uri.
  image_registries = {
    "af-south-1"     = "510948584623"
    "ap-east-1"      = "651117190479"
    "ap-northeast-1" = "354813040037"
    "ap-northeast-2" = "366743142698"
    "ap-northeast-3" = "867004704886"
    "ap-south-1"     = "720646828776"
    "ap-south-2"     = "628508329040"
    "ap-southeast-1" = "121021644041"
    "ap-southeast-2" = "783357654285"
    "ap-southeast-3" = "951798379941"
    "ap-southeast-4" = "106583098589"
    "ca-central-1"   = "341280168497"
    "eu-central-1"   = "492215442770"
    "eu-central-2"   = "680994064768"
    "eu-north-1"     = "662702820516"
    "eu-south-1"     = "978288397137"
    "eu-south-2"     = "104374241257"
    "eu-west-1"      = "141502667606"
    "eu-west-2"      = "764974769150"
    "eu-west-3"      = "659782779980"
    "me-central-1"   = "272398656194"
    "me-south-1"     = "801668240914"
    "sa-east-1"      = "737474898029"
    "us-east-1"      = "683313688378"
    "us-east-2"      = "257758044811"
    "us-west-1"      = "746614075791"
    "us-west-2"      = "246618743249"
  }
  image_repository = "sagemaker-scikit-learn"
  image_uri = coalesce(
    var.image_uri,
    "${lookup(local.image_registries, local.region, "000000000000")}.dkr.ecr.${local.region}.${local.dns_suffix}/${local.image_repository}:1.2-1-cpu-py3",
  )
  # The repository SageMaker pulls from with the job role: <account>.dkr.ecr.<region>.<suffix>/<repository>.
  image_repository_arn = format(
    "arn:%s:ecr:%s:%s:repository/%s",
    local.partition,
    split(".", local.image_uri)[3],
    split(".", local.image_uri)[0],
    split(":", split("@", join("/", slice(split("/", local.image_uri), 1, length(split("/", local.image_uri)))))[0])[0],
  )

  namespaces = var.metric_namespaces
  job_inputs = ["code", "baseline", "capture", "feedback"]
}

# ---------------------------------------------------------------------------------------------------------
# The job's role: SageMaker runs the Processing job as it
# ---------------------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "job_trust" {
  statement {
    sid     = "SageMakerRunsOwnMonitorJobs"
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
      values   = ["${local.sagemaker_arn}:processing-job/${local.job_prefix}-*"]
    }
  }
}

data "aws_iam_policy_document" "job" {
  # The job's inputs: SageMaker downloads the code prefix, and the job reads the served version's baseline and
  # the window's hour folders of the capture and feedback prefixes itself (ListBucket on exactly those prefixes, GetObject
  # under them): the labels of the feedback records are the ground truth of model quality and bias.
  statement {
    sid       = "ListInputPrefixes"
    actions   = ["s3:ListBucket"]
    resources = distinct([for k in local.job_inputs : local.s3_bucket_arn[k]])

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for k in local.job_inputs : "${local.s3[k].prefix}*"]
    }
  }

  # The baselines: only the baseline/ folders beside the artifacts under s3.baseline, not the artifacts.
  statement {
    sid       = "ReadInputObjects"
    actions   = ["s3:GetObject"]
    resources = [for k in local.job_inputs : k == "baseline" ? "arn:${local.partition}:s3:::${local.s3.baseline.bucket}/${local.s3.baseline.prefix}*/baseline/*" : local.s3[k].objects]
  }

  # Which model the endpoint serves, to read its version's baseline: the endpoint, and the configs and models
  # the deploy names after it (<endpoint>-<hash>, <endpoint>-<variant>-<hash>; SageMaker's ARNs are lower case).
  statement {
    sid     = "DescribeServedModel"
    actions = ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"]
    resources = [
      "${local.sagemaker_arn}:endpoint/${lower(var.endpoint_name)}",
      "${local.sagemaker_arn}:endpoint-config/${lower(var.endpoint_name)}-*",
      "${local.sagemaker_arn}:model/${lower(var.endpoint_name)}-*",
    ]
  }

  # Write-only: a run can neither read nor delete earlier results.
  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject"]
    resources = [local.s3.results.objects]
  }

  # With several instances, each writes its partial summary under <results><run>/partials/ and the first host
  # lists and reads them back (launchpad.monitor.job); one instance needs neither.
  dynamic "statement" {
    for_each = var.instance.count > 1 ? [1] : []

    content {
      sid       = "ListPartialSummaries"
      actions   = ["s3:ListBucket"]
      resources = [local.s3_bucket_arn.results]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.s3.results.prefix}*/partials/*"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.instance.count > 1 ? [1] : []

    content {
      sid       = "ReadPartialSummaries"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${local.s3.results.bucket}/${local.s3.results.prefix}*/partials/*"]
    }
  }

  statement {
    sid       = "DecryptInputsThroughS3"
    actions   = ["kms:Decrypt"]
    resources = distinct(concat(var.kms.data, [var.kms.feedback]))

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # Writing SSE-KMS results needs a data key; reading them back (several instances read the partial
  # summaries) needs Decrypt, unless the results key is one of the data keys, which DecryptInputsThroughS3 covers.
  statement {
    sid       = "EncryptResultsThroughS3"
    actions   = var.instance.count > 1 && !contains(var.kms.data, var.kms.results) ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:GenerateDataKey"]
    resources = [var.kms.results]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # PutMetricData has no resource type: AWS authorizes it on "*", narrowed here to the monitoring namespaces.
  statement {
    sid       = "PublishMonitoringMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = distinct([local.namespaces.data, local.namespaces.model, local.namespaces.bias, local.namespaces.business])
    }
  }

  # SageMaker writes the job's container log to /aws/sagemaker/ProcessingJobs, stream <job name>/algo-<n>-<time>.
  statement {
    sid       = "WriteOwnJobLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.logs_arn}:log-group:/aws/sagemaker/ProcessingJobs:log-stream:${local.job_prefix}-*"]
  }

  # The image: SageMaker pulls AWS's prebuilt image itself (as it does for AWS's hosting images), so the default
  # needs nothing of the role; an image_uri of your own (a mirror in your ECR) is pulled as the role.
  dynamic "statement" {
    for_each = var.image_uri != null ? [1] : []

    content {
      sid       = "PullJobImage"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = [local.image_repository_arn]
    }
  }

  # Without a resource type: AWS authorizes these on "*" (Service Authorization Reference: ECR, EC2).
  dynamic "statement" {
    for_each = var.image_uri != null ? [1] : []

    content {
      sid       = "GetRegistryToken"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  statement {
    sid       = "DescribeNetwork"
    actions   = ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
    resources = ["*"]
  }

  # The job's network interfaces, in the platform's subnets and security groups only.
  statement {
    sid     = "CreateJobNetworkInterfaces"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["${local.ec2_arn}:network-interface/*"],
      [for s in var.network.subnet_ids : "${local.ec2_arn}:subnet/${s}"],
      [for g in var.network.security_group_ids : "${local.ec2_arn}:security-group/${g}"],
    )
  }

  statement {
    sid       = "ManageJobNetworkInterfaces"
    actions   = ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
    resources = ["${local.ec2_arn}:network-interface/*"]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = [for s in var.network.subnet_ids : "${local.ec2_arn}:subnet/${s}"]
    }
  }
}

resource "aws_iam_role" "job" {
  name                  = "${var.name}-monitor-job"
  description           = "SageMaker Processing: the monitoring job of endpoint ${var.endpoint_name} (launchpad model-monitoring)."
  assume_role_policy    = data.aws_iam_policy_document.job_trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = local.tags
}

resource "aws_iam_role_policy" "job" {
  name   = "${var.name}-monitor-job"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}
