variable "name" {
  description = "Name prefix of everything the example creates (3-32 lowercase letters, digits and hyphens)."
  type        = string
  default     = "lp-assistant-web"
}

variable "region" {
  description = "AWS region to deploy into (CloudFront itself is global)."
  type        = string
  default     = "eu-west-1"
}

variable "api_url" {
  description = "The API stage's invoke URL (modules/inference-api output invoke_url)."
  type        = string
  default     = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
}

variable "user_pool_client_id" {
  description = "The user pool's public app client for the page (modules/inference-api output user_pool_client_id)."
  type        = string
  default     = "1example23456789abcdefghij"
}

variable "api_key" {
  description = "The web client's API key value (modules/inference-api output api_key_values[\"web\"])."
  type        = string
  default     = "EXAMPLEexampleEXAMPLEexample0123456789"
}

variable "cognito_endpoint" {
  description = "Cognito's endpoint; null: https://cognito-idp.<region>.amazonaws.com/."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "tags" {
  description = "Tags applied to every resource of the example."
  type        = map(string)
  default = {
    Project     = "launchpad"
    Environment = "example"
  }
}
