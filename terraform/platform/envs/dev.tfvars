# dev: fast iteration. Short retention, no approval gate, buckets and repositories may be destroyed with their
# contents.
name        = "acme-ml-dev"
environment = "dev"
region      = "eu-west-1"

log_retention_in_days            = 90
access_log_retention_days        = 90
pipeline_artifact_retention_days = 30
kms_deletion_window_in_days      = 7
force_destroy_buckets            = true
force_delete_repositories        = true
require_production_approval      = false
codebuild_in_vpc                 = false
endpoint_instance_counts         = { min = 1, max = 2 }

source_connection_arn = "arn:aws:codeconnections:eu-west-1:111122223333:connection/00000000-0000-0000-0000-000000000000"
model_projects = {
  fraud-detector = { repository = "acme/fraud-detector", branch = "develop" }
}
