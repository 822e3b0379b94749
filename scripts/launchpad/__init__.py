"""launchpad: ship ML and LLM models to AWS SageMaker safely (Terraform modules + Python tooling)."""

from pathlib import Path

# The one place the version is written: scripts/launchpad/VERSION, package data of the wheel. pyproject.toml
# reads it (setuptools' dynamic version), every other distribution of this repository reads it through a
# symlink inside its own project folder, and the template's default, the CLI's --version and the release
# are checked against it (tests/unit/test_release.py).
__version__ = (Path(__file__).parent / "VERSION").read_text(encoding="utf-8").strip()
