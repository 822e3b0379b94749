output "job_role_arn" {
  description = "ARN of the monitoring job's role."
  value       = module.monitoring.job_role_arn
}

output "job_role_statement_sids" {
  description = "Sids of the job role's statements."
  value       = module.monitoring.job_role_statement_sids
}

output "schedule_name" {
  description = "Name of the schedule that starts the job."
  value       = module.monitoring.schedule_name
}

output "job_request" {
  description = "The CreateProcessingJob request the schedule sends."
  value       = module.monitoring.job_request
}

output "alarm_names" {
  description = "Names of the monitoring alarms."
  value       = module.monitoring.alarm_names
}

output "retrain_function_name" {
  description = "Name of the retrain trigger's function."
  value       = module.monitoring.retrain_function_name
}

output "dashboard_name" {
  description = "Name of the monitoring dashboard."
  value       = module.monitoring.dashboard_name
}
