"""CodePipeline executions: CodePipeline runs a pipeline stage by stage, action by action, as its role.

AWS (CodePipeline User Guide, "How pipeline executions work", "Set or change the pipeline execution mode",
"Amazon S3 source action reference", "AWS CodeBuild build and test action reference", "Manual approval
action", "Input and output artifacts", "CodePipeline service role"; API_StartPipelineExecution,
API_GetPipelineExecution, API_ListPipelineExecutions, API_GetPipelineState, API_ListActionExecutions,
API_PutApprovalResult, API_StopPipelineExecution):
- An execution starts when the pipeline is created, on ``StartPipelineExecution`` and when an EventBridge
  rule targets the pipeline (``start_execution``, the one way in for all three).
- Execution modes: in SUPERSEDED (the default) "each stage can process only one execution at a time"; a
  later execution waits in front of a locked stage, and "a more recent execution overtakes a waiting
  execution", which becomes Superseded. QUEUED: executions wait in line in front of each locked stage and
  go through in the order they started. PARALLEL: executions run independently.
- CodePipeline takes the pipeline's role (``aws:SourceArn`` the pipeline, ``aws:SourceAccount`` its
  account). A stage runs its actions by ``runOrder``; actions with the same runOrder run at the same time;
  a failed action fails its stage once the others of its runOrder have ended, and nothing after it runs:
  the execution is Failed.
- S3 source action: the object's current version (``s3:GetBucketVersioning`` on the versioned bucket,
  ``s3:GetObject`` of that version, ``kms:Decrypt`` via S3 for SSE-KMS) becomes the source artifact in the
  artifact store (``s3:PutObject`` encrypted with the store's key, ``kms:GenerateDataKey`` via S3) at
  ``<pipeline name, 20 characters>/<artifact name, 10 characters>/<7 random characters>``; the version id
  is the execution's source revision and the action's ``VersionId`` output variable, with ``ETag``.
- CodeBuild action (Build and Test categories): ``codebuild:StartBuild`` of ``ProjectName`` with the input
  artifact as the source (``PrimarySource``), the output artifact's store location and the action's
  ``EnvironmentVariables``; the build runs (``codebuild_builds``); ``codebuild:BatchGetBuilds`` follows it.
  The action succeeds when the build SUCCEEDED, else fails with "Build terminated with state: FAILED.
  Phase: BUILD, Code: COMMAND_EXECUTION_ERROR, Message: ..."; its ``externalExecutionId`` is the build id and
  its output variables are the build's exported variables.
- Manual approval: the notification (``sns:Publish`` on ``NotificationArn``, the JSON of "JSON data format
  for manual approval notifications"), then the action waits, InProgress with a token in
  ``GetPipelineState``, until ``PutApprovalResult`` (Approved: Succeeded; Rejected: Failed).
- ``StopPipelineExecution``: Stopping, then Stopped: "stop and wait" lets in-progress actions finish,
  "abandon" abandons them (their builds are stopped); nothing after them starts.
Times are epoch seconds on the wire (the JSON protocol's timestamps).

The sandbox runs each execution in a thread of its own, waiting on a condition for the stage locks and
approvals. It does not model, and refuses loudly (the action fails with a message starting "launchpad
sandbox:"): CodeStarSourceConnection sources (the sandbox has no Git provider, nor a codestar-connections
backend), other action providers, an action's own ``roleArn`` or ``region``, several input or output
artifacts on a CodeBuild action (secondary sources and artifacts), batch builds. ``sourceRevisions``
overrides are refused by StartPipelineExecution. Left out: approvals never expire (AWS: 7 days), no stage
retries, no disabled transitions, no stage conditions or rollbacks, no polling of sources
(``PollForSourceChanges``). The message for a source bucket without versioning is the sandbox's wording.
With the sandbox's authorization off (``LAUNCHPAD_SANDBOX_AUTHZ=off``) the role's calls are not checked.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import string
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.codepipeline.exceptions import PipelineExecutionNotFoundException, PipelineNotFoundException
from moto.codepipeline.models import codepipeline_backends
from moto.core.exceptions import JsonRESTError
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends

from launchpad.sandbox import authz, lifecycle
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.patches import codebuild_runs as builds
from launchpad.sandbox.patches.codebuild_builds import BuildFailed

log = logging.getLogger(__name__)

SERVICE = "codepipeline.amazonaws.com"
IN_PROGRESS, SUCCEEDED, FAILED = "InProgress", "Succeeded", "Failed"
STOPPED, STOPPING, SUPERSEDED, ABANDONED = "Stopped", "Stopping", "Superseded", "Abandoned"
_VARIABLE = re.compile(r"#\{([A-Za-z0-9@_-]+)\.([A-Za-z0-9@_-]+)\}")
_WAIT = 60.0  # a waiting thread wakes at least this often (it is notified of every change)
_ALPHABET = string.ascii_letters + string.digits


class ValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


class ActionFailed(Exception):
    """An action of the execution failed; the message is its error, as the execution shows it."""


# -- the record of executions ------------------------------------------------------------------------------
@dataclass
class ActionRun:
    """One execution of one action (ListActionExecutions' ActionExecutionDetail)."""

    execution: str
    stage: str
    declaration: Mapping[str, Any]
    configuration: dict[str, str]  # resolved (variables filled in)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = IN_PROGRESS
    summary: str | None = None
    token: str | None = None
    decision: str | None = None  # Approved | Rejected
    updated_by: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    error: dict[str, str] | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    build: str | None = None

    @property
    def name(self) -> str:
        return str(self.declaration["name"])

    def end(self, status: str, message: str | None = None, code: str = "JobFailed") -> None:
        self.status, self.updated = status, datetime.now(UTC)
        if message is not None:
            self.error = {"code": code, "message": message}

    def state(self) -> dict[str, Any]:
        """GetPipelineState's ActionExecution."""
        state: dict[str, Any] = {
            "actionExecutionId": self.id,
            "status": self.status,
            "lastStatusChange": self.updated,
        }
        extra = {
            "summary": self.summary,
            "token": self.token if self.status == IN_PROGRESS else None,
            "lastUpdatedBy": self.updated_by,
            "externalExecutionId": self.external_id,
            "externalExecutionUrl": self.external_url,
            "errorDetails": self.error,
        }
        return {**state, **{k: v for k, v in extra.items() if v is not None}}


@dataclass
class Execution:
    id: str
    account: str
    region: str
    pipeline: str
    declaration: dict[str, Any]
    version: int
    mode: str
    trigger: dict[str, str]
    variables: list[dict[str, str]]
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = IN_PROGRESS
    stop: str | None = None  # wait | abandon
    stop_reason: str | None = None
    superseded: bool = False
    principal: Principal | None = None
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (bucket, key)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[ActionRun] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)  # stages entered -> status
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:codepipeline:{self.region}:{self.account}:{self.pipeline}"

    @property
    def over(self) -> bool:
        return self.status not in (IN_PROGRESS, STOPPING)

    def describe(self) -> dict[str, Any]:
        """GetPipelineExecution's PipelineExecution."""
        answer = {
            "pipelineName": self.pipeline,
            "pipelineVersion": self.version,
            "pipelineExecutionId": self.id,
            "status": self.status,
            "artifactRevisions": copy.deepcopy(self.revisions),
            "variables": copy.deepcopy(self.variables),
            "trigger": dict(self.trigger),
            "executionMode": self.mode,
            "executionType": "STANDARD",
        }
        if self.stop_reason:
            answer["statusSummary"] = self.stop_reason
        return answer

    def summary(self) -> dict[str, Any]:
        """ListPipelineExecutions' PipelineExecutionSummary."""
        answer: dict[str, Any] = {
            "pipelineExecutionId": self.id,
            "status": self.status,
            "startTime": self.started,
            "lastUpdateTime": self.updated,
            "sourceRevisions": [
                {"actionName": r["actionName"], "revisionId": r["revisionId"]} for r in self.revisions
            ],
            "trigger": dict(self.trigger),
            "executionMode": self.mode,
            "executionType": "STANDARD",
        }
        if self.stop is not None:
            answer["stopTrigger"] = {"reason": self.stop_reason or ""}
            if self.stop_reason:
                answer["statusSummary"] = self.stop_reason
        return answer


