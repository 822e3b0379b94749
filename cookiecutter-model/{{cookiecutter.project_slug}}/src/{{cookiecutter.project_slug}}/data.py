"""A synthetic, seeded data set: nothing is downloaded, and every run makes the same rows.

Each row is a customer described by the features of ``features.FEATURE_NAMES``; the label says whether they
cancelled, drawn from a known logistic model with one interaction, so a good model reaches an AUC near 0.9
and a linear one stays below it. ``segment`` (a or b) is a group attribute that is *not* a feature: the
evaluation reports the model's AUC per segment, as a fairness check on a sensitive attribute would.

Replace ``make_dataset`` with your own data loading; keep the Dataset it returns. The training pipeline
trains on CSV files instead (its TrainingData): ``python -m {{ cookiecutter.project_slug }}.data --output
build/training-data/train.csv`` (``make training-data``) writes these rows in that form.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from {{ cookiecutter.project_slug }}.columns import FEATURE_NAMES, LABEL, N_FEATURES, SEGMENT

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
    segment_train: np.ndarray  # "a" or "b" per training row


def make_dataset(seed: int = SEED, rows: int = ROWS) -> Dataset:
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, len(SEGMENTS), size=rows)
    x = rng.normal(size=(rows, N_FEATURES))
    x[:, 0] += 0.4 * segment  # the segments differ a little in their features, as real groups do
    logits = x @ WEIGHTS + 1.1 * x[:, 1] * x[:, 2] - 0.4
    y = (rng.random(rows) < 1 / (1 + np.exp(-logits))).astype(np.int64)
    split = int(rows * (1 - TEST_SHARE))
    names = np.array(SEGMENTS)[segment]
    return Dataset(x[:split], y[:split], x[split:], y[split:], names[split:], names[:split])


def write_csv(path: Path, seed: int = SEED, rows: int = ROWS) -> int:
    """Every row of the data set as CSV with a header: the features, the segment and the label, the form of
    the training pipeline's TrainingData (pipeline.yaml). Returns the number of rows."""
    data = make_dataset(seed, rows)
    x = np.vstack([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    segments = np.concatenate([data.segment_train, data.segment_test])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*FEATURE_NAMES, SEGMENT, LABEL])
        for row, segment, label in zip(x, segments, y, strict=True):
            writer.writerow([*(f"{v:.6g}" for v in row), segment, int(label)])
    return len(y)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.project_slug }}.data", description="Write the synthetic data as CSV."
    )
    parser.add_argument("--output", type=Path, default=Path("build/training-data/train.csv"))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    rows = write_csv(args.output, args.seed)
    print(f"wrote {rows} rows to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
