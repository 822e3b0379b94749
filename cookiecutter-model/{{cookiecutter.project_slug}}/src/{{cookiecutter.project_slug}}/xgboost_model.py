"""The XGBoost model: a binary:logistic booster on the tabular features, saved in XGBoost's JSON format
(portable across XGBoost versions and not a pickle)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xgboost as xgb

FILENAME = "xgboost-model.json"
ROUNDS = 200
Model = xgb.Booster


def train(x: np.ndarray, y: np.ndarray, seed: int) -> Model:
    params = {
        "objective": "binary:logistic",
        "max_depth": 3,
        "eta": 0.1,
        "subsample": 0.9,
        "nthread": 2,
        "seed": seed,
    }
    return xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=ROUNDS)


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
