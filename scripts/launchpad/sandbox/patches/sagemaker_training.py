"""SageMaker Training jobs that run: script mode on AWS's scikit-learn image, as processes of the job's role.

AWS (SageMaker API Reference ``CreateTrainingJob``, ``DescribeTrainingJob``, ``StopTrainingJob``,
``ListTrainingJobs``, ``AlgorithmSpecification``, ``Channel``, ``S3DataSource``, ``OutputDataConfig``,
``ResourceConfig``, ``StoppingCondition``, ``MetricDefinition``, ``SecondaryStatusTransition``; SageMaker
Developer Guide, "How Amazon SageMaker Provides Training Information" (``/opt/ml/input/config/*.json``,
``/opt/ml/input/data/<channel>``, ``/opt/ml/model``, ``/opt/ml/output/failure``), "Define Training Metrics",
"CreateTrainingJob API: Execution Role Permissions", "Docker Registry Paths and Example Code";
sagemaker-training-toolkit, script mode: ``sagemaker_program``, ``sagemaker_submit_directory``, the ``SM_*``
environment, ``python <program> --<hyperparameter> <value> ...``):

- ``CreateTrainingJob`` validates the request against the API model (``1 validation error detected: Value
  '...' at 'trainingJobName' failed to satisfy constraint: ...``: the name's pattern and length, at most 100
  ``HyperParameters`` with keys of at most 256 and values of at most 2500 characters, at most 20 channels,
  channel names' pattern, S3 URIs' pattern, at most 40 ``MetricDefinitions`` with ``Name`` at most 255 and
  ``Regex`` at most 500 characters, the enums), unique channel names, a ``TrainingImage`` or an
  ``AlgorithmName`` (not both); a job name in use is ``ResourceInUse``; the caller needs ``iam:PassRole``
  on ``RoleArn`` (the authorization gate) and SageMaker must be able to assume it ("Could not assume role
  <arn>. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the
  role."). A refused request stores nothing.
- The job goes ``InProgress`` -> ``Completed`` | ``Failed`` | ``Stopped`` (``Stopping`` in between after
  ``StopTrainingJob``); ``SecondaryStatus`` ``Starting`` -> ``Downloading`` -> ``Training`` ->
  ``Uploading`` -> ``Completed``, or ``Failed``, ``Stopping`` -> ``Stopped``, ``MaxRuntimeExceeded`` (the job
  ``Stopped`` at ``MaxRuntimeInSeconds``, default 86400), each in ``SecondaryStatusTransitions`` with its
  start and end; ``TrainingStartTime``, ``TrainingEndTime``, ``TrainingTimeInSeconds``,
  ``BillableTimeInSeconds``. A stop sends SIGTERM, then SIGKILL, and what the script saved in
  ``/opt/ml/model`` by then is still uploaded ("Algorithms might use this 120-second window to save the model
  artifacts").
- As the job's role, SageMaker downloads each channel's ``S3DataSource`` (``S3Prefix``) into
  ``/opt/ml/input/data/<channel>`` before the container starts, and after a successful run uploads
  ``/opt/ml/model`` as ``<S3OutputPath>/<job>/output/model.tar.gz`` (``ModelArtifacts.S3ModelArtifacts``) and
  ``/opt/ml/output/data`` as ``.../output/output.tar.gz``, SSE-KMS with ``OutputDataConfig.KmsKeyId`` when
  set; a refusal fails the job ("ClientError: ... AccessDenied: <message naming the action>"). Its log is
  ``/aws/sagemaker/TrainingJobs``, stream ``<job>/algo-1-<epoch seconds>``.
- A script that exits non-zero fails the job: ``FailureReason`` "AlgorithmError: " and the content of
  ``/opt/ml/output/failure``, else the end of its standard error.
- ``MetricDefinitions``: each line of the log is searched with each ``Regex``; the first group is the
  value. ``FinalMetricDataList`` holds each metric's last value (none printed: empty), and every value is
  published to CloudWatch, namespace ``/aws/sagemaker/TrainingJobs``, dimension ``Host`` ``<job>/algo-1``, as
  the role (``cloudwatch:PutMetricData``; a refusal does not fail the job: it is kept).
- Script mode (the toolkit in the image): ``sagemaker_submit_directory`` (an ``s3://`` URI of a
  ``sourcedir.tar.gz``) is downloaded and unpacked into ``/opt/ml/code``, and ``python <sagemaker_program>``
  runs there with ``--<name> <value>`` for every other hyperparameter (not ``sagemaker_*``), sorted by name,
  and ``SM_MODEL_DIR``, ``SM_CHANNELS``, ``SM_CHANNEL_<NAME>``, ``SM_HPS``, ``SM_HP_<NAME>``,
  ``SM_OUTPUT_DATA_DIR``, ``SM_OUTPUT_DIR``, ``SM_INPUT_DIR``, ``SM_INPUT_CONFIG_DIR``, ``SM_CURRENT_HOST``,
  ``SM_HOSTS``, ``SM_NUM_CPUS``, ``SM_NUM_GPUS``, ``SM_USER_ARGS``, ``SM_USER_ENTRY_POINT``,
  ``SM_MODULE_NAME``, ``SM_MODULE_DIR``, ``SM_LOG_LEVEL``, ``SM_TRAINING_ENV``; the config files
  ``/opt/ml/input/config/{hyperparameters,inputdataconfig,resourceconfig}.json``. The SDK sends every
  hyperparameter JSON-encoded (``"\\"train.py\\""``); a value that is a JSON string is decoded, any other is
  passed as given.

What happens around the container (the role, the VPC check and network interfaces for ``VpcConfig``,
``EnableNetworkIsolation``, the log, S3 as the role, the process, the stop) is ``sagemaker_container``'s,
shared with Processing jobs. The sourcedir is downloaded as the role (``s3:GetObject``; refused: the job fails
"ClientError: ... AccessDenied"). ``python`` runs the sandbox's interpreter with its packages (the image's
``requirements.txt`` install is not modelled); the toolkit's own ``/opt/ml`` paths in the ``SM_*`` variables
are given rewritten under the instance's root. The tag ``launchpad:sandbox:time-scale`` scales
``MaxRuntimeInSeconds``.

Refused at ``CreateTrainingJob`` (``ValidationException`` "launchpad sandbox: ... not modelled"), storing
nothing: any image but AWS's prebuilt scikit-learn and XGBoost framework images of the job's region
(``launchpad.prebuilt_images``), ``AlgorithmName`` (marketplace and built-in algorithms),
``ContainerEntrypoint`` / ``ContainerArguments``, ``Pipe``/``FastFile`` input,
``ManifestFile``/``AugmentedManifestFile`` data, file system and dataset sources, ``Gzip``/``RecordIO``
channels, more than one instance or ``InstanceGroups``, training plans, managed spot training,
``CheckpointConfig``, ``RetryStrategy``, serverless jobs (no ``AlgorithmSpecification`` or
``ResourceConfig``), an ``https://`` or uncompressed output. Stored only: ``DebugHookConfig``,
``ProfilerConfig``, ``TensorBoardOutputConfig``, ``ExperimentConfig``, warm pools. ``ListTrainingJobs`` is
moto's (in creation order). Not modelled: instance types, volumes, inter-container traffic encryption.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import math
import os
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import FakeTrainingJob, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from launchpad import prebuilt_images
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.sandbox import lifecycle
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.patches import codebuild_builds as builds
from launchpad.sandbox.patches import sagemaker_container as container
from launchpad.sandbox.patches import sagemaker_processing as processing
from launchpad.sandbox.patches.api_model import validation_message
from launchpad.sandbox.patches.sagemaker_container import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PREFIX,
    STOPPED,
    STOPPING,
    Instance,
    JobFailed,
)

log = logging.getLogger(__name__)

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
METRIC_NAMESPACE = "/aws/sagemaker/TrainingJobs"
PROGRAM, SUBMIT_DIRECTORY = "sagemaker_program", "sagemaker_submit_directory"
LOG_LEVEL = "sagemaker_container_log_level"
MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job stopped because it exceeded MaxRuntimeInSeconds",
}
_FINAL = ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded")


# -- CreateTrainingJob's checks ---------------------------------------------------------------------------
def _not_modelled(what: str) -> ValidationError:
    return ValidationError(
        f"{PREFIX}{what} is not modelled (the sandbox runs script-mode training jobs on AWS's scikit-learn "
        "image, one instance, S3Prefix channels in File mode)"
    )


def _check_algorithm(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> None:
    algorithm = params.get("AlgorithmSpecification")
    if not algorithm:
        raise _not_modelled("a training job without AlgorithmSpecification (a serverless job)")
    image, name = algorithm.get("TrainingImage"), algorithm.get("AlgorithmName")
    if bool(image) == bool(name):
        raise ValidationError(
            "AlgorithmSpecification must specify either a TrainingImage or an AlgorithmName, and not both."
        )
    if name:
        raise _not_modelled(f"AlgorithmName {name} (an algorithm resource or a built-in algorithm)")
    region = backend.region_name
    if not processing.stood_in(str(image), region):
        example = (
            processing.prebuilt_image(region, "1.2-1")
            if region in processing.PREBUILT_REGISTRIES
            else f"<registry>.dkr.ecr.{region}.amazonaws.com/{processing.PREBUILT_REPOSITORY}:1.2-1-cpu-py3"
        )
        raise ValidationError(
            f"{PREFIX}the training image {image} is not modelled: the sandbox runs only AWS's prebuilt "
            f"scikit-learn and XGBoost images of the job's region in script mode ({example}; scikit-learn "
            f"versions {', '.join(processing.PREBUILT_VERSIONS)}, XGBoost "
            f"{', '.join(prebuilt_images.XGBOOST_VERSIONS)})"
        )
    if algorithm.get("TrainingInputMode") != "File":
        raise _not_modelled(f"TrainingInputMode {algorithm.get('TrainingInputMode')}")
    for member in ("ContainerEntrypoint", "ContainerArguments"):
        if algorithm.get(member):
            raise _not_modelled(f"AlgorithmSpecification.{member} (the image's script mode runs instead)")
    for definition in algorithm.get("MetricDefinitions") or []:
        try:
            re.compile(str(definition["Regex"]))
        except re.error as exc:
            raise ValidationError(
                f"The regular expression of metric definition {definition['Name']} is invalid: {exc}"
            ) from exc


def _check_channels(params: Mapping[str, Any]) -> None:
    channels = list(params.get("InputDataConfig") or [])
    names = [c.get("ChannelName") for c in channels]
    if len(set(names)) != len(names):
        raise ValidationError(f"Channel names must be unique within a training job: {names}")
    for channel in channels:
        what = f"Channel {channel.get('ChannelName')}"
        source = channel.get("DataSource") or {}
        if source.get("FileSystemDataSource") or source.get("DatasetSource"):
            raise _not_modelled(f"{what}: a file system or dataset data source")
        s3 = source.get("S3DataSource")
        if not s3:
            raise ValidationError(f"{what} must have a DataSource with an S3DataSource.")
        if s3.get("S3DataType") != "S3Prefix":
            raise _not_modelled(f"{what}: S3DataType {s3.get('S3DataType')}")
        if not str(s3.get("S3Uri", "")).startswith("s3://"):
            raise _not_modelled(f"{what}: an S3Uri that is not s3://")
        if channel.get("InputMode", "File") != "File":
            raise _not_modelled(f"{what}: InputMode {channel.get('InputMode')}")
        if channel.get("CompressionType", "None") != "None":
            raise _not_modelled(f"{what}: CompressionType {channel.get('CompressionType')}")
        if channel.get("RecordWrapperType", "None") != "None":
            raise _not_modelled(f"{what}: RecordWrapperType {channel.get('RecordWrapperType')}")


def _check_resources(params: Mapping[str, Any]) -> None:
    output = params["OutputDataConfig"]
    if not str(output.get("S3OutputPath", "")).startswith("s3://"):
        raise _not_modelled("an S3OutputPath that is not s3://")
    if output.get("CompressionType", "GZIP") != "GZIP":
        raise _not_modelled(f"OutputDataConfig.CompressionType {output.get('CompressionType')}")
    resources = params.get("ResourceConfig")
    if not resources:
        raise _not_modelled("a training job without ResourceConfig (a serverless job)")
    for member in ("InstanceGroups", "TrainingPlanArn", "InstancePlacementConfig", "InstancePreferences"):
        if resources.get(member):
            raise _not_modelled(f"ResourceConfig.{member}")
    if not resources.get("InstanceType"):
        raise ValidationError("ResourceConfig must have an InstanceType when it has no InstanceGroups.")
    count = resources.get("InstanceCount")
    if not count:
        raise ValidationError(
            "ResourceConfig.InstanceCount must be at least 1 when it has no InstanceGroups."
        )
    if count > 1:
        raise _not_modelled(f"InstanceCount {count} (distributed training)")
    stopping = params.get("StoppingCondition") or {}
    if stopping.get("MaxWaitTimeInSeconds") and not params.get("EnableManagedSpotTraining"):
        raise ValidationError("MaxWaitTimeInSeconds can be set only with EnableManagedSpotTraining.")
    for member in ("EnableManagedSpotTraining", "CheckpointConfig", "RetryStrategy", "ServerlessJobConfig"):
        if params.get(member):
            raise _not_modelled(member)


def check_request(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> None:
    """CreateTrainingJob's checks, AWS's and the sandbox's (nothing is stored when they fail)."""
    errors = container.api_errors("CreateTrainingJob", params)
    if errors:
        raise ValidationError(validation_message(errors))
    name = str(params["TrainingJobName"])
    arn = FakeTrainingJob.arn_formatter(name, backend.account_id, backend.region_name)
    if name in backend.training_jobs:
        raise ResourceInUseException(
            "Training job names must be unique within an AWS account and region, and a training job with "
            f"this name already exists ({arn})"
        )
    _check_algorithm(backend, params)
    _check_channels(params)
    _check_resources(params)
    container.scale_of(params.get("Tags"))
    container.check_role(str(params["RoleArn"]), backend.account_id, backend.region_name, arn)


