output "sns_topic_arn" {
  description = "ARN of the alarm topic."
  value       = module.monitoring.sns_topic_arn
}

output "alarm_names" {
  description = "Alarm names, keyed \"<variant>/<kind>\"."
  value       = module.monitoring.alarm_names
}

output "alarm_arns" {
  description = "Alarm ARNs, keyed \"<variant>/<kind>\"."
  value       = module.monitoring.alarm_arns
}

output "dashboard_name" {
  description = "Name of the endpoint dashboard."
  value       = module.monitoring.dashboard_name
}

output "dashboard_arn" {
  description = "ARN of the endpoint dashboard."
  value       = module.monitoring.dashboard_arn
}

output "log_group_name" {
  description = "Name of the endpoint log group."
  value       = module.monitoring.log_group_name
}

output "log_group_arn" {
  description = "ARN of the endpoint log group."
  value       = module.monitoring.log_group_arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the topic and the log group."
  value       = module.kms.key_arn
}
