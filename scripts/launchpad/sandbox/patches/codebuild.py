"""CodeBuild: projects round-trip through CreateProject, UpdateProject, BatchGetProjects and DeleteProject.

AWS (https://docs.aws.amazon.com/codebuild/latest/APIReference/):
- ``API_CreateProject``: ``API_ProjectSource`` ``location`` is not needed for ``CODEPIPELINE`` (the pipeline's
  source action supplies it) or ``NO_SOURCE``; ``API_ProjectArtifacts`` ``location`` only for ``S3``. Every
  ``ComputeType`` / ``EnvironmentType`` of the current API is accepted. What was given is returned by
  ``API_BatchGetProjects`` (``API_Project``); left out: ``encryptionKey`` is the AWS-managed S3 key
  (``alias/aws/s3``), ``timeoutInMinutes`` 60, ``queuedTimeoutInMinutes`` 480, ``cache`` ``NO_CACHE``, the
  badge disabled, ``API_LogsConfig`` CloudWatch Logs on and S3 logs off, ``projectVisibility`` ``PRIVATE``,
  an environment variable's ``type`` ``PLAINTEXT``.
- ``API_UpdateProject``: changes only the fields given (``tags`` replace the set; ``concurrentBuildLimit``
  -1 removes the limit; an empty ``vpcConfig`` / ``buildBatchConfig`` removes it) and moves ``lastModified``;
  ``ResourceNotFoundException`` for an unknown project.
- ``API_CreateProject`` / ``API_UpdateProject``: CodeBuild must be able to assume the service role for the
  project (``InvalidInputException`` "CodeBuild is not authorized to perform: sts:AssumeRole on <role>"
  otherwise); the role's trust policy is evaluated with the project as ``aws:SourceArn``.
- ``API_DeleteProject`` and ``API_BatchGetProjects`` take a project name or ARN; ``BatchGetProjects`` lists
  the ones it did not find in ``projectsNotFound``.

Stock moto demands a source and artifacts location even for ``CODEPIPELINE``, rejects compute and
environment types newer than ``BUILD_GENERAL1_2XLARGE`` / ``ARM_CONTAINER``, always reports
``alias/aws/s3`` as the encryption key and a 0-minute timeout when none was given, drops ``badgeEnabled``,
``concurrentBuildLimit``, ``fileSystemLocations``, ``secondary*``, ``buildBatchConfig`` and
``autoRetryLimit``, has no ``UpdateProject`` (HTTP 500: a Terraform update hangs) and treats
``DeleteProject`` by ARN (what the AWS provider sends) as a no-op, so ``terraform destroy`` leaks every
``aws_codebuild_project``. Builds (what CodeBuild does as the service role) are ``codebuild_builds``:

- ``API_StartBuild`` starts a build that runs (stock moto's builds run nothing and are SUCCEEDED whenever
  they are read). The project's source is ``NO_SOURCE`` or ``S3`` (``location`` ``<bucket>/<key>`` of a zip,
  ``sourceVersion`` its version); its artifacts ``NO_ARTIFACTS`` or ``S3`` packaged as a ``ZIP``
  (``<location>/<path>/[<build UUID>/]<name>``). Supported overrides: ``buildspecOverride``,
  ``environmentVariablesOverride``, ``imageOverride``, ``imagePullCredentialsTypeOverride``,
  ``computeTypeOverride`` (the sandbox has one machine size), ``timeoutInMinutesOverride``,
  ``queuedTimeoutInMinutesOverride``, ``encryptionKeyOverride``, ``sourceVersion``, ``idempotencyToken`` (the
  same token again answers the build it started). Refused with ``InvalidInputException`` "launchpad sandbox:
  ... is not modelled": the others (``START_BUILD_REFUSED``), sources CodeBuild fetches from Git providers,
  a ``CODEPIPELINE`` source outside a pipeline, secondary sources, ``packaging`` NONE, Windows and macOS
  environments.
- ``API_BatchGetBuilds`` answers ``builds`` and ``buildsNotFound``; ``API_StopBuild`` stops a build
  (``ResourceNotFoundException`` "Build <id> does not exist"); ``ListBuilds`` / ``ListBuildsForProject`` list
  them, most recent first unless ``sortOrder`` is ``ASCENDING``.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from functools import cache
from typing import Any

from botocore.model import StructureShape
from moto.codebuild.exceptions import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from moto.codebuild.models import CodeBuildBackend
from moto.codebuild.responses import CodeBuildResponse, _validate_required_params_service_role
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model, utcnow
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from launchpad.deploy import timescale
from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import codebuild_runs as runs
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message

_MARK = "_launchpad_codebuild_patch"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_]{1,149}")
# Source types whose code CodeBuild fetches itself, so it needs to know where from.
_SOURCE_NEEDS_LOCATION = frozenset(
    {"CODECOMMIT", "GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED", "BITBUCKET", "S3"}
)
# UpdateProject values that remove a setting rather than store it.
_REMOVES = {"concurrentBuildLimit": -1, "vpcConfig": {}, "buildBatchConfig": {}}
# StartBuild overrides the sandbox does not model: given (not empty or false), they are refused.
START_BUILD_REFUSED = (
    "secondarySourcesOverride",
    "secondarySourcesVersionOverride",
    "artifactsOverride",
    "secondaryArtifactsOverride",
    "sourceTypeOverride",
    "sourceLocationOverride",
    "sourceAuthOverride",
    "gitCloneDepthOverride",
    "gitSubmodulesConfigOverride",
    "insecureSslOverride",
    "reportBuildStatusOverride",
    "buildStatusConfigOverride",
    "environmentTypeOverride",
    "certificateOverride",
    "cacheOverride",
    "serviceRoleOverride",
    "privilegedModeOverride",
    "logsConfigOverride",
    "registryCredentialOverride",
    "debugSessionEnabled",
    "fleetOverride",
    "autoRetryLimitOverride",
    "hostKernelOverride",
)
_UNMODELLED_ENVIRONMENTS = ("WINDOWS", "MAC")
_IDEMPOTENCY: dict[tuple[str, str, str], str] = {}  # (account, region, token) -> build id


class ValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


@cache
def project_members() -> frozenset[str]:
    """The members of ``Project`` (the shape BatchGetProjects returns)."""
    shape = get_service_model("codebuild").shape_for("Project")
    assert isinstance(shape, StructureShape)
    return frozenset(shape.members)


def check_request(operation: str, request: dict[str, Any], service: str = "codebuild") -> None:
    """The min/max/enum constraints of the API model (e.g. every current ComputeType is accepted)."""
    shape = get_service_model(service).operation_model(operation).input_shape
    errors = [
        f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
        for name in shape.required_members
        if request.get(name) is None
    ]
    for name, member in shape.members.items():
        if request.get(name) is not None:
            errors += constraint_errors(request[name], member, name)
    if errors:
        raise ValidationException(validation_message(errors))


def check_service_role(role_arn: str, project_arn: str, account: str, region: str) -> None:
    """CodeBuild must be able to assume the service role for the project (its trust policy decides)."""
    if not authz.enabled():
        return
    try:
        acting.assume(role_arn, builds.SERVICE, region, project_arn, account, "AWSCodeBuild")
    except acting.Refused as refused:
        raise InvalidInputException(
            f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}"
        ) from refused


def check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInputException(f"Invalid project name: {name!r}")


def check_source(source: dict[str, Any]) -> None:
    kind, location = source.get("type"), source.get("location")
    if kind in _SOURCE_NEEDS_LOCATION and not location:
        raise InvalidInputException("Project source location is required")
    if kind == "NO_SOURCE" and location:
        raise InvalidInputException("Invalid source: source type NO_SOURCE should have null location")


def check_artifacts(artifacts: dict[str, Any]) -> None:
    kind, location = artifacts.get("type"), artifacts.get("location")
    if kind == "S3" and not location:
        raise InvalidInputException("Invalid artifacts: artifact type S3 requires a location")
    if kind == "NO_ARTIFACTS" and location:
        raise InvalidInputException("Invalid artifacts: artifact type NO_ARTIFACTS should have null location")


def aws_managed_s3_key(account_id: str, region: str) -> str:
    return f"arn:{get_partition(region)}:kms:{region}:{account_id}:alias/aws/s3"


def with_defaults(environment: dict[str, Any]) -> dict[str, Any]:
    for variable in environment.get("environmentVariables") or []:
        variable.setdefault("type", "PLAINTEXT")
    return environment


def badge(enabled: bool, current: dict[str, Any], region: str) -> dict[str, Any]:
    """``API_ProjectBadge``: a badge URL while the badge is enabled (kept when it already had one)."""
    if not enabled:
        return {"badgeEnabled": False}
    url = current.get("badgeRequestUrl") or (
        f"https://codebuild.{region}.amazonaws.com/badges?uuid={mock_random.uuid4().hex}&branch=main"
    )
    return {"badgeEnabled": True, "badgeRequestUrl": url}


def apply_fields(project: dict[str, Any], request: dict[str, Any], region: str) -> None:
    """Store the ``Project`` fields of a CreateProject / UpdateProject request on ``project``."""
    for key, value in request.items():
        if key == "badgeEnabled":
            project["badge"] = badge(bool(value), project.get("badge") or {}, region)
        elif key in _REMOVES and value == _REMOVES[key]:
            project.pop(key, None)
        elif key in project_members() and key != "name" and value is not None:
            project[key] = copy.deepcopy(value)
    if "environment" in request:
        with_defaults(project["environment"])


def new_project(request: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    name = request["name"]
    now = utcnow()
    project: dict[str, Any] = {
        "name": name,
        "arn": f"arn:{get_partition(region)}:codebuild:{region}:{account_id}:project/{name}",
        "encryptionKey": aws_managed_s3_key(account_id, region),
        "timeoutInMinutes": 60,
        "queuedTimeoutInMinutes": 480,
        "cache": {"type": "NO_CACHE"},
        "badge": {"badgeEnabled": False},
        "logsConfig": {
            "cloudWatchLogs": {"status": "ENABLED"},
            "s3Logs": {"status": "DISABLED", "encryptionDisabled": False},
        },
        "projectVisibility": "PRIVATE",
        "tags": [],
        "created": now,
        "lastModified": now,
    }
    apply_fields(project, request, region)
    return project


def name_of(name_or_arn: str) -> str:
    """A project name from a name or a project ARN (``arn:aws:codebuild:<region>:<acct>:project/<name>``)."""
    if name_or_arn.startswith("arn:") and ":project/" in name_or_arn:
        return name_or_arn.split(":project/", 1)[1]
    return name_or_arn


def _request(response: CodeBuildResponse) -> dict[str, Any]:
    return json.loads(response.body or "{}")


def _not_found(backend: CodeBuildBackend, name: str) -> ResourceNotFoundException:
    arn = f"arn:{get_partition(backend.region_name)}:codebuild:{backend.region_name}:{backend.account_id}"
    return ResourceNotFoundException(f"Project cannot be found: {arn}:project/{name}")


def _stored(backend: CodeBuildBackend, name: str) -> Any:
    """The project called ``name``; CodeBuild's ResourceNotFoundException if there is none."""
    stored = backend.codebuild_projects.get(name)
    if stored is None:
        raise _not_found(backend, name)
    return stored


