output "data_bucket_id" {
  description = "Name of the KMS-encrypted data bucket."
  value       = module.data_bucket.bucket_id
}

output "data_bucket_arn" {
  description = "ARN of the KMS-encrypted data bucket."
  value       = module.data_bucket.bucket_arn
}

output "data_bucket_regional_domain_name" {
  description = "Regional domain name of the data bucket."
  value       = module.data_bucket.bucket_regional_domain_name
}

output "data_bucket_policy_json" {
  description = "Bucket policy of the data bucket."
  value       = module.data_bucket.policy_json
}

output "log_bucket_id" {
  description = "Name of the access-log bucket."
  value       = module.log_bucket.bucket_id
}

output "log_bucket_arn" {
  description = "ARN of the access-log bucket."
  value       = module.log_bucket.bucket_arn
}

output "log_bucket_policy_json" {
  description = "Bucket policy of the access-log bucket."
  value       = module.log_bucket.policy_json
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the data bucket."
  value       = module.data_key.key_arn
}
