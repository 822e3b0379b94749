# The medical assistant's API (docs/assistant.md): API Gateway (REST) authenticates the caller (a Cognito user
# pool for people, SigV4 for services), requires an API key, validates the body and hands the request to the
# function in the platform's VPC; the function retrieves passages, invokes the SageMaker endpoint, logs the
# query in the table and signs a feedback token with the KMS HMAC key. Files: api.tf (the REST API), auth.tf
# (the user pool), function.tf (the function, its role and network), table.tf, token_key.tf, waf.tf, alarms.tf.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_region" "current" {
  # Rules that relate several inputs; the data source is read at every plan, so these fail it before anything
  # is created (cross-variable validation needs Terraform 1.9).
  lifecycle {
    precondition {
      condition     = !var.store_raw_question || var.stage != "prod"
      error_message = "store_raw_question is refused in stage prod: the query log keeps only the masked question there (set it in dev or staging only)."
    }

    precondition {
      condition     = var.record_ttl_days * 86400 >= var.token_ttl_seconds
      error_message = "record_ttl_days (${var.record_ttl_days} days) must cover token_ttl_seconds (${var.token_ttl_seconds} s): feedback on a query whose item expired could not be recorded."
    }

    precondition {
      condition     = var.authentication.user_pool_arn != null || var.authentication.client_id == null
      error_message = "authentication.client_id is only for an existing pool (authentication.user_pool_arn); the module creates the client of the pool it creates."
    }
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  tags       = var.tags

  logs_kms_key_arn = coalesce(var.logs_kms_key_arn, var.kms_key_arn)
  bucket_owner     = coalesce(var.bucket_owner, local.account_id)

  function_name = "${var.name}-assistant"
  function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  table_name    = "${var.name}-queries"
  table_arn     = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.table_name}"

  logs_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
  ec2_arn  = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  # SageMaker ARNs carry the endpoint's name in lowercase.
  sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  endpoint_arn  = "${local.sagemaker_arn}:endpoint/${lower(var.endpoint_name)}"

  # s3://bucket/key -> bucket and key; s3://bucket/prefix/ -> bucket and prefix/.
  index = {
    bucket = split("/", trimprefix(var.index_s3_uri, "s3://"))[0]
    key    = join("/", slice(split("/", trimprefix(var.index_s3_uri, "s3://")), 1, length(split("/", trimprefix(var.index_s3_uri, "s3://")))))
  }
  feedback = {
    bucket = split("/", trimprefix(var.feedback_s3_uri, "s3://"))[0]
    prefix = join("/", slice(split("/", trimprefix(var.feedback_s3_uri, "s3://")), 1, length(split("/", trimprefix(var.feedback_s3_uri, "s3://")))))
  }
  index_object_arn = "arn:${local.partition}:s3:::${local.index.bucket}/${local.index.key}"
  feedback_objects = "arn:${local.partition}:s3:::${local.feedback.bucket}/${local.feedback.prefix}*"
}
