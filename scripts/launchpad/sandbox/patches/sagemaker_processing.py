"""SageMaker Processing jobs that run: the job's container is local processes acting as the job's role.

AWS (SageMaker API Reference ``CreateProcessingJob``, ``DescribeProcessingJob``, ``StopProcessingJob``,
``ListProcessingJobs``, ``ProcessingInput``, ``ProcessingS3Input``, ``ProcessingOutputConfig``,
``ProcessingS3Output``, ``ProcessingStoppingCondition``; SageMaker Developer Guide, "Run Scripts with Your Own
Processing Container" ("How Amazon SageMaker Processing Runs Your Processing Container Image", "How Amazon
SageMaker Processing Configures Input and Output For Your Processing Container", "How Amazon SageMaker
Processing Provides Logs and Metrics", "How Amazon SageMaker Processing Configures Your Processing
Container"), "Docker Registry Paths and Example Code" (the scikit-learn image's registry accounts),
"CreateProcessingJob API: Execution Role Permissions", "Give SageMaker
Processing Jobs Access to Resources in Your Amazon VPC"):

- ``CreateProcessingJob`` validates the request against the API model (``1 validation error detected: Value
  '...' at 'processingJobName' failed to satisfy constraint: ...``: the name's pattern and length, at most 10
  inputs and outputs, ``InstanceCount`` 1-100, ``MaxRuntimeInSeconds`` 1-777600, ``VolumeSizeInGB``, the
  S3 URIs' pattern, the enums), unique input and output names, a ``LocalPath`` under
  ``/opt/ml/processing/``; a job name in use is ``ResourceInUse``; the caller needs ``iam:PassRole`` on
  ``RoleArn`` (the authorization gate) and SageMaker must be able to assume it ("Could not assume role
  <arn>. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the
  role."). A refused request stores nothing.
- The job goes ``InProgress`` -> ``Completed`` | ``Failed`` | ``Stopped`` (``Stopping`` in between after
  ``StopProcessingJob``), with ``ProcessingStartTime``, ``ProcessingEndTime``, ``LastModifiedTime``. A
  container that exits non-zero fails it: ``FailureReason`` "AlgorithmError: ..." and ``ExitMessage`` with the
  end of its standard error. ``MaxRuntimeInSeconds`` ("After the condition is met, the processing job is
  stopped") ends it ``Stopped``. ``StopProcessingJob`` sends SIGTERM, then SIGKILL.
- Each of ``InstanceCount`` instances (hosts ``algo-1`` .. ``algo-N``) runs the image's entrypoint
  (``ContainerEntrypoint`` + ``ContainerArguments``) with the job's ``Environment``, and reads
  ``/opt/ml/config/resourceconfig.json`` (``{"current_host": "algo-<n>", "hosts": [...]}``) and
  ``/opt/ml/config/processingjobconfig.json`` (the job's description).
- As the job's role (assumed by ``sagemaker.amazonaws.com`` with ``aws:SourceArn`` the job and
  ``aws:SourceAccount`` its account), SageMaker downloads each ``S3Input`` into its ``LocalPath`` before the
  container starts (``s3:ListBucket`` for the prefix, ``s3:GetObject`` per object, ``kms:Decrypt`` via S3 for
  SSE-KMS ones): ``FullyReplicated`` to every instance, ``ShardedByS3Key`` a share of the objects to each; and
  uploads each ``S3Output`` (``S3UploadMode: EndOfJob``) from its ``LocalPath`` after a successful run
  (``s3:PutObject``, SSE-KMS with ``ProcessingOutputConfig.KmsKeyId`` when set: ``kms:GenerateDataKey`` via
  S3). A refused download or upload fails the job: "ClientError: ... AccessDenied: <AWS's message naming the
  action and resource>". No object under an input's prefix fails it too ("No S3 objects found under S3 URL").
- The container's standard output and error go to CloudWatch Logs ``/aws/sagemaker/ProcessingJobs``, stream
  ``<job>/algo-<n>-<epoch seconds>`` (``logs:CreateLogGroup`` if the group is missing,
  ``logs:CreateLogStream``, ``logs:PutLogEvents``, as the role). A refusal does not fail the job (AWS drops
  the log): it is kept (``/_launchpad/authz/refusals``).
- In a VPC (``NetworkConfig.VpcConfig``) SageMaker looks the network up and makes the instances' network
  interfaces as the role (``ec2:Describe*``, ``ec2:CreateNetworkInterface``,
  ``ec2:CreateNetworkInterfacePermission``; refused: the job fails), and the subnets must reach S3 (a gateway
  endpoint or a NAT route, security groups letting HTTPS out): else the job fails. When the job ends it
  removes them as the role (``ec2:DeleteNetworkInterfacePermission``, ``ec2:DeleteNetworkInterface``; a
  refusal is kept, as for an endpoint's fleet).

The sandbox has no containers. Only AWS's prebuilt scikit-learn image is stood in for
(``<registry account>.dkr.ecr.<region>.amazonaws.com/sagemaker-scikit-learn:<version>-cpu-py3``, the
registry account of the job's region, versions ``PREBUILT_VERSIONS``); any other image is refused at
``CreateProcessingJob`` with a ``ValidationException`` starting "launchpad sandbox:" and nothing is stored.
Its instances are local processes:

- ``python3`` or ``python`` (any ``python3.x``, bare or as a path) as the entrypoint's program is the
  sandbox's own interpreter (``sys.executable``, with its packages: boto3, numpy, scipy; the image's are
  Python 3.9 with numpy 1.24 and scipy 1.10 for 1.2-1); any other program is looked up on the sandbox's PATH.
- Each instance has a private root folder under the temporary folder (``LAUNCHPAD_SANDBOX_BUILD_DIR`` to
  choose another), ``<root>/opt/ml/...`` holding its inputs, outputs and config files; it is also the
  working folder and ``HOME``, and it is removed when the job ends. Every ``/opt/ml`` path (``/opt/ml`` at
  the start of a value or after a character that cannot be in a path, followed by ``/`` or the end) in the
  entrypoint, the arguments and the ``Environment`` values is rewritten to ``<root>/opt/ml``: a script must
  take its paths from its arguments, its environment or ``/opt/ml/config``, never hard-code ``/opt/ml``
  in its code.
- ``ShardedByS3Key``: the input's objects sorted by key, object i (from 0) goes to ``algo-(i mod N + 1)``;
  every instance gets its share (possibly none). An object's local path is its key relative to the
  ``S3Uri`` prefix (an ``S3Uri`` naming one object: its file name).
- The environment is the image's (``PYTHONUNBUFFERED``, ``PYTHONDONTWRITEBYTECODE``), ``PATH``, ``LANG`` and
  ``TMPDIR`` of the sandbox, the role session's temporary credentials (``AWS_ACCESS_KEY_ID``,
  ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``), ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
  ``AWS_ENDPOINT_URL`` (the sandbox), ``AWS_MAX_ATTEMPTS`` 2, ``AWS_RETRY_MODE`` standard,
  ``AWS_EC2_METADATA_DISABLED``, then the job's ``Environment``: so the script's boto3 calls are the role's,
  judged by its policies.
- In a VPC the session reaches only the services of the VPC's endpoints and the internet through a refusing
  proxy (as ``codebuild_runs`` does for builds); with ``EnableNetworkIsolation`` it reaches nothing (the
  inputs and outputs are still moved by SageMaker).
- The job's tag ``launchpad:sandbox:time-scale`` scales ``MaxRuntimeInSeconds`` (real seconds per AWS
  second); without it the limit is real time.

Refused at ``CreateProcessingJob`` (``ValidationException`` "launchpad sandbox: ... not modelled"): other
images, no ``ContainerEntrypoint``, ``Pipe``/``FastFile`` input modes, ``ManifestFile`` inputs, ``Gzip``
compression, ``DatasetDefinition`` (Athena, Redshift) inputs, ``Continuous`` uploads, ``FeatureStoreOutput``,
``InstancePreferences``. Inputs and outputs with ``AppManaged: true`` are left to the container. Not
modelled: instance types (every instance is a local process), ``VolumeSizeInGB``/``VolumeKmsKeyId``,
inter-container traffic, ``ExperimentConfig`` (stored only).
"""

