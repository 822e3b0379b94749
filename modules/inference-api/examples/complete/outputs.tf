output "invoke_url" {
  description = "Base URL of the stage: POST <invoke_url>/ask, /feedback, /service/ask, /service/feedback."
  value       = module.api.invoke_url
}

output "api_id" {
  description = "ID of the REST API."
  value       = module.api.api_id
}

output "stage_name" {
  description = "Name of the stage."
  value       = module.api.stage_name
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value       = module.api.execution_arn
}

output "user_pool_id" {
  description = "ID of the user pool whose ID tokens /ask and /feedback accept."
  value       = module.api.user_pool_id
}

output "user_pool_client_id" {
  description = "ID of the web UI's app client."
  value       = module.api.user_pool_client_id
}

output "api_key_ids" {
  description = "ID of each client's API key."
  value       = module.api.api_key_ids
}

output "api_key_values" {
  description = "Value of each client's API key (x-api-key)."
  value       = module.api.api_key_values
  sensitive   = true
}

output "table_name" {
  description = "Name of the query log table."
  value       = module.api.table_name
}

output "function_name" {
  description = "Name of the assistant function."
  value       = module.api.function_name
}

output "function_role_arn" {
  description = "ARN of the function's execution role."
  value       = module.api.function_role_arn
}

output "function_role_statement_sids" {
  description = "Sids of the function role's statements."
  value       = module.api.function_role_statement_sids
}

output "account_logging_role_arn" {
  description = "ARN of the account's API Gateway CloudWatch role, when the example sets it."
  value       = module.api.account_logging_role_arn
}

output "token_key_arn" {
  description = "ARN of the feedback token key."
  value       = module.api.token_key_arn
}

output "key_arn" {
  description = "ARN of the platform key the example made."
  value       = module.key.key_arn
}

output "index_s3_uri" {
  description = "Where the index was uploaded."
  value       = "s3://${aws_s3_object.index.bucket}/${aws_s3_object.index.key}"
}

output "access_log_group_name" {
  description = "Log group of the stage's access log."
  value       = module.api.access_log_group_name
}

output "web_acl_arn" {
  description = "ARN of the stage's web ACL."
  value       = module.api.web_acl_arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value       = module.api.alarm_names
}

output "alarm_topic_arn" {
  description = "The topic the alarms notify."
  value       = module.alarms.arn
}

output "dashboard_name" {
  description = "Name of the dashboard."
  value       = module.api.dashboard_name
}
