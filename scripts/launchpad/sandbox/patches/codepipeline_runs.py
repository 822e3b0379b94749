"""CodePipeline executions: what CodePipeline does as the pipeline's role, one action at a time.

AWS (CodePipeline User Guide, "CodePipeline service role", "Amazon S3 source action reference", "AWS CodeBuild
build and test action reference", "Manual approval action"): CodePipeline takes the pipeline's role
(``aws:SourceArn`` the pipeline, ``aws:SourceAccount`` its account) and, for an S3 source, reads the source
object's current version (``s3:GetBucketVersioning`` on the source bucket, ``s3:GetObjectVersion``, with
``kms:Decrypt`` via S3 for an SSE-KMS object) and stores it as the source artifact in the artifact store
(``s3:PutObject`` encrypted with the store's key: ``kms:GenerateDataKey`` via S3). A CodeBuild action is
``codebuild:StartBuild`` then ``codebuild:BatchGetBuilds`` on its project (the build itself runs as the
project's role: ``codebuild_builds``), with the action's input artifact and, if it has one, an output
artifact location. A manual approval publishes its notification (``sns:Publish`` on the action's topic;
for a KMS-encrypted topic also ``kms:GenerateDataKey`` and ``kms:Decrypt`` via SNS) and waits: the
topic's subscribers get the JSON of "JSON data format for manual approval notifications".

The sandbox runs an execution step by step, so a test can run each build's commands with the build's
credentials in between::

    POST /_launchpad/codepipeline/runs            {"account", "region", "pipeline"}
    POST /_launchpad/codepipeline/runs/<id>/next  (finish the current action, start the next; past a
                                                   manual approval this is the approval)

Each answers ``{"execution", "stage", "action", "kind", "build": {"id", "credentials", "reachable"} |
null, "status"}`` (``status`` ``InProgress``, ``AwaitingApproval`` or ``Succeeded``), or HTTP 403 with the
reason the action failed (as the execution would show it).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.codepipeline.models import codepipeline_backends
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends

from launchpad.sandbox import routes
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.patches import codebuild_builds as builds

log = logging.getLogger(__name__)

ROUTE = "/_launchpad/codepipeline/runs"
SERVICE = "codepipeline.amazonaws.com"
_MARK = "_launchpad_codepipeline_runs"


class ActionFailed(Exception):
    """An action of the execution failed; the message is its error, as the execution would show it."""


@dataclass
class Execution:
    id: str
    account: str
    region: str
    pipeline: Mapping[str, Any]
    principal: Principal
    actions: list[tuple[str, Mapping[str, Any]]]  # (stage name, action) after Source, in order
    position: int = -1
    build: str | None = None
    artifacts: dict[str, str] = field(default_factory=dict)  # artifact name -> s3:// location
    approved: bool = False


_EXECUTIONS: dict[str, Execution] = {}
_LOCK = threading.Lock()


def _as_role(
    execution: Execution, service: str, operation: str, params: Mapping[str, Any], **headers: str
) -> None:
    made = acting.call(service, operation, params, execution.region, **headers)
    denied = acting.check(execution.principal, made)
    if denied is not None:
        raise ActionFailed(f"{operation} was refused: {denied.message}")


def _store(execution: Execution) -> tuple[str, str | None]:
    store = execution.pipeline.get("artifactStore") or {}
    return store["location"], (store.get("encryptionKey") or {}).get("id")


def _put_artifact(execution: Execution, name: str) -> str:
    """Store an artifact of the execution in the artifact store; its s3:// location."""
    bucket, key_arn = _store(execution)
    key = f"{execution.pipeline['name'][:20]}/{name[:20]}/{uuid.uuid4().hex[:7]}"
    headers = (
        {"x_amz_server_side_encryption": "aws:kms", "x_amz_server_side_encryption_aws_kms_key_id": key_arn}
        if key_arn
        else {}
    )
    _as_role(execution, "s3", "PutObject", {"Bucket": bucket, "Key": key}, **headers)
    owner = s3_backends.bucket_accounts[bucket]
    s3_backends[owner[1]][owner[0]].put_object(
        bucket,
        key,
        b"PK\x05\x06" + b"\x00" * 18,
        encryption="aws:kms" if key_arn else None,
        kms_key_id=key_arn or None,
    )
    return f"s3://{bucket}/{key}"


def _source(execution: Execution, action: Mapping[str, Any]) -> None:
    configuration = action.get("configuration") or {}
    if action["actionTypeId"]["provider"] != "S3":
        raise ActionFailed(
            f"the sandbox runs S3 source actions only, not {action['actionTypeId']['provider']}"
        )
    bucket, key = configuration["S3Bucket"], configuration["S3ObjectKey"]
    _as_role(execution, "s3", "GetBucketVersioning", {"Bucket": bucket})
    owner = s3_backends.bucket_accounts.get(bucket)
    stored = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
    latest = stored.keys.get(key) if stored is not None else None
    if latest is None:
        raise ActionFailed(f"The object with key '{key}' does not exist in bucket '{bucket}'.")
    _as_role(
        execution, "s3", "GetObject", {"Bucket": bucket, "Key": key, "VersionId": latest.version_id or "null"}
    )
    for output in action.get("outputArtifacts") or []:
        execution.artifacts[output["name"]] = _put_artifact(execution, output["name"])


