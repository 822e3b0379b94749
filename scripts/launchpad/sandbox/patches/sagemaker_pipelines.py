"""SageMaker Pipelines that run: an execution runs its steps, each job created as the pipeline's role.

AWS (SageMaker API Reference ``CreatePipeline``, ``UpdatePipeline``, ``DescribePipeline``, ``ListPipelines``,
``DeletePipeline``, ``StartPipelineExecution``, ``StopPipelineExecution``, ``DescribePipelineExecution``,
``ListPipelineExecutions``, ``ListPipelineExecutionSteps``, ``PipelineExecutionStep``,
``PipelineExecutionStepMetadata``, ``ListPipelineParametersForExecution``,
``DescribePipelineDefinitionForExecution``; SageMaker Developer Guide, "Pipelines steps", "Pass data between
steps" (property references, ``PropertyFile`` and ``JsonGet``), "Retry policy for pipeline steps", "Pipelines
overview" / "IAM access management"):

- ``CreatePipeline`` / ``UpdatePipeline`` take the definition inline (``PipelineDefinition``) or from S3
  (``PipelineDefinitionS3Location``, read as the caller: ``s3:GetObject``), never both. The definition is
  checked (``launchpad.pipeline.check.check_definition``: its schema, duplicate step names, ``DependsOn`` /
  ``Get`` naming no step or parameter, property files a step does not declare, cycles, wrong-type
  defaults): a bad one is a ``ValidationException`` listing every problem, and nothing is stored. The caller
  passes ``RoleArn`` (``iam:PassRole``, the authorization gate) and SageMaker must be able to assume it
  ("Could not assume role ..."). A second pipeline of one name is refused.
- ``ListPipelines`` filters (``PipelineNamePrefix``, ``CreatedAfter``/``CreatedBefore``) and sorts
  (``SortBy`` Name | CreationTime, ``SortOrder``, default CreationTime Descending) before it pages.
  ``DeletePipeline`` of a pipeline with a running execution is refused.
- ``StartPipelineExecution`` checks ``PipelineParameters`` against the definition (an unknown name, a value
  that is not of the parameter's type: ``ValidationException``, no execution made); a ``ClientRequestToken``
  used before for the pipeline answers the same execution. The execution (id: 12 lowercase letters and digits)
  is ``Executing``, then ``Succeeded`` | ``Failed`` | ``Stopped`` (``Stopping`` after
  ``StopPipelineExecution``). Its ``FailureReason`` names the failed step and that step's reason (for a job,
  the job's ``FailureReason``: the end of its log); a Fail step's is its ``ErrorMessage``.
- SageMaker takes the pipeline's role for the execution (``aws:SourceArn`` the execution). A step runs when
  every step it depends on (``DependsOn``, the steps whose properties it reads) has succeeded; a step of a
  condition's ``IfSteps``/``ElseSteps`` runs only when the condition chose its branch; a failed step fails the
  execution, and what depends on it never starts. Step statuses: ``Starting``, ``Executing``, ``Succeeded``,
  ``Failed``, ``Stopping``, ``Stopped``.
- Values: ``{"Get": "Parameters.<name>"}`` (the execution's value, typed),
  ``{"Get": "Execution.<variable>"}``, ``{"Get": "Steps.<step>.<path>"}`` (the step's job description as its
  Describe call answers it:
  ``ProcessingOutputConfig.Outputs['report'].S3Output.S3Uri``, ``BestTrainingJob.TrainingJobName``,
  ``ModelArtifacts.S3ModelArtifacts``, a RegisterModel step's ``ModelPackageArn``), ``Std:Join``
  (``On``, ``Values``) and ``Std:JsonGet`` (the step's ``PropertyFiles`` entry: the object ``<S3Uri of its
  OutputName>/<FilePath>``, read as the pipeline's role, then the JSON path).
- Processing, Training and Tuning steps create their job as the pipeline's role (``sagemaker:Create*Job``
  and ``iam:PassRole`` of the job's role, judged by its policies: refused, the step fails with the
  ``AccessDeniedException`` naming the action), named ``pipelines-<execution id>-<step>-<10 random
  characters>`` (a tuning job, whose names are at most 32 characters: ``<execution id>-<step>-<random>``,
  cut to fit), and wait for it. Condition steps evaluate every condition (all must hold; ``Equals``,
  ``NotEquals``, ``GreaterThan``..., ``In``, ``Not``, ``Or``) and report ``Outcome`` True | False.
  RegisterModel steps make a model package version (``CreateModelPackage`` as the role). Fail steps fail the
  execution with their ``ErrorMessage``.
- ``RetryPolicies``: a policy's ``ExceptionType`` (``SageMaker.JOB_INTERNAL_ERROR``: an
  ``InternalServerError`` job failure; ``SageMaker.CAPACITY_ERROR``; ``SageMaker.RESOURCE_LIMIT``;
  ``Step.SERVICE_FAULT``; ``Step.THROTTLING``) or ``FailureValue`` (a job failure reason that starts with one
  of the values, e.g. ``AlgorithmError``) retries the step after ``IntervalSeconds`` (default 1) times
  ``BackoffRate`` (default 2) per earlier retry, up to ``MaxAttempts`` (default 5) attempts; ``AttemptCount``
  says how many it took.
- ``ListPipelineExecutionSteps`` lists the steps that started, newest first (``SortOrder``, paging), each
  with its ``Metadata``: ``ProcessingJob.Arn``, ``TrainingJob.Arn``, ``TuningJob.Arn``,
  ``Condition.Outcome``, ``RegisterModel.Arn``, ``Fail.ErrorMessage``.

The sandbox runs the jobs with launchpad's own patches (``sagemaker_processing``, ``sagemaker_training``,
``sagemaker_tuning``), so their images and limits are theirs. The pipeline's tag
``launchpad:sandbox:time-scale`` scales retry intervals and is given to the jobs it creates (which scale their
``MaxRuntimeInSeconds`` by it); the tag is added after the job request was authorized (the role does not need
``sagemaker:AddTags`` for it). Refused at ``CreatePipeline`` / ``UpdatePipeline`` (``ValidationException``
"launchpad sandbox: ... not modelled"): step types other than Processing, Training, Tuning, Condition,
RegisterModel and Fail; at ``StartPipelineExecution``: ``SelectiveExecutionConfig``. Not modelled: step
caching (``CacheConfig`` is accepted, every step runs), ``ParallelismConfiguration`` (stored; steps that may
run together do), ``PipelineExperimentConfig`` and lineage, ``RetryPipelineExecution``, callback and Lambda
steps.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import logging
import random
import re
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.sagemaker.exceptions import (
    ConflictException,
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)
from moto.sagemaker.models import FakePipeline, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from launchpad.deploy import timescale
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.pipeline.check import (
    check_definition,
    check_parameters,
    dependencies,
    parameter_types,
    parse_value,
    steps_with_places,
)
from launchpad.sandbox import authz, lifecycle
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import sagemaker
from launchpad.sandbox.patches import sagemaker_execution as execution_role
from launchpad.sandbox.patches import sagemaker_processing as processing
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message

log = logging.getLogger(__name__)

SERVICE = "sagemaker.amazonaws.com"
PREFIX = "launchpad sandbox: "
RUN_STEP_TYPES = ("Processing", "Training", "Tuning", "Condition", "RegisterModel", "Fail")
EXECUTING, STOPPING, STOPPED, FAILED, SUCCEEDED = "Executing", "Stopping", "Stopped", "Failed", "Succeeded"
STARTING = "Starting"
_ENDED = (STOPPED, FAILED, SUCCEEDED)
_ALPHABET = string.ascii_lowercase + string.digits
_RANDOM = string.ascii_letters + string.digits
_REASON = 1024  # PipelineExecutionStep.FailureReason's limit
_EXECUTION_REASON = 1300  # PipelineExecution.FailureReason's limit
_POLL = 0.05
_PATH_TOKEN = re.compile(r"\.([A-Za-z0-9_]+)|\[(?:'([^']*)'|\"([^\"]*)\"|(\d+))\]")
_JSON_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_EXCEPTION_TYPES = {
    "SageMaker.JOB_INTERNAL_ERROR": ("InternalServerError",),
    "SageMaker.CAPACITY_ERROR": ("CapacityError", "InsufficientCapacity"),
    "SageMaker.RESOURCE_LIMIT": ("ResourceLimitExceeded",),
    "Step.SERVICE_FAULT": ("ServiceFault", "InternalFailure"),
    "Step.THROTTLING": ("ThrottlingException", "Throttling"),
}


class StepFailed(Exception):
    """The step cannot succeed; the message is its FailureReason."""


# -- the pipeline -------------------------------------------------------------------------------------------
def _api_errors(operation: str, params: Mapping[str, Any]) -> list[str]:
    shape = get_service_model("sagemaker").operation_model(operation).input_shape
    errors = [
        f"Value null at '{n[:1].lower() + n[1:]}' failed to satisfy constraint: Member must not be null"
        for n in shape.required_members
        if params.get(n) is None and n != "ClientRequestToken"
    ]
    errors += constraint_errors(dict(params), shape, "")
    for name in ("PipelineName", "RoleArn", "PipelineExecutionDisplayName"):
        member = shape.members.get(name)
        value = params.get(name)
        if member is not None and isinstance(value, str):
            pattern = member.metadata.get("pattern")
            if pattern and not re.fullmatch(pattern, value):
                errors.append(
                    f"Value '{value}' at '{name[:1].lower() + name[1:]}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pattern}"
                )
    return [e.replace("at '.", "at '") for e in errors]


def _definition_text(params: Mapping[str, Any], caller: Principal, region: str) -> str | None:
    """The definition the request gives (inline, or read from S3 as the caller); None when it gives none."""
    inline, location = params.get("PipelineDefinition"), params.get("PipelineDefinitionS3Location")
    if inline and location:
        raise ValidationError(
            "Both PipelineDefinition and PipelineDefinitionS3Location were given: give one of them."
        )
    if inline:
        return str(inline)
    if not location:
        return None
    bucket, key = str(location.get("Bucket")), str(location.get("ObjectKey"))
    version = location.get("VersionId")
    request = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
    if authz.enabled():
        denied = acting.check(caller, acting.call("s3", "GetObject", request, region))
        if denied is not None:
            raise ValidationError(
                f"Could not read the pipeline definition from s3://{bucket}/{key}: {denied.message}"
            )
    stored = builds.stored_object(bucket, key, version)
    if stored is None or not hasattr(stored, "value"):
        raise ValidationError(f"Could not read the pipeline definition: no object s3://{bucket}/{key}.")
    return bytes(stored.value).decode("utf-8", errors="replace")


def checked_definition(text: str) -> dict[str, Any]:
    """The definition, or a ValidationError listing its problems (or its steps the sandbox does not run)."""
    problems = check_definition(text)
    if problems:
        listed = " ".join(f"({n}) {p}" for n, p in enumerate(problems, start=1))
        raise ValidationError(f"The pipeline definition is not valid: {listed}")
    document = json.loads(text)
    for step, _ in steps_with_places(document["Steps"]):
        if step["Type"] not in RUN_STEP_TYPES:
            raise ValidationError(
                f"{PREFIX}step {step['Name']} of type {step['Type']} is not modelled (the sandbox runs "
                f"{', '.join(RUN_STEP_TYPES)} steps)"
            )
    return dict(document)


def _check_role(backend: SageMakerModelBackend, role: str, name: str) -> None:
    if not authz.enabled():
        return
    arn = arn_formatter("pipeline", name, backend.account_id, backend.region_name)
    try:
        execution_role._assume(role, backend.account_id, backend.region_name, arn)
    except execution_role.FleetFailure as failure:
        raise ValidationError(str(failure).split(" (", 1)[0]) from failure


def _pipeline_arn(backend: SageMakerModelBackend, name: str) -> str:
    return arn_formatter("pipeline", name, backend.account_id, backend.region_name)


def _scale(tags: Any) -> float:
    for tag in tags or []:
        if isinstance(tag, Mapping) and tag.get("Key") == timescale.TIME_SCALE_TAG:
            try:
                return timescale.parse(str(tag.get("Value", "")), f"Tag {timescale.TIME_SCALE_TAG}")
            except timescale.TimeScaleError as exc:
                raise ValidationError(str(exc)) from exc
    return timescale.UNSCALED


def _name_of(name_or_arn: str) -> str:
    return (
        name_or_arn.split(":pipeline/", 1)[1].split("/", 1)[0] if ":pipeline/" in name_or_arn else name_or_arn
    )


def pipeline_of(backend: SageMakerModelBackend, name_or_arn: str) -> FakePipeline:
    name = _name_of(str(name_or_arn))
    found = backend.pipelines.get(name) or next(
        (p for p in backend.pipelines.values() if p.pipeline_name.lower() == name.lower()), None
    )
    if found is None:
        raise ResourceNotFound(f"Pipeline '{_pipeline_arn(backend, name)}' does not exist.")
    return found


# -- an execution -------------------------------------------------------------------------------------------
@dataclass
class StepRun:
    name: str
    step: dict[str, Any]
    status: str = STARTING
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    failure: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    properties: dict[str, Any] = field(default_factory=dict)
    job: Any = None
    stop_job: Callable[[], None] | None = None
    outcome: bool | None = None

    def summary(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "StepName": self.name,
            "StepDisplayName": str(self.step.get("DisplayName") or self.name),
            "StartTime": self.started,
            "StepStatus": self.status,
            "AttemptCount": max(self.attempts, 1),
            "Metadata": copy.deepcopy(self.metadata),
        }
        if self.step.get("Description"):
            answer["StepDescription"] = self.step["Description"]
        if self.ended is not None:
            answer["EndTime"] = self.ended
        if self.failure is not None:
            answer["FailureReason"] = self.failure[:_REASON]
        return answer


@dataclass
class Execution:
    account: str
    region: str
    pipeline: str
    pipeline_arn: str
    id: str
    role: str
    definition: dict[str, Any]
    text: str
    parameters: dict[str, Any]
    scale: float
    display_name: str
    description: str | None
    token: str | None
    parallelism: dict[str, Any] | None
    created_by: dict[str, Any]
    status: str = EXECUTING
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    failure: str | None = None
    steps: dict[str, StepRun] = field(default_factory=dict)
    principal: Principal | None = None
    stopping: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def arn(self) -> str:
        return f"{self.pipeline_arn}/execution/{self.id}"

    def set_status(self, status: str, failure: str | None = None) -> None:
        with self.lock:
            self.status = status
            self.modified = datetime.now(UTC)
            if failure is not None:
                self.failure = failure[:_EXECUTION_REASON]

    def describe(self) -> dict[str, Any]:
        with self.lock:
            answer: dict[str, Any] = {
                "PipelineArn": self.pipeline_arn,
                "PipelineExecutionArn": self.arn,
                "PipelineExecutionDisplayName": self.display_name,
                "PipelineExecutionStatus": self.status,
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "CreatedBy": self.created_by,
                "LastModifiedBy": self.created_by,
            }
            if self.description is not None:
                answer["PipelineExecutionDescription"] = self.description
            if self.failure is not None:
                answer["FailureReason"] = self.failure
            if self.parallelism:
                answer["ParallelismConfiguration"] = self.parallelism
        return answer

    def summary(self) -> dict[str, Any]:
        answer = {
            "PipelineExecutionArn": self.arn,
            "StartTime": self.created,
            "PipelineExecutionStatus": self.status,
            "PipelineExecutionDisplayName": self.display_name,
        }
        if self.description is not None:
            answer["PipelineExecutionDescription"] = self.description
        if self.failure is not None:
            answer["PipelineExecutionFailureReason"] = self.failure
        return answer


_EXECUTIONS: dict[str, Execution] = {}
_LOCK = threading.Lock()


def executions_of(account: str, region: str, pipeline: str) -> list[Execution]:
    with _LOCK:
        return [
            e
            for e in _EXECUTIONS.values()
            if (e.account, e.region, e.pipeline) == (account, region, pipeline)
        ]


def execution_of(backend: SageMakerModelBackend, arn: str) -> Execution:
    with _LOCK:
        found = _EXECUTIONS.get(str(arn))
    if found is None or (found.account, found.region) != (backend.account_id, backend.region_name):
        raise ResourceNotFound(f"Pipeline execution '{arn}' does not exist.")
    return found


def start(
    backend: SageMakerModelBackend, pipeline: FakePipeline, params: Mapping[str, Any], caller: Principal
) -> Execution:
    """StartPipelineExecution: check the parameters, make the execution and run it in the background."""
    if params.get("SelectiveExecutionConfig"):
        raise ValidationError(f"{PREFIX}SelectiveExecutionConfig is not modelled (every step runs)")
    token = params.get("ClientRequestToken")
    if token:
        for existing in executions_of(backend.account_id, backend.region_name, pipeline.pipeline_name):
            if existing.token == token:
                return existing
    given: dict[str, str] = {}
    for item in params.get("PipelineParameters") or []:
        given[str(item.get("Name"))] = str(item.get("Value"))
    definition = json.loads(pipeline.pipeline_definition)
    problems = check_parameters(definition, given)
    if problems:
        raise ValidationError(" ".join(problems))
    values: dict[str, Any] = {}
    for name, declared in parameter_types(definition).items():
        if name in given:
            values[name] = parse_value(given[name], str(declared["Type"]))
        elif "DefaultValue" in declared:
            values[name] = declared["DefaultValue"]
        else:
            raise ValidationError(
                f"Parameter {name} has no DefaultValue: give it a value in PipelineParameters."
            )
    identity = {"UserProfileName": caller.arn.rsplit("/", 1)[-1]} if caller.arn else {}
    execution = Execution(
        account=backend.account_id,
        region=backend.region_name,
        pipeline=pipeline.pipeline_name,
        pipeline_arn=pipeline.arn,
        id="".join(random.choices(_ALPHABET, k=12)),
        role=pipeline.role_arn,
        definition=definition,
        text=pipeline.pipeline_definition,
        parameters=values,
        scale=_scale(pipeline.tags),
        display_name=str(params.get("PipelineExecutionDisplayName") or ""),
        description=params.get("PipelineExecutionDescription"),
        token=token,
        parallelism=params.get("ParallelismConfiguration") or pipeline.parallelism_configuration,
        created_by=identity,
    )
    execution.display_name = execution.display_name or f"execution-{int(time.time() * 1000)}"
    pipeline.last_execution_time = execution.created
    with _LOCK:
        _EXECUTIONS[execution.arn] = execution
    threading.Thread(target=_run, args=(execution,), daemon=True, name=f"pipeline-{execution.id}").start()
    return execution


def stop(execution: Execution) -> None:
    """StopPipelineExecution: Stopping; the running steps' jobs are stopped, then the execution is Stopped."""
    with execution.lock:
        if execution.status != EXECUTING:
            raise ConflictException(
                f"Pipeline execution {execution.arn} is {execution.status}: only an Executing execution can "
                "be stopped."
            )
        execution.stopping = True
        execution.set_status(STOPPING)
        running = [s for s in execution.steps.values() if s.status in (STARTING, EXECUTING)]
        for step in running:
            step.status = STOPPING
    for step in running:
        if step.stop_job is not None:
            try:
                step.stop_job()
            except Exception:  # the job ended meanwhile
                log.debug("stopping the job of step %s", step.name, exc_info=True)


