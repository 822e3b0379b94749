output "model_package_group_name" {
  description = "Name of the model package group (pass it as ModelPackageGroupName to CreateModelPackage and ListModelPackages in this account)."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "model_package_group_arn" {
  description = "ARN of the model package group. Callers in another account pass this ARN, not the name, as ModelPackageGroupName."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "model_package_arn_prefix" {
  description = "Prefix of the ARNs of the group's model versions: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/ (a version's ARN is the prefix followed by its version number)."
  value       = local.model_package_arn_prefix
}

output "latest_approved_query" {
  description = "The exact ListModelPackages parameters that return the latest Approved version of the group (at most one ModelPackageSummary; its ModelPackageArn is what to deploy). Available once the resource policy is in place."
  value = {
    ModelPackageGroupName = aws_sagemaker_model_package_group.this.model_package_group_name
    ModelApprovalStatus   = "Approved"
    SortBy                = "CreationTime"
    SortOrder             = "Descending"
    MaxResults            = 1
    ModelPackageType      = "Versioned"
  }

  depends_on = [aws_sagemaker_model_package_group_policy.this]
}

output "principal_arns" {
  description = "The principals named in the resource policy, by role, as written into it (account ids as account root ARNs; readers after the default to this account's root)."
  value = {
    readers    = local.effective_reader_arns
    publishers = local.publisher_arns
    approvers  = local.approver_arns
  }
}

output "resource_policy" {
  description = "The resource policy attached to the model package group, as JSON."
  value       = data.aws_iam_policy_document.this.json
}
