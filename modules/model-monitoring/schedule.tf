# The schedule: EventBridge Scheduler calls SageMaker's CreateProcessingJob (a universal target) at each time
# of schedule_expression, with the request below. Scheduler replaces its context attributes in the input
# (User Guide, "Adding context attributes"): <aws.scheduler.execution-id>, unique to each attempt, makes each
# job name unique; <aws.scheduler.scheduled-time> ends the run's window (--end), so a late or retried run
# checks the same window.

locals {
  schedule_group = "default"
  schedule_arn   = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/${local.schedule_group}/${local.schedule_name}"
  job_arn        = "${local.sagemaker_arn}:processing-job/${local.job_prefix}-*"
  # Built from its name (path /), so the plan shows the whole request and the PassRole statement.
  job_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${aws_iam_role.job.name}"

  # launchpad.monitor.job's command line (scripts/launchpad/monitor/job.py): the capture is read with boto3,
  # only the hour folders of the window; --results-uri lets several instances share their partial summaries;
  # the labels of --feedback are joined to the predictions of the window --label-offset-minutes earlier; the
  # baseline is the one the deploy shipped beside the served model's artifact, under --baselines.
  # Each run's results (and its instances' partial summaries) under a folder of its own, named by the run's
  # scheduled time: the history the report draws, and no run ever reads another's partials.
  run_results = "${local.s3.results.uri}<aws.scheduler.scheduled-time>/"

  job_arguments = concat(
    [
      "--root", "/opt/ml",
      "--capture", var.s3.capture,
      "--endpoint", var.endpoint_name,
      "--schedule", local.schedule_name,
      "--window-minutes", tostring(var.window_minutes),
      "--end", "<aws.scheduler.scheduled-time>",
      "--results-uri", local.run_results,
      "--baselines", local.s3.baseline.uri,
      "--feedback", local.s3.feedback.uri,
      "--label-offset-minutes", tostring(var.label_offset_minutes),
      "--namespace-data", local.namespaces.data,
      "--namespace-model", local.namespaces.model,
      "--namespace-bias", local.namespaces.bias,
    ],
    # An alarm on quality or bias waits for their metrics: the job fails (and its own alarm fires) rather than
    # run without the baseline's checks.json.
    length(var.quality_alarms) > 0 ? ["--require", "quality"] : [],
    length(var.bias_alarms) > 0 ? ["--require", "bias"] : [],
    var.job_arguments,
  )

  job_request = merge(
    {
      ProcessingJobName = "${local.job_prefix}-<aws.scheduler.execution-id>"
      RoleArn           = local.job_role_arn
      AppSpecification = {
        ImageUri            = local.image_uri
        ContainerEntrypoint = ["python3", "/opt/ml/processing/input/code/launchpad_monitor_job.py"]
        ContainerArguments  = local.job_arguments
      }
      # The code only: the job reads the baseline of the model version in service itself (--baselines).
      ProcessingInputs = [{
        InputName = "code"
        S3Input = {
          S3Uri                  = local.s3.code.uri
          LocalPath              = "/opt/ml/processing/input/code"
          S3DataType             = "S3Prefix"
          S3InputMode            = "File"
          S3DataDistributionType = "FullyReplicated"
        }
      }]
      ProcessingOutputConfig = {
        KmsKeyId = var.kms.results
        Outputs = [{
          OutputName = "results"
          S3Output = {
            S3Uri        = local.run_results
            LocalPath    = "/opt/ml/processing/output/results"
            S3UploadMode = "EndOfJob"
          }
        }]
      }
      ProcessingResources = {
        ClusterConfig = {
          InstanceType   = var.instance.type
          InstanceCount  = var.instance.count
          VolumeSizeInGB = var.instance.volume_size_gb
          VolumeKmsKeyId = var.kms.volume
        }
      }
      StoppingCondition = { MaxRuntimeInSeconds = var.instance.max_runtime_seconds }
      NetworkConfig = {
        EnableInterContainerTrafficEncryption = true
        EnableNetworkIsolation                = false # the job publishes metrics: it needs the VPC endpoints
        VpcConfig = {
          SecurityGroupIds = var.network.security_group_ids
          Subnets          = var.network.subnet_ids
        }
      }
    },
    length(local.tags) == 0 ? {} : { Tags = [for k in sort(keys(local.tags)) : { Key = k, Value = local.tags[k] }] },
  )

  # jsonencode writes < and > as \u003c and \u003e; Scheduler looks for the context attributes as written.
  job_input = replace(replace(jsonencode(local.job_request), "\\u003c", "<"), "\\u003e", ">")
}