# -- builds ------------------------------------------------------------------------------------------------
def _refuse(what: str) -> InvalidInputException:
    return InvalidInputException(f"launchpad sandbox: {what} is not modelled")


def _source(project: dict[str, Any], source_version: str | None) -> runs.Source:
    source = project.get("source") or {}
    kind = source.get("type")
    if project.get("secondarySources"):
        raise _refuse("a project with secondary sources")
    if kind == "NO_SOURCE":
        return runs.Source("NO_SOURCE")
    if kind == "S3":
        bucket, _, key = str(source.get("location", "")).partition("/")
        return runs.Source("S3", bucket, key, version=source_version)
    if kind == "CODEPIPELINE":
        raise _refuse(
            "a CODEPIPELINE source outside a pipeline (it is the input artifact of a pipeline's CodeBuild "
            "action): start the pipeline"
        )
    raise _refuse(f"a {kind} source (the sandbox has no Git provider)")


def _output(project: dict[str, Any], build_uuid: str) -> tuple[str, str] | None:
    artifacts = project.get("artifacts") or {}
    kind = artifacts.get("type")
    if kind in (None, "NO_ARTIFACTS"):
        return None
    if kind != "S3" or artifacts.get("packaging") != "ZIP":
        raise _refuse(
            f"{kind} artifacts packaged as {artifacts.get('packaging') or 'NONE'} (use S3 with packaging ZIP)"
        )
    if project.get("secondaryArtifacts"):
        raise _refuse("a project with secondary artifacts")
    namespace = build_uuid if artifacts.get("namespaceType") == "BUILD_ID" else None
    name = artifacts.get("name") or project["name"]
    return str(artifacts["location"]), "/".join(filter(None, (artifacts.get("path"), namespace, name)))


