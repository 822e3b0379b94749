# Backend of the dev platform stack: the state bucket and key made by terraform/bootstrap in the dev account.
# Replace with `terraform -chdir=terraform/bootstrap output -raw backend_configs` (dev entry) once bootstrapped.
bucket       = "acme-ml-tfstate-111122223333"
key          = "dev/platform.tfstate"
region       = "eu-west-1"
encrypt      = true
kms_key_id   = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
use_lockfile = true
