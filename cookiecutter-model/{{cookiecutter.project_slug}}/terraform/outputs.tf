output "endpoint_name" {
  description = "The stage's endpoint: the endpoint_name of deploy/config/<stage>.yaml."
  value       = local.endpoint_name
}

output "endpoint_security_group_id" {
  description = "Security group of the model containers: vpc.security_group_ids of deploy/config/<stage>.yaml (null when serverless)."
  value       = one(aws_security_group.endpoint[*].id)
}

output "alarm_names" {
  description = "The monitoring alarms of the endpoint, keyed <variant>/<kind>."
  value       = module.monitoring.alarm_names
}

output "dashboard_name" {
  description = "The endpoint's CloudWatch dashboard."
  value       = module.monitoring.dashboard_name
}

output "log_group_name" {
  description = "The endpoint's log group, when this stack creates it (dev); the platform's otherwise (null here)."
  value       = module.monitoring.log_group_name
}

output "endpoint_arn" {
  description = "ARN of the endpoint when this stack owns it (manage_endpoint = true), else null."
  value       = one(module.endpoint[*].endpoint_arn)
}

output "endpoint_config_name" {
  description = "The endpoint configuration in service when this stack owns the endpoint, else null."
  value       = one(module.endpoint[*].endpoint_config_name)
}