@dataclass
class Lanes:
    """The executions of one pipeline, and which of them holds or waits in front of each stage."""

    executions: list[Execution] = field(default_factory=list)
    occupant: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, list[Execution]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # clientRequestToken -> execution id


_COND = threading.Condition()
_PIPELINES: dict[tuple[str, str, str], Lanes] = {}
_THREADS: list[threading.Thread] = []


def _lanes(account: str, region: str, name: str) -> Lanes:
    return _PIPELINES.setdefault((account, region, name), Lanes())


def _declared(account: str, region: str, name: str) -> Any:
    pipeline = codepipeline_backends[account][region].pipelines.get(name)
    if pipeline is None:
        raise PipelineNotFoundException(f"Account '{account}' does not have a pipeline with name '{name}'")
    return pipeline


# -- starting ---------------------------------------------------------------------------------------------
def start_execution(
    account: str,
    region: str,
    name: str,
    trigger_type: str = "StartPipelineExecution",
    trigger_detail: str = "",
    variables: list[Mapping[str, str]] | None = None,
    client_token: str | None = None,
) -> str:
    """Start an execution of the pipeline ``name`` (CreatePipeline, StartPipelineExecution, EventBridge:
    ``trigger_type`` CloudWatchEvent with the rule's ARN as ``trigger_detail``); its id.
    ``PipelineNotFoundException`` if there is no such pipeline."""
    pipeline = _declared(account, region, name)
    declaration = copy.deepcopy(pipeline.pipeline)
    resolved = _pipeline_variables(declaration, variables or [])
    with _COND:
        lanes = _lanes(account, region, name)
        if client_token and client_token in lanes.tokens:
            return lanes.tokens[client_token]
        execution = Execution(
            str(uuid.uuid4()),
            account,
            region,
            name,
            declaration,
            int(declaration.get("version", 1)),
            str(declaration.get("executionMode") or "SUPERSEDED"),
            {"triggerType": trigger_type, "triggerDetail": trigger_detail},
            resolved,
        )
        lanes.executions.append(execution)
        if client_token:
            lanes.tokens[client_token] = execution.id
        thread = threading.Thread(
            target=_run, args=(execution,), daemon=True, name=f"codepipeline-{execution.id}"
        )
        _THREADS[:] = [*(t for t in _THREADS if t.is_alive()), thread]
    thread.start()
    return execution.id


