"""What SageMaker does around a job's container, shared by Processing and Training jobs (one implementation).

AWS (SageMaker Developer Guide, "Give SageMaker Processing Jobs Access to Resources in Your Amazon VPC",
"Give SageMaker Training Jobs Access to Resources in Your Amazon VPC", "CreateProcessingJob API: Execution
Role Permissions", "CreateTrainingJob API: Execution Role Permissions", "Monitor Amazon SageMaker with Amazon
CloudWatch" (the jobs' log groups); API Reference ``StoppingCondition``, ``StopTrainingJob``,
``StopProcessingJob``): for a Processing or a Training job SageMaker

- assumes the job's role (principal ``sagemaker.amazonaws.com``, ``aws:SourceArn`` the job,
  ``aws:SourceAccount`` its account; refused: "Could not assume role <arn>. Please ensure that the role exists
  and allows principal 'sagemaker.amazonaws.com' to assume the role.") and gives the container that role
  session's credentials;
- in a VPC, looks the network up and makes the instances' network interfaces as the role (refused: the job
  fails), checks that the subnets reach S3 (else the job fails), and removes the interfaces at the end;
- moves data between S3 and the instance as the role: ``s3:ListBucket`` of an input prefix and
  ``s3:GetObject`` of each object (``kms:Decrypt`` via S3 for SSE-KMS ones), ``s3:PutObject`` of each output
  object (SSE-KMS with the job's output key: ``kms:GenerateDataKey`` via S3); a refusal fails the job
  ("ClientError: ... AccessDenied: <AWS's message naming the action and resource>"), and so does an input
  prefix without objects ("No S3 objects found under S3 URL");
- writes the container's standard output and error to the job's CloudWatch Logs group, stream
  ``<job>/algo-<n>-<epoch seconds>``, as the role (``logs:CreateLogGroup`` if missing,
  ``logs:CreateLogStream``, ``logs:PutLogEvents``); a refusal drops the log and does not fail the job;
- ends the job at ``MaxRuntimeInSeconds``, and on a stop request sends the container SIGTERM, then SIGKILL.

The sandbox has no containers: each instance is a local process of the sandbox's interpreter
(``python``/``python3`` as the program; any other program from the sandbox's PATH) in a private root folder
under the temporary folder (``LAUNCHPAD_SANDBOX_BUILD_DIR`` to choose another), removed when the job ends.
Every ``/opt/ml`` path (``/opt/ml`` at the start of a value or after a character that cannot be in a path,
followed by ``/`` or the end) of the command and the environment is rewritten to ``<root>/opt/ml``. The
environment is the image's (``PYTHONUNBUFFERED``, ``PYTHONDONTWRITEBYTECODE``), the sandbox's ``PATH``,
``LANG``, ``TMPDIR``, the role session's credentials, ``AWS_REGION``/``AWS_DEFAULT_REGION``,
``AWS_ENDPOINT_URL`` (the sandbox), ``AWS_MAX_ATTEMPTS`` 2, ``AWS_RETRY_MODE`` standard,
``AWS_EC2_METADATA_DISABLED``, what the job kind adds, then the job's ``Environment``. In a VPC the session
reaches only the services of the VPC's endpoints (a refusing proxy for the internet, as ``codebuild_runs``
does); with network isolation it reaches nothing. The job's tag ``launchpad:sandbox:time-scale`` scales
``MaxRuntimeInSeconds`` (real seconds per AWS second). SageMaker waits 120 seconds between SIGTERM and
SIGKILL; the sandbox waits ``KILL_WAIT``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from botocore.model import Shape
from moto.core.utils import get_service_model
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ValidationError

from launchpad.deploy import timescale
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.sandbox import authz
from launchpad.sandbox.authz.principals import KEYS, Principal
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import codebuild_runs, sts
from launchpad.sandbox.patches import sagemaker_execution as execution
from launchpad.sandbox.patches.api_model import constraint_errors

log = logging.getLogger(__name__)

SERVICE = execution.SERVICE
PREFIX = "launchpad sandbox: "
IN_PROGRESS, STOPPING, STOPPED = "InProgress", "Stopping", "Stopped"
COMPLETED, FAILED = "Completed", "Failed"
DONE = (COMPLETED, FAILED, STOPPED)
IMAGE_ENVIRONMENT = {"PYTHONUNBUFFERED": "TRUE", "PYTHONDONTWRITEBYTECODE": "TRUE"}
DEFAULT_MAX_RUNTIME = 86400
TAIL = 1024  # characters of standard error kept for FailureReason / ExitMessage
KILL_WAIT = 2.0  # seconds between SIGTERM and SIGKILL
STOP_WAIT = 10.0
_PYTHON = re.compile(r"(?:.*/)?python3?(?:\.\d+)?")
_OPT_ML = re.compile(r"(?<![\w.~/-])/opt/ml(?=/|$)")


class JobFailed(Exception):
    """The job cannot go on; the message is its FailureReason."""


# -- the request against the API model ---------------------------------------------------------------------
def string_errors(value: Any, shape: Any, path: str) -> list[str]:
    """Length and pattern errors of a string (``constraint_errors`` checks numbers, lists and enums)."""
    if not isinstance(value, str):
        return []
    meta, errors = shape.metadata, []
    if "max" in meta and len(value) > meta["max"]:
        errors.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have length less than or "
            f"equal to {meta['max']}"
        )
    if "min" in meta and len(value) < meta["min"]:
        errors.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have length greater than "
            f"or equal to {meta['min']}"
        )
    pattern = meta.get("pattern")
    if pattern:
        try:
            matched = re.fullmatch(pattern, value) is not None
        except re.error:  # a Java-only construct (\p{Alnum}): not checked
            matched = True
        if not matched:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {pattern}"
            )
    return errors


def _deep_errors(value: Any, shape: Shape, path: str) -> list[str]:
    """String constraints everywhere in ``value``, and maps' sizes, keys and values."""
    errors: list[str] = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if value.get(name) is not None:
                errors += _deep_errors(value[name], member, f"{path}.{name[:1].lower() + name[1:]}")
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            errors += _deep_errors(item, shape.member, f"{path}.{index}.member")  # type: ignore[attr-defined]
    elif kind == "map" and isinstance(value, Mapping):
        meta = shape.metadata
        if "max" in meta and len(value) > meta["max"]:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length less than or equal "
                f"to {meta['max']}"
            )
        for key, item in value.items():
            for problem in string_errors(key, shape.key, f"{path}.key"):  # type: ignore[attr-defined]
                errors.append(problem.replace("Member must", "Map keys must", 1))
            for problem in string_errors(item, shape.value, f"{path}.{key}"):  # type: ignore[attr-defined]
                errors.append(problem.replace("Member must", "Map value must", 1))
    elif kind == "string":
        errors += string_errors(value, shape, path)
    return errors


