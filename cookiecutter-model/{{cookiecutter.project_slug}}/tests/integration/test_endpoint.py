"""The deployed endpoint answers like the local server: ``make integration-test STAGE=staging`` (the
pipeline's Integration-test step, whose role may call exactly what these tests call: DescribeEndpoint and
InvokeEndpoint on the staging endpoint, DescribeEndpointConfig on its configurations). Needs AWS credentials
for the stage's account; skipped by ``make test``."""

from __future__ import annotations
{% if cookiecutter.inference_mode != 'async' %}
import json
{%- endif %}
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from launchpad.deploy.config import StageConfig, load_stage_config
{%- if cookiecutter.inference_mode != 'async' %}

from {{ cookiecutter.project_slug }}.{{ 'retrieval' if cookiecutter.__rag == 'yes' else 'prompt' if cookiecutter.__llm == 'yes' else 'features' }} import EXAMPLE
{%- endif %}

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]
GIVEN = os.environ.get("LAUNCHPAD_STAGE", "dev")  # the pipeline says production for prod
STAGE = "prod" if GIVEN == "production" else GIVEN


@pytest.fixture(scope="module")
def config() -> StageConfig:
    return load_stage_config(PROJECT / "deploy" / "config" / f"{STAGE}.yaml")


@pytest.fixture(scope="module")
def endpoint(config: StageConfig) -> tuple[str, str]:
    """(endpoint name, region): the pipeline's LAUNCHPAD_ENDPOINT_NAME, else the stage config's."""
    return os.environ.get("LAUNCHPAD_ENDPOINT_NAME", config.endpoint_name), config.region


def serving_config(name: str, region: str) -> dict[str, Any]:
    """The endpoint configuration the endpoint serves (DescribeEndpoint, then DescribeEndpointConfig)."""
    sagemaker = boto3.client("sagemaker", region_name=region)
    config_name = sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    return dict(sagemaker.describe_endpoint_config(EndpointConfigName=config_name))


def test_the_endpoint_is_in_service(endpoint: tuple[str, str]) -> None:
    name, region = endpoint
    described = boto3.client("sagemaker", region_name=region).describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "InService"


def test_the_endpoint_captures_what_its_stage_config_says(
    endpoint: tuple[str, str], config: StageConfig
) -> None:
    """The requests and responses the audit trail and drift monitoring need are captured, at the configured
    rate, by the configuration in service."""
    capture = serving_config(*endpoint).get("DataCaptureConfig") or {}
    assert capture.get("EnableCapture", False) == config.data_capture.enabled
    if config.data_capture.enabled:
        assert capture["InitialSamplingPercentage"] == config.data_capture.sampling_percentage
{%- if cookiecutter.inference_mode == 'async' %}


def test_the_endpoint_is_asynchronous(endpoint: tuple[str, str]) -> None:
    described = serving_config(*endpoint)
    assert described["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"].startswith("s3://")
{%- else %}


def test_the_endpoint_answers_the_example_request(endpoint: tuple[str, str]) -> None:
    name, region = endpoint
    runtime = boto3.client("sagemaker-runtime", region_name=region)
    answer = runtime.invoke_endpoint(
        EndpointName=name, ContentType="application/json", Accept="application/json", Body=json.dumps(EXAMPLE)
    )
    body = json.loads(answer["Body"].read())
{%- if cookiecutter.__rag == 'yes' %}
    assert isinstance(body[0]["generated_text"], str)  # the Hugging Face container's text2text answer
{%- elif cookiecutter.__llm == 'yes' %}
    assert isinstance(body["generated_text"], str)
{%- else %}
    assert len(body["predictions"]) == len(EXAMPLE["instances"])
{%- endif %}
{%- endif %}
