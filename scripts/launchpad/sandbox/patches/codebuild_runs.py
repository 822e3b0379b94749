"""CodeBuild builds that run: CodeBuild runs a project's buildspec as the project's service role.

AWS (CodeBuild User Guide, "Allow CodeBuild to interact with other AWS services" (the service role), "View
build details", "Build phase transitions", "Environment variables in build environments", "Use CodeBuild
with Amazon VPC", "CodeBuild with CodePipeline"; API_StartBuild, API_BatchGetBuilds, API_StopBuild; IAM User
Guide, "The confused deputy problem"): a build runs as the project's service role, which CodeBuild assumes
with ``aws:SourceArn`` the project and ``aws:SourceAccount`` its account. It goes through the phases
SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD, UPLOAD_ARTIFACTS,
FINALIZING and COMPLETED, each with its status, times and contexts (``statusCode``, ``message``) in
``BatchGetBuilds``:
- PROVISIONING: in a VPC CodeBuild looks the network up (``ec2:Describe*``), makes the build's network
  interface (``ec2:CreateNetworkInterface``, ``ec2:CreateNetworkInterfacePermission``; refused:
  ``VPC_CLIENT_ERROR``); it opens the build's log stream in the project's log group (default
  ``/aws/codebuild/<project>``, stream ``<streamName>/<build UUID>``: ``logs:CreateLogGroup`` if the group
  is missing, ``logs:CreateLogStream``, ``logs:PutLogEvents``; refused: ``ACCESS_DENIED`` "Service role
  <role> does not allow AWS CodeBuild to create Amazon CloudWatch Logs log streams for build <arn>"); it
  pulls the image (``codebuild_images``).
- DOWNLOAD_SOURCE: the input artifact (``s3:GetObject``, ``kms:Decrypt`` via S3 for SSE-KMS) is unzipped
  into CODEBUILD_SRC_DIR; the buildspec (the StartBuild/action ``buildspecOverride``, else the project's
  ``source.buildspec``: inline YAML or a path in the source, else ``buildspec.yml``) is read
  (``launchpad.sandbox.buildspec``; ``YAML_FILE_ERROR``: nothing runs).
- INSTALL, PRE_BUILD, BUILD, POST_BUILD run the phases' commands (``launchpad.sandbox.build_runner``;
  ``COMMAND_EXECUTION_ERROR`` "Error while executing command: <command>. Reason: exit status <n>"). A failed
  INSTALL or PRE_BUILD ends the build (FINALIZING); after a failed BUILD, POST_BUILD still runs, and
  "the UPLOAD_ARTIFACTS phase is always attempted, even if the BUILD phase fails"; ``on-failure: ABORT``
  ends the build, ``CONTINUE`` goes on to the next phase. CODEBUILD_BUILD_SUCCEEDING is 0 after a failure.
- UPLOAD_ARTIFACTS: the buildspec's ``artifacts`` as a zip (none found: ``CLIENT_ERROR`` "no matching
  artifact paths found"), uploaded as the role (``s3:GetBucketAcl``, ``s3:GetBucketLocation``,
  ``s3:PutObject`` encrypted with the project's ``encryptionKey``: ``kms:GenerateDataKey`` via S3).
- FINALIZING: the network interface goes (``ec2:DeleteNetworkInterface``); the session's credentials end.
``buildStatus`` is SUCCEEDED, FAILED, FAULT, TIMED_OUT (``timeoutInMinutes``, or ``queuedTimeoutInMinutes``
while QUEUED) or STOPPED (``StopBuild``). The environment is CodeBuild's variables (AWS_REGION,
CODEBUILD_BUILD_ID, CODEBUILD_INITIATOR "codepipeline/<pipeline>" for a pipeline's build, CODEBUILD_SRC_DIR,
...), then the buildspec's ``env/variables``, the project's environment variables and the StartBuild (or
pipeline action) overrides, each over the one before.

The sandbox runs the commands as local processes:
- in a workspace under the temporary folder (``LAUNCHPAD_SANDBOX_BUILD_DIR`` to choose another), removed when
  the build ends; HOME is its ``home`` folder (AWS: /root);
- with the image's stand-in environment (``codebuild_images``) and nothing of the server's own environment;
  the role session's credentials as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (AWS
  hands them out through the container credentials endpoint), AWS_ENDPOINT_URL the sandbox,
  AWS_MAX_ATTEMPTS 2 and AWS_RETRY_MODE standard (as the sandbox manager exports them);
- in a VPC (launchpad's networks have no NAT gateway), the session reaches only the services of the VPC's
  endpoints (others answer ``LaunchpadSandboxUnreachable``, where AWS would time out), and HTTP_PROXY,
  HTTPS_PROXY (and lower case) point at a local port that refuses connections, NO_PROXY 127.0.0.1 and
  localhost: a download from the internet (pip from PyPI) fails at once, as it would there after a timeout;
- at most ``LAUNCHPAD_SANDBOX_BUILD_SLOTS`` (2) builds run at once on the server; the others stay QUEUED;
- the project tag ``launchpad:sandbox:time-scale`` scales its timeouts (real seconds per AWS second: at
  0.001 the shortest timeout, 5 minutes, is 0.3 s); without it they are AWS's own;
- PARAMETER_STORE and SECRETS_MANAGER environment variables, secondary sources and artifacts, a buildspec in
  S3 and the overrides named in ``codebuild.START_BUILD_REFUSED`` are refused loudly (a ``CLIENT_ERROR`` or
  ``InvalidInputException`` starting "launchpad sandbox:").
Each output line goes to the build's log stream, with CodeBuild's own "[Container] <time> ..." lines, sent
as the role at most a second apart.

What CodeBuild does as the role (the network interface, the log, the artifacts) is ``codebuild_builds``;
with the sandbox's authorization off (``LAUNCHPAD_SANDBOX_AUTHZ=off``) none of it is checked, and builds
still run.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moto.codebuild.models import codebuild_backends

from launchpad.deploy import timescale
from launchpad.sandbox import build_runner, buildspec, lifecycle
from launchpad.sandbox.authz.principals import KEYS
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import codebuild_images as images
from launchpad.sandbox.patches.codebuild_builds import Build, BuildFailed, BuildLog, Refused

log = logging.getLogger(__name__)

SLOTS_ENV = "LAUNCHPAD_SANDBOX_BUILD_SLOTS"
BUILD_DIR_ENV = "LAUNCHPAD_SANDBOX_BUILD_DIR"
DEFAULT_SLOTS = 2
IN_PROGRESS, SUCCEEDED, FAILED, FAULT = "IN_PROGRESS", "SUCCEEDED", "FAILED", "FAULT"
TIMED_OUT, STOPPED = build_runner.TIMED_OUT, build_runner.STOPPED
_STOP_WAIT = 10.0  # seconds a reset waits for each build to end
_LOCK = threading.Lock()


# -- builds that run -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Where a build's source comes from: a pipeline's input artifact, an S3 zip, or nothing."""

    type: str  # CODEPIPELINE | S3 | NO_SOURCE
    bucket: str | None = None
    key: str | None = None
    version: str | None = None  # the S3 object version to read
    revision: str | None = None  # CODEBUILD_RESOLVED_SOURCE_VERSION (a pipeline's source revision)

    @property
    def source_version(self) -> str | None:
        """CODEBUILD_SOURCE_VERSION, sourceVersion: the input artifact's ARN in a pipeline, the S3 version."""
        if self.type == "CODEPIPELINE":
            return f"arn:aws:s3:::{self.bucket}/{self.key}"
        return self.version


