"""launchpad.assistant.index: corpus and question checks, the export of bm25s' scores, the evaluation's
arithmetic, the shipped set's numbers, and the S3 side (a recording stand-in for the client)."""

from __future__ import annotations

import json
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import bm25s
import pytest

from launchpad.assistant import commands, index, retrieval
from launchpad.assistant.index import CorpusError, Question
from launchpad.assistant.retrieval import Index
from launchpad.paths import repo_root

CORPUS = Path(index.shipped("passages.jsonl"))
QUESTIONS = Path(index.shipped("questions.jsonl"))
# Measured on the shipped set (120 passages, 60 questions): recall@1 0.658, @3 0.775, @5 0.842, MRR@10
# 0.741. The floors leave a margin for editing the corpus; a tokenizer or export mistake falls far below.
FLOORS = {1: 0.60, 3: 0.72, 5: 0.80}
MRR_FLOOR = 0.70


def line(**fields: Any) -> str:
    base = {
        "id": "p-1",
        "title": "Fever",
        "text": "A fever is a temperature of 38 C or more.",
        "source": "MedlinePlus: Fever",
        "url": "https://medlineplus.gov/fever.html",
        "licence": "CC0-1.0",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None})


def corpus(*lines: str) -> bytes:
    return "\n".join(lines).encode()


@pytest.fixture(scope="module")
def shipped() -> tuple[list[retrieval.Passage], dict[str, Any]]:
    passages = index.read_passages(CORPUS.read_bytes(), CORPUS.name)
    return passages, index.build(passages)


@pytest.fixture(scope="module")
def served(shipped: tuple[list[retrieval.Passage], dict[str, Any]]) -> Index:
    return Index.loads(index.dumps(shipped[1]))