def _pipeline_variables(
    declaration: Mapping[str, Any], given: list[Mapping[str, str]]
) -> list[dict[str, str]]:
    """The execution's variables: the given values over the pipeline's defaults (V2 pipelines)."""
    declared = {v["name"]: v for v in declaration.get("variables") or []}
    unknown = sorted({v["name"] for v in given} - set(declared))
    if unknown:
        raise ValidationException(f"Pipeline variables {unknown} are not declared in the pipeline")
    values = {name: v.get("defaultValue") for name, v in declared.items()}
    values.update({v["name"]: v["value"] for v in given})
    missing = sorted(name for name, value in values.items() if value is None)
    if missing:
        raise ValidationException(f"No value given for pipeline variables without a default: {missing}")
    return [{"name": name, "resolvedValue": str(value)} for name, value in values.items()]


# -- running ------------------------------------------------------------------------------------------------
def _run(execution: Execution) -> None:
    try:
        for stage in execution.declaration["stages"]:
            if not _enter(execution, stage["name"]):
                return
            try:
                status = _run_stage(execution, stage)
            finally:
                _leave(execution, stage["name"])
            if status != SUCCEEDED:
                _finish(execution, STOPPED if status == STOPPED else FAILED)
                return
        _finish(execution, SUCCEEDED)
    except Exception as exc:  # the sandbox's own bug: the execution fails, the cause in the server's log
        log.exception("execution %s of %s failed in the sandbox", execution.id, execution.pipeline)
        execution.stop_reason = f"launchpad sandbox: {exc!r}"
        _finish(execution, FAILED)


def _finish(execution: Execution, status: str) -> None:
    with _COND:
        # "After all in-progress actions are completed or abandoned, the pipeline execution is in a Stopped
        # state" (API_StopPipelineExecution)
        execution.status = STOPPED if execution.stop else status
        execution.updated = datetime.now(UTC)
        _COND.notify_all()


def _enter(execution: Execution, stage: str) -> bool:
    """Wait until ``execution`` may enter ``stage`` (its mode's locks); False when it was superseded or
    stopped while it waited (its status says which)."""
    with _COND:
        if execution.mode == "PARALLEL" and not execution.stop:
            return _entered(execution, stage)
        lanes = _lanes(execution.account, execution.region, execution.pipeline)
        line = lanes.waiting.setdefault(stage, [])
        if execution.mode == "SUPERSEDED":
            for other in line:
                other.superseded = True
            line[:] = [execution]
        else:
            line.append(execution)
        _COND.notify_all()
        while not execution.superseded and not execution.stop:
            if lanes.occupant.get(stage) is None and line[0] is execution:
                line.pop(0)
                lanes.occupant[stage] = execution.id
                return _entered(execution, stage)
            _COND.wait(_WAIT)
        if execution in line:
            line.remove(execution)
        execution.status = SUPERSEDED if execution.superseded else STOPPED
        execution.updated = datetime.now(UTC)
        _COND.notify_all()
        return False