@dataclass(frozen=True)
class Request:
    """What a build is started with (StartBuild, or a pipeline's CodeBuild action)."""

    project: str
    initiator: str
    source: Source
    output: tuple[str, str] | None = None  # (bucket, key) of the output artifact zip
    buildspec: str | None = None
    environment: tuple[Mapping[str, str], ...] = ()
    image: str | None = None
    image_pull_credentials: str | None = None
    timeout_minutes: int | None = None
    queued_timeout_minutes: int | None = None
    encryption_key: str | None = None


@dataclass
class Run:
    """A build that runs its buildspec, and what BatchGetBuilds says of it."""

    id: str
    number: int
    account: str
    region: str
    project: dict[str, Any]
    request: Request
    scale: float
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = IN_PROGRESS
    ended: datetime | None = None
    phases: list[dict[str, Any]] = field(default_factory=list)
    actor: Build | None = None
    log: BuildLog | None = None
    stand_in: images.StandIn | None = None
    spec: buildspec.Buildspec | None = None
    environment: dict[str, str] = field(default_factory=dict)
    exported: dict[str, str] = field(default_factory=dict)
    artifact: str | None = None
    failure: tuple[str, str, str] | None = None  # the first phase that did not succeed: type, code, message
    stopping: bool = False
    faulted: bool = False
    session: build_runner.Session | None = None
    workspace: Path | None = None
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def arn(self) -> str:
        return f"arn:aws:codebuild:{self.region}:{self.account}:build/{self.id}"

    @property
    def image(self) -> str:
        return self.request.image or str((self.project.get("environment") or {}).get("image", ""))

    def seconds(self, minutes: int | None, default: int) -> float:
        return float(minutes or default) * 60 * self.scale

    # -- phases --------------------------------------------------------------------------------------------
    def enter(self, phase: str) -> None:
        with self.lock:
            self.phases.append({"phaseType": phase, "startTime": datetime.now(UTC)})
        if self.log is not None and phase in buildspec.PHASE_TYPES.values():
            self.log.container(f"Entering phase {phase}")

    def end_phase(self, status: str, code: str = "", message: str = "") -> None:
        now = datetime.now(UTC)
        with self.lock:
            current = self.phases[-1]
            if "phaseStatus" in current:
                return
            current.update(
                phaseStatus=status,
                endTime=now,
                durationInSeconds=int((now - current["startTime"]).total_seconds()),
                contexts=[{"statusCode": code, "message": message}],
            )
            if status != SUCCEEDED and self.failure is None:
                self.failure = (current["phaseType"], code, message)
        if self.log is not None:
            self.log.container(f"Phase complete: {current['phaseType']} State: {status}")
            self.log.container(f"Phase context status code: {code} Message: {message}")

    @property
    def current_phase(self) -> str:
        with self.lock:
            return str(self.phases[-1]["phaseType"]) if self.phases else "SUBMITTED"

    def summary(self) -> str:
        """CodePipeline's error message for a build that did not succeed."""
        text = f"Build terminated with state: {self.status}"
        if self.failure is not None:
            phase, code, message = self.failure
            text += f". Phase: {phase}, Code: {code}, Message: {message}"
        return text

    # -- BatchGetBuilds --------------------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        with self.lock:
            phases = copy.deepcopy(self.phases)
        project = self.project
        environment = copy.deepcopy(project.get("environment") or {})
        if self.request.image:
            environment["image"] = self.request.image
        variables = {v["name"]: dict(v) for v in environment.get("environmentVariables") or []}
        variables.update({v["name"]: {"type": "PLAINTEXT", **v} for v in self.request.environment})
        environment["environmentVariables"] = list(variables.values())
        source = {
            k: v for k, v in (project.get("source") or {}).items() if k in ("type", "location", "buildspec")
        }
        if self.request.buildspec:
            source["buildspec"] = self.request.buildspec
        answer: dict[str, Any] = {
            "id": self.id,
            "arn": self.arn,
            "buildNumber": self.number,
            "startTime": self.started,
            "currentPhase": phases[-1]["phaseType"] if phases else "SUBMITTED",
            "buildStatus": self.status,
            "projectName": self.request.project,
            "phases": phases,
            "source": source,
            "secondarySources": [],
            "secondarySourceVersions": [],
            "artifacts": {"location": self.artifact} if self.artifact else {},
            "cache": project.get("cache") or {"type": "NO_CACHE"},
            "environment": environment,
            "serviceRole": project.get("serviceRole"),
            "logs": self._logs(),
            "timeoutInMinutes": self.request.timeout_minutes or project.get("timeoutInMinutes", 60),
            "queuedTimeoutInMinutes": self.request.queued_timeout_minutes
            or project.get("queuedTimeoutInMinutes", 480),
            "buildComplete": self.done.is_set(),
            "initiator": self.request.initiator,
            "encryptionKey": self.request.encryption_key or project.get("encryptionKey"),
            "exportedEnvironmentVariables": [{"name": k, "value": v} for k, v in self.exported.items()],
        }
        if self.ended is not None:
            answer["endTime"] = self.ended
        if self.request.source.source_version:
            answer["sourceVersion"] = self.request.source.source_version
        if self.request.source.revision:
            answer["resolvedSourceVersion"] = self.request.source.revision
        if project.get("vpcConfig"):
            answer["vpcConfig"] = project["vpcConfig"]
            if self.actor is not None and self.actor.network_interface:
                subnet = (project["vpcConfig"].get("subnets") or [""])[0]
                answer["networkInterface"] = {
                    "subnetId": subnet,
                    "networkInterfaceId": self.actor.network_interface,
                }
        return answer

    def _logs(self) -> dict[str, Any]:
        config = copy.deepcopy(self.project.get("logsConfig") or {})
        writer = self.log
        if writer is None or not writer.enabled:
            return {**config}
        group, stream = writer.group, writer.stream
        return {
            "groupName": group,
            "streamName": stream,
            "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={self.region}"
            f"#logEvent:group={group};stream={stream}",
            "cloudWatchLogsArn": f"arn:aws:logs:{self.region}:{self.account}:log-group:{group}"
            f":log-stream:{stream}",
            **config,
        }


