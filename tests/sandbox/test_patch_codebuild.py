"""The CodeBuild patch: build projects round-trip as the AWS API reference describes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from tests.sandbox.support import client_error, service_role, unchecked_client

ENVIRONMENT = {
    "type": "LINUX_CONTAINER",
    "image": "aws/codebuild/standard:7.0",
    "computeType": "BUILD_GENERAL1_SMALL",
    "privilegedMode": False,
    "imagePullCredentialsType": "CODEBUILD",
    "environmentVariables": [{"name": "STAGE", "value": "test", "type": "PLAINTEXT"}],
}
BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - make test\n"


@pytest.fixture
def codebuild(sandbox_target: AwsTarget) -> Any:
    return sandbox_target.client("codebuild")


@pytest.fixture
def unchecked(sandbox_target: AwsTarget) -> Any:
    return unchecked_client(sandbox_target, "codebuild")


def _role(target: AwsTarget) -> str:
    """The project's service role: CodeBuild must be able to assume it (the sandbox checks CreateProject)."""
    return service_role(target, "codebuild", "codebuild.amazonaws.com")


def _pipeline_project(client: Any, target: AwsTarget, name: str = "unit-tests", **extra: Any) -> dict:
    """A project as a pipeline's build action uses it: source and artifacts come from CodePipeline."""
    return client.create_project(
        name=name,
        source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
        artifacts={"type": "CODEPIPELINE"},
        serviceRole=_role(target),
        **{"environment": ENVIRONMENT, **extra},
    )["project"]


def _get(client: Any, name_or_arn: str) -> dict:
    projects = client.batch_get_projects(names=[name_or_arn])["projects"]
    assert len(projects) == 1
    return projects[0]


# -- CreateProject -------------------------------------------------------------------------------
def test_codepipeline_source_and_artifacts_need_no_location(
    codebuild: Any, sandbox_target: AwsTarget
) -> None:
    created = _pipeline_project(codebuild, sandbox_target)
    assert created["source"] == {"type": "CODEPIPELINE", "buildspec": BUILDSPEC}
    assert created["artifacts"] == {"type": "CODEPIPELINE"}
    assert _get(codebuild, "unit-tests")["arn"] == created["arn"]


def test_locations_are_still_required_where_codebuild_fetches_or_stores(
    codebuild: Any, sandbox_target: AwsTarget
) -> None:
    common = {"environment": ENVIRONMENT, "serviceRole": _role(sandbox_target)}
    with pytest.raises(ClientError) as raised:
        codebuild.create_project(
            name="s3-source", source={"type": "S3"}, artifacts={"type": "NO_ARTIFACTS"}, **common
        )
    assert client_error(raised) == ("InvalidInputException", "Project source location is required")
    with pytest.raises(ClientError) as raised:
        codebuild.create_project(
            name="s3-artifacts",
            source={"type": "NO_SOURCE", "buildspec": BUILDSPEC},
            artifacts={"type": "S3"},
            **common,
        )
    assert client_error(raised)[0] == "InvalidInputException"
    assert codebuild.list_projects()["projects"] == []


