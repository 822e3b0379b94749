"""A tiny character-level language model in plain PyTorch: no ``transformers``, nothing downloaded.

It reads the last ``CONTEXT`` characters and predicts the next one (an embedding per position, one hidden
layer). Packaged as a Hugging Face-style model directory:

- ``config.json``: the architecture (sizes) the weights expect;
- ``tokenizer.json``: the character vocabulary, ``<pad>`` and ``<unk>`` first;
- ``model.pt``: the ``state_dict``, loaded with ``weights_only=True`` (tensors, never code).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from {{ cookiecutter.project_slug }}.prompt import GenerationRequest

CONFIG, TOKENIZER, WEIGHTS = "config.json", "tokenizer.json", "model.pt"
PAD, UNK = "<pad>", "<unk>"
CONTEXT = 12
EMBEDDING = 16
HIDDEN = 192
STEPS = 1500
BATCH = 128
# Tensors this small run fastest on one thread: several threads spend their time waiting on each other, and
# one thread gives the same result every run.
THREADS = 1


@dataclass(frozen=True)
class Tokenizer:
    vocab: dict[str, int]

    @classmethod
    def from_text(cls, text: str) -> Tokenizer:
        return cls({token: i for i, token in enumerate([PAD, UNK, *sorted(set(text))])})

    def encode(self, text: str) -> list[int]:
        return [self.vocab.get(c, self.vocab[UNK]) for c in text]

    def decode(self, ids: list[int]) -> str:
        tokens = {i: t for t, i in self.vocab.items()}
        return "".join(tokens[i] for i in ids if tokens[i] not in (PAD, UNK))


class CharMLP(nn.Module):
    def __init__(
        self, vocab_size: int, context: int = CONTEXT, embedding: int = EMBEDDING, hidden: int = HIDDEN
    ) -> None:
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab_size, embedding)
        self.layers = nn.Sequential(
            nn.Linear(context * embedding, hidden), nn.Tanh(), nn.Linear(hidden, vocab_size)
        )

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of the next character, from (batch, context) ids."""
        return self.layers(self.embed(ids).flatten(1))


@dataclass
class CharLM:
    network: CharMLP
    tokenizer: Tokenizer


Model = CharLM


def _windows(ids: list[int], context: int) -> tuple[torch.Tensor, torch.Tensor]:
    padded = torch.tensor([0] * context + ids)  # <pad> before the start
    inputs = padded.unfold(0, context, 1)[:-1]
    return inputs, padded[context:]


def train(text: str, seed: int) -> Model:
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    tokenizer = Tokenizer.from_text(text)
    inputs, targets = _windows(tokenizer.encode(text), CONTEXT)
    network = CharMLP(len(tokenizer.vocab))
    optimiser = torch.optim.Adam(network.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    network.train()
    for _ in range(STEPS):
        batch = torch.randint(0, len(targets), (BATCH,), generator=generator)
        optimiser.zero_grad()
        loss_fn(network(inputs[batch]), targets[batch]).backward()
        optimiser.step()
    return CharLM(network.eval(), tokenizer)


def evaluate(model: Model, holdout: dict[str, str]) -> dict[str, Any]:
    """Perplexity and next-character accuracy on the held-out sentences, overall and per domain."""
    per_domain = {domain: _scores(model, text) for domain, text in sorted(holdout.items())}
    total = sum(n for _, _, n in per_domain.values())
    nll = sum(loss * n for loss, _, n in per_domain.values()) / total
    accuracy = sum(acc * n for _, acc, n in per_domain.values()) / total
    return {
        "dataset": "synthetic-holdout",
        "rows": total,
        "metrics": {"perplexity": round(math.exp(nll), 4), "next_char_accuracy": round(accuracy, 4)},
        "subgroups": [
            {"attribute": "domain", "group": domain, "name": "perplexity", "value": round(math.exp(loss), 4)}
            for domain, (loss, _, _) in per_domain.items()
        ],
    }


def _scores(model: Model, text: str) -> tuple[float, float, int]:
    inputs, targets = _windows(model.tokenizer.encode(text), model.network.context)
    with torch.no_grad():
        logits = model.network(inputs)
    loss = nn.functional.cross_entropy(logits, targets).item()
    accuracy = (logits.argmax(-1) == targets).float().mean().item()
    return loss, accuracy, len(targets)


def generate(model: Model, request: GenerationRequest) -> str:
    """The continuation of the prompt: greedy at temperature 0, sampled (seeded by the prompt) above."""
    ids = model.tokenizer.encode(request.prompt)
    generator = torch.Generator().manual_seed(sum(ids))
    context = model.network.context
    new: list[int] = []
    with torch.no_grad():
        for _ in range(request.max_new_tokens):
            window = ([0] * context + ids + new)[-context:]
            logits = model.network(torch.tensor([window]))[0]
            logits[0] = logits[1] = -math.inf  # never <pad> or <unk>
            if request.temperature == 0:
                new.append(int(logits.argmax()))
            else:
                probabilities = torch.softmax(logits / request.temperature, dim=-1)
                new.append(int(torch.multinomial(probabilities, 1, generator=generator)))
    return model.tokenizer.decode(new)


def save(model: Model, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    network = model.network
    config = {
        "model_type": "char-mlp",
        "vocab_size": len(model.tokenizer.vocab),
        "context": network.context,
        "embedding": network.embed.embedding_dim,
        "hidden": network.layers[0].out_features,
        "torch_version": torch.__version__,
    }
    (directory / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    tokenizer = {"type": "char", "pad_token": PAD, "unk_token": UNK, "vocab": model.tokenizer.vocab}
    (directory / TOKENIZER).write_text(json.dumps(tokenizer, indent=2, ensure_ascii=False) + "\n")
    torch.save(network.state_dict(), directory / WEIGHTS)


def load(directory: Path) -> Model:
    torch.set_num_threads(THREADS)
    config = json.loads((directory / CONFIG).read_text())
    vocab = json.loads((directory / TOKENIZER).read_text(encoding="utf-8"))["vocab"]
    network = CharMLP(config["vocab_size"], config["context"], config["embedding"], config["hidden"])
    network.load_state_dict(torch.load(directory / WEIGHTS, weights_only=True))
    return CharLM(network.eval(), Tokenizer(vocab))
