variable "name" {
  description = "Name of the SageMaker execution role and of its inline policy (1-64 characters of letters, digits and + = , . @ _ -)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits and + = , . @ _ - (the IAM role name rules)."
  }
}

variable "s3_read_bucket_arns" {
  description = "ARNs of the S3 buckets the role may read (s3:GetObject on their objects; a model.tar.gz is read by key, so no bucket-level action): model artifacts, inference inputs. Bucket ARNs only (arn:<partition>:s3:::<bucket>), no key part."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.s3_read_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "s3_read_bucket_arns must each be an S3 bucket ARN arn:<partition>:s3:::<bucket-name> (3-63 lowercase letters, digits, dots, hyphens) with no key part, no \"/\" and no wildcard."
  }
}

variable "s3_write_bucket_arns" {
  description = "ARNs of the S3 buckets the role may write objects to (s3:PutObject, which covers multipart uploads; no delete): data capture, batch transform and async inference output. Bucket ARNs only (arn:<partition>:s3:::<bucket>), no key part."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.s3_write_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "s3_write_bucket_arns must each be an S3 bucket ARN arn:<partition>:s3:::<bucket-name> (3-63 lowercase letters, digits, dots, hyphens) with no key part, no \"/\" and no wildcard."
  }
}

variable "kms_key_arns" {
  description = "ARNs of the KMS keys the role may use (kms:Decrypt, kms:GenerateDataKey): the keys of the buckets above. The grant for an endpoint's volume key is made by whoever creates the endpoint (kms:CreateGrant on the caller's side), not by this role. Key ARNs, not alias ARNs (IAM policies on aliases do not grant key use)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", a))])
    error_message = "kms_key_arns must each be a KMS key ARN arn:<partition>:kms:<region>:<account-id>:key/<key-id> (not an alias ARN, no wildcard)."
  }
}

variable "log_group_arns" {
  description = "ARNs of the CloudWatch log groups the role may write to (CreateLogStream, PutLogEvents, DescribeLogStreams on the group and its streams). SageMaker endpoints log to /aws/sagemaker/Endpoints/<endpoint-name>: create that group (KMS-encrypted, with retention) before the endpoint; the role cannot create log groups. ARNs without the trailing \":*\"."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.log_group_arns : can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[A-Za-z0-9._/#-]{1,512}$", a))])
    error_message = "log_group_arns must each be a log group ARN arn:<partition>:logs:<region>:<account-id>:log-group:<name> without a trailing \":*\" and without wildcards (names use letters, digits and . _ / # -)."
  }
}

variable "rollback_alarm_arns" {
  description = "ARNs (or ARN patterns ending in '*', within one account) of the CloudWatch alarms SageMaker watches during endpoint updates (deployment guardrails auto-rollback). SageMaker reads them with the execution role, which needs cloudwatch:DescribeAlarms on them. For alarms of this account and region, rollback_alarm_names is simpler (no hand-built ARN)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.rollback_alarm_arns : can(regex("^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:[^*]+[*]?$", a))])
    error_message = "rollback_alarm_arns must each be a CloudWatch alarm ARN arn:<partition>:cloudwatch:<region>:<account-id>:alarm:<name>, optionally ending in a single '*' (a name prefix)."
  }
}

variable "rollback_alarm_names" {
  description = "Names (or name prefixes ending in '*') of CloudWatch alarms of this account and region that SageMaker watches during endpoint updates, e.g. [\"churn-prod-rollback-*\"]: the module builds their ARNs, so a caller needs neither hand-built ARNs nor the endpoint module's outputs (which depend on this role: a cycle). Adds to rollback_alarm_arns."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.rollback_alarm_names : can(regex("^[^*:]{1,255}[*]?$", a))])
    error_message = "rollback_alarm_names must each be an alarm name (1-255 characters, no ':'), optionally ending in a single '*' (a name prefix); a bare '*' would cover every alarm of the account."
  }
}

variable "ecr_repository_arns" {
  description = "ARNs of the ECR repositories the role may pull images from (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability). ecr:GetAuthorizationToken, which cannot be scoped to a repository, is added when this list is non-empty."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$", a))])
    error_message = "ecr_repository_arns must each be an ECR repository ARN arn:<partition>:ecr:<region>:<account-id>:repository/<name> (lowercase name, no wildcard)."
  }
}

