variable "name" {
  description = "Name prefix of everything the example creates, and the name of the (future) SageMaker endpoint it monitors."
  type        = string
  default     = "lp-monitoring-example"
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (the subscription stays pending until the recipient confirms it)."
  type        = string
  default     = "ml-oncall@example.com"
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