from __future__ import annotations

import contextlib
import copy
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
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import FakeProcessingJob, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from launchpad.deploy import timescale
from launchpad.sandbox import authz, lifecycle
from launchpad.sandbox.authz.principals import KEYS, Principal
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import codebuild_runs, sts
from launchpad.sandbox.patches import sagemaker_execution as execution
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message

log = logging.getLogger(__name__)

SERVICE = execution.SERVICE
LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
PREFIX = "launchpad sandbox: "
IN_PROGRESS, STOPPING, STOPPED = "InProgress", "Stopping", "Stopped"
COMPLETED, FAILED = "Completed", "Failed"
_DONE = (COMPLETED, FAILED, STOPPED)
LOCAL_ROOT = "/opt/ml/processing/"
# AWS's prebuilt scikit-learn images ("Docker Registry Paths and Example Code": the registry per region)
PREBUILT_REPOSITORY = "sagemaker-scikit-learn"
PREBUILT_VERSIONS = ("0.23-1", "1.0-1", "1.2-1", "1.4-2")
PREBUILT_REGISTRIES = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}
IMAGE_ENVIRONMENT = {"PYTHONUNBUFFERED": "TRUE", "PYTHONDONTWRITEBYTECODE": "TRUE"}
_PYTHON = re.compile(r"(?:.*/)?python3?(?:\.\d+)?")
_OPT_ML = re.compile(r"(?<![\w.~/-])/opt/ml(?=/|$)")
_TAIL = 1024  # characters of standard error kept for FailureReason / ExitMessage
_KILL_WAIT = 2.0  # seconds between SIGTERM and SIGKILL
_STOP_WAIT = 10.0


