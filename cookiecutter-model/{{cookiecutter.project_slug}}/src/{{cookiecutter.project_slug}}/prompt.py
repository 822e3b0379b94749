"""The LLM's request and response formats, in the shape of Hugging Face text generation.

Request (``application/json``)::

    {"inputs": "your appointment with", "parameters": {"max_new_tokens": 20, "temperature": 0.0}}

``inputs``: 1 to ``MAX_PROMPT_CHARS`` characters (lower-cased; characters the model never saw read as
unknown). ``parameters`` is optional: ``max_new_tokens`` 1 to ``MAX_NEW_TOKENS`` (default 20),
``temperature`` 0 to 2 (default 0: greedy, the same answer every time). Any other key is refused, so a typo
is an error rather than silently ignored.

Response (``application/json``): ``{"generated_text": "..."}``, the continuation of the prompt.

A request that breaks the schema raises launchpad_serving's ``BadRequest`` (400), another Content-Type
``UnsupportedMediaType`` (415), an Accept other than JSON ``NotAcceptable`` (406).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from launchpad_serving import BadRequest, NotAcceptable, UnsupportedMediaType

JSON = "application/json"
MAX_PROMPT_CHARS = 500
MAX_NEW_TOKENS = 200
DEFAULT_NEW_TOKENS = 20
MAX_TEMPERATURE = 2.0
EXAMPLE = {"inputs": "your appointment with dr", "parameters": {"max_new_tokens": 20}}
HINT = '{"inputs": "a prompt", "parameters": {"max_new_tokens": 20}}'


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    max_new_tokens: int = DEFAULT_NEW_TOKENS
    temperature: float = 0.0


def media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def decode(body: bytes, content_type: str) -> GenerationRequest:
    if media_type(content_type) != JSON:
        raise UnsupportedMediaType(f"Content-Type {content_type or '(none)'} is not read here; send {JSON}")
    try:
        document = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(f"the body is not UTF-8 text; send UTF-8 JSON, e.g. {HINT}") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc.msg}); send {HINT}") from None
    if not isinstance(document, dict) or set(document) - {"inputs", "parameters"}:
        raise BadRequest(f"send a JSON object with inputs (and optionally parameters) only, e.g. {HINT}")
    prompt = document.get("inputs")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT_CHARS:
        raise BadRequest(f"inputs must be text of 1 to {MAX_PROMPT_CHARS} characters, e.g. {HINT}")
    return GenerationRequest(prompt.lower(), **_parameters(document.get("parameters", {})))


def encode(text: str, accept: str) -> tuple[bytes, str]:
    kinds = [media_type(a) for a in accept.split(",")] if accept.strip() else ["*/*"]
    if not any(kind in (JSON, "*/*", "application/*") for kind in kinds):
        raise NotAcceptable(f"Accept {accept} names no format this model writes; ask for {JSON}")
    return json.dumps({"generated_text": text}).encode(), JSON


def _parameters(parameters: Any) -> dict[str, Any]:
    if not isinstance(parameters, dict):
        raise BadRequest(f"parameters must be a JSON object, e.g. {HINT}")
    unknown = sorted(set(parameters) - {"max_new_tokens", "temperature"})
    if unknown:
        raise BadRequest(
            f"unknown parameters {', '.join(unknown)}; this model takes max_new_tokens and temperature"
        )
    checked: dict[str, Any] = {}
    if "max_new_tokens" in parameters:
        tokens = parameters["max_new_tokens"]
        if isinstance(tokens, bool) or not isinstance(tokens, int) or not 1 <= tokens <= MAX_NEW_TOKENS:
            raise BadRequest(
                f"max_new_tokens must be a whole number from 1 to {MAX_NEW_TOKENS}, not {tokens!r}"
            )
        checked["max_new_tokens"] = tokens
    if "temperature" in parameters:
        value = parameters["temperature"]
        valid = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not valid or not 0 <= value <= MAX_TEMPERATURE:
            raise BadRequest(
                f"temperature must be a number from 0 (greedy) to {MAX_TEMPERATURE}, not {value!r}"
            )
        checked["temperature"] = float(value)
    return checked
