"""Retrieval at query time: the one tokenizer, and BM25 scoring over the exported index.

The assistant's Lambda function (docs/assistant.md) imports this module, and its zip holds the standard
library and boto3 only: no numpy, no bm25s here. The index is built offline (``launchpad.assistant.index``)
with bm25s, whose eager sparse matrix holds the BM25 score of every (token, passage) pair; the exported
document keeps those scores as postings, so a question's score for a passage is the sum, over the
question's tokens, of that token's score in that passage: what bm25s' own ``retrieve`` computes for the
lucene, robertson and atire variants. ``tokenize`` is the only tokenizer: the offline build calls it on the
passages, ``Index.search`` on the question, so the two cannot drift apart.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "launchpad-bm25-index"
FORMAT_VERSION = 1
# An index records the tokenizer it was built with; a change to tokenize() that changes any token is a new
# version, and an index of another version is refused (its vocabulary would no longer match questions).
TOKENIZER = "launchpad-en"
TOKENIZER_VERSION = 1
PASSAGE_FIELDS = ("id", "title", "text", "source", "url", "licence")

# bm25s' default token pattern: runs of 2 or more word characters (letters, digits, underscore; Unicode).
_WORD = re.compile(r"(?u)\b\w\w+\b")
# English function words, and the question words people type ("how do I ..."), which say nothing about
# which passage answers, with what is left of contractions ("don't" is "don" and "t"). Medical words
# ("pain", "take", "dose") are never stopwords.
_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves ok okay get got also
    im ive id dont doesnt isnt cant shouldnt wont don doesn didn isn aren wasn shouldn won couldn wouldn
    ll ve re
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def tokenize(text: str) -> list[str]:
    """The searchable tokens of ``text``: lowercased words of 2+ characters, stopwords dropped, plurals
    made singular, in order, repeats kept (BM25 counts them)."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        tokens.append(_stem(word))
    return tokens


