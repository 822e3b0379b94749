"""What ``launchpad assistant index|evaluate`` do, for the CLI: corpus, questions and index in (local paths or
``s3://`` URIs), documents out.

``index`` builds the retrieval index of a JSON Lines corpus with bm25s (the ``assistant`` extra) and writes
it where the Lambda function reads it (``INDEX_URI``, docs/assistant.md). ``evaluate`` loads an index the
way the function does and scores a labelled question set through it, so a build can gate on recall@k.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.assistant import index, retrieval
from launchpad.aws import AwsTarget
from launchpad.errors import AssistantError

PASSAGES = "passages.jsonl"
QUESTIONS = "questions.jsonl"
DEFAULT_KS = (1, 3, 5)


BELOW_FLOOR_EXIT = 26  # evaluate: a --min-recall floor was missed (the result is still printed)


@dataclass(frozen=True)
class _S3:
    """An S3 client and the account that must own the buckets (ExpectedBucketOwner)."""

    client: Any
    owner: str | None


def _s3(locations: Sequence[str], s3: Any, bucket_owner: str | None) -> _S3:
    """The S3 client and bucket owner, made from the AWS_* environment only when an s3:// location needs
    them; the owner defaults to the caller's account."""
    if not any(location.startswith("s3://") for location in locations):
        return _S3(s3, bucket_owner)
    if s3 is None or bucket_owner is None:
        try:
            target = AwsTarget.from_env()
            s3 = s3 if s3 is not None else target.client("s3")
            bucket_owner = bucket_owner or target.client("sts").get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:  # no credentials, no network, STS refused
            remote = ", ".join(location for location in locations if location.startswith("s3://"))
            raise AssistantError(f"cannot reach AWS for {remote}: {exc}") from None
    return _S3(s3, bucket_owner)


def _read(location: str, where: _S3) -> bytes:
    try:
        return index.read_bytes(location, s3=where.client, bucket_owner=where.owner)
    except index.CorpusError as exc:
        raise AssistantError(str(exc)) from None


def _build(corpus: str, where: _S3) -> tuple[list[retrieval.Passage], dict[str, Any]]:
    try:
        passages = index.read_passages(_read(corpus, where), corpus)
        return passages, index.build(passages)
    except index.CorpusError as exc:
        raise AssistantError(str(exc)) from None
    except ModuleNotFoundError as exc:
        raise AssistantError(
            f"building the index needs {exc.name}: pip install 'launchpad[assistant]'"
        ) from None


def build_index(
    corpus: str | None,
    output: str,
    *,
    kms_key_id: str | None = None,
    bucket_owner: str | None = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Build the index of ``corpus`` (default: the shipped passages) and write it to ``output``; returns
    what was written, for the CLI."""
    corpus = corpus or index.shipped(PASSAGES)
    if output.startswith("s3://") and not kms_key_id:
        raise AssistantError(f"writing {output} needs --kms-key-id: the index is written with SSE-KMS")
    where = _s3((corpus, output), s3, bucket_owner)
    passages, document = _build(corpus, where)
    body = index.dumps(document)
    try:
        index.write_bytes(output, body, kms_key_id=kms_key_id, bucket_owner=where.owner, s3=where.client)
    except index.CorpusError as exc:
        raise AssistantError(str(exc)) from None
    except OSError as exc:
        raise AssistantError(f"cannot write {output}: {exc.strerror or exc}") from None
    return {
        "index": output,
        "corpus": corpus,
        "passages": len(passages),
        "tokens": len(document["vocabulary"]),
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "bm25": document["bm25"],
        "tokenizer": document["tokenizer"],
    }


def evaluate_index(
    index_location: str | None,
    questions: str | None,
    ks: Sequence[int] = DEFAULT_KS,
    floors: Mapping[int, float] | None = None,
    *,
    bucket_owner: str | None = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Evaluate an index (default: the shipped corpus, built now) on ``questions`` (default: the shipped
    ones) through ``retrieval.Index.search``. ``passed`` is false when a recall@k is below its floor."""
    floors = dict(floors or {})
    questions = questions or index.shipped(QUESTIONS)
    where = _s3([q for q in (index_location, questions) if q], s3, bucket_owner)
    if index_location:
        try:
            served = retrieval.Index.loads(_read(index_location, where))
        except ValueError as exc:
            raise AssistantError(f"{index_location}: {exc}") from None
    else:
        served = retrieval.Index.from_document(_build(index.shipped(PASSAGES), where)[1])
    try:
        labelled = index.read_questions(_read(questions, where), questions, served.ids)
        result = index.evaluate(served, labelled, sorted({*ks, *floors}))
    except index.CorpusError as exc:
        raise AssistantError(str(exc)) from None
    below = result.below(floors)
    return {
        **result.as_dict(),
        "index": index_location or f"(built from {index.shipped(PASSAGES)})",
        "questions_file": questions,
        "floors": {f"@{k}": v for k, v in sorted(floors.items())},
        "below": {f"@{k}": v for k, v in sorted(below.items())},
        "passed": not below,
    }


def evaluation_summary(result: Mapping[str, Any]) -> str:
    """One line of metrics, then the misses and missed floors, for people."""
    recall = ", ".join(f"recall{k} {v:.3f}" for k, v in result["recall"].items())
    lines = [f"{result['questions']} questions: {recall}, MRR@{result['mrr_cutoff']} {result['mrr']:.3f}"]
    deepest = max(int(k[1:]) for k in result["recall"])
    if result["misses"]:
        lines.append(f"{len(result['misses'])} found none of their passages in the top {deepest}:")
        lines += [f"  {m['question']!r}: wanted {', '.join(m['relevant'])}" for m in result["misses"]]
    lines += [
        f"recall{k} {value:.3f} is below the floor {result['floors'][k]:g}"
        for k, value in result["below"].items()
    ]
    return "\n".join(lines)