def _entered(execution: Execution, stage: str) -> bool:
    execution.stages[stage] = IN_PROGRESS
    execution.updated = datetime.now(UTC)
    return True


def _leave(execution: Execution, stage: str) -> None:
    with _COND:
        lanes = _lanes(execution.account, execution.region, execution.pipeline)
        if lanes.occupant.get(stage) == execution.id:
            del lanes.occupant[stage]
        _COND.notify_all()


def _run_stage(execution: Execution, stage: Mapping[str, Any]) -> str:
    """Run the stage's actions by runOrder (those of one runOrder at once); the stage's status."""
    name = stage["name"]
    orders = sorted({int(a.get("runOrder", 1)) for a in stage["actions"]})
    status = SUCCEEDED
    for order in orders:
        if execution.stop:
            status = STOPPED
            break
        group = [a for a in stage["actions"] if int(a.get("runOrder", 1)) == order]
        runs = [_action_run(execution, name, action) for action in group]
        threads = [threading.Thread(target=_run_action, args=(execution, r), daemon=True) for r in runs[1:]]
        for thread in threads:
            thread.start()
        _run_action(execution, runs[0])
        for thread in threads:
            thread.join()
        ended = {r.status for r in runs}
        if FAILED in ended:
            status = FAILED
            break
        if ABANDONED in ended:
            status = STOPPED
            break
    with _COND:
        execution.stages[name] = status
        execution.updated = datetime.now(UTC)
    return status


def _action_run(execution: Execution, stage: str, action: Mapping[str, Any]) -> ActionRun:
    run = ActionRun(execution.id, stage, action, dict(action.get("configuration") or {}))
    with _COND:
        execution.actions.append(run)
        execution.updated = datetime.now(UTC)
    return run


def _run_action(execution: Execution, run: ActionRun) -> None:
    kind = run.declaration["actionTypeId"]
    try:
        run.configuration = _resolve(execution, run.configuration)
        if run.declaration.get("roleArn"):
            raise ActionFailed(
                "launchpad sandbox: an action's own roleArn is not modelled: CodePipeline acts as the "
                "pipeline's role"
            )
        if run.declaration.get("region") not in (None, execution.region):
            raise ActionFailed("launchpad sandbox: cross-region actions are not modelled")
        runner = _RUNNERS.get((kind["category"], kind["provider"]))
        if runner is None:
            what = f"{kind['owner']} {kind['provider']} {kind['category']}"
            raise ActionFailed(f"launchpad sandbox: {what} actions are not modelled")
        runner(execution, run)
        namespace = run.declaration.get("namespace")
        if namespace and run.status == SUCCEEDED:  # its output variables, for the actions after it
            execution.namespaces[namespace] = dict(run.variables)
    except ActionFailed as failed:
        run.end(FAILED, str(failed))
    except Exception as exc:  # the sandbox's own bug: the action fails, the cause in the server's log
        log.exception("action %s of %s failed in the sandbox", run.name, execution.pipeline)
        run.end(FAILED, f"launchpad sandbox: {exc!r}")
    finally:
        with _COND:
            execution.updated = datetime.now(UTC)
            _COND.notify_all()


def _resolve(execution: Execution, configuration: Mapping[str, str]) -> dict[str, str]:
    """The configuration with ``#{variables.NAME}``, ``#{<namespace>.<variable>}`` and
    ``#{codepipeline.PipelineExecutionId}`` filled in (CodePipeline User Guide, "Variables reference")."""
    values = {("variables", v["name"]): v["resolvedValue"] for v in execution.variables}
    values[("codepipeline", "PipelineExecutionId")] = execution.id  # the reserved namespace
    for namespace, variables in execution.namespaces.items():
        values.update({(namespace, name): value for name, value in variables.items()})

    def fill(match: re.Match[str]) -> str:
        key = (match.group(1), match.group(2))
        if key not in values:
            raise ActionFailed(f"Unable to resolve variable {match.group(0)}: no such namespace or variable")
        return values[key]

    return {k: _VARIABLE.sub(fill, str(v)) for k, v in configuration.items()}


def _principal(execution: Execution) -> Principal:
    """CodePipeline's session of the pipeline's role (taken once per execution)."""
    if execution.principal is None:
        role, name = execution.declaration["roleArn"], f"CodePipeline-{execution.id[:8]}"
        try:
            execution.principal = (
                acting.assume(role, SERVICE, execution.region, execution.arn, execution.account, name)
                if authz.enabled()
                else principals.role_session(role, name, via_service=SERVICE)
            )
        except acting.Refused as refused:
            raise ActionFailed(
                f"CodePipeline is not authorized to perform AssumeRole on role {role} ({refused})"
            ) from refused
    return execution.principal


