"""InvokeEndpoint in the sandbox answers with the model's own answer, from its registered local server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad import serving
from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox import local_servers
from tests.sandbox.support import SAGEMAKER_ROLE, execution_role, model_artifacts

pytestmark = pytest.mark.sandbox

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn"  # another registry: pulled unchecked


def _input(body: bytes, content_type: str) -> Any:
    if content_type != "application/json":
        raise serving.UnsupportedMediaType(f"send application/json, not {content_type}")
    return json.loads(body)


def _local_server(version: str) -> serving.ThreadedServer:
    handlers = serving.Handlers(
        model_fn=lambda _: version,
        input_fn=_input,
        predict_fn=lambda data, model: {"model": model, "got": data},
    )
    return serving.serve_in_thread(serving.Model(handlers, "unused"))


@pytest.fixture
def servers() -> Iterator[dict[str, str]]:
    started = {version: _local_server(version) for version in ("v1", "v2")}
    yield {version: f"http://127.0.0.1:{server.server_port}" for version, server in started.items()}
    for server in started.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def artifacts(sandbox_target: AwsTarget) -> tuple[str, str]:
    """v1's and v2's model.tar.gz, which the execution role may read."""
    bucket, uris = model_artifacts(sandbox_target, "v1/model.tar.gz", "v2/model.tar.gz")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    execution_role(sandbox_target, statements=[read])
    return uris[0], uris[1]


@pytest.fixture
def endpoint(sandbox_target: AwsTarget, artifacts: tuple[str, str]) -> str:
    sm = sandbox_target.client("sagemaker")
    role = f"arn:aws:iam::{sandbox_target.account_id}:role/{SAGEMAKER_ROLE}"
    for name, artifact, tag in (("churn-v1", artifacts[0], "1"), ("churn-v2", artifacts[1], "2")):
        container = {"Image": f"{IMAGE}:{tag}", "ModelDataUrl": artifact}
        sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer=container)
    variants = [
        {
            "VariantName": v,
            "ModelName": m,
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
            "InitialVariantWeight": w,
        }
        for v, m, w in (("champion", "churn-v1", 1.0), ("challenger", "churn-v2", 0.0))
    ]
    sm.create_endpoint_config(EndpointConfigName="churn-ab", ProductionVariants=variants)
    sm.create_endpoint(EndpointName="churn", EndpointConfigName="churn-ab")
    return "churn"


def invoke(target: AwsTarget, endpoint: str, payload: Any, **extra: Any) -> tuple[Any, str]:
    answer = target.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, Body=json.dumps(payload), ContentType="application/json", **extra
    )
    return json.loads(answer["Body"].read()), answer["InvokedProductionVariant"]


def test_each_variant_answers_from_its_models_server(
    sandbox_target: AwsTarget, endpoint: str, servers: dict[str, str], artifacts: tuple[str, str]
) -> None:
    v1 = artifacts[0]
    local_servers.register(sandbox_target, servers["v1"], model_data_url=v1)
    local_servers.register(sandbox_target, servers["v2"], image=f"{IMAGE}:2")
    assert local_servers.registered(sandbox_target) == {v1: servers["v1"], f"{IMAGE}:2": servers["v2"]}
    for _ in range(5):  # the challenger's weight is 0: without a target, the champion always answers
        assert invoke(sandbox_target, endpoint, [1, 2]) == ({"model": "v1", "got": [1, 2]}, "champion")
    assert invoke(sandbox_target, endpoint, {"x": 1}, TargetVariant="challenger") == (
        {"model": "v2", "got": {"x": 1}},
        "challenger",
    )


def test_a_containers_4xx_is_a_model_error_with_its_status_and_body(
    sandbox_target: AwsTarget, endpoint: str, servers: dict[str, str], artifacts: tuple[str, str]
) -> None:
    local_servers.register(sandbox_target, servers["v1"], model_data_url=artifacts[0])
    runtime = sandbox_target.client("sagemaker-runtime")
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"a,b", ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "ModelError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert raised.value.response["OriginalStatusCode"] == 415
    assert "send application/json, not text/csv" in raised.value.response["Error"]["Message"]


def test_a_model_without_a_server_says_how_to_register_one(sandbox_target: AwsTarget, endpoint: str) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(sandbox_target, endpoint, [1])
    assert raised.value.response["Error"]["Code"] == "ModelError"
    message = raised.value.response["Error"]["Message"]
    assert "no local server for model churn-v1 of variant champion" in message
    assert "launchpad.sandbox.local_servers.register" in message


def test_unknown_endpoints_and_variants_are_validation_errors(
    sandbox_target: AwsTarget, endpoint: str
) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(sandbox_target, "nope", [1])
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert (
        raised.value.response["Error"]["Message"]
        == f"Endpoint nope of account {sandbox_target.account_id} not found."
    )
    with pytest.raises(ClientError) as raised:
        invoke(sandbox_target, endpoint, [1], TargetVariant="canary")
    assert raised.value.response["Error"]["Message"] == (
        "Endpoint churn has no production variant canary; it has champion, challenger."
    )


def test_registrations_belong_to_one_account_and_clear(
    sandbox_target: AwsTarget, servers: dict[str, str]
) -> None:
    other = AwsTarget.sandbox(sandbox_target.endpoint_url or "")
    local_servers.register(sandbox_target, servers["v1"], model_data_url="s3://models/v1/model.tar.gz")
    assert local_servers.registered(other) == {}
    local_servers.clear(sandbox_target)
    assert local_servers.registered(sandbox_target) == {}
    with pytest.raises(ValueError, match="one of them"):
        local_servers.register(sandbox_target, servers["v1"])
    with pytest.raises(SandboxError, match="a sandbox feature"):
        local_servers.registered(AwsTarget.real("eu-west-1"))
