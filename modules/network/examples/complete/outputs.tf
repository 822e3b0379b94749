output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "availability_zones" {
  description = "Availability Zones of the subnets."
  value       = module.network.availability_zones
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = module.network.vpc_cidr_block
}

output "private_subnet_ids" {
  description = "IDs of the private subnets."
  value       = module.network.private_subnet_ids
}

output "private_route_table_ids" {
  description = "IDs of the private route tables."
  value       = module.network.private_route_table_ids
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (empty: the example creates no internet gateway)."
  value       = module.network.public_subnet_ids
}

output "endpoint_security_group_id" {
  description = "ID of the security group of the interface VPC endpoints."
  value       = module.network.endpoint_security_group_id
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints, keyed by service short name."
  value       = module.network.vpc_endpoint_ids
}

output "flow_log_id" {
  description = "ID of the VPC flow log."
  value       = module.network.flow_log_id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group receiving the VPC flow logs."
  value       = module.network.flow_log_group_name
}

output "flow_logs_kms_key_arn" {
  description = "ARN of the KMS key encrypting the flow-log group."
  value       = module.flow_logs_key.key_arn
}
