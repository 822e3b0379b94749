"""SageMaker automatic model tuning that runs: a tuning job launches real training jobs and picks the best.

AWS (SageMaker API Reference ``CreateHyperParameterTuningJob``, ``DescribeHyperParameterTuningJob``,
``StopHyperParameterTuningJob``, ``ListHyperParameterTuningJobs``,
``ListTrainingJobsForHyperParameterTuningJob``, ``HyperParameterTuningJobConfig``,
``HyperParameterTrainingJobDefinition``, ``HyperParameterTrainingJobSummary``, ``TrainingJobStatusCounters``,
``ObjectiveStatusCounters``; SageMaker Developer Guide, "How Hyperparameter Tuning Works", "Define
Hyperparameter Ranges", "Stop Training Jobs Early"):

- ``CreateHyperParameterTuningJob`` validates the request against the API model (``1 validation error
  detected: ...``: the name's pattern and length, ``MaxParallelTrainingJobs`` >= 1, the enums), then the
  tuning checks of ``launchpad.sandbox.tuning.check_config`` (ranges, strategy, resource limits, objective
  metric among the algorithm's ``MetricDefinitions``), then the request of its first training job as
  ``CreateTrainingJob`` checks it (the image, the role SageMaker must be able to assume, ...). A name in use
  is ``ResourceInUse``. The caller needs ``iam:PassRole`` on the definition's ``RoleArn`` (the authorization
  gate). A refused request stores nothing.
- The job is ``InProgress``; it launches training jobs named ``<tuning job>-<3-digit index>-<8 hex>``, each
  with the definition's ``StaticHyperParameters`` plus the values the strategy chose, the definition's
  algorithm, role, channels, output, resources and stopping condition, and the tuning job's ``Tags`` ("Tags
  that you specify for the tuning job are also added to all training jobs that the tuning job launches"), at
  most ``MaxParallelTrainingJobs`` at once, until ``MaxNumberOfTrainingJobs`` (Grid: one per combination).
  Each training job's objective is the objective metric's value in its ``FinalMetricDataList``;
  ``ObjectiveStatus`` is ``Pending`` while it runs, ``Succeeded`` with a value, ``Failed`` without one (a
  failed job, or a script that printed no metric).
- ``TrainingJobEarlyStoppingType: Auto`` stops a training job whose objective at an epoch is worse than the
  median of the completed jobs' running averages at that epoch (``tuning.should_stop``); it ends
  ``Stopped``, its objective the last value it reported.
- ``TuningJobCompletionCriteria``: ``TargetObjectiveMetricValue`` reached, or ``BestObjectiveNotImproving``
  for ``MaxNumberOfTrainingJobsNotImproving`` jobs, ends the job ``Completed`` without launching more.
- The job ends ``Completed`` with ``BestTrainingJob`` (``TunedHyperParameters``,
  ``FinalHyperParameterTuningJobObjectiveMetric``) once every training job has ended, or ``Failed`` when no
  training job succeeded after min(5, MaxNumberOfTrainingJobs) attempts: "No training job succeeded after 5
  attempts. Please take a look at the training job failures to get more details."
  ``StopHyperParameterTuningJob``: ``Stopping``, its training jobs in progress are stopped, then ``Stopped``.
  ``TrainingJobStatusCounters`` count ``Completed``, ``InProgress``, ``Stopped``, ``RetryableError`` (a
  failure of the sandbox's own) and ``NonRetryableError`` (any other failure).
- ``ListTrainingJobsForHyperParameterTuningJob`` answers ``HyperParameterTrainingJobSummary`` items, sorted by
  ``Name`` (the default), ``CreationTime``, ``Status`` or ``FinalObjectiveMetricValue`` (jobs without an
  objective left out), filtered by ``StatusEquals``, ``MaxResults`` (default 10) per page.

Not modelled, refused at create with a ``ValidationException`` starting "launchpad sandbox:" (nothing
stored): the ``Hyperband`` strategy and ``StrategyConfig``, ``WarmStartConfig``, ``TrainingJobDefinitions``
(several definitions) and a definition's own ``HyperParameterRanges``/``TuningObjective``, ``Autotune`` and
``AutoParameters``, ``ConvergenceDetected``, ``HyperParameterTuningResourceConfig``. ``ResourceLimits.
MaxRuntimeInSeconds`` (scaled by the ``launchpad:sandbox:time-scale`` tag) ends the job ``Completed`` with the
training jobs still running stopped. Training jobs that fail are not retried.
"""

