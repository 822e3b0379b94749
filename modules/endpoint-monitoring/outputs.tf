output "sns_topic_arn" {
  description = "ARN of the SNS topic the alarms notify (the created <name>-alarms topic, or sns_topic_arn)."
  value       = local.topic_arn
}

output "alarm_names" {
  description = "Names of the alarms, keyed \"<variant>/<kind>\" (kinds: 5xx-error-rate, 4xx-error-rate, model-latency, overhead-latency, cpu-utilization, memory-utilization, disk-utilization, gpu-utilization, gpu-memory-utilization, invocations-anomaly). Use them as auto-rollback alarms of an endpoint deployment."
  value       = local.alarm_names
}

output "alarm_arns" {
  description = "ARNs of the alarms, with the same keys as alarm_names."
  value       = local.alarm_arns
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (<name>-endpoint); null when create_dashboard = false."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "dashboard_arn" {
  description = "ARN of the CloudWatch dashboard; null when create_dashboard = false."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_arn)
}

output "log_group_name" {
  description = "Name of the endpoint log group, /aws/sagemaker/Endpoints/<endpoint_name>; null when create_log_group = false."
  value       = one(aws_cloudwatch_log_group.this[*].name)
}

output "log_group_arn" {
  description = "ARN of the endpoint log group; null when create_log_group = false."
  value       = one(aws_cloudwatch_log_group.this[*].arn)
}
