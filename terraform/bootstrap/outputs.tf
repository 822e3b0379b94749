output "state_bucket_name" {
  description = "Name of the state bucket (the backend's bucket)."
  value       = module.state_bucket.bucket_id
}

output "state_bucket_arn" {
  description = "ARN of the state bucket (for the IAM policies of the roles that run Terraform)."
  value       = module.state_bucket.bucket_arn
}

output "access_log_bucket_name" {
  description = "Name of the bucket that receives the state bucket's S3 server access logs."
  value       = module.access_logs.bucket_id
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts state objects and the lock table (the backend's kms_key_id)."
  value       = module.state_key.key_arn
}

output "kms_key_alias" {
  description = "Alias of the state key, alias/<name>-tfstate."
  value       = module.state_key.alias_name
}

output "lock_table_name" {
  description = "Name of the DynamoDB lock table, or null when create_dynamodb_lock_table = false (locking uses the S3 lockfile)."
  value       = local.lock_table
}

output "lock_table_arn" {
  description = "ARN of the DynamoDB lock table, or null when there is none."
  value       = one(aws_dynamodb_table.lock[*].arn)
}

output "backend_configs" {
  description = "Map of environment name to the text of its backend.hcl (bucket, key <environment>/<state_file_name>, region, encrypt, kms_key_id, use_lockfile, and dynamodb_table when the lock table exists), for terraform init -backend-config=backend.hcl."
  value       = local.backend_configs
}
