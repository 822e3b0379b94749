"""The training job SageMaker runs in script mode: the training pipeline's tuner starts one per candidate.

SageMaker unpacks the project's sourcedir.tar.gz (``launchpad pipeline`` builds it: this package and a root
``train_job.py`` that calls :func:`main`) into ``/opt/ml/code`` and runs
``python train_job.py --<hyperparameter> <value> ...`` there. This job:

- reads every ``*.csv`` file of the ``train`` channel (``SM_CHANNEL_TRAIN``): a header row with the features
  of ``columns.FEATURE_NAMES`` and the label ``columns.LABEL`` (other columns are ignored); rows with a
  missing feature or label are left out;
- holds out ``VALIDATION_SHARE`` of the rows (stratified, by ``--seed``, default ``data.SEED``), trains on the
  rest with the hyperparameters (the framework module's ``HYPERPARAMETERS``: train's keywords);
- prints ``epoch=<n> validation:auc=<v> train:auc=<v>`` every ``EVERY`` {{ 'epochs' if cookiecutter.framework == 'pytorch' else 'boosting stages' }} and the last, then
  ``final validation:auc=<v>``: the metrics the tuner reads from the log (``validation:auc=([0-9.]+)``);
- saves the model in the serving layout (``{{ cookiecutter.__model_module }}.save``) into ``SM_MODEL_DIR``.

Bad input (no CSV file, a missing column, a value that is not a number, a label other than 0 and 1, an
unknown hyperparameter), or no metric that can be computed, writes the reason to ``failure`` in
``SM_OUTPUT_DIR`` (SageMaker's FailureReason) and exits 1.

The cross-validation step of the pipeline calls :func:`fit` and :func:`predict_proba` on each fold. Numpy and
the framework only (no launchpad-serving), Python 3.9 syntax: it runs on SageMaker's training images.
"""

from __future__ import annotations

import csv
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from {{ cookiecutter.project_slug }} import {{ cookiecutter.__model_module }} as framework
from {{ cookiecutter.project_slug }}.columns import FEATURE_NAMES, LABEL
from {{ cookiecutter.project_slug }}.columns import THRESHOLD as THRESHOLD  # cross-validation's accuracy
from {{ cookiecutter.project_slug }}.data import SEED
from {{ cookiecutter.project_slug }}.evaluation import auc

VALIDATION_SHARE = 0.2
EVERY = 10  # a metric line every EVERY {{ 'epochs' if cookiecutter.framework == 'pytorch' else 'stages' }} and the last: the log stays small
HYPERPARAMETERS: Mapping[str, type] = framework.HYPERPARAMETERS
predict_proba = framework.predict_proba


class BadInput(ValueError):
    """Input the job cannot train on; the message is the job's FailureReason."""


