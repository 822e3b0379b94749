variable "name" {
  description = "Name prefix of everything the example creates: the model project (at most 26 characters)."
  type        = string
  default     = "lp-churn"
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "bucket_prefix" {
  description = "Prefix of the platform's bucket names (terraform/platform: <name>-<account id>)."
  type        = string
  default     = "lp-platform-123456789012"
}

variable "subnet_ids" {
  description = "The platform's private subnets (terraform/platform's private_subnet_ids)."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60718"]
}

variable "security_group_ids" {
  description = "Security groups of the job's and the function's network interfaces (terraform/platform's model_security_group_id)."
  type        = list(string)
  default     = ["sg-0a1b2c3d4e5f60718"]
}

variable "sns_topic_arn" {
  description = "The platform's monitoring topic (terraform/platform's monitoring_topic_arn)."
  type        = string
  default     = "arn:aws:sns:eu-west-1:123456789012:lp-platform-monitoring"
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