def stop_all() -> None:
    with _LOCK:
        running = [e for e in _EXECUTIONS.values() if e.status == EXECUTING]
    for execution in running:
        with contextlib.suppress(ConflictException):
            stop(execution)
    for execution in running:
        execution.done.wait(10)
    with _LOCK:
        _EXECUTIONS.clear()


# -- running the graph --------------------------------------------------------------------------------------
def _all_steps(definition: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], str | None, str | None]]:
    """Every step by name: (step, the condition step whose branch holds it, IfSteps | ElseSteps)."""
    found: dict[str, tuple[dict[str, Any], str | None, str | None]] = {}

    def walk(steps: list[dict[str, Any]], parent: str | None, branch: str | None) -> None:
        for step in steps:
            found[step["Name"]] = (step, parent, branch)
            if step["Type"] == "Condition":
                for side in ("IfSteps", "ElseSteps"):
                    walk(step["Arguments"].get(side) or [], step["Name"], side)

    walk(definition["Steps"], None, None)
    return found


def _run(execution: Execution) -> None:
    try:
        steps = _all_steps(execution.definition)
        graph = dependencies(execution.definition["Steps"])
        threads: dict[str, threading.Thread] = {}
        try:
            execution.principal = _take_role(execution)
        except StepFailed as refused:
            execution.set_status(FAILED, str(refused))
            return
        while True:
            with execution.lock:
                runs = dict(execution.steps)
                if execution.stopping:
                    ready: list[str] = []
                else:
                    ready = [
                        name for name in steps if name not in runs and _may_start(name, steps, graph, runs)
                    ]
                for name in ready:
                    run = StepRun(name, steps[name][0])
                    execution.steps[name] = run
                    thread = threading.Thread(
                        target=_step, args=(execution, run), daemon=True, name=f"step-{execution.id}-{name}"
                    )
                    threads[name] = thread
                    thread.start()
                active = [n for n, t in threads.items() if t.is_alive()]
            if not ready and not active:
                break
            time.sleep(_POLL)
        with execution.lock:
            failures = [s for s in execution.steps.values() if s.status == FAILED]
            if execution.stopping:
                execution.set_status(STOPPED)
            elif failures:
                first = min(failures, key=lambda s: s.ended or s.started)
                if first.step["Type"] == "Fail":
                    execution.set_status(FAILED, first.failure or "")
                else:
                    execution.set_status(
                        FAILED, f"Step failure: Step {first.name} failed: {first.failure or ''}"
                    )
            else:
                execution.set_status(SUCCEEDED)
    except Exception as exc:  # the sandbox's own bug: the execution fails, the cause in the server's log
        log.exception("pipeline execution %s failed in the sandbox", execution.arn)
        execution.set_status(FAILED, f"InternalServerError: {PREFIX}{exc!r}")
    finally:
        execution.done.set()


