variable "name" {
  description = "Name of the endpoint and prefix of everything the example creates."
  type        = string
  default     = "lp-serverless"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "image" {
  description = "Inference container image. The default is an AWS Deep Learning Container for PyTorch (CPU) in eu-west-1; pick the one for your region and framework."
  type        = string
  default     = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker"
}

variable "model_data_url" {
  description = "s3:// URI of the model.tar.gz to serve (its bucket encrypted with this example's key or SSE-S3); the execution role may read that bucket. Null: the image serves on its own, with no model data."
  type        = string
  default     = null
}
