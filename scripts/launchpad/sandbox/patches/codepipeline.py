"""CodePipeline: pipelines as CreatePipeline, UpdatePipeline, GetPipeline and ListPipelines describe them.

AWS (https://docs.aws.amazon.com/codepipeline/latest/APIReference/):
- ``API_GetPipeline``, ``API_ListPipelines``, ``API_ListPipelineExecutions``: ``API_PipelineMetadata``
  ``created`` / ``updated``, ``API_PipelineSummary`` and ``API_PipelineExecutionSummary`` times are
  timestamps, which the JSON protocol sends as epoch seconds.
- ``API_PipelineDeclaration``: ``executionMode`` defaults to ``SUPERSEDED``; ``pipelineType`` is ``V1``
  unless V2 parameters (``triggers``, ``variables``, a ``QUEUED`` or ``PARALLEL`` execution mode) make it
  ``V2``; both are returned by GetPipeline, as are ``triggers``, ``variables`` and the artifact store's
  ``encryptionKey``; ``API_PipelineSummary`` (ListPipelines) carries both too.
- ``API_CreatePipeline``: a name already taken is ``PipelineNameInUseException``; the role (here and in
  ``API_UpdatePipeline``) must let ``codepipeline.amazonaws.com`` assume it for this pipeline
  (``InvalidStructureException`` otherwise): its trust policy is evaluated by the sandbox's authorization.

Executions (what CodePipeline does as the pipeline's role, action by action) are ``codepipeline_runs``:
``CreatePipeline`` starts the first one ("CreatePipeline" trigger, as AWS does), and
``StartPipelineExecution``, ``GetPipelineExecution``, ``ListPipelineExecutions``, ``GetPipelineState``,
``ListActionExecutions``, ``PutApprovalResult`` and ``StopPipelineExecution`` answer from them (stock moto
marks every execution Succeeded at once and has none of the last four); ``DeletePipeline`` abandons the
pipeline's executions.
Requests are checked against the API model's constraints (``ValidationException``); a ``nextToken`` the
sandbox did not hand out is ``InvalidNextTokenException``.

Stock moto sends the times as ISO-8601 strings: the AWS SDK for Go cannot decode them, so Terraform fails
to read back every ``aws_codepipeline`` it creates. It also crashes (HTTP 500) or refuses the role when the
trust policy lists its services or has a statement without a service principal, answers a duplicate name
with ``InvalidStructureException`` and returns no ``pipelineType`` / ``executionMode`` when they were not
given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.codepipeline.exceptions import InvalidStructureException
from moto.codepipeline.models import CodePipeline, CodePipelineBackend
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

from launchpad.sandbox.authz import acting
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import codepipeline_runs as runs
from launchpad.sandbox.patches.codebuild import check_request

_MARK = "_launchpad_codepipeline_patch"
_SERVICE = "codepipeline.amazonaws.com"
_V2_EXECUTION_MODES = frozenset({"QUEUED", "PARALLEL"})
# Responses with timestamps: the serializer driven by the API model writes them as the protocol says.
_TIMESTAMPED = ("get_pipeline", "list_pipelines")
_PAGE = 100  # maxResults when the request gives none


class PipelineNameInUseException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("PipelineNameInUseException", message)


class InvalidNextTokenException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "InvalidNextTokenException",
            "The next token was specified in an invalid format. Make sure that the next token you provide is "
            "the token returned by a previous call.",
        )


def with_defaults(pipeline: dict[str, Any]) -> dict[str, Any]:
    """``executionMode`` and ``pipelineType`` as GetPipeline returns them when the request left them out."""
    pipeline.setdefault("executionMode", "SUPERSEDED")
    if "pipelineType" not in pipeline:
        v2 = pipeline.get("triggers") or pipeline.get("variables")
        v2 = v2 or pipeline["executionMode"] in _V2_EXECUTION_MODES
        pipeline["pipelineType"] = "V2" if v2 else "V1"
    return pipeline


def check_role(backend: CodePipelineBackend, role_arn: str, pipeline: str) -> None:
    """CodePipeline must be able to assume the pipeline's role (its trust policy, with the pipeline as
    ``aws:SourceArn`` and the account as ``aws:SourceAccount``)."""
    arn = f"arn:aws:codepipeline:{backend.region_name}:{backend.account_id}:{pipeline}"
    try:
        acting.assume(role_arn, _SERVICE, backend.region_name, arn, backend.account_id, "CodePipeline")
    except acting.Refused as refused:
        raise InvalidStructureException(
            f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}"
        ) from refused


def _timestamped(
    method: Callable[[CodePipelineResponse], str],
) -> Callable[[CodePipelineResponse], ActionResult]:
    def serialized(self: CodePipelineResponse) -> ActionResult:
        return ActionResult(json.loads(method(self)))

    serialized.__name__ = method.__name__
    return serialized


def _request(response: CodePipelineResponse, operation: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads(response.body or "{}")
    check_request(operation, request, "codepipeline")
    return request


def _page(items: list[Any], request: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page of ``items`` (``maxResults``, ``nextToken``: the offset the previous page handed out)."""
    token = request.get("nextToken")
    if token is not None and not (isinstance(token, str) and token.isdigit() and int(token) <= len(items)):
        raise InvalidNextTokenException()
    start = int(token or 0)
    end = start + int(request.get("maxResults") or _PAGE)
    return items[start:end], (str(end) if end < len(items) else None)


def _paged(key: str, items: list[Any], request: dict[str, Any]) -> ActionResult:
    page, token = _page(items, request)
    return ActionResult({key: page, **({"nextToken": token} if token else {})})


