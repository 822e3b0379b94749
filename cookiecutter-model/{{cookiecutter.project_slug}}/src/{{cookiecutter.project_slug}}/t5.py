"""The model on AWS: a T5-family model (a fine-tuned ``flan-t5``, say) in AWS's Hugging Face container.

This file is the container's handler: ``make package`` puts it into ``model.tar.gz`` as ``code/inference.py``,
which the Hugging Face inference toolkit imports in place of its default handler. It answers the request the
assistant's function sends (the README's "Request and response")::

    {"inputs": "question: <question> context: [p-0012] <passage text> ...",
     "parameters": {"max_new_tokens": 256}}
    -> [{"generated_text": "<answer>"}]

It sets the task itself (``text2text-generation``: the stage config has no container environment for
``HF_TASK``), keeps the generation parameters to the few the contract uses, and decodes greedily, so the
same question and passages give the same answer. The weights are the model directory's (``config.json``, the
weights, the tokenizer files: ``make package WEIGHTS=<folder>``); nothing is downloaded here.

The container has ``transformers`` and ``torch``, the project's environment does not: they are imported only
in ``model_fn``, which runs in the container. The rest is the standard library, so the project's tests check
the request handling without either. This module imports nothing of the project or of launchpad: the
container has neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TASK = "text2text-generation"
JSON = "application/json"
MAX_INPUT_CHARS = 200_000  # launchpad_serving.extractive's limit: the same requests pass on both
MAX_NEW_TOKENS = 512
DEFAULT_NEW_TOKENS = 256
PARAMETERS = frozenset({"max_new_tokens"})  # the contract's; sampling would make answers vary
HINT = '{"inputs": "question: <question> context: [<id>] <passage text> ...", "parameters": {...}}'
# What a model directory holds besides its weights: without config.json there is no model to load.
CONFIG = "config.json"


class BadRequest(ValueError):
    """A request that breaks the contract; the message says what to send and quotes none of it."""


def model_fn(model_dir: str) -> Any:
    """The text2text pipeline of the model directory, on the GPU when the instance has one."""
    if not (Path(model_dir) / CONFIG).is_file():
        raise FileNotFoundError(
            f"{model_dir} holds no {CONFIG}: this artifact has no T5 weights; package the fine-tuned model "
            "with make package WEIGHTS=<folder> (the sandbox's stand-in needs none, the container does)"
        )
    try:
        import torch
        from transformers import pipeline
    except ImportError as exc:
        raise RuntimeError(
            f"t5.py runs in the Hugging Face inference container, which has transformers and torch ({exc})"
        ) from exc
    device = 0 if torch.cuda.is_available() else -1
    return pipeline(TASK, model=model_dir, tokenizer=model_dir, device=device)


def input_fn(body: bytes | str, content_type: str) -> dict[str, Any]:
    """The request's inputs and its generation parameters (max_new_tokens only, capped)."""
    if content_type.split(";")[0].strip().lower() != JSON:
        raise BadRequest(f"send {JSON}, e.g. {HINT}")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BadRequest(f"the body is not valid JSON; send {HINT}") from None
    if not isinstance(document, dict) or not set(document) <= {"inputs", "parameters"}:
        raise BadRequest(f"send a JSON object with inputs and optional parameters: {HINT}")
    inputs = document.get("inputs")
    if not isinstance(inputs, str) or not inputs.startswith("question:"):
        raise BadRequest(f"inputs is text starting with 'question:'; send {HINT}")
    if len(inputs) > MAX_INPUT_CHARS:
        raise BadRequest(f"inputs is over {MAX_INPUT_CHARS} characters; send fewer or shorter passages")
    parameters = document.get("parameters", {})
    if not isinstance(parameters, dict) or not set(parameters) <= PARAMETERS:
        raise BadRequest(f"parameters is an object with at most {', '.join(sorted(PARAMETERS))}")
    tokens = parameters.get("max_new_tokens", DEFAULT_NEW_TOKENS)
    if isinstance(tokens, bool) or not isinstance(tokens, int) or not 1 <= tokens <= MAX_NEW_TOKENS:
        raise BadRequest(f"max_new_tokens is a whole number from 1 to {MAX_NEW_TOKENS}")
    return {"inputs": inputs, "max_new_tokens": tokens}


def predict_fn(data: dict[str, Any], model: Any) -> list[dict[str, str]]:
    """The model's answer, greedy (the same request, the same answer), as the contract's one-item list."""
    generated = model(data["inputs"], max_new_tokens=data["max_new_tokens"], do_sample=False)
    return [{"generated_text": str(generated[0]["generated_text"])}]


def output_fn(prediction: list[dict[str, str]], accept: str) -> str:
    """The answer as JSON, whatever the Accept (the toolkit sets the response's content type)."""
    return json.dumps(prediction)
