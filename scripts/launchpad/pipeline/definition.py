"""A baked project's SageMaker training pipeline, as the JSON definition (version 2020-12-01) AWS runs.

``build_definition(settings)`` is pure: the same ``PipelineSettings`` give the same JSON text (``render``:
sorted keys, steps and lists in a fixed order), so the project's ``aws_sagemaker_pipeline`` re-plans empty.
``load_settings(project_dir, values)`` makes the settings: the project's ``pipeline.yaml`` (checked with
``schemas/pipeline-config.schema.json`` and the rules across fields below, every problem in one ConfigError),
its ``model_card.yaml`` (launchpad.deploy.model_card, for dev) and the platform's values (bucket, key, role,
network, registry group, images).

The pipeline ``<project>-training`` (``docs`` in contract terms, issue 21):

1. ``ValidateData`` (Processing): launchpad's job bundle ``launchpad_pipeline_job.py validate`` over the
   ``TrainingData`` CSV files; outputs ``report`` (report.json) and ``baseline`` (statistics.json,
   constraints.json, checks.json, and analysis.json, the pre-training bias, when the card names facets).
2. ``Tune`` (Tuning, after ValidateData): the project's training script in script mode on AWS's scikit-learn
   image, over ``tuning.ranges``, objective ``objective``; metrics parsed from the log with ``metrics``.
3. ``CrossValidate`` (Processing): ``launchpad_pipeline_job.py cross-validate`` of the best training job;
   output ``evaluation`` (evaluation.json, the PropertyFile ``Evaluation``, and bias.json).
4. ``CheckEvaluation`` (Condition): every threshold, ``Std:JsonGet`` of Evaluation against its value; if all
   hold ``Register``, else ``EvaluationFailed``.
5. ``Register`` (RegisterModel: a CreateModelPackage request): PendingManualApproval, with metrics, bias
   reports (when the card names facets), the drift baseline and the model card (SageMaker's model package
   model card schema, ``model_package_card``).
6. ``EvaluationFailed`` (Fail): every thresholded value and its threshold.

The processing jobs' container arguments (what ``launchpad.pipeline.entry`` reads: ``--root /opt/ml``, the
project's declarations from the job bundle's project.json) are ``validate_arguments`` and
``cross_validate_arguments``; their paths are the ``*_DIR`` constants. Thresholds: pipeline.yaml's, else the
model card's; each names a value evaluation.json holds (``EVALUATION_METRICS``, ``BIAS_METRICS``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad import prebuilt_images
from launchpad.deploy import model_card
from launchpad.deploy.schema_errors import (
    at,
    load_schema,
    raise_problems,
    read_yaml,
    schema_problems,
    with_defaults,
)
from launchpad.errors import ConfigError
from launchpad.monitor import bias as bias_metrics
from launchpad.pipeline import crossval, jobs
from launchpad.quoting import shown

LOG = logging.getLogger(__name__)

VERSION = "2020-12-01"
CONFIG_FILE = "pipeline.yaml"
CARD_FILE = "model_card.yaml"
SCHEMA = "pipeline-config"

# Step names (the contract's), in the order they run.
VALIDATE, TUNE, CROSS_VALIDATE = "ValidateData", "Tune", "CrossValidate"
CHECK, REGISTER, FAIL = "CheckEvaluation", "Register", "EvaluationFailed"
STEP_NAMES = (VALIDATE, TUNE, CROSS_VALIDATE, CHECK, REGISTER, FAIL)
PROPERTY_FILE = "Evaluation"
EVALUATION_FILE = jobs.EVALUATION_FILE

# Parameters: name -> type.
TRAINING_DATA, SOURCE_CODE, BASELINE = "TrainingData", "SourceCode", "Baseline"
MAX_TRAINING_JOBS, INSTANCE_TYPE = "MaxTrainingJobs", "InstanceType"
DEFAULT_INSTANCE_TYPE = "ml.m5.large"

# Inside the processing containers (launchpad.pipeline.jobs: what the jobs read and write where).
CODE_DIR = jobs.INPUTS["code"]  # launchpad's job bundle
DATA_DIR = jobs.INPUTS["data"]  # TrainingData
SOURCE_DIR = jobs.INPUTS["source"]  # SourceCode: sourcedir.tar.gz
REPORT_DIR = jobs.OUTPUTS["report"]
BASELINE_DIR = jobs.OUTPUTS["baseline"]
EVALUATION_DIR = jobs.OUTPUTS["evaluation"]
SOURCEDIR_FILE = "sourcedir.tar.gz"

SKLEARN_VERSION = "1.2-1"  # AWS's prebuilt scikit-learn image the jobs run on (the sandbox stands it in)
XGBOOST_VERSION = "1.7-1"  # AWS's XGBoost framework image for xgboost projects (likewise)
DEFAULT_METRICS = (
    {"name": "validation:auc", "regex": r"validation:auc=([0-9.]+)"},
    {"name": "train:auc", "regex": r"train:auc=([0-9.]+)"},
)
# What CrossValidate's evaluation.json holds (launchpad.pipeline.crossval): metrics.<name>.mean of each
# metric it scores the out-of-fold predictions by, and bias.<name>: per Clarify metric (pre- and
# post-training, of the project's facets), the largest deviation from parity over the facets' groups
# (|value|, |DI - 1| for DI).
EVALUATION_METRICS = tuple(sorted(crossval.METRICS))
BIAS_METRICS = tuple(sorted(bias_metrics.METRICS))
VOLUME_GB = 30
PROCESSING_RUNTIME = 3600
CARD_TEXT_LIMIT = 2048  # a model package model card's text fields

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")
_KMS_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[\w/+=,.@-]{1,256}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PROJECT = re.compile(r"[a-z][a-z0-9-]{1,38}")
_IMAGE = re.compile(
    r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})"
)
_SUBNET = re.compile(r"subnet-[0-9a-f]{8,17}")
_GROUP = re.compile(r"sg-[0-9a-f]{8,17}")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]")
_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/-]{1,512}")


# -- settings ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineSettings:
    """Everything the definition is made of. ``config`` is a checked pipeline.yaml with its defaults filled in
    (``load_config``); ``card`` the project's model card. Optional fields default from the others:
    ``artifact_prefix`` ``<project>/pipeline``, ``job_bundle_prefix`` ``s3://<bucket>/<prefix>/code/launchpad/``,
    ``model_package_group`` the project, ``training_image`` AWS's scikit-learn image in ``region``."""

    project: str
    region: str
    config: Mapping[str, Any]
    card: Mapping[str, Any]
    serving_image: str
    artifact_bucket: str
    kms_key_arn: str
    job_role_arn: str
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    model_package_group: str | None = None
    artifact_prefix: str | None = None
    job_bundle_prefix: str | None = None
    training_image: str | None = None
    training_data: str | None = None
    instance_type: str = DEFAULT_INSTANCE_TYPE
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def pipeline_name(self) -> str:
        return f"{self.project}-training"

    @property
    def group(self) -> str:
        return self.model_package_group or self.project

    @property
    def prefix(self) -> str:
        return (self.artifact_prefix or f"{self.project}/pipeline").strip("/")

    @property
    def base_uri(self) -> str:
        return f"s3://{self.artifact_bucket}/{self.prefix}"

    @property
    def code_uri(self) -> str:
        """The prefix the steps read their code from (publish writes it; the jobs only read it)."""
        return f"{self.base_uri}/code/"

    @property
    def bundle_uri(self) -> str:
        return (self.job_bundle_prefix or f"{self.code_uri}launchpad").rstrip("/") + "/"

    @property
    def source_uri(self) -> str:
        """Where ``launchpad pipeline publish`` puts the project's sourcedir.tar.gz (SourceCode's default)."""
        return f"{self.code_uri}{SOURCEDIR_FILE}"

    @property
    def training_data_uri(self) -> str:
        return self.training_data or f"{self.base_uri}/training-data/"

    @property
    def executions_uri(self) -> str:
        """What each execution writes goes under ``<it><execution id>/`` (the only prefix the jobs write)."""
        return f"{self.base_uri}/executions/"

    def models_uri(self, *tail: Any) -> dict[str, Any]:
        """The tuning's training jobs' S3OutputPath (``<it>/<job>/output/model.tar.gz``), then ``tail``."""
        return join(self.executions_uri, get("Execution.PipelineExecutionId"), "/models", *tail)

    @property
    def image(self) -> str:
        """The image of Tune and CrossValidate (they run the project's code): ``training_image``, else AWS's
        framework image of pipeline.yaml's ``framework`` in ``region``."""
        return self.training_image or default_training_image(
            self.region, str(self.config.get("framework", "sklearn"))
        )

    @property
    def processing_image(self) -> str:
        """The image of ValidateData (launchpad's own code: numpy and scipy): AWS's scikit-learn image."""
        return default_training_image(self.region, "sklearn")


