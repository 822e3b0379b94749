# The retrain trigger: EventBridge sends this module's drift and KPI alarms' changes to ALARM to the function
# <name>-retrain (scripts/launchpad/monitor/retrain.py), which starts the project's SageMaker training pipeline
# when the cooldown has passed and enough new labels arrived, and logs its decision. One invocation at a time (reserved
# concurrency 1); an invocation that fails twice more lands in the dead-letter queue, which alarms.

locals {
  function_name = "${var.name}-retrain"
  function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  # SageMaker writes pipeline names in ARNs in lower case.
  pipeline_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:pipeline/${lower(var.retrain.pipeline_name)}"
  retrain_zip  = coalesce(var.retrain_lambda_zip, "${path.module}/lambda/retrain.zip")
  # Built from the names, so the plan shows the whole policy.
  retrain_log_group_arn = "${local.logs_arn}:log-group:${aws_cloudwatch_log_group.retrain.name}"
  retrain_dlq_arn       = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${aws_sqs_queue.retrain_dlq.name}"
}

resource "aws_cloudwatch_log_group" "retrain" {
  name              = "/aws/lambda/${local.function_name}"
  kms_key_id        = var.kms.logs
  retention_in_days = var.log_retention_in_days

  tags = local.tags
}

resource "aws_sqs_queue" "retrain_dlq" {
  name                      = "${local.function_name}-dlq"
  kms_master_key_id         = var.kms.logs
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps: time to see why and redrive

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "retrain_failed" {
  alarm_name          = "${var.name}-retrain-failed"
  alarm_description   = "The retrain trigger of endpoint ${var.endpoint_name} failed on an alarm event (after Lambda's two retries): the event waits in ${aws_sqs_queue.retrain_dlq.name}; the function's log ${aws_cloudwatch_log_group.retrain.name} says why."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions  = { QueueName = aws_sqs_queue.retrain_dlq.name }
  period      = 300
  statistic   = "Maximum"

  actions_enabled = true
  alarm_actions   = [var.sns_topic_arn]
  ok_actions      = [var.sns_topic_arn]

  tags = local.tags
}

# -- the function's role ------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "retrain_trust" {
  statement {
    sid     = "LambdaRunsRetrainTrigger"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.function_arn]
    }
  }
}

