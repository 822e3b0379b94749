variable "name" {
  description = "The model project's slug: the pipeline is <name>-training."
  type        = string
  default     = "lp-churn"
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "bucket" {
  description = "The platform's model artifacts bucket (terraform/platform: <name>-<account id>-model-artifacts)."
  type        = string
  default     = "lp-platform-123456789012-model-artifacts"
}

variable "network" {
  description = "The platform's private subnets and the jobs' security group (terraform/platform's private_subnet_ids and model_security_group_id), or null: the jobs run outside a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "tags" {
  description = "Tags of the example's resources."
  type        = map(string)
  default     = {}
}

variable "pipeline_definition" {
  description = "A project's pipeline definition (`launchpad pipeline definition`), or null: a one-step Fail pipeline."
  type        = string
  default     = null
}
