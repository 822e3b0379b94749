output "pipeline_name" {
  description = "Name of the pipeline."
  value       = aws_codepipeline.this.name
}

output "pipeline_arn" {
  description = "ARN of the pipeline."
  value       = aws_codepipeline.this.arn
}

output "stage_names" {
  description = "The pipeline's stages, in order (Source first)."
  value       = concat(["Source"], [for s in local.stages : s.stage])
}

output "artifact_bucket_name" {
  description = "Name of the pipeline artifact bucket."
  value       = module.artifact_bucket.bucket_id
}

output "artifact_bucket_arn" {
  description = "ARN of the pipeline artifact bucket."
  value       = module.artifact_bucket.bucket_arn
}

output "source_bucket_name" {
  description = "Name of the source bucket (an s3 source: upload the project zip to s3://<this>/<s3_object_key>); null for a codestar source."
  value       = one(module.source_bucket[*].bucket_id)
}

output "source_bucket_arn" {
  description = "ARN of the source bucket; null for a codestar source."
  value       = one(module.source_bucket[*].bucket_arn)
}

output "codebuild_project_names" {
  description = "CodeBuild project of each step: build-and-test, policy-check, deploy-staging, integration-test, deploy-production."
  value       = { for step, p in aws_codebuild_project.this : step => p.name }
}

output "codebuild_log_group_names" {
  description = "CloudWatch log group of each step."
  value       = { for step, g in aws_cloudwatch_log_group.codebuild : step => g.name }
}

output "codebuild_role_arns" {
  description = "Service role of each step."
  value       = { for step, r in module.codebuild_role : step => r.arn }
}

output "pipeline_role_arn" {
  description = "Service role of the pipeline."
  value       = module.pipeline_role.arn
}

output "approval_topic_arn" {
  description = "SNS topic that receives the production approval requests; null when approval is off."
  value       = one(module.approval_topic[*].arn)
}

output "source_object_key" {
  description = "Key of the source object in the source bucket (an s3 source); null for a codestar source."
  value       = local.s3_source ? var.source_repository.s3_object_key : null
}

output "source_rule_name" {
  description = "EventBridge rule that starts the pipeline when the source object changes (an s3 source); null for a codestar source."
  value       = one(aws_cloudwatch_event_rule.source[*].name)
}

output "events_role_arn" {
  description = "Role EventBridge starts the pipeline with (an s3 source); null for a codestar source."
  value       = one(module.events_role[*].arn)
}
