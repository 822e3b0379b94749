variable "name" {
  description = "Name prefix of everything the example creates. Bucket names are global, so the account ID is appended to them."
  type        = string
  default     = "lp-s3-example"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits and hyphens, starting with a letter or digit (it prefixes S3 bucket names)."
  }
}

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "tags" {
  description = "Tags applied to every taggable resource of the example."
  type        = map(string)
  default = {
    project = "launchpad"
    example = "s3-bucket-complete"
  }
}
