"""Remove what the answers do not need, so the project holds only files it uses.

One row per rule: when the condition holds, the paths (relative to the new project) are deleted. Everything
not listed here is needed by every project.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

# Filled in by cookiecutter; tojson writes each answer as a valid Python string literal, whatever it holds.
FRAMEWORK: str = {{cookiecutter.framework | tojson}}
MODE: str = {{cookiecutter.inference_mode | tojson}}
PACKAGE = "src/" + {{cookiecutter.project_slug | tojson}}

LLM = FRAMEWORK == "huggingface-llm"
RAG = FRAMEWORK == "huggingface-rag"
TABULAR = not (LLM or RAG)

PRUNE: tuple[tuple[bool, tuple[str, ...]], ...] = (
    # framework-specific model code: only the chosen framework's
    (FRAMEWORK not in ("sklearn", "custom-container"), (f"{PACKAGE}/sklearn_model.py",)),
    (FRAMEWORK != "xgboost", (f"{PACKAGE}/xgboost_model.py",)),
    (FRAMEWORK != "pytorch", (f"{PACKAGE}/torch_model.py",)),
    # the LLM's text task, the assistant's retrieval task, or the tabular task of every other framework
    (
        not LLM,
        (f"{PACKAGE}/charlm.py", f"{PACKAGE}/corpus.py", f"{PACKAGE}/prompt.py", "tests/test_llm.py"),
    ),
    (not RAG, (f"{PACKAGE}/t5.py", f"{PACKAGE}/retrieval.py", "data", "tests/test_rag.py")),
    (
        not TABULAR,
        (
            f"{PACKAGE}/data.py",
            f"{PACKAGE}/evaluation.py",
            f"{PACKAGE}/features.py",
            f"{PACKAGE}/columns.py",
            f"{PACKAGE}/train_job.py",  # the training pipeline's script: tabular projects only
            "pipeline.yaml",
            "deploy/config/training.yaml",  # the pipeline's settings, and the stack's pipeline
            "terraform/training.tf",
            "tests/test_tabular.py",
            "tests/test_pipeline.py",
        ),
    ),
    # asynchronous inference: its Terraform settings (result locations) only for async endpoints
    (MODE != "async", ("terraform/async.tf",)),
)


def prune(root: Path) -> list[str]:
    removed = []
    for condition, paths in PRUNE:
        if not condition:
            continue
        for relative in paths:
            path = root / relative
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                raise FileNotFoundError(f"the prune table names {relative}, which the template does not have")
            removed.append(relative)
    return removed


if __name__ == "__main__":
    try:
        prune(Path.cwd())
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
