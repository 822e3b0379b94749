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

The sandbox has no containers. Only AWS's prebuilt scikit-learn and XGBoost framework images are stood in
for (``<registry account>.dkr.ecr.<region>.amazonaws.com/sagemaker-scikit-learn:<version>-cpu-py3`` and
``.../sagemaker-xgboost:<version>``, the registry account of the job's region, ``launchpad.prebuilt_images``'
versions); any other image is refused at
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

What SageMaker does around the container (role, network, log, data moved as the role, the run, its stop)
is ``sagemaker_container``'s, shared with Training jobs.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import FakeProcessingJob, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from launchpad import prebuilt_images
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.sandbox import lifecycle
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.patches import sagemaker_container as container
from launchpad.sandbox.patches.api_model import constraint_errors, validation_message
from launchpad.sandbox.patches.sagemaker_container import (
    COMPLETED,
    IN_PROGRESS,
    PREFIX,
    STOPPED,
    Instance,
    JobFailed,
    rewrite,
)

log = logging.getLogger(__name__)

LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
LOCAL_ROOT = "/opt/ml/processing/"
# AWS's prebuilt scikit-learn images (launchpad.prebuilt_images), the ones the sandbox stands in for.
PREBUILT_REPOSITORY = prebuilt_images.SKLEARN_REPOSITORY
PREBUILT_VERSIONS = prebuilt_images.SKLEARN_VERSIONS
PREBUILT_REGISTRIES = prebuilt_images.REGISTRIES


# -- the image ---------------------------------------------------------------------------------------------
prebuilt_image = prebuilt_images.sklearn_image


stood_in = prebuilt_images.known


# -- CreateProcessingJob's checks --------------------------------------------------------------------------
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
    errors += container.string_errors(
        params.get("ProcessingJobName"), members["ProcessingJobName"], "processingJobName"
    )
    errors += container.string_errors(params.get("RoleArn"), members["RoleArn"], "roleArn")
    uri = members["ProcessingInputs"].member.members["S3Input"].members["S3Uri"]
    for index, item in enumerate(params.get("ProcessingInputs") or [], start=1):
        path = f"processingInputs.{index}.member.s3Input.s3Uri"
        errors += container.string_errors((item.get("S3Input") or {}).get("S3Uri"), uri, path)
    for index, item in enumerate((params.get("ProcessingOutputConfig") or {}).get("Outputs") or [], start=1):
        path = f"processingOutputConfig.outputs.{index}.member.s3Output.s3Uri"
        errors += container.string_errors((item.get("S3Output") or {}).get("S3Uri"), uri, path)
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
    if not stood_in(image, backend.region_name):
        region = backend.region_name
        example = (
            prebuilt_image(region, "1.2-1")
            if region in PREBUILT_REGISTRIES
            else f"<registry>.dkr.ecr.{region}.amazonaws.com/{PREBUILT_REPOSITORY}:1.2-1-cpu-py3"
        )
        raise ValidationError(
            f"{PREFIX}the processing image {image} is not modelled: the sandbox runs only AWS's prebuilt "
            f"scikit-learn and XGBoost images of the job's region ({example}; scikit-learn versions "
            f"{', '.join(PREBUILT_VERSIONS)}, XGBoost {', '.join(prebuilt_images.XGBOOST_VERSIONS)})"
        )
    if not app.get("ContainerEntrypoint"):
        raise _not_modelled("a job without ContainerEntrypoint (the image's default entrypoint)")
    arn = FakeProcessingJob.arn_formatter(name, backend.account_id, backend.region_name)
    container.check_role(str(params["RoleArn"]), backend.account_id, backend.region_name, arn)


