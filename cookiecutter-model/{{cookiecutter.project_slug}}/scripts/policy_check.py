"""Run launchpad's policy checks over this project's Terraform: ``python scripts/policy_check.py [options]``.

checkov plus launchpad's own checks (CKV_LP_*), rated and mapped to HIPAA, CIS and EU AI Act controls; the
reports a reviewer files (JSON, SARIF, JUnit, Markdown and the control evidence) go to build/policy/. Exit
code 0: no check failed; 1: a check failed; ``launchpad policy --help`` lists the others.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from launchpad.cli import main as launchpad

PROJECT = Path(__file__).resolve().parents[1]
REPORTS = PROJECT / "build" / "policy"
FORMATS = ("json", "sarif", "junit", "markdown")


def arguments(options: Sequence[str]) -> list[str]:
    """The ``launchpad policy`` command line."""
    formats = [flag for name in FORMATS for flag in ("--format", name)]
    return ["policy", str(PROJECT / "terraform"), "--output-dir", str(REPORTS), *formats, *options]


if __name__ == "__main__":
    launchpad.main(arguments(sys.argv[1:]), prog_name="launchpad")
