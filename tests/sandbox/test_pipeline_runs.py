"""CodePipeline executions run on the sandbox, and CodeBuild builds run their buildspecs as local processes.

One sandbox account serves the module (buckets, roles, the build image's stand-in, the approval topic); each
test makes its own pipelines or projects. Every pipeline is created before its source object exists, so the
execution CodePipeline starts at creation fails at its source at once; the tests start their own.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import build_images, images, workloads
from launchpad.sandbox.bench_pipeline import action as declare_action
from launchpad.sandbox.bench_pipeline import measure_pipeline
from launchpad.sandbox.manager import Sandbox
from launchpad.sandbox.workloads import PipelineRun
from tests.sandbox.support import client_error, service_role

pytestmark = pytest.mark.sandbox

IMAGE = "aws/codebuild/standard:7.0"
# The stand-in of the build image: this interpreter (with boto3) first on the PATH, as the image's python.
PATH = f"{Path(sys.executable).parent}:/usr/bin:/bin"
PHASES = [
    "SUBMITTED",
    "QUEUED",
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
    "COMPLETED",
]
# The sandbox runs two builds at once; in a full test run other tests' builds may hold both for a while.
WAIT = 300.0
DENIED_CALL = "python -c \"import boto3; boto3.client('sagemaker').list_models()\""
WHO_AM_I = "python -c \"import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])\""
DOWNLOAD = "python -c \"import urllib.request as u; u.urlopen('https://pypi.org/simple/', timeout=5)\""


@dataclass(frozen=True)
class Account:
    target: AwsTarget
    source: str
    store: str
    build_role: str
    pipeline_role: str
    topic: str
    queue: str

    def client(self, service: str) -> Any:
        return self.target.client(service)


def _allow(actions: list[str] | str, resource: list[str] | str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> Account:
    target = AwsTarget.sandbox(sandbox_url)
    region, number = target.region, target.account_id
    s3 = target.client("s3")
    source, store = f"sources-{number}", f"artifacts-{number}"
    for bucket in (source, store):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    topic = target.client("sns").create_topic(Name="approvals")["TopicArn"]
    sqs = target.client("sqs")
    queue = sqs.create_queue(QueueName="approvers")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    target.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    build_role = service_role(
        target,
        "builds",
        "codebuild.amazonaws.com",
        [
            _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
            _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{store}/*"),
            _allow(["s3:GetBucketAcl", "s3:GetBucketLocation"], f"arn:aws:s3:::{store}"),
        ],
    )
    pipeline_role = service_role(
        target,
        "pipelines",
        "codepipeline.amazonaws.com",
        [
            _allow(["s3:GetBucketVersioning"], f"arn:aws:s3:::{source}"),
            _allow(["s3:GetObject", "s3:GetObjectVersion"], f"arn:aws:s3:::{source}/*"),
            _allow("s3:PutObject", f"arn:aws:s3:::{store}/*"),
            _allow(
                ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                f"arn:aws:codebuild:{region}:{number}:project/*",
            ),
            _allow("sns:Publish", topic),
        ],
    )
    build_images.register(target, IMAGE, {"PATH": PATH, "STAND_IN": "python-image"})
    return Account(target, source, store, build_role, pipeline_role, topic, queue)


# -- making pipelines ----------------------------------------------------------------------------------------
def _source(account: Account, name: str) -> dict:
    where = {"S3Bucket": account.source, "S3ObjectKey": f"{name}.zip", "PollForSourceChanges": "false"}
    return {
        "name": "Source",
        "actions": [declare_action("Source", "Source", "S3", where, outputs=["SourceArtifact"])],
    }


def _build(
    stage: str, project: str, inputs: list[str], outputs: list[str] = (), **configuration: str
) -> dict:
    action = declare_action(
        stage,
        "Build",
        "CodeBuild",
        {"ProjectName": project, **configuration},
        inputs=inputs,
        outputs=list(outputs),
    )
    return {"name": stage, "actions": [action]}


def _approval(account: Account, stage: str = "Approve") -> dict:
    configuration = {"NotificationArn": account.topic, "CustomData": "Ship it?"}
    return {"name": stage, "actions": [declare_action("Approval", "Approval", "Manual", configuration)]}


def _project(account: Account, name: str, buildspec: dict[str, Any], **extra: Any) -> None:
    account.client("codebuild").create_project(
        name=name,
        source={"type": "CODEPIPELINE", "buildspec": json.dumps(buildspec)},
        artifacts={"type": "CODEPIPELINE"},
        environment={"type": "LINUX_CONTAINER", "image": IMAGE, "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=account.build_role,
        **extra,
    )


def _pipeline(account: Account, name: str, stages: list[dict], **extra: Any) -> PipelineRun:
    """The pipeline, once the execution its creation started is over (it fails: no source object yet)."""
    declaration = {
        "name": name,
        "roleArn": account.pipeline_role,
        "artifactStore": {"type": "S3", "location": account.store},
        "stages": stages,
        **extra,
    }
    account.client("codepipeline").create_pipeline(pipeline=declaration)
    run = PipelineRun(account.target, name, poll_interval=0.05)
    run.follow_latest()
    assert run.wait(WAIT) == "Failed"
    return run


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _upload(account: Account, name: str, files: dict[str, str]) -> str:
    """The pipeline's source object (a zip of ``files``); its version id."""
    put = account.client("s3").put_object(Bucket=account.source, Key=f"{name}.zip", Body=_zip(files))
    return str(put["VersionId"])


