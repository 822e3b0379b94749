"""The SageMaker rollout simulation: UpdateEndpoint takes time, bakes, rolls back on alarms, can fail.

Tests scale time with the endpoint's ``launchpad:sandbox:time-scale`` tag (real seconds per AWS second)
and drive the sandbox through boto3 only, as a deploy engine would.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox.patches.sagemaker_rollout import (
    PROVISION_SECONDS,
    ROLLBACK_SECONDS,
    TIME_SCALE_ENV,
    TIME_SCALE_TAG,
    phases,
)
from tests.sandbox.support import client_error, execution_role

ROLE = ""  # this test's execution role (the autouse fixture below)
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve"
ALARM = "error-rate"


@pytest.fixture(autouse=True)
def _execution_role(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real execution role in the test's account: SageMaker checks that it can assume it."""
    if "sandbox_target" in request.fixturenames or "sm" in request.fixturenames:
        target = request.getfixturevalue("sandbox_target")
        monkeypatch.setattr(sys.modules[__name__], "ROLE", execution_role(target))


def canary(wait: int = 600, termination: int = 300, alarms: tuple[str, ...] = (ALARM,)) -> dict:
    deployment: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": wait,
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            },
            "TerminationWaitInSeconds": termination,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }
    if alarms:
        deployment["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return deployment


ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        "WaitIntervalInSeconds": 600,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]},
}


@pytest.fixture
def sm(sandbox_target: AwsTarget) -> Any:
    return sandbox_target.client("sagemaker")


@pytest.fixture
def cw(sandbox_target: AwsTarget) -> Any:
    client = sandbox_target.client("cloudwatch")
    client.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.01,
        ComparisonOperator="GreaterThanThreshold",
    )
    return client


def _config(sm: Any, name: str, image: str) -> str:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image})
    variants = [
        {"VariantName": "primary", "ModelName": name, "InstanceType": "ml.g5.xlarge",
         "InitialInstanceCount": 2, "InitialVariantWeight": 9},
        {"VariantName": "secondary", "ModelName": name, "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1, "InitialVariantWeight": 1},
    ]  # fmt: skip
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants)
    return name


def _endpoint(sm: Any, scale: float | None, new_image: str = f"{IMAGE}:2.0.0", tag: bool = True) -> None:
    """Endpoint ``ep`` on config ``blue`` (image 1.0.0); config ``green`` (``new_image``) to roll out."""
    _config(sm, "blue", f"{IMAGE}:1.0.0")
    _config(sm, "green", new_image)
    tags = [{"Key": TIME_SCALE_TAG, "Value": str(scale)}] if scale is not None and tag else []
    arn = sm.create_endpoint(EndpointName="ep", EndpointConfigName="blue", Tags=tags)["EndpointArn"]
    if scale is not None and not tag:
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": TIME_SCALE_TAG, "Value": str(scale)}])


def _describe(sm: Any) -> dict:
    return sm.describe_endpoint(EndpointName="ep")


def _wait(sm: Any, done: Callable[[dict], bool], timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        endpoint = _describe(sm)
        if done(endpoint):
            return endpoint
        if time.monotonic() > deadline:
            raise AssertionError(f"endpoint never got there: {endpoint['EndpointStatus']}")
        time.sleep(0.02)


def _status(*statuses: str) -> Callable[[dict], bool]:
    return lambda endpoint: endpoint["EndpointStatus"] in statuses


def _images(endpoint: dict, key: str = "ProductionVariants") -> set[str]:
    return {i["SpecifiedImage"] for v in endpoint[key] for i in v.get("DeployedImages", [])}


def _variant_status(endpoint: dict) -> str:
    return endpoint["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["Status"]


# -- the plan ------------------------------------------------------------------------------------
def test_rollout_length_is_provisioning_plus_the_deployments_own_waits() -> None:
    def seconds(deployment: dict | None, instances: int = 4) -> float:
        return sum(p.seconds for p in phases(deployment, instances))

    assert seconds(None) == PROVISION_SECONDS
    assert seconds(canary(600, 300)) == PROVISION_SECONDS + 2 * 600 + 300
    step = {"Type": "INSTANCE_COUNT", "Value": 1}
    linear = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "LINEAR", "WaitIntervalInSeconds": 60, "LinearStepSize": step}}}  # fmt: skip
    assert seconds(linear, instances=4) == PROVISION_SECONDS + 4 * 60
    all_at_once = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE",
                   "WaitIntervalInSeconds": 120}, "TerminationWaitInSeconds": 30}}  # fmt: skip
    assert seconds(all_at_once) == PROVISION_SECONDS + 120 + 30
    assert seconds(ROLLING) == PROVISION_SECONDS + 2 * 600