def _may_start(
    name: str,
    steps: Mapping[str, tuple[dict[str, Any], str | None, str | None]],
    graph: Mapping[str, list[str]],
    runs: Mapping[str, StepRun],
) -> bool:
    _, parent, branch = steps[name]
    if parent is not None:
        condition = runs.get(parent)
        if condition is None or condition.status != SUCCEEDED or condition.outcome is None:
            return False
        if (branch == "IfSteps") != condition.outcome:
            return False
    for before in graph.get(name, []):
        run = runs.get(before)
        if run is None or run.status != SUCCEEDED:
            return False
    return True


def _take_role(execution: Execution) -> Principal:
    name = "SageMaker"
    if not authz.enabled():
        return principals.role_session(execution.role, name, via_service=SERVICE)
    try:
        return acting.assume(
            execution.role, SERVICE, execution.region, execution.arn, execution.account, name
        )
    except acting.Refused as refused:
        raise StepFailed(
            f"Could not assume role {execution.role}. Please ensure that the role exists and allows "
            f"principal '{SERVICE}' to assume the role. ({refused})"
        ) from refused


def _step(execution: Execution, run: StepRun) -> None:
    kind = run.step["Type"]
    policies = run.step.get("RetryPolicies") or []
    try:
        while True:
            run.attempts += 1
            try:
                with execution.lock:
                    if run.status == STARTING:
                        run.status = EXECUTING
                if execution.stopping:
                    raise StepFailed("Stopped")
                RUNNERS[kind](execution, run)
                break
            except StepFailed as failed:
                delay = _retry_delay(policies, str(failed), run.attempts)
                if delay is None or execution.stopping:
                    raise
                log.info(
                    "step %s attempt %s failed (%s); retrying in %s s", run.name, run.attempts, failed, delay
                )
                if _stopped_within(execution, delay * (execution.scale if execution.scale > 0 else 0)):
                    raise
        with execution.lock:
            run.status = STOPPED if execution.stopping and run.status == STOPPING else SUCCEEDED
    except StepFailed as failed:
        with execution.lock:
            if execution.stopping:
                run.status = STOPPED
            else:
                run.status, run.failure = FAILED, str(failed)[:_REASON]
    except Exception as exc:  # the sandbox's own bug: the step fails, the cause in the server's log
        log.exception("step %s of %s failed in the sandbox", run.name, execution.arn)
        with execution.lock:
            run.status, run.failure = FAILED, f"InternalServerError: {PREFIX}{exc!r}"[:_REASON]
    finally:
        with execution.lock:
            run.ended = datetime.now(UTC)
            execution.modified = run.ended