def _as_role(
    execution: Execution, service: str, operation: str, params: Mapping[str, Any], **headers: str
) -> None:
    made = acting.call(service, operation, params, execution.region, **headers)
    principal = _principal(execution)
    denied = acting.check(principal, made) if authz.enabled() else None
    if denied is not None:
        raise ActionFailed(
            "Insufficient permissions: The provided role does not have permissions to perform this action. "
            f"Underlying error: {denied.message}"
        )


# -- artifacts ---------------------------------------------------------------------------------------------
def _store(execution: Execution) -> tuple[str, str | None]:
    store = execution.declaration.get("artifactStore") or {}
    return store["location"], (store.get("encryptionKey") or {}).get("id")


def _artifact_key(execution: Execution, name: str) -> tuple[str, str]:
    bucket, _ = _store(execution)
    random = "".join(secrets.choice(_ALPHABET) for _ in range(7))
    return bucket, f"{execution.pipeline[:20]}/{name[:10]}/{random}"


def _put_artifact(execution: Execution, name: str, data: bytes) -> tuple[str, str]:
    """Store an artifact of the execution in the artifact store as the role; its (bucket, key)."""
    bucket, key = _artifact_key(execution, name)
    _, key_arn = _store(execution)
    headers = (
        {"x_amz_server_side_encryption": "aws:kms", "x_amz_server_side_encryption_aws_kms_key_id": key_arn}
        if key_arn
        else {}
    )
    _as_role(execution, "s3", "PutObject", {"Bucket": bucket, "Key": key}, **headers)
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise ActionFailed(f"The artifact store bucket '{bucket}' does not exist.")
    s3_backends[owner[1]][owner[0]].put_object(
        bucket, key, data, encryption="aws:kms" if key_arn else None, kms_key_id=key_arn or None
    )
    return bucket, key


def _location(name: str, where: tuple[str, str]) -> dict[str, Any]:
    return {"name": name, "s3location": {"bucket": where[0], "key": where[1]}}


# -- the actions ------------------------------------------------------------------------------------------
def _source_s3(execution: Execution, run: ActionRun) -> None:
    bucket, key = run.configuration["S3Bucket"], run.configuration["S3ObjectKey"]
    _as_role(execution, "s3", "GetBucketVersioning", {"Bucket": bucket})
    owner = s3_backends.bucket_accounts.get(bucket)
    stored_bucket = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
    latest = stored_bucket.keys.get(key) if stored_bucket is not None else None
    if stored_bucket is None or latest is None:
        raise ActionFailed(f"The object with key '{key}' does not exist in bucket '{bucket}'.")
    if not stored_bucket.is_versioned:
        raise ActionFailed(f"The source bucket '{bucket}' is not versioned: enable versioning on it.")
    version = str(latest.version_id)
    _as_role(execution, "s3", "GetObject", {"Bucket": bucket, "Key": key, "VersionId": version})
    data = bytes(latest.value)
    for output in run.declaration.get("outputArtifacts") or []:
        where = _put_artifact(execution, output["name"], data)
        execution.artifacts[output["name"]] = where
        run.outputs.append(_location(output["name"], where))
        execution.revisions.append(
            {
                "name": output["name"],
                "revisionId": version,
                "revisionChangeIdentifier": version,
                "created": latest.last_modified.replace(tzinfo=UTC),
                "actionName": run.name,
            }
        )
    run.external_id = version
    run.variables = {"ETag": str(latest.etag).strip('"'), "VersionId": version}
    run.end(SUCCEEDED)


def _source_connection(execution: Execution, run: ActionRun) -> None:
    raise ActionFailed(
        "launchpad sandbox: CodeStarSourceConnection source actions are not modelled (the sandbox has no Git "
        "provider and no codestar-connections backend): use an S3 source action, or start the pipeline on AWS"
    )


