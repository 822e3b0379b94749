data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # Computed from the name (not read from aws_s3_bucket.this) so the policy is fully known at plan time.
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket}"

  use_kms       = !var.is_access_log_target
  sse_algorithm = local.use_kms ? "aws:kms" : "AES256"

  access_log_prefix = coalesce(var.access_log_prefix, "${var.bucket}/")

  access_log_source_arns = length(var.access_log_source_bucket_arns) > 0 ? var.access_log_source_bucket_arns : [
    "arn:${data.aws_partition.current.partition}:s3:::*",
  ]

  # Each extra item is a single statement or a whole policy document; wrap statements into documents.
  extra_policy_documents = [
    for s in var.extra_policy_statements :
    can(jsondecode(s).Statement) ? s : jsonencode({ Version = "2012-10-17", Statement = [jsondecode(s)] })
  ]
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice left to the caller; copying health data to another region can also break GDPR data-residency commitments, so it is never on by default.
  #checkov:skip=CKV2_AWS_62:Event notifications are consumer-specific (a caller adds aws_s3_bucket_notification); an empty notification configuration adds no security.
  bucket              = var.bucket
  force_destroy       = var.force_destroy
  object_lock_enabled = var.object_lock != null

  tags = var.tags

  lifecycle {
    # The kms_key_arn checks sit on aws_s3_bucket_server_side_encryption_configuration.this.
    precondition {
      condition     = var.is_access_log_target || var.access_log_bucket != null
      error_message = "access_log_bucket is required: every bucket except the access-log target (is_access_log_target = true) sends its server access logs to a log bucket."
    }

    precondition {
      condition     = var.access_log_bucket != var.bucket
      error_message = "access_log_bucket must not be the bucket itself: a bucket that logs into itself generates logs about its own log writes without end."
    }

    precondition {
      condition     = var.object_lock == null || var.enable_versioning
      error_message = "object_lock requires enable_versioning = true: S3 Object Lock only works on versioned buckets."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    # ACLs are disabled; access is governed only by IAM and the bucket policy.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.sse_algorithm
      kms_master_key_id = local.use_kms ? var.kms_key_arn : null
    }
    # The Bucket Key cuts KMS request volume (and cost) by ~99%; it only exists for SSE-KMS.
    bucket_key_enabled = local.use_kms
  }

  # Checked here rather than on the bucket, so the bucket (and its slow lifecycle configuration) need not wait for
  # the KMS key to be created.
  lifecycle {
    precondition {
      condition     = var.is_access_log_target || var.kms_key_arn != null
      error_message = "kms_key_arn is required: every bucket except the access-log target (is_access_log_target = true) is encrypted with a customer-managed KMS key."
    }

    precondition {
      condition     = !var.is_access_log_target || var.kms_key_arn == null
      error_message = "kms_key_arn must be null when is_access_log_target = true: S3 server access logging only delivers to buckets encrypted with SSE-S3 (AES256)."
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    # "Suspended" rather than "Disabled": a bucket can never return to unversioned, and Suspended can be toggled.
    status = var.enable_versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock != null ? 1 : 0

  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket != null ? 1 : 0

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = local.access_log_prefix
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  #checkov:skip=CKV_AWS_300:The static rule abort-incomplete-multipart-uploads (whole bucket, enabled) is always present; checkov 3.3.30 drops static rule blocks from its view when the dynamic rule block (lifecycle_rules) is non-empty, a rendering false positive.
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Once every version under a delete marker has expired, the marker itself is removed too.
    expiration {
      expired_object_delete_marker = true
    }
  }

  dynamic "rule" {
    for_each = var.lifecycle_rules

    content {
      id     = rule.value.id
      status = rule.value.enabled ? "Enabled" : "Disabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days != null ? [rule.value.expiration_days] : []

        content {
          days = expiration.value
        }
      }

      dynamic "transition" {
        for_each = rule.value.transitions

        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "noncurrent_version_transition" {
        for_each = rule.value.noncurrent_version_transitions

        content {
          noncurrent_days = noncurrent_version_transition.value.noncurrent_days
          storage_class   = noncurrent_version_transition.value.storage_class
        }
      }
    }
  }

  # Lifecycle rules on noncurrent versions need the versioning state settled first (provider docs).
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  # Statements below override same-Sid statements from these documents, so callers cannot weaken the guardrails.
  source_policy_documents = local.extra_policy_documents

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = [var.minimum_tls_version]
    }
  }

  # An upload may omit the header (default encryption then applies), but must not ask for another algorithm.
  statement {
    sid       = "DenyIncorrectEncryptionHeader"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = [local.sse_algorithm]
    }
  }

  # SSE-C (customer-provided keys) would bypass both default encryption and the KMS key checks.
  statement {
    sid       = "DenySseCUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-customer-algorithm"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = local.use_kms ? [var.kms_key_arn] : []

    content {
      sid       = "DenyWrongKmsKey"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = [local.bucket_arn, "${local.bucket_arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "Null"
        variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
        values   = ["false"]
      }

      condition {
        test     = "StringNotEquals"
        variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
        values   = [statement.value]
      }
    }
  }

  # S3 server access logging writes as the logging.s3.amazonaws.com service principal (ACLs are disabled by
  # BucketOwnerEnforced, so the policy is the only way to grant it). One resource, one service: S3 (and moto)
  # check for exactly this shape.
  dynamic "statement" {
    for_each = var.is_access_log_target ? [1] : []

    content {
      sid       = "AllowS3ServerAccessLogs"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["${local.bucket_arn}/*"]

      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = local.access_log_source_arns
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # PutBucketPolicy races with PutPublicAccessBlock and with the ownership change on a fresh bucket.
  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
  ]
}
