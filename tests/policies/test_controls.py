"""policies/controls.yaml: every check it rates exists, and every check of ours is rated.

The loader (launchpad.policy.controls) already refuses unknown frameworks, undefined controls, controls no
check evidences and bad severities; what it cannot know offline is whether a check id is real.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from launchpad.paths import repo_root
from launchpad.policy import controls
from tests.policies.test_checks import CHECK_FILES

# One worker runs this file: its module fixture (checkov's list of its checks) runs once.
pytestmark = pytest.mark.xdist_group("test_controls")

CONTROLS_FILE = repo_root() / "policies" / "controls.yaml"
CHECKOV = repo_root() / ".tools" / "checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def mapping() -> dict:
    controls.load(CONTROLS_FILE, "policies/controls.yaml")  # raises on any inconsistency
    return yaml.safe_load(CONTROLS_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def builtin_ids() -> set[str]:
    """Every check id checkov 3.3.30 knows for Terraform (its --list table), without our own."""
    listed = subprocess.run(
        [str(CHECKOV), "--list", "--framework", "terraform", "--skip-download"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(re.findall(r"\|\s+(CKV2?_[A-Z0-9_]+)\s+\|", listed))


def test_every_check_of_ours_is_rated(mapping: dict) -> None:
    ours = {i for f in CHECK_FILES for i in f.ids}
    assert ours, "no check found in policies/checks"
    assert sorted(ours - set(mapping["checks"])) == [], "rate these in policies/controls.yaml"


def test_every_rated_check_exists(mapping: dict, builtin_ids: set[str]) -> None:
    assert len(builtin_ids) > 500, "checkov --list returned too few checks to compare with"
    ours = {i for f in CHECK_FILES for i in f.ids}
    unknown = sorted(set(mapping["checks"]) - builtin_ids - ours)
    assert unknown == [], f"policies/controls.yaml rates checks that do not exist: {unknown}"


def test_every_framework_lists_controls(mapping: dict) -> None:
    for framework in mapping["frameworks"]:
        assert any(c["framework"] == framework for c in mapping["controls"].values()), framework
