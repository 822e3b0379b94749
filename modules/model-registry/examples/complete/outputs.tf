output "model_package_group_name" {
  description = "Name of the model package group."
  value       = module.model_registry.model_package_group_name
}

output "model_package_group_arn" {
  description = "ARN of the model package group."
  value       = module.model_registry.model_package_group_arn
}

output "model_package_arn_prefix" {
  description = "Prefix of the ARNs of the group's model versions."
  value       = module.model_registry.model_package_arn_prefix
}

output "latest_approved_query" {
  description = "ListModelPackages parameters that return the latest Approved version."
  value       = module.model_registry.latest_approved_query
}

output "principal_arns" {
  description = "The principals named in the resource policy, by role."
  value       = module.model_registry.principal_arns
}

output "resource_policy" {
  description = "The resource policy of the model package group, as JSON."
  value       = module.model_registry.resource_policy
}

output "deployer_role_arn" {
  description = "ARN of the example role that reads the registry."
  value       = module.deployer_role.arn
}

output "publisher_role_arn" {
  description = "ARN of the example role that registers versions."
  value       = module.publisher_role.arn
}

output "approver_role_arn" {
  description = "ARN of the example role that approves versions."
  value       = module.approver_role.arn
}
