variable "name" {
  description = "Name of the SNS topic (1-256 characters of A-Z, a-z, 0-9, '-' and '_'; standard topics only)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,256}$", var.name))
    error_message = "name must be 1-256 characters of A-Z, a-z, 0-9, '-' and '_' (a standard SNS topic name; FIFO topics are not supported)."
  }
}

variable "display_name" {
  description = "Display name of the topic (the sender name of e-mail notifications), at most 100 characters. Null for none."
  type        = string
  default     = null

  validation {
    condition     = var.display_name == null || try(length(var.display_name) <= 100, false)
    error_message = "display_name must be null or at most 100 characters."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the topic. Every service in service_publishers must be allowed kms:GenerateDataKey* and kms:Decrypt by its key policy (with modules/kms, list it in service_principals)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account-id>:key/<key-id>); the AWS managed alias/aws/sns key cannot be shared with other services and is not accepted."
  }
}

variable "service_publishers" {
  description = "AWS services that may publish, each only on behalf of this account and for the source ARNs given (ArnLike patterns, e.g. CloudWatch alarms \"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:my-prefix-*\"). Principals of this account need no entry: their IAM policies decide."
  type = list(object({
    service     = string
    source_arns = list(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for p in var.service_publishers : can(regex("^[a-z0-9][a-z0-9.-]*\\.amazonaws\\.com$", p.service))])
    error_message = "service_publishers[*].service must be an AWS service principal ending in \".amazonaws.com\" (e.g. \"cloudwatch.amazonaws.com\")."
  }

  validation {
    condition     = alltrue([for p in var.service_publishers : length(p.source_arns) > 0 && alltrue([for a in p.source_arns : can(regex("^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$", a))])])
    error_message = "service_publishers[*].source_arns must name at least one ARN (pattern) with a 12-digit account, e.g. \"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:prefix-*\": a service may not publish on behalf of any resource."
  }
}

variable "subscriptions" {
  description = "Subscriptions to the topic. protocol is one of email, email-json, https, sqs, lambda, sms; endpoint is the address, https:// URL, queue or function ARN, or phone number. Email subscriptions stay pending until the recipient confirms them. Plain http is not allowed."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "email-json", "https", "sqs", "lambda", "sms"], s.protocol)])
    error_message = "subscriptions[*].protocol must be one of email, email-json, https, sqs, lambda, sms (plain http would send notifications unencrypted; firehose and application need extra roles this module does not manage)."
  }

  validation {
    condition = alltrue([
      for s in var.subscriptions : (
        contains(["email", "email-json"], s.protocol) ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint)) :
        s.protocol == "https" ? can(regex("^https://[^\\s]+$", s.endpoint)) :
        s.protocol == "sqs" ? can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", s.endpoint)) :
        s.protocol == "lambda" ? can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$", s.endpoint)) :
        s.protocol == "sms" ? can(regex("^\\+[1-9][0-9]{6,14}$", s.endpoint)) : false
      )
    ])
    error_message = "subscriptions[*].endpoint must match its protocol: an e-mail address for email/email-json, an https:// URL for https, an SQS queue ARN for sqs, a Lambda function ARN for lambda, an E.164 phone number (+<country><number>) for sms."
  }
}

variable "tags" {
  description = "Tags applied to the topic (a Name tag is added)."
  type        = map(string)
  default     = {}
  nullable    = false
}
