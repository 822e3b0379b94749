output "environment" {
  description = "The environment of this stack."
  value       = var.environment
}

output "vpc_id" {
  description = "ID of the private VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (for SageMaker VpcConfig)."
  value       = module.network.private_subnet_ids
}

output "endpoint_security_group_id" {
  description = "ID of the security group of the interface VPC endpoints."
  value       = module.network.endpoint_security_group_id
}

output "model_security_group_id" {
  description = "ID of the security group for SageMaker model containers (stage config vpc.security_group_ids): HTTPS to the VPC endpoints and to S3."
  value       = aws_security_group.models.id
}

output "flow_logs_role_arn" {
  description = "Role VPC Flow Logs assumes to deliver this environment's flow logs to CloudWatch Logs."
  value       = module.network.flow_logs_role_arn
}

output "kms_key_arns" {
  description = "ARN of the KMS key of each data domain: data, models, capture, logs, pipeline."
  value       = { for domain, key in module.keys : domain => key.key_arn }
}

output "bucket_names" {
  description = "Name of each bucket: access-logs, data, model-artifacts, data-capture, feedback."
  value       = merge({ access-logs = module.access_logs.bucket_id }, { for k, b in module.buckets : k => b.bucket_id })
}

output "monitoring_topic_arn" {
  description = "SNS topic every endpoint alarm of this environment notifies (endpoint-monitoring's sns_topic_arn)."
  value       = module.monitoring_topic.arn
}

output "endpoint_log_group_names" {
  description = "Log group of each model project's staging and production endpoint, by endpoint name."
  value       = { for e, g in aws_cloudwatch_log_group.endpoint : e => g.name }
}

output "model_projects" {
  description = "Per model project: its registry, SageMaker execution role, serving and build image repositories (build_repository_url: null without codebuild_build_image), pipeline, and where its source goes."
  value = {
    for p in keys(var.model_projects) : p => {
      model_package_group_name = module.registry[p].model_package_group_name
      sagemaker_role_arn       = module.sagemaker_role[p].role_arn
      sagemaker_role_name      = module.sagemaker_role[p].role_name
      repository_url           = module.repository[p].repository_url
      build_repository_url     = var.codebuild_build_image ? module.build_repository[p].repository_url : null
      pipeline_name            = module.pipeline[p].pipeline_name
      pipeline_stages          = module.pipeline[p].stage_names
      artifact_bucket_name     = module.pipeline[p].artifact_bucket_name
      source_bucket_name       = module.pipeline[p].source_bucket_name
      source_object_key        = module.pipeline[p].source_object_key
      source_rule_name         = module.pipeline[p].source_rule_name
      pipeline_role_arn        = module.pipeline[p].pipeline_role_arn
      events_role_arn          = module.pipeline[p].events_role_arn
      codebuild_role_arns      = module.pipeline[p].codebuild_role_arns
      approval_topic_arn       = module.pipeline[p].approval_topic_arn
      codebuild_project_names  = module.pipeline[p].codebuild_project_names
      endpoints                = { staging = "${p}-staging", production = "${p}-production" }
      monitoring = var.model_monitoring == null ? null : {
        schedule_name         = module.model_monitoring[p].schedule_name
        job_name_prefix       = module.model_monitoring[p].job_name_prefix
        job_role_arn          = module.model_monitoring[p].job_role_arn
        scheduler_role_arn    = module.model_monitoring[p].scheduler_role_arn
        retrain_role_arn      = module.model_monitoring[p].retrain_role_arn
        retrain_function_name = module.model_monitoring[p].retrain_function_name
        alarm_names           = module.model_monitoring[p].alarm_names
        retrain_alarm_names   = module.model_monitoring[p].retrain_alarm_names
        code_uri              = "s3://${module.buckets["model-artifacts"].bucket_id}/monitor/code/"
        baselines_uri         = "s3://${module.buckets["model-artifacts"].bucket_id}/${p}/"
        results_uri           = "s3://${module.buckets["data-capture"].bucket_id}/${p}/monitor/results/"
      }
    }
  }
}
