output "url" {
  description = "The site's address: https:// and the first alias, or the distribution's domain name."
  value       = "https://${var.certificate == null ? aws_cloudfront_distribution.this.domain_name : var.certificate.aliases[0]}"
}

output "distribution_id" {
  description = "ID of the CloudFront distribution (for invalidations after an upload)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution: the only aws:SourceArn the bucket and key policies admit."
  value       = aws_cloudfront_distribution.this.arn
}

output "distribution_domain_name" {
  description = "The distribution's domain name (<id>.cloudfront.net), for a DNS alias record."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "distribution_hosted_zone_id" {
  description = "Route 53 hosted zone ID of CloudFront, for an alias record."
  value       = aws_cloudfront_distribution.this.hosted_zone_id
}

output "origin_access_control_id" {
  description = "ID of the origin access control CloudFront signs its requests to the bucket with."
  value       = aws_cloudfront_origin_access_control.this.id
}

output "response_headers_policy_id" {
  description = "ID of the response headers policy (security headers) of the default cache behavior."
  value       = aws_cloudfront_response_headers_policy.this.id
}

output "content_security_policy" {
  description = "The Content-Security-Policy the distribution sends with every response."
  value       = local.content_security_policy
}

output "bucket_id" {
  description = "Name of the private bucket holding the site's files."
  value       = module.bucket.bucket_id
}

output "bucket_arn" {
  description = "ARN of the site bucket."
  value       = module.bucket.bucket_arn
}

output "bucket_policy_json" {
  description = "The site bucket's policy (the s3-bucket guardrails plus the distribution's read)."
  value       = module.bucket.policy_json
}

output "kms_key_arn" {
  description = "ARN of the key the site's objects are encrypted with."
  value       = aws_kms_key.this.arn
}

output "object_keys" {
  description = "Keys of the uploaded objects, config.json included."
  value       = sort(concat([for o in aws_s3_object.site : o.key], [aws_s3_object.config.key]))
}