SETTING_FIELDS = (
    "project",
    "region",
    "serving_image",
    "artifact_bucket",
    "kms_key_arn",
    "job_role_arn",
    "subnets",
    "security_groups",
    "model_package_group",
    "artifact_prefix",
    "job_bundle_prefix",
    "training_image",
    "training_data",
    "instance_type",
    "tags",
)
_REQUIRED_SETTINGS = ("region", "serving_image", "artifact_bucket", "kms_key_arn", "job_role_arn")


def default_training_image(region: str, framework: str = "sklearn") -> str:
    """AWS's prebuilt framework image for ``framework`` in ``region`` (its registry account is per region):
    scikit-learn, or XGBoost (which carries scikit-learn too). PyTorch's training images are AWS's Deep
    Learning Containers, chosen per CUDA/CPU build and region: the project names one (``training_image``)."""
    if framework == "pytorch":
        raise ConfigError(
            "a pytorch project names its training image: give training_image (an AWS Deep Learning "
            "Containers pytorch-training image of the region, or your own built on it)"
        )
    if region not in prebuilt_images.REGISTRIES:
        raise ConfigError(
            f"no {framework} image registry known for region {shown(region)}: give training_image"
        )
    if framework == "xgboost":
        return prebuilt_images.xgboost_image(region, XGBOOST_VERSION)
    return prebuilt_images.sklearn_image(region, SKLEARN_VERSION)


