"""The PyTorch model: a small MLP on the standardised tabular features, trained on CPU.

The model directory holds ``model.pt`` (the ``state_dict``, loaded with ``weights_only=True``: tensors, never
code) and ``config.json`` (the layer sizes and the standardisation the weights expect).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

WEIGHTS = "model.pt"
CONFIG = "config.json"
HIDDEN = (32, 16)
EPOCHS = 300
# Tensors this small run fastest on one thread: several threads spend their time waiting on each other (20 s
# instead of 0.3 s for this training on two cores), and one thread gives the same result every run.
THREADS = 1


class TabularMLP(nn.Module):
    """Standardise, then two hidden layers; one logit out."""

    def __init__(self, n_features: int, mean: list[float], std: list[float]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.layers = nn.Sequential(
            nn.Linear(n_features, HIDDEN[0]),
            nn.ReLU(),
            nn.Linear(HIDDEN[0], HIDDEN[1]),
            nn.ReLU(),
            nn.Linear(HIDDEN[1], 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers((x - self.mean) / self.std).squeeze(-1)


Model = TabularMLP


# What the training pipeline's tuner may set (pipeline.yaml's tuning.ranges): train's keywords, their types.
HYPERPARAMETERS = {"epochs": int, "lr": float, "weight_decay": float}


def train(
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    epochs: int = EPOCHS,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    on_epoch: Callable[[int, Model], None] | None = None,
) -> Model:
    """Full-batch Adam; ``on_epoch(epoch, model)`` after each epoch (the training job's metrics)."""
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = TabularMLP(x.shape[1], mean.tolist(), std.tolist())
    features = torch.tensor(x, dtype=torch.float32)
    labels = torch.tensor(y, dtype=torch.float32)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for epoch in range(1, epochs + 1):  # full batch: a few thousand rows
        optimiser.zero_grad()
        loss_fn(model(features), labels).backward()
        optimiser.step()
        if on_epoch is not None:
            on_epoch(epoch, model)
    return model.eval()


def save(model: Model, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), directory / WEIGHTS)
    config = {
        "n_features": int(model.layers[0].in_features),
        "hidden": list(HIDDEN),
        "mean": model.mean.tolist(),
        "std": model.std.tolist(),
        "torch_version": torch.__version__,
    }
    (directory / CONFIG).write_text(json.dumps(config, indent=2) + "\n")


def load(directory: Path) -> Model:
    torch.set_num_threads(THREADS)
    config = json.loads((directory / CONFIG).read_text())
    model = TabularMLP(config["n_features"], config["mean"], config["std"])
    model.load_state_dict(torch.load(directory / WEIGHTS, weights_only=True))
    return model.eval()


def predict_proba(model: Model, x: np.ndarray) -> np.ndarray:
    """The probability of label 1 for each row."""
    with torch.no_grad():
        logits = model(torch.tensor(x, dtype=torch.float32))
    return torch.sigmoid(logits).numpy().astype(np.float64)
