# The REST API (docs/assistant.md, "The API"): /ask and /feedback for people (the user pool's ID token),
# /service/ask and /service/feedback for services (SigV4); every method a POST that needs an API key, a body
# valid against its model, and goes to the function (Lambda proxy). The gateway answers its own refusals with
# the contract's {"message": ...} bodies.

locals {
  routes = {
    ask                = { path = "/ask", part = "ask", service = false, authorization = "COGNITO_USER_POOLS", model = "AskRequest" }
    feedback           = { path = "/feedback", part = "feedback", service = false, authorization = "COGNITO_USER_POOLS", model = "FeedbackRequest" }
    "service-ask"      = { path = "/service/ask", part = "ask", service = true, authorization = "AWS_IAM", model = "AskRequest" }
    "service-feedback" = { path = "/service/feedback", part = "feedback", service = true, authorization = "AWS_IAM", model = "FeedbackRequest" }
  }

  # JSON Schema draft-04, API Gateway's model language: exactly the contract's bodies, nothing more.
  models = {
    AskRequest = {
      "$schema"            = "http://json-schema.org/draft-04/schema#"
      title                = "AskRequest"
      type                 = "object"
      properties           = { question = { type = "string", minLength = 1, maxLength = 2000 } }
      required             = ["question"]
      additionalProperties = false
    }
    FeedbackRequest = {
      "$schema" = "http://json-schema.org/draft-04/schema#"
      title     = "FeedbackRequest"
      type      = "object"
      properties = {
        feedback_token = { type = "string", minLength = 1, maxLength = 2048 }
        helpful        = { type = "boolean" }
        comment        = { type = "string", maxLength = 1000 }
      }
      required             = ["feedback_token", "helpful"]
      additionalProperties = false
    }
  }

  cors = length(var.cors_allowed_origins) > 0
  cors_headers = local.cors ? {
    "Access-Control-Allow-Origin"  = "'${var.cors_allowed_origins[0]}'"
    "Access-Control-Allow-Headers" = "'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'"
    "Access-Control-Allow-Methods" = "'OPTIONS,POST'"
  } : {}

  # The gateway's own answers (docs/assistant.md, "Statuses and messages"): a fixed message where the contract
  # names one, API Gateway's message otherwise; never anything of the request.
  gateway_responses = merge(
    {
      DEFAULT_4XX                  = { status = null, message = null }
      DEFAULT_5XX                  = { status = null, message = null }
      UNAUTHORIZED                 = { status = "401", message = "Unauthorized" }
      INVALID_API_KEY              = { status = "403", message = "Forbidden" }
      MISSING_AUTHENTICATION_TOKEN = { status = "403", message = "Forbidden" }
      ACCESS_DENIED                = { status = "403", message = "Forbidden" }
      THROTTLED                    = { status = "429", message = "Too Many Requests" }
      QUOTA_EXCEEDED               = { status = "429", message = "Limit Exceeded" }
      BAD_REQUEST_BODY             = { status = "400", message = "Invalid request body" }
      REQUEST_TOO_LARGE            = { status = "413", message = "Request too large" }
      INTEGRATION_FAILURE          = { status = "502", message = "Internal server error" }
      INTEGRATION_TIMEOUT          = { status = "504", message = "Endpoint request timed out" }
    },
    var.waf.enabled ? { WAF_FILTERED = { status = "403", message = "Forbidden" } } : {},
  )

  integration_timeout_ms = (var.function.timeout_seconds + 1) * 1000
  # What the stage's access log keeps of each request: who, what, how it went. Never the body, the query
  # string or a header's value (the question is health data; the token and keys are secrets).
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    extendedRequestId  = "$context.extendedRequestId"
    requestTime        = "$context.requestTimeEpoch"
    ip                 = "$context.identity.sourceIp"
    caller             = "$context.identity.caller"
    user               = "$context.identity.userArn"
    sub                = "$context.authorizer.claims.sub"
    apiKeyId           = "$context.identity.apiKeyId"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    latency            = "$context.responseLatency"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    errorType          = "$context.error.responseType"
    wafStatus          = "$context.waf.status"
  })
}

resource "aws_api_gateway_rest_api" "this" {
  name           = var.name
  description    = "launchpad inference-api ${var.name}: the medical assistant (${var.stage}), docs/assistant.md."
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "service" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "service"
}

resource "aws_api_gateway_resource" "route" {
  for_each = local.routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = each.value.service ? aws_api_gateway_resource.service.id : aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.value.part
}

