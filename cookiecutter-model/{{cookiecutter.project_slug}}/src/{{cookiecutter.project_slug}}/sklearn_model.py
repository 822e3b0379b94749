"""The scikit-learn model: gradient-boosted trees on the tabular features, saved with joblib.

``model.joblib`` is a pickle: load only artifacts this project built (launchpad deploys an artifact only from
the platform's encrypted bucket and refuses to overwrite one, so what serves is what was tested).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

FILENAME = "model.joblib"
Model = GradientBoostingClassifier


# What the training pipeline's tuner may set (pipeline.yaml's tuning.ranges): train's keywords, their types.
HYPERPARAMETERS = {"n_estimators": int, "max_depth": int, "learning_rate": float, "subsample": float}


def train(
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    n_estimators: int = 150,
    max_depth: int = 3,
    learning_rate: float = 0.1,
    subsample: float = 1.0,
) -> Model:
    model = GradientBoostingClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        learning_rate=learning_rate,
        subsample=subsample,
        random_state=seed,
    )
    return model.fit(x, y)


def stages(model: Model, x: np.ndarray, every: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """(stage, the probability of label 1 for each row) after every ``every``-th boosting stage and the last
    (the training job's metrics)."""
    last = model.n_estimators_
    for stage, probabilities in enumerate(model.staged_predict_proba(x), start=1):
        if stage % every == 0 or stage == last:
            yield stage, np.asarray(probabilities[:, 1], dtype=np.float64)


def save(model: Model, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / FILENAME)


def load(directory: Path) -> Model:
    model = joblib.load(directory / FILENAME)
    if not isinstance(model, GradientBoostingClassifier):
        raise TypeError(f"{directory / FILENAME} holds a {type(model).__name__}, not this project's model")
    return model


def predict_proba(model: Model, x: np.ndarray) -> np.ndarray:
    """The probability of label 1 for each row."""
    return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)
