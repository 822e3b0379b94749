"""The deployed endpoint answers like the local server: ``make integration-test STAGE=staging`` (the
pipeline's Integration-test step). Needs AWS credentials for the stage's account; skipped by ``make test``."""

from __future__ import annotations
{% if cookiecutter.inference_mode != 'async' %}
import json
{%- endif %}
import os
from pathlib import Path

import boto3
import pytest
from launchpad.deploy.config import load_stage_config
{%- if cookiecutter.inference_mode != 'async' %}

from {{ cookiecutter.project_slug }}.{{ 'prompt' if cookiecutter.__llm == 'yes' else 'features' }} import EXAMPLE
{%- endif %}

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
GIVEN = os.environ.get("LAUNCHPAD_STAGE", "dev")  # the pipeline says production for prod
STAGE = "prod" if GIVEN == "production" else GIVEN


@pytest.fixture(scope="module")
def endpoint() -> tuple[str, str]:
    """(endpoint name, region): the pipeline's LAUNCHPAD_ENDPOINT_NAME, else the stage config's."""
    config = load_stage_config(PROJECT / "deploy" / "config" / f"{STAGE}.yaml")
    return os.environ.get("LAUNCHPAD_ENDPOINT_NAME", config.endpoint_name), config.region


def test_the_endpoint_is_in_service(endpoint: tuple[str, str]) -> None:
    name, region = endpoint
    described = boto3.client("sagemaker", region_name=region).describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "InService"
{%- if cookiecutter.inference_mode == 'async' %}


def test_the_endpoint_is_asynchronous(endpoint: tuple[str, str]) -> None:
    name, region = endpoint
    sagemaker = boto3.client("sagemaker", region_name=region)
    config_name = sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    assert config["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"].startswith("s3://")
{%- else %}


def test_the_endpoint_answers_the_example_request(endpoint: tuple[str, str]) -> None:
    name, region = endpoint
    runtime = boto3.client("sagemaker-runtime", region_name=region)
    answer = runtime.invoke_endpoint(
        EndpointName=name, ContentType="application/json", Accept="application/json", Body=json.dumps(EXAMPLE)
    )
    body = json.loads(answer["Body"].read())
{%- if cookiecutter.__llm == 'yes' %}
    assert isinstance(body["generated_text"], str)
{%- else %}
    assert len(body["predictions"]) == len(EXAMPLE["instances"])
{%- endif %}
{%- endif %}
