"""The CrossValidate step: k-fold cross-validation of the tuner's best candidate with the project's own code.

1. The candidate's hyperparameters: ``DescribeTrainingJob`` of the best training job (as the job's role),
   every hyperparameter but SageMaker's (``sagemaker_*``) and the tuner's (``_tuning_objective_metric``).
2. The project's code: its ``sourcedir.tar.gz`` (the SourceCode input, what script mode runs) unpacked into
   a folder of the job's own; its root ``train_job.py`` names the package's training module, which
   provides (``<package>.train_job``)::

       fit(x, y, hyperparameters: Mapping[str, str], seed: int) -> model
       predict_proba(model, x) -> probabilities of label 1
       SEED: int

3. The training data (validation.read_csv: the same reader ValidateData uses), rows with a missing feature
   or label left out (as the training job does), split into k stratified folds by ``cross_validation.seed``
   (default: the project's ``SEED``); each
   fold is predicted by a model fit on the others (the out-of-fold predictions).
4. ``evaluation.json``: each metric's mean, standard deviation and per-fold values (``auc``, ``brier_score``,
   ``accuracy`` at the project's probability threshold), ``bias`` (per Clarify metric, the largest deviation
   from parity over the facets' groups: ``|value|``, ``|DI - 1|`` for DI, as Clarify's thresholds judge it),
   the best training job and its hyperparameters; ``bias.json``: Clarify's analysis.json of the
   out-of-fold predictions (pre- and post-training metrics of the project's facets).

Standard library, numpy and scipy only (the project's code brings its framework), Python 3.9 syntax: this
module runs inside a SageMaker Processing job on AWS's scikit-learn image.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import sys
import tarfile
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from launchpad.monitor import bias, outcomes, profile, quality

from . import validation

LOG = logging.getLogger(__name__)
ENTRY = "train_job"  # the root module of sourcedir.tar.gz (script mode's sagemaker_program, train_job.py)
MIN_FOLDS, MAX_FOLDS = 2, 20
EVALUATION, BIAS = "evaluation.json", "bias.json"
METRICS = ("auc", "brier_score", "accuracy")  # what evaluation.json's metrics hold: a fold's metrics()


class CrossValidationError(ValueError):
    """A run that cannot go on; the message says why."""


def hyperparameters(described: Mapping[str, Any]) -> dict[str, str]:
    """The tuned (and static) hyperparameters of a DescribeTrainingJob answer, without SageMaker's and the
    tuner's own."""
    given = described.get("HyperParameters") or {}
    return {str(k): str(v) for k, v in sorted(given.items()) if not str(k).startswith(("sagemaker_", "_"))}


def unpack_source(archive: str, folder: str) -> str:
    """Unpack sourcedir.tar.gz into ``folder`` (refusing a member that would land outside it); ``folder``."""
    root = os.path.realpath(folder)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                target = os.path.realpath(os.path.join(root, member.name))
                inside = target == root or target.startswith(root + os.sep)
                if not inside or member.issym() or member.islnk():
                    raise CrossValidationError(
                        f"{os.path.basename(archive)}: member {member.name!r} is a link or lies outside the "
                        f"archive's folder; build the source with launchpad pipeline (build_sourcedir)"
                    )
                if not (member.isfile() or member.isdir()):
                    raise CrossValidationError(
                        f"{os.path.basename(archive)}: member {member.name!r} is not a file or folder"
                    )
            if hasattr(tarfile, "data_filter"):  # Python >= 3.9.17: the safe filter as well
                tar.extractall(root, members=members, filter="data")
            else:
                tar.extractall(root, members=members)
    except (tarfile.TarError, OSError) as exc:
        raise CrossValidationError(f"{os.path.basename(archive)} is not a readable tar.gz: {exc}") from None
    if not os.path.isfile(os.path.join(root, ENTRY + ".py")):
        raise CrossValidationError(
            f"{os.path.basename(archive)} has no {ENTRY}.py at its root: it is not the project's sourcedir"
        )
    return root


def load_project(folder: str) -> ModuleType:
    """The project's training module, named by the root ``train_job.py`` of its unpacked source."""
    sys.path.insert(0, folder)
    try:
        entry = importlib.import_module(ENTRY)
        main = getattr(entry, "main", None)
        if main is None:
            raise CrossValidationError(f"{ENTRY}.py of the source has no main: it names no training module")
        module = sys.modules[main.__module__]
    except ImportError as exc:
        raise CrossValidationError(f"the project's code does not import here: {exc}") from None
    missing = [name for name in ("fit", "predict_proba", "SEED") if not hasattr(module, name)]
    if missing:
        raise CrossValidationError(
            f"{module.__name__} has no {', '.join(missing)}, which cross-validation calls"
        )
    return module


def matrix(data: validation.Data, config: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features in the declared order, 0/1 labels, the rows kept: those with every feature and the label)."""
    names = [name for name, _ in validation.features_of(config)]
    features = np.empty((data.rows, len(names)))
    for index, name in enumerate(names):
        features[:, index] = profile.numeric_values(data.columns[name])[0]
    labels = np.array([validation.label_number(v) for v in data.columns[config["label"]]], dtype=np.float64)
    kept = np.isfinite(features).all(axis=1) & np.isfinite(labels)
    return features[kept], labels[kept].astype(np.int64), np.flatnonzero(kept)


def stratified_folds(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The fold (0 to k-1) of each row: each class shuffled by ``seed`` and dealt round the folds."""
    if not MIN_FOLDS <= k <= MAX_FOLDS:
        raise CrossValidationError(f"--folds {k}: use {MIN_FOLDS} to {MAX_FOLDS}")
    smallest = min(int(np.sum(labels == c)) for c in (0, 1))
    if smallest < k:
        raise CrossValidationError(
            f"{k} folds need at least {k} rows of each class; the smaller class has {smallest}"
        )
    rng = np.random.default_rng(seed)
    folds = np.empty(labels.size, dtype=np.int64)
    offset = 0
    for c in (0, 1):
        rows = rng.permutation(np.flatnonzero(labels == c))
        folds[rows] = (np.arange(rows.size) + offset) % k
        offset += rows.size
    return folds


