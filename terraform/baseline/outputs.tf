output "vpc_id" {
  description = "ID of the private VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (for SageMaker VpcConfig)."
  value       = module.network.private_subnet_ids
}

output "endpoint_security_group_id" {
  description = "ID of the security group of the interface VPC endpoints."
  value       = module.network.endpoint_security_group_id
}

output "kms_key_arns" {
  description = "ARNs of the data and logs KMS keys."
  value       = [module.data_key.key_arn, module.logs_key.key_arn]
}

output "bucket_names" {
  description = "Names of the access-log bucket and the data buckets."
  value       = concat([module.access_logs.bucket_id], [for b in module.buckets : b.bucket_id])
}

output "endpoint_log_group_name" {
  description = "Log group SageMaker endpoints of this stack write to."
  value       = aws_cloudwatch_log_group.endpoint.name
}

output "sagemaker_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = module.sagemaker_role.role_arn
}

output "sagemaker_role_name" {
  description = "Name of the SageMaker execution role."
  value       = module.sagemaker_role.role_name
}
