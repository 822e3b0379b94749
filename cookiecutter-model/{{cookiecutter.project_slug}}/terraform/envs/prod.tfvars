{%- set account = cookiecutter.__prod_account -%}
{%- set platform = cookiecutter.__platform_prefix ~ '-prod' -%}
{%- set region = cookiecutter.aws_region -%}
{%- set project = cookiecutter.__project -%}
# prod: {{ project }}-production in the prod platform ({{ platform }}, account {{ account }}), where the project's
# pipeline deploys staging and production; two to eight instances, every request captured, rolled out {{ cookiecutter.__strategy }}.
# Replace the account id, key ids, VPC and subnet ids with the outputs of the prod platform stack (README.md,
# "Filling in the platform's values"); the names follow the platform's naming and stay.
stage           = "prod"
manage_endpoint = {{ 'true' if cookiecutter.inference_mode == 'async' else 'false' }}

execution_role_arn   = "arn:{{ cookiecutter.__partition }}:iam::{{ account }}:role/{{ platform }}-{{ project }}-sagemaker"
model_kms_key_arn    = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000000"
logs_kms_key_arn     = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000001"
capture_kms_key_arn  = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/11111111-1111-1111-1111-111111111111"
monitoring_topic_arn = "arn:{{ cookiecutter.__partition }}:sns:{{ region }}:{{ account }}:{{ platform }}-monitoring"
create_log_group     = false # the platform made /aws/sagemaker/Endpoints/{{ project }}-production

image_uri      = "{% if cookiecutter.__rag == 'yes' %}{{ cookiecutter.__hf_image }}{% else %}{{ account }}.dkr.ecr.{{ region }}.{{ cookiecutter.__ecr_suffix }}/{{ project }}:0.1.0{% endif %}"
model_data_url = "s3://{{ platform }}-{{ account }}-model-artifacts/{{ project }}/0.1.0/model.tar.gz"

vpc_id         = "vpc-00000000000000001"
vpc_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002"]
instance_type  = "{{ cookiecutter.instance_type }}"
instance_count = 2

data_capture_s3_uri              = "s3://{{ platform }}-{{ account }}-data-capture/{{ project }}/prod"
data_capture_sampling_percentage = 100
{%- if cookiecutter.inference_mode == 'async' %}

async_output_s3_uri  = "s3://{{ platform }}-{{ account }}-data-capture/{{ project }}/prod/async/output"
async_failure_s3_uri = "s3://{{ platform }}-{{ account }}-data-capture/{{ project }}/prod/async/failures"
{%- endif %}

deployment_strategy                  = "{{ cookiecutter.__strategy }}"
step_instances                       = 1
wait_interval_in_seconds             = 600
termination_wait_in_seconds          = 600
maximum_execution_timeout_in_seconds = 3600

autoscaling = { min_capacity = 2, max_capacity = 8, target_invocations_per_instance = {{ 20 if cookiecutter.__llm == 'yes' else 100 }} }