def read_training_data(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(features in FEATURE_NAMES order, 0/1 labels) of every CSV file under ``folder``."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(".csv"))
    if not files:
        raise BadInput(f"no CSV file in the train channel ({folder}): give CSV files with a header")
    rows: list[list[float]] = []
    wanted = [*FEATURE_NAMES, LABEL]
    skipped = 0
    for path in files:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            absent = [name for name in wanted if name not in header]
            if absent:
                raise BadInput(f"{path.name} has no column {', '.join(absent)}; it needs {', '.join(wanted)}")
            index = [header.index(name) for name in wanted]
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    where = f"{path.name} line {reader.line_num}"
                    raise BadInput(f"{where}: {len(row)} cells, the header has {len(header)}")
                cells = [row[i].strip() for i in index]
                if any(cell == "" for cell in cells):
                    skipped += 1
                    continue
                try:
                    values = [float(cell) for cell in cells]
                except ValueError:
                    raise BadInput(f"{path.name} line {reader.line_num}: a value is not a number") from None
                if not all(math.isfinite(v) for v in values):
                    raise BadInput(f"{path.name} line {reader.line_num}: a value is not a finite number")
                if values[-1] not in (0.0, 1.0):
                    raise BadInput(f"{path.name} line {reader.line_num}: the label {LABEL} is not 0 or 1")
                rows.append(values)
    if skipped:
        print(f"left out {skipped} rows with a missing value", file=sys.stderr)
    if not rows:
        raise BadInput(f"the train channel's {len(files)} CSV files hold no complete row")
    table = np.asarray(rows, dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(np.int64)


def hyperparameters(given: Mapping[str, str]) -> dict[str, Any]:
    """The hyperparameters as train's keywords, typed (BadInput naming one the model does not take)."""
    out: dict[str, Any] = {}
    for name, text in given.items():
        kind = HYPERPARAMETERS.get(name)
        if kind is None:
            known = ", ".join(sorted(HYPERPARAMETERS))
            raise BadInput(f"unknown hyperparameter {name}; this model takes {known}")
        try:
            number = float(text)
        except ValueError:
            raise BadInput(f"hyperparameter {name} is {text!r}, not a number") from None
        if kind is int and number != int(number):
            raise BadInput(f"hyperparameter {name} is {text!r}, not a whole number")
        out[name] = int(number) if kind is int else number
    return out


def fit(x: np.ndarray, y: np.ndarray, given: Mapping[str, str], seed: int = SEED) -> framework.Model:
    """The model trained on (x, y) with the hyperparameters given as text (what cross-validation calls)."""
    return framework.train(x, y, seed, **hyperparameters(given))


def split(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A mask of the validation rows: ``share`` of each class, chosen by ``seed``."""
    rng = np.random.default_rng(seed)
    held = np.zeros(y.size, dtype=bool)
    for label in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == label))
        held[rows[: round(rows.size * share)]] = True
    return held


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    try:
        value = auc(labels, scores)
    except ValueError:  # one class only
        return None
    return value if math.isfinite(value) else None


def _line(stage: int, validation: float | None, training: float | None) -> float | None:
    if validation is not None:
        shown = f" train:auc={training:.6f}" if training is not None else ""
        print(f"epoch={stage} validation:auc={validation:.6f}{shown}", flush=True)
    return validation


def train_and_report(
    x: np.ndarray, y: np.ndarray, held: np.ndarray, given: Mapping[str, str], seed: int
) -> tuple[framework.Model, float | None]:
    """Train on the rows not held out, printing the metric lines; (model, the last validation AUC)."""
    x_train, y_train, x_val, y_val = x[~held], y[~held], x[held], y[held]
    last: list[float | None] = [None]
{%- if cookiecutter.framework == 'pytorch' %}

    def report(epoch: int, model: framework.Model) -> None:
        if epoch % EVERY == 0 or epoch == epochs:
            validation = _auc(y_val, framework.predict_proba(model, x_val))
            last[0] = _line(epoch, validation, _auc(y_train, framework.predict_proba(model, x_train)))

    keywords = hyperparameters(given)
    epochs = int(keywords.get("epochs", framework.EPOCHS))
    model = framework.train(x_train, y_train, seed, **keywords, on_epoch=report)
{%- else %}
    model = framework.train(x_train, y_train, seed, **hyperparameters(given))
    trained = dict(framework.stages(model, x_train, EVERY))
    for stage, validation in framework.stages(model, x_val, EVERY):
        last[0] = _line(stage, _auc(y_val, validation), _auc(y_train, trained[stage]))
{%- endif %}
    return model, last[0]


def _pairs(argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` pairs (script mode passes every hyperparameter so), ``--seed`` among them, without
    SageMaker's own: the tuner's ``_tuning_objective_metric`` and any ``sagemaker_`` setting."""
    if len(argv) % 2 or any(not name.startswith("--") for name in argv[::2]):
        raise BadInput(f"arguments must be --name value pairs, not {' '.join(argv)[:200]}")
    pairs = {argv[i][2:].replace("-", "_"): argv[i + 1] for i in range(0, len(argv), 2)}
    return {k: v for k, v in pairs.items() if not k.startswith(("_", "sagemaker_"))}


def _fail(message: str) -> int:
    folder = os.environ.get("SM_OUTPUT_DIR") or (
        os.path.dirname(os.environ["SM_OUTPUT_DATA_DIR"].rstrip("/"))
        if os.environ.get("SM_OUTPUT_DATA_DIR")
        else "/opt/ml/output"
    )
    try:
        os.makedirs(folder, exist_ok=True)
        Path(folder, "failure").write_text(message + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"cannot write {folder}/failure: {exc}", file=sys.stderr)
    print(f"error: {message}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        given = _pairs(list(sys.argv[1:] if argv is None else argv))
        seed = int(given.pop("seed", SEED))
        channel = os.environ.get("SM_CHANNEL_TRAIN")
        if not channel:
            raise BadInput("SM_CHANNEL_TRAIN is not set: the job needs a train channel (the TrainingData)")
        x, y = read_training_data(Path(channel))
        held = split(y, VALIDATION_SHARE, seed)
        if len(set(y[held].tolist())) < 2 or len(set(y[~held].tolist())) < 2:
            raise BadInput(
                f"{y.size} rows are too few: the training and validation rows each need both labels"
            )
        model, final = train_and_report(x, y, held, given, seed)
        if final is None:
            raise BadInput("no validation:auc could be computed")
    except BadInput as exc:
        return _fail(str(exc))
    except (TypeError, ValueError) as exc:  # the framework refusing a hyperparameter's value
        return _fail(f"training failed: {exc}")
    print(f"final validation:auc={final:.6f}", flush=True)
    framework.save(model, Path(os.environ.get("SM_MODEL_DIR", "model")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