def _read_zip(account: Account, location: dict[str, str]) -> dict[str, str]:
    body = account.client("s3").get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def _build_of(account: Account, build_id: str) -> dict[str, Any]:
    [build] = account.client("codebuild").batch_get_builds(ids=[build_id])["builds"]
    return dict(build)


# -- a pipeline that runs its build ----------------------------------------------------------------------
BUILDSPEC = {
    "version": 0.2,
    "env": {
        "variables": {"GREETING": "from-buildspec", "STAGE": "overridden"},
        "exported-variables": ["BUILT"],
    },
    "phases": {
        "install": {"runtime-versions": {"python": "3.x"}},
        "build": {
            "commands": [
                "cat hello.txt > out.txt",
                'echo "$GREETING $STAGE $CODEBUILD_INITIATOR $STAND_IN" >> out.txt',
                f"{WHO_AM_I} >> out.txt",
                "env | cut -d= -f1 | sort > names.txt",
                "export BUILT=yes",
            ]
        },
    },
    "artifacts": {"files": ["out.txt", "names.txt"]},
}
# What a build's environment holds: CodeBuild's variables, the session's, the image's and the declared ones.
ENVIRONMENT_NAMES = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_EC2_METADATA_DISABLED",
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
    "STAND_IN",
    "GREETING",
    "STAGE",
}


