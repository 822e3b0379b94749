# prod: HIPAA-grade. Six years of logs (2192 days), the longest KMS deletion window, buckets never destroyed
# with their contents, an approval before every production deploy, builds inside the private network (no NAT:
# they run in each project's build image from the platform's ECR, which holds everything they install), and
# at least two instances per endpoint (guarded rollouts need them).
name        = "acme-ml-prod"
environment = "prod"
region      = "eu-west-1"

log_retention_in_days            = 2192
access_log_retention_days        = 2192
pipeline_artifact_retention_days = 365
kms_deletion_window_in_days      = 30
force_destroy_buckets            = false
require_production_approval      = true
codebuild_in_vpc                 = true
codebuild_build_image            = true    # <project>-build in this account's ECR: make push-build-image
codebuild_deploy_timeout_minutes = 180     # the prod config's worst case, 135 minutes, and its setup
launchpad_version                = "0.1.0" # the release the VPC builds install: launchpad release publish
endpoint_instance_counts         = { min = 2, max = 10 }
availability_zones               = ["a", "b", "c"]

source_connection_arn = "arn:aws:codeconnections:eu-west-1:111122223333:connection/00000000-0000-0000-0000-000000000000"
# Projects that deploy with Terraform (deploys_with_terraform) keep their state here: replace the values with
# `terraform -chdir=terraform/bootstrap output` (state_bucket_arn, kms_key_arn; lock_table_arn if it has one).
terraform_state = {
  bucket_arn  = "arn:aws:s3:::launchpad-111122223333-tfstate"
  kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
}

model_projects = {
  fraud-detector = {
    repository         = "acme/fraud-detector"
    branch             = "main"
    approver_emails    = ["ml-leads@acme.example", "clinical-safety@acme.example"]
    approver_role_arns = ["arn:aws:iam::111122223333:role/acme-model-approver"]
    build_image_tag    = "deps-0123456789abcdef" # the tag make push-build-image printed
  }
}
monitoring_subscriptions = [{ protocol = "email", endpoint = "ml-oncall@acme.example" }]