# -- reading the corpus and the questions -------------------------------------------------------------------
def test_a_corpus_is_read_in_order_blank_lines_skipped() -> None:
    passages = index.read_passages(corpus(line(), "", line(id="p-2", text="Cough.")), "c.jsonl")
    assert [p.id for p in passages] == ["p-1", "p-2"]
    assert passages[1].as_dict()["text"] == "Cough."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (corpus(line(), line()), "c.jsonl line 2: id 'p-1' is already on line 1"),
        (corpus(line(text="  ")), "c.jsonl line 1: text missing or empty"),
        (corpus(line(url=None, licence=None)), "c.jsonl line 1: url, licence missing or empty"),
        (corpus(line(title=3)), "c.jsonl line 1: title missing or empty"),
        (corpus(line(extra="x")), "c.jsonl line 1: unknown fields extra"),
        (corpus(line(title="What", text="is it, and how?")), "line 1: p-1 has no searchable word"),
        (corpus(line(), "{not json"), "c.jsonl line 2 is not JSON"),
        (corpus("[1, 2]"), "c.jsonl line 1 is not a JSON object"),
        (b"\n\n", "c.jsonl holds no lines"),
        (b"\xff\xfe", "c.jsonl is not UTF-8 text"),
    ],
)
def test_a_bad_corpus_is_refused_naming_the_line(data: bytes, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        index.read_passages(data, "c.jsonl")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"question": "", "relevant": ["p-1"]}, "line 1: question missing or empty"),
        ({"question": "fever?", "relevant": []}, "relevant is not a non-empty list of distinct ids"),
        ({"question": "fever?", "relevant": "p-1"}, "relevant is not a non-empty list"),
        ({"question": "fever?", "relevant": ["p-1", "p-1"]}, "distinct ids"),
        ({"question": "fever?", "relevant": ["p-1", "p-7"]}, "line 1: the index has no passage p-7"),
    ],
)
def test_bad_questions_are_refused_naming_the_line(item: dict[str, Any], message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        index.read_questions(json.dumps(item).encode(), "q.jsonl", known=["p-1"])


# -- building: bm25s' scores, exported ---------------------------------------------------------------------
def test_the_document_says_how_it_was_built(shipped: tuple[list[retrieval.Passage], dict[str, Any]]) -> None:
    passages, document = shipped
    assert document["format"] == retrieval.FORMAT and document["format_version"] == retrieval.FORMAT_VERSION
    assert document["tokenizer"] == {"name": retrieval.TOKENIZER, "version": retrieval.TOKENIZER_VERSION}
    assert document["bm25"] == {
        "library": "bm25s",
        "version": "0.3.16",
        "k1": 1.5,
        "b": 0.75,
        "method": "lucene",
    }
    assert document["passages"] == [p.as_dict() for p in passages]
    # the vocabulary is exactly what retrieval.tokenize makes of the passages: one tokenizer
    assert set(document["vocabulary"]) == {t for p in passages for t in retrieval.tokenize(p.searchable)}
    scores = [s for entry in document["postings"] for s in entry["scores"]]
    assert all(s > 0 and float(f"{s:.6g}") == s for s in scores)


def test_exported_scores_are_bm25s_own(
    shipped: tuple[list[retrieval.Passage], dict[str, Any]], served: Index
) -> None:
    """For every shipped question, each passage's score through the export equals bm25s' retrieve score."""
    passages, _ = shipped
    model = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    model.index([retrieval.tokenize(p.searchable) for p in passages], show_progress=False)
    for question in index.read_questions(QUESTIONS.read_bytes(), QUESTIONS.name):
        tokens = retrieval.tokenize(question.question)
        found, scores = model.retrieve([tokens], k=len(passages), show_progress=False)
        theirs = {passages[i].id: float(s) for i, s in zip(found[0], scores[0], strict=True) if s > 0}
        ours = {hit.id: hit.score for hit in served.search(question.question, len(passages))}
        assert ours == pytest.approx(theirs, rel=2e-5), question.question


def test_the_same_corpus_gives_the_same_bytes() -> None:
    passages = index.read_passages(corpus(line(), line(id="p-2", text="Cough and fever.")), "c.jsonl")
    assert index.dumps(index.build(passages)) == index.dumps(index.build(passages))


@pytest.mark.parametrize(
    ("passages", "options", "message"),
    [
        ([], {}, "no passages to index"),
        ([retrieval.Passage("p", "t", "x y", "s", "u", "l")], {"method": "bm25+"}, "not one of lucene"),
    ],
)
def test_build_refuses(passages: list[retrieval.Passage], options: dict[str, Any], message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        index.build(passages, **options)


# -- evaluating ----------------------------------------------------------------------------------------------
def tiny_index() -> Index:
    """Passages a..e; "fever" ranks a > b > c, "cough" ranks d > e, "rash" finds c only."""
    ids = ["a", "b", "c", "d", "e"]
    return Index.from_document(
        {
            "format": retrieval.FORMAT,
            "format_version": retrieval.FORMAT_VERSION,
            "tokenizer": {"name": retrieval.TOKENIZER, "version": retrieval.TOKENIZER_VERSION},
            "bm25": {},
            "passages": [
                {"id": i, "title": i, "text": i, "source": "s", "url": "u", "licence": "CC0-1.0"} for i in ids
            ],
            "vocabulary": ["fever", "cough", "rash"],
            "postings": [
                {"passages": [0, 1, 2], "scores": [3.0, 2.0, 1.0]},
                {"passages": [3, 4], "scores": [2.0, 1.0]},
                {"passages": [2], "scores": [1.0]},
            ],
        }
    )


def test_recall_and_mrr_arithmetic() -> None:
    questions = [
        Question("fever", ("a",)),  # rank 1: recall@1 1, @3 1; RR 1
        Question("fever", ("b", "c")),  # ranks 2, 3: recall@1 0, @3 1; RR 1/2
        Question("cough", ("e", "a")),  # rank 2 and absent: recall@1 0, @3 1/2; RR 1/2
        Question("rash", ("a",)),  # absent: 0, 0; RR 0
    ]
    result = index.evaluate(tiny_index(), questions, ks=(3, 1, 3))
    assert result.questions == 4
    assert result.recall == {1: 0.25, 3: pytest.approx(2.5 / 4)}
    assert result.mrr == pytest.approx(2 / 4)
    assert [m.question for m in result.misses] == ["rash"]
    assert result.misses[0].retrieved == ("c",)
    assert result.below({1: 0.3, 3: 0.5}) == {1: 0.25}
    assert result.below({5: 0.1}) == {5: 0.0}
    assert result.as_dict()["recall"] == {"@1": 0.25, "@3": 0.625}
    assert result.as_dict()["mrr_cutoff"] == index.MRR_CUTOFF == 10


def test_mrr_counts_nothing_past_rank_ten() -> None:
    ids = [f"p{n}" for n in range(12)]
    document = {
        "format": retrieval.FORMAT,
        "format_version": retrieval.FORMAT_VERSION,
        "tokenizer": {"name": retrieval.TOKENIZER, "version": retrieval.TOKENIZER_VERSION},
        "bm25": {},
        "passages": [
            {"id": i, "title": i, "text": i, "source": "s", "url": "u", "licence": "l"} for i in ids
        ],
        "vocabulary": ["fever"],
        "postings": [{"passages": list(range(12)), "scores": [float(12 - n) for n in range(12)]}],
    }
    served = Index.from_document(document)
    assert index.evaluate(served, [Question("fever", ("p9",))], ks=(1,)).mrr == pytest.approx(0.1)
    assert index.evaluate(served, [Question("fever", ("p10",))], ks=(1,)).mrr == 0.0


@pytest.mark.parametrize(("questions", "ks"), [([], (1,)), ([Question("fever", ("a",))], (0, 3))])
def test_evaluate_refuses_nothing_to_measure(questions: list[Question], ks: tuple[int, ...]) -> None:
    with pytest.raises(CorpusError):
        index.evaluate(tiny_index(), questions, ks)


def test_the_shipped_set_is_found(served: Index) -> None:
    questions = index.read_questions(QUESTIONS.read_bytes(), QUESTIONS.name, served.ids)
    result = index.evaluate(served, questions, ks=tuple(FLOORS))
    assert result.below(FLOORS) == {}, result.recall
    assert result.mrr >= MRR_FLOOR


# -- the shipped data ----------------------------------------------------------------------------------------
def test_the_shipped_data_is_what_attribution_md_says(served: Index) -> None:
    passages = served.passages
    assert 80 <= len(passages) <= 150
    assert all(p.licence == "CC0-1.0" and p.url.startswith("https://medlineplus.gov/") for p in passages)
    assert all(
        p.source.startswith("MedlinePlus, U.S. National Library of Medicine (NIH): ") for p in passages
    )
    assert all(len(p.text) <= 520 for p in passages)  # short: 1 to 4 sentences
    questions = index.read_questions(QUESTIONS.read_bytes(), QUESTIONS.name, served.ids)
    assert 40 <= len(questions) <= 60 and all(1 <= len(q.relevant) <= 2 for q in questions)
    for question in questions:  # asked in people's words, not the passage's
        for pid in question.relevant:
            assert question.question.lower().rstrip("?") not in served.passage(pid).text.lower()
    attribution = (CORPUS.parent / "ATTRIBUTION.md").read_text()
    assert "Not medical advice" in attribution and "CC0" in attribution
    assert f"{len(passages)} short passages" in attribution and f"{len(questions)} questions" in attribution


def test_the_corpus_ships_as_package_data() -> None:
    patterns = tomllib.loads((repo_root() / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    package = Path(index.__file__).parents[1]
    for name in ("passages.jsonl", "questions.jsonl", "ATTRIBUTION.md"):
        relative = (CORPUS.parent / name).relative_to(package).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns["launchpad"]), relative


# -- S3 ------------------------------------------------------------------------------------------------------
class RecordingS3:
    """The two S3 calls index makes, recorded; ``fail`` raises a ClientError-named exception."""

    def __init__(self, objects: dict[tuple[str, str], bytes] | None = None, fail: bool = False) -> None:
        self.objects = objects or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("get_object", kwargs))
        if self.fail or (kwargs["Bucket"], kwargs["Key"]) not in self.objects:
            raise ClientError("An error occurred (NoSuchKey) when calling the GetObject operation")
        return {"Body": _Body(self.objects[kwargs["Bucket"], kwargs["Key"]])}

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("put_object", kwargs))
        if self.fail:
            raise ClientError("An error occurred (AccessDenied) when calling the PutObject operation")
        return {}


class ClientError(Exception):
    """Named as botocore's, which index recognises by name."""


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


def test_s3_reads_and_writes_name_the_bucket_owner_and_the_key() -> None:
    s3 = RecordingS3({("corpora", "med/passages.jsonl"): b"x"})
    assert index.read_bytes("s3://corpora/med/passages.jsonl", s3=s3, bucket_owner="111122223333") == b"x"
    index.write_bytes(
        "s3://indexes/assistant/index.json", b"{}", kms_key_id="arn:key", bucket_owner="111122223333", s3=s3
    )
    assert s3.calls == [
        (
            "get_object",
            {"Bucket": "corpora", "Key": "med/passages.jsonl", "ExpectedBucketOwner": "111122223333"},
        ),
        (
            "put_object",
            {
                "Bucket": "indexes",
                "Key": "assistant/index.json",
                "Body": b"{}",
                "ContentType": "application/json",
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": "arn:key",
                "ExpectedBucketOwner": "111122223333",
            },
        ),
    ]


def test_s3_refusals_are_clear_and_write_nothing() -> None:
    s3 = RecordingS3(fail=True)
    with pytest.raises(CorpusError, match=r"cannot read s3://b/k: .*NoSuchKey"):
        index.read_bytes("s3://b/k", s3=s3)
    with pytest.raises(CorpusError, match=r"cannot write s3://b/k: .*AccessDenied"):
        index.write_bytes("s3://b/k", b"{}", kms_key_id="arn:key", s3=s3)
    with pytest.raises(CorpusError, match="needs a KMS key"):
        index.write_bytes("s3://b/k", b"{}", s3=s3)
    for uri in ("s3://bucket", "s3://bucket/", "s3://bucket/folder/"):
        with pytest.raises(CorpusError, match="is not an s3://bucket/key URI of one object"):
            index.write_bytes(uri, b"{}", kms_key_id="arn:key", s3=s3)
    assert [name for name, _ in s3.calls] == ["get_object", "put_object"]


def test_local_paths(tmp_path: Path) -> None:
    index.write_bytes(str(tmp_path / "new" / "index.json"), b"{}")
    assert index.read_bytes(str(tmp_path / "new" / "index.json")) == b"{}"
    with pytest.raises(CorpusError, match=r"cannot read .*missing\.jsonl: No such file"):
        index.read_bytes(str(tmp_path / "missing.jsonl"))


def test_the_commands_write_to_s3_and_evaluate_from_it() -> None:
    s3 = RecordingS3()
    written = commands.build_index(
        None, "s3://indexes/index.json", kms_key_id="arn:key", bucket_owner="111122223333", s3=s3
    )
    assert written["passages"] == 120 and written["index"] == "s3://indexes/index.json"
    (name, put), *_ = s3.calls
    assert name == "put_object" and put["SSEKMSKeyId"] == "arn:key"
    assert len(put["Body"]) == written["bytes"] and put["ExpectedBucketOwner"] == "111122223333"
    s3.objects["indexes", "index.json"] = put["Body"]
    result = commands.evaluate_index(
        "s3://indexes/index.json", None, (1, 3), {3: 0.5}, bucket_owner="111122223333", s3=s3
    )
    assert result["passed"] and result["questions"] == 60 and list(result["recall"]) == ["@1", "@3"]
    assert s3.calls[-1] == (
        "get_object",
        {"Bucket": "indexes", "Key": "index.json", "ExpectedBucketOwner": "111122223333"},
    )
    with pytest.raises(commands.AssistantError, match=r"cannot read s3://indexes/other\.json"):
        commands.evaluate_index("s3://indexes/other.json", None, bucket_owner="111122223333", s3=s3)
