# Remote state in the platform's state bucket (terraform/bootstrap of launchpad), one key per stage:
#   terraform init -backend-config=envs/<stage>.backend.hcl
terraform {
  backend "s3" {}
}
