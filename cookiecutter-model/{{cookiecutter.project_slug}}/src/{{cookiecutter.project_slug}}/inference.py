{%- if cookiecutter.__rag == 'yes' -%}
"""The model's SageMaker inference handlers on the sandbox, which ``python -m launchpad_serving`` calls.

The assistant's function sends the Hugging Face text2text request and reads ``[{"generated_text": ...}]``
(``retrieval.py`` shows one; the README has the format). On AWS a T5-family model in the Hugging Face
inference container answers it (``t5.py`` is its handler there, packaged as ``code/inference.py``); here,
where no weights can be downloaded, ``launchpad_serving.extractive`` answers the same request: it copies the
passage sentence that best matches the question, cites its passage id, and says in every answer that it is
an extractive stand-in, not a language model. A malformed request is its ``BadRequest`` (400), which quotes
nothing of the request (it carries a patient's question).

Serve locally with ``make serve``; the container runs the same server (see the Dockerfile).
"""
{%- else -%}
"""The model's SageMaker inference handlers, which ``python -m launchpad_serving`` calls.

``model_fn`` loads the model once at start; every ``POST /invocations`` then runs ``input_fn`` (parse and
check the request against the schema of ``{{ 'prompt.py' if cookiecutter.__llm == 'yes' else 'features.py' }}``), ``predict_fn`` and ``output_fn``.
A bad request raises launchpad_serving's ``BadRequest`` (400), ``UnsupportedMediaType`` (415) or
``NotAcceptable`` (406), JSON bodies are parsed by its ``read_json``; the server answers with the message,
and keeps requests out of its logs. Anything else raised here is answered 500 and counts against a canary:
keep it for the model's own failures.

Serve locally with ``make serve``; the container runs the same server (see the Dockerfile).
"""
{%- endif %}

from __future__ import annotations

{%- if cookiecutter.__rag == 'yes' %}

from typing import Any

from launchpad_serving import extractive


def model_fn(model_dir: str) -> Any:
    return extractive.model_fn(model_dir)


def input_fn(body: bytes, content_type: str) -> extractive.Request:
    return extractive.input_fn(body, content_type)


def predict_fn(data: extractive.Request, model: Any) -> list[dict[str, str]]:
    return extractive.predict_fn(data, model)


def output_fn(prediction: list[dict[str, str]], accept: str) -> tuple[bytes, str]:
    return extractive.output_fn(prediction, accept)
{%- else %}

from pathlib import Path
{%- endif %}
{%- if cookiecutter.__rag == 'yes' %}
{%- elif cookiecutter.__llm == 'yes' %}

from {{ cookiecutter.project_slug }} import prompt
from {{ cookiecutter.project_slug }}.charlm import Model, generate, load
from {{ cookiecutter.project_slug }}.prompt import GenerationRequest


def model_fn(model_dir: str) -> Model:
    return load(Path(model_dir))


def input_fn(body: bytes, content_type: str) -> GenerationRequest:
    return prompt.decode(body, content_type)


def predict_fn(data: GenerationRequest, model: Model) -> str:
    return generate(model, data)


def output_fn(prediction: str, accept: str) -> tuple[bytes, str]:
    return prompt.encode(prediction, accept)
{%- else %}

import numpy as np

from {{ cookiecutter.project_slug }} import features
from {{ cookiecutter.project_slug }}.{{ cookiecutter.__model_module }} import Model, load, predict_proba


def model_fn(model_dir: str) -> Model:
    return load(Path(model_dir))


def input_fn(body: bytes, content_type: str) -> np.ndarray:
    return features.decode(body, content_type)


def predict_fn(data: np.ndarray, model: Model) -> np.ndarray:
    return predict_proba(model, data)


def output_fn(prediction: np.ndarray, accept: str) -> tuple[bytes, str]:
    return features.encode(prediction, accept)
{%- endif %}