resource "aws_api_gateway_model" "this" {
  for_each = local.models

  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = each.key
  description  = "docs/assistant.md: the body of ${each.key == "AskRequest" ? "POST /ask" : "POST /feedback"}."
  content_type = "application/json"
  schema       = jsonencode(each.value)
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "body"
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_authorizer" "users" {
  name            = "${var.name}-users"
  rest_api_id     = aws_api_gateway_rest_api.this.id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = [local.user_pool_arn]
  identity_source = "method.request.header.Authorization"
}

resource "aws_api_gateway_method" "route" {
  for_each = local.routes

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = aws_api_gateway_resource.route[each.key].id
  http_method      = "POST"
  authorization    = each.value.authorization
  authorizer_id    = each.value.authorization == "COGNITO_USER_POOLS" ? aws_api_gateway_authorizer.users.id : null
  api_key_required = true

  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models       = { "application/json" = aws_api_gateway_model.this[each.value.model].name }
}

resource "aws_api_gateway_integration" "route" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.route[each.key].id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.assistant.invoke_arn
  timeout_milliseconds    = local.integration_timeout_ms
}

# -- CORS preflight, only for a browser origin ----------------------------------------------------------------------
resource "aws_api_gateway_method" "options" {
  #checkov:skip=CKV_AWS_59:CORS preflight: browsers send OPTIONS without credentials or API key; the MOCK integration answers the allowed origin and headers only and reaches nothing.
  #checkov:skip=CKV2_AWS_53:CORS preflight has no body to validate; the MOCK integration answers fixed headers.
  for_each = local.cors ? local.routes : {}

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = aws_api_gateway_resource.route[each.key].id
  http_method      = "OPTIONS"
  authorization    = "NONE"
  api_key_required = false
}

resource "aws_api_gateway_integration" "options" {
  for_each = aws_api_gateway_method.options

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = each.value.resource_id
  http_method       = each.value.http_method
  type              = "MOCK"
  request_templates = { "application/json" = jsonencode({ statusCode = 204 }) }
}

resource "aws_api_gateway_method_response" "options" {
  for_each = aws_api_gateway_method.options

  rest_api_id         = aws_api_gateway_rest_api.this.id
  resource_id         = each.value.resource_id
  http_method         = each.value.http_method
  status_code         = "204"
  response_parameters = { for h in keys(local.cors_headers) : "method.response.header.${h}" => true }
}

resource "aws_api_gateway_integration_response" "options" {
  for_each = aws_api_gateway_method.options

  rest_api_id         = aws_api_gateway_rest_api.this.id
  resource_id         = each.value.resource_id
  http_method         = each.value.http_method
  status_code         = aws_api_gateway_method_response.options[each.key].status_code
  response_parameters = { for h, v in local.cors_headers : "method.response.header.${h}" => v }

  depends_on = [aws_api_gateway_integration.options]
}

# -- the gateway's own answers ------------------------------------------------------------------------------------
resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  status_code   = each.value.status
  response_templates = {
    "application/json" = each.value.message == null ? "{\"message\":$context.error.messageString}" : jsonencode({ message = each.value.message })
  }
  response_parameters = { for h, v in local.cors_headers : "gatewayresponse.header.${h}" => v }
}

# -- deployment and stage -----------------------------------------------------------------------------------------
resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "launchpad inference-api ${var.name}"

  # A new deployment whenever any part of the API changes (the stage then points at it): what each part is
  # configured with, not the whole resources (whose computed attributes the hash must not follow).
  triggers = {
    redeployment = sha1(jsonencode({
      resources  = concat([aws_api_gateway_resource.service.id], [for k in sort(keys(local.routes)) : aws_api_gateway_resource.route[k].id])
      models     = local.models
      validator  = aws_api_gateway_request_validator.body.id
      authorizer = [aws_api_gateway_authorizer.users.id, local.user_pool_arn]
      routes     = local.routes
      methods    = [for k in sort(keys(local.routes)) : aws_api_gateway_method.route[k].id]
      lambda     = aws_lambda_function.assistant.invoke_arn
      timeout    = local.integration_timeout_ms
      cors       = local.cors_headers
      responses  = local.gateway_responses
    }))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.route,
    aws_api_gateway_integration_response.options,
    aws_api_gateway_gateway_response.this,
  ]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/${var.stage}/access"
  kms_key_id        = local.logs_kms_key_arn
  retention_in_days = var.log_retention_in_days

  tags = local.tags
}

