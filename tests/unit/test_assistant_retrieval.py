"""launchpad.assistant.retrieval: the tokenizer, the exported index's checks, and search over it."""

from __future__ import annotations

import ast
import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from launchpad.assistant import retrieval
from launchpad.assistant.retrieval import Hit, Index, tokenize


def passage(pid: str, text: str = "some text") -> dict[str, str]:
    return {
        "id": pid,
        "title": f"title {pid}",
        "text": text,
        "source": "MedlinePlus: Example",
        "url": "https://medlineplus.gov/example.html",
        "licence": "CC0-1.0",
    }


def document(**changes: Any) -> dict[str, Any]:
    """A hand-made index of four passages: "fever" in 0, 1 and 3 (equal scores in 1 and 3), "cough" in 1,
    "rash" in 2."""
    base: dict[str, Any] = {
        "format": retrieval.FORMAT,
        "format_version": retrieval.FORMAT_VERSION,
        "tokenizer": {"name": retrieval.TOKENIZER, "version": retrieval.TOKENIZER_VERSION},
        "bm25": {"library": "bm25s", "k1": 1.5, "b": 0.75, "method": "lucene"},
        "passages": [passage(f"p-{n}") for n in range(4)],
        "vocabulary": ["fever", "cough", "rash"],
        "postings": [
            {"passages": [0, 1, 3], "scores": [0.5, 0.25, 0.25]},
            {"passages": [1], "scores": [0.5]},
            {"passages": [2], "scores": [2.0]},
        ],
    }
    base.update(changes)
    return base


# -- the tokenizer -------------------------------------------------------------------------------------------
def test_tokenize_lowercases_keeps_words_of_two_or_more_and_drops_stopwords() -> None:
    assert tokenize("What is a FEVER, and how do I treat it? x 38.5 C") == ["fever", "treat", "38"]


def test_tokenize_keeps_unicode_words_and_repeats() -> None:
    assert tokenize("Fièvre? fièvre; Übelkeit") == ["fièvre", "fièvre", "übelkeit"]


@pytest.mark.parametrize(
    ("word", "token"),
    [
        ("burns", "burn"),
        ("babies", "baby"),
        ("rashes", "rash"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("illness", "illness"),
        ("virus", "virus"),
        ("arthritis", "arthritis"),
        ("gas", "gas"),
        ("burn", "burn"),
    ],
)
def test_tokenize_takes_plurals_off_only(word: str, token: str) -> None:
    assert tokenize(word) == [token]


def test_tokenize_of_nothing_searchable_is_empty() -> None:
    assert tokenize("") == tokenize("?? !! a I") == tokenize("what should I do") == []


def test_retrieval_imports_the_standard_library_only() -> None:
    """The Lambda function's zip holds the standard library and boto3: no numpy, no bm25s here."""
    tree = ast.parse(Path(retrieval.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots - {"__future__"} <= sys.stdlib_module_names, roots


# -- search --------------------------------------------------------------------------------------------------
def test_search_ranks_by_summed_scores_ties_in_passage_order() -> None:
    index = Index.from_document(document())
    assert index.search("fever and cough", 10) == [
        Hit("p-1", 0.75, 1),  # 0.25 + 0.5
        Hit("p-0", 0.5, 2),
        Hit("p-3", 0.25, 3),
    ]
    assert [h.id for h in index.search("fevers", 10)] == ["p-0", "p-1", "p-3"]  # equal p-1, p-3: order kept


def test_search_stops_at_k_and_counts_repeated_tokens_again() -> None:
    index = Index.from_document(document())
    assert index.search("fever cough", 1) == [Hit("p-1", 0.75, 1)]
    assert index.search("rash fever fever", 2) == [Hit("p-2", 2.0, 1), Hit("p-0", 1.0, 2)]


def test_unknown_tokens_add_nothing_and_an_empty_question_finds_nothing() -> None:
    index = Index.from_document(document())
    assert index.search("rash zebra", 5) == index.search("rash", 5) == [Hit("p-2", 2.0, 1)]
    assert index.search("zebra giraffe", 5) == []
    assert index.search("", 5) == index.search("what should I do?", 5) == []
    with pytest.raises(ValueError, match="k must be 1 or more, not 0"):
        index.search("fever", 0)


def test_passages_by_id() -> None:
    index = Index.loads(json.dumps(document()).encode())
    assert index.passage("p-2").as_dict() == passage("p-2")
    assert index.passage("p-2").searchable == "title p-2\nsome text"
    assert index.ids == ("p-0", "p-1", "p-2", "p-3")
    with pytest.raises(KeyError, match="no passage 'p-9'"):
        index.passage("p-9")


# -- refused documents ---------------------------------------------------------------------------------------
def _broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document())
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "other", "format is 'other', not 'launchpad-bm25-index'"),
        (("format_version",), 2, "format_version is 2; this code reads 1: rebuild it"),
        (("tokenizer",), {"name": "launchpad-en", "version": 99}, "built with tokenizer .*rebuild it"),
        (("tokenizer",), _DELETE, "built with tokenizer None"),
        (("bm25",), _DELETE, "no bm25 object"),
        (("passages",), [], "passages are not a non-empty list"),
        (("passages", 1), "p-1", "passage 1 is not an object"),
        (("passages", 1, "url"), _DELETE, "passage 1 has no text field url"),
        (("passages", 1, "id"), "p-0", "holds passage id 'p-0' twice"),
        (("vocabulary",), ["fever", "cough"], "2 vocabulary tokens but 3 postings lists"),
        (("vocabulary", 1), "fever", "holds 'fever' twice"),
        (("vocabulary", 1), "", "holds '', not a token"),
        (("postings",), {"fever": []}, "vocabulary and postings are not lists"),
        (("postings", 0, "scores"), [0.5, 0.25], "postings of 'fever' are not equally long"),
        (("postings", 0, "passages"), [0, 1, 4], r"name a passage outside 0\.\.3"),
        (("postings", 0, "passages"), [0, 1, True], r"name a passage outside 0\.\.3"),
        (("postings", 0, "passages"), [1, 0, 3], "not in increasing passage order"),
        (("postings", 1), {"passages": [], "scores": []}, "postings of 'cough' are empty"),
        (("postings", 2, "scores"), ["2.0"], "postings of 'rash' hold a score that is not a finite number"),
        (("postings", 2, "scores"), [float("nan")], "not a finite number"),
    ],
)
def test_a_bad_document_is_refused_naming_what_is_wrong(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Index.from_document(_broken(path, value))


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"{not json", "not JSON"), (b"[]", "not a JSON object"), (b"\xff\xfe{", "not JSON")],
)
def test_bytes_that_are_no_index_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Index.loads(data)
