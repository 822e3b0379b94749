provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example.
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "internal"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # S3 bucket names are global: the account ID keeps the example's names unique per account.
  log_bucket_name  = "${var.name}-${data.aws_caller_identity.current.account_id}-access-logs"
  data_bucket_name = "${var.name}-${data.aws_caller_identity.current.account_id}-data"
}

# The data bucket's customer-managed key, from the shared kms module (key, key policy and alias/<name>).
# Only the account root statement is needed: S3 uses the key with the caller's credentials (IAM policies of
# this account), so the key names no users or service principals.
module "data_key" {
  source = "../../../kms"

  name        = "${var.name}-data"
  description = "${var.name} data bucket key"

  # EXAMPLE ONLY: the shortest waiting period, so a destroyed example does not leave a key pending deletion
  # for a month. The module default is 30 days.
  deletion_window_in_days = 7

  tags = var.tags
}

# The access-log target: SSE-S3 (AES256), because S3 server access logging cannot deliver to SSE-KMS buckets.
module "log_bucket" {
  source = "../../"

  bucket               = local.log_bucket_name
  is_access_log_target = true

  # Only the data bucket of this example may deliver logs here.
  access_log_source_bucket_arns = ["arn:${data.aws_partition.current.partition}:s3:::${local.data_bucket_name}"]

  # Each bucket gets one lifecycle configuration (the module's built-in rules plus these). The provider waits
  # ~55 s after creating one; the two buckets' configurations are created in parallel, so the example pays it
  # once (a full apply is ~60 s against the sandbox).
  lifecycle_rules = [
    {
      id          = "archive-access-logs"
      transitions = [{ days = 90, storage_class = "GLACIER_IR" }]
    },
  ]

  # EXAMPLE ONLY: lets `terraform destroy` (and the automated tests) remove the bucket with its objects.
  # The module default is false; keep it false for any bucket holding real data or logs.
  force_destroy = true

  tags = var.tags
}

module "data_bucket" {
  source = "../../"

  bucket      = local.data_bucket_name
  kms_key_arn = module.data_key.key_arn

  # bucket_id is only returned once the log bucket's policy (which admits log delivery) exists.
  access_log_bucket = module.log_bucket.bucket_id

  # EXAMPLE ONLY: see log_bucket above.
  force_destroy = true

  tags = var.tags
}
