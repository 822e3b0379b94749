"""The CodePipeline patch: pipelines round-trip as the AWS API reference describes them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from tests.sandbox.support import client_error, unchecked_client

SERVICE_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "codepipeline.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


@pytest.fixture
def codepipeline(sandbox_target: AwsTarget) -> Any:
    return sandbox_target.client("codepipeline")


def _role(target: AwsTarget, name: str = "codepipeline", *statements: dict) -> str:
    policy = {"Version": "2012-10-17", "Statement": list(statements) or [SERVICE_TRUST]}
    iam = target.client("iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]


def _connection(target: AwsTarget) -> str:
    connection_id = "6a4bf1a2-0b3e-4c59-9f0e-1d2c3b4a5f60"
    return f"arn:aws:codeconnections:eu-west-1:{target.account_id}:connection/{connection_id}"


def _stages(target: AwsTarget, branch: str = "main") -> list[dict]:
    """Source from a connection (AWS does not check it at CreatePipeline), a build and an approval.

    Every action lists its artifacts, as GetPipeline returns them (an empty list when there are none).
    """
    return [
        {
            "name": "Source",
            "actions": [
                {
                    "name": "Checkout",
                    "actionTypeId": {
                        "category": "Source",
                        "owner": "AWS",
                        "provider": "CodeStarSourceConnection",
                        "version": "1",
                    },
                    "configuration": {
                        "ConnectionArn": _connection(target),
                        "FullRepositoryId": "org/repo",
                        "BranchName": branch,
                        "DetectChanges": "false",
                    },
                    "inputArtifacts": [],
                    "outputArtifacts": [{"name": "source"}],
                    "runOrder": 1,
                }
            ],
        },
        {
            "name": "Build",
            "actions": [
                {
                    "name": "Test",
                    "actionTypeId": {
                        "category": "Build",
                        "owner": "AWS",
                        "provider": "CodeBuild",
                        "version": "1",
                    },
                    "configuration": {
                        "ProjectName": "unit-tests",
                        "PrimarySource": "source",
                        "EnvironmentVariables": json.dumps(
                            [{"name": "STAGE", "value": "ci", "type": "PLAINTEXT"}]
                        ),
                    },
                    "inputArtifacts": [{"name": "source"}],
                    "outputArtifacts": [{"name": "tested"}],
                    "runOrder": 1,
                },
                {
                    "name": "Approve",
                    "actionTypeId": {
                        "category": "Approval",
                        "owner": "AWS",
                        "provider": "Manual",
                        "version": "1",
                    },
                    "configuration": {
                        "NotificationArn": f"arn:aws:sns:eu-west-1:{target.account_id}:approvals",
                        "CustomData": "Ship it?",
                        "ExternalEntityLink": "https://example.com/run",
                    },
                    "inputArtifacts": [],
                    "outputArtifacts": [],
                    "runOrder": 2,
                },
            ],
        },
    ]


def _declaration(target: AwsTarget, role: str, name: str = "ci", **extra: Any) -> dict:
    return {
        "name": name,
        "roleArn": role,
        "artifactStore": {
            "type": "S3",
            "location": "artifacts-bucket",
            "encryptionKey": {"id": f"arn:aws:kms:eu-west-1:{target.account_id}:key/k", "type": "KMS"},
        },
        "stages": _stages(target),
        **extra,
    }


V2 = {
    "pipelineType": "V2",
    "executionMode": "QUEUED",
    "variables": [{"name": "MODEL_VERSION", "defaultValue": "latest", "description": "Model version"}],
    "triggers": [
        {
            "providerType": "CodeStarSourceConnection",
            "gitConfiguration": {
                "sourceActionName": "Checkout",
                "push": [{"branches": {"includes": ["main"]}}],
            },
        }
    ],
}


def _raw(client: Any, operation: str, **params: Any) -> dict:
    """The JSON body the sandbox sent, before botocore (lenient about timestamps) parses it."""
    bodies: list[bytes] = []
    event = f"before-parse.codepipeline.{operation}"

    def keep(response_dict: dict, **_: Any) -> None:
        bodies.append(response_dict["body"])

    client.meta.events.register(event, keep)
    try:
        getattr(client, xform_name(operation))(**params)
    finally:
        client.meta.events.unregister(event, keep)
    return json.loads(bodies[-1])


# -- timestamps ----------------------------------------------------------------------------------
def test_times_are_epoch_seconds_as_the_json_protocol_sends_them(
    codepipeline: Any, sandbox_target: AwsTarget
) -> None:
    codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, _role(sandbox_target)))
    metadata = _raw(codepipeline, "GetPipeline", name="ci")["metadata"]
    assert isinstance(metadata["created"], (int, float)) and isinstance(metadata["updated"], (int, float))
    summary = _raw(codepipeline, "ListPipelines")["pipelines"][0]
    assert isinstance(summary["created"], (int, float)) and summary["version"] == 1
    started = codepipeline.start_pipeline_execution(name="ci")["pipelineExecutionId"]
    execution = _raw(codepipeline, "ListPipelineExecutions", pipelineName="ci")["pipelineExecutionSummaries"][
        0
    ]
    assert execution["pipelineExecutionId"] == started
    assert isinstance(execution["startTime"], (int, float)) and isinstance(
        execution["lastUpdateTime"], (int, float)
    )


# -- the declaration round-trips -----------------------------------------------------------------
def test_v2_declaration_is_returned_as_given(codepipeline: Any, sandbox_target: AwsTarget) -> None:
    declaration = _declaration(sandbox_target, _role(sandbox_target), **V2)
    codepipeline.create_pipeline(pipeline=declaration, tags=[{"key": "team", "value": "ml"}])
    answer = codepipeline.get_pipeline(name="ci")
    pipeline = answer["pipeline"]
    for key in (
        "pipelineType",
        "executionMode",
        "variables",
        "triggers",
        "artifactStore",
        "stages",
        "roleArn",
    ):
        assert pipeline[key] == declaration[key], key
    assert pipeline["version"] == 1
    assert (
        answer["metadata"]["pipelineArn"] == f"arn:aws:codepipeline:eu-west-1:{sandbox_target.account_id}:ci"
    )


def test_pipeline_type_and_execution_mode_defaults(codepipeline: Any, sandbox_target: AwsTarget) -> None:
    role = _role(sandbox_target)
    codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, role, name="plain"))
    codepipeline.create_pipeline(
        pipeline=_declaration(sandbox_target, role, name="triggered", triggers=V2["triggers"])
    )
    plain = codepipeline.get_pipeline(name="plain")["pipeline"]
    triggered = codepipeline.get_pipeline(name="triggered")["pipeline"]
    assert (plain["pipelineType"], plain["executionMode"]) == ("V1", "SUPERSEDED")
    assert (triggered["pipelineType"], triggered["executionMode"]) == ("V2", "SUPERSEDED")
    summaries = codepipeline.list_pipelines()["pipelines"]
    assert [(p["name"], p["pipelineType"], p["executionMode"]) for p in summaries] == [
        ("plain", "V1", "SUPERSEDED"),
        ("triggered", "V2", "SUPERSEDED"),
    ]


def test_update_replaces_the_declaration_and_moves_the_version(
    codepipeline: Any, sandbox_target: AwsTarget
) -> None:
    declaration = _declaration(sandbox_target, _role(sandbox_target), **V2)
    codepipeline.create_pipeline(pipeline=declaration, tags=[{"key": "team", "value": "ml"}])
    before = codepipeline.get_pipeline(name="ci")
    changed = {
        **declaration,
        "executionMode": "PARALLEL",
        "stages": _stages(sandbox_target, branch="release"),
    }
    assert codepipeline.update_pipeline(pipeline=changed)["pipeline"]["version"] == 2
    after = codepipeline.get_pipeline(name="ci")
    assert after["pipeline"]["executionMode"] == "PARALLEL"
    assert after["pipeline"]["stages"][0]["actions"][0]["configuration"]["BranchName"] == "release"
    assert after["metadata"]["created"] == before["metadata"]["created"]
    assert after["metadata"]["updated"] >= before["metadata"]["updated"]
    arn = after["metadata"]["pipelineArn"]
    assert codepipeline.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "ml"}]


def test_tags_are_listed_added_and_removed(codepipeline: Any, sandbox_target: AwsTarget) -> None:
    declaration = _declaration(sandbox_target, _role(sandbox_target))
    codepipeline.create_pipeline(
        pipeline=declaration, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    )
    arn = codepipeline.get_pipeline(name="ci")["metadata"]["pipelineArn"]
    codepipeline.tag_resource(resourceArn=arn, tags=[{"key": "c", "value": "3"}])
    codepipeline.untag_resource(resourceArn=arn, tagKeys=["b"])
    assert codepipeline.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "1"},
        {"key": "c", "value": "3"},
    ]


# -- CreatePipeline checks -----------------------------------------------------------------------
def test_trust_policies_listing_services_or_other_principals_are_accepted(
    codepipeline: Any, sandbox_target: AwsTarget
) -> None:
    role = _role(
        sandbox_target,
        "mixed",
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{sandbox_target.account_id}:root"},
            "Action": "sts:AssumeRole",
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": ["events.amazonaws.com", "codepipeline.amazonaws.com"]},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        },
    )
    codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, role))
    assert [p["name"] for p in codepipeline.list_pipelines()["pipelines"]] == ["ci"]


@pytest.mark.parametrize("trusted_service", ["codebuild.amazonaws.com", None])
def test_a_role_codepipeline_cannot_assume_is_refused(
    codepipeline: Any, sandbox_target: AwsTarget, trusted_service: str | None
) -> None:
    if trusted_service:
        statement = {"Effect": "Allow", "Principal": {"Service": trusted_service}, "Action": "sts:AssumeRole"}
        role = _role(sandbox_target, "other", statement)
    else:
        role = f"arn:aws:iam::{sandbox_target.account_id}:role/missing"
    with pytest.raises(ClientError) as raised:
        codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, role))
    assert client_error(raised) == (
        "InvalidStructureException",
        f"CodePipeline is not authorized to perform AssumeRole on role {role}",
    )
    assert codepipeline.list_pipelines()["pipelines"] == []


def test_a_name_in_use_is_refused(codepipeline: Any, sandbox_target: AwsTarget) -> None:
    declaration = _declaration(sandbox_target, _role(sandbox_target))
    codepipeline.create_pipeline(pipeline=declaration)
    with pytest.raises(ClientError) as raised:
        codepipeline.create_pipeline(pipeline=declaration)
    assert client_error(raised)[0] == "PipelineNameInUseException"


def test_delete_leaves_nothing_behind(codepipeline: Any, sandbox_target: AwsTarget) -> None:
    codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, _role(sandbox_target)))
    codepipeline.delete_pipeline(name="ci")
    assert codepipeline.list_pipelines()["pipelines"] == []
    with pytest.raises(ClientError) as raised:
        codepipeline.get_pipeline(name="ci")
    assert client_error(raised)[0] == "PipelineNotFoundException"


# -- executions ----------------------------------------------------------------------------------------
def test_creating_a_pipeline_starts_it_and_executions_answer_with_aws_shapes_and_errors(
    codepipeline: Any, sandbox_target: AwsTarget
) -> None:
    """CreatePipeline starts the first execution; its source (a CodeStarSourceConnection, which the sandbox
    refuses loudly) fails it. GetPipelineState and ListActionExecutions send epoch seconds."""
    codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, _role(sandbox_target)))
    run = workloads.PipelineRun(sandbox_target, "ci", poll_interval=0.05)
    run.follow_latest()
    assert run.wait(30) == "Failed"
    execution = run.describe()
    assert execution["trigger"] == {"triggerType": "CreatePipeline", "triggerDetail": ""}
    assert (execution["executionMode"], execution["executionType"]) == ("SUPERSEDED", "STANDARD")
    state = _raw(codepipeline, "GetPipelineState", name="ci")
    assert isinstance(state["created"], (int, float)) and state["pipelineVersion"] == 1
    source = state["stageStates"][0]
    assert source["latestExecution"] == {
        "pipelineExecutionId": run.execution,
        "status": "Failed",
        "type": "STANDARD",
    }
    latest = source["actionStates"][0]["latestExecution"]
    assert isinstance(latest["lastStatusChange"], (int, float)) and latest["status"] == "Failed"
    assert latest["errorDetails"]["message"].startswith(
        "launchpad sandbox: CodeStarSourceConnection source actions are not modelled"
    )
    assert "latestExecution" not in state["stageStates"][1]  # the build stage never ran
    [detail] = _raw(codepipeline, "ListActionExecutions", pipelineName="ci")["actionExecutionDetails"]
    assert isinstance(detail["startTime"], (int, float)) and detail["input"]["region"] == "eu-west-1"
    assert detail["input"]["configuration"]["FullRepositoryId"] == "org/repo"


def test_execution_calls_answer_aws_errors(codepipeline: Any, sandbox_target: AwsTarget) -> None:
    codepipeline.create_pipeline(pipeline=_declaration(sandbox_target, _role(sandbox_target)))
    run = workloads.PipelineRun(sandbox_target, "ci", poll_interval=0.05)
    run.follow_latest()
    run.wait(30)
    unknown = "00000000-0000-0000-0000-000000000000"
    calls = [
        ("PipelineNotFoundException", "get_pipeline_state", {"name": "missing"}),
        (
            "PipelineExecutionNotFoundException",
            "get_pipeline_execution",
            {"pipelineName": "ci", "pipelineExecutionId": unknown},
        ),
        ("InvalidNextTokenException", "list_pipeline_executions", {"pipelineName": "ci", "nextToken": "x"}),
        (
            "PipelineExecutionNotStoppableException",
            "stop_pipeline_execution",
            {"pipelineName": "ci", "pipelineExecutionId": run.execution},
        ),
        (
            "ActionNotFoundException",
            "put_approval_result",
            {
                "pipelineName": "ci",
                "stageName": "Build",
                "actionName": "Missing",
                "result": {"status": "Approved", "summary": "ok"},
                "token": unknown,
            },
        ),
    ]
    for code, operation, params in calls:
        with pytest.raises(ClientError) as raised:
            getattr(codepipeline, operation)(**params)
        assert client_error(raised)[0] == code, operation
    unchecked = unchecked_client(sandbox_target, "codepipeline")
    with pytest.raises(ClientError) as raised:
        unchecked.list_action_executions(pipelineName="ci", maxResults=500)
    assert client_error(raised) == (
        "ValidationException",
        "1 validation error detected: Value '500' at 'maxResults' failed to satisfy constraint: Member must "
        "have value less than or equal to 100",
    )
