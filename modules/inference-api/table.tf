# The query log (docs/assistant.md, "The query log"): one item per answered question, put once, complete, by
# the function (a conditional PutItem), read back by /feedback. On-demand capacity: the traffic of an assistant
# is spiky and small, and on-demand needs no autoscaling to follow it (provisioned capacity is not offered).

resource "aws_dynamodb_table" "queries" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "query_id"

  attribute {
    name = "query_id"
    type = "S"
  }

  # Items expire RECORD_TTL_DAYS after the question (expires_at, epoch seconds); DynamoDB deletes them
  # within a few days after that.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection

  tags = local.tags
}
