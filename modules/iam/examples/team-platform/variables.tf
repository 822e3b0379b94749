variable "name" {
  description = "The team's prefix (team and environment), the start of every name the example creates."
  type        = string
  default     = "acme-risk-dev"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 lowercase letters, digits and hyphens, starting and ending with a letter or digit (it prefixes bucket, role and endpoint names)."
  }
}

variable "region" {
  description = "AWS region of the team's platform: another region than the modules' own examples (eu-west-1)."
  type        = string
  default     = "us-east-2"
}

variable "image" {
  description = "Inference image, tag included. The default is an AWS Deep Learning Container for PyTorch (CPU) in us-east-2."
  type        = string
  default     = "763104351884.dkr.ecr.us-east-2.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker"
}