class Slots:
    """At most ``LAUNCHPAD_SANDBOX_BUILD_SLOTS`` builds run at once (the sandbox shares one machine); the
    others wait in QUEUED and start in the order they were queued."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._queue: list[Run] = []

    @staticmethod
    def limit() -> int:
        try:
            return max(1, int(os.environ.get(SLOTS_ENV, DEFAULT_SLOTS)))
        except ValueError:
            return DEFAULT_SLOTS

    def acquire(self, run: Run) -> bool:
        """Wait in QUEUED for a slot; False if the build was stopped or timed out while queued."""
        run.enter("QUEUED")
        deadline = time.monotonic() + run.seconds(
            run.request.queued_timeout_minutes, run.project.get("queuedTimeoutInMinutes") or 480
        )
        with self._cond:
            self._queue.append(run)
            while not run.stopping and time.monotonic() < deadline:
                if self._running < self.limit() and self._queue[0] is run:
                    self._queue.pop(0)
                    self._running += 1
                    self._cond.notify_all()  # the next in line may have a free slot too
                    run.end_phase(SUCCEEDED)
                    return True
                self._cond.wait(deadline - time.monotonic())
            self._queue.remove(run)
            self._cond.notify_all()
        if run.stopping:
            run.end_phase(STOPPED, "BUILD_STOPPED", "Build was stopped")
        else:
            run.end_phase(TIMED_OUT, "BUILD_TIMED_OUT", "Build has timed out while queued")
        return False

    def release(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


_SLOTS = Slots()
_RUNS: dict[str, Run] = {}
_NUMBERS: dict[tuple[str, str, str], int] = {}
_REFUSING: list[socket.socket] = []  # bound, never listening: connections to it are refused


def _scale(project: Mapping[str, Any]) -> float:
    """The project's ``launchpad:sandbox:time-scale`` tag (real seconds per AWS second), else 1."""
    for tag in project.get("tags") or []:
        if tag.get("key") == timescale.TIME_SCALE_TAG:
            return timescale.parse(str(tag.get("value", "")), f"Tag {timescale.TIME_SCALE_TAG}")
    return timescale.UNSCALED