# -- rollouts ------------------------------------------------------------------------------------
def test_update_shows_updating_then_in_service_on_the_new_config(sm: Any) -> None:
    _endpoint(sm, scale=0.01, tag=False)  # 60 AWS seconds of provisioning: 0.6 s; the tag set by AddTags
    before = _describe(sm)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green")
    updating = _describe(sm)
    assert (updating["EndpointStatus"], updating["EndpointConfigName"]) == ("Updating", "blue")
    assert _images(updating) == {f"{IMAGE}:1.0.0"}
    assert updating["LastModifiedTime"] > before["LastModifiedTime"]
    listed = sm.list_endpoints(StatusEquals="Updating")["Endpoints"]
    assert [e["EndpointName"] for e in listed] == ["ep"]

    time.sleep(PROVISION_SECONDS * 0.01)
    assert [e["EndpointStatus"] for e in sm.list_endpoints()["Endpoints"]] == ["InService"]  # read by listing
    after = _describe(sm)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "green")
    assert _images(after) == {f"{IMAGE}:2.0.0"}
    assert after["LastModifiedTime"] > updating["LastModifiedTime"]
    assert after["CreationTime"] == before["CreationTime"]
    assert "PendingDeploymentSummary" not in after and "FailureReason" not in after


def test_pending_deployment_summary_describes_the_new_config_while_updating(sm: Any) -> None:
    _endpoint(sm, scale=0.01)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary(60, 0, ()))
    endpoint = _describe(sm)
    pending = endpoint["PendingDeploymentSummary"]
    assert (endpoint["EndpointConfigName"], pending["EndpointConfigName"]) == ("blue", "green")
    assert pending["StartTime"] >= endpoint["CreationTime"]
    primary, secondary = pending["ProductionVariants"]
    assert (primary["VariantName"], secondary["VariantName"]) == ("primary", "secondary")
    assert primary["DeployedImages"][0]["SpecifiedImage"] == f"{IMAGE}:2.0.0"
    assert (primary["InstanceType"], primary["DesiredInstanceCount"], primary["DesiredWeight"]) == (
        "ml.g5.xlarge",
        2,
        9,
    )
    assert (primary["VariantStatus"][0]["Status"], primary["CurrentInstanceCount"]) == ("Creating", 0)

    baking = _wait(sm, lambda e: e["EndpointStatus"] != "Updating" or _variant_status(e) == "Baking")
    primary = baking["PendingDeploymentSummary"]["ProductionVariants"][0]
    assert primary["CurrentInstanceCount"] == 2
    assert "traffic step 1 of 2" in primary["VariantStatus"][0]["StatusMessage"]
    done = _wait(sm, _status("InService"))
    assert done["EndpointConfigName"] == "green" and "PendingDeploymentSummary" not in done


def test_canary_rollout_lasts_provisioning_two_bakes_and_the_termination_wait(sm: Any) -> None:
    scale = 0.001
    _endpoint(sm, scale=scale)
    expected = (PROVISION_SECONDS + 2 * 600 + 300) * scale  # 1.56 s
    started = time.monotonic()  # before the call: the server's clock starts within it
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary(600, 300, ()))
    messages = []
    while (endpoint := _describe(sm))["EndpointStatus"] == "Updating":
        message = endpoint["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]
        if message["StatusMessage"] not in messages:
            messages.append(message["StatusMessage"])
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    assert endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == "green"
    # No sooner than the scaled schedule; the ceiling catches an unscaled wait (1,500 s) and leaves a loaded
    # machine room: timing itself is measured in make bench, not asserted here.
    assert expected <= elapsed < expected * 10
    assert [m for m in messages if "Baking" in m or "baking" in m][-3:] == [
        "Baking after traffic step 1 of 2.",
        "Baking after traffic step 2 of 2.",
        "Final baking period before the old fleet is terminated.",
    ]
    assert endpoint["LastDeploymentConfig"] == canary(600, 300, ())


def test_alarm_during_the_bake_rolls_back_to_the_old_config(sm: Any, cw: Any) -> None:
    scale = 0.01  # provisioning 0.6 s, bakes 6 s each, rollback 0.6 s
    _endpoint(sm, scale=scale)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary())
    _wait(sm, lambda e: _variant_status(e) == "Baking")
    cw.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx errors on the canary")
    rolling_back = _describe(sm)
    assert rolling_back["EndpointStatus"] == "RollingBack"
    assert "PendingDeploymentSummary" not in rolling_back
    with pytest.raises(ClientError) as raised:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="green")
    assert client_error(raised)[1] == f'Cannot update in-progress endpoint "{rolling_back["EndpointArn"]}".'

    time.sleep(ROLLBACK_SECONDS * scale)
    after = _describe(sm)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "blue")
    assert _images(after) == {f"{IMAGE}:1.0.0"}
    assert [(v["VariantName"], v["CurrentInstanceCount"]) for v in after["ProductionVariants"]] == [
        ("primary", 2),
        ("secondary", 1),
    ]
    assert "FailureReason" not in after  # silent: only the config name tells
    assert after["LastDeploymentConfig"] == canary()
    assert after["LastModifiedTime"] > rolling_back["LastModifiedTime"]


