"""The offline side of retrieval: build the index with bm25s, and evaluate what is served (recall@k, MRR@10).

``build`` tokenizes each passage with ``retrieval.tokenize`` (the tokenizer the Lambda function runs on the
question), lets bm25s compute its eager sparse matrix of per-(token, passage) BM25 scores, and exports that
matrix as postings in a JSON document that ``retrieval.Index`` loads with the standard library alone.
``evaluate`` scores a labelled question set through ``retrieval.Index.search``: the code that serves, not
bm25s, so an export or tokenizer mistake shows in the numbers. bm25s (and numpy) are imported only by
``build``: loading, searching and evaluating need neither.

Corpus and questions are JSON Lines, read from a path or an ``s3://`` URI; the index is written to a path
or an ``s3://`` URI (SSE-KMS, ``ExpectedBucketOwner``).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from launchpad.assistant import retrieval
from launchpad.assistant.retrieval import PASSAGE_FIELDS, Passage

LOG = logging.getLogger(__name__)
K1 = 1.5
B = 0.75
METHOD = "lucene"
# The variants whose score is a plain sum of per-(token, passage) scores; bm25l and bm25+ add a score for
# every query token a passage lacks, which the exported postings cannot hold.
METHODS = ("lucene", "robertson", "atire")
# bm25s computes in float32 (about 7 digits); 6 keep every summed score within 1e-5 of bm25s' own and make
# the postings a third smaller than float32's full repr.
SIGNIFICANT_DIGITS = 6
MRR_CUTOFF = 10  # MRR@10: a question whose first relevant passage ranks below 10 counts 0
CORPUS_PACKAGE = "launchpad.assistant"


class CorpusError(ValueError):
    """A corpus, question set or location this module cannot use; the message names the file and line."""


# -- reading -------------------------------------------------------------------------------------------------
def shipped(name: str) -> str:
    """The path of a shipped corpus file (``passages.jsonl``, ``questions.jsonl``)."""
    return str(resources.files(CORPUS_PACKAGE).joinpath("corpus", name))


def read_bytes(location: str, *, s3: Any = None, bucket_owner: str | None = None) -> bytes:
    """The bytes of a local path or an ``s3://bucket/key`` object."""
    if location.startswith("s3://"):
        bucket, key = split_uri(location)
        extra = {"ExpectedBucketOwner": bucket_owner} if bucket_owner else {}
        try:
            return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())
        except Exception as exc:  # botocore's ClientError and NoSuchKey, without importing botocore
            if type(exc).__name__ in ("NoSuchKey", "NoSuchBucket", "ClientError"):
                raise CorpusError(f"cannot read {location}: {exc}") from None
            raise
    try:
        return Path(location).read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read {location}: {exc.strerror or exc}") from None


def write_bytes(
    location: str,
    body: bytes,
    *,
    kms_key_id: str | None = None,
    bucket_owner: str | None = None,
    s3: Any = None,
) -> None:
    """``body`` to a local path (its folder made) or to ``s3://bucket/key`` encrypted with ``kms_key_id``
    (required there) in a bucket ``bucket_owner`` owns."""
    if location.startswith("s3://"):
        if not kms_key_id:
            raise CorpusError(f"writing {location} needs a KMS key (SSE-KMS): give --kms-key-id")
        bucket, key = split_uri(location)
        extra = {"ExpectedBucketOwner": bucket_owner} if bucket_owner else {}
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=kms_key_id,
                **extra,
            )
        except Exception as exc:  # botocore's ClientError (AccessDenied, NoSuchBucket, a KMS refusal)
            if type(exc).__name__ in ("NoSuchBucket", "ClientError"):
                raise CorpusError(f"cannot write {location}: {exc}") from None
            raise
        return
    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key or key.endswith("/"):
        raise CorpusError(f"{uri!r} is not an s3://bucket/key URI of one object")
    return bucket, key