def load_settings(project_dir: Path, values: Mapping[str, Any]) -> PipelineSettings:
    """The settings of the project in ``project_dir`` with the platform's ``values`` (``SETTING_FIELDS``;
    ``project`` defaults to the model card's ``model_details.name``). ConfigError lists every problem."""
    project_dir = Path(project_dir)
    unknown = sorted(set(values) - set(SETTING_FIELDS))
    if unknown:
        raise ConfigError(
            f"unknown pipeline settings: {', '.join(shown(k) for k in unknown)}; "
            f"the settings are {', '.join(SETTING_FIELDS)}"
        )
    config = load_config(project_dir / CONFIG_FILE)
    card = model_card.load_model_card(project_dir / CARD_FILE, "dev")
    given = {k: v for k, v in values.items() if v is not None and v != ""}
    project = given.pop("project", None) or str((card.get("model_details") or {}).get("name") or "")
    problems = [f"{name}: missing; give it" for name in _REQUIRED_SETTINGS if name not in given]
    raise_problems(problems, "the pipeline settings")
    for name in ("subnets", "security_groups"):
        given[name] = _names(given.get(name, ()), name)
    tags = given.pop("tags", {}) or {}
    if not isinstance(tags, Mapping):
        raise ConfigError("the pipeline settings: tags must be a mapping of key to value")
    fields: dict[str, Any] = {k: (v if isinstance(v, tuple) else str(v)) for k, v in given.items()}
    settings = PipelineSettings(
        project=project,
        config=config,
        card=card,
        tags={str(k): str(v) for k, v in tags.items()},
        **fields,
    )
    raise_problems(settings_problems(settings), "the pipeline settings")
    return settings


def _names(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"the pipeline settings: {name} must be a list of ids (or a comma-separated text)")


def settings_problems(settings: PipelineSettings) -> list[str]:
    """What is wrong with the platform's values (each named by its setting)."""
    checks: list[tuple[str, Any, re.Pattern[str], str]] = [
        ("project", settings.project, _PROJECT, "the project slug with - for _, e.g. churn-model"),
        ("region", settings.region, _REGION, "an AWS region, e.g. eu-west-1"),
        ("serving_image", settings.serving_image, _IMAGE, "an ECR image URI with a tag or digest"),
        ("artifact_bucket", settings.artifact_bucket, _BUCKET, "an S3 bucket name"),
        ("kms_key_arn", settings.kms_key_arn, _KMS_ARN, "a KMS key (or alias) ARN"),
        ("job_role_arn", settings.job_role_arn, _ROLE_ARN, "an IAM role ARN"),
        ("artifact_prefix", settings.prefix, _PREFIX, "an S3 key prefix"),
    ]
    if settings.training_image is not None:
        checks.append(("training_image", settings.training_image, _IMAGE, "an ECR image URI"))
    if settings.model_package_group is not None:
        checks.append(("model_package_group", settings.group, _PROJECT, "a model package group name"))
    problems = [
        f"{name}: {shown(value)} is not valid; write {what}"
        for name, value, pattern, what in checks
        if not isinstance(value, str) or not pattern.fullmatch(value)
    ]
    for name, ids, pattern in (
        ("subnets", settings.subnets, _SUBNET),
        ("security_groups", settings.security_groups, _GROUP),
    ):
        problems += [f"{name}: {shown(i)} is not a {name[:-1]} id" for i in ids if not pattern.fullmatch(i)]
    if bool(settings.subnets) != bool(settings.security_groups):
        problems.append("subnets and security_groups: give both (the jobs' VPC) or neither")
    for name, uri in (
        ("job_bundle_prefix", settings.bundle_uri),
        ("training_data", settings.training_data_uri),
    ):
        if not uri.startswith("s3://"):
            problems.append(f"{name}: {shown(uri)} is not an s3:// URI")
    if not re.fullmatch(r"ml\.[a-z0-9]+\.[a-z0-9]+", settings.instance_type):
        problems.append(f"instance_type: {shown(settings.instance_type)} is not an ml.<family>.<size> type")
    return problems


