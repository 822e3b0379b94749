# sandbox: the local moto sandbox (`make apply ENV=sandbox`), no account needed. Shaped like prod (approval
# gate, builds in the VPC from the project's build image, two instances) so the demo exercises what production
# runs, but with short retention and buckets the sandbox may destroy. The S3 source needs no Git host.
name        = "lp-sandbox"
environment = "sandbox"
region      = "eu-west-1"

log_retention_in_days            = 30
access_log_retention_days        = 30
pipeline_artifact_retention_days = 7
kms_deletion_window_in_days      = 7
force_destroy_buckets            = true
force_delete_repositories        = true
require_production_approval      = true
codebuild_in_vpc                 = true
codebuild_build_image            = true # the demo pushes demo-model-build:demo before it releases
endpoint_instance_counts         = { min = 2, max = 4 }

model_projects = {
  demo-model = { approver_emails = ["approver@example.com"], build_image_tag = "demo" }
}

# The monitoring loop on the demo's production endpoint, on the sandbox's clock (0.01: a 300 s alarm period passes
# in 3 s); a retraining needs 20 new labels, at most one a day.
model_monitoring = {
  alarm_period_seconds = 300
  min_new_labels       = 20
  alarm_time_scale     = 0.01
}
