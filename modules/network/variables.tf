variable "name" {
  description = "Name prefix for every resource of the network (VPC, subnets, route tables, security groups, flow-log group and role). 1-54 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  type        = string

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 54 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", var.name))
    error_message = "name must be 1-54 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit (54 so that the IAM role \"<name>-flow-logs\" fits in IAM's 64-character limit)."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC, written as its network address (e.g. 10.0.0.0/16). Prefix length /16 to /24."
  type        = string
  default     = "10.0.0.0/16"
  nullable    = false

  validation {
    condition = (
      can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", var.cidr_block)) &&
      can(cidrhost(var.cidr_block, 0)) &&
      try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24, false) &&
      try(cidrsubnet(var.cidr_block, 0, 0) == var.cidr_block, false)
    )
    error_message = "cidr_block must be a valid IPv4 CIDR written as its network address (e.g. 10.0.0.0/16) with a prefix length between /16 and /24 (the sizes AWS allows for a VPC)."
  }
}

variable "availability_zones" {
  description = "Names of the Availability Zones to spread the subnets over (2-6, e.g. [\"eu-west-1a\", \"eu-west-1b\"]), one private (and, with create_internet_gateway, one public) subnet per zone, in this order. Pinned explicitly rather than discovered so that the network never moves when AWS adds a zone or a zone's state changes. Each zone must be an available zone of the provider's region (checked at plan)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 6
    error_message = "availability_zones must list between 2 and 6 Availability Zones: at least 2 are needed for a highly available network."
  }

  validation {
    condition     = length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must not contain duplicates: each subnet tier needs one subnet in each distinct zone."
  }

  validation {
    condition     = alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", az))])
    error_message = "availability_zones must contain Availability Zone names such as \"eu-west-1a\" (Local and Wavelength Zones are not supported: they lack most VPC endpoint services)."
  }
}

variable "private_subnet_cidrs" {
  description = "IPv4 CIDRs of the private subnets, one per entry of availability_zones (same order), each inside cidr_block. Empty (the default) derives them: cidrsubnet(cidr_block, 4, i) for zone i, i.e. the first 16th-sized blocks of the VPC (a /20 in a /16)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.private_subnet_cidrs : can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", c)) && can(cidrhost(c, 0)) && try(cidrsubnet(c, 0, 0) == c, false)])
    error_message = "private_subnet_cidrs must contain only valid IPv4 CIDRs written as their network address (e.g. 10.0.0.0/20)."
  }

  validation {
    condition     = length(distinct(var.private_subnet_cidrs)) == length(var.private_subnet_cidrs)
    error_message = "private_subnet_cidrs must not contain duplicates."
  }
}

variable "create_internet_gateway" {
  description = "Create an internet gateway, public subnets (one per zone) and a public route table with a 0.0.0.0/0 route to the gateway. Off by default: the private subnets reach AWS services through VPC endpoints only. NAT gateways are out of scope of this module, so the private subnets never get an internet route."
  type        = bool
  default     = false
  nullable    = false
}

variable "public_subnet_cidrs" {
  description = "IPv4 CIDRs of the public subnets, one per entry of availability_zones (same order); used only when create_internet_gateway is true. Empty (the default) derives them: cidrsubnet(cidr_block, 4, 8 + i) for zone i, i.e. the second half of the VPC."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.public_subnet_cidrs : can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", c)) && can(cidrhost(c, 0)) && try(cidrsubnet(c, 0, 0) == c, false)])
    error_message = "public_subnet_cidrs must contain only valid IPv4 CIDRs written as their network address (e.g. 10.0.128.0/20)."
  }

  validation {
    condition     = length(distinct(var.public_subnet_cidrs)) == length(var.public_subnet_cidrs)
    error_message = "public_subnet_cidrs must not contain duplicates."
  }
}

variable "interface_endpoints" {
  description = "Short names of the AWS services to reach through interface VPC endpoints with private DNS (the part after com.amazonaws.<region>., e.g. \"sagemaker.api\", \"kms\", \"monitoring\"). The default is what SageMaker hosting needs without internet access. An empty list creates no interface endpoint."
  type        = list(string)
  default     = ["sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr"]
  nullable    = false

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9]+([.-][a-z0-9]+)*$", s))])
    error_message = "interface_endpoints must contain non-empty service short names of lowercase letters, digits, dots and hyphens (e.g. \"sagemaker.api\", \"ecr.dkr\"), without the com.amazonaws.<region>. prefix."
  }

  validation {
    condition     = alltrue([for s in var.interface_endpoints : !startswith(s, "com.amazonaws.")])
    error_message = "interface_endpoints must hold service short names without the com.amazonaws.<region>. prefix (write \"sts\", not \"com.amazonaws.eu-west-1.sts\")."
  }

  validation {
    condition     = length(distinct(var.interface_endpoints)) == length(var.interface_endpoints)
    error_message = "interface_endpoints must not contain duplicates."
  }
}

variable "enable_s3_gateway_endpoint" {
  description = "Create an S3 gateway VPC endpoint attached to the private route tables (free; needed by ECR image layers and SageMaker model artifacts without internet access)."
  type        = bool
  default     = true
  nullable    = false
}

variable "flow_logs_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the VPC flow-log CloudWatch log group. Its key policy must let logs.<region>.amazonaws.com use it (with a kms:EncryptionContext:aws:logs:arn condition)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.flow_logs_kms_key_arn))
    error_message = "flow_logs_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>); aliases and bare key IDs are not accepted by CloudWatch Logs."
  }
}

variable "flow_logs_retention_in_days" {
  description = "Retention of the VPC flow-log log group, in days. One of the values CloudWatch Logs accepts."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_in_days)
    error_message = "flow_logs_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the values CloudWatch Logs accepts)."
  }
}

variable "flow_logs_max_aggregation_interval" {
  description = "Maximum interval, in seconds, over which a flow-log record aggregates packets: 60 or 600."
  type        = number
  default     = 600
  nullable    = false

  validation {
    condition     = contains([60, 600], var.flow_logs_max_aggregation_interval)
    error_message = "flow_logs_max_aggregation_interval must be 60 or 600 (the values EC2 accepts)."
  }
}

variable "flow_logs_role_permissions_boundary_arn" {
  description = "ARN of an IAM managed policy to set as the permissions boundary of the flow-log delivery role. Null (the default) sets none."
  type        = string
  default     = null

  validation {
    condition     = var.flow_logs_role_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.flow_logs_role_permissions_boundary_arn))
    error_message = "flow_logs_role_permissions_boundary_arn must be null or an IAM policy ARN (arn:<partition>:iam::<account-id>:policy/<name>)."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource of the module."
  type        = map(string)
  default     = {}
  nullable    = false
}
