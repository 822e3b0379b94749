{%- if cookiecutter.__rag == 'yes' -%}
"""Package the model and evaluate retrieval: ``python -m {{ cookiecutter.project_slug }}.train [--weights FOLDER]``.

Writes, under ``--output`` (default ``build/``):

- ``model/``: the model directory, as SageMaker unpacks it into ``/opt/ml/model``: ``code/inference.py``
  (``t5.py``, the Hugging Face container's handler) and, with ``--weights``, the fine-tuned T5 model's files
  (``config.json``, the weights, the tokenizer's) at its root. The sandbox's extractive stand-in reads none
  of it; on AWS an artifact without weights fails to load, saying so;
- ``model.tar.gz``: that directory, packaged for ``launchpad deploy --artifact``;
- ``metrics.json``: the retrieval evaluation on ``data/`` (``retrieval.py``), which ``model_card.yaml``
  reports.

Nothing is trained or downloaded here: fine-tune the model where you have the weights and a GPU, save it
with ``save_pretrained``, and package that folder. Seconds on two CPU cores; the same inputs give the same
bytes.
"""
{%- else -%}
"""Train the model on its synthetic data and package it: ``python -m {{ cookiecutter.project_slug }}.train``.

Writes, under ``--output`` (default ``build/``):

- ``model/``: the model directory, as SageMaker unpacks it into ``/opt/ml/model``;
- ``model.tar.gz``: that directory, packaged for ``launchpad deploy --artifact``;
- ``metrics.json``: the evaluation on held-out data, which ``model_card.yaml`` reports;
{%- if cookiecutter.__llm != 'yes' %}
- ``training-data.csv``: the training rows' features, with a header: what ``make baseline`` profiles for
  drift monitoring (``launchpad monitor baseline``).
{%- endif %}

Seconds on two CPU cores; the same seed gives the same data, model and metrics.
"""
{%- endif %}

from __future__ import annotations

import argparse
import json
{%- if cookiecutter.__rag == 'yes' %}
import shutil
{%- endif %}
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from {{ cookiecutter.project_slug }} import __version__{{ ', t5' if cookiecutter.__rag == 'yes' else '' }}
{%- if cookiecutter.__rag == 'yes' %}
{%- elif cookiecutter.__llm == 'yes' %}
from {{ cookiecutter.project_slug }} import charlm as framework
from {{ cookiecutter.project_slug }}.corpus import SEED, make_corpus
{%- else %}
from {{ cookiecutter.project_slug }} import {{ cookiecutter.__model_module }} as framework
from {{ cookiecutter.project_slug }}.columns import FEATURE_NAMES
from {{ cookiecutter.project_slug }}.data import SEED, make_dataset
from {{ cookiecutter.project_slug }}.evaluation import evaluate
{%- endif %}
from {{ cookiecutter.project_slug }}.package import archive
{%- if cookiecutter.__rag == 'yes' %}
from {{ cookiecutter.project_slug }}.retrieval import evaluate
{%- endif %}

FRAMEWORK = "{{ cookiecutter.framework }}"
PROG = "python -m {{ cookiecutter.project_slug }}.train"
{%- if cookiecutter.__rag == 'yes' %}


def assemble(directory: Path, weights: Path | None = None) -> None:
    """The model directory: the fine-tuned model's files (when given), and t5.py as code/inference.py."""
    shutil.rmtree(directory, ignore_errors=True)  # nothing left of an earlier package (other weights)
    if weights is not None:
        if not (weights / t5.CONFIG).is_file():
            raise FileNotFoundError(
                f"{weights} holds no {t5.CONFIG}: give the folder the fine-tuned model was saved to "
                "(save_pretrained writes config.json, the weights and the tokenizer's files)"
            )
        shutil.copytree(weights, directory, ignore=shutil.ignore_patterns("code", ".*"))
    (directory / "code").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(t5.__file__, directory / "code" / "inference.py")


def build(output: Path, weights: Path | None = None) -> dict[str, Any]:
    """Package the model directory and evaluate retrieval; returns the metrics."""
    assemble(output / "model", weights)
    archive(output / "model", output / "model.tar.gz")
    metrics = {"version": __version__, "framework": FRAMEWORK, **evaluate()}
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
{%- elif cookiecutter.__llm == 'yes' %}


def fit(seed: int) -> tuple[framework.Model, dict[str, Any]]:
    """Train on the synthetic corpus; evaluate on its held-out sentences."""
    corpus = make_corpus(seed)
    model = framework.train(corpus.train, seed=seed)
    return model, framework.evaluate(model, corpus.holdout)
{%- else %}


def fit(seed: int) -> tuple[framework.Model, dict[str, Any]]:
    """Train on the synthetic data set; evaluate on its held-out rows."""
    data = make_dataset(seed)
    model = framework.train(data.x_train, data.y_train, seed=seed)
    probabilities = framework.predict_proba(model, data.x_test)
    return model, evaluate(probabilities, data.y_test, data.segment_test)
{%- endif %}
{%- if cookiecutter.__rag != 'yes' %}


def build(output: Path, seed: int = SEED) -> dict[str, Any]:
    """Train, save the model directory, package it and write the metrics; returns the metrics."""
    model, metrics = fit(seed)
    framework.save(model, output / "model")
    archive(output / "model", output / "model.tar.gz")
    metrics = {"version": __version__, "framework": FRAMEWORK, "seed": seed, **metrics}
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
{%- if cookiecutter.__llm != 'yes' %}
    write_training_data(output / "training-data.csv", make_dataset(seed).x_train)
{%- endif %}
    return metrics
{%- endif %}
{%- if cookiecutter.__llm != 'yes' %}


def write_training_data(path: Path, rows: Any) -> None:
    """The training features as CSV with a header, the input of the drift baseline."""
    lines = [",".join(FEATURE_NAMES)] + [",".join(f"{v:.6g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
{%- endif %}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=Path("build"), help="where to write (default: build)")
{%- if cookiecutter.__rag == 'yes' %}
    parser.add_argument("--weights", type=Path, help="the fine-tuned T5 model's folder (default: none)")
    args = parser.parse_args(argv)
    metrics = build(args.output, args.weights)
    done = f"packaged {FRAMEWORK} model {__version__} ({'with' if args.weights else 'without'} weights)"
{%- else %}
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the data and the model")
    args = parser.parse_args(argv)
    metrics = build(args.output, args.seed)
    done = f"trained {FRAMEWORK} model {__version__}"
{%- endif %}
    shown = ", ".join(f"{name} {value}" for name, value in metrics["metrics"].items())
    print(f"{done}: {shown}; wrote {args.output / 'model.tar.gz'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
