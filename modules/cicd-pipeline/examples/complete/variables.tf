variable "name" {
  description = "Name of the pipeline and prefix of everything the example creates."
  type        = string
  default     = "lp-cicd-example"
}

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "approver_email" {
  description = "E-mail address that receives the production approval requests."
  type        = string
  default     = "ml-approvers@example.com"
}

variable "launchpad_version" {
  description = "The launchpad release the builds install from the releases bucket (published there by launchpad release publish)."
  type        = string
  default     = "0.1.0"
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete the buckets with their objects: an example's buckets go with it (S3 writes access logs into the log bucket). Set false for buckets that hold anything you keep."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
