"""The retraining loop's own steps, shared by ``make demo``, the suite and the bench: a baked project's
training pipeline made ready on an account, and one execution of it followed to its end.

``prepare`` does what a team's build does before the project's Terraform applies
``modules/training-pipeline``: writes the project's training data as CSV (``python -m <package>.data``, a
fresh draw of its synthetic data) to the pipeline's ``TrainingData`` prefix, uploads the project's
``sourcedir.tar.gz`` and launchpad's job bundle (``launchpad pipeline publish``), and generates the
definition (``launchpad pipeline definition``), all from one set of pipeline settings. ``follow`` runs
what ``launchpad pipeline run --wait`` runs and gathers what the demo shows of the execution: the tuning
job's best candidate, the cross-validated AUC and the registered version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.deploy.artifacts import split_s3_uri
from launchpad.errors import LaunchpadError
from launchpad.pipeline import commands, definition

DATA_SEED = 7  # the retraining's data: another draw than the seed the project's make package trains on


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` made: the pipeline's name, its definition (JSON text), the uploaded objects, and the
    prefixes the definition reads its code from and writes its executions to (modules/training-pipeline's
    ``s3.code`` and ``s3.artifacts``)."""

    pipeline: str
    definition: str
    training_data: str
    uploaded: list[str]
    code_prefix: str
    executions_prefix: str


def write_training_data(project: Path, path: Path, seed: int = DATA_SEED) -> int:
    """The project's synthetic data set as the pipeline's CSV (its ``<package>.data`` module); the rows."""
    package = next(p.name for p in (project / "src").iterdir() if (p / "data.py").is_file())
    environment = {**os.environ, "PYTHONPATH": str(project / "src")}
    subprocess.run(
        [sys.executable, "-m", f"{package}.data", "--output", str(path), "--seed", str(seed)],
        cwd=project,
        env=environment,
        check=True,
        capture_output=True,
    )
    return sum(1 for _ in path.open()) - 1


def prepare(target: AwsTarget, project: Path, values: Mapping[str, Any], workdir: Path) -> Prepared:
    """Training data, code and definition of ``project``'s pipeline on ``target``; ``values`` are the pipeline
    settings (``launchpad pipeline definition --settings``), whose ``training_data`` prefix receives the CSV
    encrypted with ``training_data_kms_key_arn`` (else ``kms_key_arn``)."""
    settings = definition.load_settings(project, _settings_only(values))
    csv = workdir / "training-data" / "train.csv"
    write_training_data(project, csv)
    s3 = target.client("s3")
    bucket, prefix = split_s3_uri(settings.training_data_uri)
    key = f"{prefix}train.csv"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=csv.read_bytes(),
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=str(values.get("training_data_kms_key_arn") or settings.kms_key_arn),
    )
    uploaded = [f"s3://{bucket}/{key}", *commands.publish(s3, project, _settings_only(values))]
    document = commands.make_definition(project, _settings_only(values))
    return Prepared(
        settings.pipeline_name,
        definition.render(document),
        settings.training_data_uri,
        uploaded,
        code_prefix=settings.code_uri,
        executions_prefix=settings.executions_uri,
    )


def _settings_only(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "training_data_kms_key_arn"}


@dataclass
class Retraining:
    """One execution of the pipeline, followed to its end (``follow``)."""

    execution: str
    description: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    evaluation: dict[str, Any] = field(default_factory=dict)
    package: dict[str, Any] = field(default_factory=dict)
    tuning: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.description.get("PipelineExecutionStatus") == "Succeeded"

    def step(self, name: str) -> dict[str, Any]:
        found = [s for s in self.steps if s.get("StepName") == name]
        if not found:
            raise LaunchpadError(f"execution {self.execution} has no step {name}")
        return found[-1]

    def summary(self) -> str:
        parts = [f"{s['StepName']} {s['StepStatus']}" for s in self.steps]
        if self.tuning:
            best = self.tuning.get("BestTrainingJob") or {}
            counts = self.tuning.get("TrainingJobStatusCounters") or {}
            objective = (best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value")
            parts.append(
                f"tuning: {sum(counts.values())} training jobs, best validation:auc {objective:.3f}"
                if objective is not None
                else f"tuning: {sum(counts.values())} training jobs"
            )
        auc = (self.evaluation.get("metrics") or {}).get("auc") or {}
        if auc:
            parts.append(f"cross-validated AUC {auc['mean']:.3f} ± {auc['std']:.3f}")
        if self.package:
            parts.append(
                f"registered version {self.package.get('ModelPackageVersion')} "
                f"({self.package.get('ModelApprovalStatus')})"
            )
        return "; ".join(parts)


def follow(
    target: AwsTarget,
    execution: str,
    timeout: float,
    on_line: Callable[[str], None] = lambda line: None,
) -> Retraining:
    """Wait for ``execution`` to end (``launchpad pipeline run --wait``'s loop), then read its steps, the
    tuning job, the evaluation and the registered version. A failed execution raises PipelineFailedError
    naming its failed steps with the ends of their logs."""
    sagemaker, logs = target.client("sagemaker"), target.client("logs")
    retraining = Retraining(execution)

    def line(text: str) -> None:
        retraining.lines.append(text)
        on_line(text)

    retraining.description = commands.wait(
        sagemaker, logs, execution, poll=0.5, timeout=timeout, on_line=line
    )
    retraining.steps = commands.steps(sagemaker, execution)
    metadata = {s["StepName"]: s.get("Metadata") or {} for s in retraining.steps}
    tuning = (metadata.get(definition.TUNE) or {}).get("TuningJob", {}).get("Arn")
    if tuning:
        name = tuning.rsplit("/", 1)[-1]
        retraining.tuning = dict(
            sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        )
    registered = (metadata.get("Register") or {}).get("RegisterModel", {}).get("Arn")
    if registered:
        retraining.package = dict(sagemaker.describe_model_package(ModelPackageName=registered))
        quality = (retraining.package.get("ModelMetrics") or {}).get("ModelQuality", {}).get("Statistics", {})
        if quality.get("S3Uri"):
            bucket, key = split_s3_uri(str(quality["S3Uri"]))
            body = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            retraining.evaluation = json.loads(body)
    return retraining
