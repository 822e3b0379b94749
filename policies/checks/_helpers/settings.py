"""launchpad's policy settings (policies/config.yaml, or the file LAUNCHPAD_POLICY_CONFIG names) and where a
check's guideline lives."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CHECKS_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = CHECKS_DIR.parent / "config.yaml"
CONFIG_ENV = "LAUNCHPAD_POLICY_CONFIG"


def setting(key: str) -> Any:
    """``key`` of policies/config.yaml, or of the file LAUNCHPAD_POLICY_CONFIG names (its keys win)."""
    merged = dict(_load_yaml(str(DEFAULT_CONFIG)))
    override = os.environ.get(CONFIG_ENV)
    if override:
        merged.update(_load_yaml(str(Path(override).resolve())))
    if key not in merged:
        raise KeyError(f"policy setting {key!r} is missing from {DEFAULT_CONFIG}")
    return merged[key]


@cache
def _load_yaml(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as stream:
        data = yaml.safe_load(stream) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the policy settings must be a YAML mapping")
    return data


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    """Whether ``value`` matches one of the case-sensitive glob ``patterns``."""
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def guideline(check_file: str) -> str:
    """Where a reviewer reads why a check exists: the check's own file, from the repository root."""
    return f"policies/checks/{Path(check_file).name}"