variable "enable_vpc_access" {
  description = "Grant the EC2 network-interface permissions SageMaker needs to place a model in a VPC (VpcConfig). Describe* actions need resource \"*\"; create/delete are scoped to this account and region, and to vpc_subnet_arns / vpc_security_group_arns when given."
  type        = bool
  default     = true
  nullable    = false
}

variable "vpc_subnet_arns" {
  description = "Optional subnet ARNs to confine the network interfaces SageMaker creates (the subnets of the model's VpcConfig). Empty: any subnet of this account and region."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.vpc_subnet_arns : can(regex("^arn:aws[a-z-]*:ec2:[a-z0-9-]+:[0-9]{12}:subnet/subnet-[0-9a-f]+$", a))])
    error_message = "vpc_subnet_arns must each be a subnet ARN arn:<partition>:ec2:<region>:<account-id>:subnet/subnet-<hex>."
  }
}

variable "vpc_security_group_arns" {
  description = "Optional security group ARNs that the network interfaces SageMaker creates may use (the security groups of the model's VpcConfig). Empty: any security group of this account and region."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.vpc_security_group_arns : can(regex("^arn:aws[a-z-]*:ec2:[a-z0-9-]+:[0-9]{12}:security-group/sg-[0-9a-f]+$", a))])
    error_message = "vpc_security_group_arns must each be a security group ARN arn:<partition>:ec2:<region>:<account-id>:security-group/sg-<hex>."
  }
}

variable "enable_cloudwatch_metrics" {
  description = "Allow cloudwatch:PutMetricData, conditioned on the metric namespace (cloudwatch_metric_namespaces). SageMaker publishes instance and job metrics (/aws/sagemaker/Endpoints, /aws/sagemaker/TrainingJobs, ...) with the execution role."
  type        = bool
  default     = true
  nullable    = false
}

variable "cloudwatch_metric_namespaces" {
  description = "Namespace patterns (StringLike on cloudwatch:namespace) the role may publish metrics to. The default covers SageMaker's own /aws/sagemaker/* namespaces and keeps the role out of the AWS/* namespaces and your alarm metrics."
  type        = list(string)
  default     = ["/aws/sagemaker/*"]
  nullable    = false

  validation {
    condition     = length(var.cloudwatch_metric_namespaces) > 0 && alltrue([for n in var.cloudwatch_metric_namespaces : length(n) > 0 && length(n) <= 255 && n != "*" && !startswith(n, "AWS/")])
    error_message = "cloudwatch_metric_namespaces must be a non-empty list of namespace patterns (1-255 characters each); \"*\" alone and AWS/* namespaces (reserved for AWS services) are not allowed."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy to set as the role's permissions boundary, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }
}

variable "extra_policy_json" {
  description = "Optional extra IAM policy document (JSON) merged into the role's inline policy, for permissions the inference code itself needs. Its statement Sids must not collide with the module's (which all start with \"Sm\")."
  type        = string
  default     = null

  validation {
    condition     = var.extra_policy_json == null || can(jsondecode(var.extra_policy_json).Statement)
    error_message = "extra_policy_json must be null or a JSON IAM policy document with a Statement element."
  }
}

variable "managed_policy_arns" {
  description = "ARNs of extra managed policies to attach to the role (customer-managed, or narrowly scoped AWS-managed ones). AWS-managed *FullAccess, AdministratorAccess and PowerUserAccess policies are rejected (by the service-role submodule)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "max_session_duration" {
  description = "Maximum session duration of the role in seconds (3600-43200)."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200 && floor(var.max_session_duration) == var.max_session_duration
    error_message = "max_session_duration must be a whole number of seconds between 3600 and 43200."
  }
}

variable "path" {
  description = "IAM path of the role: \"/\" or a string that begins and ends with \"/\" (at most 512 characters)."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = length(var.path) <= 512 && can(regex("^/([!-~]+/)?$", var.path))
    error_message = "path must be \"/\" or begin and end with \"/\" (printable ASCII, at most 512 characters), e.g. \"/launchpad/\"."
  }
}

variable "tags" {
  description = "Tags applied to the role."
  type        = map(string)
  default     = {}
  nullable    = false
}