# API Gateway writes execution logs to this group (its name is fixed by API Gateway); made here so that it is
# encrypted and expires.
resource "aws_cloudwatch_log_group" "execution" {
  count = var.execution_logging_level == "OFF" ? 0 : 1

  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage}"
  kms_key_id        = local.logs_kms_key_arn
  retention_in_days = var.log_retention_in_days

  tags = local.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV2_AWS_29:The web ACL is optional (waf.enabled): it costs per ACL, rule and request, and an API behind a private network or a CDN's own WAF does not need it; every method needs an API key and an authenticated caller either way.
  #checkov:skip=CKV2_AWS_77:The web ACL (with AWSManagedRulesKnownBadInputsRuleSet, Log4j included) is optional: see CKV2_AWS_29; the function is Python and logs no request text.
  #checkov:skip=CKV2_AWS_51:No client certificate: the integration is a Lambda proxy (AWS_PROXY), not an HTTP backend that could check one.
  #checkov:skip=CKV_AWS_120:No caching: every answer is a fresh, per-caller response with its own query id and feedback token, and must not be replayed to another caller.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage
  description          = "launchpad inference-api ${var.name}: stage ${var.stage}"
  xray_tracing_enabled = var.tracing_enabled

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = local.tags

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:No caching: every answer is a fresh, per-caller response (a query id and a feedback token of its own).
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false # full requests and responses would put health data in the log
    caching_enabled        = false
    throttling_rate_limit  = var.throttling.rate_limit
    throttling_burst_limit = var.throttling.burst_limit
  }
}

# -- clients: API keys and usage plans ---------------------------------------------------------------------------
resource "aws_api_gateway_api_key" "client" {
  for_each = var.clients

  name        = "${var.name}-${each.key}"
  description = "launchpad inference-api ${var.name}: client ${each.key} (x-api-key)."
  enabled     = true

  tags = local.tags
}

resource "aws_api_gateway_usage_plan" "client" {
  for_each = var.clients

  name        = "${var.name}-${each.key}"
  description = "launchpad inference-api ${var.name}: client ${each.key}, ${each.value.rate_limit} requests/s (burst ${each.value.burst_limit})${each.value.quota == null ? "" : ", ${each.value.quota.limit} per ${lower(each.value.quota.period)}"}."

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  dynamic "quota_settings" {
    for_each = each.value.quota == null ? [] : [each.value.quota]

    content {
      limit  = quota_settings.value.limit
      period = quota_settings.value.period
    }
  }

  tags = local.tags
}

resource "aws_api_gateway_usage_plan_key" "client" {
  for_each = var.clients

  key_id        = aws_api_gateway_api_key.client[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.client[each.key].id
}

# -- the account's CloudWatch role (opt-in: account-wide) --------------------------------------------------------
data "aws_iam_policy_document" "api_gateway_logs_trust" {
  count = var.manage_account_logging_role ? 1 : 0

  statement {
    sid     = "ApiGatewayWritesLogs"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# What AmazonAPIGatewayPushToCloudWatchLogs allows, held to this account's and region's log groups: the role
# serves every REST API of the account in the region, whose access log groups may have any name.
data "aws_iam_policy_document" "api_gateway_logs" {
  count = var.manage_account_logging_role ? 1 : 0

  statement {
    sid = "WriteApiGatewayLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:PutLogEvents",
    ]
    resources = ["${local.logs_arn}:log-group:*"]
  }
}

resource "aws_iam_role" "api_gateway_logs" {
  count = var.manage_account_logging_role ? 1 : 0

  name                  = "${var.name}-apigateway-logs"
  description           = "API Gateway: writes the REST APIs' execution and access logs of account ${local.account_id} in ${local.region} (launchpad inference-api ${var.name})."
  assume_role_policy    = data.aws_iam_policy_document.api_gateway_logs_trust[0].json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = local.tags
}

resource "aws_iam_role_policy" "api_gateway_logs" {
  count = var.manage_account_logging_role ? 1 : 0

  name   = "${var.name}-apigateway-logs"
  role   = aws_iam_role.api_gateway_logs[0].id
  policy = data.aws_iam_policy_document.api_gateway_logs[0].json
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_logs[0].arn
  reset_on_delete     = true

  depends_on = [aws_iam_role_policy.api_gateway_logs]
}
