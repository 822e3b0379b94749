variable "name" {
  description = "Name prefix of everything the example creates; the key alias becomes alias/<name>."
  type        = string
  default     = "lp-kms-example"
}

variable "region" {
  description = "AWS region to deploy into."
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
