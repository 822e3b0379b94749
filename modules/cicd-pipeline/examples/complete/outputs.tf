output "pipeline_name" {
  description = "Name of the pipeline."
  value       = module.pipeline.pipeline_name
}

output "stage_names" {
  description = "The pipeline's stages, in order."
  value       = module.pipeline.stage_names
}

output "artifact_bucket_name" {
  description = "Name of the pipeline artifact bucket."
  value       = module.pipeline.artifact_bucket_name
}

output "source_bucket_name" {
  description = "Upload the project zip here."
  value       = module.pipeline.source_bucket_name
}

output "codebuild_project_names" {
  description = "CodeBuild project of each step."
  value       = module.pipeline.codebuild_project_names
}

output "codebuild_log_group_names" {
  description = "Log group of each step."
  value       = module.pipeline.codebuild_log_group_names
}

output "codebuild_role_arns" {
  description = "Service role of each step."
  value       = module.pipeline.codebuild_role_arns
}

output "approval_topic_arn" {
  description = "Topic of the approval requests."
  value       = module.pipeline.approval_topic_arn
}

output "kms_key_arn" {
  description = "Key of the pipeline artifacts."
  value       = module.artifact_key.key_arn
}

output "logs_kms_key_arn" {
  description = "Key of the CodeBuild logs."
  value       = module.logs_key.key_arn
}

output "access_log_bucket_name" {
  description = "Bucket of the S3 access logs."
  value       = module.access_logs.bucket_id
}

output "sagemaker_role_arn" {
  description = "The execution role the deploy steps may pass to SageMaker."
  value       = module.sagemaker_role.role_arn
}

output "release_bucket_name" {
  description = "Bucket of the launchpad releases the builds install from (launchpad release publish --bucket)."
  value       = module.releases.bucket_id
}

output "release_kms_key_arn" {
  description = "Key of the releases bucket."
  value       = module.release_key.key_arn
}
