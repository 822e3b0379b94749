output "notebook_instance_name" {
  description = "Name of the notebook instance."
  value       = aws_sagemaker_notebook_instance.this.name
}

output "notebook_instance_arn" {
  description = "ARN of the notebook instance."
  value       = aws_sagemaker_notebook_instance.this.arn
}

output "role_arn" {
  description = "ARN of the notebook's role."
  value       = aws_iam_role.notebook.arn
}

output "role_name" {
  description = "Name of the notebook's role."
  value       = aws_iam_role.notebook.name
}

output "lifecycle_config_name" {
  description = "Name of the notebook's lifecycle configuration."
  value       = aws_sagemaker_notebook_instance_lifecycle_configuration.this.name
}
