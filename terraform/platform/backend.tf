# Remote state: an S3 bucket with a native lockfile, created once per account by terraform/bootstrap.
# `launchpad plan|apply --env <env>` passes envs/<env>.backend.hcl; the sandbox and the tests use local state.
terraform {
  backend "s3" {}
}