from __future__ import annotations

import copy
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from launchpad.deploy import timescale
from launchpad.sandbox import lifecycle, tuning
from launchpad.sandbox.patches import sagemaker_container as container
from launchpad.sandbox.patches import sagemaker_training as training
from launchpad.sandbox.patches.api_model import validation_message

log = logging.getLogger(__name__)

PREFIX = "launchpad sandbox: "
IN_PROGRESS, STOPPING, STOPPED = "InProgress", "Stopping", "Stopped"
COMPLETED, FAILED = "Completed", "Failed"
SUCCEEDED, PENDING = "Succeeded", "Pending"
ATTEMPTS = 5  # "No training job succeeded after 5 attempts"
_POLL = 0.25  # seconds between looks at the training jobs
_STOP_WAIT = 15.0
# CreateTrainingJob members a training job gets from the definition (HyperParameterTrainingJobDefinition)
_COPIED = (
    "RoleArn",
    "InputDataConfig",
    "VpcConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "RetryStrategy",
    "Environment",
)


def _not_modelled(what: str) -> ValidationError:
    return ValidationError(
        f"{PREFIX}{what} is not modelled (the sandbox tunes one TrainingJobDefinition with the Grid, Random "
        "or Bayesian strategy over the ParameterRanges given)"
    )


def _missing(name: str) -> ResourceNotFound:
    return ResourceNotFound(message=f"Amazon SageMaker can't find a tuning job with name {name}")


# -- CreateHyperParameterTuningJob's checks ----------------------------------------------------------------
def _refuse_unmodelled(params: Mapping[str, Any]) -> None:
    config = params.get("HyperParameterTuningJobConfig") or {}
    if config.get("Strategy") == tuning.HYPERBAND or config.get("StrategyConfig"):
        raise _not_modelled("the Hyperband strategy (StrategyConfig)")
    for key in ("WarmStartConfig", "TrainingJobDefinitions", "Autotune"):
        if params.get(key):
            raise _not_modelled(key)
    if (config.get("ParameterRanges") or {}).get("AutoParameters"):
        raise _not_modelled("ParameterRanges.AutoParameters (Autotune)")
    criteria = config.get("TuningJobCompletionCriteria") or {}
    if (criteria.get("ConvergenceDetected") or {}).get("CompleteOnConvergence") == "Enabled":
        raise _not_modelled("TuningJobCompletionCriteria.ConvergenceDetected")
    definition = params.get("TrainingJobDefinition") or {}
    for key in ("HyperParameterRanges", "TuningObjective", "HyperParameterTuningResourceConfig"):
        if definition.get(key):
            raise _not_modelled(f"TrainingJobDefinition.{key}")


def _metric_names(definition: Mapping[str, Any]) -> list[str] | None:
    algorithm = definition.get("AlgorithmSpecification") or {}
    if not algorithm.get("TrainingImage"):
        return None  # a built-in or marketplace algorithm's metrics: its own
    return [str(m.get("Name")) for m in algorithm.get("MetricDefinitions") or []]