def _codebuild(execution: Execution, run: ActionRun) -> None:
    configuration = run.configuration
    project = configuration.get("ProjectName")
    if not project:
        raise ActionFailed("The action's configuration has no ProjectName.")
    inputs = [i["name"] for i in run.declaration.get("inputArtifacts") or []]
    outputs = [o["name"] for o in run.declaration.get("outputArtifacts") or []]
    if len(inputs) != 1:
        what = "no input artifact" if not inputs else "secondary sources (several input artifacts)"
        raise ActionFailed(f"launchpad sandbox: a CodeBuild action with {what} is not modelled")
    if len(outputs) > 1:
        raise ActionFailed(
            "launchpad sandbox: secondary artifacts (several output artifacts) are not modelled"
        )
    if configuration.get("BatchEnabled", "false").lower() == "true":
        raise ActionFailed("launchpad sandbox: batch builds are not modelled")
    primary = configuration.get("PrimarySource") or inputs[0]
    if primary not in execution.artifacts:
        raise ActionFailed(f"The input artifact {primary} was not produced by an earlier action.")
    run.inputs = [_location(primary, execution.artifacts[primary])]
    environment = _environment_variables(configuration.get("EnvironmentVariables"))
    _as_role(execution, "codebuild", "StartBuild", {"projectName": project})
    output = _artifact_key(execution, outputs[0]) if outputs else None
    bucket, key = execution.artifacts[primary]
    revision = execution.revisions[0]["revisionId"] if execution.revisions else None
    request = builds.Request(
        project=project,
        initiator=f"codepipeline/{execution.pipeline}",
        source=builds.Source("CODEPIPELINE", bucket, key, revision=revision),
        output=output,
        environment=tuple(environment),
    )
    try:
        build = builds.start_build(execution.account, execution.region, request)
    except (BuildFailed, ValueError) as failed:
        raise ActionFailed(str(failed)) from failed
    run.build, run.external_id = build.id, build.id
    run.external_url = (
        f"https://console.aws.amazon.com/codebuild/home?region={execution.region}#/builds/{build.id}/view/new"
    )
    _as_role(execution, "codebuild", "BatchGetBuilds", {"ids": [build.id]})
    while not build.done.wait(_WAIT):
        pass
    if execution.stop == "abandon":
        run.end(ABANDONED)
        return
    if build.status != builds.SUCCEEDED:
        raise ActionFailed(build.summary())
    if output is not None:
        execution.artifacts[outputs[0]] = output
        run.outputs.append(_location(outputs[0], output))
    run.variables = dict(build.exported)
    run.end(SUCCEEDED)


def _environment_variables(text: str | None) -> list[dict[str, str]]:
    """The action's EnvironmentVariables: a JSON list of {name, value, type}."""
    if not text:
        return []
    try:
        variables = json.loads(text)
    except ValueError as exc:
        raise ActionFailed(f"The EnvironmentVariables of the action are not valid JSON: {exc}") from exc
    if not isinstance(variables, list) or not all(isinstance(v, dict) and "name" in v for v in variables):
        raise ActionFailed(
            "The EnvironmentVariables of the action must be a JSON list of {name, value, type}."
        )
    return [
        {"name": str(v["name"]), "value": str(v.get("value", "")), "type": str(v.get("type", "PLAINTEXT"))}
        for v in variables
    ]


def _approval(execution: Execution, run: ActionRun) -> None:
    token = str(uuid.uuid4())
    with _COND:
        run.token = run.external_id = token
    _request_approval(execution, run, token)
    with _COND:
        _COND.notify_all()
        while run.decision is None and execution.stop != "abandon":
            _COND.wait(_WAIT)
        if run.decision is None:
            run.end(ABANDONED)
        elif run.decision == "Approved":
            run.end(SUCCEEDED)
        else:
            run.end(FAILED, f"Rejected by {run.updated_by}")