def _stopped_within(execution: Execution, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if execution.stopping:
            return True
        time.sleep(min(_POLL, max(0.0, deadline - time.monotonic())))
    return execution.stopping


def _retry_delay(policies: list[Mapping[str, Any]], reason: str, attempts: int) -> float | None:
    """AWS seconds to wait before the next attempt, or None when no policy retries this failure."""
    for policy in policies:
        kinds = policy.get("ExceptionType") or []
        values = policy.get("FailureValue") or []
        matched = any(reason.startswith(p) for k in kinds for p in _EXCEPTION_TYPES.get(k, ())) or any(
            reason.startswith(str(v)) for v in values
        )
        if not matched:
            continue
        if attempts >= int(policy.get("MaxAttempts", 5)):
            return None
        interval = float(policy.get("IntervalSeconds", 1))
        rate = float(policy.get("BackoffRate", 2.0))
        return float(interval * rate ** (attempts - 1))
    return None


# -- values -------------------------------------------------------------------------------------------------
def resolve(execution: Execution, value: Any) -> Any:
    """``value`` with every Get, Std:Join and Std:JsonGet replaced by what it names in this execution."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("Get"), str):
            return _get(execution, value["Get"])
        if len(value) == 1 and isinstance(value.get("Std:Join"), dict):
            join = value["Std:Join"]
            parts = [resolve(execution, v) for v in join.get("Values") or []]
            return str(join.get("On", "")).join(_text(p) for p in parts)
        if len(value) == 1 and isinstance(value.get("Std:JsonGet"), dict):
            return _json_get(execution, value["Std:JsonGet"])
        return {k: resolve(execution, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(execution, v) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _get(execution: Execution, path: str) -> Any:
    if path.startswith("Parameters."):
        return execution.parameters[path.removeprefix("Parameters.")]
    if path.startswith("Execution."):
        variable = path.removeprefix("Execution.")
        return {
            "PipelineExecutionId": execution.id,
            "PipelineExecutionArn": execution.arn,
            "PipelineName": execution.pipeline,
            "PipelineArn": execution.pipeline_arn,
            "StartDateTime": execution.created.isoformat(),
            "CurrentDateTime": datetime.now(UTC).isoformat(),
        }[variable]
    name, _, rest = path.removeprefix("Steps.").partition(".")
    if "[" in name:
        name, rest = name.split("[", 1)[0], path.removeprefix(f"Steps.{name.split('[', 1)[0]}")
    else:
        rest = "." + rest
    with execution.lock:
        run = execution.steps.get(name)
    if run is None or run.status != SUCCEEDED:
        raise StepFailed(f"Unable to resolve {path}: step {name} has not succeeded.")
    return property_at(run.properties, rest, path)


def property_at(properties: Any, rest: str, path: str) -> Any:
    """The value at a property path (``.Name``, ``['key']``, ``[0]``) of a step's description."""
    value, position = properties, 0
    while position < len(rest):
        match = _PATH_TOKEN.match(rest, position)
        if match is None:
            raise StepFailed(
                f"Unable to resolve {path}: the property path is not valid at {rest[position:]!r}."
            )
        position = match.end()
        attribute, key = match.group(1), match.group(2) or match.group(3)
        index = match.group(4)
        try:
            if attribute is not None:
                value = value[attribute]
            elif index is not None:
                value = value[int(index)] if isinstance(value, list) else value[index]
            elif isinstance(value, list):
                value = next(v for v in value if isinstance(v, dict) and _named(v, str(key)))
            else:
                value = value[key]
        except (KeyError, IndexError, TypeError, StopIteration):
            raise StepFailed(
                f"Unable to resolve {path}: the step's properties have no {rest[:position]}."
            ) from None
    return value


def _named(item: Mapping[str, Any], key: str) -> bool:
    return any(k.endswith("Name") and v == key for k, v in item.items())


def _json_get(execution: Execution, spec: Mapping[str, Any]) -> Any:
    path = str(spec.get("Path"))
    if "PropertyFile" in spec:
        reference = str(spec["PropertyFile"]["Get"])
        _, step_name, _, file_name = reference.split(".", 3)
        with execution.lock:
            run = execution.steps.get(step_name)
        if run is None or run.status != SUCCEEDED:
            raise StepFailed(f"Unable to resolve {reference}: step {step_name} has not succeeded.")
        declared = next(f for f in run.step.get("PropertyFiles") or [] if f["PropertyFileName"] == file_name)
        outputs = (run.properties.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        output = next((o for o in outputs if o.get("OutputName") == declared["OutputName"]), None)
        if output is None:
            raise StepFailed(
                f"Unable to resolve {reference}: step {step_name} has no output {declared['OutputName']}."
            )
        uri = f"{str(output['S3Output']['S3Uri']).rstrip('/')}/{declared['FilePath']}"
    else:
        uri = str(resolve(execution, spec["S3Uri"]))
    bucket, key = split_s3_uri(uri)
    principal = execution.principal
    if authz.enabled() and principal is not None:
        denied = acting.check(
            principal, acting.call("s3", "GetObject", {"Bucket": bucket, "Key": key}, execution.region)
        )
        if denied is not None:
            raise StepFailed(f"Std:JsonGet could not read {uri}: AccessDenied: {denied.message}")
    stored = builds.stored_object(bucket, key)
    if stored is None or not hasattr(stored, "value"):
        raise StepFailed(f"Std:JsonGet could not read {uri}: NoSuchKey: the object does not exist.")
    try:
        document = json.loads(bytes(stored.value))
    except ValueError as error:
        raise StepFailed(f"Std:JsonGet could not parse {uri} as JSON: {error}") from error
    value = document
    for match in _JSON_TOKEN.finditer(path):
        try:
            value = value[int(match.group(2))] if match.group(2) is not None else value[match.group(1)]
        except (KeyError, IndexError, TypeError):
            raise StepFailed(f"Std:JsonGet found no {path} in {uri}.") from None
    return value


# -- the steps ----------------------------------------------------------------------------------------------
def _job_name(execution: Execution, step: str, limit: int = 63) -> str:
    suffix = "".join(random.choices(_RANDOM, k=10))
    if limit < 63:
        head = f"{execution.id}-"
        room = max(1, limit - len(head) - 7)
        return f"{head}{step[:room]}-{suffix[:6]}"
    room = limit - len("pipelines-") - len(execution.id) - len(suffix) - 2
    return f"pipelines-{execution.id}-{step[:room]}-{suffix}"


def _as_role(execution: Execution, operation: str, params: Mapping[str, Any]) -> None:
    """Authorize the request as the pipeline's role (the gate's request plan: the action, the roles it
    passes, the keys it grants)."""
    if not authz.enabled() or execution.principal is None:
        return
    made = acting.call("sagemaker", operation, params, execution.region)
    denied = acting.check(execution.principal, made)
    if denied is not None:
        raise StepFailed(
            f"ClientError: An error occurred (AccessDeniedException) when calling the {operation} operation: "
            f"{denied.message}"
        )


def _with_scale(execution: Execution, tags: Any) -> list[dict[str, Any]] | None:
    found = list(tags or [])
    pipeline_tags = sagemaker_backends[execution.account][execution.region].pipelines.get(execution.pipeline)
    scale = next(
        (
            t
            for t in (pipeline_tags.tags if pipeline_tags else [])
            if t.get("Key") == timescale.TIME_SCALE_TAG
        ),
        None,
    )
    if scale is not None and not any(t.get("Key") == timescale.TIME_SCALE_TAG for t in found):
        found.append(dict(scale))
    return found or None


def _backend(execution: Execution) -> SageMakerModelBackend:
    return sagemaker_backends[execution.account][execution.region]


def _wait(execution: Execution, job: Any, key: str) -> dict[str, Any]:
    """The job's description once it ended Completed; StepFailed with its FailureReason otherwise."""
    ok, describe = "Completed", job.describe
    while not job.done.wait(_POLL):
        pass
    described = describe()
    status = str(described.get(key))
    if status == ok:
        return described
    if status == "Stopped" and execution.stopping:
        raise StepFailed("Stopped")
    raise StepFailed(str(described.get("FailureReason") or f"The job ended {status}."))


def _started(execution: Execution, run: StepRun, stop_job: Callable[[], None]) -> None:
    """The step's job is running: StopPipelineExecution stops it (at once, if it came while it was made)."""
    with execution.lock:
        run.stop_job = stop_job
        stopping = execution.stopping
    if stopping:
        with contextlib.suppress(Exception):
            stop_job()


def _processing(execution: Execution, run: StepRun) -> None:
    params = resolve(execution, run.step["Arguments"])
    params["ProcessingJobName"] = _job_name(execution, run.name)
    _as_role(execution, "CreateProcessingJob", params)
    params_tags = _with_scale(execution, params.get("Tags"))
    if params_tags:
        params["Tags"] = params_tags
    try:
        fake = processing.create(_backend(execution), params)
    except Exception as error:  # moto's ValidationError and friends: the request is wrong
        raise StepFailed(f"ClientError: {_message(error)}") from error
    job = processing.get(execution.account, execution.region, params["ProcessingJobName"])
    run.metadata = {"ProcessingJob": {"Arn": fake.arn}}
    assert job is not None
    _started(execution, run, lambda: processing.stop(job))
    run.properties = _wait(execution, job, "ProcessingJobStatus")


def _message(error: Exception) -> str:
    description = getattr(error, "description", None) or getattr(error, "message", None)
    if isinstance(description, str) and description.startswith("{"):
        try:
            return str(json.loads(description).get("message") or description)
        except ValueError:
            return description
    return str(description or error)


def _patch_module(name: str) -> Any:
    try:
        return importlib.import_module(f"launchpad.sandbox.patches.{name}")
    except ImportError as error:
        raise StepFailed(f"InternalServerError: {PREFIX}{name} is not available: {error}") from error


def _training(execution: Execution, run: StepRun) -> None:
    training = _patch_module("sagemaker_training")
    params = resolve(execution, run.step["Arguments"])
    params["TrainingJobName"] = _job_name(execution, run.name)
    _as_role(execution, "CreateTrainingJob", params)
    params_tags = _with_scale(execution, params.get("Tags"))
    if params_tags:
        params["Tags"] = params_tags
    try:
        job = training.create(_backend(execution), params)
    except Exception as error:
        raise StepFailed(f"ClientError: {_message(error)}") from error
    described = job.describe()
    run.metadata = {"TrainingJob": {"Arn": described["TrainingJobArn"]}}
    _started(execution, run, lambda: training.stop(job))
    run.properties = _wait(execution, job, "TrainingJobStatus")


def _tuning(execution: Execution, run: StepRun) -> None:
    tuning = _patch_module("sagemaker_tuning")
    params = resolve(execution, run.step["Arguments"])
    params["HyperParameterTuningJobName"] = _job_name(execution, run.name, 32)
    _as_role(execution, "CreateHyperParameterTuningJob", params)
    params_tags = _with_scale(execution, params.get("Tags"))
    if params_tags:
        params["Tags"] = params_tags
    try:
        job = tuning.create(_backend(execution), params)
    except Exception as error:
        raise StepFailed(f"ClientError: {_message(error)}") from error
    described = job.describe()
    run.metadata = {"TuningJob": {"Arn": described["HyperParameterTuningJobArn"]}}
    _started(execution, run, lambda: tuning.stop(job))
    run.properties = _wait(execution, job, "HyperParameterTuningJobStatus")


_CONDITIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a != b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    numbers = (int, float)
    if isinstance(left, numbers) and not isinstance(left, bool) and isinstance(right, str):
        right = _number(right)
    if isinstance(right, numbers) and not isinstance(right, bool) and isinstance(left, str):
        left = _number(left)
    return left, right


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def evaluate(execution: Execution, condition: Mapping[str, Any]) -> bool:
    kind = condition["Type"]
    if kind == "Not":
        return not evaluate(execution, condition["Expression"])
    if kind == "Or":
        return any(evaluate(execution, c) for c in condition["Conditions"])
    if kind == "In":
        value = resolve(execution, condition["QueryValue"])
        return any(
            _CONDITIONS["Equals"](*_comparable(value, resolve(execution, v))) for v in condition["Values"]
        )
    left, right = _comparable(
        resolve(execution, condition["LeftValue"]), resolve(execution, condition["RightValue"])
    )
    try:
        return bool(_CONDITIONS[kind](left, right))
    except TypeError as error:
        raise StepFailed(f"The condition {kind} cannot compare {left!r} with {right!r}: {error}") from error


def _condition(execution: Execution, run: StepRun) -> None:
    outcome = all(evaluate(execution, c) for c in run.step["Arguments"]["Conditions"])
    run.outcome = outcome
    run.metadata = {"Condition": {"Outcome": "True" if outcome else "False"}}
    run.properties = {"Outcome": outcome}


_PACKAGE_ARGUMENTS = {
    "ModelPackageName": "model_package_name",
    "ModelPackageGroupName": "model_package_group_name",
    "ModelPackageDescription": "model_package_description",
    "InferenceSpecification": "inference_specification",
    "ValidationSpecification": "validation_specification",
    "SourceAlgorithmSpecification": "source_algorithm_specification",
    "CertifyForMarketplace": "certify_for_marketplace",
    "Tags": "tags",
    "ModelApprovalStatus": "model_approval_status",
    "MetadataProperties": "metadata_properties",
    "ModelMetrics": "model_metrics",
    "ClientToken": "client_token",
    "CustomerMetadataProperties": "customer_metadata_properties",
    "DriftCheckBaselines": "drift_check_baselines",
    "Domain": "domain",
    "Task": "task",
    "SamplePayloadUrl": "sample_payload_url",
    "AdditionalInferenceSpecifications": "additional_inference_specifications",
}


def _register(execution: Execution, run: StepRun) -> None:
    params = resolve(execution, run.step["Arguments"])
    _as_role(execution, "CreateModelPackage", params)
    backend = _backend(execution)
    group = params.get("ModelPackageGroupName")
    if group and _name_of_group(str(group)) not in backend.model_package_groups:
        raise StepFailed(f"ClientError: Model Package Group {_name_of_group(str(group))} does not exist.")
    if group:
        params["ModelPackageGroupName"] = _name_of_group(str(group))
    if params.get("ModelCard") is not None and (
        problems := sagemaker.model_card_problems(params["ModelCard"])
    ):
        raise StepFailed(f"ClientError: ValidationException: {'; '.join(problems)}")
    kwargs = {v: params.get(k) for k, v in _PACKAGE_ARGUMENTS.items()}
    kwargs["certify_for_marketplace"] = bool(kwargs["certify_for_marketplace"])
    try:
        arn = backend.create_model_package(**kwargs)
    except Exception as error:
        raise StepFailed(f"ClientError: {_message(error)}") from error
    package = backend.describe_model_package(arn)
    sagemaker.attach_model_card(package, params.get("ModelCard"))
    run.metadata = {"RegisterModel": {"Arn": arn}}
    described = package.gen_response_object() if hasattr(package, "gen_response_object") else {}
    run.properties = {**described, "ModelPackageArn": arn}


def _name_of_group(value: str) -> str:
    return value.split(":model-package-group/", 1)[1] if ":model-package-group/" in value else value


def _fail(execution: Execution, run: StepRun) -> None:
    message = _text(resolve(execution, (run.step.get("Arguments") or {}).get("ErrorMessage", "")))
    run.metadata = {"Fail": {"ErrorMessage": message}}
    raise StepFailed(message)


RUNNERS: dict[str, Callable[[Execution, StepRun], None]] = {
    "Processing": _processing,
    "Training": _training,
    "Tuning": _tuning,
    "Condition": _condition,
    "RegisterModel": _register,
    "Fail": _fail,
}


# -- moto ---------------------------------------------------------------------------------------------------
_MARK = "_launchpad_pipelines_patch"
_PIPELINE_PARAMS = (
    "PipelineName",
    "PipelineDisplayName",
    "PipelineDefinition",
    "PipelineDefinitionS3Location",
    "PipelineDescription",
    "ClientRequestToken",
    "RoleArn",
    "Tags",
    "ParallelismConfiguration",
)


def _params(response: SageMakerResponse, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: response._get_param(k) for k in names if response._get_param(k) is not None}


def _page(items: list[Any], token: Any, limit: Any, default: int = 50) -> tuple[list[Any], str | None]:
    try:
        start_at = int(token) if token else 0
    except ValueError:
        raise ValidationError(f"Invalid pagination token: {token}") from None
    count = int(limit or default)
    end = start_at + count
    return items[start_at:end], (str(end) if end < len(items) else None)


def apply() -> None:
    if getattr(SageMakerResponse, _MARK, False):
        return

    def create_pipeline(self: SageMakerResponse) -> ActionResult:
        backend, params = self.sagemaker_backend, _params(self, _PIPELINE_PARAMS)
        errors = _api_errors("CreatePipeline", params)
        if errors:
            raise ValidationError(validation_message(errors))
        name = str(params["PipelineName"])
        if name in backend.pipelines:
            raise ResourceInUseException(
                "Pipeline names must be unique within an AWS account and region. Pipeline with name "
                f"({name}) already exists."
            )
        text = _definition_text(params, builds.caller(self.headers), backend.region_name)
        if text is None:
            raise ValidationError("Either PipelineDefinition or PipelineDefinitionS3Location must be given.")
        checked_definition(text)
        _scale(params.get("Tags"))
        _check_role(backend, str(params["RoleArn"]), name)
        pipeline = backend.create_pipeline(
            pipeline_name=name,
            pipeline_display_name=params.get("PipelineDisplayName"),  # type: ignore[arg-type]
            pipeline_definition=text,
            pipeline_definition_s3_location=None,  # type: ignore[arg-type]
            pipeline_description=params.get("PipelineDescription"),  # type: ignore[arg-type]
            role_arn=params["RoleArn"],
            tags=params.get("Tags"),  # type: ignore[arg-type]
            parallelism_configuration=params.get("ParallelismConfiguration"),  # type: ignore[arg-type]
        )
        return ActionResult({"PipelineArn": pipeline.arn})

    def update_pipeline(self: SageMakerResponse) -> ActionResult:
        backend, params = self.sagemaker_backend, _params(self, _PIPELINE_PARAMS)
        pipeline = pipeline_of(backend, str(params.get("PipelineName")))
        text = _definition_text(params, builds.caller(self.headers), backend.region_name)
        if text is not None:
            checked_definition(text)
        if params.get("RoleArn"):
            _check_role(backend, str(params["RoleArn"]), pipeline.pipeline_name)
        if text is not None:
            pipeline.pipeline_definition = text
        for key, attribute in (
            ("RoleArn", "role_arn"),
            ("PipelineDisplayName", "pipeline_display_name"),
            ("PipelineDescription", "pipeline_description"),
            ("ParallelismConfiguration", "parallelism_configuration"),
        ):
            if key in params:
                setattr(pipeline, attribute, params[key])
        pipeline.last_modified_time = datetime.now(UTC)
        return ActionResult({"PipelineArn": pipeline.arn})

    def describe_pipeline(self: SageMakerResponse) -> ActionResult:
        pipeline = pipeline_of(self.sagemaker_backend, str(self._get_param("PipelineName")))
        answer = {
            "PipelineArn": pipeline.arn,
            "PipelineName": pipeline.pipeline_name,
            "PipelineDisplayName": pipeline.pipeline_display_name,
            "PipelineDefinition": pipeline.pipeline_definition,
            "RoleArn": pipeline.role_arn,
            "PipelineStatus": pipeline.pipeline_status,
            "CreationTime": pipeline.creation_time,
            "LastModifiedTime": pipeline.last_modified_time,
        }
        if pipeline.pipeline_description:
            answer["PipelineDescription"] = pipeline.pipeline_description
        if pipeline.last_execution_time:
            answer["LastRunTime"] = pipeline.last_execution_time
        if pipeline.parallelism_configuration:
            answer["ParallelismConfiguration"] = pipeline.parallelism_configuration
        return ActionResult(answer)

    def delete_pipeline(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        pipeline = pipeline_of(backend, str(self._get_param("PipelineName")))
        running = [
            e
            for e in executions_of(backend.account_id, backend.region_name, pipeline.pipeline_name)
            if e.status in (EXECUTING, STOPPING)
        ]
        if running:
            raise ConflictException(
                f"Pipeline {pipeline.arn} has running executions ({running[0].arn}): stop them with "
                "StopPipelineExecution first."
            )
        del backend.pipelines[pipeline.pipeline_name]
        with _LOCK:
            for arn in [a for a, e in _EXECUTIONS.items() if e.pipeline_arn == pipeline.arn]:
                del _EXECUTIONS[arn]
        return ActionResult({"PipelineArn": pipeline.arn})

    def list_pipelines(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        prefix = self._get_param("PipelineNamePrefix")
        after, before = self._get_param("CreatedAfter"), self._get_param("CreatedBefore")
        sort_by = self._get_param("SortBy") or "CreationTime"
        order = self._get_param("SortOrder") or "Descending"
        found = [p for p in backend.pipelines.values() if not prefix or p.pipeline_name.startswith(prefix)]
        if after is not None:
            found = [p for p in found if p.creation_time.timestamp() > _epoch(after)]
        if before is not None:
            found = [p for p in found if p.creation_time.timestamp() < _epoch(before)]
        key: Callable[[FakePipeline], Any] = (
            (lambda p: p.pipeline_name) if sort_by == "Name" else (lambda p: p.creation_time)
        )
        found.sort(key=key, reverse=order == "Descending")
        page, token = _page(found, self._get_param("NextToken"), self._get_param("MaxResults"))
        summaries = [
            {
                "PipelineArn": p.arn,
                "PipelineName": p.pipeline_name,
                "PipelineDisplayName": p.pipeline_display_name,
                "RoleArn": p.role_arn,
                "CreationTime": p.creation_time,
                "LastModifiedTime": p.last_modified_time,
                **({"PipelineDescription": p.pipeline_description} if p.pipeline_description else {}),
                **({"LastExecutionTime": p.last_execution_time} if p.last_execution_time else {}),
            }
            for p in page
        ]
        return ActionResult({"PipelineSummaries": summaries, **({"NextToken": token} if token else {})})

    def start_pipeline_execution(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        params = _params(
            self,
            (
                "PipelineName",
                "PipelineExecutionDisplayName",
                "PipelineParameters",
                "PipelineExecutionDescription",
                "ClientRequestToken",
                "ParallelismConfiguration",
                "SelectiveExecutionConfig",
                "PipelineVersionId",
            ),
        )
        errors = _api_errors("StartPipelineExecution", params)
        if errors:
            raise ValidationError(validation_message(errors))
        pipeline = pipeline_of(backend, str(params["PipelineName"]))
        execution = start(backend, pipeline, params, builds.caller(self.headers))
        return ActionResult({"PipelineExecutionArn": execution.arn})

    def stop_pipeline_execution(self: SageMakerResponse) -> ActionResult:
        execution = execution_of(self.sagemaker_backend, str(self._get_param("PipelineExecutionArn")))
        stop(execution)
        return ActionResult({"PipelineExecutionArn": execution.arn})

    def describe_pipeline_execution(self: SageMakerResponse) -> ActionResult:
        execution = execution_of(self.sagemaker_backend, str(self._get_param("PipelineExecutionArn")))
        return ActionResult(execution.describe())

    def describe_pipeline_definition_for_execution(self: SageMakerResponse) -> ActionResult:
        execution = execution_of(self.sagemaker_backend, str(self._get_param("PipelineExecutionArn")))
        return ActionResult({"PipelineDefinition": execution.text, "CreationTime": execution.created})

    def list_pipeline_executions(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        pipeline = pipeline_of(backend, str(self._get_param("PipelineName")))
        found = executions_of(backend.account_id, backend.region_name, pipeline.pipeline_name)
        after, before = self._get_param("CreatedAfter"), self._get_param("CreatedBefore")
        if after is not None:
            found = [e for e in found if e.created.timestamp() > _epoch(after)]
        if before is not None:
            found = [e for e in found if e.created.timestamp() < _epoch(before)]
        sort_by = self._get_param("SortBy") or "CreationTime"
        key: Callable[[Execution], Any] = (
            (lambda e: e.arn) if sort_by == "PipelineExecutionArn" else (lambda e: e.created)
        )
        found.sort(key=key, reverse=(self._get_param("SortOrder") or "Descending") == "Descending")
        page, token = _page(found, self._get_param("NextToken"), self._get_param("MaxResults"))
        answer: dict[str, Any] = {"PipelineExecutionSummaries": [e.summary() for e in page]}
        if token:
            answer["NextToken"] = token
        return ActionResult(answer)

    def list_pipeline_execution_steps(self: SageMakerResponse) -> ActionResult:
        execution = execution_of(self.sagemaker_backend, str(self._get_param("PipelineExecutionArn")))
        with execution.lock:
            steps = [s.summary() for s in execution.steps.values()]
        ascending = (self._get_param("SortOrder") or "Descending") == "Ascending"
        steps.sort(key=lambda s: s["StartTime"], reverse=not ascending)
        page, token = _page(steps, self._get_param("NextToken"), self._get_param("MaxResults"))
        answer: dict[str, Any] = {"PipelineExecutionSteps": page}
        if token:
            answer["NextToken"] = token
        return ActionResult(answer)

    def list_pipeline_parameters_for_execution(self: SageMakerResponse) -> ActionResult:
        execution = execution_of(self.sagemaker_backend, str(self._get_param("PipelineExecutionArn")))
        listed = [{"Name": k, "Value": _text(v)} for k, v in execution.parameters.items()]
        page, token = _page(listed, self._get_param("NextToken"), self._get_param("MaxResults"))
        answer: dict[str, Any] = {"PipelineParameters": page}
        if token:
            answer["NextToken"] = token
        return ActionResult(answer)

    for handler in (
        create_pipeline,
        update_pipeline,
        describe_pipeline,
        delete_pipeline,
        list_pipelines,
        start_pipeline_execution,
        stop_pipeline_execution,
        describe_pipeline_execution,
        describe_pipeline_definition_for_execution,
        list_pipeline_executions,
        list_pipeline_execution_steps,
        list_pipeline_parameters_for_execution,
    ):
        setattr(SageMakerResponse, handler.__name__, handler)
    lifecycle.on_reset(stop_all)
    setattr(SageMakerResponse, _MARK, True)


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value)).timestamp()