def start_build(account: str, region: str, request: Request, build_uuid: str | None = None) -> Run:
    """Start a build of ``request.project`` that runs in the background (``BuildFailed`` if the project is
    missing, ``timescale.TimeScaleError`` for a bad time-scale tag); ``build_uuid`` the UUID of its id."""
    project = codebuild_backends[account][region].codebuild_projects.get(request.project)
    if project is None:
        raise BuildFailed(
            f"Project cannot be found: arn:aws:codebuild:{region}:{account}:project/{request.project}"
        )
    metadata = copy.deepcopy(project.project_metadata)
    scale = _scale(metadata)
    with _LOCK:
        number = _NUMBERS[(account, region, request.project)] = (
            _NUMBERS.get((account, region, request.project), 0) + 1
        )
        run = Run(
            f"{request.project}:{build_uuid or uuid.uuid4()}",
            number,
            account,
            region,
            metadata,
            request,
            scale,
        )
        _RUNS[run.id] = run
    run.enter("SUBMITTED")
    run.end_phase(SUCCEEDED)
    threading.Thread(target=_execute, args=(run,), daemon=True, name=f"codebuild-{run.id}").start()
    return run


def get(build_id: str) -> Run | None:
    with _LOCK:
        return _RUNS.get(build_id)


def runs(account: str, region: str, project: str | None = None) -> list[Run]:
    """The builds of an account and region (of one project), most recent first."""
    with _LOCK:
        found = [r for r in _RUNS.values() if (r.account, r.region) == (account, region)]
    return [r for r in reversed(found) if project is None or r.request.project == project]