def _environment_type(project: dict[str, Any]) -> None:
    kind = str((project.get("environment") or {}).get("type", ""))
    if kind.startswith(_UNMODELLED_ENVIRONMENTS):
        raise _refuse(f"a {kind} build environment (builds run on the sandbox's Linux machine)")


def _build_request(
    request: dict[str, Any], project: dict[str, Any], who: str, build_uuid: str
) -> runs.Request:
    refused = [k for k in START_BUILD_REFUSED if request.get(k) not in (None, False, [], {}, "")]
    if refused:
        raise _refuse(f"StartBuild's {refused[0]}")
    _environment_type(project)
    return runs.Request(
        project=project["name"],
        initiator=who,
        source=_source(project, request.get("sourceVersion")),
        output=_output(project, build_uuid),
        buildspec=request.get("buildspecOverride"),
        environment=tuple(
            with_defaults({"environmentVariables": request.get("environmentVariablesOverride") or []})[
                "environmentVariables"
            ]
        ),
        image=request.get("imageOverride"),
        image_pull_credentials=request.get("imagePullCredentialsTypeOverride"),
        timeout_minutes=request.get("timeoutInMinutesOverride"),
        queued_timeout_minutes=request.get("queuedTimeoutInMinutesOverride"),
        encryption_key=request.get("encryptionKeyOverride"),
    )


