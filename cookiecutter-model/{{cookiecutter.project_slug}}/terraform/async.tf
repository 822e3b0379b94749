# Asynchronous inference: requests are queued, results and failures land in the platform's data-capture bucket
# (the execution role may write there), encrypted with the models key.

variable "async_output_s3_uri" {
  description = "Where the endpoint writes results: an s3:// prefix in the platform's data-capture bucket."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.async_output_s3_uri))
    error_message = "async_output_s3_uri must be an s3:// prefix with a path, e.g. s3://<bucket>/<project>/async/output."
  }
}

variable "async_failure_s3_uri" {
  description = "Where the endpoint writes the errors of failed requests: an s3:// prefix."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.async_failure_s3_uri))
    error_message = "async_failure_s3_uri must be an s3:// prefix with a path, e.g. s3://<bucket>/<project>/async/failures."
  }
}

variable "async_max_concurrent_invocations_per_instance" {
  description = "Requests one instance works on at a time (1-1000)."
  type        = number
  default     = 4

  validation {
    condition     = var.async_max_concurrent_invocations_per_instance >= 1 && var.async_max_concurrent_invocations_per_instance <= 1000
    error_message = "async_max_concurrent_invocations_per_instance must be 1 to 1000."
  }
}

locals {
  async_inference = {
    output_s3_uri                           = var.async_output_s3_uri
    failure_s3_uri                          = var.async_failure_s3_uri
    max_concurrent_invocations_per_instance = var.async_max_concurrent_invocations_per_instance
  }
}
