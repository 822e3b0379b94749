output "key_arn" {
  description = "ARN of the KMS key (use it in kms_key_id / kms_master_key_id arguments of other resources)."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID (UUID) of the KMS key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Name of the alias, alias/<name>."
  value       = aws_kms_alias.this.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = aws_kms_alias.this.arn
}

output "key_policy" {
  description = "The key policy attached to the key, as JSON."
  value       = data.aws_iam_policy_document.this.json
}