def check_request(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> list[tuning.Range]:
    """CreateHyperParameterTuningJob's checks (nothing is stored when they fail); the parsed ranges."""
    errors = container.api_errors("CreateHyperParameterTuningJob", params)
    if errors:
        raise ValidationError(validation_message(errors))
    name = str(params["HyperParameterTuningJobName"])
    if name in backend.hyper_parameter_tuning_jobs:
        raise ResourceInUseException(
            message=f"Resource Already Exists: Hyper Parameter Tuning Job with name {name} already exists. "
            "Choose a different name."
        )
    _refuse_unmodelled(params)
    definition = params.get("TrainingJobDefinition")
    if not definition:
        raise ValidationError("TrainingJobDefinition or TrainingJobDefinitions must be specified.")
    config = params["HyperParameterTuningJobConfig"]
    algorithm = definition.get("AlgorithmSpecification") or {}
    try:
        ranges = tuning.check_config(
            config,
            definition.get("StaticHyperParameters") or {},
            _metric_names(definition),
            str(algorithm.get("TrainingImage") or algorithm.get("AlgorithmName") or ""),
        )
    except tuning.TuningError as exc:
        raise ValidationError(str(exc)) from exc
    container.scale_of(params.get("Tags"))
    first = training_request(params, 1, {r.name: _example(r) for r in ranges})
    training.check_request(backend, first)
    return ranges


def _example(r: tuning.Range) -> str:
    return r.values[0] if r.kind == tuning.CATEGORICAL else r.from_unit(0.5)


def training_request(params: Mapping[str, Any], index: int, values: Mapping[str, str]) -> dict[str, Any]:
    """The CreateTrainingJob request of the tuning job's ``index``-th training job (from 1)."""
    definition = params["TrainingJobDefinition"]
    name = f"{params['HyperParameterTuningJobName']}-{index:03d}-{secrets.token_hex(4)}"
    algorithm = {
        k: v
        for k, v in (definition.get("AlgorithmSpecification") or {}).items()
        if k in ("TrainingImage", "AlgorithmName", "TrainingInputMode", "MetricDefinitions")
    }
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": copy.deepcopy(algorithm),
        "HyperParameters": {**(definition.get("StaticHyperParameters") or {}), **values},
    }
    for key in _COPIED:
        if definition.get(key) is not None:
            request[key] = copy.deepcopy(definition[key])
    if params.get("Tags"):
        request["Tags"] = copy.deepcopy(params["Tags"])
    return request


# -- a tuning job ------------------------------------------------------------------------------------------
@dataclass
class Child:
    """One training job the tuning job launched."""

    index: int
    name: str
    values: dict[str, str]
    created: datetime
    job: Any = None  # sagemaker_training.TrainingJob
    status: str = IN_PROGRESS
    objective: float | None = None
    objective_status: str = PENDING
    failure: str | None = None
    retryable: bool = False
    series: list[float] = field(default_factory=list)
    early_stopped: bool = False
    described: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.objective_status == PENDING


