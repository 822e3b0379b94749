output "role_arn" {
  description = "ARN of the SageMaker execution role (available once its policy is attached): pass it as the model's execution_role_arn."
  value       = module.role.arn
}

output "role_name" {
  description = "Name of the SageMaker execution role."
  value       = module.role.name
}

output "role_unique_id" {
  description = "Stable unique ID of the SageMaker execution role (changes if the role is re-created)."
  value       = module.role.unique_id
}

output "policy_json" {
  description = "The inline policy document attached to the role (JSON), for review and policy tests."
  value       = data.aws_iam_policy_document.this.json
}