# -- a job -------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Job(container.ContainerJob):
    KIND: ClassVar[str] = "processing"
    LOG_GROUP: ClassVar[str] = LOG_GROUP
    NAME_KEY: ClassVar[str] = "ProcessingJobName"

    @property
    def hosts(self) -> list[str]:
        count = int(self.params["ProcessingResources"]["ClusterConfig"]["InstanceCount"])
        return [f"algo-{n}" for n in range(1, count + 1)]

    def network(self) -> Mapping[str, Any]:
        return dict(self.params.get("NetworkConfig") or {})

    def status_locked(self, status: str) -> None:
        """Change the status (the caller holds ``lock``); ListProcessingJobs reads moto's copy."""
        super().status_locked(status)
        self.fake.processing_job_status = status
        self.fake.last_modified_time = self.modified
        self.fake.processing_end_time = self.ended

    def prepare(self, principal: Principal, instance: Instance, index: int) -> None:
        _configure(self, instance)
        _download(self, principal, instance, index)

    def command(self, instance: Instance) -> list[str]:
        app = self.params["AppSpecification"]
        argv = [
            rewrite(str(a), instance.root)
            for a in [*app["ContainerEntrypoint"], *(app.get("ContainerArguments") or [])]
        ]
        return container.program(argv)

    def finish(self, principal: Principal) -> None:
        if self.stopping or self.timed_out:
            self.set_status(STOPPED)
            return
        _outcome(self)
        for instance in self.instances:
            _upload(self, principal, instance)
        self.set_status(COMPLETED)

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


_JOBS = container.Registry("processing")


def create(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> FakeProcessingJob:
    """CreateProcessingJob: check, store, and start the job in the background."""
    check_request(backend, params)
    scale = container.scale_of(params.get("Tags"))
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
    _JOBS.add(job)
    container.start(job)
    return fake


def get(account: str, region: str, name: str) -> Job | None:
    job = _JOBS.get(account, region, name)
    return job if isinstance(job, Job) else None


def stop(job: Job) -> None:
    """StopProcessingJob: Stopping, then the instances' processes end (SIGTERM, then SIGKILL)."""
    if not container.begin_stop(job):
        raise ValidationError(
            f"The processing job {job.arn} cannot be stopped: it is {job.status}. Only a job that is "
            "InProgress can be stopped."
        )


# -- inputs, outputs and the outcome ------------------------------------------------------------------------
def _download(job: Job, principal: Principal, instance: Instance, index: int) -> None:
    for item in job.params.get("ProcessingInputs") or []:
        source = item.get("S3Input") or {}
        if item.get("AppManaged") or not source:
            continue
        distribution = str(source.get("S3DataDistributionType") or "FullyReplicated")
        target = container.local(instance, str(source["LocalPath"]))
        what = f"input {item['InputName']}"
        container.download(job, principal, what, str(source["S3Uri"]), target, distribution, index)


def _upload(job: Job, principal: Principal, instance: Instance) -> None:
    config = job.params.get("ProcessingOutputConfig") or {}
    kms_key = config.get("KmsKeyId")
    for item in config.get("Outputs") or []:
        target = item.get("S3Output") or {}
        if item.get("AppManaged") or not target:
            continue
        name, uri = item["OutputName"], str(target["S3Uri"])
        bucket, prefix = split_s3_uri(uri)
        folder = container.local(instance, str(target["LocalPath"]))
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        for path in files:
            key = "/".join(p for p in (prefix.rstrip("/"), path.relative_to(folder).as_posix()) if p)
            container.put_object(
                job, principal, f"output {name}", f"s3://{bucket}/{key}", path.read_bytes(), kms_key
            )


def _configure(job: Job, instance: Instance) -> None:
    config = instance.root / "opt" / "ml" / "config"
    resources = {"current_host": instance.host, "hosts": job.hosts}
    container.write_json(config / "resourceconfig.json", resources)
    container.write_json(config / "processingjobconfig.json", job.describe())
    for item in (job.params.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        if item.get("S3Output"):
            container.local(instance, str(item["S3Output"]["LocalPath"])).mkdir(parents=True, exist_ok=True)


def _outcome(job: Job) -> None:
    """Failed for the first instance that exited non-zero (AlgorithmError, with its standard error)."""
    for instance in job.instances:
        code = instance.process.returncode if instance.process is not None else None
        if code:
            tail = "\n".join(instance.stderr)[-container.TAIL :]
            job.exit_message = tail or None
            reason = f"AlgorithmError: {instance.host} exited with code {code}: {tail}"
            raise JobFailed(reason[: container.TAIL])


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
    _JOBS.stop_all()


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
