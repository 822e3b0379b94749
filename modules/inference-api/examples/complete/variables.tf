variable "name" {
  description = "Name prefix of everything the example creates (at most 32 lowercase letters, digits and hyphens)."
  type        = string
  default     = "lp-assistant"
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "stage" {
  description = "The environment: dev, staging or prod."
  type        = string
  default     = "dev"
}

variable "index_file" {
  description = "The retrieval index to upload (JSON, `launchpad assistant index --output <path>`). Null: index.json beside this file."
  type        = string
  default     = null
}

variable "lambda_zip" {
  description = "The function's zip; null: the one the module ships (lambda/assistant.zip)."
  type        = string
  default     = null
}

variable "cors_allowed_origins" {
  description = "The web UI's origin (at most one), or none."
  type        = list(string)
  default     = []
}

variable "enable_waf" {
  description = "Put AWS WAF in front of the stage (it costs per ACL, rule and request)."
  type        = bool
  default     = true
}

variable "manage_account_logging_role" {
  description = "Set this account's API Gateway CloudWatch role (account-wide, reset on destroy): the stage's logging needs one. Set false in an account whose platform stack already sets it."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
