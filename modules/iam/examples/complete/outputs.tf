output "sagemaker_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = module.sagemaker_role.role_arn
}

output "sagemaker_role_name" {
  description = "Name of the SageMaker execution role."
  value       = module.sagemaker_role.role_name
}

output "sagemaker_policy_json" {
  description = "Inline policy of the SageMaker execution role."
  value       = module.sagemaker_role.policy_json
}

output "codebuild_role_arn" {
  description = "ARN of the CodeBuild service role built with the service-role submodule."
  value       = module.codebuild_role.arn
}

output "codebuild_role_name" {
  description = "Name of the CodeBuild service role."
  value       = module.codebuild_role.name
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary policy applied to both roles."
  value       = aws_iam_policy.boundary.arn
}

output "kms_key_arn" {
  description = "ARN of the example KMS key."
  value       = module.key.key_arn
}

output "endpoint_log_group_name" {
  description = "Log group the SageMaker endpoint writes to."
  value       = aws_cloudwatch_log_group.endpoint.name
}

output "ecr_repository_url" {
  description = "URL of the example ECR repository."
  value       = aws_ecr_repository.this.repository_url
}