def stop(build_id: str) -> Run | None:
    """StopBuild: end the build's commands (its status becomes STOPPED)."""
    run = get(build_id)
    if run is None or run.done.is_set():
        return run
    run.stopping = True
    if run.session is not None:
        run.session.kill(STOPPED)
    _SLOTS.wake()
    return run


def _execute(run: Run) -> None:
    try:
        if _SLOTS.acquire(run):
            try:
                _build(run)
            finally:
                _SLOTS.release()
    except Exception as exc:  # the sandbox's own bug: the build FAULTs, the cause in the server's log
        log.exception("build %s failed in the sandbox", run.id)
        run.faulted = True
        run.end_phase(FAULT, "CLIENT_ERROR", f"launchpad sandbox: {exc!r}")
    finally:
        _finish(run)


def _attempt(run: Run, work: Callable[[Run], None]) -> bool:
    """Do ``work`` in the current phase; a failure ends the phase with its context."""
    try:
        work(run)
    except (buildspec.BuildspecError, images.ImageUnavailable, BuildFailed) as failed:
        run.end_phase(FAILED, failed.code, str(failed))
        return False
    run.end_phase(SUCCEEDED)
    return True


def _interrupted(run: Run, deadline: float) -> bool:
    """A build stopped or out of time goes no further (the phase entered last says which)."""
    if run.stopping:
        run.end_phase(STOPPED, "BUILD_STOPPED", "Build was stopped")
        return True
    if time.monotonic() >= deadline:
        run.end_phase(TIMED_OUT, "BUILD_TIMED_OUT", "Build has timed out. ")
        return True
    return False


def _build(run: Run) -> None:
    deadline = time.monotonic() + run.seconds(
        run.request.timeout_minutes, run.project.get("timeoutInMinutes") or 60
    )
    for phase, work in (("PROVISIONING", _provision_run), ("DOWNLOAD_SOURCE", _download_source)):
        run.enter(phase)
        if _interrupted(run, deadline) or not _attempt(run, work):
            return
    spec = run.spec
    assert spec is not None
    if not _run_phases(run, spec, deadline):
        return
    _capture_exported(run, spec, deadline)
    run.enter("UPLOAD_ARTIFACTS")
    if not _interrupted(run, deadline):
        _attempt(run, _upload_artifacts)


# -- PROVISIONING ----------------------------------------------------------------------------------------
def _provision_run(run: Run) -> None:
    principal, session = builds.take_role(run.account, run.region, run.project, run.id)
    actor = run.actor = Build(run.id, run.account, run.region, run.project, principal, None)
    try:
        builds.provision(actor)
    except Refused as refused:
        raise BuildFailed(
            f"Unexpected EC2 error: UnauthorizedOperation: {refused.denied}", "VPC_CLIENT_ERROR"
        ) from refused
    writer = BuildLog(actor)
    try:
        writer.open()
    except Refused as refused:
        raise BuildFailed(
            f"Service role {run.project.get('serviceRole')} does not allow AWS CodeBuild to create Amazon "
            f"CloudWatch Logs log streams for build {run.arn}. Error message: {refused.denied}",
            "ACCESS_DENIED",
        ) from refused
    run.log = writer
    environment = run.project.get("environment") or {}
    credentials = (
        run.request.image_pull_credentials or environment.get("imagePullCredentialsType") or "CODEBUILD"
    )
    run.stand_in = images.resolve(
        run.account, run.region, run.image, credentials, principal, str(run.project["arn"])
    )
    where = (
        "its registered stand-in"
        if run.stand_in.registered
        else f"the local machine (PATH={images.LOCAL_PATH})"
    )
    writer.container(f"Running on the launchpad sandbox: local processes for image {run.image} with {where}")
    run.environment = {
        "AWS_ACCESS_KEY_ID": session.access_key,
        "AWS_SECRET_ACCESS_KEY": session.secret_key,
        "AWS_SESSION_TOKEN": session.token,
    }


