"""InvokeEndpoint in the sandbox answers with the model's own answer, from its registered local server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad import serving
from launchpad.aws import AwsTarget
from launchpad.deploy.timescale import TIME_SCALE_TAG
from launchpad.errors import SandboxError
from launchpad.sandbox import local_servers
from tests.sandbox.support import SAGEMAKER_ROLE, execution_role, model_artifacts

pytestmark = pytest.mark.sandbox

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn"  # another registry: pulled unchecked


def _input(body: bytes, content_type: str) -> Any:
    if content_type != "application/json":
        raise serving.UnsupportedMediaType(f"send application/json, not {content_type}")
    return json.loads(body)


def _predict(data: Any, model: str) -> Any:
    if model == "broken":
        raise RuntimeError("the model is broken")  # the server answers 500
    return {"model": model, "got": data}


def _local_server(version: str) -> serving.ThreadedServer:
    handlers = serving.Handlers(model_fn=lambda _: version, input_fn=_input, predict_fn=_predict)
    return serving.serve_in_thread(serving.Model(handlers, "unused"))


@pytest.fixture
def servers() -> Iterator[dict[str, str]]:
    started = {version: _local_server(version) for version in ("v1", "v2", "broken")}
    yield {version: f"http://127.0.0.1:{server.server_port}" for version, server in started.items()}
    stopping = [threading.Thread(target=server.shutdown) for server in started.values()]
    for thread in stopping:  # each waits out its server's poll interval: at once, not one after another
        thread.start()
    for thread, server in zip(stopping, started.values(), strict=True):
        thread.join()
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


# -- invocation metrics --------------------------------------------------------------------------------------
def _metric_values(
    target: AwsTarget, stat: str, names: list[str], dimensions: dict[str, str], unit: str | None = None
) -> dict[str, float]:
    """``stat`` of each metric over the last half hour, by GetMetricData (dimensions matched exactly)."""
    now = datetime.now(UTC)
    dims = [{"Name": k, "Value": v} for k, v in dimensions.items()]
    queries = [
        {
            "Id": f"q{i}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dims},
                "Period": 3600,
                "Stat": stat,
                **({"Unit": unit} if unit else {}),
            },
        }
        for i, name in enumerate(names)
    ]
    answer = target.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(minutes=30), EndTime=now + timedelta(minutes=30)
    )
    return {names[int(r["Id"][1:])]: sum(r["Values"]) for r in answer["MetricDataResults"]}


COUNTS = ["Invocations", "InvocationsPerInstance", "Invocation4XXErrors", "Invocation5XXErrors"]
LATENCIES = ["ModelLatency", "OverheadLatency"]


def test_each_invocation_publishes_sagemakers_metrics_under_both_dimension_sets(
    sandbox_target: AwsTarget, endpoint: str, servers: dict[str, str], artifacts: tuple[str, str]
) -> None:
    local_servers.register(sandbox_target, servers["v1"], model_data_url=artifacts[0])
    local_servers.register(sandbox_target, servers["broken"], model_data_url=artifacts[1])
    runtime = sandbox_target.client("sagemaker-runtime")
    for _ in range(2):
        invoke(sandbox_target, endpoint, [1])  # 200
    failures = [
        lambda: runtime.invoke_endpoint(EndpointName=endpoint, Body=b"a,b", ContentType="text/csv"),  # 415
        lambda: invoke(sandbox_target, endpoint, [1], TargetVariant="challenger"),  # the container's 500
        lambda: invoke(sandbox_target, "nope", [1]),  # ValidationError: no variant, no metrics
        lambda: (
            local_servers.clear(sandbox_target),
            invoke(sandbox_target, endpoint, [1]),
        ),  # no server: 503
    ]
    for failure in failures:
        with pytest.raises(ClientError):
            failure()

    champion = {"EndpointName": endpoint, "VariantName": "champion"}
    challenger = {"EndpointName": endpoint, "VariantName": "challenger"}
    by_config = {"EndpointName": endpoint, "EndpointConfigName": "churn-ab", "VariantName": "champion"}
    expected = {"Invocations": 4.0, "InvocationsPerInstance": 4.0, "Invocation4XXErrors": 1.0,
                "Invocation5XXErrors": 1.0}  # fmt: skip
    assert _metric_values(sandbox_target, "Sum", COUNTS, champion, unit="None") == expected
    assert _metric_values(sandbox_target, "Sum", COUNTS, by_config) == expected
    once = {
        "Invocations": 1.0,
        "InvocationsPerInstance": 1.0,
        "Invocation4XXErrors": 0.0,
        "Invocation5XXErrors": 1.0,
    }
    assert _metric_values(sandbox_target, "Sum", COUNTS, challenger) == once
    # Latencies only for the requests the container answered (200, 200, 415), in microseconds.
    assert _metric_values(sandbox_target, "SampleCount", LATENCIES, champion, unit="Microseconds") == {
        "ModelLatency": 3.0,
        "OverheadLatency": 3.0,
    }
    assert _metric_values(sandbox_target, "SampleCount", LATENCIES, champion, unit="None") == {
        "ModelLatency": 0.0,
        "OverheadLatency": 0.0,
    }
    assert 0 < _metric_values(sandbox_target, "Maximum", ["ModelLatency"], challenger)["ModelLatency"] < 60e6


# -- a blue/green update's canary ----------------------------------------------------------------------------
def _blue_green(target: AwsTarget, artifacts: tuple[str, str], scale: float) -> None:
    """Endpoint ``bg`` on config ``blue`` (v1's model, variant ``primary``); config ``green`` has v2's."""
    sm = target.client("sagemaker")
    role = f"arn:aws:iam::{target.account_id}:role/{SAGEMAKER_ROLE}"
    for config, artifact, tag in (("blue", artifacts[0], "1"), ("green", artifacts[1], "2")):
        container = {"Image": f"{IMAGE}:{tag}", "ModelDataUrl": artifact}
        sm.create_model(ModelName=f"bg-{config}", ExecutionRoleArn=role, PrimaryContainer=container)
        variant = {"VariantName": "primary", "ModelName": f"bg-{config}", "InstanceType": "ml.m5.large",
                   "InitialInstanceCount": 2}  # fmt: skip
        sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant])
    sm.create_endpoint(
        EndpointName="bg", EndpointConfigName="blue", Tags=[{"Key": TIME_SCALE_TAG, "Value": str(scale)}]
    )


def _canary(percent: int, alarms: tuple[str, ...] = ()) -> dict[str, Any]:
    routing = {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": percent},
    }
    deployment: dict[str, Any] = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}}
    if alarms:
        deployment["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return deployment


def _poll(check: Callable[[], Any], between: Callable[[], Any] = lambda: None, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{check} never held")
        between()
        time.sleep(0.02)
    return found


def _baking(sm: Any) -> bool:
    pending = sm.describe_endpoint(EndpointName="bg").get("PendingDeploymentSummary") or {}
    return any(
        s["Status"] == "Baking" for v in pending.get("ProductionVariants", []) for s in v["VariantStatus"]
    )


def test_a_canary_takes_its_share_of_the_traffic_while_the_new_fleet_bakes(
    sandbox_target: AwsTarget, servers: dict[str, str], artifacts: tuple[str, str]
) -> None:
    local_servers.register(sandbox_target, servers["v1"], model_data_url=artifacts[0])
    local_servers.register(sandbox_target, servers["v2"], model_data_url=artifacts[1])
    _blue_green(sandbox_target, artifacts, scale=0.01)  # provisioning 0.6 s, the canary's bake 6 s
    sm = sandbox_target.client("sagemaker")
    sm.update_endpoint(EndpointName="bg", EndpointConfigName="green", DeploymentConfig=_canary(10))
    provisioning = [invoke(sandbox_target, "bg", [0])[0]["model"] for _ in range(3)]
    assert provisioning == ["v1"] * 3  # the new fleet takes no traffic before it bakes
    _poll(lambda: _baking(sm))
    answers = [invoke(sandbox_target, "bg", [i]) for i in range(20)]
    assert sm.describe_endpoint(EndpointName="bg")["EndpointStatus"] == "Updating"  # all 20 within the bake
    assert [a[0]["model"] for a in answers].count("v2") == 2  # the canary's 10%, exactly
    assert {a[1] for a in answers} == {"primary"}  # the same variant name in both fleets
    served = {"EndpointName": "bg", "VariantName": "primary"}

    def by_config(config: str) -> float:  # in the order SageMaker lists them (moto's GetMetricData needs it)
        dimensions = {"EndpointName": "bg", "EndpointConfigName": config, "VariantName": "primary"}
        return _metric_values(sandbox_target, "Sum", ["Invocations"], dimensions)["Invocations"]

    assert (by_config("green"), by_config("blue")) == (2.0, 21.0)
    per_instance = _metric_values(sandbox_target, "Sum", ["InvocationsPerInstance"], served)
    assert per_instance["InvocationsPerInstance"] == pytest.approx(23 / 2)  # two instances per fleet


def test_a_canary_answering_500_rolls_the_update_back_through_its_rollback_alarm(
    sandbox_target: AwsTarget, servers: dict[str, str], artifacts: tuple[str, str]
) -> None:
    local_servers.register(sandbox_target, servers["v1"], model_data_url=artifacts[0])
    local_servers.register(sandbox_target, servers["broken"], model_data_url=artifacts[1])
    _blue_green(sandbox_target, artifacts, scale=0.01)
    cw, sm = sandbox_target.client("cloudwatch"), sandbox_target.client("sagemaker")
    dims = [{"Name": "EndpointName", "Value": "bg"}, {"Name": "VariantName", "Value": "primary"}]

    def query(query_id: str, name: str) -> dict[str, Any]:
        metric = {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dims}
        return {
            "Id": query_id,
            "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"},
            "ReturnData": False,
        }

    cw.put_metric_alarm(  # launchpad's <endpoint>-rollback-5xx-rate (deploy.resources.alarm_requests)
        AlarmName="bg-rollback-5xx-rate",
        Metrics=[
            {"Id": "rate", "Expression": "IF((i0) > 0, 100 * (e0) / (i0), 0)", "ReturnData": True},
            query("e0", "Invocation5XXErrors"),
            query("i0", "Invocations"),
        ],
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
        EvaluationPeriods=3,
        DatapointsToAlarm=3,
        TreatMissingData="notBreaching",
        Tags=[{"Key": TIME_SCALE_TAG, "Value": "0.01"}],
    )
    sm.update_endpoint(
        EndpointName="bg", EndpointConfigName="green", DeploymentConfig=_canary(50, ("bg-rollback-5xx-rate",))
    )
    _poll(lambda: _baking(sm))
    answered: list[str] = []

    def traffic() -> None:
        try:
            answered.append(invoke(sandbox_target, "bg", [1])[0]["model"])
        except ClientError as error:
            answered.append(str(error.response.get("OriginalStatusCode")))

    _poll(lambda: sm.describe_endpoint(EndpointName="bg")["EndpointStatus"] != "Updating", between=traffic)
    assert "500" in answered and "v1" in answered  # the canary's half failed; the old fleet's did not
    done = _poll(
        lambda: (d := sm.describe_endpoint(EndpointName="bg"))["EndpointStatus"] == "InService" and d
    )
    assert done["EndpointConfigName"] == "blue"  # rolled back, silently
    alarm = cw.describe_alarm_history(AlarmName="bg-rollback-5xx-rate", HistoryItemType="StateUpdate")
    fired = [h for h in alarm["AlarmHistoryItems"] if h["HistorySummary"].endswith("to ALARM")]
    assert (
        fired
        and "3 out of the last 3 datapoints" in json.loads(fired[0]["HistoryData"])["newState"]["stateReason"]
    )
