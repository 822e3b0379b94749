# The function (scripts/launchpad/assistant/handler.py): in the platform's private subnets, behind a security
# group of its own that only reaches HTTPS inside the VPC (the interface endpoints) and the gateway endpoints'
# prefix lists; invoked synchronously by the gateway only (no retries, so no dead-letter queue).

locals {
  lambda_zip = coalesce(var.lambda_zip, "${path.module}/lambda/assistant.zip")
  # Built from the names, so the plan shows the whole policy.
  function_log_group_arn = "${local.logs_arn}:log-group:${aws_cloudwatch_log_group.function.name}"

  # docs/assistant.md, "The function's environment".
  function_environment = {
    ENDPOINT_NAME        = var.endpoint_name
    STAGE                = var.stage
    TABLE_NAME           = local.table_name
    INDEX_URI            = var.index_s3_uri
    FEEDBACK_URI         = var.feedback_s3_uri
    FEEDBACK_KMS_KEY_ARN = var.kms_key_arn
    BUCKET_OWNER         = local.bucket_owner
    TOKEN_KEY_ID         = aws_kms_key.token.arn
    TOKEN_TTL_SECONDS    = tostring(var.token_ttl_seconds)
    STORE_QUESTION       = var.store_raw_question ? "true" : "false"
    RECORD_TTL_DAYS      = tostring(var.record_ttl_days)
    TOP_K                = tostring(var.top_k)
    # The web page's origin: the function adds Access-Control-Allow-Origin and Vary: Origin to its answers
    # (a proxy integration's headers are the function's; the gateway's own responses get them in api.tf).
    CORS_ALLOWED_ORIGIN = local.cors ? var.cors_allowed_origins[0] : ""
  }
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${local.function_name}"
  kms_key_id        = local.logs_kms_key_arn
  retention_in_days = var.log_retention_in_days

  tags = local.tags
}

# -- the function's network ---------------------------------------------------------------------------------------
resource "aws_security_group" "function" {
  name        = local.function_name
  description = "launchpad inference-api ${var.name}: the assistant function, HTTPS to the VPC endpoints only"
  vpc_id      = var.network.vpc_id

  dynamic "egress" {
    for_each = length(var.network.https_egress_cidr_blocks) > 0 ? [1] : []

    content {
      description = "HTTPS to the interface VPC endpoints (sagemaker.runtime, kms, logs)"
      from_port   = 443
      to_port     = 443
      protocol    = "tcp"
      cidr_blocks = var.network.https_egress_cidr_blocks
    }
  }

  dynamic "egress" {
    for_each = length(var.network.https_egress_prefix_list_ids) > 0 ? [1] : []

    content {
      description     = "HTTPS to the gateway endpoints (S3, DynamoDB)"
      from_port       = 443
      to_port         = 443
      protocol        = "tcp"
      prefix_list_ids = var.network.https_egress_prefix_list_ids
    }
  }

  tags = merge(local.tags, { Name = local.function_name })
}

