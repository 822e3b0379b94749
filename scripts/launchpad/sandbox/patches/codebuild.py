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
``aws_codebuild_project``. Builds (what CodeBuild does as the service role) are ``codebuild_builds``.
"""

from __future__ import annotations

import copy
import json
import re
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

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message

_MARK = "_launchpad_codebuild_patch"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_]{1,149}")
# Source types whose code CodeBuild fetches itself, so it needs to know where from.
_SOURCE_NEEDS_LOCATION = frozenset(
    {"CODECOMMIT", "GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED", "BITBUCKET", "S3"}
)
# UpdateProject values that remove a setting rather than store it.
_REMOVES = {"concurrentBuildLimit": -1, "vpcConfig": {}, "buildBatchConfig": {}}


class ValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


@cache
def project_members() -> frozenset[str]:
    """The members of ``Project`` (the shape BatchGetProjects returns)."""
    shape = get_service_model("codebuild").shape_for("Project")
    assert isinstance(shape, StructureShape)
    return frozenset(shape.members)


def check_request(operation: str, request: dict[str, Any]) -> None:
    """The min/max/enum constraints of the API model (e.g. every current ComputeType is accepted)."""
    shape = get_service_model("codebuild").operation_model(operation).input_shape
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
        stored = backend.codebuild_projects.get(name)
        if stored is None:
            raise _not_found(backend, name)
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

    builds.apply()
    CodeBuildResponse.create_project = create_project  # type: ignore[method-assign]
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
    CodeBuildResponse.batch_get_projects = batch_get_projects  # type: ignore[method-assign]
    CodeBuildResponse.delete_project = delete_project  # type: ignore[method-assign]
    setattr(CodeBuildResponse, _MARK, True)