# -- hyperparameters as the toolkit reads them -------------------------------------------------------------
def _text(value: Any) -> str:
    """A hyperparameter as a command-line value: a JSON string decoded, anything else as given."""
    value = str(value)
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str):
            return decoded
    return value


def _decoded(value: Any) -> Any:
    """A hyperparameter as the toolkit's ``SM_HPS`` holds it: its JSON value, else the string."""
    try:
        return json.loads(str(value))
    except ValueError:
        return str(value)


def user_args(hyperparameters: Mapping[str, Any]) -> list[str]:
    """``--<name> <value>`` for every hyperparameter that is not the toolkit's own, sorted by name."""
    args: list[str] = []
    for name in sorted(hyperparameters):
        if not name.startswith("sagemaker_"):
            args += [f"--{name}", _text(hyperparameters[name])]
    return args


# -- a job -------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class TrainingJob(container.ContainerJob):
    """A training job: ``status``, ``done``, ``metric_series()``, ``final_metrics()``, ``describe()``."""

    KIND: ClassVar[str] = "training"
    LOG_GROUP: ClassVar[str] = LOG_GROUP
    NAME_KEY: ClassVar[str] = "TrainingJobName"

    tuning_job_arn: str | None = None
    secondary: str = "Starting"
    transitions: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    metrics_refused: bool = False
    patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    principal: Principal | None = None  # the role session, for the metrics it publishes

    @property
    def hyperparameters(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.params.get("HyperParameters") or {}).items()}

    @property
    def model_artifacts(self) -> str:
        path = str(self.params["OutputDataConfig"]["S3OutputPath"]).rstrip("/")
        return f"{path}/{self.name}/output/model.tar.gz"

    def network(self) -> Mapping[str, Any]:
        return {
            "VpcConfig": self.params.get("VpcConfig"),
            "EnableNetworkIsolation": self.params.get("EnableNetworkIsolation"),
        }

    # -- status
    def status_locked(self, status: str) -> None:
        """Change the status (the caller holds ``lock``); ListTrainingJobs reads moto's copy."""
        super().status_locked(status)
        if status == STOPPING:
            self._secondary_locked(STOPPING)
        self.fake.training_job_status = status
        self.fake.last_modified_time = self.modified
        self.fake.training_end_time = self.ended

    def _secondary_locked(self, secondary: str) -> None:
        now = datetime.now(UTC)
        if self.transitions and "EndTime" not in self.transitions[-1]:
            self.transitions[-1]["EndTime"] = now
        transition = {"Status": secondary, "StartTime": now, "StatusMessage": MESSAGES[secondary]}
        if secondary in _FINAL:
            transition["EndTime"] = now
        self.transitions.append(transition)
        self.secondary = secondary
        self.fake.secondary_status = secondary
        self.modified = now

    def step(self, secondary: str) -> None:
        """Move on to the next secondary status (not while stopping: Stopping stays)."""
        with self.lock:
            if not self.stopping:
                self._secondary_locked(secondary)

    def end(self, status: str, secondary: str) -> None:
        with self.lock:
            self._secondary_locked(secondary)
            self.status_locked(status)

    def fail(self, reason: str) -> None:
        self.failure = reason[: container.TAIL]
        if self.stopping or self.timed_out:
            self.end(STOPPED, "MaxRuntimeExceeded" if self.timed_out else STOPPED)
        else:
            self.end(FAILED, FAILED)

    # -- metrics
    def on_line(self, instance: Instance, line: str) -> None:
        found: list[tuple[str, float]] = []
        for name, pattern in self.patterns:
            match = pattern.search(line)
            if match is None or not match.groups() or match.group(1) is None:
                continue
            try:
                value = float(match.group(1))
            except ValueError:
                continue
            if math.isfinite(value):
                found.append((name, value))
        if not found:
            return
        now = datetime.now(UTC)
        with self.lock:
            for name, value in found:
                self.metrics.setdefault(name, []).append((now, value))
        self._publish(instance, found)

    def _publish(self, instance: Instance, found: list[tuple[str, float]]) -> None:
        if self.metrics_refused or self.principal is None:
            return
        dimensions = [{"Name": "Host", "Value": f"{self.name}/{instance.host}"}]
        data = [{"MetricName": n, "Dimensions": dimensions, "Value": v, "Unit": "None"} for n, v in found]
        params = {"Namespace": METRIC_NAMESPACE, "MetricData": data}
        try:
            builds.as_role(self.principal, "cloudwatch", "PutMetricData", params, self.region)
        except builds.Refused as denied:
            self.metrics_refused = True
            container.refused(self, f"metrics to {METRIC_NAMESPACE}", denied.denied)
            return
        cloudwatch_backends[self.account][self.region].put_metric_data(METRIC_NAMESPACE, data)

    def metric_series(self) -> dict[str, list[float]]:
        """Every value of each metric parsed so far, in order (readable while the job runs)."""
        with self.lock:
            return {name: [v for _, v in values] for name, values in self.metrics.items()}

    def final_metrics(self) -> dict[str, float]:
        """The last value of each metric parsed so far."""
        with self.lock:
            return {name: values[-1][1] for name, values in self.metrics.items() if values}

    # -- the container
    def prepare(self, principal: Principal, instance: Instance, index: int) -> None:
        self.principal = principal
        self.step("Downloading")
        channels = list(self.params.get("InputDataConfig") or [])
        for channel in channels:
            s3 = channel["DataSource"]["S3DataSource"]
            name = str(channel["ChannelName"])
            target = container.local(instance, f"/opt/ml/input/data/{name}")
            distribution = str(s3.get("S3DataDistributionType") or "FullyReplicated")
            container.download(
                self, principal, f"channel {name}", str(s3["S3Uri"]), target, distribution, index
            )
        for folder in ("model", "output/data", "output/intermediate", "code", "input/config"):
            container.local(instance, f"/opt/ml/{folder}").mkdir(parents=True, exist_ok=True)
        config = container.local(instance, "/opt/ml/input/config")
        container.write_json(config / "hyperparameters.json", self.hyperparameters)
        container.write_json(config / "inputdataconfig.json", self._input_config())
        container.write_json(config / "resourceconfig.json", self._resource_config(instance))
        self.step("Training")
        self._source(principal, instance)

    def _input_config(self) -> dict[str, Any]:
        answer = {}
        for channel in self.params.get("InputDataConfig") or []:
            s3 = channel["DataSource"]["S3DataSource"]
            answer[str(channel["ChannelName"])] = {
                "TrainingInputMode": channel.get("InputMode") or "File",
                "S3DistributionType": s3.get("S3DataDistributionType") or "FullyReplicated",
                "RecordWrapperType": channel.get("RecordWrapperType") or "None",
                **({"ContentType": channel["ContentType"]} if channel.get("ContentType") else {}),
            }
        return answer

    def _resource_config(self, instance: Instance) -> dict[str, Any]:
        kind = str(self.params["ResourceConfig"]["InstanceType"])
        return {
            "current_host": instance.host,
            "current_instance_type": kind,
            "current_group_name": "homogeneousCluster",
            "hosts": self.hosts,
            "instance_groups": [
                {"instance_group_name": "homogeneousCluster", "instance_type": kind, "hosts": self.hosts}
            ],
            "network_interface_name": "eth0",
        }

    def _source(self, principal: Principal, instance: Instance) -> None:
        """The toolkit's step: sagemaker_submit_directory into /opt/ml/code, as the role."""
        hyperparameters = self.hyperparameters
        program = _text(hyperparameters.get(PROGRAM, ""))
        source = _text(hyperparameters.get(SUBMIT_DIRECTORY, ""))
        if not program or not source:
            raise JobFailed(
                f"AlgorithmError: script mode needs the hyperparameters {PROGRAM} (the entry script) and "
                f"{SUBMIT_DIRECTORY} (the S3 URI of sourcedir.tar.gz); the job has "
                f"{PROGRAM}={program or None!r}, {SUBMIT_DIRECTORY}={source or None!r}"
            )
        if not source.startswith("s3://"):
            raise JobFailed(f"AlgorithmError: {SUBMIT_DIRECTORY} {source} is not an s3:// URI")
        bucket, key = split_s3_uri(str(source))
        data = container.get_object(self, principal, f"{SUBMIT_DIRECTORY}", bucket, key)
        code = container.local(instance, "/opt/ml/code")
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
                archive.extractall(code, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise JobFailed(
                f"AlgorithmError: {source} is not a tar.gz archive of source code: {exc}"
            ) from exc

    def working_dir(self, instance: Instance) -> Path:
        return container.local(instance, "/opt/ml/code")

    def command(self, instance: Instance) -> list[str]:
        program = _text(self.hyperparameters[PROGRAM])
        return container.program(["python", program, *user_args(self.hyperparameters)])

    def container_environment(self, instance: Instance) -> dict[str, str]:
        hyperparameters = self.hyperparameters
        channels = sorted(str(c["ChannelName"]) for c in self.params.get("InputDataConfig") or [])
        decoded = {k: _decoded(v) for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}
        program = _text(hyperparameters.get(PROGRAM, ""))
        module_dir = _text(hyperparameters.get(SUBMIT_DIRECTORY, ""))
        log_level = str(_decoded(hyperparameters.get(LOG_LEVEL, 20)) or 20)
        args = user_args(hyperparameters)
        channel_dirs = {c: f"/opt/ml/input/data/{c}" for c in channels}
        cpus = os.cpu_count() or 1
        training_env = {
            "channel_input_dirs": channel_dirs,
            "current_host": instance.host,
            "hosts": self.hosts,
            "hyperparameters": decoded,
            "input_config_dir": "/opt/ml/input/config",
            "input_data_config": self._input_config(),
            "input_dir": "/opt/ml/input",
            "job_name": self.name,
            "log_level": int(log_level) if log_level.isdigit() else 20,
            "model_dir": "/opt/ml/model",
            "module_dir": module_dir,
            "module_name": program.removesuffix(".py"),
            "network_interface_name": "eth0",
            "num_cpus": cpus,
            "num_gpus": 0,
            "output_data_dir": "/opt/ml/output/data",
            "output_dir": "/opt/ml/output",
            "output_intermediate_dir": "/opt/ml/output/intermediate",
            "resource_config": self._resource_config(instance),
            "user_entry_point": program,
        }
        values = {
            "SM_MODEL_DIR": "/opt/ml/model",
            "SM_CHANNELS": json.dumps(channels),
            "SM_HPS": json.dumps(decoded),
            "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data",
            "SM_OUTPUT_DIR": "/opt/ml/output",
            "SM_OUTPUT_INTERMEDIATE_DIR": "/opt/ml/output/intermediate",
            "SM_INPUT_DIR": "/opt/ml/input",
            "SM_INPUT_CONFIG_DIR": "/opt/ml/input/config",
            "SM_CURRENT_HOST": instance.host,
            "SM_HOSTS": json.dumps(self.hosts),
            "SM_NETWORK_INTERFACE_NAME": "eth0",
            "SM_NUM_CPUS": str(cpus),
            "SM_NUM_GPUS": "0",
            "SM_USER_ARGS": json.dumps(args),
            "SM_USER_ENTRY_POINT": program,
            "SM_MODULE_NAME": program.removesuffix(".py"),
            "SM_MODULE_DIR": module_dir,
            "SM_LOG_LEVEL": str(training_env["log_level"]),
            "SM_TRAINING_ENV": json.dumps(training_env),
            "PYTHONPATH": "/opt/ml/code",
        }
        for channel, path in channel_dirs.items():
            values[f"SM_CHANNEL_{channel.upper()}"] = path
        for name, value in decoded.items():
            values[f"SM_HP_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        return values

    def finish(self, principal: Principal) -> None:
        [instance] = self.instances
        if self.stopping or self.timed_out:
            self._upload(principal, instance, model_only=True)
            self.end(STOPPED, "MaxRuntimeExceeded" if self.timed_out else STOPPED)
            return
        code = instance.process.returncode if instance.process is not None else None
        if code:
            failure = container.local(instance, "/opt/ml/output/failure")
            written = failure.read_text(errors="replace").strip() if failure.is_file() else ""
            tail = "\n".join(instance.stderr)[-container.TAIL :].strip()
            raise JobFailed(f"AlgorithmError: {written or tail or f'the script exited with code {code}'}")
        self.step("Uploading")
        self._upload(principal, instance, model_only=False)
        self.end(COMPLETED, COMPLETED)

    def _upload(self, principal: Principal, instance: Instance, model_only: bool) -> None:
        kms_key = self.params["OutputDataConfig"].get("KmsKeyId")
        folders = [("model", "/opt/ml/model", self.model_artifacts)]
        if not model_only:
            output = self.model_artifacts.removesuffix("model.tar.gz") + "output.tar.gz"
            folders.append(("output data", "/opt/ml/output/data", output))
        for what, path, uri in folders:
            data = _archive(container.local(instance, path))
            container.put_object(self, principal, f"the {what}", uri, data, kms_key)

    # -- DescribeTrainingJob
    def describe(self) -> dict[str, Any]:
        params = copy.deepcopy(self.params)
        params.pop("Tags", None)
        for channel in params.get("InputDataConfig") or []:
            channel.setdefault("CompressionType", "None")
            channel.setdefault("RecordWrapperType", "None")
            s3 = (channel.get("DataSource") or {}).get("S3DataSource")
            if s3 is not None:
                s3.setdefault("S3DataDistributionType", "FullyReplicated")
        params["OutputDataConfig"].setdefault("CompressionType", "GZIP")
        stopping = params.setdefault("StoppingCondition", {})
        stopping.setdefault("MaxRuntimeInSeconds", container.DEFAULT_MAX_RUNTIME)
        for flag in (
            "EnableNetworkIsolation",
            "EnableInterContainerTrafficEncryption",
            "EnableManagedSpotTraining",
        ):
            params.setdefault(flag, False)
        with self.lock:
            answer = {
                **params,
                "TrainingJobArn": self.arn,
                "ModelArtifacts": {"S3ModelArtifacts": self.model_artifacts},
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary,
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "SecondaryStatusTransitions": copy.deepcopy(self.transitions),
                "FinalMetricDataList": [
                    {"MetricName": name, "Value": values[-1][1], "Timestamp": values[-1][0]}
                    for name, values in self.metrics.items()
                    if values
                ],
            }
            if self.tuning_job_arn:
                answer["TuningJobArn"] = self.tuning_job_arn
            for key, value in (
                ("TrainingStartTime", self.started),
                ("TrainingEndTime", self.ended),
                ("FailureReason", self.failure),
            ):
                if value is not None:
                    answer[key] = value
            if self.started is not None and self.ended is not None:
                seconds = max(1, int((self.ended - self.started).total_seconds()))
                answer["TrainingTimeInSeconds"] = answer["BillableTimeInSeconds"] = seconds
        return answer


def _archive(folder: Path) -> bytes:
    """A tar.gz of the folder's content (paths relative to it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                archive.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


_JOBS = container.Registry("training")


def create(
    backend: SageMakerModelBackend, params: Mapping[str, Any], tuning_job_arn: str | None = None
) -> TrainingJob:
    """CreateTrainingJob: check, store, and start the job in the background (``tuning_job_arn``: the tuning
    job that launched it, its ``TuningJobArn``)."""
    check_request(backend, params)
    scale = container.scale_of(params.get("Tags"))
    request = copy.deepcopy(dict(params))
    fake = backend.create_training_job(
        training_job_name=request["TrainingJobName"],
        hyper_parameters=copy.deepcopy(request.get("HyperParameters")),  # type: ignore[arg-type]
        algorithm_specification=copy.deepcopy(request["AlgorithmSpecification"]),
        role_arn=request["RoleArn"],
        input_data_config=copy.deepcopy(request.get("InputDataConfig")),  # type: ignore[arg-type]
        output_data_config=copy.deepcopy(request["OutputDataConfig"]),
        resource_config=copy.deepcopy(request["ResourceConfig"]),
        vpc_config=copy.deepcopy(request.get("VpcConfig")),  # type: ignore[arg-type]
        stopping_condition=copy.deepcopy(request.get("StoppingCondition")),  # type: ignore[arg-type]
        tags=copy.deepcopy(request.get("Tags")),  # type: ignore[arg-type]
        enable_network_isolation=bool(request.get("EnableNetworkIsolation")),
        enable_inter_container_traffic_encryption=bool(request.get("EnableInterContainerTrafficEncryption")),
        enable_managed_spot_training=False,
        checkpoint_config=None,  # type: ignore[arg-type]
        debug_hook_config=copy.deepcopy(request.get("DebugHookConfig")),  # type: ignore[arg-type]
        debug_rule_configurations=copy.deepcopy(request.get("DebugRuleConfigurations")),  # type: ignore[arg-type]
        tensor_board_output_config=copy.deepcopy(request.get("TensorBoardOutputConfig")),  # type: ignore[arg-type]
        experiment_config=copy.deepcopy(request.get("ExperimentConfig")),  # type: ignore[arg-type]
    )
    job = TrainingJob(
        backend.account_id, backend.region_name, request, fake, scale, tuning_job_arn=tuning_job_arn
    )
    job.patterns = [
        (str(d["Name"]), re.compile(str(d["Regex"])))
        for d in request["AlgorithmSpecification"].get("MetricDefinitions") or []
    ]
    job.created = job.modified = fake.creation_time
    with job.lock:
        job.status_locked(IN_PROGRESS)
        job._secondary_locked("Starting")
    fake.training_start_time = None  # type: ignore[assignment]
    _JOBS.add(job)
    container.start(job)
    return job


def get(account: str, region: str, name: str) -> TrainingJob | None:
    job = _JOBS.get(account, region, name)
    return job if isinstance(job, TrainingJob) else None


def stop(job: TrainingJob, early: bool = False) -> bool:
    """StopTrainingJob: Stopping, then the process ends (SIGTERM, then SIGKILL); the model saved by then is
    uploaded and the job ends Stopped. ``early``: a tuning job's early stop, which does nothing to a job
    that already ended (False) instead of refusing."""
    if container.begin_stop(job):
        return True
    if early:
        return False
    raise ValidationError(
        f"The training job {job.arn} cannot be stopped: it is {job.status}. Only a job that is InProgress "
        "can be stopped."
    )


def stop_all() -> None:
    """A sandbox reset or the server's end: stop every job and forget them."""
    _JOBS.stop_all()


# -- moto ---------------------------------------------------------------------------------------------------
_MARK = "_launchpad_training_patch"


def _missing(backend: SageMakerModelBackend, name: str) -> ValidationError:
    arn = FakeTrainingJob.arn_formatter(name, backend.account_id, backend.region_name)
    return ValidationError(f"Could not find training job '{arn}'.")


def apply() -> None:
    if getattr(SageMakerResponse, _MARK, False):
        return
    members = list(get_service_model("sagemaker").operation_model("CreateTrainingJob").input_shape.members)

    def create_training_job(self: SageMakerResponse) -> ActionResult:
        params = {k: self._get_param(k) for k in members if self._get_param(k) is not None}
        job = create(self.sagemaker_backend, params)
        return ActionResult({"TrainingJobArn": job.arn})

    def describe_training_job(self: SageMakerModelBackend, training_job_name: str) -> dict[str, Any]:
        job = get(self.account_id, self.region_name, training_job_name)
        if job is None or training_job_name not in self.training_jobs:
            raise _missing(self, training_job_name)
        return job.describe()

    def stop_training_job(self: SageMakerResponse) -> ActionResult:
        backend, name = self.sagemaker_backend, self._get_param("TrainingJobName")
        job = get(backend.account_id, backend.region_name, name)
        if job is None or name not in backend.training_jobs:
            raise _missing(backend, name)
        stop(job)
        return EmptyResult()

    SageMakerResponse.create_training_job = create_training_job  # type: ignore[method-assign]
    SageMakerResponse.stop_training_job = stop_training_job  # type: ignore[attr-defined]
    SageMakerModelBackend.describe_training_job = describe_training_job  # type: ignore[method-assign]
    lifecycle.on_reset(stop_all)
    setattr(SageMakerResponse, _MARK, True)


def backend_for(account: str, region: str) -> SageMakerModelBackend:
    return sagemaker_backends[account][region]