class JobFailed(Exception):
    """The job cannot go on; the message is its FailureReason."""


# -- the image ---------------------------------------------------------------------------------------------
def prebuilt_image(region: str, version: str) -> str:
    """The URI of AWS's scikit-learn processing image ``version`` in ``region``."""
    registry = PREBUILT_REGISTRIES[region]
    return f"{registry}.dkr.ecr.{region}.amazonaws.com/{PREBUILT_REPOSITORY}:{version}-cpu-py3"


def _stood_in(image: str, region: str) -> bool:
    registry = PREBUILT_REGISTRIES.get(region)
    return registry is not None and image in {prebuilt_image(region, v) for v in PREBUILT_VERSIONS}


# -- CreateProcessingJob's checks --------------------------------------------------------------------------
def _string_errors(value: Any, shape: Any, path: str) -> list[str]:
    """Length and pattern errors of the strings the sandbox checks beyond ``constraint_errors``."""
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
    if meta.get("pattern") and not re.fullmatch(meta["pattern"], value):
        errors.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy regular "
            f"expression pattern: {meta['pattern']}"
        )
    return errors


def _api_errors(params: Mapping[str, Any]) -> list[str]:
    shape = get_service_model("sagemaker").operation_model("CreateProcessingJob").input_shape
    members = shape.members
    errors = [
        f"Value null at '{n[:1].lower() + n[1:]}' failed to satisfy constraint: Member must not be null"
        for n in shape.required_members
        if params.get(n) is None
    ]
    errors += constraint_errors(dict(params), shape, "")
    errors = [e.replace("at '.", "at '") for e in errors]
    errors += _string_errors(
        params.get("ProcessingJobName"), members["ProcessingJobName"], "processingJobName"
    )
    errors += _string_errors(params.get("RoleArn"), members["RoleArn"], "roleArn")
    uri = members["ProcessingInputs"].member.members["S3Input"].members["S3Uri"]
    for index, item in enumerate(params.get("ProcessingInputs") or [], start=1):
        path = f"processingInputs.{index}.member.s3Input.s3Uri"
        errors += _string_errors((item.get("S3Input") or {}).get("S3Uri"), uri, path)
    for index, item in enumerate((params.get("ProcessingOutputConfig") or {}).get("Outputs") or [], start=1):
        path = f"processingOutputConfig.outputs.{index}.member.s3Output.s3Uri"
        errors += _string_errors((item.get("S3Output") or {}).get("S3Uri"), uri, path)
    return errors


def _local_path(path: Any, what: str) -> None:
    normal = os.path.normpath(str(path or ""))
    if not str(path or "").startswith(LOCAL_ROOT) or not (normal + "/").startswith(LOCAL_ROOT):
        raise ValidationError(
            f"{what} LocalPath '{path}' is invalid: it must be an absolute path under {LOCAL_ROOT} "
            "(for example /opt/ml/processing/input)."
        )


def _not_modelled(what: str) -> ValidationError:
    return ValidationError(
        f"{PREFIX}{what} is not modelled (the sandbox runs processing jobs whose inputs are S3Prefix in File "
        "mode and whose outputs are uploaded at the end of the job)"
    )