# -- pipeline.yaml -------------------------------------------------------------------------------------------
def load_config(path: Path) -> dict[str, Any]:
    """pipeline.yaml, checked, with the schema's defaults filled in; ConfigError lists every problem."""
    return validate_config(read_yaml(Path(path), "pipeline config"), source=Path(path))


def validate_config(document: Mapping[str, Any], *, source: Path | None = None) -> dict[str, Any]:
    schema = load_schema(SCHEMA)
    filled = with_defaults(schema, dict(document))
    problems, accepted = schema_problems(schema, filled)
    if accepted is not None:
        problems += list(_rules(accepted))
    raise_problems(problems, f"pipeline config {source}" if source else "the pipeline config")
    return filled


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rules(config: Mapping[str, Any]) -> Iterator[str]:
    """The rules across fields, on what the schema accepted (a rejected value is None here)."""
    tuning = config.get("tuning") or {}
    strategy = tuning.get("strategy")
    ranges = tuning.get("ranges") or {}
    for name, spec in ranges.items() if isinstance(ranges, Mapping) else ():
        if isinstance(spec, Mapping):
            yield from _range_problems(["tuning", "ranges", name], spec, strategy)
    jobs: Any = tuning.get("max_jobs")
    parallel: Any = tuning.get("max_parallel_jobs")
    if _number(jobs) and _number(parallel) and parallel > jobs and strategy != "Grid":
        yield (
            f"{at(['tuning', 'max_parallel_jobs'])}: {parallel} is more than max_jobs {jobs}; "
            "write at most max_jobs"
        )
    metrics = config.get("metrics") or list(DEFAULT_METRICS)
    names = [m.get("name") for m in metrics if isinstance(m, Mapping)]
    for index, entry in enumerate(metrics):
        regex = entry.get("regex") if isinstance(entry, Mapping) else None
        if isinstance(regex, str):
            try:
                if re.compile(regex).groups < 1:
                    yield f"{at(['metrics', index, 'regex'])}: has no group; put the value in (...)"
            except re.error as exc:
                yield f"{at(['metrics', index, 'regex'])}: not a regular expression ({exc})"
    duplicates = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
    if duplicates:
        yield f"{at(['metrics'])}: {', '.join(duplicates)} defined twice; define each metric once"
    objective = (config.get("objective") or {}).get("metric")
    if isinstance(objective, str) and objective not in names:
        yield (
            f"{at(['objective', 'metric'])}: {shown(objective)} is not a metric the training script's log is "
            f"read for; write one of {', '.join(str(n) for n in names)} (or define it under metrics)"
        )
    thresholds = config.get("thresholds")
    if isinstance(thresholds, Mapping):
        yield from threshold_name_problems(thresholds, "$.thresholds")


def _range_problems(path: list[str | int], spec: Mapping[str, Any], strategy: Any) -> Iterator[str]:
    kind = spec.get("type")
    if strategy == "Grid" and kind in ("Continuous", "Integer"):
        yield (
            f"{at(path)}: the Grid strategy searches Categorical ranges only (AWS), not {kind}; list the "
            "values to try as {type: Categorical, values: [...]}, or use the Bayesian or Random strategy"
        )
    if kind not in ("Continuous", "Integer"):
        return
    low: Any = spec.get("min")
    high: Any = spec.get("max")
    scaling = spec.get("scaling")
    if kind == "Integer":
        for bound, value in (("min", low), ("max", high)):
            if _number(value) and value != int(value):
                yield f"{at([*path, bound])}: {value} is not a whole number; an Integer range has whole ends"
    if not (_number(low) and _number(high)):
        return
    if low > high:
        yield f"{at(path)}: min {low} is greater than max {high}; write min <= max"
    elif low == high:
        yield (
            f"{at(path)}: min and max are both {low}, an empty range with nothing to tune; widen it, or "
            "leave the hyperparameter to the training script's default"
        )
    if scaling == "Logarithmic" and low <= 0:
        yield (
            f"{at([*path, 'min'])}: {low}: Logarithmic scaling needs a range above 0 (AWS); raise min, or "
            "use Linear"
        )
    if scaling == "ReverseLogarithmic":
        if kind == "Integer":
            yield f"{at([*path, 'scaling'])}: ReverseLogarithmic is for Continuous ranges only (AWS)"
        elif low < 0 or high >= 1:
            yield (
                f"{at(path)}: ReverseLogarithmic scaling needs 0 <= min < max < 1 (AWS); got {low} to {high}"
            )