def _stem(word: str) -> str:
    """Plural "-s", "-es", "-ies" off (not "-ss", "-us", "-is"), so "burns" finds "burn". Measured on the
    shipped questions (launchpad assistant evaluate): recall@1 0.633 -> 0.658 and recall@3 0.750 -> 0.775
    over no stemming; also cutting "-ing", "-ed", "-ly", "-er" gained nothing (recall@5 fell)."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


@dataclass(frozen=True)
class Passage:
    """A passage of the corpus: what the answer cites (docs/assistant.md, ``sources``)."""

    id: str
    title: str
    text: str
    source: str
    url: str
    licence: str

    @property
    def searchable(self) -> str:
        """What is indexed: the title and the text."""
        return f"{self.title}\n{self.text}"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in PASSAGE_FIELDS}


@dataclass(frozen=True)
class Hit:
    """A retrieved passage: its id, its BM25 score, its rank (1 is best)."""

    id: str
    score: float
    rank: int


@dataclass(frozen=True)
class Index:
    """The exported index: the passages, in order, and each token's postings (passage position, score)."""

    passages: tuple[Passage, ...]
    postings: Mapping[str, tuple[tuple[int, float], ...]] = field(repr=False)
    bm25: Mapping[str, Any] = field(default_factory=dict)
    _positions: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def loads(cls, data: bytes | str) -> Index:
        """The index of an exported JSON document."""
        try:
            document = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"the index is not JSON: {exc}") from None
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Any) -> Index:
        """The index of an exported document (``launchpad.assistant.index.build``), checked: a document this
        code cannot serve correctly raises ValueError naming what is wrong."""
        if not isinstance(document, dict):
            raise ValueError("the index is not a JSON object")
        if document.get("format") != FORMAT:
            raise ValueError(f"the index's format is {document.get('format')!r}, not {FORMAT!r}")
        if document.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"the index's format_version is {document.get('format_version')!r}; this code reads "
                f"{FORMAT_VERSION}: rebuild it with launchpad assistant index"
            )
        tokenizer = document.get("tokenizer")
        wanted = {"name": TOKENIZER, "version": TOKENIZER_VERSION}
        if not isinstance(tokenizer, dict) or {k: tokenizer.get(k) for k in wanted} != wanted:
            raise ValueError(
                f"the index was built with tokenizer {tokenizer!r}; this code tokenizes questions with "
                f"{wanted}: rebuild it with launchpad assistant index"
            )
        bm25 = document.get("bm25")
        if not isinstance(bm25, dict):
            raise ValueError("the index has no bm25 object (its parameters)")
        passages = _passages(document.get("passages"))
        postings = _postings(document.get("vocabulary"), document.get("postings"), len(passages))
        return cls(passages, postings, bm25, {p.id: i for i, p in enumerate(passages)})

    def search(self, question: str, k: int) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first: a passage's score is the sum of its
        postings' scores over the question's tokens (a repeated token counts again, as in bm25s); a token
        the index does not know adds nothing; equal scores keep the passages' order. Passages no token
        matches are not hits, so a question with no known token has none."""
        if k < 1:
            raise ValueError(f"k must be 1 or more, not {k}")
        scores: dict[int, float] = {}
        for token in tokenize(question):
            for position, score in self.postings.get(token, ()):
                scores[position] = scores.get(position, 0.0) + score
        best = heapq.nsmallest(k, scores.items(), key=lambda item: (-item[1], item[0]))
        return [
            Hit(self.passages[position].id, score, rank)
            for rank, (position, score) in enumerate(best, start=1)
        ]

    def passage(self, passage_id: str) -> Passage:
        """The passage with this id (KeyError if there is none)."""
        try:
            return self.passages[self._positions[passage_id]]
        except KeyError:
            raise KeyError(f"the index has no passage {passage_id!r}") from None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.passages)


def _passages(raw: Any) -> tuple[Passage, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("the index's passages are not a non-empty list")
    passages = []
    seen: set[str] = set()
    for number, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"the index's passage {number} is not an object")
        bad = [name for name in PASSAGE_FIELDS if not isinstance(item.get(name), str)]
        if bad:
            raise ValueError(f"the index's passage {number} has no text field {', '.join(bad)}")
        if item["id"] in seen:
            raise ValueError(f"the index holds passage id {item['id']!r} twice")
        seen.add(item["id"])
        passages.append(Passage(**{name: item[name] for name in PASSAGE_FIELDS}))
    return tuple(passages)


def _postings(vocabulary: Any, raw: Any, size: int) -> dict[str, tuple[tuple[int, float], ...]]:
    if not isinstance(vocabulary, list) or not isinstance(raw, list):
        raise ValueError("the index's vocabulary and postings are not lists")
    if len(vocabulary) != len(raw):
        raise ValueError(f"the index has {len(vocabulary)} vocabulary tokens but {len(raw)} postings lists")
    postings: dict[str, tuple[tuple[int, float], ...]] = {}
    for token, entry in zip(vocabulary, raw, strict=True):
        if not isinstance(token, str) or not token:
            raise ValueError(f"the index's vocabulary holds {token!r}, not a token")
        if token in postings:
            raise ValueError(f"the index's vocabulary holds {token!r} twice")
        where = entry.get("passages") if isinstance(entry, dict) else None
        scores = entry.get("scores") if isinstance(entry, dict) else None
        if not isinstance(where, list) or not isinstance(scores, list) or len(where) != len(scores):
            raise ValueError(f"the postings of {token!r} are not equally long passages and scores lists")
        if not where:
            raise ValueError(f"the postings of {token!r} are empty")
        if any(type(p) is not int or not 0 <= p < size for p in where):
            raise ValueError(f"the postings of {token!r} name a passage outside 0..{size - 1}")
        if any(a >= b for a, b in itertools.pairwise(where)):
            raise ValueError(f"the postings of {token!r} are not in increasing passage order")
        if any(not isinstance(s, int | float) or isinstance(s, bool) or not math.isfinite(s) for s in scores):
            raise ValueError(f"the postings of {token!r} hold a score that is not a finite number")
        postings[token] = tuple(zip(where, map(float, scores), strict=True))
    return postings
