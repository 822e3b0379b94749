output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = aws_vpc.this.arn
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability Zones the subnets are spread over, in subnet order."
  value       = local.azs
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per Availability Zone (in the order of availability_zones)."
  value       = aws_subnet.private[*].id
}

output "private_subnet_arns" {
  description = "ARNs of the private subnets (in the order of availability_zones): what IAM conditions and resources take, e.g. modules/iam's vpc_subnet_arns."
  value       = aws_subnet.private[*].arn
}

output "private_subnet_cidrs" {
  description = "IPv4 CIDRs of the private subnets (in the order of availability_zones)."
  value       = aws_subnet.private[*].cidr_block
}

output "private_route_table_ids" {
  description = "IDs of the private route tables, one per Availability Zone (in the order of availability_zones)."
  value       = aws_route_table.private[*].id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (empty unless create_internet_gateway is true)."
  value       = aws_subnet.public[*].id
}

output "public_subnet_arns" {
  description = "ARNs of the public subnets (empty unless create_internet_gateway is true)."
  value       = aws_subnet.public[*].arn
}

output "public_route_table_id" {
  description = "ID of the public route table (null unless create_internet_gateway is true)."
  value       = try(aws_route_table.public[0].id, null)
}

output "internet_gateway_id" {
  description = "ID of the internet gateway (null unless create_internet_gateway is true)."
  value       = try(aws_internet_gateway.this[0].id, null)
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group, managed with no rules at all."
  value       = aws_default_security_group.this.id
}

output "default_security_group_arn" {
  description = "ARN of the VPC's default security group."
  value       = aws_default_security_group.this.arn
}

output "endpoint_security_group_id" {
  description = "ID of the security group of the interface VPC endpoints (HTTPS from the VPC CIDR only)."
  value       = aws_security_group.endpoints.id
}

output "endpoint_security_group_arn" {
  description = "ARN of the security group of the interface VPC endpoints."
  value       = aws_security_group.endpoints.arn
}

output "s3_prefix_list_id" {
  description = "ID of the AWS-managed prefix list of S3 in this region (the gateway endpoint's destination): a security group egress rule to it lets HTTPS reach S3 through the endpoint. Null without the gateway endpoint."
  value       = var.enable_s3_gateway_endpoint ? aws_vpc_endpoint.s3[0].prefix_list_id : null
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints, keyed by service short name (e.g. \"sagemaker.api\"; \"s3\" for the gateway endpoint)."
  value = merge(
    { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id },
    var.enable_s3_gateway_endpoint ? { s3 = aws_vpc_endpoint.s3[0].id } : {},
  )
}

output "flow_log_id" {
  description = "ID of the VPC flow log."
  value       = aws_flow_log.this.id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "flow_log_group_arn" {
  description = "ARN of the CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.arn
}

output "flow_logs_role_arn" {
  description = "ARN of the IAM role that delivers the VPC flow logs."
  value       = aws_iam_role.flow_logs.arn
}