@dataclass
class TuningJob:
    account: str
    region: str
    arn: str
    params: dict[str, Any]
    ranges: list[tuning.Range]
    scale: float
    fake: Any = None
    status: str = IN_PROGRESS
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    failure: str | None = None
    stopping: bool = False
    children: list[Child] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def name(self) -> str:
        return str(self.params["HyperParameterTuningJobName"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.params["HyperParameterTuningJobConfig"])

    @property
    def metric(self) -> str:
        return str(self.config["HyperParameterTuningJobObjective"]["MetricName"])

    @property
    def maximize(self) -> bool:
        return self.config["HyperParameterTuningJobObjective"].get("Type") != "Minimize"

    @property
    def max_jobs(self) -> int:
        limit = self.config["ResourceLimits"].get("MaxNumberOfTrainingJobs")
        return int(limit) if limit is not None else int(tuning.combinations(self.ranges) or 1)

    @property
    def max_parallel(self) -> int:
        return int(self.config["ResourceLimits"]["MaxParallelTrainingJobs"])

    def set_status(self, status: str) -> None:
        with self.lock:
            self.status = status
            self.modified = datetime.now(UTC)
            if status in (COMPLETED, FAILED, STOPPED):
                self.ended = self.modified
            if self.fake is not None:  # ListHyperParameterTuningJobs filters moto's copy
                self.fake.hyper_parameter_tuning_job_status = status
                self.fake.last_modified_time = self.modified
                self.fake.hyper_parameter_tuning_end_time = self.ended

    # -- answers -------------------------------------------------------------------------------------------
    def _summary_of(self, child: Child) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "TrainingJobName": child.name,
            "TrainingJobArn": child.described.get("TrainingJobArn")
            or f"arn:aws:sagemaker:{self.region}:{self.account}:training-job/{child.name.lower()}",
            "TuningJobName": self.name,
            "CreationTime": child.created,
            "TrainingJobStatus": child.status,
            "TunedHyperParameters": dict(child.values),
            "ObjectiveStatus": child.objective_status,
        }
        for key in ("TrainingStartTime", "TrainingEndTime"):
            if child.described.get(key) is not None:
                answer[key] = child.described[key]
        if child.failure:
            answer["FailureReason"] = child.failure
        if child.objective is not None:
            answer["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": "Maximize" if self.maximize else "Minimize",
                "MetricName": self.metric,
                "Value": child.objective,
            }
        return answer

    def best(self) -> Child | None:
        scored = [c for c in self.children if c.objective_status == SUCCEEDED and c.objective is not None]
        if not scored:
            return None
        sign = 1.0 if self.maximize else -1.0
        return max(scored, key=lambda c: (sign * float(c.objective or 0.0), -c.index))

    def counters(self) -> tuple[dict[str, int], dict[str, int]]:
        training_counts = {
            "Completed": 0,
            "InProgress": 0,
            "RetryableError": 0,
            "NonRetryableError": 0,
            "Stopped": 0,
        }
        objective_counts = {SUCCEEDED: 0, PENDING: 0, FAILED: 0}
        for child in self.children:
            if child.status == FAILED:
                training_counts["RetryableError" if child.retryable else "NonRetryableError"] += 1
            elif child.status in (STOPPING, IN_PROGRESS):
                training_counts["InProgress"] += 1
            else:
                training_counts[child.status] += 1
            objective_counts[child.objective_status] += 1
        return training_counts, objective_counts

    def summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self._summary_of(c) for c in self.children]

    def describe(self) -> dict[str, Any]:
        with self.lock:
            config = copy.deepcopy(self.config)
            config.setdefault("TrainingJobEarlyStoppingType", "Off")
            if config.get("Strategy") == tuning.GRID:
                config["ResourceLimits"].setdefault("MaxNumberOfTrainingJobs", self.max_jobs)
            for key in ("IntegerParameterRanges", "ContinuousParameterRanges"):
                for item in (config.get("ParameterRanges") or {}).get(key) or []:
                    item.setdefault("ScalingType", "Auto")
            training_counts, objective_counts = self.counters()
            answer: dict[str, Any] = {
                "HyperParameterTuningJobName": self.name,
                "HyperParameterTuningJobArn": self.arn,
                "HyperParameterTuningJobConfig": config,
                "TrainingJobDefinition": copy.deepcopy(self.params["TrainingJobDefinition"]),
                "HyperParameterTuningJobStatus": self.status,
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "TrainingJobStatusCounters": training_counts,
                "ObjectiveStatusCounters": objective_counts,
            }
            if self.ended is not None:
                answer["HyperParameterTuningEndTime"] = self.ended
                answer["ConsumedResources"] = {
                    "RuntimeInSeconds": int((self.ended - self.created).total_seconds())
                }
            best = self.best()
            if best is not None:
                answer["BestTrainingJob"] = self._summary_of(best)
            if self.failure:
                answer["FailureReason"] = self.failure
            return answer

    def summary(self) -> dict[str, Any]:
        """ListHyperParameterTuningJobs' HyperParameterTuningJobSummary."""
        with self.lock:
            training_counts, objective_counts = self.counters()
            answer: dict[str, Any] = {
                "HyperParameterTuningJobName": self.name,
                "HyperParameterTuningJobArn": self.arn,
                "HyperParameterTuningJobStatus": self.status,
                "Strategy": self.config["Strategy"],
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "TrainingJobStatusCounters": training_counts,
                "ObjectiveStatusCounters": objective_counts,
                "ResourceLimits": copy.deepcopy(self.config["ResourceLimits"]),
            }
            if self.ended is not None:
                answer["HyperParameterTuningEndTime"] = self.ended
            return answer


