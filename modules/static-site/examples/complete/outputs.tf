output "url" {
  description = "The site's address."
  value       = module.site.url
}

output "distribution_id" {
  description = "ID of the CloudFront distribution."
  value       = module.site.distribution_id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = module.site.distribution_arn
}

output "origin_access_control_id" {
  description = "ID of the origin access control."
  value       = module.site.origin_access_control_id
}

output "response_headers_policy_id" {
  description = "ID of the security headers policy."
  value       = module.site.response_headers_policy_id
}

output "content_security_policy" {
  description = "The Content-Security-Policy sent with every response."
  value       = module.site.content_security_policy
}

output "bucket_id" {
  description = "Name of the site bucket."
  value       = module.site.bucket_id
}

output "kms_key_arn" {
  description = "ARN of the site's key."
  value       = module.site.kms_key_arn
}

output "object_keys" {
  description = "Keys of the uploaded objects."
  value       = module.site.object_keys
}

output "log_bucket_id" {
  description = "Name of the access log bucket."
  value       = module.log_bucket.bucket_id
}
