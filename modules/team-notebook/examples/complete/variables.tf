variable "name" {
  description = "Name of the team's notebook instance (lowercase: SageMaker writes notebook instance ARNs in lowercase)."
  type        = string
  default     = "lp-churn-dev"
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "The team's model project: its pipeline is <project>-training, its registry group <project>, its CodeCommit repository <project>."
  type        = string
  default     = "lp-churn"
}

variable "data_bucket" {
  description = "The platform's data bucket; the team's data is under <project>/."
  type        = string
  default     = "lp-platform-123456789012-data"
}

variable "package_index_url" {
  description = "The platform's package index (e.g. a CodeArtifact PyPI endpoint), or null."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the example's resources."
  type        = map(string)
  default     = {}
}
