"""The code the training pipeline's Processing steps run, and the project declarations it reads.

ValidateData and CrossValidate run on AWS's prebuilt scikit-learn image (Python 3.9) with this bundle as
their code input (``/opt/ml/processing/input/code``, uploaded under
``s3://<artifact bucket>/<project>/pipeline/code/launchpad/``)::

    launchpad_pipeline_job.py            the entry point (launchpad.pipeline.entry.main)
    launchpad_pipeline/                  entry.py, validation.py, crossval.py
    launchpad_pipeline/project.json      the project's declarations (project_config), with a project
    launchpad_monitor/                   launchpad.monitor's computing modules (profile, drift, bias, ...):
                                         one implementation of the baseline, drift and bias, shared with
                                         the drift job (launchpad.monitor.commands.JOB_MODULES)

Container arguments (``ContainerEntrypoint`` ``["python3", "/opt/ml/processing/input/code/
launchpad_pipeline_job.py"]``; :func:`validate_arguments`, :func:`cross_validate_arguments`)::

    validate --root /opt/ml --baseline <Baseline parameter: s3:// prefix, or "" for none>
    cross-validate --root /opt/ml --best-training-job <Steps.Tune.BestTrainingJob.TrainingJobName>
        --folds <cross_validation.folds>

Inputs and outputs by local path: :data:`INPUTS`, :data:`OUTPUTS` (docstring of launchpad.pipeline.entry).

The project's declarations come from its ``pipeline.yaml`` (the contract's shape, plus ``validation``)::

    label: churned
    validation:
      features:                 # the columns the model reads, in its order: Integral | Fractional | String
        tenure_years: Fractional
      max_missing: 0.05         # a larger share of empty cells in a feature or the label fails ValidateData
      facets:                   # sensitive groups for pre- and post-training bias (columns of the CSV);
        - attribute: segment    # default: the model card's monitoring.bias.facets
          values: [b]
    cross_validation: {folds: 5}
    thresholds: {bias: {DPPL: {max_abs: 0.2}}}   # default: the model card's monitoring.bias.thresholds

and its ``model_card.yaml`` (the version, the drift rule, the quality thresholds of checks.json).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from launchpad.deploy.schema_errors import read_yaml
from launchpad.errors import ConfigError

ENTRY_POINT = "launchpad_pipeline_job.py"
JOB_PACKAGE = "launchpad_pipeline"
MONITOR_PACKAGE = "launchpad_monitor"
JOB_MODULES = ("entry.py", "validation.py", "crossval.py")
CONFIG_FILE = "project.json"
PIPELINE_FILE = "pipeline.yaml"
CARD_FILE = "model_card.yaml"
ROOT = "/opt/ml"
CODE_DIR = f"{ROOT}/processing/input/code"
ENTRYPOINT = ["python3", f"{CODE_DIR}/{ENTRY_POINT}"]
INPUTS = {
    "code": CODE_DIR,  # this bundle
    "data": f"{ROOT}/processing/input/data",  # TrainingData: CSV files with a header
    "source": f"{ROOT}/processing/input/source",  # SourceCode: sourcedir.tar.gz (CrossValidate)
}
OUTPUTS = {
    "report": f"{ROOT}/processing/output/report",  # report.json (ValidateData)
    "baseline": f"{ROOT}/processing/output/baseline",  # statistics/constraints/checks/analysis.json
    "evaluation": f"{ROOT}/processing/output/evaluation",  # evaluation.json, bias.json (CrossValidate)
}
REPORT_FILE, EVALUATION_FILE, BIAS_FILE = "report.json", "evaluation.json", "bias.json"
PRE_TRAINING_FILE = "analysis.json"  # in the baseline output: Clarify's pre-training bias of the data
DEFAULT_MAX_MISSING = 0.05
DEFAULT_FOLDS = 5
TYPES = ("Integral", "Fractional", "String")
ENTRY_SOURCE = f'''"""launchpad's training pipeline jobs: a SageMaker Processing job's entry point."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from {JOB_PACKAGE}.entry import main  # noqa: E402

