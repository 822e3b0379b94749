# prod: HIPAA-grade. Six years of logs (2192 days), the longest KMS deletion window, buckets never destroyed
# with their contents, an approval before every production deploy, builds inside the private network (they
# install launchpad from the release published in the model-artifacts bucket), and at least two instances per
# endpoint (guarded rollouts need them).
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
launchpad_version                = "0.1.0" # the release the VPC builds install: launchpad release publish
endpoint_instance_counts         = { min = 2, max = 10 }
availability_zones               = ["a", "b", "c"]

source_connection_arn = "arn:aws:codeconnections:eu-west-1:111122223333:connection/00000000-0000-0000-0000-000000000000"
model_projects = {
  fraud-detector = {
    repository         = "acme/fraud-detector"
    branch             = "main"
    approver_emails    = ["ml-leads@acme.example", "clinical-safety@acme.example"]
    approver_role_arns = ["arn:aws:iam::111122223333:role/acme-model-approver"]
  }
}
monitoring_subscriptions = [{ protocol = "email", endpoint = "ml-oncall@acme.example" }]