_JOBS: dict[tuple[str, str, str], TuningJob] = {}
_LOCK = threading.Lock()


def create(backend: SageMakerModelBackend, params: Mapping[str, Any]) -> TuningJob:
    """CreateHyperParameterTuningJob: check, store, and start tuning in the background."""
    ranges = check_request(backend, params)
    request = copy.deepcopy(dict(params))
    scale = container.scale_of(request.get("Tags"))
    job = TuningJob(backend.account_id, backend.region_name, "", request, ranges, scale)
    backend.create_hyper_parameter_tuning_job(
        hyper_parameter_tuning_job_name=job.name,
        hyper_parameter_tuning_job_config=request["HyperParameterTuningJobConfig"],
        training_job_definition=request["TrainingJobDefinition"],
        training_job_definitions=None,
        warm_start_config=None,
        tags=request.get("Tags"),
        autotune=None,
    )
    fake = backend.hyper_parameter_tuning_jobs[job.name]
    fake.describe = job.describe  # type: ignore[method-assign]  # moto's List answers the job's state
    fake.summary = job.summary  # type: ignore[method-assign]
    job.arn = str(fake.arn)
    job.fake = fake
    job.created = job.modified = fake.creation_time = datetime.now(UTC)
    job.set_status(IN_PROGRESS)
    with _LOCK:
        _JOBS[(job.account, job.region, job.name)] = job
    threading.Thread(target=_run, args=(job,), daemon=True, name=f"tuning-{job.name}").start()
    return job


def get(account: str, region: str, name: str) -> TuningJob | None:
    with _LOCK:
        return _JOBS.get((account, region, name))


def stop(job: TuningJob) -> None:
    """StopHyperParameterTuningJob: Stopping; the runner stops the training jobs in progress, then Stopped."""
    with job.lock:
        if job.status != IN_PROGRESS:
            raise ValidationError(
                f"The hyperparameter tuning job {job.arn} cannot be stopped: it is {job.status}. Only a job "
                "that is InProgress can be stopped."
            )
        job.stopping = True
        job.set_status(STOPPING)


# -- the tuner ---------------------------------------------------------------------------------------------
def _launch(job: TuningJob, values: dict[str, str]) -> None:
    index = len(job.children) + 1
    request = training_request(job.params, index, values)
    child = Child(index, request["TrainingJobName"], dict(values), datetime.now(UTC))
    try:
        child.job = training.create(backend_for(job.account, job.region), request, job.arn)
    except Exception as exc:  # the training job could not be created: it counts as a failed attempt
        log.info("tuning job %s: training job %s not created: %s", job.name, child.name, exc)
        child.status, child.objective_status = FAILED, FAILED
        child.failure = str(getattr(exc, "message", None) or exc)
    with job.lock:
        job.children.append(child)
        job.modified = datetime.now(UTC)


def _observe(job: TuningJob, child: Child, completed: list[list[float]]) -> None:
    """Follow one running training job: its objective series, early stopping, its end."""
    training_job = child.job
    series = list(training_job.metric_series().get(job.metric) or [])
    early = job.config.get("TrainingJobEarlyStoppingType") == "Auto"
    if (
        early
        and len(series) > len(child.series)
        and not child.early_stopped
        and not training_job.done.is_set()
        and tuning.should_stop(series, completed, job.maximize)
    ):
        child.early_stopped = True
        log.info("tuning job %s: early stopping %s at epoch %d", job.name, child.name, len(series))
        training.stop(training_job, early=True)
    child.series = series
    if not training_job.done.is_set():
        child.described = training_job.describe()
        return
    described = training_job.describe()
    status = str(training_job.status)
    value = training_job.final_metrics().get(job.metric)
    child.series = list(training_job.metric_series().get(job.metric) or [])  # all of it, now it ended
    with job.lock:
        child.described = described
        child.status = status
        child.failure = described.get("FailureReason")
        child.retryable = "InternalServerError" in str(child.failure or "")
        if status in (COMPLETED, STOPPED) and value is not None:
            child.objective, child.objective_status = float(value), SUCCEEDED
        else:
            child.objective_status = FAILED
        job.modified = datetime.now(UTC)