# -- DOWNLOAD_SOURCE -------------------------------------------------------------------------------------
def _workspace() -> Path:
    parent = os.environ.get(BUILD_DIR_ENV) or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="launchpad-codebuild-", dir=parent))


def _download_source(run: Run) -> None:
    assert run.log is not None and run.actor is not None
    workspace = run.workspace = _workspace()
    source_dir = workspace / "src"
    for folder in (source_dir, workspace / "home", workspace / "readonly"):
        folder.mkdir()
    run.log.container("Phase is DOWNLOAD_SOURCE")
    run.log.container(f"CODEBUILD_SRC_DIR={source_dir}")
    if run.request.source.type in ("CODEPIPELINE", "S3"):
        _unzip(_fetch_source(run), source_dir, run.request.source)
    text, location = _buildspec_text(run, source_dir)
    run.log.container(f"YAML location is {location}")
    spec = buildspec.parse(text)
    for warning in spec.warnings:
        run.log.container(f"launchpad sandbox: {warning}")
    run.log.container("Processing environment variables")
    run.environment = _environment(run, spec, source_dir)
    run.log.container(f"Moving to directory {source_dir}")
    run.log.container(f"Phases found in YAML: {len(spec.phases)}")
    for phase in spec.phases:
        run.log.container(f" {phase.type}: {len(phase.commands)} commands")
    run.spec = spec


def _fetch_source(run: Run) -> bytes:
    source = run.request.source
    assert run.actor is not None and source.bucket and source.key
    params: dict[str, str] = {"Bucket": source.bucket, "Key": source.key}
    if source.version and source.type == "S3":
        params["VersionId"] = source.version
    what = f"for primary source and source version {source.source_version or ''}".rstrip()
    try:
        builds.as_role(run.actor.principal, "s3", "GetObject", params, run.region)
    except Refused as refused:
        raise BuildFailed(f"AccessDenied: {refused.denied} {what}") from refused
    stored = builds.stored_object(source.bucket, source.key, params.get("VersionId"))
    if stored is None:
        raise BuildFailed(f"NoSuchKey: The specified key does not exist. {what}")
    return bytes(stored.value)


def _unzip(data: bytes, folder: Path, source: Source) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        version = source.source_version or ""
        raise BuildFailed(
            f"zip: not a valid zip file for primary source and source version {version}".rstrip()
        ) from exc
    with archive:
        for info in archive.infolist():
            path = archive.extract(info, folder)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(path, mode)


def _buildspec_text(run: Run, source_dir: Path) -> tuple[str, Path]:
    """The buildspec's text and where CodeBuild reads it from: inline (written to readonly/buildspec.yml), a
    path in the source, or buildspec.yml at its root."""
    assert run.workspace is not None
    declared = run.request.buildspec or (run.project.get("source") or {}).get("buildspec")
    if declared and ("\n" in declared or declared.lstrip().startswith(("version", "{"))):
        location = run.workspace / "readonly" / "buildspec.yml"
        location.write_text(declared)
        return declared, location
    if declared and declared.startswith("arn:"):
        raise BuildFailed(
            f"launchpad sandbox: a buildspec in S3 ({declared}) is not modelled: give it inline or as a "
            "path in the source"
        )
    location = (source_dir / (declared or "buildspec.yml")).resolve()
    if not location.is_relative_to(source_dir.resolve()) or not location.is_file():
        raise buildspec.BuildspecError(f"stat {location}: no such file or directory")
    return location.read_text(errors="replace"), location


