"""The artifact: SageMaker's layout, and the same bytes every time the same model is built (launchpad refuses
to overwrite an uploaded artifact with different bytes, so a rebuilt, unchanged model must be identical)."""

from __future__ import annotations

import tarfile
from pathlib import Path

from {{ cookiecutter.project_slug }}.train import build

from .support import Built


def test_the_archive_holds_the_model_directory_at_its_root(trained: Built) -> None:
    with tarfile.open(trained.archive) as archive:
        members = archive.getmembers()
{%- if cookiecutter.__rag == 'yes' %}
    model_dir = trained.model_dir
    files = sorted(p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.is_file())
    assert sorted(m.name for m in members) == files
    # the Hugging Face container's handler in code/, the model's own files (WEIGHTS=...) at the root
    assert "code/inference.py" in files
    assert all(m.isfile() and "/" not in m.name.removeprefix("code/") for m in members)
{%- else %}
    assert sorted(m.name for m in members) == sorted(p.name for p in trained.model_dir.iterdir())
    assert all(m.isfile() and "/" not in m.name for m in members)
{%- endif %}


def test_the_same_seed_builds_the_same_bytes(trained: Built, tmp_path: Path) -> None:
    again = build(tmp_path)
    assert again["metrics"] == trained.metrics["metrics"]
    assert (tmp_path / "model.tar.gz").read_bytes() == trained.archive.read_bytes()
