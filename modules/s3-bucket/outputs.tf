output "bucket_id" {
  description = "Name of the bucket, available once the bucket's guardrails (public access block, ownership controls, encryption, bucket policy) are in place. Wire it wherever something writes to the bucket, including another bucket's access_log_bucket (log delivery needs the target's policy first)."
  value       = aws_s3_bucket.this.bucket

  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
  ]
}

output "bucket_arn" {
  description = "ARN of the bucket. Deliberately not delayed until the policy exists, so IAM and KMS key policies can reference it without creating a dependency cycle."
  value       = aws_s3_bucket.this.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket (<bucket>.s3.<region>.amazonaws.com)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "policy_json" {
  description = "The bucket policy document attached to the bucket, as JSON."
  value       = data.aws_iam_policy_document.this.json
}
