variable "name" {
  description = "Name of the topic and the key."
  type        = string
  default     = "lp-topic-example"
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
