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
