output "notebook_instance_name" {
  description = "Name of the notebook instance."
  value       = module.notebook.notebook_instance_name
}

output "notebook_instance_arn" {
  description = "ARN of the notebook instance."
  value       = module.notebook.notebook_instance_arn
}

output "role_arn" {
  description = "ARN of the notebook's role."
  value       = module.notebook.role_arn
}

output "lifecycle_config_name" {
  description = "Name of the notebook's lifecycle configuration."
  value       = module.notebook.lifecycle_config_name
}

output "key_arn" {
  description = "ARN of the example's key (the notebook volume and the team's data)."
  value       = module.key.key_arn
}

output "subnet_id" {
  description = "The private subnet the notebook runs in."
  value       = module.network.private_subnet_ids[0]
}

output "security_group_id" {
  description = "The notebook's security group."
  value       = aws_security_group.notebook.id
}
