variable "name" {
  description = "Name prefix of the repository (<name>/serving), its key and the example's roles."
  type        = string
  default     = "lp-ecr-example"
}

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