def api_errors(operation: str, params: Mapping[str, Any]) -> list[str]:
    """AWS's validation errors of a request to ``operation`` (required members, numbers, lists, enums,
    strings' lengths and patterns, maps), from botocore's copy of the API model."""
    shape = get_service_model("sagemaker").operation_model(operation).input_shape
    errors = [
        f"Value null at '{n[:1].lower() + n[1:]}' failed to satisfy constraint: Member must not be null"
        for n in shape.required_members
        if params.get(n) is None
    ]
    errors += constraint_errors(dict(params), shape, "")
    errors += _deep_errors(dict(params), shape, "")
    return [e.replace("at '.", "at '") for e in errors]


def scale_of(tags: list[Mapping[str, Any]] | None) -> float:
    """The job's ``launchpad:sandbox:time-scale`` tag (real seconds per AWS second)."""
    for tag in tags or []:
        if tag.get("Key") == timescale.TIME_SCALE_TAG:
            try:
                return timescale.parse(str(tag.get("Value", "")), f"Tag {timescale.TIME_SCALE_TAG}")
            except timescale.TimeScaleError as exc:
                raise ValidationError(str(exc)) from exc
    return timescale.UNSCALED


def check_role(role: str, account: str, region: str, job_arn: str) -> None:
    """At create: SageMaker must be able to assume the role (ValidationError with AWS's message)."""
    if not authz.enabled():
        return
    try:
        execution._assume(role, account, region, job_arn)
    except execution.FleetFailure as failure:
        raise ValidationError(str(failure).split(" (", 1)[0]) from failure


# -- a job -------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Instance:
    host: str
    root: Path
    process: subprocess.Popen[bytes] | None = None
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    log: JobLog | None = None