def start_pipeline_execution(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "StartPipelineExecution")
    if request.get("sourceRevisions"):
        raise runs.ValidationException("launchpad sandbox: sourceRevisions overrides are not modelled")
    execution_id = runs.start_execution(
        self.current_account,
        self.region,
        request["name"],
        "StartPipelineExecution",
        builds.caller(self.headers).arn,
        request.get("variables"),
        request.get("clientRequestToken"),
    )
    return ActionResult({"pipelineExecutionId": execution_id})


def get_pipeline_execution(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "GetPipelineExecution")
    found = runs.execution(
        self.current_account, self.region, request["pipelineName"], request["pipelineExecutionId"]
    )
    return ActionResult({"pipelineExecution": found.describe()})


def list_pipeline_executions(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "ListPipelineExecutions")
    found = runs.executions(self.current_account, self.region, request["pipelineName"])
    stage = ((request.get("filter") or {}).get("succeededInStage") or {}).get("stageName")
    if stage:
        found = [e for e in found if e.stages.get(stage) == runs.SUCCEEDED]
    return _paged("pipelineExecutionSummaries", [e.summary() for e in found], request)


def get_pipeline_state(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "GetPipelineState")
    return ActionResult(runs.state(self.current_account, self.region, request["name"]))


def list_action_executions(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "ListActionExecutions")
    wanted = request.get("filter") or {}
    execution_id = wanted.get("pipelineExecutionId") or (wanted.get("latestInPipelineExecution") or {}).get(
        "pipelineExecutionId"
    )
    details = runs.action_executions(self.current_account, self.region, request["pipelineName"], execution_id)
    return _paged("actionExecutionDetails", details, request)


def put_approval_result(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "PutApprovalResult")
    approved = runs.put_approval_result(
        self.current_account,
        self.region,
        request["pipelineName"],
        request["stageName"],
        request["actionName"],
        request["result"],
        request["token"],
        builds.caller(self.headers).arn,
    )
    return ActionResult({"approvedAt": approved})


def stop_pipeline_execution(self: CodePipelineResponse) -> ActionResult:
    request = _request(self, "StopPipelineExecution")
    stopped = runs.stop_execution(
        self.current_account,
        self.region,
        request["pipelineName"],
        request["pipelineExecutionId"],
        bool(request.get("abandon")),
        request.get("reason"),
    )
    return ActionResult({"pipelineExecutionId": stopped})


_HANDLERS = (
    start_pipeline_execution,
    get_pipeline_execution,
    list_pipeline_executions,
    get_pipeline_state,
    list_action_executions,
    put_approval_result,
    stop_pipeline_execution,
)


def apply() -> None:
    if getattr(CodePipelineResponse, _MARK, False):
        return
    original_update = CodePipelineBackend.update_pipeline
    original_list = CodePipelineBackend.list_pipelines
    original_delete = CodePipelineBackend.delete_pipeline

    def create_pipeline(
        self: CodePipelineBackend, pipeline: dict[str, Any], tags: list[dict[str, str]] | None
    ) -> tuple[dict[str, Any], list[dict[str, str]]]:
        name = pipeline["name"]
        if name in self.pipelines:
            raise PipelineNameInUseException(
                f"A pipeline with the name '{name}' already exists in account '{self.account_id}'"
            )
        check_role(self, pipeline["roleArn"], name)
        if len(pipeline["stages"]) < 2:
            raise InvalidStructureException(
                f"Pipeline has only {len(pipeline['stages'])} stage(s). "
                "There should be a minimum of 2 stages in a pipeline"
            )
        created = CodePipeline(self.account_id, self.region_name, with_defaults(pipeline))
        created.validate_tags(tags or [])
        created.tags.update({tag["key"]: tag["value"] for tag in tags or []})
        self.pipelines[name] = created
        # "When you create a pipeline, it starts running": its first execution, triggered by CreatePipeline.
        runs.start_execution(self.account_id, self.region_name, name, "CreatePipeline")
        return created.pipeline, sorted(tags or [], key=lambda tag: tag["key"])

    def update_pipeline(self: CodePipelineBackend, pipeline: dict[str, Any]) -> dict[str, Any]:
        if pipeline["name"] in self.pipelines:
            check_role(self, pipeline["roleArn"], pipeline["name"])
        return original_update(self, with_defaults(pipeline))

    def delete_pipeline(self: CodePipelineBackend, name: str) -> None:
        original_delete(self, name)
        runs.forget(self.account_id, self.region_name, name)

    def list_pipelines(self: CodePipelineBackend) -> list[dict[str, Any]]:
        summaries = original_list(self)
        for summary in summaries:
            declaration = self.pipelines[summary["name"]].pipeline
            summary["pipelineType"] = declaration.get("pipelineType", "V1")
            summary["executionMode"] = declaration.get("executionMode", "SUPERSEDED")
        return summaries

    runs.apply()
    CodePipelineBackend.create_pipeline = create_pipeline  # type: ignore[method-assign]
    CodePipelineBackend.update_pipeline = update_pipeline  # type: ignore[method-assign]
    CodePipelineBackend.list_pipelines = list_pipelines  # type: ignore[method-assign]
    CodePipelineBackend.delete_pipeline = delete_pipeline  # type: ignore[method-assign]
    for handler in _HANDLERS:
        setattr(CodePipelineResponse, handler.__name__, handler)
    for name in _TIMESTAMPED:
        setattr(CodePipelineResponse, name, _timestamped(getattr(CodePipelineResponse, name)))
    setattr(CodePipelineResponse, _MARK, True)
