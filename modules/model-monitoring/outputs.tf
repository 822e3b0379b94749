output "job_role_arn" {
  description = "ARN of the monitoring job's role (SageMaker Processing)."
  value       = aws_iam_role.job.arn

  depends_on = [aws_iam_role_policy.job]
}

output "job_role_statement_sids" {
  description = "Sids of the job role's policy statements, in the policy's order."
  value       = [for s in jsondecode(data.aws_iam_policy_document.job.json).Statement : s.Sid]
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler creates the processing jobs with."
  value       = aws_iam_role.scheduler.arn
}

output "scheduler_role_statement_sids" {
  description = "Sids of the scheduler role's policy statements."
  value       = [for s in jsondecode(data.aws_iam_policy_document.scheduler.json).Statement : s.Sid]
}

output "schedule_name" {
  description = "Name of the schedule (group default), <name>-monitor: also the MonitoringSchedule dimension of the job's metrics."
  value       = aws_scheduler_schedule.job.name
}

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.job.arn
}

output "job_name_prefix" {
  description = "Processing jobs are named <job_name_prefix>-<Scheduler execution id>; their logs are /aws/sagemaker/ProcessingJobs streams <job name>/..."
  value       = local.job_prefix
}

output "job_request" {
  description = "The CreateProcessingJob request the schedule sends (JSON), context attributes <aws.scheduler.*> unreplaced."
  value       = local.job_input
}

output "image_uri" {
  description = "Image the job runs."
  value       = local.image_uri
}

output "alarm_names" {
  description = "Names of the alarms, keyed drift, job-not-reporting, retrain-failed, quality-<metric>, bias-<metric>, kpi-<variant>-<metric>."
  value = merge(
    {
      drift               = aws_cloudwatch_metric_alarm.drift.alarm_name
      "job-not-reporting" = aws_cloudwatch_metric_alarm.job_not_reporting.alarm_name
      "retrain-failed"    = aws_cloudwatch_metric_alarm.retrain_failed.alarm_name
    },
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.kpi : k => a.alarm_name },
  )
}

output "retrain_alarm_names" {
  description = "The alarms whose change to ALARM invokes the retrain trigger: drift and the KPI alarms."
  value       = local.retrain_alarm_names
}

output "dashboard_name" {
  description = "Name of the dashboard (<name>-monitoring); null when create_dashboard = false."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "retrain_function_name" {
  description = "Name of the retrain trigger's Lambda function."
  value       = aws_lambda_function.retrain.function_name
}

output "retrain_function_arn" {
  description = "ARN of the retrain trigger's Lambda function."
  value       = aws_lambda_function.retrain.arn
}

output "retrain_role_arn" {
  description = "ARN of the retrain function's role."
  value       = aws_iam_role.retrain.arn
}

output "retrain_role_statement_sids" {
  description = "Sids of the retrain function's role's policy statements."
  value       = [for s in jsondecode(data.aws_iam_policy_document.retrain.json).Statement : s.Sid]
}

output "retrain_log_group_name" {
  description = "Log group of the retrain function, where each decision is one JSON line."
  value       = aws_cloudwatch_log_group.retrain.name
}

output "retrain_dead_letter_queue_arn" {
  description = "SQS queue that keeps the alarm events the retrain function failed on."
  value       = aws_sqs_queue.retrain_dlq.arn
}

output "retrain_rule_name" {
  description = "EventBridge rule sending the drift and KPI alarms' changes to ALARM to the retrain function."
  value       = aws_cloudwatch_event_rule.retrain.name
}
