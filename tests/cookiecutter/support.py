"""What the bake tests share: the template's questions, the answer sets they bake, and small readers of a
baked project (its files, its region's partition, the environment for tools run in it)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from launchpad import __version__
from launchpad.scaffold import bake, questions

# Where the bake tests' organisation keeps launchpad: the template has no default for it, and refuses its
# examples. Nothing is fetched from these (the projects run with launchpad's own interpreter and their module
# sources are resolved to this checkout); tests/unit/test_release.py installs a pin made from a real release.
ORGANISATION: dict[str, str] = {
    "launchpad_git_url": "https://git.platform.internal/ml/launchpad",
    "launchpad_index_url": "https://pypi.platform.internal/simple",
    "launchpad_wheel_sha256": hashlib.sha256(b"the bake tests install no launchpad release").hexdigest(),
    "launchpad_serving_wheel_sha256": hashlib.sha256(b"nor launchpad-serving").hexdigest(),
}
QUESTIONS = questions()
CHOICES: dict[str, list[str]] = {key: value for key, value in QUESTIONS.items() if isinstance(value, list)}
# The answer --no-input takes for each question (project_slug's is a Jinja expression: every Bake sets it);
# bake() answers launchpad_version with the launchpad that bakes.
DEFAULTS: dict[str, str] = {
    **{key: value[0] if isinstance(value, list) else value for key, value in QUESTIONS.items()},
    "launchpad_version": __version__,
    **ORGANISATION,
}
TORCH_FRAMEWORKS = frozenset({"pytorch", "huggingface-llm"})  # their models are PyTorch
# Frameworks the hook accepts on real-time endpoints only (it refuses serverless and async: test_refusals.py).
REAL_TIME_ONLY = frozenset({"huggingface-rag"})
STAGES = ("dev", "staging", "prod")
# What a template expression looks like; none may survive a bake (`}}` alone is JSON in the LLM's code).
UNRENDERED = ("{{", "{%", "{#")


@dataclass(frozen=True)
class Bake:
    """One answer set: ``settings`` are the answers given (``--set``), the rest the template's defaults."""

    id: str
    settings: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.settings.get(key, DEFAULTS[key])

    @property
    def project(self) -> str:
        """The platform's name of the project: the slug with '-' for '_'."""
        return self["project_slug"].replace("_", "-")


class Bakery:
    """Bakes an answer set the first time a test asks for it, each into a folder of its own."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._baked: dict[str, Path] = {}

    def __call__(self, case: Bake) -> Path:
        if case.id not in self._baked:
            self._baked[case.id] = bake(self._factory.mktemp(case.id), case.settings)
        return self._baked[case.id]


def bake_of(id: str, **settings: str) -> Bake:
    """A Bake with the slug set: its default, an expression over project_name, is baked once, in
    test_new_command.py."""
    return Bake(id, {"project_slug": "churn_model", **ORGANISATION, **settings})


def partition(region: str) -> tuple[str, str]:
    """AWS's partition of ``region`` (the ARNs' second field) and its ECR domain."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


def project_files(project: Path) -> list[Path]:
    """Every file of a baked project, relative to it, sorted."""
    return sorted(p.relative_to(project) for p in project.rglob("*") if p.is_file())


def child_env() -> dict[str, str]:
    """The environment for a tool run in a baked project: without the settings of the make or pytest that
    runs this suite (a jobserver, -n, addopts), which are not the project's."""
    return {
        key: value
        for key, value in os.environ.items()
        if key != "MFLAGS" and not key.startswith(("PYTEST_", "MAKE"))
    }