def out_of_fold(
    module: ModuleType, x: np.ndarray, y: np.ndarray, folds: np.ndarray, given: Mapping[str, str]
) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Out-of-fold probabilities, and each fold's metrics."""
    predictions = np.full(y.size, np.nan)
    per_fold = []
    threshold = float(getattr(module, "THRESHOLD", 0.5))
    for fold in range(int(folds.max()) + 1):
        held = folds == fold
        model = module.fit(x[~held], y[~held], dict(given), int(module.SEED))
        scores = np.asarray(module.predict_proba(model, x[held]), dtype=np.float64).ravel()
        if scores.shape != (int(held.sum()),) or not np.all(np.isfinite(scores)):
            raise CrossValidationError(
                f"fold {fold + 1}: predict_proba gave {scores.shape[0]} values for {int(held.sum())} "
                "rows, or values that are not finite"
            )
        predictions[held] = scores
        per_fold.append(metrics(scores, y[held], threshold))
        LOG.info("fold %d of %d: %s", fold + 1, int(folds.max()) + 1, per_fold[-1])
    return predictions, per_fold


def metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Each of ``METRICS`` for one fold's out-of-fold scores."""
    measured = {
        "auc": quality.roc_auc(scores, labels),
        "brier_score": quality.brier_score(scores, labels),
        "accuracy": float(np.mean((scores >= threshold) == labels.astype(bool))),
    }
    return {name: measured[name] for name in METRICS}


def summary(per_fold: Sequence[Mapping[str, float]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in per_fold[0]:
        values = [round(float(f[name]), 6) for f in per_fold]
        out[name] = {
            "mean": round(float(np.mean(values)), 6),
            "std": round(float(np.std(values)), 6),
            "folds": values,
        }
    return out


def worst_bias(analysis: Mapping[str, Any]) -> dict[str, float | None]:
    """Per metric, the largest deviation from parity over every facet group (what Clarify's thresholds
    judge: |value|, |DI - 1| for DI); None when the metric is undefined in every group."""
    out: dict[str, float | None] = {}
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for groups in (analysis.get(stage) or {}).get("facets", {}).values():
            for group in groups:
                for metric in group["metrics"]:
                    name, value = metric["name"], metric.get("value")
                    deviation = None if value is None else abs(value - 1.0 if name == "DI" else value)
                    if deviation is not None and not math.isfinite(deviation):
                        deviation = None
                    known = out.get(name)
                    if deviation is not None and (known is None or deviation > known):
                        out[name] = round(deviation, 6)
                    else:
                        out.setdefault(name, known)
    return out


def post_training_bias(
    data: validation.Data,
    config: Mapping[str, Any],
    kept: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    predictions: np.ndarray,
) -> dict[str, Any]:
    """Clarify's analysis.json of the out-of-fold predictions of the kept rows (an error the metrics
    cannot be computed for is reported in it, ``launchpad.error``)."""
    if not config.get("facets"):
        return {"version": "1.0", "launchpad": {"error": "the project names no facet (validation.facets)"}}
    columns: dict[str, Any] = {config["label"]: y.tolist(), outcomes.PREDICTION: predictions.tolist()}
    for name in validation.facet_columns(config):
        values = data.columns[name]
        columns[name] = [values[i] for i in kept]
    for index, (name, _) in enumerate(validation.features_of(config)):
        if name not in columns:
            columns[name] = x[:, index].tolist()
    cfg = validation.bias_config(config, pre=True, post=True)
    try:
        return bias.analysis(columns, cfg, config.get("bias_thresholds") or {})
    except bias.BiasError as exc:
        LOG.warning("post-training bias: %s", exc)
        return {"version": "1.0", "launchpad": {"error": str(exc)}}


def cross_validate(
    module: ModuleType,
    data: validation.Data,
    config: Mapping[str, Any],
    *,
    folds: int,
    best_training_job: str,
    given: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(evaluation.json, bias.json) of the candidate ``given`` (its hyperparameters)."""
    x, y, kept = matrix(data, config)
    if kept.size < data.rows:
        LOG.info("%d of %d rows have a missing feature or label; left out", data.rows - kept.size, data.rows)
    seed = int(config["seed"] if config.get("seed") is not None else module.SEED)
    assignment = stratified_folds(y, folds, seed)
    try:
        predictions, per_fold = out_of_fold(module, x, y, assignment, given)
    except quality.QualityError as exc:
        raise CrossValidationError(f"a fold's metrics cannot be computed: {exc}") from None
    except (TypeError, ValueError) as exc:  # the project's fit refusing a hyperparameter or the data
        if isinstance(exc, CrossValidationError):
            raise
        raise CrossValidationError(f"the project's fit failed: {exc}") from None
    analysis = post_training_bias(data, config, kept, x, y, predictions)
    evaluation = {
        "version": 1,
        "metrics": summary(per_fold),
        "bias": {k: v for k, v in worst_bias(analysis).items() if v is not None},
        "bias_error": (analysis.get("launchpad") or {}).get("error"),
        "best_training_job": best_training_job,
        "hyperparameters": dict(given),
        "folds": folds,
        "rows": int(kept.size),
        "seed": seed,
    }
    return evaluation, analysis