def _build_ids(ids: list[str]) -> list[str]:
    """Build ids, or build ARNs (``arn:aws:codebuild:<region>:<account>:build/<id>``) as ids."""
    found = [i.split(":build/", 1)[1] if i.startswith("arn:") and ":build/" in i else i for i in ids]
    if any(":" not in i for i in found):
        raise InvalidInputException("Invalid build ID provided")
    return found


def apply() -> None:
    if getattr(CodeBuildResponse, _MARK, False):
        return

    def create_project(self: CodeBuildResponse) -> ActionResult:
        request, backend = _request(self), self.codebuild_backend
        check_request("CreateProject", request)
        check_name(request.get("name", ""))
        check_source(request["source"])
        check_artifacts(request["artifacts"])
        _validate_required_params_service_role(self.current_account, self.region, request["serviceRole"])
        project = new_project(request, backend.account_id, self.region)
        check_service_role(project["serviceRole"], project["arn"], backend.account_id, self.region)
        if project["name"] in backend.codebuild_projects:
            raise ResourceAlreadyExistsException(f"Project already exists: {project['arn']}")
        backend.create_project(
            project_name=project["name"],
            description=None,
            project_source=project["source"],
            artifacts=project["artifacts"],
            environment=project["environment"],
            service_role=project["serviceRole"],
            tags=None,
            cache=None,
            timeout=None,
            queued_timeout=None,
            source_version=None,
            logs_config=None,
            vpc_config=None,
        )
        backend.codebuild_projects[project["name"]].project_metadata = project
        return ActionResult({"project": project})

    def update_project(self: CodeBuildResponse) -> ActionResult:
        request, backend = _request(self), self.codebuild_backend
        check_request("UpdateProject", request)
        name = name_of(request.get("name", ""))
        stored = _stored(backend, name)
        if "source" in request:
            check_source(request["source"])
        if "artifacts" in request:
            check_artifacts(request["artifacts"])
        if "serviceRole" in request:
            _validate_required_params_service_role(self.current_account, self.region, request["serviceRole"])
            check_service_role(request["serviceRole"], stored.arn, backend.account_id, self.region)
            stored.service_role = request["serviceRole"]
        project = stored.project_metadata
        apply_fields(project, request, self.region)
        project["lastModified"] = utcnow()
        return ActionResult({"project": project})

    def batch_get_projects(self: CodeBuildResponse) -> ActionResult:
        backend, found, missing = self.codebuild_backend, [], []
        for requested in _request(self).get("names") or []:
            stored = backend.codebuild_projects.get(name_of(requested))
            if stored is None:
                missing.append(requested)
            else:
                found.append(stored.project_metadata)
        return ActionResult({"projects": found, "projectsNotFound": missing})

    def delete_project(self: CodeBuildResponse) -> EmptyResult:
        self.codebuild_backend.delete_project(name_of(_request(self).get("name", "")))
        return EmptyResult()

    def start_build(self: CodeBuildResponse) -> ActionResult:
        request, backend = _request(self), self.codebuild_backend
        check_request("StartBuild", request)
        name = name_of(request.get("projectName", ""))
        stored = _stored(backend, name)
        token = request.get("idempotencyToken")
        earlier = runs.get(_IDEMPOTENCY.get((backend.account_id, self.region, token), "")) if token else None
        if earlier is not None:
            return ActionResult({"build": earlier.describe()})
        project, build_uuid = stored.project_metadata, str(uuid.uuid4())
        built = _build_request(request, project, builds.initiator(builds.caller(self.headers)), build_uuid)
        try:
            run = runs.start_build(backend.account_id, self.region, built, build_uuid)
        except timescale.TimeScaleError as exc:
            raise InvalidInputException(str(exc)) from exc
        if token:
            _IDEMPOTENCY[(backend.account_id, self.region, token)] = run.id
        return ActionResult({"build": run.describe()})

    def batch_get_builds(self: CodeBuildResponse) -> ActionResult:
        backend, found, missing = self.codebuild_backend, [], []
        for build_id in _build_ids(_request(self).get("ids") or []):
            run = runs.get(build_id)
            if run is None or (run.account, run.region) != (backend.account_id, self.region):
                missing.append(build_id)
            else:
                found.append(run.describe())
        return ActionResult({"builds": found, "buildsNotFound": missing})

    def stop_build(self: CodeBuildResponse) -> ActionResult:
        backend = self.codebuild_backend
        [build_id] = _build_ids([_request(self).get("id") or ""])
        run = runs.get(build_id)
        if run is None or (run.account, run.region) != (backend.account_id, self.region):
            raise ResourceNotFoundException(f"Build {build_id} does not exist")
        runs.stop(build_id)
        return ActionResult({"build": run.describe()})

    def _listed(self: CodeBuildResponse, project: str | None) -> ActionResult:
        request = _request(self)
        found = [r.id for r in runs.runs(self.codebuild_backend.account_id, self.region, project)]
        return ActionResult({"ids": found[::-1] if request.get("sortOrder") == "ASCENDING" else found})

    def list_builds(self: CodeBuildResponse) -> ActionResult:
        return _listed(self, None)

    def list_builds_for_project(self: CodeBuildResponse) -> ActionResult:
        backend = self.codebuild_backend
        name = name_of(_request(self).get("projectName", ""))
        if name not in backend.codebuild_projects:
            raise _not_found(backend, name)
        return _listed(self, name)

    builds.apply()
    runs.apply()
    for handler in (start_build, batch_get_builds, stop_build, list_builds, list_builds_for_project):
        setattr(CodeBuildResponse, handler.__name__, handler)
    CodeBuildResponse.create_project = create_project  # type: ignore[method-assign]
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
    CodeBuildResponse.batch_get_projects = batch_get_projects  # type: ignore[method-assign]
    CodeBuildResponse.delete_project = delete_project  # type: ignore[method-assign]
    setattr(CodeBuildResponse, _MARK, True)
