terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # signature_version on aws_sns_topic arrived in 5.x; 5.49 is the floor the other modules share.
      version = ">= 5.49, < 6.0"
    }
  }
}
