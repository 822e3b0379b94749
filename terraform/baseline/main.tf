# The security baseline every model environment starts from: keys per purpose, a private VPC with flow
# logs, encrypted buckets with access logging, and a SageMaker execution role scoped to exactly these.

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  bucket_prefix  = "${var.name}-${local.account_id}"
  data_buckets   = toset(["model-artifacts", "data-capture"])
  endpoint_group = "/aws/sagemaker/Endpoints/${var.name}"
}

# -- keys: one for data at rest (S3, SageMaker volumes), one for logs ------------------------------------
module "data_key" {
  source = "../../modules/kms"

  name               = "${var.name}-data"
  description        = "${var.name}: model artifacts, data capture and SageMaker volumes"
  service_principals = ["s3.amazonaws.com", "sagemaker.amazonaws.com"]
  tags               = var.tags
}

module "logs_key" {
  source = "../../modules/kms"

  name               = "${var.name}-logs"
  description        = "${var.name}: CloudWatch log groups (VPC flow logs, SageMaker endpoints)"
  service_principals = ["logs.${var.region}.amazonaws.com"]
  tags               = var.tags
}

# -- network -----------------------------------------------------------------------------------------------
module "network" {
  source = "../../modules/network"

  name                        = var.name
  cidr_block                  = var.vpc_cidr_block
  availability_zones          = ["${var.region}a", "${var.region}b"]
  flow_logs_kms_key_arn       = module.logs_key.key_arn
  flow_logs_retention_in_days = var.log_retention_in_days
  tags                        = var.tags
}

# -- buckets -------------------------------------------------------------------------------------------------
module "access_logs" {
  source = "../../modules/s3-bucket"

  bucket                        = "${local.bucket_prefix}-access-logs"
  is_access_log_target          = true
  access_log_source_bucket_arns = [for b in local.data_buckets : "arn:${local.partition}:s3:::${local.bucket_prefix}-${b}"]
  force_destroy                 = var.force_destroy_buckets
  tags                          = var.tags
}

module "buckets" {
  source   = "../../modules/s3-bucket"
  for_each = local.data_buckets

  bucket            = "${local.bucket_prefix}-${each.key}"
  kms_key_arn       = module.data_key.key_arn
  access_log_bucket = module.access_logs.bucket_id
  access_log_prefix = "${each.key}/"
  force_destroy     = var.force_destroy_buckets
  tags              = var.tags
}

# -- SageMaker endpoint logs and execution role ----------------------------------------------------------
resource "aws_cloudwatch_log_group" "endpoint" {
  name              = local.endpoint_group
  kms_key_id        = module.logs_key.key_arn
  retention_in_days = var.log_retention_in_days
  tags              = var.tags
}

module "sagemaker_role" {
  source = "../../modules/iam"

  name                 = "${var.name}-sagemaker-execution"
  s3_read_bucket_arns  = [module.buckets["model-artifacts"].bucket_arn]
  s3_write_bucket_arns = [module.buckets["data-capture"].bucket_arn]
  kms_key_arns         = [module.data_key.key_arn, module.logs_key.key_arn]
  log_group_arns       = [aws_cloudwatch_log_group.endpoint.arn]
  tags                 = var.tags
}
