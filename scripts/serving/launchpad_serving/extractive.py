"""The sandbox's stand-in for the assistant's model: the Hugging Face text2text contract, answered by copying
the passage sentence that best matches the question (docs/assistant.md, "The model's contract").

On AWS a T5-family model in the Hugging Face inference container answers the assistant's request; on the
sandbox no weights can be downloaded, so this handler module answers the same request, with the same shapes::

    {"inputs": "question: <question> context: [p-0012] <passage text> [p-0340] <passage text>",
     "parameters": {"max_new_tokens": 256}}
    -> [{"generated_text": "<best matching sentence> [p-0012] (Extractive stand-in: ...)"}]

The passages are the text after ``context:``, each after its id in brackets (an id starts with a letter, so
a citation such as ``[1]`` inside a passage stays text). Each passage is split into sentences; a sentence's
score is the sum, over the question's distinct words (lower case, two or more letters or digits, common
function words dropped), of 1 / the number of sentences holding the word, so rare words weigh more. The
best sentence wins; ties go to the earlier passage (the retrieval's rank), then the earlier sentence. Every
answer ends with ``NOTE``, so no one mistakes it for a language model's, and one without a matching sentence
says so. ``parameters`` are read (they must be an object) and ignored.

A malformed request is a ``BadRequest`` (400) that says what to send and quotes nothing of it
(``read_json``): the request carries a patient's question. Standard library only; the serving distribution
does not depend on launchpad, so the tokenizer here is its own, simpler than
``launchpad.assistant.retrieval.tokenize`` (which ranks the passages before they reach the model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from launchpad_serving.contract import BadRequest, json_output, read_json

NOTE = "(Extractive stand-in: this answer was copied from a passage; it is not from a language model.)"
NO_ANSWER = "None of the passages given answers this question."
HINT = '{"inputs": "question: <question> context: [<id>] <passage text> ...", "parameters": {...}}'
MAX_INPUT_CHARS = 200_000
QUESTION = "question:"
CONTEXT = " context:"
_PASSAGE_ID = re.compile(r"\[([A-Za-z][A-Za-z0-9._-]{0,63})\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W_]{2,}")
STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have",
        "how", "i", "in", "is", "it", "my", "of", "on", "or", "should", "the", "to", "was", "what", "when",
        "where", "which", "who", "why", "will", "with", "you", "your",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Request:
    question: str
    passages: tuple[tuple[str, str], ...]  # (id, text), in the order given


def model_fn(model_dir: str) -> dict[str, str]:
    """No weights: the stand-in's "model" names what it is."""
    return {"name": "extractive-stand-in"}


def input_fn(body: bytes, content_type: str) -> Request:
    document = read_json(body, content_type, hint=HINT)
    if not isinstance(document, dict) or not set(document) <= {"inputs", "parameters"}:
        raise BadRequest(f"send a JSON object with inputs and optional parameters: {HINT}")
    inputs = document.get("inputs")
    if not isinstance(inputs, str) or not inputs.startswith(QUESTION):
        raise BadRequest(f"inputs is text starting with '{QUESTION}'; send {HINT}")
    if len(inputs) > MAX_INPUT_CHARS:
        raise BadRequest(f"inputs is over {MAX_INPUT_CHARS} characters; send fewer or shorter passages")
    if not isinstance(document.get("parameters", {}), dict):
        raise BadRequest(f'parameters is an object, e.g. {{"max_new_tokens": 256}}; send {HINT}')
    question, _, context = inputs[len(QUESTION) :].partition(CONTEXT)
    return Request(question.strip(), _passages(context))


def _passages(context: str) -> tuple[tuple[str, str], ...]:
    """The (id, text) pairs of ``[id] text [id] text`` (text before the first id is dropped)."""
    parts = _PASSAGE_ID.split(context)
    return tuple(
        (parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2) if parts[i + 1].strip()
    )


def words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in STOPWORDS}


def predict_fn(request: Request, model: Any) -> list[dict[str, str]]:
    sentences = [
        (passage_id, sentence.strip())
        for passage_id, text in request.passages
        for sentence in _SENTENCE_END.split(text)
        if sentence.strip()
    ]
    wanted = words(request.question)
    held = [words(sentence) for _, sentence in sentences]
    frequency = {word: sum(word in these for these in held) for word in wanted}
    best, best_score = None, 0.0
    for position, these in enumerate(held):
        score = sum(1 / frequency[word] for word in wanted & these)
        if score > best_score:
            best, best_score = position, score
    if best is None:
        return [{"generated_text": f"{NO_ANSWER} {NOTE}"}]
    passage_id, sentence = sentences[best]
    return [{"generated_text": f"{sentence} [{passage_id}] {NOTE}"}]


def output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    return json_output(prediction, accept)
