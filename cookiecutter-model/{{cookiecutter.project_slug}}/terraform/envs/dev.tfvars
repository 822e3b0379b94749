{%- set account = cookiecutter.__dev_account -%}
{%- set platform = cookiecutter.__platform_prefix ~ '-dev' -%}
{%- set region = cookiecutter.aws_region -%}
{%- set project = cookiecutter.__project -%}
# dev: {{ project }}-dev in the dev platform ({{ platform }}, account {{ account }}), one instance updated all at
# once{{ ', serverless' if cookiecutter.inference_mode == 'serverless' else '' }}. Replace the account id, key ids, VPC and subnet ids with the outputs of the dev platform
# stack (README.md, "Filling in the platform's values"); the names follow the platform's naming and stay.
stage           = "dev"
manage_endpoint = {{ 'true' if cookiecutter.inference_mode == 'async' else 'false' }}

execution_role_arn   = "arn:{{ cookiecutter.__partition }}:iam::{{ account }}:role/{{ platform }}-{{ project }}-sagemaker"
model_kms_key_arn    = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000000"
logs_kms_key_arn     = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000001"
capture_kms_key_arn  = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/11111111-1111-1111-1111-111111111111"
monitoring_topic_arn = "arn:{{ cookiecutter.__partition }}:sns:{{ region }}:{{ account }}:{{ platform }}-monitoring"
create_log_group     = true # the platform makes the log groups of staging and production only

image_uri      = "{% if cookiecutter.__rag == 'yes' %}{{ cookiecutter.__hf_image }}{% else %}{{ account }}.dkr.ecr.{{ region }}.{{ cookiecutter.__ecr_suffix }}/{{ project }}:0.1.0{% endif %}"
model_data_url = "s3://{{ platform }}-{{ account }}-model-artifacts/{{ project }}/0.1.0/model.tar.gz"
{%- if cookiecutter.inference_mode == 'serverless' %}

serverless               = { memory_size_in_mb = {{ 3072 if cookiecutter.framework in ['pytorch', 'huggingface-llm'] else 2048 }}, max_concurrency = 5 }
enable_network_isolation = false # Serverless Inference supports neither network isolation nor a VPC
{%- else %}

vpc_id         = "vpc-00000000000000001"
vpc_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002"]
instance_type  = "{{ cookiecutter.instance_type }}"
instance_count = 1

data_capture_s3_uri              = "s3://{{ platform }}-{{ account }}-data-capture/{{ project }}/dev"
data_capture_sampling_percentage = 10
{%- endif %}
{%- if cookiecutter.inference_mode == 'async' %}

async_output_s3_uri  = "s3://{{ platform }}-{{ account }}-data-capture/{{ project }}/dev/async/output"
async_failure_s3_uri = "s3://{{ platform }}-{{ account }}-data-capture/{{ project }}/dev/async/failures"
{%- endif %}

deployment_strategy                  = "ALL_AT_ONCE"
wait_interval_in_seconds             = 60
termination_wait_in_seconds          = 0
maximum_execution_timeout_in_seconds = 1800

autoscaling = { enabled = false }
{%- if cookiecutter.__llm != 'yes' %}

# The training pipeline {{ project }}-training (training.tf): dev is the stage that trains. Run make pipeline-definition
# first; the buckets, keys and network are deploy/config/training.yaml's (README.md, "The training pipeline").
training_pipeline = {
  s3 = {
    training_data = "s3://{{ platform }}-{{ account }}-data/{{ project }}/training-data/"
    code          = "s3://{{ platform }}-{{ account }}-model-artifacts/{{ project }}/pipeline/code/"
    artifacts     = "s3://{{ platform }}-{{ account }}-model-artifacts/{{ project }}/pipeline/executions/"
    baselines     = "s3://{{ platform }}-{{ account }}-model-artifacts/{{ project }}/"
  }
  kms = {
    data = [
      "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000002", # data: the training data
      "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000000", # models: code and baselines
    ]
    artifacts = "arn:{{ cookiecutter.__partition }}:kms:{{ region }}:{{ account }}:key/00000000-0000-0000-0000-000000000000"
  }
  network = {
    subnet_ids         = ["subnet-00000000000000001", "subnet-00000000000000002"]
    security_group_ids = ["sg-00000000000000002"] # the platform's model_security_group_id
  }
}
{%- endif %}
