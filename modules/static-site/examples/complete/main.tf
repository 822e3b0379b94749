# The assistant's web page on CloudFront: a private, KMS-encrypted bucket only the distribution reads (origin
# access control), security headers on every response, and config.json pointing at the API
# (modules/inference-api: its invoke_url, user_pool_client_id and the web client's API key).
provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example. The page's
  # files are public code, but the module is used beside a phi stack: its key is customer-managed anyway.
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
  log_bucket  = "${var.name}-${data.aws_caller_identity.current.account_id}-access-logs"
  site_bucket = "${var.name}-${data.aws_caller_identity.current.account_id}-web"
}

# The site bucket's S3 server access logs (SSE-S3: log delivery only writes to such buckets).
module "log_bucket" {
  source = "../../../s3-bucket"

  bucket                        = local.log_bucket
  is_access_log_target          = true
  access_log_source_bucket_arns = ["arn:${data.aws_partition.current.partition}:s3:::${local.site_bucket}"]

  # EXAMPLE ONLY: lets `terraform destroy` remove the bucket with its objects.
  force_destroy = true
  tags          = var.tags
}

module "site" {
  source = "../../"

  name              = var.name
  access_log_bucket = module.log_bucket.bucket_id

  config = {
    region              = var.region
    cognito_endpoint    = var.cognito_endpoint
    user_pool_client_id = var.user_pool_client_id
    api_url             = var.api_url
    api_key             = var.api_key
  }

  price_class = var.price_class

  # EXAMPLE ONLY: a destroy removes the objects and the key's shortest waiting period.
  force_destroy               = true
  key_deletion_window_in_days = 7

  tags = var.tags
}
