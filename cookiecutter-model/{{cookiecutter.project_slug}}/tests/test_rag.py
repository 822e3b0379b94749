"""The assistant's model: retrieval meets the model card's floors, the sandbox's extractive stand-in answers
the request the API function sends (built by launchpad's own ``model_request``) over HTTP, and ``t5.py``, the
Hugging Face container's handler on AWS, reads the same request; no weights anywhere."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from launchpad.assistant import index as assistant_index
from launchpad.assistant.handler import model_request
from launchpad.assistant.retrieval import Index

from {{ cookiecutter.project_slug }} import retrieval, t5
from {{ cookiecutter.project_slug }}.train import build

from .support import Built, Server

NOTE = "(Extractive stand-in: this answer was copied from a passage; it is not from a language model.)"
QUESTION = "What can I do to lower my chances of getting type 2 diabetes?"
ANSWER = "Lose a modest amount of weight and be more active. [p-0003]"


def test_retrieval_meets_the_model_cards_floors(trained: Built) -> None:
    floors = retrieval.floors()
    assert set(floors) == {1, 3, 5}, "make evaluate gates on recall@1, @3 and @5"
    for k, floor in floors.items():
        assert trained.metrics["metrics"][f"recall_at_{k}"] >= floor


def test_the_example_is_the_request_the_function_sends() -> None:
    (passage,) = [p for p in _passages() if p.id == "p-0003"]
    assert model_request(QUESTION, [passage]) == retrieval.EXAMPLE


def test_the_stand_in_answers_the_functions_request_citing_a_passage(server: Server) -> None:
    index = Index.from_document(assistant_index.build(_passages()))
    passages = [index.passage(hit.id) for hit in index.search(QUESTION, 3)]
    answer = server.post(json.dumps(model_request(QUESTION, passages)).encode(), accept="application/json")
    assert answer.status == 200, answer.body
    assert answer.content_type == "application/json"
    (item,) = answer.json()
    assert set(item) == {"generated_text"}
    text = item["generated_text"]
    assert text.endswith(NOTE), "every stand-in answer says it is not a language model"
    assert any(f"[{p.id}]" in text for p in passages), "the answer cites one of the passages it was given"


def test_a_request_without_a_question_is_a_400_that_quotes_none_of_it(server: Server) -> None:
    answer = server.post(json.dumps({"inputs": "PATIENT-4711 has a cough"}).encode())
    assert answer.status == 400
    assert "question:" in answer.json()["error"] and "4711" not in answer.json()["error"]


def _passages() -> list[Any]:
    return assistant_index.read_passages(retrieval.PASSAGES.read_bytes(), str(retrieval.PASSAGES))


# -- t5.py: the handler of the Hugging Face container on AWS -------------------------------------------------
class FakePipeline:
    """Stands in for transformers' text2text pipeline: records the call, answers in its shape."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, inputs: str, **kwargs: Any) -> list[dict[str, str]]:
        self.calls.append((inputs, kwargs))
        return [{"generated_text": ANSWER}]


def test_t5_reads_the_functions_request_and_answers_the_contract() -> None:
    model = FakePipeline()
    data = t5.input_fn(json.dumps(retrieval.EXAMPLE).encode(), "application/json; charset=utf-8")
    body = t5.output_fn(t5.predict_fn(data, model), "application/json")
    assert json.loads(body) == [{"generated_text": ANSWER}]
    assert model.calls == [(retrieval.EXAMPLE["inputs"], {"max_new_tokens": 256, "do_sample": False})]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"inputs": "PATIENT-4711"}', "starting with 'question:'"),
        (b'{"inputs": "question: x", "parameters": {"temperature": 2}}', "at most max_new_tokens"),
        (b'{"inputs": "question: x", "parameters": {"max_new_tokens": 100000}}', "from 1 to 512"),
        (b'{"inputs": "question: x", "extra": 1}', "inputs and optional parameters"),
        (b'{"inputs": "question: PATIENT-4711', "not valid JSON"),
    ],
)
def test_t5_refuses_a_request_outside_the_contract_quoting_none_of_it(body: bytes, message: str) -> None:
    with pytest.raises(t5.BadRequest, match=message) as refused:
        t5.input_fn(body, "application/json")
    assert "4711" not in str(refused.value)


def test_t5_says_so_when_the_artifact_has_no_weights(trained: Built) -> None:
    with pytest.raises(FileNotFoundError, match=r"no config\.json: this artifact has no T5 weights"):
        t5.model_fn(str(trained.model_dir))


def test_the_weights_are_packaged_at_the_root_with_the_handler_in_code(tmp_path: Path) -> None:
    weights = tmp_path / "flan-t5-finetuned"
    weights.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (weights / name).write_text("{}")
    build(tmp_path / "build", weights)
    with tarfile.open(tmp_path / "build" / "model.tar.gz") as archive:
        names = sorted(archive.getnames())
    assert names == ["code/inference.py", "config.json", "model.safetensors", "tokenizer.json"]
    with pytest.raises(FileNotFoundError, match=r"holds no config\.json"):
        build(tmp_path / "again", tmp_path / "build")