def _environment(run: Run, spec: buildspec.Buildspec, source_dir: Path) -> dict[str, str]:
    """The build's environment: the image's, CodeBuild's, the session's, then buildspec, project and
    StartBuild variables, each over the one before (nothing of the server's own)."""
    assert (
        run.stand_in is not None
        and run.log is not None
        and run.actor is not None
        and run.workspace is not None
    )
    environment = {"PATH": images.LOCAL_PATH, **run.stand_in.environment}
    source = run.request.source
    builtin = {
        "AWS_REGION": run.region,
        "AWS_DEFAULT_REGION": run.region,
        "CODEBUILD_BUILD_ARN": run.arn,
        "CODEBUILD_BUILD_ID": run.id,
        "CODEBUILD_BUILD_IMAGE": run.image,
        "CODEBUILD_BUILD_NUMBER": str(run.number),
        "CODEBUILD_BUILD_SUCCEEDING": "1",
        "CODEBUILD_INITIATOR": run.request.initiator,
        "CODEBUILD_KMS_KEY_ID": str(run.request.encryption_key or run.project.get("encryptionKey") or ""),
        "CODEBUILD_LOG_PATH": run.log.stream,
        "CODEBUILD_SRC_DIR": str(source_dir),
        "CODEBUILD_START_TIME": str(int(run.started.timestamp() * 1000)),
        "CODEBUILD_SOURCE_VERSION": source.source_version or "",
        "CODEBUILD_RESOLVED_SOURCE_VERSION": source.revision or source.version or "",
        "CODEBUILD_SOURCE_REPO_URL": f"s3://{source.bucket}/{source.key}" if source.type == "S3" else "",
        "HOME": str(run.workspace / "home"),
        "AWS_ENDPOINT_URL": builds.endpoint(),
        "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    environment.update({k: v for k, v in builtin.items() if v})
    environment.update(run.environment)  # the session's credentials
    if run.actor.principal.network is not None:
        environment.update(_no_nat())
    environment.update(spec.variables)
    declared = [
        *((run.project.get("environment") or {}).get("environmentVariables") or []),
        *run.request.environment,
    ]
    for variable in declared:
        kind = variable.get("type") or "PLAINTEXT"
        if kind != "PLAINTEXT":
            raise BuildFailed(
                f"launchpad sandbox: environment variable {variable.get('name')} of type {kind} is not "
                "modelled (the sandbox resolves no Parameter Store parameters or Secrets Manager secrets "
                "for builds): use PLAINTEXT"
            )
        environment[str(variable["name"])] = str(variable.get("value", ""))
    return environment


def _no_nat() -> dict[str, str]:
    """A VPC without a NAT gateway: proxies that refuse every connection, none for the sandbox itself."""
    with _LOCK:
        if not _REFUSING:
            refusing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            refusing.bind(("127.0.0.1", 0))
            _REFUSING.append(refusing)
        proxy = f"http://127.0.0.1:{_REFUSING[0].getsockname()[1]}"
    names = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
    return {
        **dict.fromkeys(names, proxy),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


# -- INSTALL, PRE_BUILD, BUILD, POST_BUILD ----------------------------------------------------------------
def _run_phases(run: Run, spec: buildspec.Buildspec, deadline: float) -> bool:
    """Run the four phases as "Build phase transitions" orders them; False when the build goes straight to
    FINALIZING (a failed install or pre_build, on-failure ABORT, a timeout, a stop)."""
    for name in buildspec.PHASES:
        phase = spec.phase(name) or buildspec.Phase(name)
        run.enter(phase.type)
        if _interrupted(run, deadline):
            return False
        status = _run_phase(run, spec, phase, deadline)
        if status in (TIMED_OUT, STOPPED):
            return False
        ends = phase.on_failure == "ABORT" or (phase.on_failure is None and name in ("install", "pre_build"))
        if status != SUCCEEDED and ends:
            return False
    return True


def _run_phase(run: Run, spec: buildspec.Buildspec, phase: buildspec.Phase, deadline: float) -> str:
    assert run.log is not None and run.stand_in is not None
    if phase.runtime_versions:
        try:
            available = build_runner.runtimes(run.environment, run.stand_in.runtimes)
            for line in build_runner.select_runtimes(phase.runtime_versions, available):
                run.log.container(line)
        except buildspec.BuildspecError as error:
            run.end_phase(FAILED, error.code, str(error))
            return FAILED
    if not phase.commands and not phase.finally_:
        run.end_phase(SUCCEEDED)
        return SUCCEEDED
    session = _session(run, spec)
    if session is None:
        return FAILED
    prelude = "export CODEBUILD_BUILD_SUCCEEDING=0\n" if run.failure else ""
    outcome = session.run(phase.commands, phase.finally_, deadline, prelude)
    if outcome.status == SUCCEEDED:
        run.end_phase(SUCCEEDED)
    elif outcome.status == TIMED_OUT:
        run.end_phase(TIMED_OUT, "BUILD_TIMED_OUT", "Build has timed out. ")
    elif outcome.status == STOPPED:
        run.end_phase(STOPPED, "BUILD_STOPPED", "Build was stopped")
    else:
        message = (
            f"Error while executing command: {outcome.command}. Reason: exit status {outcome.exit_status}"
        )
        run.end_phase(FAILED, "COMMAND_EXECUTION_ERROR", message)
    return outcome.status


def _session(run: Run, spec: buildspec.Buildspec) -> build_runner.Session | None:
    """The build's shell session: started once, or again when a command ended it."""
    assert run.log is not None and run.workspace is not None
    if run.session is not None and run.session.alive:
        return run.session
    writer = run.log
    session = build_runner.Session(
        spec.shell,
        run.workspace / "src",
        run.environment,
        writer.write,
        lambda command: writer.container(f"Running command {command}"),
        lambda command, status: writer.container(
            f"Command did not exit successfully {command} exit status {status}"
        ),
    )
    run.session = session
    if run.stopping:
        session.kill(STOPPED)
    try:
        session.start()
    except OSError as exc:
        run.end_phase(
            FAILED, "CLIENT_ERROR", f"launchpad sandbox: cannot start the build's {spec.shell}: {exc}"
        )
        return None
    return session


def _capture_exported(run: Run, spec: buildspec.Buildspec, deadline: float) -> None:
    """``env/exported-variables`` as they are when post_build ends."""
    if spec.exported and run.session is not None and run.workspace is not None:
        run.exported = run.session.capture(spec.exported, run.workspace / "exported", deadline)


# -- UPLOAD_ARTIFACTS, FINALIZING ------------------------------------------------------------------------
def _upload_artifacts(run: Run) -> None:
    if run.request.output is None:
        return
    assert (
        run.log is not None and run.actor is not None and run.spec is not None and run.workspace is not None
    )
    artifacts = run.spec.artifacts
    base = artifacts.base_directory if artifacts and artifacts.base_directory else "."
    run.log.container(f"Expanding base directory path: {base}")
    run.log.container("Assembling file list")
    files = buildspec.select(run.workspace / "src", artifacts) if artifacts else []
    run.log.container(f"Found {len(files)} file(s)")
    if not files:
        raise BuildFailed("no matching artifact paths found")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in files:
            archive.write(path, name)
    bucket, key = run.request.output
    try:
        builds.upload(run.actor, f"s3://{bucket}/{key}", buffer.getvalue(), run.request.encryption_key)
    except Refused as refused:
        raise BuildFailed(f"AccessDenied: {refused.denied}") from refused
    run.artifact = f"arn:aws:s3:::{bucket}/{key}"


def _final_status(run: Run) -> str:
    statuses = {str(p.get("phaseStatus")) for p in run.phases} | ({FAULT} if run.faulted else set())
    for status in (STOPPED, TIMED_OUT, FAULT, FAILED):
        if status in statuses:
            return status
    return SUCCEEDED


def _finish(run: Run) -> None:
    """FINALIZING and COMPLETED: end the commands, release the network, send the log, end the session."""
    try:
        run.enter("FINALIZING")
        if run.session is not None:
            run.session.close()
        if run.actor is not None:
            try:
                builds.release_network(run.actor)
            except Refused as refused:
                log.warning("build %s: %s", run.id, refused)
        run.end_phase(SUCCEEDED)
        run.status = _final_status(run)
        run.enter("COMPLETED")
        run.ended = datetime.now(UTC)
        if run.log is not None:
            run.log.flush(strict=False)
    finally:
        if run.actor is not None:
            KEYS.revoke_principal(run.actor.principal)
        if run.workspace is not None:
            shutil.rmtree(run.workspace, ignore_errors=True)
        run.done.set()


# -- reset -----------------------------------------------------------------------------------------------
def stop_all() -> None:
    """Stop every build (a sandbox reset, or the server ending) and forget them."""
    for run in list(_RUNS.values()):
        stop(run.id)
    for run in list(_RUNS.values()):
        if not run.done.wait(_STOP_WAIT):
            log.warning("build %s did not stop within %s s", run.id, _STOP_WAIT)
    with _LOCK:
        _RUNS.clear()
        _NUMBERS.clear()
    images.clear()


def apply() -> None:
    lifecycle.on_reset(stop_all)