@dataclass(eq=False)
class ContainerJob:
    """A job whose instances run a container; the job kinds fill in the hooks."""

    KIND: ClassVar[str] = "container"
    LOG_GROUP: ClassVar[str] = ""
    NAME_KEY: ClassVar[str] = ""

    account: str
    region: str
    params: dict[str, Any]
    fake: Any
    scale: float
    status: str = IN_PROGRESS
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: datetime | None = None
    ended: datetime | None = None
    failure: str | None = None
    exit_message: str | None = None
    stopping: bool = False
    timed_out: bool = False
    access_key: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    folder: Path | None = None
    instances: list[Instance] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return str(self.params[self.NAME_KEY])

    @property
    def arn(self) -> str:
        return str(self.fake.arn)

    @property
    def role(self) -> str:
        return str(self.params["RoleArn"])

    @property
    def hosts(self) -> list[str]:
        return ["algo-1"]

    def network(self) -> Mapping[str, Any]:
        """``{"VpcConfig": ..., "EnableNetworkIsolation": ...}`` of the request."""
        return {}

    def max_runtime(self) -> float:
        condition = self.params.get("StoppingCondition") or {}
        return float(condition.get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME)

    def set_status(self, status: str) -> None:
        with self.lock:
            self.status_locked(status)

    def status_locked(self, status: str) -> None:
        """Change the status (the caller holds ``lock``)."""
        self.status = status
        self.modified = datetime.now(UTC)
        if status in DONE:
            self.ended = self.modified

    # hooks
    def prepare(self, principal: Principal, instance: Instance, index: int) -> None:
        """Before the container starts: config files and inputs in the instance's root."""

    def command(self, instance: Instance) -> list[str]:
        raise NotImplementedError

    def working_dir(self, instance: Instance) -> Path:
        return instance.root

    def container_environment(self, instance: Instance) -> dict[str, str]:
        """What the job kind adds to the environment (before the job's ``Environment``)."""
        return {}

    def on_line(self, instance: Instance, line: str) -> None:
        """A line of the container's output (standard output or error)."""

    def finish(self, principal: Principal) -> None:
        """After the processes ended (or none started because the job is stopping): outputs and status."""
        raise NotImplementedError

    def fail(self, reason: str) -> None:
        self.failure = reason[:TAIL]
        self.set_status(STOPPED if self.stopping else FAILED)


def local(instance: Instance, path: str) -> Path:
    """An ``/opt/ml`` path of the instance in its root folder."""
    return instance.root / path.lstrip("/")


def rewrite(value: str, root: Path) -> str:
    """``value`` with every ``/opt/ml`` path moved under ``root``."""
    return _OPT_ML.sub(lambda _: f"{root}/opt/ml", value)


def program(argv: list[str]) -> list[str]:
    """The command with ``python``/``python3``/``python3.x`` as the sandbox's interpreter."""
    if argv and _PYTHON.fullmatch(argv[0]):
        return [sys.executable, *argv[1:]]
    return argv


class Registry:
    """The jobs of one kind, by (account, region, name)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._jobs: dict[tuple[str, str, str], ContainerJob] = {}
        self._lock = threading.Lock()

    def add(self, job: ContainerJob) -> None:
        with self._lock:
            self._jobs[(job.account, job.region, job.name)] = job

    def get(self, account: str, region: str, name: str) -> ContainerJob | None:
        with self._lock:
            return self._jobs.get((account, region, name))

    def stop_all(self) -> None:
        """A sandbox reset or the server's end: stop every job and forget them."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stopping = True
            kill_all(job)
        for job in jobs:
            if not job.done.wait(STOP_WAIT):
                log.warning("%s job %s did not stop within %s s", self.kind, job.name, STOP_WAIT)
        with self._lock:
            self._jobs.clear()


def start(job: ContainerJob) -> None:
    """Run the job in the background."""
    threading.Thread(target=execute, args=(job,), daemon=True, name=f"{job.KIND}-{job.name}").start()


def begin_stop(job: ContainerJob) -> bool:
    """A stop request: Stopping, then the processes end (SIGTERM, then SIGKILL); False if not InProgress."""
    with job.lock:
        if job.status != IN_PROGRESS:
            return False
        job.stopping = True
        job.status_locked(STOPPING)
    threading.Thread(target=kill_all, args=(job,), daemon=True).start()
    return True


