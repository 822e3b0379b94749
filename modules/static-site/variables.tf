variable "name" {
  description = "Name prefix of everything the module creates: the bucket (<name>-<account id>-web), the key alias, the origin access control and the response headers policy. 3-32 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "site_dir" {
  description = "Folder whose files are uploaded as the site (every file under it, keys relative to it). Null: the assistant's web page shipped with the module (site/). A file named config.json there is not uploaded: the module writes config.json from config."
  type        = string
  default     = null

  validation {
    condition     = var.site_dir == null || try(length(trimspace(var.site_dir)) > 0, false)
    error_message = "site_dir must be null (the module's own site/) or a folder path."
  }
}

variable "config" {
  description = "What the page reads from config.json at start: the region, the Cognito endpoint (null: https://cognito-idp.<region>.amazonaws.com/), the user pool's public app client (no secret), the API stage's invoke URL and the web client's API key. The API key names the client and its usage plan; it is not a secret (every visitor's browser sends it), and is served to anyone who can load the page. connect-src of the Content-Security-Policy allows exactly the API's and Cognito's origins."
  type = object({
    region              = string
    cognito_endpoint    = optional(string)
    user_pool_client_id = string
    api_url             = string
    api_key             = string
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.config.region))
    error_message = "config.region must be an AWS region name such as eu-west-1."
  }

  validation {
    condition     = can(regex("^[0-9a-z]{1,128}$", var.config.user_pool_client_id))
    error_message = "config.user_pool_client_id must be a Cognito app client ID (1-128 lowercase letters and digits)."
  }

  # https only; plain http only to the loopback address, where a browser treats it as secure (local sandbox).
  validation {
    condition     = can(regex("^(https://[a-z0-9.-]+(:[0-9]{1,5})?|http://(127\\.0\\.0\\.1|localhost)(:[0-9]{1,5})?)(/[A-Za-z0-9._~/_-]*)?$", var.config.api_url))
    error_message = "config.api_url must be the API stage's https:// URL (http:// only for 127.0.0.1 or localhost), without a query or fragment."
  }

  validation {
    condition     = var.config.cognito_endpoint == null || can(regex("^(https://[a-z0-9.-]+(:[0-9]{1,5})?|http://(127\\.0\\.0\\.1|localhost)(:[0-9]{1,5})?)/?$", var.config.cognito_endpoint))
    error_message = "config.cognito_endpoint must be null or an https:// origin such as https://cognito-idp.eu-west-1.amazonaws.com/ (http:// only for 127.0.0.1 or localhost), without a path."
  }

  validation {
    condition     = length(var.config.api_key) >= 20 && length(var.config.api_key) <= 128 && can(regex("^[A-Za-z0-9]+$", var.config.api_key))
    error_message = "config.api_key must be an API Gateway API key value: 20-128 letters and digits."
  }
}

variable "access_log_bucket" {
  description = "Bucket (name) that receives the site bucket's S3 server access logs: a bucket made with modules/s3-bucket is_access_log_target = true, in the same account and region."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a bucket name (3-63 lowercase letters, digits, dots and hyphens), not an ARN or URL."
  }
}

variable "price_class" {
  description = "CloudFront price class: the edge locations that serve the site. PriceClass_100 (North America, Europe, Israel) keeps EU users' requests on EU edges and costs least."
  type        = string
  default     = "PriceClass_100"
  nullable    = false

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "certificate" {
  description = "A custom domain: aliases (host names) and the ACM certificate (in us-east-1, as CloudFront requires) that covers them; served with SNI and TLSv1.2_2021 as the lowest protocol. Null: the distribution's own *.cloudfront.net name and certificate."
  type = object({
    acm_certificate_arn = string
    aliases             = list(string)
  })
  default = null

  validation {
    condition     = var.certificate == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[a-zA-Z0-9-]+$", var.certificate.acm_certificate_arn))
    error_message = "certificate.acm_certificate_arn must be an ACM certificate ARN in us-east-1 (arn:<partition>:acm:us-east-1:<account>:certificate/<id>): CloudFront only reads certificates there."
  }

  validation {
    condition     = var.certificate == null || try(length(var.certificate.aliases) >= 1 && alltrue([for a in var.certificate.aliases : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", a))]), false)
    error_message = "certificate.aliases must list at least one lowercase host name (such as assistant.example.org), without a scheme or wildcard."
  }
}

variable "web_acl_id" {
  description = "ARN of an AWS WAF (WAFv2, scope CLOUDFRONT, in us-east-1) web ACL to put in front of the distribution; null for none. The API behind the page has a web ACL of its own (modules/inference-api)."
  type        = string
  default     = null

  validation {
    condition     = var.web_acl_id == null || can(regex("^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+$", var.web_acl_id))
    error_message = "web_acl_id must be null or the ARN of a WAFv2 web ACL of scope CLOUDFRONT (arn:<partition>:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)."
  }
}

variable "logging" {
  description = "CloudFront standard access logs (legacy): the bucket's domain name (<bucket>.s3.amazonaws.com) and a key prefix. That bucket must have ACLs enabled (CloudFront writes with an ACL), which launchpad's own buckets (BucketOwnerEnforced) do not; null (the default) leaves them off, and the site bucket's S3 server access logs record every object CloudFront reads."
  type = object({
    bucket_domain_name = string
    prefix             = optional(string, "")
    include_cookies    = optional(bool, false)
  })
  default = null

  validation {
    condition     = var.logging == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\\.s3(\\.[a-z0-9-]+)?\\.amazonaws\\.com$", var.logging.bucket_domain_name))
    error_message = "logging.bucket_domain_name must be a bucket's domain name, <bucket>.s3.amazonaws.com."
  }
}

variable "content_security_policy_extra_connect_src" {
  description = "Origins the page may connect to besides itself, the API and Cognito (connect-src of the Content-Security-Policy), each https://<host>[:port]."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for o in var.content_security_policy_extra_connect_src : can(regex("^https://[a-z0-9.-]+(:[0-9]{1,5})?$", o))])
    error_message = "content_security_policy_extra_connect_src must list origins https://<host>[:port], without a path or a wildcard."
  }
}

variable "hsts_max_age_seconds" {
  description = "max-age of Strict-Transport-Security (with includeSubDomains). Two years by default, what the HSTS preload list asks for."
  type        = number
  default     = 63072000
  nullable    = false

  validation {
    condition     = var.hsts_max_age_seconds >= 31536000 && floor(var.hsts_max_age_seconds) == var.hsts_max_age_seconds
    error_message = "hsts_max_age_seconds must be a whole number of seconds, at least 31536000 (one year)."
  }
}

variable "key_deletion_window_in_days" {
  description = "Waiting period, in days, before the site's KMS key is deleted after a destroy."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.key_deletion_window_in_days >= 7 && var.key_deletion_window_in_days <= 30 && floor(var.key_deletion_window_in_days) == var.key_deletion_window_in_days
    error_message = "key_deletion_window_in_days must be a whole number between 7 and 30 (what KMS accepts)."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the site's objects (and their versions) with the bucket. Off by default."
  type        = bool
  default     = false
  nullable    = false
}

variable "wait_for_deployment" {
  description = "Wait, on apply, until the distribution is deployed to every edge location (up to ~15 minutes on AWS)."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every taggable resource of the module."
  type        = map(string)
  default     = {}
  nullable    = false
}
