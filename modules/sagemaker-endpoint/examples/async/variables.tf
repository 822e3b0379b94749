variable "name" {
  description = "Name of the endpoint and prefix of everything the example creates."
  type        = string
  default     = "lp-async"

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
  description = "s3:// URI of the model.tar.gz to serve, in a bucket the execution role reads with this example's key. Null uploads a placeholder (an empty archive) to s3://<name>-<account>-data/models/model.tar.gz so the example applies on its own; the image cannot serve it."
  type        = string
  default     = null
}