def check_request(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> None:
    """CreateProcessingJob's checks, AWS's and the sandbox's (nothing is stored when they fail)."""
    errors = _api_errors(params)
    if errors:
        raise ValidationError(validation_message(errors))
    name = str(params["ProcessingJobName"])
    if name in backend.processing_jobs:
        arn = FakeProcessingJob.arn_formatter(name, backend.account_id, backend.region_name)
        raise ResourceInUseException(
            "Job name must be unique within an AWS account and region, and a job with this name already "
            f"exists ({arn})"
        )
    inputs = list(params.get("ProcessingInputs") or [])
    outputs = list((params.get("ProcessingOutputConfig") or {}).get("Outputs") or [])
    for kind, items in (("ProcessingInput", inputs), ("ProcessingOutput", outputs)):
        names = [i.get("InputName") if kind == "ProcessingInput" else i.get("OutputName") for i in items]
        if len(set(names)) != len(names):
            raise ValidationError(f"{kind} names must be unique: {names}")
    for item in inputs:
        what = f"ProcessingInput {item.get('InputName')}"
        if item.get("DatasetDefinition"):
            raise _not_modelled(f"{what}: a DatasetDefinition (Athena or Redshift) input")
        source = item.get("S3Input")
        if not source:
            raise ValidationError(f"{what} must have an S3Input or a DatasetDefinition.")
        _local_path(source.get("LocalPath"), what)
        if source.get("S3InputMode", "File") != "File":
            raise _not_modelled(f"{what}: S3InputMode {source.get('S3InputMode')}")
        if source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise _not_modelled(f"{what}: S3DataType {source.get('S3DataType')}")
        if source.get("S3CompressionType", "None") != "None":
            raise _not_modelled(f"{what}: S3CompressionType {source.get('S3CompressionType')}")
    for item in outputs:
        what = f"ProcessingOutput {item.get('OutputName')}"
        if item.get("FeatureStoreOutput"):
            raise _not_modelled(f"{what}: a FeatureStoreOutput")
        target = item.get("S3Output")
        if not target:
            raise ValidationError(f"{what} must have an S3Output or a FeatureStoreOutput.")
        _local_path(target.get("LocalPath"), what)
        if target.get("S3UploadMode", "EndOfJob") != "EndOfJob":
            raise _not_modelled(f"{what}: S3UploadMode {target.get('S3UploadMode')}")
    cluster = (params.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    if cluster.get("InstancePreferences"):
        raise _not_modelled("ClusterConfig.InstancePreferences")
    if not cluster.get("InstanceCount"):
        raise ValidationError("ClusterConfig must have an InstanceCount.")
    app = params["AppSpecification"]
    image = str(app.get("ImageUri") or "")
    if not _stood_in(image, backend.region_name):
        region = backend.region_name
        example = (
            prebuilt_image(region, "1.2-1")
            if region in PREBUILT_REGISTRIES
            else f"<registry>.dkr.ecr.{region}.amazonaws.com/{PREBUILT_REPOSITORY}:1.2-1-cpu-py3"
        )
        raise ValidationError(
            f"{PREFIX}the processing image {image} is not modelled: the sandbox runs only AWS's prebuilt "
            f"scikit-learn processing image of the job's region ({example}; versions "
            f"{', '.join(PREBUILT_VERSIONS)})"
        )
    if not app.get("ContainerEntrypoint"):
        raise _not_modelled("a job without ContainerEntrypoint (the image's default entrypoint)")
    if authz.enabled():
        arn = FakeProcessingJob.arn_formatter(name, backend.account_id, backend.region_name)
        try:
            execution._assume(str(params["RoleArn"]), backend.account_id, backend.region_name, arn)
        except execution.FleetFailure as failure:
            raise ValidationError(str(failure).split(" (", 1)[0]) from failure


# -- a job -------------------------------------------------------------------------------------------------
@dataclass
class Instance:
    host: str
    root: Path
    process: subprocess.Popen[bytes] | None = None
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    log: JobLog | None = None


@dataclass
class Job:
    account: str
    region: str
    params: dict[str, Any]
    fake: FakeProcessingJob
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
        return str(self.params["ProcessingJobName"])

    @property
    def arn(self) -> str:
        return str(self.fake.arn)

    @property
    def hosts(self) -> list[str]:
        count = int(self.params["ProcessingResources"]["ClusterConfig"]["InstanceCount"])
        return [f"algo-{n}" for n in range(1, count + 1)]

    def set_status(self, status: str) -> None:
        with self.lock:
            self.status_locked(status)

    def status_locked(self, status: str) -> None:
        """Change the status (the caller holds ``lock``); ListProcessingJobs reads moto's copy."""
        self.status = status
        self.modified = datetime.now(UTC)
        if status in _DONE:
            self.ended = self.modified
        self.fake.processing_job_status = status
        self.fake.last_modified_time = self.modified
        self.fake.processing_end_time = self.ended  # type: ignore[assignment]

    def describe(self) -> dict[str, Any]:
        """DescribeProcessingJob's answer: the request, with API defaults, and the job's state."""
        params = copy.deepcopy(self.params)
        for item in params.get("ProcessingInputs") or []:
            item.setdefault("AppManaged", False)
            if "S3Input" in item:
                item["S3Input"].setdefault("S3InputMode", "File")
                item["S3Input"].setdefault("S3DataDistributionType", "FullyReplicated")
                item["S3Input"].setdefault("S3CompressionType", "None")
                item["S3Input"].setdefault("S3DataType", "S3Prefix")
        for item in (params.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            item.setdefault("AppManaged", False)
            if "S3Output" in item:
                item["S3Output"].setdefault("S3UploadMode", "EndOfJob")
        params.pop("Tags", None)
        with self.lock:
            answer = {
                **params,
                "ProcessingJobArn": self.arn,
                "ProcessingJobStatus": self.status,
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
            }
            for key, value in (
                ("ProcessingStartTime", self.started),
                ("ProcessingEndTime", self.ended),
                ("FailureReason", self.failure),
                ("ExitMessage", self.exit_message),
            ):
                if value is not None:
                    answer[key] = value
        return answer


_JOBS: dict[tuple[str, str, str], Job] = {}
_LOCK = threading.Lock()


def _scale(tags: list[Mapping[str, Any]] | None) -> float:
    for tag in tags or []:
        if tag.get("Key") == timescale.TIME_SCALE_TAG:
            try:
                return timescale.parse(str(tag.get("Value", "")), f"Tag {timescale.TIME_SCALE_TAG}")
            except timescale.TimeScaleError as exc:
                raise ValidationError(str(exc)) from exc
    return timescale.UNSCALED


def create(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> FakeProcessingJob:
    """CreateProcessingJob: check, store, and start the job in the background."""
    check_request(backend, params)
    scale = _scale(params.get("Tags"))
    fake = backend.create_processing_job(
        app_specification=params["AppSpecification"],
        experiment_config=params.get("ExperimentConfig"),  # type: ignore[arg-type]
        network_config=params.get("NetworkConfig"),  # type: ignore[arg-type]
        processing_inputs=params.get("ProcessingInputs"),  # type: ignore[arg-type]
        processing_job_name=params["ProcessingJobName"],
        processing_output_config=params.get("ProcessingOutputConfig"),  # type: ignore[arg-type]
        role_arn=params["RoleArn"],
        tags=params.get("Tags"),  # type: ignore[arg-type]
        stopping_condition=params.get("StoppingCondition"),  # type: ignore[arg-type]
    )
    job = Job(backend.account_id, backend.region_name, copy.deepcopy(dict(params)), fake, scale)
    job.created = job.modified = fake.creation_time
    job.set_status(IN_PROGRESS)
    with _LOCK:
        _JOBS[(job.account, job.region, job.name)] = job
    threading.Thread(target=_execute, args=(job,), daemon=True, name=f"processing-{job.name}").start()
    return fake


def get(account: str, region: str, name: str) -> Job | None:
    with _LOCK:
        return _JOBS.get((account, region, name))


def stop(job: Job) -> None:
    """StopProcessingJob: Stopping, then the instances' processes end (SIGTERM, then SIGKILL)."""
    with job.lock:
        if job.status != IN_PROGRESS:
            raise ValidationError(
                f"The processing job {job.arn} cannot be stopped: it is {job.status}. Only a job that is "
                "InProgress can be stopped."
            )
        job.stopping = True
        job.status_locked(STOPPING)
    threading.Thread(target=_kill_all, args=(job,), daemon=True).start()


def _kill_all(job: Job) -> None:
    processes = [i.process for i in job.instances if i.process is not None]
    for process in processes:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + _KILL_WAIT
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)


def _signal(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


# -- what SageMaker does as the role ------------------------------------------------------------------------
def _take_role(job: Job) -> Principal:
    """SageMaker assumes the job's role (its trust policy decides); the session the container gets."""
    role = str(job.params["RoleArn"])
    if authz.enabled():
        try:
            execution._assume(role, job.account, job.region, job.arn)
        except execution.FleetFailure as failure:
            raise JobFailed(f"ClientError: {failure}") from failure
    session = sts._issue(role, "SageMaker", None, SERVICE, job.region)
    network = job.params.get("NetworkConfig") or {}
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


def _reachable(job: Job, vpc: Mapping[str, Any]) -> tuple[str, ...]:
    from moto.ec2.models import ec2_backends

    subnets = list(vpc.get("Subnets") or [])
    try:
        vpc_id = ec2_backends[job.account][job.region].get_subnet(subnets[0]).vpc_id
    except Exception:  # moto's InvalidSubnetIdError: network_problem says so
        return ()
    return builds.reachable(job.account, job.region, vpc_id)


def _network(job: Job, principal: Principal) -> None:
    vpc = (job.params.get("NetworkConfig") or {}).get("VpcConfig")
    if not vpc:
        return
    role = str(job.params["RoleArn"])
    try:
        if authz.enabled():
            execution._attach(principal, role, vpc, job.region)
        problem = execution.network_problem(job.account, job.region, vpc, False)
    except execution.FleetFailure as failure:
        raise JobFailed(f"ClientError: {failure}") from failure
    if problem:
        raise JobFailed(f"ClientError: the job's instances cannot reach S3 from the VPC: {problem}.")


def _refused(job: Job, what: str, message: str) -> None:
    execution._refused(job.account, f"{what} of processing job {job.name}", message)


class JobLog:
    """An instance's log stream, written as the role; lines are sent at most a second after they come."""

    def __init__(self, job: Job, principal: Principal, host: str) -> None:
        self.job, self.principal = job, principal
        self.stream = f"{job.name}/{host}-{int(time.time())}"
        self.enabled = False
        self._events: list[dict[str, Any]] = []
        self._sent = time.monotonic()
        self._lock = threading.Lock()

    @property
    def _params(self) -> dict[str, str]:
        return {"logGroupName": LOG_GROUP, "logStreamName": self.stream}

    def open(self) -> None:
        job, backend = self.job, logs_backends[self.job.account][self.job.region]
        try:
            if LOG_GROUP not in backend.groups:
                builds.as_role(
                    self.principal, "logs", "CreateLogGroup", {"logGroupName": LOG_GROUP}, job.region
                )
                backend.create_log_group(LOG_GROUP, {})
            builds.as_role(self.principal, "logs", "CreateLogStream", self._params, job.region)
            builds.as_role(self.principal, "logs", "PutLogEvents", self._params, job.region)
        except builds.Refused as refused:
            _refused(job, f"log stream {LOG_GROUP}/{self.stream}", refused.denied)
            return
        backend.create_log_stream(LOG_GROUP, self.stream)
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
        except builds.Refused as refused:
            self.enabled = False
            _refused(self.job, f"log stream {LOG_GROUP}/{self.stream}", refused.denied)
            return
        group = logs_backends[self.job.account][self.job.region].groups.get(LOG_GROUP)
        if group is not None and self.stream in group.streams:  # else the sandbox was reset
            logs_backends[self.job.account][self.job.region].put_log_events(LOG_GROUP, self.stream, events)


def _s3(uri: str) -> tuple[str, str]:
    bucket, _, key = str(uri).removeprefix("s3://").partition("/")
    return bucket, key


def _keys(job: Job, principal: Principal, name: str, uri: str) -> list[str]:
    """The objects under an input's S3Uri, listed as the role."""
    bucket, prefix = _s3(uri)
    try:
        builds.as_role(principal, "s3", "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix}, job.region)
    except builds.Refused as refused:
        raise JobFailed(
            f"ClientError: Failed to download data for input {name} from {uri}: AccessDenied: "
            f"{refused.denied}"
        ) from refused
    owner = s3_backends.bucket_accounts.get(bucket)
    stored = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
    names = stored.keys.keys() if stored is not None else []
    keys = sorted(k for k in names if k.startswith(prefix) and not k.endswith("/"))
    keys = [k for k in keys if hasattr(builds.stored_object(bucket, k), "value")]  # not delete markers
    if not keys:
        raise JobFailed(
            f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. Please '
            f"ensure that the bucket exists in the selected region ({job.region}), that objects exist under "
            f'that S3 prefix, and that the role "{job.params["RoleArn"]}" has "s3:ListBucket" permissions on '
            f'bucket "{bucket}".'
        )
    return keys


def share(keys: list[str], distribution: str, index: int, count: int) -> list[str]:
    """The objects instance ``index`` (from 0) of ``count`` gets: all of them (FullyReplicated), or every
    count-th of the sorted keys starting at ``index`` (ShardedByS3Key)."""
    if distribution != "ShardedByS3Key":
        return list(keys)
    return [k for i, k in enumerate(sorted(keys)) if i % count == index]


def _download(job: Job, principal: Principal, instance: Instance, index: int) -> None:
    for item in job.params.get("ProcessingInputs") or []:
        source = item.get("S3Input") or {}
        if item.get("AppManaged") or not source:
            continue
        name, uri = item["InputName"], str(source["S3Uri"])
        bucket, prefix = _s3(uri)
        local = _local(instance, str(source["LocalPath"]))
        local.mkdir(parents=True, exist_ok=True)
        keys = _keys(job, principal, name, uri)
        distribution = str(source.get("S3DataDistributionType") or "FullyReplicated")
        for key in share(keys, distribution, index, len(job.hosts)):
            try:
                builds.as_role(principal, "s3", "GetObject", {"Bucket": bucket, "Key": key}, job.region)
            except builds.Refused as refused:
                raise JobFailed(
                    f"ClientError: Failed to download data for input {name} from s3://{bucket}/{key}: "
                    f"AccessDenied: {refused.denied}"
                ) from refused
            relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
            target = (local / relative).resolve()
            if not target.is_relative_to(local.resolve()):
                raise JobFailed(f"ClientError: the object key {key} leaves the input's LocalPath")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bytes(builds.stored_object(bucket, key).value))


def _upload(job: Job, principal: Principal, instance: Instance) -> None:
    config = job.params.get("ProcessingOutputConfig") or {}
    kms_key = config.get("KmsKeyId")
    headers = (
        {"x_amz_server_side_encryption": "aws:kms", "x_amz_server_side_encryption_aws_kms_key_id": kms_key}
        if kms_key
        else {}
    )
    for item in config.get("Outputs") or []:
        target = item.get("S3Output") or {}
        if item.get("AppManaged") or not target:
            continue
        name, uri = item["OutputName"], str(target["S3Uri"])
        bucket, prefix = _s3(uri)
        local = _local(instance, str(target["LocalPath"]))
        files = sorted(p for p in local.rglob("*") if p.is_file()) if local.is_dir() else []
        for path in files:
            key = "/".join(p for p in (prefix.rstrip("/"), path.relative_to(local).as_posix()) if p)
            try:
                builds.as_role(
                    principal, "s3", "PutObject", {"Bucket": bucket, "Key": key}, job.region, **headers
                )
            except builds.Refused as refused:
                raise JobFailed(
                    f"ClientError: Failed to upload output {name} to s3://{bucket}/{key}: AccessDenied: "
                    f"{refused.denied}"
                ) from refused
            owner = s3_backends.bucket_accounts.get(bucket)
            if owner is None:
                raise JobFailed(f"ClientError: Failed to upload output {name}: NoSuchBucket: {bucket}")
            s3_backends[owner[1]][owner[0]].put_object(
                bucket,
                key,
                path.read_bytes(),
                encryption="aws:kms" if kms_key else None,
                kms_key_id=kms_key,
            )


# -- the container ------------------------------------------------------------------------------------------
def _local(instance: Instance, path: str) -> Path:
    return instance.root / path.lstrip("/")


def rewrite(value: str, root: Path) -> str:
    """``value`` with every ``/opt/ml`` path moved under ``root``."""
    return _OPT_ML.sub(lambda _: f"{root}/opt/ml", value)


def _configure(job: Job, instance: Instance) -> None:
    config = instance.root / "opt" / "ml" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (instance.root / "tmp").mkdir(exist_ok=True)
    resources = {"current_host": instance.host, "hosts": job.hosts}
    (config / "resourceconfig.json").write_text(json.dumps(resources))
    (config / "processingjobconfig.json").write_text(json.dumps(job.describe(), default=str))
    for item in (job.params.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        if item.get("S3Output"):
            _local(instance, str(item["S3Output"]["LocalPath"])).mkdir(parents=True, exist_ok=True)


def _command(job: Job, instance: Instance) -> list[str]:
    app = job.params["AppSpecification"]
    argv = [
        rewrite(str(a), instance.root)
        for a in [*app["ContainerEntrypoint"], *(app.get("ContainerArguments") or [])]
    ]
    if _PYTHON.fullmatch(argv[0]):
        argv[0] = sys.executable
    return argv


def _environment(job: Job, instance: Instance, principal: Principal) -> dict[str, str]:
    environment = {
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
        environment.update(codebuild_runs._no_nat())
    for name, value in (job.params.get("Environment") or {}).items():
        environment[str(name)] = rewrite(str(value), instance.root)
    return environment


def _pump(stream: Any, instance: Instance, keep: bool) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        if keep:
            instance.stderr.append(line)
        if instance.log is not None:
            instance.log.write(line)
    stream.close()


def _run(job: Job, principal: Principal) -> None:
    """Start every instance's process and wait for them all, within MaxRuntimeInSeconds."""
    pumps = []
    for instance in job.instances:
        try:
            process = subprocess.Popen(
                _command(job, instance),
                cwd=instance.root,
                env=_environment(job, instance, principal),
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
            pump = threading.Thread(target=_pump, args=(stream, instance, keep), daemon=True)
            pump.start()
            pumps.append(pump)
        if job.stopping:
            _kill_all(job)
    limit = float((job.params.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or 86400)
    deadline = time.monotonic() + limit * (job.scale if job.scale > 0 else timescale.UNSCALED)
    for instance in job.instances:
        assert instance.process is not None
        try:
            instance.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            job.timed_out = True
            _kill_all(job)
            instance.process.wait()
    for pump in pumps:
        pump.join(5)


def _outcome(job: Job) -> None:
    """Failed for the first instance that exited non-zero (AlgorithmError, with its standard error)."""
    for instance in job.instances:
        code = instance.process.returncode if instance.process is not None else None
        if code:
            tail = "\n".join(instance.stderr)[-_TAIL:]
            job.exit_message = tail or None
            reason = f"AlgorithmError: {instance.host} exited with code {code}: {tail}"
            raise JobFailed(reason[:_TAIL])


def _execute(job: Job) -> None:
    principal: Principal | None = None
    try:
        job.started = datetime.now(UTC)
        principal = _take_role(job)
        _network(job, principal)
        parent = os.environ.get(codebuild_runs.BUILD_DIR_ENV) or None
        if parent:
            Path(parent).mkdir(parents=True, exist_ok=True)
        job.folder = Path(tempfile.mkdtemp(prefix="launchpad-processing-", dir=parent))
        job.instances = [Instance(host, job.folder / host) for host in job.hosts]
        for index, instance in enumerate(job.instances):
            instance.root.mkdir()
            instance.log = JobLog(job, principal, instance.host)
            instance.log.open()
            _configure(job, instance)
            _download(job, principal, instance, index)
        if not job.stopping:
            _run(job, principal)
        if job.stopping or job.timed_out:
            job.set_status(STOPPED)
            return
        _outcome(job)
        for instance in job.instances:
            _upload(job, principal, instance)
        job.set_status(COMPLETED)
    except JobFailed as failed:
        job.failure = str(failed)[:_TAIL]
        log.info("processing job %s failed: %s", job.name, failed)
        job.set_status(STOPPED if job.stopping else FAILED)
    except Exception as exc:  # the sandbox's own bug: the job fails, the cause in the server's log
        log.exception("processing job %s failed in the sandbox", job.name)
        job.failure = f"InternalServerError: {PREFIX}{exc!r}"[:_TAIL]
        job.set_status(FAILED)
    finally:
        for instance in job.instances:
            if instance.process is not None and instance.process.poll() is None:
                _signal(instance.process, signal.SIGKILL)
            if instance.log is not None:
                instance.log.flush()
        vpc = (job.params.get("NetworkConfig") or {}).get("VpcConfig")
        if principal is not None and vpc and authz.enabled():
            execution.detach(principal, str(job.params["RoleArn"]), vpc, job.region, job.account)
        if job.access_key:
            KEYS.revoke(job.access_key)
        if job.folder is not None:
            shutil.rmtree(job.folder, ignore_errors=True)
        job.done.set()


# -- moto ---------------------------------------------------------------------------------------------------
_MARK = "_launchpad_processing_patch"
_PARAMS = (
    "ProcessingInputs",
    "ProcessingOutputConfig",
    "ProcessingJobName",
    "ProcessingResources",
    "StoppingCondition",
    "AppSpecification",
    "Environment",
    "NetworkConfig",
    "RoleArn",
    "Tags",
    "ExperimentConfig",
)


def _missing(backend: SageMakerModelBackend, name: str) -> ValidationError:
    arn = FakeProcessingJob.arn_formatter(name, backend.account_id, backend.region_name)
    return ValidationError(f"Could not find processing job '{arn}'.")


def stop_all() -> None:
    """A sandbox reset or the server's end: stop every job and forget them."""
    with _LOCK:
        jobs = list(_JOBS.values())
    for job in jobs:
        job.stopping = True
        _kill_all(job)
    for job in jobs:
        if not job.done.wait(_STOP_WAIT):
            log.warning("processing job %s did not stop within %s s", job.name, _STOP_WAIT)
    with _LOCK:
        _JOBS.clear()


def apply() -> None:
    if getattr(SageMakerResponse, _MARK, False):
        return

    def create_processing_job(self: SageMakerResponse) -> ActionResult:
        params = {k: self._get_param(k) for k in _PARAMS if self._get_param(k) is not None}
        job = create(self.sagemaker_backend, params)
        return ActionResult({"ProcessingJobArn": job.arn})

    def describe_processing_job(self: SageMakerModelBackend, processing_job_name: str) -> dict[str, Any]:
        job = get(self.account_id, self.region_name, processing_job_name)
        if job is None or processing_job_name not in self.processing_jobs:
            raise _missing(self, processing_job_name)
        return job.describe()

    def stop_processing_job(self: SageMakerResponse) -> ActionResult:
        backend, name = self.sagemaker_backend, self._get_param("ProcessingJobName")
        job = get(backend.account_id, backend.region_name, name)
        if job is None or name not in backend.processing_jobs:
            raise _missing(backend, name)
        stop(job)
        return EmptyResult()

    SageMakerResponse.create_processing_job = create_processing_job  # type: ignore[method-assign]
    SageMakerResponse.stop_processing_job = stop_processing_job  # type: ignore[method-assign]
    SageMakerModelBackend.describe_processing_job = describe_processing_job  # type: ignore[method-assign]
    lifecycle.on_reset(stop_all)
    setattr(SageMakerResponse, _MARK, True)


def backend_for(account: str, region: str) -> SageMakerModelBackend:
    return sagemaker_backends[account][region]