def json_lines(data: bytes, name: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{name} is not UTF-8 text") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise CorpusError(f"{name} line {number} is not JSON") from None
        if not isinstance(item, dict):
            raise CorpusError(f"{name} line {number} is not a JSON object")
        found.append((number, item))
    if not found:
        raise CorpusError(f"{name} holds no lines")
    return found


def read_passages(data: bytes, name: str) -> list[Passage]:
    """The passages of a JSON Lines corpus: every field of ``PASSAGE_FIELDS`` a non-empty string, ids
    unique, and text that leaves at least one token to search."""
    passages: list[Passage] = []
    lines: dict[str, int] = {}
    for number, item in json_lines(data, name):
        missing = [f for f in PASSAGE_FIELDS if not isinstance(item.get(f), str) or not item[f].strip()]
        if missing:
            raise CorpusError(f"{name} line {number}: {', '.join(missing)} missing or empty")
        extra = sorted(set(item) - set(PASSAGE_FIELDS))
        if extra:
            raise CorpusError(f"{name} line {number}: unknown fields {', '.join(extra)}")
        if item["id"] in lines:
            raise CorpusError(
                f"{name} line {number}: id {item['id']!r} is already on line {lines[item['id']]}"
            )
        lines[item["id"]] = number
        passage = Passage(**{f: item[f] for f in PASSAGE_FIELDS})
        if not retrieval.tokenize(passage.searchable):
            raise CorpusError(f"{name} line {number}: {passage.id} has no searchable word (only stopwords)")
        passages.append(passage)
    return passages


@dataclass(frozen=True)
class Question:
    question: str
    relevant: tuple[str, ...]


def read_questions(data: bytes, name: str, known: Iterable[str] | None = None) -> list[Question]:
    """The labelled questions of a JSON Lines file (``question``, ``relevant``: passage ids); with
    ``known``, every relevant id must be one of them."""
    known_ids = set(known) if known is not None else None
    questions = []
    for number, item in json_lines(data, name):
        text, relevant = item.get("question"), item.get("relevant")
        if not isinstance(text, str) or not text.strip():
            raise CorpusError(f"{name} line {number}: question missing or empty")
        if (
            not isinstance(relevant, list)
            or not relevant
            or not all(isinstance(r, str) for r in relevant)
            or len(set(relevant)) != len(relevant)
        ):
            raise CorpusError(f"{name} line {number}: relevant is not a non-empty list of distinct ids")
        unknown = [r for r in relevant if known_ids is not None and r not in known_ids]
        if unknown:
            raise CorpusError(f"{name} line {number}: the index has no passage {', '.join(unknown)}")
        questions.append(Question(text, tuple(relevant)))
    return questions


# -- building ------------------------------------------------------------------------------------------------
def build(
    passages: Sequence[Passage], *, k1: float = K1, b: float = B, method: str = METHOD
) -> dict[str, Any]:
    """The index document of ``passages``: bm25s' per-(token, passage) scores as postings, with the
    passages, the tokenizer and the BM25 parameters, for ``retrieval.Index.from_document``."""
    if not passages:
        raise CorpusError("there are no passages to index")
    if method not in METHODS:
        raise CorpusError(f"method {method!r} is not one of {', '.join(METHODS)}")
    ids = [p.id for p in passages]
    if len(set(ids)) != len(ids):
        raise CorpusError("passage ids are not unique")
    import bm25s  # numpy with it: the offline side only

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG
    tokens = [retrieval.tokenize(p.searchable) for p in passages]
    empty = [p.id for p, t in zip(passages, tokens, strict=True) if not t]
    if empty:
        raise CorpusError(f"passages without a searchable word: {', '.join(empty)}")
    model = bm25s.BM25(k1=k1, b=b, method=method)
    model.index(tokens, create_empty_token=False, show_progress=False)
    data, rows, indptr = (model.scores[name].tolist() for name in ("data", "indices", "indptr"))
    vocabulary = sorted(model.vocab_dict, key=model.vocab_dict.__getitem__)
    postings = []
    for column in range(len(vocabulary)):
        pairs = sorted(
            zip(
                rows[indptr[column] : indptr[column + 1]],
                data[indptr[column] : indptr[column + 1]],
                strict=True,
            )
        )
        postings.append({"passages": [p for p, _ in pairs], "scores": [_round(s) for _, s in pairs]})
    LOG.info("indexed %d passages, %d tokens", len(passages), len(vocabulary))
    return {
        "format": retrieval.FORMAT,
        "format_version": retrieval.FORMAT_VERSION,
        "tokenizer": {"name": retrieval.TOKENIZER, "version": retrieval.TOKENIZER_VERSION},
        "bm25": {"library": "bm25s", "version": bm25s.__version__, "k1": k1, "b": b, "method": method},
        "passages": [p.as_dict() for p in passages],
        "vocabulary": vocabulary,
        "postings": postings,
    }


def _round(value: float) -> float:
    return 0.0 if value == 0 else round(value, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))


def dumps(document: Mapping[str, Any]) -> bytes:
    """The index document as compact JSON bytes, keys in a fixed order: the same corpus, the same bytes."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- evaluating ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Miss:
    """A question none of whose relevant passages is in the top max(ks): what it got instead."""

    question: str
    relevant: tuple[str, ...]
    retrieved: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    """recall@k (per question the share of its relevant passages in the top k, averaged over questions) and
    MRR@10 (the mean of 1/rank of the first relevant passage, 0 past rank 10)."""

    questions: int
    recall: Mapping[int, float]
    mrr: float
    misses: tuple[Miss, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "recall": {f"@{k}": value for k, value in sorted(self.recall.items())},
            "mrr": self.mrr,
            "mrr_cutoff": MRR_CUTOFF,
            "misses": [
                {"question": m.question, "relevant": list(m.relevant), "retrieved": list(m.retrieved)}
                for m in self.misses
            ],
        }

    def below(self, floors: Mapping[int, float]) -> dict[int, float]:
        """The recall@k of each ``floors`` k that is below its floor (a k not evaluated counts 0)."""
        return {k: self.recall.get(k, 0.0) for k, floor in floors.items() if self.recall.get(k, 0.0) < floor}


def evaluate(
    index: retrieval.Index, questions: Sequence[Question], ks: Sequence[int] = (1, 3, 5)
) -> Evaluation:
    """recall@k for each of ``ks`` and MRR@10 of ``questions`` over what ``index.search`` returns."""
    if not questions:
        raise CorpusError("there are no questions to evaluate")
    if not ks or any(k < 1 for k in ks):
        raise CorpusError(f"every k must be 1 or more: {list(ks)}")
    ks = sorted(set(ks))
    depth = max(ks[-1], MRR_CUTOFF)
    found = {k: 0.0 for k in ks}
    reciprocal = 0.0
    misses = []
    for question in questions:
        ranked = [hit.id for hit in index.search(question.question, depth)]
        relevant = set(question.relevant)
        for k in ks:
            found[k] += len(relevant.intersection(ranked[:k])) / len(relevant)
        first = next((rank for rank, pid in enumerate(ranked[:MRR_CUTOFF], start=1) if pid in relevant), None)
        reciprocal += 1 / first if first else 0.0
        if not relevant.intersection(ranked[: ks[-1]]):
            misses.append(Miss(question.question, question.relevant, tuple(ranked[: ks[-1]])))
    count = len(questions)
    return Evaluation(count, {k: found[k] / count for k in ks}, reciprocal / count, tuple(misses))
