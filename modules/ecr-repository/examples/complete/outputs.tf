output "repository_arn" {
  description = "ARN of the repository."
  value       = module.repository.repository_arn
}

output "repository_name" {
  description = "Name of the repository."
  value       = module.repository.repository_name
}

output "repository_url" {
  description = "URL of the repository (the image URI without its tag)."
  value       = module.repository.repository_url
}

output "registry_id" {
  description = "ID of the registry (the account)."
  value       = module.repository.registry_id
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the images."
  value       = module.kms.key_arn
}

output "pull_role_arn" {
  description = "ARN of the example role that pulls images (a SageMaker execution role)."
  value       = module.sagemaker_role.arn
}

output "push_role_arn" {
  description = "ARN of the example role that pushes images (a CodeBuild service role)."
  value       = module.codebuild_role.arn
}
