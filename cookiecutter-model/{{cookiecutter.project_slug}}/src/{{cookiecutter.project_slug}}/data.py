"""A synthetic, seeded data set: nothing is downloaded, and every run makes the same rows.

Each row is a customer described by the features of ``features.FEATURE_NAMES``; the label says whether they
cancelled, drawn from a known logistic model with one interaction, so a good model reaches an AUC near 0.9
and a linear one stays below it. ``segment`` (a or b) is a group attribute that is *not* a feature: the
evaluation reports the model's AUC per segment, as a fairness check on a sensitive attribute would.

Replace ``make_dataset`` with your own data loading; keep the Dataset it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from {{ cookiecutter.project_slug }}.features import N_FEATURES

SEED = 7
ROWS = 4000
TEST_SHARE = 0.25
SEGMENTS = ("a", "b")
WEIGHTS = np.array([-1.2, 0.9, 0.8, 0.7, 0.3, -0.6, -0.4, 0.2])


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    segment_test: np.ndarray  # "a" or "b" per test row


def make_dataset(seed: int = SEED, rows: int = ROWS) -> Dataset:
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, len(SEGMENTS), size=rows)
    x = rng.normal(size=(rows, N_FEATURES))
    x[:, 0] += 0.4 * segment  # the segments differ a little in their features, as real groups do
    logits = x @ WEIGHTS + 1.1 * x[:, 1] * x[:, 2] - 0.4
    y = (rng.random(rows) < 1 / (1 + np.exp(-logits))).astype(np.int64)
    split = int(rows * (1 - TEST_SHARE))
    names = np.array(SEGMENTS)[segment]
    return Dataset(x[:split], y[:split], x[split:], y[split:], names[split:])
