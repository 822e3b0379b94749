"""The assistant's retrieval data and its evaluation: ``python -m {{ cookiecutter.project_slug }}.retrieval floors``.

``data/passages.jsonl`` is what the assistant cites (``make index`` builds ``build/index.json`` from it with
``launchpad assistant index``: the index the API function reads), ``data/questions.jsonl`` the questions
people ask, each labelled with the passages that answer it, and ``data/ATTRIBUTION.md`` their licence and
sources. ``evaluate`` scores retrieval on them through the search the function runs (launchpad's
``launchpad.assistant``): recall@1, @3, @5 and MRR@10 overall, and recall@3 per phrasing (questions about the
asker's own situation, and general ones), which the model card reports. ``floors`` reads the card's
thresholds of the recall@k metrics: ``make evaluate`` fails below them (``--min-recall``).

The answers' quality is not measured here: on the sandbox the extractive stand-in answers, which is not the
model AWS serves. Development only: launchpad is the dev extra's (make setup), the serving image has none.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[2]
DATA = PROJECT / "data"
PASSAGES = DATA / "passages.jsonl"
QUESTIONS = DATA / "questions.jsonl"
CARD = PROJECT / "model_card.yaml"
DATASET = "labelled-questions"
KS = (1, 3, 5)
SUBGROUP_K = 3
RECALL = re.compile(r"recall_at_([0-9]{1,3})")
# A question about the asker's own situation (I, my, we ...) rather than a general one: people describing
# their symptoms are the questions closest to asking for a diagnosis, so retrieval must serve them as well.
PERSONAL = re.compile(r"\b(?:i|i'm|i've|me|my|we|us|our)\b", re.IGNORECASE)
# The request the assistant's function sends for a question and its retrieved passages (the README's format).
EXAMPLE = {
    "inputs": (
        "question: What can I do to lower my chances of getting type 2 diabetes? context: [p-0003] Type 2 "
        "diabetes is the most common kind of diabetes. The risk is higher for people who are overweight, are "
        "older, have a parent or sibling with diabetes, are not physically active, or had diabetes during "
        "pregnancy. Losing a modest amount of weight and being more active can prevent or delay it in people "
        "at high risk."
    ),
    "parameters": {"max_new_tokens": 256},
}


def phrasing(question: str) -> str:
    return "personal" if PERSONAL.search(question) else "general"


def evaluate(passages: Path = PASSAGES, questions: Path = QUESTIONS) -> dict[str, Any]:
    """recall@k and MRR@10 of the questions over an index of the passages, overall and per phrasing."""
    from launchpad.assistant import index
    from launchpad.assistant.retrieval import Index

    served = Index.from_document(index.build(index.read_passages(passages.read_bytes(), str(passages))))
    labelled = index.read_questions(questions.read_bytes(), str(questions), served.ids)
    overall = index.evaluate(served, labelled, KS)
    subgroups = []
    for group in ("personal", "general"):
        asked = [q for q in labelled if phrasing(q.question) == group]
        recall = index.evaluate(served, asked, (SUBGROUP_K,)).recall[SUBGROUP_K]
        subgroups.append(
            {"attribute": "phrasing", "group": group, "name": f"recall_at_{SUBGROUP_K}", "value": _r(recall)}
        )
    metrics = {f"recall_at_{k}": _r(value) for k, value in sorted(overall.recall.items())}
    return {
        "dataset": DATASET,
        "rows": overall.questions,
        "metrics": {**metrics, "mrr": _r(overall.mrr)},
        "subgroups": subgroups,
    }


def _r(value: float) -> float:
    return round(value, 4)


def floors(card: Path = CARD) -> dict[int, float]:
    """The model card's threshold of each recall@k metric, by k."""
    metrics = yaml.safe_load(card.read_text(encoding="utf-8"))["evaluation"]["metrics"]
    found = {}
    for metric in metrics:
        match = RECALL.fullmatch(str(metric.get("name")))
        if match and "threshold" in metric:
            found[int(match[1])] = float(metric["threshold"])
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.project_slug }}.retrieval", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "action", choices=("floors",), help="floors: the card's recall floors as launchpad's --min-recall"
    )
    parser.parse_args(argv)
    found = floors()
    if not found:
        parser.exit(1, f"error: {CARD.name} has no recall_at_<k> metric with a threshold\n")
    print(" ".join(f"--min-recall {k}={value:g}" for k, value in sorted(found.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
