output "endpoint_name" {
  description = "Name of the endpoint."
  value       = module.endpoint.endpoint_name
}

output "endpoint_config_name" {
  description = "Endpoint configuration in service."
  value       = module.endpoint.endpoint_config_name
}

output "model_names" {
  description = "Model per variant."
  value       = module.endpoint.model_names
}

output "rollback_alarm_names" {
  description = "Alarms SageMaker watches during an update."
  value       = module.endpoint.rollback_alarm_names
}

output "kms_key_arn" {
  description = "Key of the endpoint's data."
  value       = module.key.key_arn
}

output "alarm_topic_arn" {
  description = "SNS topic (KMS) of every alarm of the endpoint."
  value       = module.monitoring.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the endpoint."
  value       = module.monitoring.dashboard_name
}

output "monitoring_alarm_names" {
  description = "Monitoring alarms by variant and kind."
  value       = module.monitoring.alarm_names
}

output "log_group_name" {
  description = "Log group of the model containers."
  value       = module.monitoring.log_group_name
}
