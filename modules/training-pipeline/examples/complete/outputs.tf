output "pipeline_name" {
  description = "Name of the SageMaker pipeline."
  value       = module.training.pipeline_name
}

output "pipeline_arn" {
  description = "ARN of the SageMaker pipeline."
  value       = module.training.pipeline_arn
}

output "pipeline_role_arn" {
  description = "ARN of the pipeline's role."
  value       = module.training.pipeline_role_arn
}

output "job_role_arn" {
  description = "ARN of the jobs' role."
  value       = module.training.job_role_arn
}

output "model_package_group_name" {
  description = "The model registry group the pipeline registers versions in."
  value       = module.training.model_package_group_name
}

output "data_key_arn" {
  description = "ARN of the key of the training data and the artifacts."
  value       = module.data_key.key_arn
}
