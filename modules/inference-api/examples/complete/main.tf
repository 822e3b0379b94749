# The medical assistant's API in front of its function, with what terraform/platform would provide made here
# minimally: the platform key, a bucket for the index and the feedback, a VPC with two private subnets, the
# monitoring topic. The endpoint is named, not made (modules/sagemaker-endpoint makes it).
provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example. phi: the
  # questions, answers and feedback are health data, so every key must be customer-managed (CKV_LP_010).
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "phi"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  log_bucket  = "${var.name}-${local.account_id}-access-logs"
  data_bucket = "${var.name}-${local.account_id}-assistant"
  index_file  = coalesce(var.index_file, "${path.module}/index.json")
}

# The index is built offline: `launchpad assistant index --output index.json` here, or index_file elsewhere.
check "index_file" {
  assert {
    condition     = fileexists(local.index_file)
    error_message = "index_file: ${local.index_file} does not exist, so the apply cannot upload it; write it with launchpad assistant index --output ${local.index_file}."
  }
}

# The platform key: the table, the function's environment, the index and feedback objects, the log groups
# and the topic.
module "key" {
  source = "../../../kms"

  name               = var.name
  description        = "${var.name}: the assistant's query log, objects, logs and alarms"
  service_principals = ["logs.${var.region}.amazonaws.com", "cloudwatch.amazonaws.com"]

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not leave a key pending deletion
  # for a month. The module default is 30 days.
  deletion_window_in_days = 7

  tags = var.tags
}

module "log_bucket" {
  source = "../../../s3-bucket"

  bucket                        = local.log_bucket
  is_access_log_target          = true
  access_log_source_bucket_arns = ["arn:${local.partition}:s3:::${local.data_bucket}"]

  # EXAMPLE ONLY: lets `terraform destroy` remove the bucket with its objects.
  force_destroy = true
  tags          = var.tags
}

# The index under index/, the feedback records under feedback/.
module "data_bucket" {
  source = "../../../s3-bucket"

  bucket            = local.data_bucket
  kms_key_arn       = module.key.key_arn
  access_log_bucket = module.log_bucket.bucket_id

  # EXAMPLE ONLY: see log_bucket.
  force_destroy = true
  tags          = var.tags
}

# The retrieval index the function reads once per execution environment (`launchpad assistant index`).
resource "aws_s3_object" "index" {
  bucket                 = module.data_bucket.bucket_id
  key                    = "index/${var.name}/index.json"
  source                 = local.index_file
  source_hash            = fileexists(local.index_file) ? filemd5(local.index_file) : null
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.key.key_arn
  tags                   = var.tags
}

# EXAMPLE ONLY: a VPC of two private subnets and nothing else, where terraform/platform has modules/network
# (endpoints, flow logs). The function's security group reaches HTTPS inside it only.
resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Example only: a bare VPC for the function's subnets; the platform's VPC (modules/network) has flow logs.
  #checkov:skip=CKV2_AWS_12:Example only: the platform's VPC (modules/network) locks its default security group; nothing here uses it.
  cidr_block = "10.42.0.0/16"
  tags       = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "private" {
  for_each = { a = "10.42.1.0/24", b = "10.42.2.0/24" }

  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "${var.region}${each.key}"
  tags              = merge(var.tags, { Name = "${var.name}-private-${each.key}" })
}

module "alarms" {
  source = "../../../sns-topic"

  name        = "${var.name}-alarms"
  kms_key_arn = module.key.key_arn
  service_publishers = [{
    service     = "cloudwatch.amazonaws.com"
    source_arns = ["arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${var.name}-*"]
  }]

  tags = var.tags
}

module "api" {
  source = "../../"

  name          = var.name
  stage         = var.stage
  endpoint_name = "${var.name}-production"

  index_s3_uri    = "s3://${aws_s3_object.index.bucket}/${aws_s3_object.index.key}"
  feedback_s3_uri = "s3://${module.data_bucket.bucket_id}/feedback/"
  kms_key_arn     = module.key.key_arn

  network = {
    vpc_id                   = aws_vpc.this.id
    subnet_ids               = [for s in aws_subnet.private : s.id]
    https_egress_cidr_blocks = [aws_vpc.this.cidr_block]
  }

  function   = { memory_size = 512, timeout_seconds = 20, reserved_concurrency = 5 }
  lambda_zip = var.lambda_zip

  clients = {
    web         = { rate_limit = 20, burst_limit = 40, quota = { limit = 10000, period = "DAY" } }
    triage-tool = { rate_limit = 5, burst_limit = 10 }
  }
  throttling           = { rate_limit = 50, burst_limit = 100 }
  cors_allowed_origins = var.cors_allowed_origins

  waf                         = { enabled = var.enable_waf, rate_limit = 1000 }
  manage_account_logging_role = var.manage_account_logging_role

  # EXAMPLE ONLY: lets `terraform destroy` remove the table and the user pool. Keep the default (true) for a
  # real query log.
  deletion_protection               = false
  token_key_deletion_window_in_days = 7

  sns_topic_arn = module.alarms.arn
  tags          = var.tags
}
