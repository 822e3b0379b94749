output "invoke_url" {
  description = "Base URL of the stage, https://<api id>.execute-api.<region>.amazonaws.com/<stage>: POST <invoke_url>/ask, /feedback, /service/ask, /service/feedback."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "api_name" {
  description = "Name of the REST API (the ApiName dimension of its metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "stage_name" {
  description = "Name of the stage (the Stage dimension of its metrics): the module's stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage (what a web ACL is associated with)."
  value       = aws_api_gateway_stage.this.arn
}

output "execution_arn" {
  description = "Execution ARN of the REST API (arn:<partition>:execute-api:<region>:<account>:<api id>): service callers need execute-api:Invoke on <execution_arn>/<stage>/POST/service/*."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "user_pool_id" {
  description = "ID of the user pool whose ID tokens /ask and /feedback accept."
  value       = local.user_pool_id
}

output "user_pool_arn" {
  description = "ARN of the user pool whose ID tokens /ask and /feedback accept."
  value       = local.user_pool_arn
}

output "user_pool_client_id" {
  description = "ID of the web UI's app client (public: no secret), or authentication.client_id for an existing pool."
  value       = local.client_id
}

output "api_key_ids" {
  description = "ID of each client's API key, by client."
  value       = { for k, key in aws_api_gateway_api_key.client : k => key.id }
}

output "api_key_values" {
  description = "Value of each client's API key (the x-api-key header), by client: secrets, hand each to its client only."
  value       = { for k, key in aws_api_gateway_api_key.client : k => key.value }
  sensitive   = true
}

output "usage_plan_ids" {
  description = "ID of each client's usage plan, by client."
  value       = { for k, plan in aws_api_gateway_usage_plan.client : k => plan.id }
}

output "table_name" {
  description = "Name of the query log table (TABLE_NAME)."
  value       = aws_dynamodb_table.queries.name
}

output "table_arn" {
  description = "ARN of the query log table."
  value       = aws_dynamodb_table.queries.arn
}

output "function_name" {
  description = "Name of the assistant function."
  value       = aws_lambda_function.assistant.function_name
}

output "function_arn" {
  description = "ARN of the assistant function."
  value       = aws_lambda_function.assistant.arn
}

output "function_log_group_name" {
  description = "Log group of the assistant function."
  value       = aws_cloudwatch_log_group.function.name
}

output "function_security_group_id" {
  description = "Security group of the function's network interfaces (HTTPS egress only): allow it into the VPC endpoints' security group."
  value       = aws_security_group.function.id
}

output "function_role_name" {
  description = "Name of the function's execution role (<name>-assistant)."
  value       = aws_iam_role.function.name
}

output "function_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.function.arn

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy.function_created]
}

output "function_role_statement_sids" {
  description = "Sids of the function role's policy statements: the policy <name>-assistant's, then <name>-assistant-created's (on the token key and the security group)."
  value       = [for s in concat(jsondecode(data.aws_iam_policy_document.function.json).Statement, jsondecode(data.aws_iam_policy_document.function_created.json).Statement) : s.Sid]
}

output "account_logging_role_arn" {
  description = "ARN of the role set as the account's API Gateway CloudWatch role (<name>-apigateway-logs); null unless manage_account_logging_role."
  value       = one(aws_iam_role.api_gateway_logs[*].arn)
}

output "token_key_arn" {
  description = "ARN of the KMS HMAC key that signs and verifies feedback tokens (TOKEN_KEY_ID)."
  value       = aws_kms_key.token.arn
}

output "access_log_group_name" {
  description = "Log group of the stage's access log (one JSON line per request, never the body)."
  value       = aws_cloudwatch_log_group.access.name
}

output "web_acl_arn" {
  description = "ARN of the stage's web ACL; null unless waf.enabled."
  value       = one(aws_wafv2_web_acl.this[*].arn)
}

output "alarm_names" {
  description = "Names of the alarms, keyed api-4xx, api-5xx, api-latency-p99, function-errors, function-throttles, function-duration-p99, function-concurrency, table-throttles."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => a.alarm_name },
    { "table-throttles" = aws_cloudwatch_metric_alarm.table_throttles.alarm_name },
  )
}

output "dashboard_name" {
  description = "Name of the dashboard (<name>-assistant); null when create_dashboard = false."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}