def test_fields_given_are_returned(codebuild: Any, sandbox_target: AwsTarget) -> None:
    key = f"arn:aws:kms:eu-west-1:{sandbox_target.account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs = {
        "cloudWatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/ci", "streamName": "unit"},
        "s3Logs": {"status": "DISABLED", "encryptionDisabled": False},
    }
    vpc = {"vpcId": "vpc-1", "subnets": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"]}
    _pipeline_project(
        codebuild,
        sandbox_target,
        description="Unit tests",
        encryptionKey=key,
        timeoutInMinutes=30,
        queuedTimeoutInMinutes=60,
        logsConfig=logs,
        vpcConfig=vpc,
        concurrentBuildLimit=2,
        badgeEnabled=True,
        tags=[{"key": "team", "value": "ml"}],
    )
    project = _get(codebuild, "unit-tests")
    assert project["encryptionKey"] == key
    assert (project["timeoutInMinutes"], project["queuedTimeoutInMinutes"]) == (30, 60)
    assert project["logsConfig"] == logs
    assert project["vpcConfig"] == vpc
    assert project["concurrentBuildLimit"] == 2
    assert project["badge"]["badgeEnabled"] is True and project["badge"]["badgeRequestUrl"].startswith(
        "https://"
    )
    assert project["environment"] == ENVIRONMENT
    assert (project["description"], project["tags"]) == ("Unit tests", [{"key": "team", "value": "ml"}])


def test_defaults_when_left_out(codebuild: Any, sandbox_target: AwsTarget) -> None:
    environment = {**ENVIRONMENT, "environmentVariables": [{"name": "STAGE", "value": "test"}]}
    codebuild.create_project(
        name="defaults",
        source={"type": "CODEPIPELINE"},
        artifacts={"type": "CODEPIPELINE"},
        environment=environment,
        serviceRole=_role(sandbox_target),
    )
    project = _get(codebuild, "defaults")
    assert project["encryptionKey"] == f"arn:aws:kms:eu-west-1:{sandbox_target.account_id}:alias/aws/s3"
    assert (project["timeoutInMinutes"], project["queuedTimeoutInMinutes"]) == (60, 480)
    assert project["badge"] == {"badgeEnabled": False}
    assert project["cache"] == {"type": "NO_CACHE"}
    assert project["logsConfig"]["cloudWatchLogs"]["status"] == "ENABLED"
    assert project["logsConfig"]["s3Logs"]["status"] == "DISABLED"
    assert project["environment"]["environmentVariables"] == [
        {"name": "STAGE", "value": "test", "type": "PLAINTEXT"}
    ]
    assert "vpcConfig" not in project and "concurrentBuildLimit" not in project
    assert isinstance(project["created"], datetime) and project["created"] == project["lastModified"]


@pytest.mark.parametrize(
    ("environment_type", "compute_type"),
    [
        ("LINUX_CONTAINER", "BUILD_GENERAL1_XLARGE"),
        ("ARM_EC2", "BUILD_GENERAL1_SMALL"),
        ("LINUX_LAMBDA_CONTAINER", "BUILD_LAMBDA_4GB"),
    ],
)
def test_current_environment_and_compute_types_are_accepted(
    codebuild: Any, sandbox_target: AwsTarget, environment_type: str, compute_type: str
) -> None:
    environment = {**ENVIRONMENT, "type": environment_type, "computeType": compute_type}
    _pipeline_project(codebuild, sandbox_target, name="typed")
    codebuild.update_project(name="typed", environment=environment)
    assert _get(codebuild, "typed")["environment"]["computeType"] == compute_type


def test_constraints_of_the_api_are_checked(unchecked: Any, sandbox_target: AwsTarget) -> None:
    with pytest.raises(ClientError) as raised:
        _pipeline_project(unchecked, sandbox_target, timeoutInMinutes=1)
    code, message = client_error(raised)
    assert code == "ValidationException" and "'timeoutInMinutes'" in message
    with pytest.raises(ClientError) as raised:
        _pipeline_project(unchecked, sandbox_target, environment={**ENVIRONMENT, "computeType": "BUILD_HUGE"})
    assert "enum value set" in client_error(raised)[1]
    assert unchecked.list_projects()["projects"] == []


def test_a_name_in_use_is_refused(codebuild: Any, sandbox_target: AwsTarget) -> None:
    created = _pipeline_project(codebuild, sandbox_target)
    with pytest.raises(ClientError) as raised:
        _pipeline_project(codebuild, sandbox_target)
    assert client_error(raised) == (
        "ResourceAlreadyExistsException",
        f"Project already exists: {created['arn']}",
    )


# -- UpdateProject -------------------------------------------------------------------------------
def test_update_changes_only_the_fields_given(codebuild: Any, sandbox_target: AwsTarget) -> None:
    key = f"arn:aws:kms:eu-west-1:{sandbox_target.account_id}:key/k"
    before = _pipeline_project(codebuild, sandbox_target, encryptionKey=key, timeoutInMinutes=30)
    environment = {
        **ENVIRONMENT,
        "environmentVariables": [{"name": "STAGE", "value": "unit", "type": "PLAINTEXT"}],
    }
    updated = codebuild.update_project(name="unit-tests", environment=environment, description="now")[
        "project"
    ]
    after = _get(codebuild, before["arn"])
    assert updated == after
    assert after["environment"] == environment and after["description"] == "now"
    assert (after["encryptionKey"], after["timeoutInMinutes"], after["source"]) == (key, 30, before["source"])
    assert after["created"] == before["created"] and after["lastModified"] >= before["lastModified"]


def test_update_removes_what_the_api_says_it_removes(codebuild: Any, sandbox_target: AwsTarget) -> None:
    vpc = {"vpcId": "vpc-1", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}
    _pipeline_project(
        codebuild, sandbox_target, vpcConfig=vpc, concurrentBuildLimit=3, tags=[{"key": "a", "value": "1"}]
    )
    codebuild.update_project(
        name="unit-tests",
        vpcConfig={},
        concurrentBuildLimit=-1,
        tags=[{"key": "b", "value": "2"}],
    )
    project = _get(codebuild, "unit-tests")
    assert "vpcConfig" not in project and "concurrentBuildLimit" not in project
    assert project["tags"] == [{"key": "b", "value": "2"}]


def test_update_of_an_unknown_project_is_not_found(codebuild: Any) -> None:
    with pytest.raises(ClientError) as raised:
        codebuild.update_project(name="missing", description="x")
    assert client_error(raised)[0] == "ResourceNotFoundException"


# -- BatchGetProjects / DeleteProject ------------------------------------------------------------
def test_batch_get_reports_projects_not_found(codebuild: Any, sandbox_target: AwsTarget) -> None:
    created = _pipeline_project(codebuild, sandbox_target)
    answer = codebuild.batch_get_projects(names=[created["arn"], "missing"])
    assert [p["name"] for p in answer["projects"]] == ["unit-tests"]
    assert answer["projectsNotFound"] == ["missing"]


@pytest.mark.parametrize("by", ["name", "arn"])
def test_delete_by_name_or_arn(codebuild: Any, sandbox_target: AwsTarget, by: str) -> None:
    created = _pipeline_project(codebuild, sandbox_target)
    _pipeline_project(codebuild, sandbox_target, name="stays")
    codebuild.delete_project(name=created[by])
    assert codebuild.list_projects()["projects"] == ["stays"]
    assert codebuild.batch_get_projects(names=[created["arn"]])["projects"] == []


# -- builds ----------------------------------------------------------------------------------------------
def test_builds_are_listed_and_one_whose_role_may_not_log_fails_in_provisioning(
    codebuild: Any, sandbox_target: AwsTarget
) -> None:
    """The project's role has no CloudWatch Logs permission: CodeBuild cannot open the build's log stream,
    so the build fails before anything runs (ACCESS_DENIED in PROVISIONING)."""
    codebuild.create_project(
        name="unlogged",
        source={"type": "NO_SOURCE", "buildspec": BUILDSPEC},
        artifacts={"type": "NO_ARTIFACTS"},
        environment=ENVIRONMENT,
        serviceRole=_role(sandbox_target),
    )
    first, second = (codebuild.start_build(projectName="unlogged")["build"]["id"] for _ in range(2))
    assert codebuild.list_builds_for_project(projectName="unlogged")["ids"] == [second, first]
    assert codebuild.list_builds_for_project(projectName="unlogged", sortOrder="ASCENDING")["ids"] == [
        first,
        second,
    ]
    assert codebuild.list_builds()["ids"] == [second, first]
    answer = codebuild.batch_get_builds(ids=[first, "unlogged:missing"])
    assert [b["id"] for b in answer["builds"]] == [first] and answer["buildsNotFound"] == ["unlogged:missing"]
    with pytest.raises(ClientError) as raised:
        codebuild.batch_get_builds(ids=["no-colon"])
    assert client_error(raised) == ("InvalidInputException", "Invalid build ID provided")
    with pytest.raises(ClientError) as raised:
        codebuild.list_builds_for_project(projectName="missing")
    assert client_error(raised)[0] == "ResourceNotFoundException"
    build = workloads.wait_for_build(sandbox_target, first, timeout=300, interval=0.05)  # may queue
    assert (build["buildStatus"], build["buildNumber"], build["initiator"]) == (
        "FAILED",
        1,
        f"arn:aws:iam::{sandbox_target.account_id}:root",
    )
    assert isinstance(build["startTime"], datetime) and build["endTime"] >= build["startTime"]
    assert [p["phaseType"] for p in build["phases"]] == [
        "SUBMITTED",
        "QUEUED",
        "PROVISIONING",
        "FINALIZING",
        "COMPLETED",
    ]
    [context] = build["phases"][2]["contexts"]
    assert context["statusCode"] == "ACCESS_DENIED"
    assert context["message"].startswith(
        f"Service role {_role(sandbox_target)} does not allow AWS CodeBuild to create Amazon CloudWatch Logs "
        f"log streams for build {build['arn']}. Error message: User: "
        f"arn:aws:sts::{sandbox_target.account_id}:assumed-role/codebuild/AWSCodeBuild-"
    )
    assert "is not authorized to perform: logs:CreateLogGroup" in context["message"]
