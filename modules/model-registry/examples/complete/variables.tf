variable "name" {
  description = "Name of the model package group and name prefix of the example's roles."
  type        = string
  default     = "lp-registry-example"

  validation {
    condition     = length(var.name) <= 40 && can(regex("^[a-z0-9](-?[a-z0-9]){2,39}$", var.name))
    error_message = "name must be 3-40 lowercase letters, digits and single hyphens, starting and ending with a letter or digit (a valid model package group name that leaves room for the role suffixes)."
  }
}

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "reader_account_ids" {
  description = "Optional 12-digit ids of other accounts (for example the production deploy account) that may also read the registry; each becomes that account's root in the resource policy."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