def threshold_name_problems(
    thresholds: Mapping[str, Any], where: str, bias_where: str | None = None
) -> Iterator[str]:
    """Thresholds on metrics CrossValidate's evaluation.json does not hold."""
    bias_where = bias_where or f"{where}.bias"
    for name in thresholds:
        if name != "bias" and name not in EVALUATION_METRICS:
            yield (
                f"{where}.{name}: the evaluation does not produce {shown(name)}; threshold one of "
                f"{', '.join(EVALUATION_METRICS)}"
            )
    for name in thresholds.get("bias") or {}:
        if name not in BIAS_METRICS:
            yield (
                f"{bias_where}.{name}: {shown(name)} is not a Clarify bias metric the evaluation measures; "
                f"threshold one of {', '.join(BIAS_METRICS)}"
            )


# -- thresholds ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Threshold:
    """One condition family: ``metric`` at ``path`` of evaluation.json, ``kind`` min, max or max_abs."""

    metric: str
    kind: str
    value: float

    @property
    def path(self) -> str:
        return f"bias.{self.metric}" if self.kind == "max_abs" else f"metrics.{self.metric}.mean"

    def describe(self) -> str:
        if self.kind == "min":
            return f">= {self.value:g}"
        if self.kind == "max":
            return f"<= {self.value:g}"
        return f"{'|DI - 1|' if self.metric == 'DI' else '|value|'} <= {self.value:g}"


def thresholds(settings_config: Mapping[str, Any], card: Mapping[str, Any]) -> tuple[Threshold, ...]:
    """The evaluation's thresholds, per section from pipeline.yaml's ``thresholds``, else from the model card:
    quality from ``evaluation.metrics`` with a threshold (min for higher_is_better, max for lower_is_better),
    bias (``max_abs``) from ``monitoring.bias.thresholds``. ConfigError when there is none at all, or the card
    names a metric the evaluation does not produce."""
    written = settings_config.get("thresholds") or {}
    quality = {k: v for k, v in written.items() if k != "bias"}
    biased = dict(written.get("bias") or {})
    from_card: dict[str, Any] = {}
    if not quality:
        for entry in (card.get("evaluation") or {}).get("metrics") or []:
            if entry.get("threshold") is not None:
                kind = "min" if entry.get("direction") == "higher_is_better" else "max"
                quality[entry["name"]] = from_card[entry["name"]] = {kind: entry["threshold"]}
    if "bias" not in written:
        for name, limit in (
            ((card.get("monitoring") or {}).get("bias") or {}).get("thresholds") or {}
        ).items():
            biased[name] = {"max_abs": limit}
            from_card.setdefault("bias", {})[name] = biased[name]
    problems = threshold_name_problems(from_card, "$.evaluation.metrics", "$.monitoring.bias.thresholds")
    raise_problems(list(problems), "the model card's thresholds (pipeline.yaml leaves them to it)")
    out = [Threshold(name, *next(iter(rule.items()))) for name, rule in sorted(quality.items())]
    out += [Threshold(name, "max_abs", rule["max_abs"]) for name, rule in sorted(biased.items())]
    if not out:
        raise ConfigError(
            "no thresholds to judge the evaluation by: write thresholds in pipeline.yaml, or thresholds with "
            "a direction on the model card's evaluation.metrics"
        )
    return tuple(Threshold(t.metric, t.kind, float(t.value)) for t in out)


# -- expressions ---------------------------------------------------------------------------------------------
def get(path: str) -> dict[str, str]:
    return {"Get": path}


def join(*values: Any, on: str = "") -> dict[str, Any]:
    return {"Std:Join": {"On": on, "Values": list(values)}}


def json_get(path: str, step: str = CROSS_VALIDATE, property_file: str = PROPERTY_FILE) -> dict[str, Any]:
    return {"Std:JsonGet": {"PropertyFile": get(f"Steps.{step}.PropertyFiles.{property_file}"), "Path": path}}


