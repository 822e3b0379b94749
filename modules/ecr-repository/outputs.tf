output "repository_arn" {
  description = "ARN of the repository (for IAM policies, e.g. modules/iam's ecr_repository_arns)."
  value       = aws_ecr_repository.this.arn
}

output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.this.name
}

output "repository_url" {
  description = "URL of the repository, <registry-id>.dkr.ecr.<region>.amazonaws.com/<name>: the image URI without its tag."
  value       = aws_ecr_repository.this.repository_url
}

output "registry_id" {
  description = "ID of the registry (the account) that holds the repository."
  value       = aws_ecr_repository.this.registry_id
}
