"""The scikit-learn model: gradient-boosted trees on the tabular features, saved with joblib.

``model.joblib`` is a pickle: load only artifacts this project built (launchpad deploys an artifact only from
the platform's encrypted bucket and refuses to overwrite one, so what serves is what was tested).
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

FILENAME = "model.joblib"
Model = GradientBoostingClassifier


def train(x: np.ndarray, y: np.ndarray, seed: int) -> Model:
    model = GradientBoostingClassifier(n_estimators=150, max_depth=3, learning_rate=0.1, random_state=seed)
    return model.fit(x, y)


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
