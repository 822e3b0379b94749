output "key_arn" {
  description = "ARN of the KMS key."
  value       = module.kms.key_arn
}

output "key_id" {
  description = "ID of the KMS key."
  value       = module.kms.key_id
}

output "alias_name" {
  description = "Name of the key alias."
  value       = module.kms.alias_name
}

output "alias_arn" {
  description = "ARN of the key alias."
  value       = module.kms.alias_arn
}

output "key_policy" {
  description = "The key policy, as JSON."
  value       = module.kms.key_policy
}

output "key_admin_role_arn" {
  description = "ARN of the example role that administers the key."
  value       = aws_iam_role.key_admin.arn
}

output "key_user_role_arn" {
  description = "ARN of the example role that uses the key."
  value       = aws_iam_role.key_user.arn
}
