# Backend of the dev platform stack: the state bucket made by terraform/bootstrap in the dev account.
# Replace these values with the "dev" entry of `terraform -chdir=terraform/bootstrap output -json backend_configs`.
bucket       = "launchpad-111122223333-tfstate"
key          = "dev/platform.tfstate"
region       = "eu-west-1"
encrypt      = true
kms_key_id   = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
use_lockfile = true
