"""The sandbox's extractive stand-in model (launchpad_serving.extractive) through the serving contract's WSGI
application, as SageMaker's POST /invocations reaches it: the Hugging Face text2text shapes of
docs/assistant.md, and a 400 that quotes nothing for every malformed request."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import launchpad_serving as serving
from launchpad_serving import extractive

SENTINEL = "JANEDOE19700101"
NOTE = "(Extractive stand-in: this answer was copied from a passage; it is not from a language model.)"
CONTEXT = (
    "[p-0012] Sunburn is skin damage from ultraviolet light. Cool the skin with a damp cloth. "
    "[p-0340] Adults may take 200 to 400 mg of ibuprofen every 4 to 6 hours for pain [1]. "
    "Take ibuprofen with food to protect the stomach."
)


def invoke(body: bytes, content_type: str = "application/json") -> tuple[str, Any]:
    app = serving.InferenceApp(
        serving.Model(serving.Handlers.from_module("launchpad_serving.extractive"), "-")
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/invocations",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_ACCEPT": "application/json",
        "wsgi.input": io.BytesIO(body),
    }
    started: list[str] = []
    answer = b"".join(app(environ, lambda status, headers: started.append(status)))
    return started[0], json.loads(answer)


def ask(inputs: str, **extra: Any) -> tuple[str, Any]:
    return invoke(json.dumps({"inputs": inputs, "parameters": {"max_new_tokens": 256}, **extra}).encode())


def test_the_best_matching_sentence_is_copied_with_its_passage_id_and_the_note() -> None:
    status, answer = ask(f"question: How much ibuprofen can I take for pain? context: {CONTEXT}")
    assert status == "200 OK"
    assert answer == [
        {
            "generated_text": "Adults may take 200 to 400 mg of ibuprofen every 4 to 6 hours for pain [1]. "
            f"[p-0340] {NOTE}"
        }
    ]


def test_rare_words_outweigh_common_ones_and_ties_go_to_the_earlier_passage() -> None:
    _, answer = ask(f"question: Should I take ibuprofen on an empty stomach? context: {CONTEXT}")
    assert answer[0]["generated_text"] == f"Take ibuprofen with food to protect the stomach. [p-0340] {NOTE}"
    context = "[p-1] Rest helps recovery. [p-2] Rest helps recovery."
    assert ask(f"question: does rest help? context: {context}")[1][0]["generated_text"].endswith(
        f"[p-1] {NOTE}"
    )


@pytest.mark.parametrize(
    "inputs",
    ["question: what about sunburn?", "question: What is the capital of France? context: " + CONTEXT],
)
def test_without_a_matching_sentence_the_answer_says_so(inputs: str) -> None:
    status, answer = ask(inputs)
    assert (status, answer) == ("200 OK", [{"generated_text": f"{extractive.NO_ANSWER} {NOTE}"}])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (f'{{"inputs": "{SENTINEL}'.encode(), "application/json"),
        (json.dumps([SENTINEL]).encode(), "application/json"),
        (json.dumps({"inputs": SENTINEL}).encode(), "application/json"),
        (json.dumps({"inputs": 42}).encode(), "application/json"),
        (
            json.dumps({"inputs": f"question: {SENTINEL}", "parameters": [SENTINEL]}).encode(),
            "application/json",
        ),
        (json.dumps({"inputs": f"question: {SENTINEL}", "other": SENTINEL}).encode(), "application/json"),
        (json.dumps({"inputs": "question: " + "x" * 200_001}).encode(), "application/json"),
    ],
    ids=["not-json", "list", "no-prefix", "number", "parameters", "extra", "too-long"],
)
def test_a_malformed_request_is_400_quoting_nothing(body: bytes, content_type: str) -> None:
    status, answer = invoke(body, content_type)
    assert status == "400 Bad Request"
    assert SENTINEL not in answer["error"] and "send" in answer["error"]


def test_a_request_that_is_not_json_is_415() -> None:
    assert invoke(b"question: x", "text/plain")[0] == "415 Unsupported Media Type"
