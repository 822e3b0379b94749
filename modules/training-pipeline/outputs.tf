output "pipeline_name" {
  description = "Name of the SageMaker pipeline (what StartPipelineExecution and `launchpad pipeline run` take)."
  value       = aws_sagemaker_pipeline.this.pipeline_name
}

output "pipeline_arn" {
  description = "ARN of the SageMaker pipeline."
  value       = aws_sagemaker_pipeline.this.arn
}

output "pipeline_role_arn" {
  description = "ARN of the role SageMaker runs the pipeline's executions as."
  value       = aws_iam_role.pipeline.arn
}

output "pipeline_role_name" {
  description = "Name of the pipeline's role."
  value       = aws_iam_role.pipeline.name
}

output "job_role_arn" {
  description = "ARN of the role the steps' Processing and Training jobs run as (the definition's RoleArn of every job)."
  value       = aws_iam_role.job.arn
}

output "job_role_name" {
  description = "Name of the jobs' role."
  value       = aws_iam_role.job.name
}

output "model_package_group_name" {
  description = "The model registry group the pipeline's role may register versions in."
  value       = local.group_name
}