def _start_build(execution: Execution, action: Mapping[str, Any]) -> dict[str, Any]:
    project = action["configuration"]["ProjectName"]
    _as_role(execution, "codebuild", "StartBuild", {"projectName": project})
    inputs = [execution.artifacts[i["name"]] for i in action.get("inputArtifacts") or []]
    outputs = action.get("outputArtifacts") or []
    output = None
    if outputs:
        bucket, _ = _store(execution)
        output = f"s3://{bucket}/{execution.pipeline['name'][:20]}/{outputs[0]['name'][:20]}/{uuid.uuid4().hex[:7]}"
        execution.artifacts[outputs[0]["name"]] = output
    try:
        build, session = builds.start(
            execution.account, execution.region, project, inputs[0] if inputs else None, output
        )
    except builds.BuildFailed as failed:
        raise ActionFailed(f"Build of {project} failed: {failed}") from failed
    _as_role(execution, "codebuild", "BatchGetBuilds", {"ids": [build.id]})
    execution.build = build.id
    reachable = list(build.principal.network) if build.principal.network is not None else None
    return {"id": build.id, "credentials": session.credentials(), "reachable": reachable}


def _request_approval(execution: Execution, stage: str, action: Mapping[str, Any]) -> None:
    configuration = action.get("configuration") or {}
    topic = configuration.get("NotificationArn")
    if not topic:
        return
    _as_role(execution, "sns", "Publish", {"TopicArn": topic, "Message": "approval requested"})
    # "JSON data format for manual approval notifications": published to the topic when the pipeline stops.
    parts = topic.split(":")
    stored = sns_backends[parts[4]][parts[3]].topics.get(topic) if len(parts) == 6 else None
    if stored is None:
        return
    name, token = execution.pipeline["name"], str(uuid.uuid4())
    console = f"https://console.aws.amazon.com/codepipeline/home?region={execution.region}#/view/{name}"
    approval = {
        "pipelineName": name,
        "stageName": stage,
        "actionName": action["name"],
        "token": token,
        "expires": (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%MZ"),
        "externalEntityLink": configuration.get("ExternalEntityLink"),
        "approvalReviewLink": f"{console}/{stage}/{action['name']}/approve/{token}",
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


def _answer(
    execution: Execution, build: dict[str, Any] | None = None, status: str = "InProgress"
) -> dict[str, Any]:
    stage, action = (
        execution.actions[execution.position]
        if 0 <= execution.position < len(execution.actions)
        else (None, {})
    )
    kind = (action.get("actionTypeId") or {}).get("provider")
    return {
        "execution": execution.id,
        "stage": stage,
        "action": action.get("name"),
        "kind": kind,
        "build": build,
        "status": status,
    }


def _advance(execution: Execution) -> dict[str, Any]:
    """Finish the current action and start the next one."""
    if execution.build is not None:
        try:
            builds.complete(execution.build)
        except builds.BuildFailed as failed:
            raise ActionFailed(str(failed)) from failed
        execution.build = None
    current = (
        execution.actions[execution.position][1] if 0 <= execution.position < len(execution.actions) else {}
    )
    if (current.get("actionTypeId") or {}).get("category") == "Approval":
        execution.approved = True
    execution.position += 1
    if execution.position >= len(execution.actions):
        return _answer(execution, status="Succeeded")
    stage, action = execution.actions[execution.position]
    kind = action["actionTypeId"]
    if kind["category"] == "Approval":
        _request_approval(execution, stage, action)
        return _answer(execution, status="AwaitingApproval")
    if kind["provider"] == "CodeBuild":
        return _answer(execution, _start_build(execution, action))
    raise ActionFailed(f"the sandbox does not run {kind['provider']} actions (stage {stage})")


def start(account: str, region: str, name: str) -> dict[str, Any]:
    pipeline = codepipeline_backends[account][region].pipelines.get(name)
    if pipeline is None:
        raise ActionFailed(f"Pipeline not found: {name}")
    declaration = pipeline.pipeline
    role = declaration["roleArn"]
    arn = f"arn:aws:codepipeline:{region}:{account}:{name}"
    try:
        principal = acting.assume(role, SERVICE, region, arn, account, f"CodePipeline-{uuid.uuid4().hex[:8]}")
    except acting.Refused as refused:
        raise ActionFailed(
            f"CodePipeline is not authorized to perform AssumeRole on role {role} ({refused})"
        ) from refused
    stages = declaration["stages"]
    actions = [(s["name"], a) for s in stages[1:] for a in s["actions"]]
    execution = Execution(str(uuid.uuid4()), account, region, declaration, principal, actions)
    for action in stages[0]["actions"]:
        _source(execution, action)
    with _LOCK:
        _EXECUTIONS[execution.id] = execution
    return _step(execution)


def _step(execution: Execution) -> dict[str, Any]:
    """``_advance``; an execution that succeeded or whose action failed is over (it cannot go on)."""
    try:
        answer = _advance(execution)
    except ActionFailed:
        with _LOCK:
            _EXECUTIONS.pop(execution.id, None)
        raise
    if answer["status"] == "Succeeded":
        with _LOCK:
            _EXECUTIONS.pop(execution.id, None)
    return answer


def next_action(execution_id: str) -> dict[str, Any]:
    with _LOCK:
        execution = _EXECUTIONS.get(execution_id)
    if execution is None:
        raise ActionFailed(f"no execution {execution_id}")
    return _step(execution)


def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "POST":
        return 404, {"error": "NotFound", "message": f"POST {ROUTE} or {ROUTE}/<id>/next"}
    try:
        if path == ROUTE:
            return 200, start(body["account"], body["region"], body["pipeline"])
        if path.startswith(f"{ROUTE}/") and path.endswith("/next"):
            return 200, next_action(path[len(ROUTE) + 1 : -len("/next")])
    except ActionFailed as failed:
        return 403, {"error": "ActionFailed", "message": str(failed)}
    return 404, {"error": "NotFound", "message": f"POST {ROUTE} or {ROUTE}/<id>/next"}


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    routes.add(ROUTE, _route)
    setattr(routes, _MARK, True)