def _request_approval(execution: Execution, run: ActionRun, token: str) -> None:
    configuration = run.configuration
    topic = configuration.get("NotificationArn")
    if not topic:
        return
    _as_role(execution, "sns", "Publish", {"TopicArn": topic, "Message": "approval requested"})
    # "JSON data format for manual approval notifications": published to the topic when the pipeline stops.
    parts = topic.split(":")
    stored = sns_backends[parts[4]][parts[3]].topics.get(topic) if len(parts) == 6 else None
    if stored is None:
        return
    name, stage = execution.pipeline, run.stage
    console = f"https://console.aws.amazon.com/codepipeline/home?region={execution.region}#/view/{name}"
    approval = {
        "pipelineName": name,
        "stageName": stage,
        "actionName": run.name,
        "token": token,
        "expires": (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%MZ"),
        "externalEntityLink": configuration.get("ExternalEntityLink"),
        "approvalReviewLink": f"{console}/{stage}/{run.name}/approve/{token}",
        "customData": configuration.get("CustomData"),
    }
    message = {
        "region": execution.region,
        "consoleLink": console,
        "approval": {k: v for k, v in approval.items() if v is not None},
    }
    try:
        stored.publish(json.dumps(message))
    except Exception:  # a subscriber's failed delivery does not fail the publish (SNS retries, then drops it)
        log.warning("approval notification of %s to %s: a delivery failed", name, topic, exc_info=True)


_RUNNERS = {
    ("Source", "S3"): _source_s3,
    ("Source", "CodeStarSourceConnection"): _source_connection,
    ("Build", "CodeBuild"): _codebuild,
    ("Test", "CodeBuild"): _codebuild,
    ("Approval", "Manual"): _approval,
}


# -- the API ---------------------------------------------------------------------------------------------
def executions(account: str, region: str, name: str) -> list[Execution]:
    """The pipeline's executions, most recent first (``PipelineNotFoundException`` without the pipeline)."""
    _declared(account, region, name)
    with _COND:
        return list(reversed(_lanes(account, region, name).executions))


def execution(account: str, region: str, name: str, execution_id: str) -> Execution:
    found = next((e for e in executions(account, region, name) if e.id == execution_id), None)
    if found is None:
        raise PipelineExecutionNotFoundException(
            f"Account '{account}' does not have an execution with id '{execution_id}' for pipeline '{name}'"
        )
    return found


def state(account: str, region: str, name: str) -> dict[str, Any]:
    """GetPipelineState: each stage's latest execution and each action's latest execution."""
    pipeline = _declared(account, region, name)
    declaration = pipeline.pipeline
    with _COND:
        lanes = _lanes(account, region, name)
        runs = list(lanes.executions)
        stages = [_stage_state(s, runs, lanes, region) for s in declaration["stages"]]
    metadata = pipeline._created, pipeline._updated
    return {
        "pipelineName": name,
        "pipelineVersion": declaration.get("version", 1),
        "stageStates": stages,
        "created": metadata[0].replace(tzinfo=UTC),
        "updated": metadata[1].replace(tzinfo=UTC),
    }


def _stage_state(
    stage: Mapping[str, Any], runs: list[Execution], lanes: Lanes, region: str
) -> dict[str, Any]:
    name = stage["name"]
    answer: dict[str, Any] = {
        "stageName": name,
        "inboundTransitionState": {"enabled": True},
        "actionStates": [],
    }
    latest = next((e for e in reversed(runs) if name in e.stages), None)
    if latest is not None:
        answer["latestExecution"] = {
            "pipelineExecutionId": latest.id,
            "status": latest.stages[name],
            "type": "STANDARD",
        }
    waiting = [
        {"pipelineExecutionId": e.id, "status": IN_PROGRESS, "type": "STANDARD"}
        for e in lanes.waiting.get(name, [])
    ]
    if waiting:
        answer["inboundExecution"] = waiting[0]
        answer["inboundExecutions"] = waiting
    for action in stage["actions"]:
        state: dict[str, Any] = {"actionName": action["name"]}
        url = _entity_url(action, region)
        if url:
            state["entityUrl"] = url
        found = [r for e in runs for r in e.actions if r.stage == name and r.name == action["name"]]
        if found:
            state["latestExecution"] = max(found, key=lambda r: r.started).state()
        answer["actionStates"].append(state)
    return answer


def _entity_url(action: Mapping[str, Any], region: str) -> str | None:
    kind, configuration = action["actionTypeId"]["provider"], action.get("configuration") or {}
    if kind == "CodeBuild" and configuration.get("ProjectName"):
        return f"https://console.aws.amazon.com/codebuild/home?region={region}#/projects/{configuration['ProjectName']}/view"
    if kind == "S3" and configuration.get("S3Bucket"):
        return f"https://console.aws.amazon.com/s3/home?region={region}#&bucket={configuration['S3Bucket']}"
    return None


def action_executions(account: str, region: str, name: str, execution_id: str | None) -> list[dict[str, Any]]:
    """ListActionExecutions' ActionExecutionDetails, most recent first."""
    found = (
        [execution(account, region, name, execution_id)]
        if execution_id
        else executions(account, region, name)
    )
    with _COND:
        details = [_detail(e, r) for e in found for r in e.actions]
    return sorted(details, key=lambda d: d["startTime"], reverse=True)


def _detail(execution: Execution, run: ActionRun) -> dict[str, Any]:
    declaration = run.declaration
    result = {
        "externalExecutionId": run.external_id,
        "externalExecutionSummary": run.summary,
        "externalExecutionUrl": run.external_url,
        "errorDetails": run.error,
    }
    detail: dict[str, Any] = {
        "pipelineExecutionId": execution.id,
        "actionExecutionId": run.id,
        "pipelineVersion": execution.version,
        "stageName": run.stage,
        "actionName": run.name,
        "startTime": run.started,
        "lastUpdateTime": run.updated,
        "status": run.status,
        "input": {
            "actionTypeId": dict(declaration["actionTypeId"]),
            "configuration": dict(declaration.get("configuration") or {}),
            "resolvedConfiguration": dict(run.configuration),
            "region": execution.region,
            "inputArtifacts": copy.deepcopy(run.inputs),
        },
        "output": {
            "outputArtifacts": copy.deepcopy(run.outputs),
            "executionResult": {k: v for k, v in result.items() if v is not None},
            "outputVariables": dict(run.variables),
        },
    }
    if declaration.get("namespace"):
        detail["input"]["namespace"] = declaration["namespace"]
    if run.updated_by:
        detail["updatedBy"] = run.updated_by
    return detail


def put_approval_result(
    account: str,
    region: str,
    name: str,
    stage: str,
    action: str,
    result: Mapping[str, str],
    token: str,
    who: str,
) -> datetime:
    """PutApprovalResult: decide the waiting approval ``token`` names; when it was decided."""
    declaration = _declared(account, region, name).pipeline
    stages = {s["name"]: s for s in declaration["stages"]}
    if stage not in stages:
        raise _error(
            "StageNotFoundException", "The stage was specified in an invalid format or cannot be found."
        )
    if action not in {a["name"] for a in stages[stage]["actions"]}:
        raise _error("ActionNotFoundException", "The specified action cannot be found.")
    with _COND:
        runs = [r for e in _lanes(account, region, name).executions for r in e.actions]
        run = next((r for r in runs if r.token == token and r.stage == stage and r.name == action), None)
        if run is None:
            raise _error(
                "InvalidApprovalTokenException",
                "The approval request already received a response or has expired.",
            )
        if run.decision is not None or run.status != IN_PROGRESS:
            raise _error(
                "ApprovalAlreadyCompletedException",
                "The approval action has already been approved or rejected.",
            )
        run.decision, run.summary, run.updated_by = result["status"], result.get("summary"), who
        _COND.notify_all()
    return datetime.now(UTC)


def stop_execution(
    account: str, region: str, name: str, execution_id: str, abandon: bool, reason: str | None
) -> str:
    """StopPipelineExecution: Stopping now, Stopped once its in-progress actions ended (or were abandoned)."""
    found = execution(account, region, name, execution_id)
    with _COND:
        if found.over:
            raise _error(
                "PipelineExecutionNotStoppableException",
                "Unable to stop the pipeline execution. The execution might already be in a Stopped "
                "state, or it might no longer be in progress.",
            )
        if found.status == STOPPING and (not abandon or found.stop == "abandon"):
            raise _error(
                "DuplicatedStopRequestException",
                "The pipeline execution is already in a Stopping state. If you already chose to stop and "
                "wait, you cannot make that request again. You can choose to stop and abandon now.",
            )
        found.status, found.stop = STOPPING, "abandon" if abandon else "wait"
        found.stop_reason = reason or found.stop_reason
        found.updated = datetime.now(UTC)
        running = [r.build for r in found.actions if r.status == IN_PROGRESS and r.build] if abandon else []
        _COND.notify_all()
    for build in running:
        builds.stop(build)
    return found.id


def forget(account: str, region: str, name: str) -> None:
    """A deleted pipeline: stop its executions (abandon) and forget them."""
    with _COND:
        lanes = _PIPELINES.pop((account, region, name), None)
    if lanes is not None:
        _abandon(lanes.executions)


def _abandon(found: list[Execution]) -> None:
    with _COND:
        for each in found:
            if not each.over:
                each.stop = "abandon"
        running = [r.build for e in found for r in e.actions if r.status == IN_PROGRESS and r.build]
        _COND.notify_all()
    for build in running:
        builds.stop(build)


def stop_all() -> None:
    """Abandon every execution (a sandbox reset, or the server ending) and forget them."""
    with _COND:
        found = [e for lanes in _PIPELINES.values() for e in lanes.executions]
        threads = list(_THREADS)
    _abandon(found)
    for thread in threads:
        thread.join(timeout=10.0)
    with _COND:
        _PIPELINES.clear()
        _THREADS.clear()


def apply() -> None:
    lifecycle.on_reset(stop_all, first=True)  # executions start builds: they stop before the builds do