def test_a_pipeline_runs_its_build_as_the_projects_role_and_hands_the_artifact_on(account: Account) -> None:
    _project(account, "hello-build", BUILDSPEC)
    variables = json.dumps([{"name": "STAGE", "value": "ci", "type": "PLAINTEXT"}])
    build_stage = _build(
        "Build", "hello-build", ["SourceArtifact"], ["BuildArtifact"], EnvironmentVariables=variables
    )
    run = _pipeline(account, "hello", [_source(account, "hello"), build_stage])
    [created] = account.client("codepipeline").list_pipeline_executions(pipelineName="hello")[
        "pipelineExecutionSummaries"
    ]
    assert (created["trigger"]["triggerType"], created["status"]) == ("CreatePipeline", "Failed")
    assert run.action("Source", "Source")["output"]["executionResult"]["errorDetails"] == {
        "code": "JobFailed",
        "message": f"The object with key 'hello.zip' does not exist in bucket '{account.source}'.",
    }

    version = _upload(account, "hello", {"hello.txt": "hello from the source\n"})
    run.start()
    assert run.wait(WAIT) == "Succeeded"
    execution = run.describe()
    assert execution["trigger"]["triggerType"] == "StartPipelineExecution"
    assert [(r["name"], r["revisionId"]) for r in execution["artifactRevisions"]] == [
        ("SourceArtifact", version)
    ]
    summaries = account.client("codepipeline").list_pipeline_executions(pipelineName="hello")[
        "pipelineExecutionSummaries"
    ]
    assert [s["status"] for s in summaries] == ["Succeeded", "Failed"]
    assert summaries[0]["sourceRevisions"] == [{"actionName": "Source", "revisionId": version}]

    source, build = run.action("Source", "Source"), run.action("Build", "Build")
    [source_artifact] = source["output"]["outputArtifacts"]
    assert source_artifact["s3location"]["bucket"] == account.store
    assert source_artifact["s3location"]["key"].startswith("hello/SourceArti/")
    assert source["output"]["outputVariables"]["VersionId"] == version
    assert build["input"]["inputArtifacts"] == [source_artifact]
    assert build["input"]["resolvedConfiguration"] == build["input"]["configuration"]
    assert build["output"]["outputVariables"] == {"BUILT": "yes"}
    [output] = build["output"]["outputArtifacts"]
    assert output["s3location"]["key"].startswith("hello/BuildArtif/")

    build_id = build["output"]["executionResult"]["externalExecutionId"]
    details = _build_of(account, build_id)
    assert [p["phaseType"] for p in details["phases"]] == PHASES
    assert {p.get("phaseStatus") for p in details["phases"][:-1]} == {"SUCCEEDED"}
    assert (details["buildStatus"], details["initiator"]) == ("SUCCEEDED", "codepipeline/hello")
    assert details["sourceVersion"] == f"arn:aws:s3:::{account.store}/{source_artifact['s3location']['key']}"
    assert details["resolvedSourceVersion"] == version
    assert details["artifacts"]["location"] == f"arn:aws:s3:::{account.store}/{output['s3location']['key']}"
    assert details["exportedEnvironmentVariables"] == [{"name": "BUILT", "value": "yes"}]

    files = _read_zip(account, output["s3location"])
    session = (
        f"arn:aws:sts::{account.target.account_id}:assumed-role/builds/AWSCodeBuild-{build_id.split(':')[1]}"
    )
    assert files["out.txt"].splitlines() == [
        "hello from the source",
        "from-buildspec ci codepipeline/hello python-image",  # the action's STAGE over the buildspec's
        session,  # the build called the sandbox with the role session's credentials
    ]
    names = set(files["names.txt"].split())
    assert {
        n for n in names if not n.startswith("CODEBUILD_")
    } <= ENVIRONMENT_NAMES  # nothing of the server's
    assert {"CODEBUILD_BUILD_ID", "CODEBUILD_SRC_DIR", "CODEBUILD_INITIATOR", "AWS_SESSION_TOKEN"} <= names
    log = workloads.build_log(account.target, details)
    source_dir = next(line.split("CODEBUILD_SRC_DIR=", 1)[1] for line in log if "CODEBUILD_SRC_DIR=" in line)
    assert (
        source_dir.endswith("/src") and not Path(source_dir).parent.exists()
    )  # the workspace went with the build
    python = f"{sys.version_info.major}.{sys.version_info.minor}"  # the stand-in's python: this one
    selected = f"Selecting 'python' runtime version '{python}' based on manual selections..."
    assert any(line.endswith(selected) for line in log)
    assert any(line.endswith("Running command cat hello.txt > out.txt") for line in log)


# -- a failing command --------------------------------------------------------------------------------------
def test_a_failing_command_fails_the_build_and_the_execution_and_its_log_shows_why(account: Account) -> None:
    """The build role may not call SageMaker: the command's AccessDenied is in the build's log, found from the
    action's externalExecutionId; the build phase fails, post_build still runs, the next stage does not."""
    buildspec = {
        "version": "0.2",
        "phases": {
            "build": {
                "commands": ["echo before the call", DENIED_CALL, "echo never"],
                "finally": ["echo finally ran"],
            },
            "post_build": {
                "commands": [
                    "echo post_build ran with CODEBUILD_BUILD_SUCCEEDING=$CODEBUILD_BUILD_SUCCEEDING"
                ]
            },
        },
    }
    _project(account, "denied-build", buildspec)
    stages = [
        _source(account, "denied"),
        _build("Test", "denied-build", ["SourceArtifact"]),
        _approval(account),
    ]
    run = _pipeline(account, "denied", stages)
    _upload(account, "denied", {"README.md": "denied\n"})
    run.start()
    assert run.wait(WAIT) == "Failed"
    action = run.action("Test", "Test")
    message = f"Error while executing command: {DENIED_CALL}. Reason: exit status 1"
    assert action["status"] == "Failed"
    assert action["output"]["executionResult"]["errorDetails"] == {
        "code": "JobFailed",
        "message": "Build terminated with state: FAILED. Phase: BUILD, Code: COMMAND_EXECUTION_ERROR, "
        f"Message: {message}",
    }
    assert "Approve" not in {a["stageName"] for a in run.actions()}
    state = account.client("codepipeline").get_pipeline_state(name="denied")
    assert [s["stageName"] for s in state["stageStates"] if "latestExecution" in s] == ["Source", "Test"]
    assert state["stageStates"][1]["latestExecution"]["status"] == "Failed"

    build = _build_of(account, action["output"]["executionResult"]["externalExecutionId"])
    phases = {p["phaseType"]: p for p in build["phases"]}
    assert build["buildStatus"] == "FAILED"
    assert phases["BUILD"]["phaseStatus"] == "FAILED"
    assert phases["BUILD"]["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": message}]
    assert phases["POST_BUILD"]["phaseStatus"] == "SUCCEEDED" and "UPLOAD_ARTIFACTS" in phases
    log = "\n".join(workloads.build_log(account.target, build))
    assert "before the call" in log and "finally ran" in log and "\nnever" not in log
    assert "AccessDeniedException" in log
    session = f"assumed-role/builds/AWSCodeBuild-{build['id'].split(':')[1]}"
    assert f"{session} is not authorized to perform: sagemaker:ListModels" in log
    assert f"Command did not exit successfully {DENIED_CALL} exit status 1" in log
    assert "post_build ran with CODEBUILD_BUILD_SUCCEEDING=0" in log


