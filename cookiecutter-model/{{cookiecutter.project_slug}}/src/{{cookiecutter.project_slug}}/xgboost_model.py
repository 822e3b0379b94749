"""The XGBoost model: a binary:logistic booster on the tabular features, saved in XGBoost's JSON format
(portable across XGBoost versions and not a pickle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xgboost as xgb

FILENAME = "xgboost-model.json"
ROUNDS = 200
Model = xgb.Booster


# What the training pipeline's tuner may set (pipeline.yaml's tuning.ranges): train's keywords and their
# types, named as XGBoost names them.
HYPERPARAMETERS = {
    "num_round": int,
    "max_depth": int,
    "eta": float,
    "subsample": float,
    "min_child_weight": float,
}


def train(
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    num_round: int = ROUNDS,
    max_depth: int = 3,
    eta: float = 0.1,
    subsample: float = 0.9,
    min_child_weight: float = 1.0,
) -> Model:
    params = {
        "objective": "binary:logistic",
        "max_depth": max_depth,
        "eta": eta,
        "subsample": subsample,
        "min_child_weight": min_child_weight,
        "nthread": 2,
        "seed": seed,
    }
    return xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=num_round)


def stages(model: Model, x: np.ndarray, every: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """(round, the probability of label 1 for each row) after every ``every``-th boosting round and the last
    (the training job's metrics)."""
    matrix = xgb.DMatrix(x)
    last = model.num_boosted_rounds()
    for rounds in [*range(every, last, every), last]:
        yield rounds, np.asarray(model.predict(matrix, iteration_range=(0, rounds)), dtype=np.float64)


def save(model: Model, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    model.save_model(str(directory / FILENAME))


def load(directory: Path) -> Model:
    model = xgb.Booster()
    model.load_model(str(directory / FILENAME))
    return model


def predict_proba(model: Model, x: np.ndarray) -> np.ndarray:
    """The probability of label 1 for each row."""
    return np.asarray(model.predict(xgb.DMatrix(x)), dtype=np.float64)
