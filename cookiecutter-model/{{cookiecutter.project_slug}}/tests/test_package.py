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
    assert sorted(m.name for m in members) == sorted(p.name for p in trained.model_dir.iterdir())
    assert all(m.isfile() and "/" not in m.name for m in members)


def test_the_same_seed_builds_the_same_bytes(trained: Built, tmp_path: Path) -> None:
    again = build(tmp_path)
    assert again["metrics"] == trained.metrics["metrics"]
    assert (tmp_path / "model.tar.gz").read_bytes() == trained.archive.read_bytes()
