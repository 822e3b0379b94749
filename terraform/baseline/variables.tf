variable "name" {
  description = "Name prefix of everything the stack creates (lowercase letters, digits and hyphens)."
  type        = string
  default     = "lp-baseline"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.20.0.0/16"
}

variable "log_retention_in_days" {
  description = "Retention of the flow-log and SageMaker endpoint log groups, in days."
  type        = number
  default     = 365
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` delete non-empty buckets. Keep false for real data; the demo and tests set it."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = { Project = "launchpad", Stack = "baseline" }
}