def kill_all(job: ContainerJob) -> None:
    processes = [i.process for i in job.instances if i.process is not None]
    for process in processes:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + KILL_WAIT
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)


def _signal(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


# -- what SageMaker does as the role ------------------------------------------------------------------------
def take_role(job: ContainerJob) -> Principal:
    """SageMaker assumes the job's role (its trust policy decides); the session the container gets."""
    if authz.enabled():
        try:
            execution._assume(job.role, job.account, job.region, job.arn)
        except execution.FleetFailure as failure:
            raise JobFailed(f"ClientError: {failure}") from failure
    session = sts._issue(job.role, "SageMaker", None, SERVICE, job.region)
    network = job.network()
    principal = session.principal
    if network.get("EnableNetworkIsolation"):
        principal = replace(principal, network=())
    elif network.get("VpcConfig"):
        principal = replace(principal, network=_reachable(job, network["VpcConfig"]))
    KEYS.issue(session.access_key, principal)
    job.access_key = session.access_key
    job.credentials = {
        "AWS_ACCESS_KEY_ID": session.access_key,
        "AWS_SECRET_ACCESS_KEY": session.secret_key,
        "AWS_SESSION_TOKEN": session.token,
    }
    return principal


def _reachable(job: ContainerJob, vpc: Mapping[str, Any]) -> tuple[str, ...]:
    from moto.ec2.models import ec2_backends

    subnets = list(vpc.get("Subnets") or [])
    try:
        vpc_id = ec2_backends[job.account][job.region].get_subnet(subnets[0]).vpc_id
    except Exception:  # moto's InvalidSubnetIdError: network_problem says so
        return ()
    return builds.reachable(job.account, job.region, vpc_id)


def check_network(job: ContainerJob, principal: Principal) -> None:
    vpc = job.network().get("VpcConfig")
    if not vpc:
        return
    try:
        if authz.enabled():
            execution._attach(principal, job.role, vpc, job.region)
        problem = execution.network_problem(job.account, job.region, vpc, False)
    except execution.FleetFailure as failure:
        raise JobFailed(f"ClientError: {failure}") from failure
    if problem:
        raise JobFailed(f"ClientError: the job's instances cannot reach S3 from the VPC: {problem}.")


def refused(job: ContainerJob, what: str, message: str) -> None:
    """Keep a refusal that does not fail the job (``/_launchpad/authz/refusals``)."""
    execution._refused(job.account, f"{what} of {job.KIND} job {job.name}", message)


_LOG_GROUPS = threading.Lock()


class JobLog:
    """An instance's log stream, written as the role; lines are sent at most a second after they come."""

    def __init__(self, job: ContainerJob, principal: Principal, host: str) -> None:
        self.job, self.principal = job, principal
        self.group = job.LOG_GROUP
        self.stream = f"{job.name}/{host}-{int(time.time())}"
        self.enabled = False
        self._events: list[dict[str, Any]] = []
        self._sent = time.monotonic()
        self._lock = threading.Lock()

    @property
    def _params(self) -> dict[str, str]:
        return {"logGroupName": self.group, "logStreamName": self.stream}

    def open(self) -> None:
        job, backend = self.job, logs_backends[self.job.account][self.job.region]
        try:
            with _LOG_GROUPS:  # jobs starting together (a tuning job's) create the group once
                if self.group not in backend.groups:
                    builds.as_role(
                        self.principal, "logs", "CreateLogGroup", {"logGroupName": self.group}, job.region
                    )
                    backend.create_log_group(self.group, {})
            builds.as_role(self.principal, "logs", "CreateLogStream", self._params, job.region)
            builds.as_role(self.principal, "logs", "PutLogEvents", self._params, job.region)
        except builds.Refused as denied:
            refused(job, f"log stream {self.group}/{self.stream}", denied.denied)
            return
        backend.create_log_stream(self.group, self.stream)
        self.enabled = True

    def write(self, line: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._events.append({"timestamp": int(time.time() * 1000), "message": line})
            due = len(self._events) >= 500 or time.monotonic() - self._sent >= 1.0
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            events, self._events = self._events, []
            self._sent = time.monotonic()
        if not events or not self.enabled:
            return
        try:
            builds.as_role(self.principal, "logs", "PutLogEvents", self._params, self.job.region)
        except builds.Refused as denied:
            self.enabled = False
            refused(self.job, f"log stream {self.group}/{self.stream}", denied.denied)
            return
        group = logs_backends[self.job.account][self.job.region].groups.get(self.group)
        if group is not None and self.stream in group.streams:  # else the sandbox was reset
            logs_backends[self.job.account][self.job.region].put_log_events(self.group, self.stream, events)


# -- S3, as the role ----------------------------------------------------------------------------------------
def list_keys(job: ContainerJob, principal: Principal, what: str, uri: str) -> list[str]:
    """The objects under an input's S3 URI, listed as the role (``what``: "input data", "channel train")."""
    bucket, prefix = split_s3_uri(uri)
    try:
        builds.as_role(principal, "s3", "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix}, job.region)
    except builds.Refused as denied:
        raise JobFailed(
            f"ClientError: Failed to download data for {what} from {uri}: AccessDenied: {denied.denied}"
        ) from denied
    owner = s3_backends.bucket_accounts.get(bucket)
    stored = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
    names = stored.keys.keys() if stored is not None else []
    keys = sorted(k for k in names if k.startswith(prefix) and not k.endswith("/"))
    keys = [k for k in keys if hasattr(builds.stored_object(bucket, k), "value")]  # not delete markers
    if not keys:
        raise JobFailed(
            f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. Please '
            f"ensure that the bucket exists in the selected region ({job.region}), that objects exist under "
            f'that S3 prefix, and that the role "{job.role}" has "s3:ListBucket" permissions on '
            f'bucket "{bucket}".'
        )
    return keys


def share(keys: list[str], distribution: str, index: int, count: int) -> list[str]:
    """The objects instance ``index`` (from 0) of ``count`` gets: all of them (FullyReplicated), or every
    count-th of the sorted keys starting at ``index`` (ShardedByS3Key)."""
    if distribution != "ShardedByS3Key":
        return list(keys)
    return [k for i, k in enumerate(sorted(keys)) if i % count == index]


def get_object(job: ContainerJob, principal: Principal, what: str, bucket: str, key: str) -> bytes:
    """An object's bytes, read as the role."""
    try:
        builds.as_role(principal, "s3", "GetObject", {"Bucket": bucket, "Key": key}, job.region)
    except builds.Refused as denied:
        raise JobFailed(
            f"ClientError: Failed to download data for {what} from s3://{bucket}/{key}: AccessDenied: "
            f"{denied.denied}"
        ) from denied
    stored = builds.stored_object(bucket, key)
    if not hasattr(stored, "value"):
        raise JobFailed(
            f"ClientError: Failed to download data for {what}: s3://{bucket}/{key} does not exist"
        )
    return bytes(stored.value)


def download(
    job: ContainerJob, principal: Principal, what: str, uri: str, target: Path, distribution: str, index: int
) -> None:
    """The share of instance ``index`` of the objects under ``uri`` into ``target``, as the role; an
    object's local path is its key relative to the prefix (a URI naming one object: its file name)."""
    bucket, prefix = split_s3_uri(uri)
    target.mkdir(parents=True, exist_ok=True)
    keys = list_keys(job, principal, what, uri)
    for key in share(keys, distribution, index, len(job.hosts)):
        data = get_object(job, principal, what, bucket, key)
        relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
        path = (target / relative).resolve()
        if not path.is_relative_to(target.resolve()):
            raise JobFailed(f"ClientError: the object key {key} leaves the local path of {what}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def put_object(
    job: ContainerJob, principal: Principal, what: str, uri: str, data: bytes, kms_key: str | None
) -> None:
    """Store ``data`` at ``uri`` as the role (SSE-KMS with ``kms_key`` when given)."""
    bucket, key = split_s3_uri(uri)
    headers = (
        {"x_amz_server_side_encryption": "aws:kms", "x_amz_server_side_encryption_aws_kms_key_id": kms_key}
        if kms_key
        else {}
    )
    try:
        builds.as_role(principal, "s3", "PutObject", {"Bucket": bucket, "Key": key}, job.region, **headers)
    except builds.Refused as denied:
        raise JobFailed(
            f"ClientError: Failed to upload {what} to s3://{bucket}/{key}: AccessDenied: {denied.denied}"
        ) from denied
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise JobFailed(f"ClientError: Failed to upload {what}: NoSuchBucket: {bucket}")
    s3_backends[owner[1]][owner[0]].put_object(
        bucket, key, data, encryption="aws:kms" if kms_key else None, kms_key_id=kms_key
    )


# -- the container ------------------------------------------------------------------------------------------
def environment(job: ContainerJob, instance: Instance, principal: Principal) -> dict[str, str]:
    values = {
        **IMAGE_ENVIRONMENT,
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(instance.root),
        "TMPDIR": str(instance.root / "tmp"),
        "AWS_REGION": job.region,
        "AWS_DEFAULT_REGION": job.region,
        "AWS_ENDPOINT_URL": builds.endpoint(),
        "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard",
        "AWS_EC2_METADATA_DISABLED": "true",
        **job.credentials,
    }
    if principal.network is not None:
        values.update(codebuild_runs._no_nat())
    for name, value in job.container_environment(instance).items():
        values[name] = rewrite(value, instance.root)
    for name, value in (job.params.get("Environment") or {}).items():
        values[str(name)] = rewrite(str(value), instance.root)
    return values


def _pump(job: ContainerJob, stream: Any, instance: Instance, keep: bool) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        if keep:
            instance.stderr.append(line)
        if instance.log is not None:
            instance.log.write(line)
        try:
            job.on_line(instance, line)
        except Exception:  # the sandbox's own bug: the line is still logged
            log.exception("%s job %s: a line of its output could not be read", job.KIND, job.name)
    stream.close()


def run(job: ContainerJob, principal: Principal) -> None:
    """Start every instance's process and wait for them all, within MaxRuntimeInSeconds."""
    pumps = []
    for instance in job.instances:
        try:
            process = subprocess.Popen(
                job.command(instance),
                cwd=job.working_dir(instance),
                env=environment(job, instance, principal),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise JobFailed(
                f"AlgorithmError: the container of {instance.host} could not start: {exc}"
            ) from exc
        instance.process = process
        for stream, keep in ((process.stdout, False), (process.stderr, True)):
            pump = threading.Thread(target=_pump, args=(job, stream, instance, keep), daemon=True)
            pump.start()
            pumps.append(pump)
        if job.stopping:
            kill_all(job)
    limit = job.max_runtime()
    deadline = time.monotonic() + limit * (job.scale if job.scale > 0 else timescale.UNSCALED)
    for instance in job.instances:
        assert instance.process is not None
        try:
            instance.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            job.timed_out = True
            kill_all(job)
            instance.process.wait()
    for pump in pumps:
        pump.join(5)


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, default=str))


def execute(job: ContainerJob) -> None:
    """The job from start to end: role, network, log, inputs, the container, outputs; then cleanup."""
    principal: Principal | None = None
    try:
        job.started = datetime.now(UTC)
        principal = take_role(job)
        check_network(job, principal)
        parent = os.environ.get(codebuild_runs.BUILD_DIR_ENV) or None
        if parent:
            Path(parent).mkdir(parents=True, exist_ok=True)
        job.folder = Path(tempfile.mkdtemp(prefix=f"launchpad-{job.KIND}-", dir=parent))
        job.instances = [Instance(host, job.folder / host) for host in job.hosts]
        for index, instance in enumerate(job.instances):
            instance.root.mkdir()
            (instance.root / "tmp").mkdir()
            instance.log = JobLog(job, principal, instance.host)
            instance.log.open()
            job.prepare(principal, instance, index)
        if not job.stopping:
            run(job, principal)
        job.finish(principal)
    except JobFailed as failed:
        log.info("%s job %s failed: %s", job.KIND, job.name, failed)
        job.fail(str(failed))
    except Exception as exc:  # the sandbox's own bug: the job fails, the cause in the server's log
        log.exception("%s job %s failed in the sandbox", job.KIND, job.name)
        job.stopping = False
        job.fail(f"InternalServerError: {PREFIX}{exc!r}")
    finally:
        for instance in job.instances:
            if instance.process is not None and instance.process.poll() is None:
                _signal(instance.process, signal.SIGKILL)
            if instance.log is not None:
                instance.log.flush()
        vpc = job.network().get("VpcConfig")
        if principal is not None and vpc and authz.enabled():
            execution.detach(principal, job.role, vpc, job.region, job.account)
        if job.access_key:
            KEYS.revoke(job.access_key)
        if job.folder is not None:
            shutil.rmtree(job.folder, ignore_errors=True)
        job.done.set()