data "aws_iam_policy_document" "retrain" {
  statement {
    sid       = "ReadAndStartPipeline"
    actions   = ["sagemaker:ListPipelineExecutions", "sagemaker:StartPipelineExecution"]
    resources = [local.pipeline_arn]
  }

  statement {
    sid       = "ListFeedbackPrefix"
    actions   = ["s3:ListBucket"]
    resources = [local.s3_bucket_arn.feedback]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.s3.feedback.prefix}*"]
    }
  }

  statement {
    sid       = "ReadFeedbackObjects"
    actions   = ["s3:GetObject"]
    resources = [local.s3.feedback.objects]
  }

  statement {
    sid       = "DecryptFeedbackThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [var.kms.feedback]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.retrain_log_group_arn}:*"]
  }

  # Lambda sends an event that failed its retries to the queue as the function's role, encrypting it.
  statement {
    sid       = "SendFailedEventsToQueue"
    actions   = ["sqs:SendMessage"]
    resources = [local.retrain_dlq_arn]
  }

  statement {
    sid       = "EncryptFailedEventsThroughSqs"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms.logs]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
  }

  # The function's environment is encrypted with the logs key, in the function's encryption context; Lambda
  # decrypts it as this role whenever an execution environment starts (Invoke fails with
  # KMSAccessDeniedException otherwise).
  statement {
    sid       = "DecryptOwnEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [var.kms.logs]

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:lambda:FunctionArn"
      values   = [local.function_arn]
    }
  }

  # In the VPC: Lambda manages the function's network interfaces as its role, in the platform's subnets and
  # security groups only (Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon
  # VPC"; AWSLambdaVPCAccessExecutionRole). Describe* calls have no resource-level permissions in EC2, and
  # DescribeNetworkInterfaces works only on "*". ec2:DescribeSecurityGroups and ec2:DescribeVpcs are the
  # deployer's, not the role's: Lambda verifies the network with the permissions of whoever configures it.
  statement {
    sid       = "DescribeNetwork"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    sid     = "CreateFunctionNetworkInterfaces"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["${local.ec2_arn}:network-interface/*"],
      [for s in var.network.subnet_ids : "${local.ec2_arn}:subnet/${s}"],
      [for g in var.network.security_group_ids : "${local.ec2_arn}:security-group/${g}"],
    )
  }

  statement {
    sid       = "ManageFunctionNetworkInterfaces"
    actions   = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.ec2_arn}:network-interface/*"]
  }
}

resource "aws_iam_role" "retrain" {
  name                  = local.function_name
  description           = "Lambda: the retrain trigger of endpoint ${var.endpoint_name}, starts pipeline ${var.retrain.pipeline_name} (launchpad model-monitoring)."
  assume_role_policy    = data.aws_iam_policy_document.retrain_trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = local.tags
}

resource "aws_iam_role_policy" "retrain" {
  name   = local.function_name
  role   = aws_iam_role.retrain.id
  policy = data.aws_iam_policy_document.retrain.json
}

# -- the function -----------------------------------------------------------------------------------------------
resource "aws_lambda_function" "retrain" {
  #checkov:skip=CKV_AWS_272:The zip is built from launchpad's own source, byte for byte and checked in CI (python -m launchpad.monitor.retrain --check); a signing profile would sign that same file.
  #checkov:skip=CKV_AWS_50:X-Ray needs a daemon endpoint the private subnets do not reach (no NAT, no xray VPC endpoint); each decision is logged as one JSON line instead.
  function_name = local.function_name
  description   = "launchpad model-monitoring: starts pipeline ${var.retrain.pipeline_name} on drift or KPI alarms of ${var.endpoint_name}, after a cooldown and enough new labels."
  role          = aws_iam_role.retrain.arn

  runtime  = "python3.12"
  handler  = "retrain.handler"
  filename = local.retrain_zip
  # A missing zip fails the plan with the precondition below (filebase64sha256 alone would say less).
  source_code_hash = fileexists(local.retrain_zip) ? filebase64sha256(local.retrain_zip) : null
  timeout          = 120
  memory_size      = 256

  reserved_concurrent_executions = 1
  kms_key_arn                    = var.kms.logs

  environment {
    variables = {
      PIPELINE_NAME     = var.retrain.pipeline_name
      COOLDOWN_SECONDS  = tostring(var.retrain.cooldown_hours * 3600)
      MIN_NEW_LABELS    = tostring(var.retrain.min_new_labels)
      FEEDBACK_BUCKET   = local.s3.feedback.bucket
      FEEDBACK_PREFIX   = local.s3.feedback.prefix
      MAX_LOOKBACK_DAYS = tostring(var.retrain.max_lookback_days)
    }
  }

  vpc_config {
    subnet_ids         = var.network.subnet_ids
    security_group_ids = var.network.security_group_ids
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.retrain_dlq.arn
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.retrain.name
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = fileexists(local.retrain_zip)
      error_message = "retrain_lambda_zip: ${local.retrain_zip} does not exist; write it with python -m launchpad.monitor.retrain --zip ${local.retrain_zip}."
    }
  }

  depends_on = [aws_iam_role_policy.retrain]
}

# -- EventBridge: this module's drift and KPI alarms going to ALARM -------------------------------------------
resource "aws_cloudwatch_event_rule" "retrain" {
  name        = local.function_name
  description = "launchpad model-monitoring: drift and KPI alarms of ${var.endpoint_name} going to ALARM start the retrain trigger."
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    resources     = [for name in local.retrain_alarm_names : "${local.alarm_arn}:${name}"]
    detail        = { state = { value = ["ALARM"] } }
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "retrain" {
  rule      = aws_cloudwatch_event_rule.retrain.name
  target_id = "retrain"
  arn       = aws_lambda_function.retrain.arn

  # EventBridge hands the event to Lambda's queue (an asynchronous invoke); Lambda retries and dead-letters.
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }
}

resource "aws_lambda_permission" "retrain" {
  statement_id   = "AllowRetrainRule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.retrain.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.retrain.arn
  source_account = local.account_id
}