# -- the scheduler's role: create this module's jobs, as configured, and nothing else -----------------------------
data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    sid     = "SchedulerRunsOwnSchedules"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    # EventBridge Scheduler User Guide, "Confused deputy prevention": the schedule group is the source.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule-group/${local.schedule_group}"]
    }
  }
}

data "aws_iam_policy_document" "scheduler" {
  # Only jobs named <name>-*, with this module's volume and output keys, inter-container encryption and
  # network (Service Authorization Reference: SageMaker, CreateProcessingJob's condition keys).
  statement {
    sid       = "CreateMonitorJobs"
    actions   = ["sagemaker:CreateProcessingJob"]
    resources = [local.job_arn]

    condition {
      test     = "ArnEquals"
      variable = "sagemaker:VolumeKmsKeyArn"
      values   = [var.kms.volume]
    }

    condition {
      test     = "ArnEquals"
      variable = "sagemaker:OutputKmsKeyArn"
      values   = [var.kms.results]
    }

    condition {
      test     = "Bool"
      variable = "sagemaker:InterContainerTrafficEncryption"
      values   = ["true"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSubnets"
      values   = var.network.subnet_ids
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = var.network.security_group_ids
    }

    # ForAllValues holds for a request without the key, so a job outside the VPC must be refused by Null.
    condition {
      test     = "Null"
      variable = "sagemaker:VpcSubnets"
      values   = ["false"]
    }

    condition {
      test     = "Null"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = ["false"]
    }
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

  # SageMaker grants itself the use of the volume key on the caller's behalf when it creates the job's volumes.
  statement {
    sid       = "GrantVolumeKeyToSageMaker"
    actions   = ["kms:CreateGrant"]
    resources = [var.kms.volume]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # CreateProcessingJob with Tags is also authorized as sagemaker:AddTags on the new job.
  dynamic "statement" {
    for_each = length(local.tags) == 0 ? [] : [1]

    content {
      sid       = "TagMonitorJobs"
      actions   = ["sagemaker:AddTags"]
      resources = [local.job_arn]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name                  = "${var.name}-monitor-scheduler"
  description           = "EventBridge Scheduler: starts the monitoring job of endpoint ${var.endpoint_name} (launchpad model-monitoring)."
  assume_role_policy    = data.aws_iam_policy_document.scheduler_trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = local.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name}-monitor-scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "job" {
  #checkov:skip=CKV_AWS_297:The schedule's input holds names, ARNs and settings, no data; the job's data, volume and results are under customer managed keys (kms.*).
  name        = local.schedule_name
  group_name  = local.schedule_group
  description = "launchpad model-monitoring: drift, quality and bias of endpoint ${var.endpoint_name}, ${var.schedule_expression}."

  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:${local.partition}:scheduler:::aws-sdk:sagemaker:createProcessingJob"
    role_arn = aws_iam_role.scheduler.arn
    input    = local.job_input

    # A call SageMaker refuses (throttled, a quota) is tried again for up to an hour; the next run comes anyway.
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }

  lifecycle {
    precondition {
      condition     = var.image_uri != null || contains(keys(local.image_registries), local.region)
      error_message = "AWS's scikit-learn image has no registry in the module's map for region ${local.region}: set image_uri (<account>.dkr.ecr.${local.region}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3, from \"Docker Registry Paths and Example Code\")."
    }
  }

  # Both roles must hold their policies before the first run.
  depends_on = [aws_iam_role_policy.scheduler, aws_iam_role_policy.job]
}