# -- the function's role ------------------------------------------------------------------------------------------
data "aws_iam_policy_document" "function_trust" {
  statement {
    sid     = "LambdaRunsAssistant"
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

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "InvokeEndpoint"
    actions   = ["sagemaker:InvokeEndpoint"]
    resources = [local.endpoint_arn]
  }

  # The model version of an answer (handler.ModelVersions): the endpoint's config and its variants' model
  # names, looked up at most once a minute. Configurations are named <endpoint>-<hash> (modules/sagemaker-
  # endpoint, launchpad deploy).
  statement {
    sid     = "DescribeServedModel"
    actions = ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"]
    resources = [
      local.endpoint_arn,
      "${local.sagemaker_arn}:endpoint-config/${lower(var.endpoint_name)}-*",
    ]
  }

  # The query log: one conditional PutItem per answer, a GetItem per feedback. Nothing else: no Query, Scan,
  # Update or Delete.
  statement {
    sid       = "WriteAndReadQueryLog"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [local.table_arn]
  }

  # DynamoDB decrypts the table's key with the caller's permissions (Developer Guide, "How Amazon DynamoDB
  # uses AWS KMS"), for this table only.
  statement {
    sid       = "DecryptQueryLogThroughDynamoDB"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:dynamodb:tableName"
      values   = [local.table_name]
    }
  }

  statement {
    sid       = "ReadIndex"
    actions   = ["s3:GetObject"]
    resources = [local.index_object_arn]
  }

  # Feedback records are written, never read, listed or deleted; only SSE-KMS with the platform key (the
  # conditions the platform's bucket policies enforce too: modules/s3-bucket).
  statement {
    sid       = "WriteFeedback"
    actions   = ["s3:PutObject"]
    resources = [local.feedback_objects]

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.kms_key_arn]
    }
  }

  statement {
    sid       = "DecryptIndexThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptFeedbackThroughS3"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # The environment is encrypted with the platform key, in the function's encryption context; Lambda decrypts
  # it as this role whenever an execution environment starts.
  statement {
    sid       = "DecryptOwnEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:lambda:FunctionArn"
      values   = [local.function_arn]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.function_log_group_arn}:*"]
  }

  # In the VPC: Lambda manages the function's network interfaces as its role, in the given subnets and the
  # function's security group only (as modules/model-monitoring's retrain function).
  statement {
    sid       = "DescribeNetwork"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    sid       = "ManageFunctionNetworkInterfaces"
    actions   = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.ec2_arn}:network-interface/*"]
  }
}

# The statement on what the module creates itself (the function's security group), whose ARN is known only
# once it exists; the policy above is known at plan, whole. Signing and verifying feedback tokens is granted by
# the token key's policy alone (token_key.tf), which names this role: an identity statement beside it would
# allow nothing the key policy does not (the sandbox's evidence showed it never was the only allow).
data "aws_iam_policy_document" "function_created" {
  statement {
    sid     = "CreateFunctionNetworkInterfaces"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["${local.ec2_arn}:network-interface/*"],
      [for s in var.network.subnet_ids : "${local.ec2_arn}:subnet/${s}"],
      ["${local.ec2_arn}:security-group/${aws_security_group.function.id}"],
    )
  }
}

resource "aws_iam_role" "function" {
  name                  = local.function_name
  description           = "Lambda: the medical assistant of ${var.name} (${var.stage}), invokes endpoint ${var.endpoint_name} (launchpad inference-api)."
  assume_role_policy    = data.aws_iam_policy_document.function_trust.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = local.tags
}

resource "aws_iam_role_policy" "function" {
  name   = local.function_name
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_iam_role_policy" "function_created" {
  name   = "${local.function_name}-created"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function_created.json
}

# -- the function -------------------------------------------------------------------------------------------------
resource "aws_lambda_function" "assistant" {
  #checkov:skip=CKV_AWS_272:The zip is built from launchpad's own source by python -m launchpad.assistant.lambda_zip and kept byte for byte in step by a test; a signing profile would sign that same file.
  #checkov:skip=CKV_AWS_50:X-Ray needs a daemon endpoint the private subnets do not reach (no NAT, no xray VPC endpoint); the gateway's stage is traced, and the function logs each request's ids.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway only: a failed request is answered to its caller, there is no event to keep in a dead-letter queue.
  function_name = local.function_name
  description   = "launchpad inference-api ${var.name} (${var.stage}): answers medical questions from passages and endpoint ${var.endpoint_name}, records feedback."
  role          = aws_iam_role.function.arn

  runtime  = "python3.12"
  handler  = "launchpad.assistant.handler.handler"
  filename = local.lambda_zip
  # A missing zip fails the plan with the precondition below (filebase64sha256 alone would say less).
  source_code_hash = fileexists(local.lambda_zip) ? filebase64sha256(local.lambda_zip) : null
  timeout          = var.function.timeout_seconds
  memory_size      = var.function.memory_size

  reserved_concurrent_executions = var.function.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = local.function_environment
  }

  vpc_config {
    subnet_ids         = var.network.subnet_ids
    security_group_ids = [aws_security_group.function.id]
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = fileexists(local.lambda_zip)
      error_message = "lambda_zip: ${local.lambda_zip} does not exist; write it with python -m launchpad.assistant.lambda_zip --zip ${local.lambda_zip}."
    }
  }

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy.function_created]
}

# The gateway may invoke the function for the four POST methods of this stage only.
resource "aws_lambda_permission" "api" {
  for_each = local.routes

  statement_id   = "AllowApiGateway-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.assistant.function_name
  principal      = "apigateway.amazonaws.com"
  source_arn     = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage}/POST${each.value.path}"
  source_account = local.account_id
}
