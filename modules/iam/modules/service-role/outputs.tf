# The outputs wait for the policies: a consumer (e.g. a SageMaker model) that receives the ARN must not
# start using the role before its permissions are in place.

output "arn" {
  description = "ARN of the IAM role (available once its inline and managed policies are attached)."
  value       = aws_iam_role.this.arn

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy_attachment.this]
}

output "name" {
  description = "Name of the IAM role (available once its inline and managed policies are attached)."
  value       = aws_iam_role.this.name

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy_attachment.this]
}

output "unique_id" {
  description = "Stable unique ID of the IAM role (changes if the role is re-created)."
  value       = aws_iam_role.this.unique_id
}
