"""The language model and its request schema: it trains on the synthetic corpus, meets its metric floors,
continues a prompt, and refuses malformed requests with a message that says what to send."""

from __future__ import annotations

import json
import tarfile

import pytest
from launchpad_serving import BadRequest, NotAcceptable, UnsupportedMediaType

from {{ cookiecutter.project_slug }} import inference
from {{ cookiecutter.project_slug }}.prompt import EXAMPLE, MAX_NEW_TOKENS, GenerationRequest

from .support import Built, Server

PERPLEXITY_CEILING = 4.0
ACCURACY_FLOOR = 0.55


def test_metrics_meet_their_floors(trained: Built) -> None:
    metrics = trained.metrics["metrics"]
    assert metrics["perplexity"] <= PERPLEXITY_CEILING
    assert metrics["next_char_accuracy"] >= ACCURACY_FLOOR


def test_generation_continues_the_prompt_within_the_token_budget(trained: Built) -> None:
    model = inference.model_fn(str(trained.model_dir))
    text = inference.predict_fn(GenerationRequest("your invoice of", max_new_tokens=15), model)
    assert isinstance(text, str)
    assert 0 < len(text) <= 15


def test_greedy_generation_is_deterministic(trained: Built) -> None:
    model = inference.model_fn(str(trained.model_dir))
    request = GenerationRequest("take ", max_new_tokens=10)
    assert inference.predict_fn(request, model) == inference.predict_fn(request, model)


def test_the_archive_is_a_model_directory(trained: Built) -> None:
    with tarfile.open(trained.archive) as archive:
        assert sorted(archive.getnames()) == ["config.json", "model.pt", "tokenizer.json"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"parameters": {}}, "inputs must be text"),
        ({"inputs": ""}, "inputs must be text"),
        ({"inputs": "x" * 501}, "inputs must be text"),
        ({"inputs": "hi", "parameters": {"max_new_tokens": 0}}, "max_new_tokens must be"),
        ({"inputs": "hi", "parameters": {"max_new_tokens": MAX_NEW_TOKENS + 1}}, "max_new_tokens must be"),
        ({"inputs": "hi", "parameters": {"temperature": -1}}, "temperature must be"),
        ({"inputs": "hi", "parameters": {"top_k": 5}}, "unknown parameters top_k"),
        ({"inputs": "hi", "options": {}}, "inputs .and optionally parameters. only"),
    ],
)
def test_a_malformed_request_is_a_bad_request(document: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        inference.input_fn(json.dumps(document).encode(), "application/json")


def test_other_media_types_are_refused() -> None:
    with pytest.raises(UnsupportedMediaType):
        inference.input_fn(b"hello", "text/plain")
    with pytest.raises(NotAcceptable):
        inference.output_fn("text", "text/csv")


def test_the_served_answer_is_the_models(trained: Built, server: Server) -> None:
    model = inference.model_fn(str(trained.model_dir))
    body = json.dumps(EXAMPLE).encode()
    expected = inference.predict_fn(inference.input_fn(body, "application/json"), model)
    answer = server.post(body)
    assert answer.status == 200
    assert answer.json() == {"generated_text": expected}