sys.exit(main(entry=__file__))
'''
# In the bundle, launchpad.monitor's modules are the package launchpad_monitor.
_IMPORT = ("from launchpad.monitor import", f"from {MONITOR_PACKAGE} import")


def validate_arguments(baseline: Any) -> list[Any]:
    """ValidateData's ContainerArguments; ``baseline`` the Baseline parameter (a pipeline expression)."""
    return ["validate", "--root", ROOT, "--baseline", baseline]


def cross_validate_arguments(best_training_job: Any, folds: int) -> list[Any]:
    """CrossValidate's ContainerArguments; ``best_training_job`` the tuning step's best job's name."""
    return [
        "cross-validate",
        "--root",
        ROOT,
        "--best-training-job",
        best_training_job,
        "--folds",
        str(folds),
    ]


def job_bundle(project_dir: Path | None = None) -> dict[str, bytes]:
    """The files of the Processing jobs' code input; with ``project_dir``, its declarations too
    (project.json, which the jobs need: :func:`project_config`)."""
    from launchpad.monitor import commands as monitor  # needs numpy: imported when a bundle is made

    prefix = monitor.JOB_PACKAGE + "/"
    files = {
        MONITOR_PACKAGE + "/" + name.removeprefix(prefix): body
        for name, body in monitor.job_bundle().items()
        if name.startswith(prefix)
    }
    package = resources.files("launchpad.pipeline")
    files[f"{JOB_PACKAGE}/__init__.py"] = b'"""launchpad\'s training pipeline jobs (launchpad.pipeline)."""\n'
    for name in JOB_MODULES:
        text = package.joinpath(name).read_text(encoding="utf-8")
        files[f"{JOB_PACKAGE}/{name}"] = text.replace(*_IMPORT).encode()
    files[ENTRY_POINT] = ENTRY_SOURCE.encode()
    if project_dir is not None:
        config = project_config(project_dir)
        files[f"{JOB_PACKAGE}/{CONFIG_FILE}"] = (json.dumps(config, indent=1, sort_keys=True) + "\n").encode()
    return dict(sorted(files.items()))


# -- the project's declarations ------------------------------------------------------------------------------
def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number, not {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{where} is {value}; use {low:g} to {high:g}")
    return float(value)


def _features(section: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(section, Mapping) or not section:
        raise ConfigError(
            f"{where} must map each feature column (in the model's order) to its type: {', '.join(TYPES)}"
        )
    out = []
    for name, kind in section.items():
        if kind not in TYPES:
            raise ConfigError(f"{where}.{name} is {kind!r}; use one of {', '.join(TYPES)}")
        out.append({"name": str(name), "type": str(kind)})
    return out


def _facets(entries: Any, where: str) -> list[dict[str, Any]]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ConfigError(f"{where} must be a list of {{attribute, values}}")
    out = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("attribute"), str):
            raise ConfigError(f"{where}: {entry!r} has no attribute (the column of the sensitive group)")
        facet: dict[str, Any] = {"name_or_index": entry["attribute"]}
        if entry.get("values") is not None:
            if not isinstance(entry["values"], list) or not entry["values"]:
                raise ConfigError(f"{where}: the values of {entry['attribute']} must be a non-empty list")
            facet["value_or_threshold"] = list(entry["values"])
        out.append(facet)
    return out


def _bias_thresholds(section: Any, card: Mapping[str, Any]) -> dict[str, float]:
    from launchpad.monitor import bias

    if section is None:
        try:
            return bias.thresholds_from_card(card)
        except bias.BiasError as exc:
            raise ConfigError(f"{CARD_FILE}: {exc}") from None
    if not isinstance(section, Mapping):
        raise ConfigError(
            f"{PIPELINE_FILE} thresholds.bias must map Clarify metrics to {{max_abs: <number>}}"
        )
    out = {}
    for name, rule in section.items():
        if name not in bias.METRICS:
            raise ConfigError(f"{PIPELINE_FILE} thresholds.bias.{name} is not a Clarify bias metric")
        if not isinstance(rule, Mapping) or set(rule) != {"max_abs"}:
            raise ConfigError(f"{PIPELINE_FILE} thresholds.bias.{name} must be {{max_abs: <number>}}")
        out[str(name)] = _number(rule["max_abs"], f"{PIPELINE_FILE} thresholds.bias.{name}.max_abs", 0, 1e9)
    return out


def project_config(project_dir: Path) -> dict[str, Any]:
    """project.json: what the jobs read of the project's pipeline.yaml and model card (ConfigError naming the
    field when one is missing or wrong)."""
    from launchpad.monitor import bias, outcomes, quality

    pipeline = read_yaml(project_dir / PIPELINE_FILE, "pipeline config")
    card_path = project_dir / CARD_FILE
    card = read_yaml(card_path, "model card") if card_path.exists() else {}
    label = pipeline.get("label")
    if not isinstance(label, str) or not label:
        raise ConfigError(f"{PIPELINE_FILE} has no label: name the label column of the training CSV")
    section = pipeline.get("validation") or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"{PIPELINE_FILE} validation must be a mapping")
    features = _features(section.get("features"), f"{PIPELINE_FILE} validation.features")
    if label in {f["name"] for f in features}:
        raise ConfigError(f"{PIPELINE_FILE}: the label {label} is listed among the features")
    max_missing = _number(
        section.get("max_missing", DEFAULT_MAX_MISSING), f"{PIPELINE_FILE} validation.max_missing", 0, 1
    )
    where = f"{PIPELINE_FILE} validation.facets"
    facets = (
        _facets(section["facets"], where)
        if "facets" in section
        else [
            {"name_or_index": f.name_or_index}
            | ({} if f.value_or_threshold is None else {"value_or_threshold": list(f.value_or_threshold)})
            for f in bias.facets_from_card(card)
        ]
    )
    thresholds = _bias_thresholds((pipeline.get("thresholds") or {}).get("bias"), card)
    if thresholds and not facets:
        raise ConfigError(
            f"{PIPELINE_FILE} sets bias thresholds ({', '.join(thresholds)}) but names no facet: list the "
            "sensitive groups in validation.facets (or the model card's monitoring.bias.facets)"
        )
    folding = pipeline.get("cross_validation") or {}
    folds, seed = folding.get("folds", DEFAULT_FOLDS), folding.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"{PIPELINE_FILE} cross_validation.seed is {seed!r}; use a whole number from 0")
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= 20:
        raise ConfigError(f"{PIPELINE_FILE} cross_validation.folds is {folds!r}; use a whole number 2 to 20")
    version = str((card.get("model_details") or {}).get("version") or "") or None
    drift = (card.get("monitoring") or {}).get("drift") or {}
    rule = (
        {"statistic": drift["statistic"], "threshold": drift.get("threshold")}
        if drift.get("statistic")
        else {}
    )
    try:
        checks = outcomes.checks_document(card, model_version=version) if card else None
    except (outcomes.ChecksError, quality.QualityError, bias.BiasError) as exc:
        raise ConfigError(f"{CARD_FILE}: {exc}") from None
    return {
        "version": 1,
        "label": label,
        "label_values": [1],
        "features": features,
        "max_missing": max_missing,
        "facets": facets,
        "bias_thresholds": thresholds,
        "folds": folds,
        "seed": seed,
        "model_version": version,
        "drift": rule,
        "checks": checks,
    }
