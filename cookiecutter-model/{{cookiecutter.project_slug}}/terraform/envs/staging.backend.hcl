# Backend of the staging state: the state bucket terraform/bootstrap of launchpad made in account {{ cookiecutter.__prod_account }}.
# Replace the bucket and key ARN with that account's entry of
#   terraform -chdir=terraform/bootstrap output -json backend_configs   (in the launchpad repository)
bucket       = "launchpad-{{ cookiecutter.__prod_account }}-tfstate"
key          = "{{ cookiecutter.__project }}/staging.tfstate"
region       = "{{ cookiecutter.aws_region }}"
encrypt      = true
kms_key_id   = "arn:{{ cookiecutter.__partition }}:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.__prod_account }}:key/00000000-0000-0000-0000-000000000000"
use_lockfile = true
