variable "name" {
  description = "Name prefix of everything the example creates."
  type        = string
  default     = "lp-network"
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
    project = "launchpad"
    example = "network-complete"
  }
}