def output_uri(step: str, output: str) -> dict[str, str]:
    return get(f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri")


BEST_JOB = get(f"Steps.{TUNE}.BestTrainingJob.TrainingJobName")


# -- the definition ------------------------------------------------------------------------------------------
def build_definition(settings: PipelineSettings) -> dict[str, Any]:
    """The pipeline definition (a JSON document) of ``settings``; see the module's docstring."""
    limits = thresholds(settings.config, settings.card)
    register = _register_step(settings)
    fail = {"Name": FAIL, "Type": "Fail", "Arguments": {"ErrorMessage": _failure_message(limits)}}
    check = {
        "Name": CHECK,
        "Type": "Condition",
        "Arguments": {
            "Conditions": [c for t in limits for c in _conditions(t)],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": VERSION,
        "Metadata": {},
        "Parameters": _parameters(settings),
        "PipelineExperimentConfig": {
            "ExperimentName": get("Execution.PipelineName"),
            "TrialName": get("Execution.PipelineExecutionId"),
        },
        "Steps": [_validate_step(settings), _tune_step(settings), _cross_validate_step(settings), check],
    }


def render(definition: Mapping[str, Any]) -> str:
    """The definition as the text Terraform and CreatePipeline get: sorted keys, a final newline."""
    return json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _parameters(settings: PipelineSettings) -> list[dict[str, Any]]:
    tuning = settings.config["tuning"]
    return [
        {"Name": TRAINING_DATA, "Type": "String", "DefaultValue": settings.training_data_uri},
        {"Name": SOURCE_CODE, "Type": "String", "DefaultValue": settings.source_uri},
        {"Name": BASELINE, "Type": "String", "DefaultValue": ""},
        {"Name": MAX_TRAINING_JOBS, "Type": "Integer", "DefaultValue": int(tuning["max_jobs"])},
        {"Name": INSTANCE_TYPE, "Type": "String", "DefaultValue": settings.instance_type},
    ]


def _vpc(settings: PipelineSettings) -> dict[str, Any] | None:
    if not settings.subnets:
        return None
    return {"SecurityGroupIds": sorted(settings.security_groups), "Subnets": sorted(settings.subnets)}


def _environment(settings: PipelineSettings) -> dict[str, str]:
    return {"AWS_DEFAULT_REGION": settings.region, "AWS_REGION": settings.region, "PYTHONUNBUFFERED": "TRUE"}


def _s3_input(name: str, uri: Any, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {
            "LocalPath": local,
            "S3DataDistributionType": "FullyReplicated",
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3Uri": uri,
        },
    }


def _s3_output(settings: PipelineSettings, step: str, name: str, local: str) -> dict[str, Any]:
    uri = join(settings.executions_uri, get("Execution.PipelineExecutionId"), f"/{step}/{name}")
    return {"OutputName": name, "S3Output": {"LocalPath": local, "S3UploadMode": "EndOfJob", "S3Uri": uri}}


def validate_arguments(settings: PipelineSettings) -> list[Any]:
    """``launchpad_pipeline_job.py``'s arguments in ValidateData (``--baseline`` "" means none)."""
    return jobs.validate_arguments(get(f"Parameters.{BASELINE}"))


def cross_validate_arguments(settings: PipelineSettings) -> list[Any]:
    """``launchpad_pipeline_job.py``'s arguments in CrossValidate."""
    return jobs.cross_validate_arguments(BEST_JOB, int(settings.config["cross_validation"]["folds"]))


def _processing(
    settings: PipelineSettings,
    arguments: list[Any],
    outputs: Sequence[tuple[str, str]],
    step: str,
    *,
    source: bool,
) -> dict[str, Any]:
    inputs = [
        _s3_input("code", settings.bundle_uri, CODE_DIR),
        _s3_input("data", get(f"Parameters.{TRAINING_DATA}"), DATA_DIR),
    ]
    if source:
        inputs.append(_s3_input("source", get(f"Parameters.{SOURCE_CODE}"), SOURCE_DIR))
    request: dict[str, Any] = {
        "AppSpecification": {
            "ContainerArguments": arguments,
            "ContainerEntrypoint": list(jobs.ENTRYPOINT),
            "ImageUri": settings.image if source else settings.processing_image,
        },
        "Environment": _environment(settings),
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {
            "KmsKeyId": settings.kms_key_arn,
            "Outputs": [_s3_output(settings, step, name, local) for name, local in outputs],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": get(f"Parameters.{INSTANCE_TYPE}"),
                "VolumeKmsKeyId": settings.kms_key_arn,
                "VolumeSizeInGB": VOLUME_GB,
            }
        },
        "RoleArn": settings.job_role_arn,
        "StoppingCondition": {"MaxRuntimeInSeconds": PROCESSING_RUNTIME},
    }
    vpc = _vpc(settings)
    if vpc is not None:
        request["NetworkConfig"] = {
            "EnableInterContainerTrafficEncryption": True,
            "EnableNetworkIsolation": False,
            "VpcConfig": vpc,
        }
    return request


def _validate_step(settings: PipelineSettings) -> dict[str, Any]:
    arguments = _processing(
        settings,
        validate_arguments(settings),
        (("report", REPORT_DIR), ("baseline", BASELINE_DIR)),
        "validate",
        source=False,
    )
    return {"Name": VALIDATE, "Type": "Processing", "Arguments": arguments}


def _cross_validate_step(settings: PipelineSettings) -> dict[str, Any]:
    arguments = _processing(
        settings,
        cross_validate_arguments(settings),
        (("evaluation", EVALUATION_DIR),),
        "cross-validate",
        source=True,
    )
    return {
        "Name": CROSS_VALIDATE,
        "Type": "Processing",
        "Arguments": arguments,
        "PropertyFiles": [
            {"FilePath": EVALUATION_FILE, "OutputName": "evaluation", "PropertyFileName": PROPERTY_FILE}
        ],
    }


def _ranges(ranges: Mapping[str, Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {
        "CategoricalParameterRanges": [],
        "ContinuousParameterRanges": [],
        "IntegerParameterRanges": [],
    }
    for name in sorted(ranges):
        spec = ranges[name]
        if spec["type"] == "Categorical":
            values = [_hyperparameter_text(v) for v in spec["values"]]
            out["CategoricalParameterRanges"].append({"Name": name, "Values": values})
            continue
        integer = spec["type"] == "Integer"
        low, high = (int(spec[b]) if integer else spec[b] for b in ("min", "max"))
        out[f"{spec['type']}ParameterRanges"].append(
            {
                "MaxValue": _hyperparameter_text(high),
                "MinValue": _hyperparameter_text(low),
                "Name": name,
                "ScalingType": spec.get("scaling", "Auto"),
            }
        )
    return out


def _hyperparameter_text(value: Any) -> str:
    """A hyperparameter value as the text SageMaker passes: true/false, integers without .0, floats repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e16 else repr(value)
    return str(value)


def _tune_step(settings: PipelineSettings) -> dict[str, Any]:
    config, tuning = settings.config, settings.config["tuning"]
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": int(tuning["max_parallel_jobs"])}
    if tuning["strategy"] != "Grid":  # Grid runs every combination: AWS takes no maximum then
        limits["MaxNumberOfTrainingJobs"] = get(f"Parameters.{MAX_TRAINING_JOBS}")
    job_config: dict[str, Any] = {
        "HyperParameterTuningJobObjective": {
            "MetricName": config["objective"]["metric"],
            "Type": config["objective"].get("type", "Maximize"),
        },
        "ParameterRanges": _ranges(tuning["ranges"]),
        "ResourceLimits": limits,
        "Strategy": tuning["strategy"],
        "TrainingJobEarlyStoppingType": tuning["early_stopping"],
    }
    if "random_seed" in tuning:
        job_config["RandomSeed"] = int(tuning["random_seed"])
    metrics = config.get("metrics") or list(DEFAULT_METRICS)
    definition: dict[str, Any] = {
        "AlgorithmSpecification": {
            "MetricDefinitions": [{"Name": m["name"], "Regex": m["regex"]} for m in metrics],
            "TrainingImage": settings.image,
            "TrainingInputMode": "File",
        },
        "EnableInterContainerTrafficEncryption": bool(settings.subnets),
        "EnableNetworkIsolation": False,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataDistributionType": "FullyReplicated",
                        "S3DataType": "S3Prefix",
                        "S3Uri": get(f"Parameters.{TRAINING_DATA}"),
                    }
                },
            }
        ],
        "OutputDataConfig": {"KmsKeyId": settings.kms_key_arn, "S3OutputPath": settings.models_uri()},
        "ResourceConfig": {
            "InstanceCount": 1,
            "InstanceType": get(f"Parameters.{INSTANCE_TYPE}"),
            "VolumeKmsKeyId": settings.kms_key_arn,
            "VolumeSizeInGB": VOLUME_GB,
        },
        "RoleArn": settings.job_role_arn,
        "StaticHyperParameters": {
            "sagemaker_container_log_level": "20",
            "sagemaker_program": config["entry_point"],
            "sagemaker_region": settings.region,
            "sagemaker_submit_directory": get(f"Parameters.{SOURCE_CODE}"),
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": int(tuning["max_runtime_seconds"])},
    }
    vpc = _vpc(settings)
    if vpc is not None:
        definition["VpcConfig"] = vpc
    return {
        "Name": TUNE,
        "Type": "Tuning",
        "DependsOn": [VALIDATE],
        "Arguments": {"HyperParameterTuningJobConfig": job_config, "TrainingJobDefinition": definition},
    }


def _conditions(threshold: Threshold) -> list[dict[str, Any]]:
    value = json_get(threshold.path)
    kind = "GreaterThanOrEqualTo" if threshold.kind == "min" else "LessThanOrEqualTo"
    # A bias value is already the deviation from parity (|value|, |DI - 1|): at most max_abs.
    return [{"Type": kind, "LeftValue": value, "RightValue": threshold.value}]


def _failure_message(limits: Sequence[Threshold]) -> dict[str, Any]:
    values: list[Any] = ["the evaluation of ", BEST_JOB, " misses a threshold:"]
    for index, threshold in enumerate(limits):
        values += [
            f"{';' if index else ''} {threshold.metric} ",
            json_get(threshold.path),
            f" (needs {threshold.describe()})",
        ]
    return join(*values)


def _document(step: str, output: str, name: str) -> dict[str, Any]:
    return {"ContentType": "application/json", "S3Uri": join(output_uri(step, output), f"/{name}")}


def _register_step(settings: PipelineSettings) -> dict[str, Any]:
    model_data = settings.models_uri("/", BEST_JOB, "/output/model.tar.gz")
    arguments: dict[str, Any] = {
        "CustomerMetadataProperties": {
            "launchpad:best-training-job": BEST_JOB,
            "launchpad:pipeline-execution": get("Execution.PipelineExecutionArn"),
            "launchpad:project": settings.project,
        },
        "DriftCheckBaselines": {
            "ModelDataQuality": {
                "Constraints": _document(VALIDATE, "baseline", "constraints.json"),
                "Statistics": _document(VALIDATE, "baseline", "statistics.json"),
            }
        },
        "InferenceSpecification": {
            "Containers": [{"Image": settings.serving_image, "ModelDataUrl": model_data}],
            "SupportedContentTypes": ["application/json", "text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": sorted(
                {settings.instance_type, DEFAULT_INSTANCE_TYPE}
            ),
            "SupportedResponseMIMETypes": ["application/json"],
        },
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelCard": {"ModelCardContent": model_package_card(settings.card), "ModelCardStatus": "Draft"},
        "ModelMetrics": {
            "ModelQuality": {"Statistics": _document(CROSS_VALIDATE, "evaluation", EVALUATION_FILE)},
        },
        "ModelPackageDescription": _text(
            f"{settings.project} trained by pipeline {settings.pipeline_name}: "
            f"{(settings.card.get('model_details') or {}).get('description') or ''}",
            1024,
        ).strip(),
        "ModelPackageGroupName": settings.group,
    }
    if has_facets(settings):  # the jobs write Clarify's analyses of the facets
        arguments["ModelMetrics"]["Bias"] = {
            "PostTrainingReport": _document(CROSS_VALIDATE, "evaluation", jobs.BIAS_FILE),
            "PreTrainingReport": _document(VALIDATE, "baseline", jobs.PRE_TRAINING_FILE),
        }
    return {"Name": REGISTER, "Type": "RegisterModel", "Arguments": arguments}


def has_facets(settings: PipelineSettings) -> bool:
    """Whether the project names sensitive groups: pipeline.yaml's validation.facets, else the card's."""
    section = settings.config.get("validation") or {}
    if "facets" in section:
        return bool(section["facets"])
    return bool(bias_metrics.facets_from_card(settings.card))


# -- the model card, in SageMaker's model package model card schema -----------------------------------------
_RISK = {"high": "High", "limited": "Medium", "minimal": "Low"}


def _text(value: Any, limit: int = CARD_TEXT_LIMIT) -> str:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def model_package_card(card: Mapping[str, Any]) -> str:
    """The project's model card as a CreateModelPackage ``ModelCard.ModelCardContent``: SageMaker's model
    package model card schema (``intended_uses``, ``business_details``, ``evaluation_details``,
    ``additional_information``), JSON with sorted keys."""
    details = card.get("model_details") or {}
    uses = card.get("intended_use") or {}
    risk = card.get("risk") or {}
    evaluation = card.get("evaluation") or {}
    content: dict[str, Any] = {
        "intended_uses": {
            "purpose_of_model": _text(details.get("description")),
            "intended_uses": _text(uses.get("primary_uses")),
            "factors_affecting_model_efficiency": _text(card.get("limitations")),
            "risk_rating": _RISK.get(str(risk.get("classification")), "Unknown"),
            "explanations_for_risk_rating": _text(risk.get("rationale")),
        },
        "business_details": {
            "business_problem": _text(details.get("description")),
            "business_stakeholders": _text([o.get("name") for o in details.get("owners") or []]),
            "line_of_business": _text(uses.get("primary_users")),
        },
        "additional_information": {
            "ethical_considerations": _text(
                [f"{e.get('risk')}: {e.get('mitigation')}" for e in card.get("ethical_considerations") or []]
            ),
            "caveats_and_recommendations": _text(uses.get("out_of_scope_uses")),
            "custom_details": {
                key: _text(value, 1024)
                for key, value in (
                    ("launchpad_model_name", details.get("name")),
                    ("launchpad_model_version", details.get("version")),
                    ("architecture", details.get("architecture")),
                    ("data_classification", (card.get("training_data") or {}).get("data_classification")),
                    ("risk_classification", risk.get("classification")),
                )
                if value
            },
        },
    }
    content = _without_empty(content)
    metrics = [m for m in evaluation.get("metrics") or [] if isinstance(m.get("value"), int | float)]
    if metrics:
        datasets = [d.get("name") for d in evaluation.get("datasets") or [] if d.get("name")]
        content["evaluation_details"] = [
            {
                "name": "model card evaluation",
                "datasets": datasets[:10],
                "metric_groups": [
                    {
                        "name": "metrics",
                        "metric_data": [
                            {"name": str(m["name"]), "type": "number", "value": m["value"]} for m in metrics
                        ],
                    }
                ],
            }
        ]
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


def _without_empty(value: Any) -> Any:
    """``value`` without empty texts and mappings (the card's schema takes no empty field)."""
    if isinstance(value, Mapping):
        kept = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", {}, None)}
    return value
