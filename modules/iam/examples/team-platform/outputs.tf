output "endpoint_name" {
  description = "Name of the team's endpoint."
  value       = module.endpoint.endpoint_name
}

output "execution_role_name" {
  description = "Name of the endpoint's execution role."
  value       = module.execution_role.role_name
}

output "execution_role_arn" {
  description = "ARN of the endpoint's execution role."
  value       = module.execution_role.role_arn
}

output "key_arns" {
  description = "The team's two keys, by purpose."
  value       = { data = module.data_key.key_arn, logs = module.logs_key.key_arn }
}

output "key_aliases" {
  description = "The aliases of the team's two keys (its own naming: alias/<team>/<purpose>)."
  value       = { data = module.data_key.alias_name, logs = module.logs_key.alias_name }
}

output "bucket_names" {
  description = "The team's buckets, by purpose."
  value       = { access_logs = module.access_logs.bucket_id, models = module.models.bucket_id, capture = module.capture.bucket_id }
}

output "alarm_topic_arn" {
  description = "The topic the endpoint's monitoring and rollback alarms notify."
  value       = module.monitoring.sns_topic_arn
}

output "ops_topic_arn" {
  description = "The team's second topic (capacity alarms of its own)."
  value       = module.ops_topic.arn
}

output "private_subnet_arns" {
  description = "ARNs of the private subnets the endpoint runs in."
  value       = module.network.private_subnet_arns
}

output "execution_role_policy" {
  description = "The execution role's inline policy."
  value       = module.execution_role.policy_json
}