def test_alarm_that_fired_and_cleared_between_two_reads_still_rolls_back(sm: Any, cw: Any) -> None:
    _endpoint(sm, scale=0.01)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary())
    cw.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="spike")
    cw.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="gone")
    assert _describe(sm)["EndpointStatus"] == "RollingBack"
    assert _wait(sm, _status("InService"))["EndpointConfigName"] == "blue"


def test_blue_green_rollback_works_after_the_old_config_was_deleted(sm: Any, cw: Any) -> None:
    _endpoint(sm, scale=0.005)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary())
    sm.delete_endpoint_config(EndpointConfigName="blue")  # the old fleet still runs until termination
    cw.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="spike")
    after = _wait(sm, _status("InService", "UpdateRollbackFailed"))
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "blue")


def test_alarm_raised_after_the_rollout_completed_changes_nothing(sm: Any, cw: Any) -> None:
    scale = 0.001
    _endpoint(sm, scale=scale)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary(0, 0))
    time.sleep(PROVISION_SECONDS * scale + 0.1)  # done by now, though nobody has looked
    cw.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="later trouble")
    after = _describe(sm)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "green")
    time.sleep(ROLLBACK_SECONDS * scale + 0.05)
    assert _describe(sm)["EndpointConfigName"] == "green"


# -- failures ------------------------------------------------------------------------------------
def test_new_fleet_failing_its_health_check_leaves_the_endpoint_failed(sm: Any) -> None:
    _endpoint(sm, scale=0.01, new_image="launchpad.sandbox/fail:latest")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green")
    assert _describe(sm)["EndpointStatus"] == "Updating"
    failed = _wait(sm, _status("Failed", "InService"))
    assert (failed["EndpointStatus"], failed["EndpointConfigName"]) == ("Failed", "blue")
    assert failed["FailureReason"] == (
        "The primary container for production variant primary did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )
    assert "PendingDeploymentSummary" not in failed
    with pytest.raises(ClientError) as raised:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="blue")
    assert client_error(raised)[1] == f'Cannot update endpoint "{failed["EndpointArn"]}" while it is Failed.'
    with pytest.raises(ClientError):
        sm.update_endpoint_weights_and_capacities(
            EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredWeight": 1}]
        )
    sm.delete_endpoint(EndpointName="ep")  # the only operation a Failed endpoint takes
    assert sm.list_endpoints()["Endpoints"] == []


def test_rolling_rollback_without_the_old_config_ends_update_rollback_failed(sm: Any, cw: Any) -> None:
    scale = 0.01
    _endpoint(sm, scale=scale)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=ROLLING)
    sm.delete_endpoint_config(EndpointConfigName="blue")
    _wait(sm, lambda e: _variant_status(e) == "Baking")
    cw.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx errors on batch 1")
    assert _describe(sm)["EndpointStatus"] == "RollingBack"
    failed = _wait(sm, _status("UpdateRollbackFailed", "InService"))
    assert failed["EndpointStatus"] == "UpdateRollbackFailed"
    assert "could not find endpoint configuration" in failed["FailureReason"]
    assert failed["EndpointConfigName"] == "blue"
    assert _images(failed) == {f"{IMAGE}:1.0.0", f"{IMAGE}:2.0.0"}  # a mix of old and new instances

    cw.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="recovered")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green")  # the remedy: update again
    recovered = _wait(sm, _status("InService"))
    assert recovered["EndpointConfigName"] == "green" and "FailureReason" not in recovered


# -- what is refused, what is not ----------------------------------------------------------------
def test_updates_are_refused_while_updating_and_delete_is_not(sm: Any) -> None:
    _endpoint(sm, scale=0.05)  # 3 s of provisioning
    arn = _describe(sm)["EndpointArn"]
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green")
    attempts = [
        lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="blue"),
        lambda: sm.update_endpoint_weights_and_capacities(
            EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredWeight": 1}]
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as raised:
            attempt()
        assert client_error(raised) == ("ValidationException", f'Cannot update in-progress endpoint "{arn}".')
    assert _describe(sm)["EndpointStatus"] == "Updating"
    sm.delete_endpoint(EndpointName="ep")
    assert sm.list_endpoints()["Endpoints"] == []


def test_time_scale_tag_must_be_a_number(sm: Any) -> None:
    _config(sm, "blue", f"{IMAGE}:1.0.0")
    sm.create_endpoint(
        EndpointName="ep", EndpointConfigName="blue", Tags=[{"Key": TIME_SCALE_TAG, "Value": "fast"}]
    )
    with pytest.raises(ClientError) as raised:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="blue")
    code, message = client_error(raised)
    assert code == "ValidationException" and TIME_SCALE_TAG in message and "'fast'" in message
    assert _describe(sm)["EndpointStatus"] == "InService"


@pytest.mark.skipif(
    os.environ.get(TIME_SCALE_ENV, "0") not in ("", "0"), reason=f"{TIME_SCALE_ENV} is set for this run"
)
def test_without_a_time_scale_rollouts_complete_at_once(sm: Any, cw: Any) -> None:
    _endpoint(sm, scale=None)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary(3600, 3600))
    after = _describe(sm)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "green")
    assert "PendingDeploymentSummary" not in after
