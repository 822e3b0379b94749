# staging: production-like. A year of logs, approval on, buckets kept.
name        = "acme-ml-staging"
environment = "staging"
region      = "eu-west-1"

log_retention_in_days            = 365
access_log_retention_days        = 365
pipeline_artifact_retention_days = 90
kms_deletion_window_in_days      = 30
force_destroy_buckets            = false
require_production_approval      = true
codebuild_in_vpc                 = false
endpoint_instance_counts         = { min = 2, max = 4 }

source_connection_arn = "arn:aws:codeconnections:eu-west-1:111122223333:connection/00000000-0000-0000-0000-000000000000"
model_projects = {
  fraud-detector = { repository = "acme/fraud-detector", branch = "main", approver_emails = ["ml-leads@acme.example"] }
}
