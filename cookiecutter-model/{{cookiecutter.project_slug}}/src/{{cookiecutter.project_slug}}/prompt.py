"""The LLM's request and response formats, in the shape of Hugging Face text generation.

Request (``application/json``)::

    {"inputs": "your appointment with", "parameters": {"max_new_tokens": 20, "temperature": 0.0}}

``inputs``: 1 to ``MAX_PROMPT_CHARS`` characters (lower-cased; characters the model never saw read as
unknown). ``parameters`` is optional: ``max_new_tokens`` 1 to ``MAX_NEW_TOKENS`` (default 20),
``temperature`` 0 to 2 (default 0: greedy, the same answer every time). Any other key is refused, so a typo
is an error rather than silently ignored.

Response (``application/json``): ``{"generated_text": "..."}``, the continuation of the prompt.

A request that breaks the schema raises launchpad_serving's ``BadRequest`` (400), another Content-Type
``UnsupportedMediaType`` (415), an Accept other than JSON ``NotAcceptable`` (406). JSON is read by
launchpad_serving's ``read_json``, so every malformed body is a 400, never a 500 (a 500 means the model is
broken). Messages never quote the prompt or a value: a request may hold a patient's data; an unknown
parameter is named only when it is a common generation parameter this model does not take.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from launchpad_serving import BadRequest, NotAcceptable, accepts, read_json

JSON = "application/json"
MAX_PROMPT_CHARS = 500
MAX_NEW_TOKENS = 200
DEFAULT_NEW_TOKENS = 20
MAX_TEMPERATURE = 2.0
EXAMPLE = {"inputs": "your appointment with dr", "parameters": {"max_new_tokens": 20}}
HINT = '{"inputs": "a prompt", "parameters": {"max_new_tokens": 20}}'
# Parameters of Hugging Face text generation this model does not take: named when sent, since they are the
# API's words; any other unknown key is counted, not quoted (it is the client's text).
OTHER_PARAMETERS = frozenset(
    {"top_k", "top_p", "do_sample", "repetition_penalty", "return_full_text", "stop", "seed", "truncate"}
)


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    max_new_tokens: int = DEFAULT_NEW_TOKENS
    temperature: float = 0.0


def decode(body: bytes, content_type: str) -> GenerationRequest:
    document = read_json(body, content_type, hint=HINT)
    if not isinstance(document, dict) or set(document) - {"inputs", "parameters"}:
        raise BadRequest(f"send a JSON object with inputs (and optionally parameters) only, e.g. {HINT}")
    prompt = document.get("inputs")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT_CHARS:
        raise BadRequest(f"inputs must be text of 1 to {MAX_PROMPT_CHARS} characters, e.g. {HINT}")
    return GenerationRequest(prompt.lower(), **_parameters(document.get("parameters", {})))


def encode(text: str, accept: str) -> tuple[bytes, str]:
    if accepts(accept, JSON) is None:
        raise NotAcceptable(f"the Accept header names no format this model writes; ask for {JSON}")
    return json.dumps({"generated_text": text}).encode(), JSON


def _parameters(parameters: Any) -> dict[str, Any]:
    if not isinstance(parameters, dict):
        raise BadRequest(f"parameters must be a JSON object, e.g. {HINT}")
    unknown = set(parameters) - {"max_new_tokens", "temperature"}
    if unknown:
        named = sorted(unknown & OTHER_PARAMETERS)
        others = len(unknown) - len(named)
        listed = [*named, *([f"{others} other key{'s' * (others > 1)}"] if others else [])]
        raise BadRequest(
            f"unknown parameters {', '.join(listed)}; this model takes max_new_tokens and temperature"
        )
    checked: dict[str, Any] = {}
    if "max_new_tokens" in parameters:
        tokens = parameters["max_new_tokens"]
        if isinstance(tokens, bool) or not isinstance(tokens, int) or not 1 <= tokens <= MAX_NEW_TOKENS:
            raise BadRequest(f"max_new_tokens must be a whole number from 1 to {MAX_NEW_TOKENS}")
        checked["max_new_tokens"] = tokens
    if "temperature" in parameters:
        value = parameters["temperature"]
        valid = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not valid or not 0 <= value <= MAX_TEMPERATURE:
            raise BadRequest(f"temperature must be a number from 0 (greedy) to {MAX_TEMPERATURE}")
        checked["temperature"] = float(value)
    return checked
