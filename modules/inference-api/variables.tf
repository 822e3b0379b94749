variable "name" {
  description = "Name prefix of everything the module creates: the REST API <name>, the function and its role <name>-assistant, the table <name>-queries, the user pool <name>-users, the token key alias/<name>-feedback-token, the alarms <name>-<kind>, the dashboard <name>-assistant, the web ACL <name>, the API keys and usage plans <name>-<client>."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name) <= 32 && can(regex("^[a-z0-9](-*[a-z0-9]){0,31}$", var.name))
    error_message = "name must be 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit: it prefixes the function, role, table, user pool and log group names."
  }
}

variable "stage" {
  description = "The environment: dev, staging or prod. The API stage's name, the function's STAGE (the feedback records' stage=<stage>), and what store_raw_question may be."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "staging", "prod"], var.stage)
    error_message = "stage must be one of dev, staging, prod."
  }
}

# -- what the function talks to ------------------------------------------------------------------------------
variable "endpoint_name" {
  description = "Name of the SageMaker endpoint the function invokes (ENDPOINT_NAME): the only endpoint its role may invoke. A plain string: the endpoint need not exist yet."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must follow the SageMaker endpoint naming rule ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "index_s3_uri" {
  description = "The exported retrieval index, s3://<bucket>/<key> of one JSON object (INDEX_URI, written by `launchpad assistant index`): the only object the function may read."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^*?]*[^/*?]$", var.index_s3_uri))
    error_message = "index_s3_uri must be the URI of one S3 object, s3://<bucket>/<key>, with no * or ? and not ending in \"/\"."
  }
}

variable "feedback_s3_uri" {
  description = "Prefix under which the function writes feedback records (FEEDBACK_URI), s3://<bucket>/<prefix>/ ending in \"/\": the function may only put objects under it (never read, list or delete), SSE-KMS with kms_key_arn. The monitoring loop reads <prefix>stage=<stage>/endpoint=<endpoint>/ (docs/monitoring.md)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", var.feedback_s3_uri))
    error_message = "feedback_s3_uri must be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\", without * or ?."
  }
}

variable "bucket_owner" {
  description = "Account that must own the index and feedback buckets (BUCKET_OWNER: the function sends it as ExpectedBucketOwner). Null (the default): the account the module is applied in."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_owner == null || can(regex("^[0-9]{12}$", coalesce(var.bucket_owner, "-")))
    error_message = "bucket_owner must be null or a 12-digit AWS account ID."
  }
}

variable "kms_key_arn" {
  description = "The platform's customer managed key (an ARN): the table's encryption (SSE), the function's environment, the index object (read) and the feedback objects (written, FEEDBACK_KMS_KEY_ARN). The function may use it only through S3 and DynamoDB, and to decrypt its own environment."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>); aliases are not accepted."
  }
}

variable "logs_kms_key_arn" {
  description = "Key of the module's log groups (the function's, the access log, the execution log and the WAF log): its policy must let logs.<region>.amazonaws.com use it. Null (the default): kms_key_arn."
  type        = string
  default     = null

  validation {
    condition     = var.logs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", coalesce(var.logs_kms_key_arn, "-")))
    error_message = "logs_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>)."
  }
}

variable "network" {
  description = <<-EOT
    Where the function runs: the platform's VPC and private subnets. The module gives the function a security group of its own, with no ingress and HTTPS (443) egress only to `https_egress_cidr_blocks` (the VPC's CIDR, where the interface endpoints of sagemaker.runtime, kms and logs answer) and `https_egress_prefix_list_ids` (the S3 and DynamoDB gateway endpoints' prefix lists). At least one of the two.
  EOT
  type = object({
    vpc_id                       = string
    subnet_ids                   = list(string)
    https_egress_cidr_blocks     = optional(list(string), [])
    https_egress_prefix_list_ids = optional(list(string), [])
  })
  nullable = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.network.vpc_id))
    error_message = "network.vpc_id must be a VPC ID (vpc-<hex>)."
  }

  validation {
    condition     = length(var.network.subnet_ids) >= 1 && length(var.network.subnet_ids) <= 16 && alltrue([for s in var.network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "network.subnet_ids must list 1-16 subnet IDs (subnet-<hex>)."
  }

  validation {
    condition     = length(var.network.https_egress_cidr_blocks) + length(var.network.https_egress_prefix_list_ids) >= 1 && alltrue([for c in var.network.https_egress_cidr_blocks : can(cidrnetmask(c)) && c != "0.0.0.0/0"]) && alltrue([for p in var.network.https_egress_prefix_list_ids : can(regex("^pl-[0-9a-f]{8,17}$", p))])
    error_message = "network.https_egress_cidr_blocks (IPv4 CIDRs, not 0.0.0.0/0) and network.https_egress_prefix_list_ids (pl-<hex>) must name at least one destination between them."
  }
}

# -- the function --------------------------------------------------------------------------------------------
variable "function" {
  description = "The function's memory (MB), timeout (seconds; the gateway's integration timeout is one second longer, below API Gateway's 29 s) and reserved concurrency (the most requests it serves at once; the concurrency alarm fires at 80% of it)."
  type = object({
    memory_size          = optional(number, 512)
    timeout_seconds      = optional(number, 20)
    reserved_concurrency = optional(number, 10)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.function.memory_size >= 128 && var.function.memory_size <= 10240 && floor(var.function.memory_size) == var.function.memory_size
    error_message = "function.memory_size must be a whole number of MB between 128 and 10240."
  }

  validation {
    condition     = var.function.timeout_seconds >= 3 && var.function.timeout_seconds <= 27 && floor(var.function.timeout_seconds) == var.function.timeout_seconds
    error_message = "function.timeout_seconds must be a whole number of seconds between 3 and 27: the gateway waits one second longer, and API Gateway waits 29 s at most."
  }

  validation {
    condition     = var.function.reserved_concurrency >= 1 && var.function.reserved_concurrency <= 1000 && floor(var.function.reserved_concurrency) == var.function.reserved_concurrency
    error_message = "function.reserved_concurrency must be a whole number between 1 and 1000."
  }
}

variable "lambda_zip" {
  description = "Path of the function's zip. Null (the default): the zip this module ships, lambda/assistant.zip, which `python -m launchpad.assistant.lambda_zip --zip <path>` writes from scripts/launchpad/assistant (handler launchpad.assistant.handler.handler)."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip == null || endswith(coalesce(var.lambda_zip, "-"), ".zip")
    error_message = "lambda_zip must be null or the path of a .zip file."
  }
}

variable "top_k" {
  description = "Passages retrieved per question (TOP_K)."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.top_k >= 1 && var.top_k <= 20 && floor(var.top_k) == var.top_k
    error_message = "top_k must be a whole number between 1 and 20."
  }
}

variable "token_ttl_seconds" {
  description = "How long a feedback token is valid, in seconds (TOKEN_TTL_SECONDS): 7 days by default."
  type        = number
  default     = 604800
  nullable    = false

  validation {
    condition     = var.token_ttl_seconds >= 300 && var.token_ttl_seconds <= 2592000 && floor(var.token_ttl_seconds) == var.token_ttl_seconds
    error_message = "token_ttl_seconds must be a whole number of seconds between 300 (5 minutes) and 2592000 (30 days)."
  }
}

variable "record_ttl_days" {
  description = "Days until a query log item expires (RECORD_TTL_DAYS; DynamoDB TTL on expires_at deletes it within days after). At least the token's lifetime, so feedback always finds its query."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.record_ttl_days >= 1 && var.record_ttl_days <= 3653 && floor(var.record_ttl_days) == var.record_ttl_days
    error_message = "record_ttl_days must be a whole number of days between 1 and 3653 (ten years)."
  }
}

variable "store_raw_question" {
  description = "Store the question as typed beside its masked form (STORE_QUESTION). Allowed in dev and staging only, where test questions are needed to debug masking; refused in prod, where the query log keeps the masked question only (data minimisation: GDPR Art. 5(1)(c), HIPAA minimum necessary)."
  type        = bool
  default     = false
  nullable    = false
}

# -- the API ---------------------------------------------------------------------------------------------------
variable "authentication" {
  description = <<-EOT
    The Cognito user pool whose ID tokens /ask and /feedback accept. `user_pool_arn` null (the default): the module creates the pool <name>-users (administrators invite users, no self sign-up; email as user name; passwords of 14+ characters with every character class; TOTP MFA `mfa_configuration` OPTIONAL or ON) and a public app client (no secret: a browser cannot keep one; flows USER_PASSWORD_AUTH, which the web UI and launchpad's client use (the password goes to Cognito over TLS, never to the API; MFA still applies), USER_SRP_AUTH for clients that implement SRP, and refresh tokens). Otherwise the authorizer trusts that pool and `client_id` is only reported in the outputs.
  EOT
  type = object({
    user_pool_arn     = optional(string)
    client_id         = optional(string)
    mfa_configuration = optional(string, "OPTIONAL")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.authentication.user_pool_arn == null || can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[0-9a-zA-Z]+$", coalesce(var.authentication.user_pool_arn, "-")))
    error_message = "authentication.user_pool_arn must be null or a Cognito user pool ARN (arn:<partition>:cognito-idp:<region>:<account>:userpool/<region>_<id>)."
  }

  validation {
    condition     = var.authentication.client_id == null || can(regex("^[a-z0-9]{1,128}$", coalesce(var.authentication.client_id, "-")))
    error_message = "authentication.client_id must be null or a user pool app client ID (lowercase letters and digits)."
  }

  validation {
    condition     = contains(["OPTIONAL", "ON"], var.authentication.mfa_configuration)
    error_message = "authentication.mfa_configuration must be OPTIONAL or ON (MFA is never off)."
  }
}

variable "clients" {
  description = "The API's clients, keyed by name (letters, digits, - and _): each gets an API key <name>-<client> (x-api-key) and a usage plan with its steady rate (requests per second), burst, and an optional quota (requests per DAY, WEEK or MONTH)."
  type = map(object({
    rate_limit  = number
    burst_limit = number
    quota = optional(object({
      limit  = number
      period = string
    }))
  }))
  nullable = false

  validation {
    condition     = length(var.clients) >= 1 && length(var.clients) <= 50 && alltrue([for k in keys(var.clients) : can(regex("^[A-Za-z0-9_-]{1,64}$", k))])
    error_message = "clients must name 1-50 clients, each key 1-64 letters, digits, - or _."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : c.rate_limit > 0 && c.rate_limit <= 10000 && c.burst_limit >= 1 && c.burst_limit <= 5000 && floor(c.burst_limit) == c.burst_limit])
    error_message = "clients: each rate_limit must be above 0 and at most 10000 requests per second, and each burst_limit a whole number between 1 and 5000 (API Gateway's account limits)."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : c.quota == null || try(c.quota.limit >= 1 && floor(c.quota.limit) == c.quota.limit && contains(["DAY", "WEEK", "MONTH"], c.quota.period), false)])
    error_message = "clients: a quota's limit must be a whole number of at least 1 and its period DAY, WEEK or MONTH."
  }
}

variable "throttling" {
  description = "The stage's default throttling for every method (requests per second and burst), on top of each client's usage plan."
  type = object({
    rate_limit  = optional(number, 100)
    burst_limit = optional(number, 200)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.throttling.rate_limit > 0 && var.throttling.rate_limit <= 10000 && var.throttling.burst_limit >= 1 && var.throttling.burst_limit <= 5000 && floor(var.throttling.burst_limit) == var.throttling.burst_limit
    error_message = "throttling.rate_limit must be above 0 and at most 10000 requests per second, and throttling.burst_limit a whole number between 1 and 5000."
  }
}

variable "cors_allowed_origins" {
  description = "The web UI's origin, https://<host>, for browsers' CORS: when set, each resource answers OPTIONS (a MOCK integration, without API key or authorizer) and the gateway's own responses carry Access-Control-Allow-Origin, and the function adds Access-Control-Allow-Origin and Vary: Origin to its answers (CORS_ALLOWED_ORIGIN). At most one origin for now (the gateway's responses are static; several origins need the function to echo the Origin it allows). Empty (the default): no CORS, for callers that are not browsers."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.cors_allowed_origins) <= 1 && alltrue([for o in var.cors_allowed_origins : can(regex("^https://[a-z0-9.-]+(:[0-9]{1,5})?$", o))])
    error_message = "cors_allowed_origins must list at most one origin, https://<host>[:<port>], without a path or a wildcard."
  }
}

variable "tracing_enabled" {
  description = "X-Ray tracing of the API stage."
  type        = bool
  default     = true
  nullable    = false
}

variable "execution_logging_level" {
  description = "The stage's execution logging (to the log group API-Gateway-Execution-Logs_<api id>/<stage>, which the module creates encrypted): ERROR or OFF. INFO is not offered: with it API Gateway logs requests' details. Full request and response logging (data trace) is always off: bodies hold health data. Execution and access logging need the account's API Gateway CloudWatch role (manage_account_logging_role)."
  type        = string
  default     = "ERROR"
  nullable    = false

  validation {
    condition     = contains(["ERROR", "OFF"], var.execution_logging_level)
    error_message = "execution_logging_level must be ERROR or OFF."
  }
}

variable "manage_account_logging_role" {
  description = "Create the role API Gateway writes CloudWatch logs with (<name>-apigateway-logs) and set it as this account's and region's API Gateway CloudWatch role (aws_api_gateway_account, reset on destroy). Account-wide: one stack per account and region should do it (terraform/platform), so off by default; the stage's logging needs it set once."
  type        = bool
  default     = false
  nullable    = false
}

variable "waf" {
  description = "An AWS WAF web ACL on the stage: AWS's managed rule groups (Common, KnownBadInputs, SQLi) and a rate-based rule blocking an IP above `rate_limit` requests per `rate_window_seconds`; its log (aws-waf-logs-<name>, encrypted, Authorization and x-api-key redacted). Off by default: it costs per ACL, rule and request; turn it on for an API reachable from the internet."
  type = object({
    enabled             = optional(bool, false)
    rate_limit          = optional(number, 1000)
    rate_window_seconds = optional(number, 300)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.waf.rate_limit >= 10 && var.waf.rate_limit <= 2000000000 && floor(var.waf.rate_limit) == var.waf.rate_limit
    error_message = "waf.rate_limit must be a whole number between 10 and 2000000000 (AWS WAF's range)."
  }

  validation {
    condition     = contains([60, 120, 300, 600], var.waf.rate_window_seconds)
    error_message = "waf.rate_window_seconds must be one of 60, 120, 300, 600 (AWS WAF's evaluation windows)."
  }
}

# -- data, keys, logs ------------------------------------------------------------------------------------------
variable "deletion_protection" {
  description = "Deletion protection of the query log table and the user pool: on by default; turn it off explicitly to destroy them (a test or a sandbox)."
  type        = bool
  default     = true
  nullable    = false
}

variable "token_key_deletion_window_in_days" {
  description = "Waiting period before the feedback token key is deleted, in days (every token it signed becomes unverifiable)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.token_key_deletion_window_in_days >= 7 && var.token_key_deletion_window_in_days <= 30 && floor(var.token_key_deletion_window_in_days) == var.token_key_deletion_window_in_days
    error_message = "token_key_deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the module's log groups, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the values CloudWatch Logs accepts; never-expire is not offered)."
  }
}

# -- alarms ----------------------------------------------------------------------------------------------------
variable "sns_topic_arn" {
  description = "SNS topic every alarm notifies, ALARM and OK (terraform/platform's monitoring topic)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be a standard SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>); FIFO topics cannot receive alarm notifications."
  }
}

variable "alarms" {
  description = <<-EOT
    Alarm thresholds, each judged over `evaluation_periods` periods of `period_seconds`:
    - `api_4xx_rate`, `api_5xx_rate`: the share of requests the gateway answered 4xx / 5xx (4XXError / 5XXError, Average);
    - `api_latency_p99_ms`: the gateway's p99 latency;
    - `function_duration_p99_ratio`: the function's p99 duration as a share of its timeout;
    - `concurrency_ratio`: the function's concurrent executions (Maximum) as a share of its reserved concurrency.
    Function errors, function throttles and table throttles alarm on any (Sum >= 1).
  EOT
  type = object({
    period_seconds              = optional(number, 300)
    evaluation_periods          = optional(number, 3)
    api_4xx_rate                = optional(number, 0.1)
    api_5xx_rate                = optional(number, 0.01)
    api_latency_p99_ms          = optional(number, 15000)
    function_duration_p99_ratio = optional(number, 0.8)
    concurrency_ratio           = optional(number, 0.8)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarms.period_seconds) && var.alarms.evaluation_periods >= 1 && var.alarms.evaluation_periods <= 24 && floor(var.alarms.evaluation_periods) == var.alarms.evaluation_periods
    error_message = "alarms.period_seconds must be one of 60, 300, 900, 3600 and alarms.evaluation_periods a whole number between 1 and 24."
  }

  validation {
    condition     = alltrue([for r in [var.alarms.api_4xx_rate, var.alarms.api_5xx_rate, var.alarms.function_duration_p99_ratio, var.alarms.concurrency_ratio] : r > 0 && r <= 1]) && var.alarms.api_latency_p99_ms >= 100 && var.alarms.api_latency_p99_ms <= 29000
    error_message = "alarms.api_4xx_rate, api_5xx_rate, function_duration_p99_ratio and concurrency_ratio must be above 0 and at most 1, and alarms.api_latency_p99_ms between 100 and 29000."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard <name>-assistant (alarms, API traffic, errors and latency, the function, the table)."
  type        = bool
  default     = true
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the roles the module creates, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}
