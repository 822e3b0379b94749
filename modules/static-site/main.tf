data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  bucket     = "${var.name}-${local.account_id}-web"
  site_dir   = coalesce(var.site_dir, "${path.module}/site")

  # Every file of the site but config.json, which is written from var.config below.
  site_files = toset([for f in fileset(local.site_dir, "**") : f if f != "config.json"])

  content_types = {
    css   = "text/css; charset=utf-8"
    html  = "text/html; charset=utf-8"
    ico   = "image/x-icon"
    js    = "text/javascript; charset=utf-8"
    json  = "application/json"
    mjs   = "text/javascript; charset=utf-8"
    png   = "image/png"
    svg   = "image/svg+xml"
    txt   = "text/plain; charset=utf-8"
    webp  = "image/webp"
    woff2 = "font/woff2"
  }

  cognito_endpoint = coalesce(var.config.cognito_endpoint, "https://cognito-idp.${var.config.region}.amazonaws.com/")
  site_config = {
    region              = var.config.region
    cognito_endpoint    = local.cognito_endpoint
    user_pool_client_id = var.config.user_pool_client_id
    api_url             = trimsuffix(var.config.api_url, "/")
    api_key             = var.config.api_key
  }

  # The origins the page talks to: its own (config.json), the API and Cognito. A CSP source without a path
  # allows the whole origin; the API's path is left out so a stage rename needs no new policy.
  connect_src = distinct(concat(
    ["'self'"],
    [regex("^https?://[^/]+", var.config.api_url), regex("^https?://[^/]+", local.cognito_endpoint)],
    var.content_security_policy_extra_connect_src,
  ))
  # No inline script or style, no plugins, no framing, no form posts, no <base>: the page's one module
  # script and stylesheet come from the site itself.
  content_security_policy = join("; ", [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src ${join(" ", local.connect_src)}",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ])
  permissions_policy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()"

  # The managed cache policy CachingOptimized (a fixed ID in every account).
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"

  origin_id        = "s3-${local.bucket}"
  distribution_arn = aws_cloudfront_distribution.this.arn
}

# -- the key: the site's objects are encrypted with a key only this distribution may decrypt through S3 -------
resource "aws_kms_key" "this" {
  description             = "${var.name}: the static site's objects (read by its CloudFront distribution only)"
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_in_days
  tags                    = merge(var.tags, { Name = "${var.name}-web" })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-web"
  target_key_id = aws_kms_key.this.key_id
}

# A policy resource of its own: it names the distribution, which needs the bucket, which needs the key.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the account root statement is the standard one that delegates to IAM, and CloudFront gets kms:Decrypt for this distribution alone.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; the only write access is the account root's standard delegation to IAM.
  #checkov:skip=CKV_AWS_356:In a key policy, Resource "*" can only mean the key the policy is attached to.
  statement {
    sid       = "EnableIamPoliciesOfThisAccount"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # "Restricting access to an Amazon S3 origin" (CloudFront Developer Guide): OAC with SSE-KMS.
  statement {
    sid       = "AllowCloudFrontToDecryptForThisDistribution"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [local.distribution_arn]
    }
  }
}

resource "aws_kms_key_policy" "this" {
  key_id = aws_kms_key.this.key_id
  policy = data.aws_iam_policy_document.key.json
}

# -- the bucket: private, versioned, TLS only, logged; readable by the distribution only --------------------
data "aws_iam_policy_document" "cloudfront_read" {
  statement {
    sid       = "AllowCloudFrontDistributionRead"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${local.bucket}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [local.distribution_arn]
    }
  }
}

module "bucket" {
  source = "../s3-bucket"

  bucket                  = local.bucket
  kms_key_arn             = aws_kms_key.this.arn
  access_log_bucket       = var.access_log_bucket
  extra_policy_statements = [data.aws_iam_policy_document.cloudfront_read.json]
  force_destroy           = var.force_destroy

  tags = var.tags
}

resource "aws_s3_object" "site" {
  for_each = local.site_files

  bucket        = module.bucket.bucket_id
  key           = each.value
  source        = "${local.site_dir}/${each.value}"
  content_type  = lookup(local.content_types, lower(reverse(split(".", each.value))[0]), "application/octet-stream")
  cache_control = "no-cache"
  # With SSE-KMS, S3's ETag is not the MD5 of the content, so etag would never settle: source_hash tracks it.
  source_hash            = filemd5("${local.site_dir}/${each.value}")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags
}

resource "aws_s3_object" "config" {
  bucket                 = module.bucket.bucket_id
  key                    = "config.json"
  content                = jsonencode(local.site_config)
  content_type           = "application/json"
  cache_control          = "no-cache"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags
}

# -- CloudFront -----------------------------------------------------------------------------------------------
resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-web"
  description                       = "${var.name}: CloudFront signs every request to the site bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "this" {
  #checkov:skip=CKV_AWS_259:Strict-Transport-Security is sent (2 years, includeSubDomains, override) without preload: preload commits the whole registrable domain to HTTPS in browsers' lists (hstspreload.org), the domain owner's decision, and means nothing on *.cloudfront.net.
  name    = "${var.name}-web-security-headers"
  comment = "${var.name}: security headers of the assistant's web page"

  security_headers_config {
    content_security_policy {
      content_security_policy = local.content_security_policy
      override                = true
    }

    strict_transport_security {
      access_control_max_age_sec = var.hsts_max_age_seconds
      include_subdomains         = true
      preload                    = false
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = local.permissions_policy
      override = true
    }

    items {
      header   = "Cross-Origin-Opener-Policy"
      value    = "same-origin"
      override = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_86:Standard logs (legacy) need an ACL-enabled bucket, which launchpad's buckets are not; the variable logging turns them on, and the site bucket's S3 server access logs record every object served.
  #checkov:skip=CKV_AWS_68:WAF is the caller's choice (web_acl_id): a static page of public files with no form behind it; the API it calls has a web ACL of its own.
  #checkov:skip=CKV2_AWS_47:As CKV_AWS_68: WAF (and its Log4j rule set) is the caller's choice through web_acl_id; nothing here runs Java.
  #checkov:skip=CKV_AWS_310:One origin: a static site in a private S3 bucket has no second origin to fail over to.
  #checkov:skip=CKV_AWS_374:Geo restriction is a product decision (the variable-free default serves every country); medical information is not export-controlled.
  #checkov:skip=CKV_AWS_174:With the *.cloudfront.net certificate CloudFront fixes the minimum at TLSv1; a custom certificate (variable certificate) gets TLSv1.2_2021.
  comment             = "${var.name}: the assistant's web page"
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  default_root_object = "index.html"
  price_class         = var.price_class
  web_acl_id          = var.web_acl_id
  aliases             = var.certificate == null ? [] : var.certificate.aliases
  wait_for_deployment = var.wait_for_deployment

  origin {
    origin_id                = local.origin_id
    domain_name              = module.bucket.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  dynamic "logging_config" {
    for_each = var.logging == null ? [] : [var.logging]

    content {
      bucket          = logging_config.value.bucket_domain_name
      prefix          = logging_config.value.prefix
      include_cookies = logging_config.value.include_cookies
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.certificate == null
    acm_certificate_arn            = var.certificate == null ? null : var.certificate.acm_certificate_arn
    ssl_support_method             = var.certificate == null ? null : "sni-only"
    minimum_protocol_version       = var.certificate == null ? "TLSv1" : "TLSv1.2_2021"
  }

  tags = merge(var.tags, { Name = "${var.name}-web" })
}