def _trials(job: TuningJob) -> list[tuning.Trial]:
    return [tuning.Trial(c.values, c.objective, c.running) for c in job.children]


def _finished_early(job: TuningJob) -> bool:
    """TuningJobCompletionCriteria: the target reached, or the best not improving for N jobs."""
    criteria = job.config.get("TuningJobCompletionCriteria") or {}
    best = job.best()
    if best is None:
        return False
    target = criteria.get("TargetObjectiveMetricValue")
    if target is not None and best.objective is not None:
        reached = best.objective >= float(target) if job.maximize else best.objective <= float(target)
        if reached:
            return True
    patience = (criteria.get("BestObjectiveNotImproving") or {}).get("MaxNumberOfTrainingJobsNotImproving")
    if patience:
        after = [c for c in job.children if c.index > best.index and not c.running]
        return len(after) >= int(patience)
    return False


def _run(job: TuningJob) -> None:
    seed = tuning.seed_of(job.name, job.config.get("RandomSeed"))
    strategy = tuning.strategy_for(job.config["Strategy"], job.ranges, seed, job.maximize)
    limit = (job.config["ResourceLimits"] or {}).get("MaxRuntimeInSeconds")
    deadline = (
        time.monotonic() + float(limit) * (job.scale if job.scale > 0 else timescale.UNSCALED)
        if limit
        else None
    )
    attempts = min(ATTEMPTS, job.max_jobs)
    try:
        while True:
            completed = [c.series for c in job.children if c.status == COMPLETED and c.series]
            for child in [c for c in job.children if c.running and c.job is not None]:
                _observe(job, child, completed)
            running = [c for c in job.children if c.running]
            succeeded = sum(1 for c in job.children if c.objective_status == SUCCEEDED)
            failed = sum(1 for c in job.children if c.objective_status == FAILED)
            timed_out = deadline is not None and time.monotonic() >= deadline
            if job.stopping or timed_out:
                _stop_children(job, running)
                break
            give_up = succeeded == 0 and failed >= attempts
            finished = _finished_early(job)
            while (
                not (give_up or finished)
                and len(running) < job.max_parallel
                and len(job.children) < job.max_jobs
            ):
                values = strategy.suggest(_trials(job))
                if values is None:
                    break
                _launch(job, values)
                running = [c for c in job.children if c.running]
            if not running and (
                give_up
                or finished
                or len(job.children) >= job.max_jobs
                or strategy.suggest(_trials(job)) is None
            ):
                break
            time.sleep(_POLL)
        with job.lock:
            if job.stopping:
                job.set_status(STOPPED)
            elif any(c.objective_status == SUCCEEDED for c in job.children):
                job.set_status(COMPLETED)
            else:
                failed = sum(1 for c in job.children if c.objective_status == FAILED)
                job.failure = (
                    f"No training job succeeded after {failed} attempts. Please take a look at the training "
                    "job failures to get more details."
                )
                job.set_status(FAILED)
    except Exception as exc:  # the sandbox's own bug: the job fails, the cause in the server's log
        log.exception("tuning job %s failed in the sandbox", job.name)
        job.failure = f"InternalServerError: {PREFIX}{exc!r}"
        _stop_children(job, [c for c in job.children if c.running])
        job.set_status(FAILED)
    finally:
        job.done.set()


def _stop_children(job: TuningJob, running: list[Child]) -> None:
    for child in running:
        if child.job is None:
            continue
        training.stop(child.job, early=True)
    for child in running:
        if child.job is not None and child.job.done.wait(_STOP_WAIT):
            _observe(job, child, [])


# -- moto ---------------------------------------------------------------------------------------------------
_MARK = "_launchpad_tuning_patch"
_PARAMS = (
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobConfig",
    "TrainingJobDefinition",
    "TrainingJobDefinitions",
    "WarmStartConfig",
    "Tags",
    "Autotune",
)
_SORTS = {
    "Name": lambda s: s["TrainingJobName"],
    "CreationTime": lambda s: s["CreationTime"],
    "Status": lambda s: s["TrainingJobStatus"],
    "FinalObjectiveMetricValue": lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
}