# -- manual approvals --------------------------------------------------------------------------------------
def _notifications(account: Account, wait: int = 0) -> list[dict[str, Any]]:
    """The approval requests the topic delivered to the queue (waiting up to ``wait`` seconds for one)."""
    sqs = account.client("sqs")
    answer = sqs.receive_message(QueueUrl=account.queue, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
    for message in answer.get("Messages", []):
        sqs.delete_message(QueueUrl=account.queue, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in answer.get("Messages", [])]


def test_a_manual_approval_waits_for_its_approver_and_a_rejection_fails_the_execution(
    account: Account,
) -> None:
    _project(account, "ship-build", {"version": "0.2", "phases": {"build": {"commands": ["echo shipped"]}}})
    stages = [_source(account, "ship"), _approval(account), _build("Ship", "ship-build", ["SourceArtifact"])]
    run = _pipeline(account, "ship", stages)
    _upload(account, "ship", {"README.md": "ship\n"})
    _notifications(account)
    codepipeline = account.client("codepipeline")

    approved = run.start()
    token = run.approval_token("Approve", "Approval")
    approve = codepipeline.get_pipeline_state(name="ship")["stageStates"][1]
    assert approve["latestExecution"] == {
        "pipelineExecutionId": approved,
        "status": "InProgress",
        "type": "STANDARD",
    }
    assert approve["actionStates"][0]["latestExecution"]["token"] == token
    [notification] = _notifications(account, wait=10)  # sent as the token is handed out
    request = notification["approval"]
    assert (request["pipelineName"], request["stageName"], request["actionName"], request["token"]) == (
        "ship",
        "Approve",
        "Approval",
        token,
    )
    assert request["approvalReviewLink"].endswith(f"#/view/ship/Approve/Approval/approve/{token}")
    decide = {"pipelineName": "ship", "stageName": "Approve", "actionName": "Approval"}
    with pytest.raises(ClientError) as raised:
        codepipeline.put_approval_result(
            **decide,
            result={"status": "Approved", "summary": "ok"},
            token="00000000-0000-0000-0000-000000000000",
        )
    assert client_error(raised)[0] == "InvalidApprovalTokenException"
    with pytest.raises(ClientError) as raised:
        codepipeline.put_approval_result(
            **{**decide, "stageName": "Nope"}, result={"status": "Approved", "summary": "ok"}, token=token
        )
    assert client_error(raised)[0] == "StageNotFoundException"
    codepipeline.put_approval_result(
        **decide, result={"status": "Approved", "summary": "looks good"}, token=token
    )
    assert run.wait(WAIT) == "Succeeded"
    assert run.action("Ship", "Ship")["status"] == "Succeeded"
    with pytest.raises(ClientError) as raised:
        codepipeline.put_approval_result(
            **decide, result={"status": "Approved", "summary": "again"}, token=token
        )
    assert client_error(raised)[0] == "ApprovalAlreadyCompletedException"

    run.start()
    run.reject("Approve", "Approval", "not today")
    assert run.wait(WAIT) == "Failed"
    rejected = run.action("Approve", "Approval")
    assert rejected["status"] == "Failed"
    assert rejected["updatedBy"] == f"arn:aws:iam::{account.target.account_id}:root"
    assert rejected["output"]["executionResult"]["externalExecutionSummary"] == "not today"
    assert (
        rejected["output"]["executionResult"]["errorDetails"]["message"]
        == f"Rejected by {rejected['updatedBy']}"
    )
    assert "Ship" not in {a["stageName"] for a in run.actions()}


# -- execution modes and stops -----------------------------------------------------------------------------
def _waiting(account: Account, pipeline: str, stage: str) -> list[str]:
    state = account.client("codepipeline").get_pipeline_state(name=pipeline)
    found = next(s for s in state["stageStates"] if s["stageName"] == stage)
    return [e["pipelineExecutionId"] for e in found.get("inboundExecutions", [])]


def _poll(check: Any, what: str) -> None:
    workloads.poll(check, WAIT, 0.05, what)


def test_queued_executions_go_through_a_locked_stage_in_order(account: Account) -> None:
    run = _pipeline(
        account, "queued", [_source(account, "queued"), _approval(account)], executionMode="QUEUED"
    )
    _upload(account, "queued", {"README.md": "queued\n"})
    first, second = (
        PipelineRun(account.target, "queued", poll_interval=0.05),
        PipelineRun(account.target, "queued", poll_interval=0.05),
    )
    first.start()
    first.approval_token("Approve", "Approval")
    second.start()
    _poll(
        lambda: _waiting(account, "queued", "Approve") == [second.execution], "the second execution to wait"
    )
    assert second.status == "InProgress"
    first.approve("Approve", "Approval")
    second.approve("Approve", "Approval")  # it enters the stage once the first left it
    assert (first.wait(WAIT), second.wait(WAIT)) == ("Succeeded", "Succeeded")
    summaries = account.client("codepipeline").list_pipeline_executions(pipelineName="queued")[
        "pipelineExecutionSummaries"
    ]
    assert [s["pipelineExecutionId"] for s in summaries[:2]] == [second.execution, first.execution]
    assert {s["executionMode"] for s in summaries} == {"QUEUED"}
    assert run.execution not in (first.execution, second.execution)


def test_a_waiting_execution_is_superseded_by_a_newer_one_and_a_stopped_one_abandons_its_approval(
    account: Account,
) -> None:
    _pipeline(account, "latest", [_source(account, "latest"), _approval(account)])
    _upload(account, "latest", {"README.md": "latest\n"})
    runs = [PipelineRun(account.target, "latest", poll_interval=0.05) for _ in range(3)]
    runs[0].start()
    runs[0].approval_token("Approve", "Approval")
    runs[1].start()
    _poll(
        lambda: _waiting(account, "latest", "Approve") == [runs[1].execution], "the second execution to wait"
    )
    runs[2].start()
    assert runs[1].wait(WAIT) == "Superseded"
    assert _waiting(account, "latest", "Approve") == [runs[2].execution]
    codepipeline = account.client("codepipeline")
    codepipeline.stop_pipeline_execution(
        pipelineName="latest", pipelineExecutionId=runs[0].execution, abandon=True, reason="wrong change"
    )
    assert runs[0].wait(WAIT) == "Stopped"
    assert runs[0].action("Approve", "Approval")["status"] == "Abandoned"
    [stopped] = [
        s
        for s in codepipeline.list_pipeline_executions(pipelineName="latest")["pipelineExecutionSummaries"]
        if s["pipelineExecutionId"] == runs[0].execution
    ]
    assert stopped["stopTrigger"] == {"reason": "wrong change"}
    with pytest.raises(ClientError) as raised:
        codepipeline.stop_pipeline_execution(pipelineName="latest", pipelineExecutionId=runs[0].execution)
    assert client_error(raised)[0] == "PipelineExecutionNotStoppableException"
    runs[2].approve("Approve", "Approval")  # the newer one entered the stage the stopped one left
    assert runs[2].wait(WAIT) == "Succeeded"


def test_stopping_and_abandoning_an_execution_stops_its_build(account: Account) -> None:
    _project(account, "endless", {"version": "0.2", "phases": {"build": {"commands": ["sleep 30"]}}})
    run = _pipeline(
        account, "endless", [_source(account, "endless"), _build("Build", "endless", ["SourceArtifact"])]
    )
    _upload(account, "endless", {"README.md": "endless\n"})
    run.start()
    _poll(lambda: run.actions()[0]["actionName"] == "Build", "the build action")
    build_id = run.build_id("Build", "Build")
    _poll(lambda: _build_of(account, build_id)["currentPhase"] == "BUILD", "the build phase")
    codepipeline = account.client("codepipeline")
    codepipeline.stop_pipeline_execution(
        pipelineName="endless", pipelineExecutionId=run.execution, abandon=True
    )
    assert run.wait(WAIT) == "Stopped"
    assert run.action("Build", "Build")["status"] == "Abandoned"
    build = workloads.wait_for_build(account.target, build_id, timeout=WAIT, interval=0.05)
    assert build["buildStatus"] == "STOPPED"


def test_what_the_pipeline_role_may_not_do_fails_its_action(account: Account) -> None:
    """A role without s3:PutObject on the artifact store stops the run at the source; one without sns:Publish
    at the approval, whose request goes to nobody."""
    target, number = account.target, account.target.account_id
    reads = ["s3:GetBucketVersioning", "s3:GetObject", "s3:GetObjectVersion"]
    allowed = [
        _allow(reads, f"arn:aws:s3:::{account.source}*"),
        _allow("s3:PutObject", f"arn:aws:s3:::{account.store}/*"),
        _allow("sns:Publish", account.topic),
    ]
    roles, runs = {}, {}
    for name, missing in (("no-store", "s3:PutObject"), ("no-publish", "sns:Publish")):
        kept = [s for s in allowed if missing not in s["Action"]]
        roles[name] = service_role(target, name, "codepipeline.amazonaws.com", kept)
        runs[name] = _pipeline(
            account, name, [_source(account, name), _approval(account)], roleArn=roles[name]
        )
        _upload(account, name, {"README.md": name})
    _notifications(account)
    for run in runs.values():
        run.start()
        assert run.wait(WAIT) == "Failed"
    source = _error_of(runs["no-store"].action("Source", "Source"))
    assert source.startswith(
        "Insufficient permissions: The provided role does not have permissions to perform this action. "
        f"Underlying error: User: arn:aws:sts::{number}:assumed-role/no-store/CodePipeline-"
    )
    store_key = f"arn:aws:s3:::{account.store}/no-store/SourceArti/"
    assert f"is not authorized to perform: s3:PutObject on resource: {store_key}" in source
    assert "Approve" not in {a["stageName"] for a in runs["no-store"].actions()}
    approval = runs["no-publish"].action("Approve", "Approval")
    assert approval["status"] == "Failed"
    assert f"is not authorized to perform: sns:Publish on resource: {account.topic}" in _error_of(approval)
    assert _notifications(account) == []
    denied = workloads.usage(target, roles["no-publish"])["denied"]
    assert "sns:Publish" in [d["action"] for d in denied]


def _error_of(action: dict[str, Any]) -> str:
    return str(action["output"]["executionResult"]["errorDetails"]["message"])


def _sleeper(target: AwsTarget, pid: Path) -> None:
    """A build whose command sleeps a minute, the sleep's process id written to ``pid``."""
    role = service_role(target, "sleeper", "codebuild.amazonaws.com", [_allow(["logs:*"])])
    spec = f"version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 60 & echo $! > {pid}; wait\n"
    target.client("codebuild").create_project(
        name="sleeper",
        source={"type": "NO_SOURCE", "buildspec": spec},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": IMAGE, "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=role,
    )
    target.client("codebuild").start_build(projectName="sleeper")
    _poll(lambda: pid.exists() and pid.read_text().strip(), "the build's sleep to start")


def test_a_reset_and_the_servers_end_stop_the_builds_they_find_running(tmp_path: Path) -> None:
    """On a sandbox of its own (a reset wipes every account): a build's process is gone after a reset, and
    after the server stopped."""
    box = Sandbox(tmp_path / "box")
    info = box.up(owner_pid=os.getpid())
    pids = [tmp_path / "first", tmp_path / "second"]
    try:
        _sleeper(AwsTarget.sandbox(info.url), pids[0])
        box.reset()
        _poll(lambda: not _alive(int(pids[0].read_text())), "the reset to end the build's process")
        _sleeper(AwsTarget.sandbox(info.url), pids[1])
    finally:
        box.down()
    _poll(lambda: not _alive(int(pids[1].read_text())), "the server's end to end the build's process")


def _alive(pid: int) -> bool:
    """A process that runs (a killed one waiting to be reaped, a zombie, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


# -- builds started with StartBuild ------------------------------------------------------------------------
def _direct_project(
    account: Account, name: str, buildspec: str, role: str | None = None, **extra: Any
) -> None:
    account.client("codebuild").create_project(
        name=name,
        source={"type": "NO_SOURCE", "buildspec": buildspec},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": extra.pop("image", IMAGE),
            "computeType": "BUILD_GENERAL1_SMALL",
            "imagePullCredentialsType": extra.pop("pull", "CODEBUILD"),
        },
        serviceRole=role or account.build_role,
        **extra,
    )


def _started(account: Account, project: str, **params: Any) -> dict[str, Any]:
    build = account.client("codebuild").start_build(projectName=project, **params)["build"]
    return workloads.wait_for_build(account.target, build["id"], timeout=WAIT, interval=0.05)


def _failed_phase(build: dict[str, Any]) -> tuple[str, str, str]:
    phase = next(p for p in build["phases"] if p.get("phaseStatus") not in (None, "SUCCEEDED"))
    [context] = phase["contexts"]
    return phase["phaseType"], context["statusCode"], context["message"]


def test_an_unknown_phase_fails_download_source_and_nothing_runs(account: Account) -> None:
    spec = "version: 0.2\nphases:\n  buidl:\n    commands:\n      - echo ran\n"
    _direct_project(account, "typo", spec)
    build = _started(account, "typo")
    assert build["buildStatus"] == "FAILED"
    assert [p["phaseType"] for p in build["phases"]] == [
        "SUBMITTED",
        "QUEUED",
        "PROVISIONING",
        "DOWNLOAD_SOURCE",
        "FINALIZING",
        "COMPLETED",
    ]
    assert _failed_phase(build) == (
        "DOWNLOAD_SOURCE",
        "YAML_FILE_ERROR",
        "Unknown phase 'buidl': valid phases are install, pre_build, build, post_build",
    )
    log = workloads.build_log(account.target, build)
    assert not any("Running command" in line for line in log)


def test_a_build_over_its_timeout_is_timed_out_and_a_stopped_one_stopped(account: Account) -> None:
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n"
    scaled = [{"key": "launchpad:sandbox:time-scale", "value": "0.001"}]  # 5 minutes: 0.3 s
    _direct_project(account, "slow", spec, timeoutInMinutes=5, tags=scaled)
    build = _started(account, "slow")
    assert build["buildStatus"] == "TIMED_OUT"
    assert _failed_phase(build) == ("BUILD", "BUILD_TIMED_OUT", "Build has timed out. ")
    assert build["timeoutInMinutes"] == 5

    talking = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo started; sleep 30\n"
    _direct_project(account, "stoppable", talking)
    codebuild = account.client("codebuild")
    ids = [codebuild.start_build(projectName="stoppable")["build"]["id"] for _ in range(3)]

    def phases() -> list[str]:
        return [b["currentPhase"] for b in codebuild.batch_get_builds(ids=ids)["builds"]]

    # At most two builds run at once on the sandbox: the third waits in QUEUED while two sleep.
    _poll(lambda: sorted(phases()) == ["BUILD", "BUILD", "QUEUED"], "two builds running and one queued")
    queued = ids[phases().index("QUEUED")]
    running = _build_of(account, next(i for i in ids if i != queued))
    # A line the command printed reaches the log while the command still runs (a second later at most).
    _poll(lambda: "started" in workloads.build_log(account.target, running), "the running build's output")
    for build_id in sorted(ids, key=lambda i: i != queued):  # the queued one first: it must not get a slot
        codebuild.stop_build(id=build_id)
    stopped = [workloads.wait_for_build(account.target, i, timeout=WAIT, interval=0.05) for i in ids]
    assert {b["buildStatus"] for b in stopped} == {"STOPPED"}
    assert sorted(_failed_phase(b)[:2] for b in stopped) == [
        ("BUILD", "BUILD_STOPPED"),
        ("BUILD", "BUILD_STOPPED"),
        ("QUEUED", "BUILD_STOPPED"),
    ]
    with pytest.raises(ClientError) as raised:
        codebuild.stop_build(id="stoppable:00000000-0000-0000-0000-000000000000")
    assert client_error(raised) == (
        "ResourceNotFoundException",
        "Build stoppable:00000000-0000-0000-0000-000000000000 does not exist",
    )


def test_an_ecr_image_is_pulled_as_the_service_role_and_runs_as_its_stand_in(account: Account) -> None:
    target = account.target
    ecr = account.client("ecr")
    repository = ecr.create_repository(repositoryName="build-image")["repository"]
    images.put_image(target, "build-image", "1")
    image = f"{repository['repositoryUri']}:1"
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo stand-in says $STAND_IN\n"
    _direct_project(account, "no-pull", spec, image=image, pull="SERVICE_ROLE")
    build = _started(account, "no-pull")
    phase, code, message = _failed_phase(build)
    assert (build["buildStatus"], phase, code) == (
        "FAILED",
        "PROVISIONING",
        "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE",
    )
    assert message.startswith(
        "Unable to pull customer's container image. CannotPullContainerError: Error response from daemon: "
        f"pull access denied for {repository['repositoryUri']}, repository does not exist or may require "
        "'docker login': "
        f"denied: User: arn:aws:sts::{target.account_id}:assumed-role/builds/AWSCodeBuild-"
    )
    assert "is not authorized to perform: ecr:GetAuthorizationToken on resource: *" in message
    _direct_project(account, "codebuild-pull", spec, image=image)  # CodeBuild's own credentials
    phase, code, message = _failed_phase(_started(account, "codebuild-pull"))
    assert (phase, code) == ("PROVISIONING", "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE")
    assert (
        "denied: User: codebuild.amazonaws.com is not authorized to perform: ecr:BatchCheckLayerAvailability"
        in message
    )

    pulls = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    puller = service_role(
        target,
        "puller",
        "codebuild.amazonaws.com",
        [
            _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
            _allow("ecr:GetAuthorizationToken"),
            _allow(pulls, repository["repositoryArn"]),
        ],
    )
    _direct_project(account, "pulled", spec, role=puller, image=image, pull="SERVICE_ROLE")
    build = _started(account, "pulled")
    phase, code, message = _failed_phase(build)
    assert (phase, code) == ("PROVISIONING", "CLIENT_ERROR")
    assert message.startswith(f"launchpad sandbox: the image {image} has no local stand-in")
    assert "launchpad.sandbox.build_images.register" in message
    build_images.register(target, image, {"PATH": "/usr/bin:/bin", "STAND_IN": "the build image"})
    build = _started(account, "pulled")
    assert build["buildStatus"] == "SUCCEEDED"
    assert "stand-in says the build image" in workloads.build_log(target, build)
    assert image in build_images.registered(target)
    build_images.remove(target, image)
    assert image not in build_images.registered(target)


def test_a_build_in_a_vpc_without_nat_cannot_download_from_the_internet(account: Account) -> None:
    target = account.target
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="builds", Description="builds", VpcId=vpc)["GroupId"]
    role = service_role(
        target,
        "vpc-builds",
        "codebuild.amazonaws.com",
        [_allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]), _allow("ec2:*")],
    )
    spec = (
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo proxy is $HTTPS_PROXY\n"
        f"      - {json.dumps(DOWNLOAD)}\n"
    )
    vpc_config = {"vpcId": vpc, "subnets": [subnet], "securityGroupIds": [group]}
    _direct_project(account, "offline", spec, role=role, vpcConfig=vpc_config)
    build = _started(account, "offline")
    assert build["buildStatus"] == "FAILED"
    assert build["networkInterface"]["subnetId"] == subnet
    log = "\n".join(workloads.build_log(target, build))
    assert "proxy is http://127.0.0.1:" in log
    assert "Connection refused" in log


def test_what_builds_do_not_model_is_refused_loudly(account: Account) -> None:
    codebuild = account.client("codebuild")
    _direct_project(account, "refusals", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n")
    with pytest.raises(ClientError) as raised:
        codebuild.start_build(projectName="refusals", sourceTypeOverride="GITHUB")
    assert client_error(raised) == (
        "InvalidInputException",
        "launchpad sandbox: StartBuild's sourceTypeOverride is not modelled",
    )
    _project(account, "pipeline-only", {"version": "0.2", "phases": {"build": {"commands": ["echo hi"]}}})
    with pytest.raises(ClientError) as raised:
        codebuild.start_build(projectName="pipeline-only")
    assert client_error(raised)[1].startswith("launchpad sandbox: a CODEPIPELINE source outside a pipeline")
    secret = [{"name": "TOKEN", "value": "/ci/token", "type": "PARAMETER_STORE"}]
    build = _started(account, "refusals", environmentVariablesOverride=secret)
    phase, code, message = _failed_phase(build)
    assert (phase, code) == ("DOWNLOAD_SOURCE", "CLIENT_ERROR")
    assert message.startswith(
        "launchpad sandbox: environment variable TOKEN of type PARAMETER_STORE is not modelled"
    )


def test_a_codestar_source_connection_is_refused_and_the_bench_pipeline_runs(
    account: Account, sandbox_url: str
) -> None:
    connection = {
        "ConnectionArn": f"arn:aws:codeconnections:eu-west-1:{account.target.account_id}:connection/x",
        "FullRepositoryId": "org/repo",
        "BranchName": "main",
    }
    source = {
        "name": "Source",
        "actions": [
            declare_action("Source", "Source", "CodeStarSourceConnection", connection, outputs=["src"])
        ],
    }
    run = _pipeline(account, "git", [source, _approval(account)])
    error = run.action("Source", "Source")["output"]["executionResult"]["errorDetails"]["message"]
    assert error.startswith("launchpad sandbox: CodeStarSourceConnection source actions are not modelled")
    assert measure_pipeline(sandbox_url)["pipeline_small_s"] > 0
