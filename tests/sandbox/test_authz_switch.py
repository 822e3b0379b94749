"""The documented switch: ``LAUNCHPAD_SANDBOX_AUTHZ=off`` (or ``0``/``false``/``no``) in the sandbox server's
environment turns authorization off, for debugging: a role session may then call what its policies do not
allow, and SageMaker no longer checks that it can assume an execution role. Any other value, or none,
leaves it on (the session's own sandbox, with the same calls, refuses them)."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import Sandbox, authz, workloads
from tests.sandbox.support import client_error, service_role

pytestmark = pytest.mark.sandbox

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve:1"


@pytest.mark.parametrize(
    ("value", "on"),
    [
        (None, True),
        ("on", True),
        ("", True),
        ("1", True),
        ("yes", True),
        ("off", False),
        (" OFF ", False),
        ("0", False),
        ("false", False),
        ("No", False),
    ],
)
def test_the_switch_reads_off_0_false_and_no_as_off(
    monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool
) -> None:
    if value is None:
        monkeypatch.delenv(authz.SWITCH_ENV, raising=False)
    else:
        monkeypatch.setenv(authz.SWITCH_ENV, value)
    assert authz.enabled() is on


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second sandbox server, started with ``LAUNCHPAD_SANDBOX_AUTHZ=off``; its URL."""
    box = Sandbox(Path(tmp_path_factory.mktemp("authz-off")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(authz.SWITCH_ENV, "off")
        info = box.up(owner_pid=os.getpid())
    try:
        yield info.url
    finally:
        box.down()


def _stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_launchpad/authz/stats", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def _policyless_session(target: AwsTarget) -> AwsTarget:
    """A session of a role CodeBuild may take, which has no policy at all."""
    role = service_role(target, "policyless", "codebuild.amazonaws.com")
    return workloads.service_session(target, role, "codebuild.amazonaws.com")


def _bucket_calls(session: AwsTarget) -> list[str]:
    s3 = session.client("s3")
    s3.create_bucket(
        Bucket=f"unguarded-{session.account_id}",
        CreateBucketConfiguration={"LocationConstraint": session.region},
    )
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_with_authorization_on_a_role_without_policies_is_refused(sandbox_target: AwsTarget) -> None:
    assert _stats(sandbox_target.endpoint_url or "")["enabled"] is True
    session = _policyless_session(sandbox_target)
    with pytest.raises(ClientError) as raised:
        _bucket_calls(session)
    assert client_error(raised)[0] == "AccessDenied"
    assert "is not authorized to perform: s3:CreateBucket" in client_error(raised)[1]
    assert sandbox_target.client("s3").list_buckets()["Buckets"] == []


@pytest.mark.xdist_group("authz-off")  # one second server per run
def test_with_authorization_off_a_role_without_policies_may_call_anything(unguarded: str) -> None:
    assert _stats(unguarded)["enabled"] is False
    target = AwsTarget.sandbox(unguarded)
    session = _policyless_session(target)
    assert _bucket_calls(session) == [f"unguarded-{target.account_id}"]
    assert target.client("s3").list_buckets()["Buckets"][0]["Name"] == f"unguarded-{target.account_id}"


@pytest.mark.xdist_group("authz-off")  # one second server per run
def test_with_authorization_off_sagemaker_takes_any_execution_role_and_runs_any_fleet(unguarded: str) -> None:
    target = AwsTarget.sandbox(unguarded)
    untrusting = service_role(target, "not-for-sagemaker", "ec2.amazonaws.com")
    sm = target.client("sagemaker")
    container = {"Image": IMAGE, "ModelDataUrl": f"s3://nowhere-{target.account_id}/model.tar.gz"}
    sm.create_model(ModelName="unchecked", ExecutionRoleArn=untrusting, PrimaryContainer=container)
    assert sm.describe_model(ModelName="unchecked")["ExecutionRoleArn"] == untrusting
    variant = {
        "VariantName": "main",
        "ModelName": "unchecked",
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sm.create_endpoint_config(EndpointConfigName="unchecked", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="unchecked", EndpointConfigName="unchecked")
    described = sm.describe_endpoint(EndpointName="unchecked")  # the fleet is not run as the role either
    assert described["EndpointStatus"] == "InService" and "FailureReason" not in described