def _job_of(backend: SageMakerModelBackend, name: str | None) -> TuningJob:
    job = get(backend.account_id, backend.region_name, str(name))
    if job is None or name not in backend.hyper_parameter_tuning_jobs:
        raise _missing(str(name))
    return job


def list_training_jobs(job: TuningJob, params: Mapping[str, Any]) -> dict[str, Any]:
    """ListTrainingJobsForHyperParameterTuningJob's answer."""
    items = job.summaries()
    status = params.get("StatusEquals")
    if status:
        items = [s for s in items if s["TrainingJobStatus"] == status]
    sort_by = str(params.get("SortBy") or "Name")
    if sort_by not in _SORTS:
        raise ValidationError(
            f"1 validation error detected: Value '{sort_by}' at 'sortBy' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(_SORTS)}]"
        )
    if sort_by == "FinalObjectiveMetricValue":
        items = [s for s in items if "FinalHyperParameterTuningJobObjectiveMetric" in s]
    items.sort(key=_SORTS[sort_by], reverse=params.get("SortOrder") == "Descending")
    size = int(params.get("MaxResults") or 10)
    if not 1 <= size <= 100:
        raise ValidationError(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    token = params.get("NextToken")
    start = int(token) if token and str(token).isdigit() else 0
    answer: dict[str, Any] = {"TrainingJobSummaries": items[start : start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


def stop_all() -> None:
    """A sandbox reset or the server's end: stop every tuning job and forget them."""
    with _LOCK:
        jobs = list(_JOBS.values())
    for job in jobs:
        with job.lock:
            job.stopping = True
    for job in jobs:
        if not job.done.wait(_STOP_WAIT):
            log.warning("tuning job %s did not stop within %s s", job.name, _STOP_WAIT)
    with _LOCK:
        _JOBS.clear()


def apply() -> None:
    if getattr(SageMakerResponse, _MARK, False):
        return

    def create_hyper_parameter_tuning_job(self: SageMakerResponse) -> ActionResult:
        params = {k: self._get_param(k) for k in _PARAMS if self._get_param(k) is not None}
        job = create(self.sagemaker_backend, params)
        return ActionResult({"HyperParameterTuningJobArn": job.arn})

    def describe_hyper_parameter_tuning_job(self: SageMakerResponse) -> ActionResult:
        job = _job_of(self.sagemaker_backend, self._get_param("HyperParameterTuningJobName"))
        return ActionResult(job.describe())

    def stop_hyper_parameter_tuning_job(self: SageMakerResponse) -> ActionResult:
        stop(_job_of(self.sagemaker_backend, self._get_param("HyperParameterTuningJobName")))
        return EmptyResult()

    def list_training_jobs_for_hyper_parameter_tuning_job(self: SageMakerResponse) -> ActionResult:
        job = _job_of(self.sagemaker_backend, self._get_param("HyperParameterTuningJobName"))
        names = ("StatusEquals", "SortBy", "SortOrder", "MaxResults", "NextToken")
        return ActionResult(list_training_jobs(job, {k: self._get_param(k) for k in names}))

    SageMakerResponse.create_hyper_parameter_tuning_job = create_hyper_parameter_tuning_job  # type: ignore[method-assign]
    SageMakerResponse.describe_hyper_parameter_tuning_job = describe_hyper_parameter_tuning_job  # type: ignore[method-assign]
    SageMakerResponse.stop_hyper_parameter_tuning_job = stop_hyper_parameter_tuning_job  # type: ignore[attr-defined]
    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = (  # type: ignore[attr-defined]
        list_training_jobs_for_hyper_parameter_tuning_job
    )
    lifecycle.on_reset(stop_all)
    setattr(SageMakerResponse, _MARK, True)


def backend_for(account: str, region: str) -> SageMakerModelBackend:
    return sagemaker_backends[account][region]
