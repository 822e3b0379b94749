"""Run launchpad's policy checks over this project's Terraform: ``python scripts/policy_check.py [options]``.

checkov plus launchpad's own checks (CKV_LP_*), rated and mapped to HIPAA, CIS and EU AI Act controls; the
reports a reviewer files (JSON, SARIF, JUnit, Markdown and the control evidence) go to build/policy/. Exit
code 0: no check failed; 1: a check failed; 2: an option launchpad policy does not take (a usage error);
``launchpad policy --help`` lists the others and the options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from _launchpad import parser as script_parser
from _launchpad import run

PROJECT = Path(__file__).resolve().parents[1]
REPORTS = PROJECT / "build" / "policy"
FORMATS = ("json", "sarif", "junit", "markdown")


def parser() -> argparse.ArgumentParser:
    return script_parser(__doc__, "policy_check.py", "[launchpad policy options ...]")


def arguments(options: Sequence[str]) -> list[str]:
    """The ``launchpad policy`` command line."""
    formats = [flag for name in FORMATS for flag in ("--format", name)]
    return ["policy", str(PROJECT / "terraform"), "--output-dir", str(REPORTS), *formats, *options]


def main(argv: Sequence[str]) -> None:
    # The options are launchpad policy's: it answers one it does not take with its usage line and exit 2.
    _, options = parser().parse_known_args(argv)
    run(arguments(options))


if __name__ == "__main__":
    main(sys.argv[1:])
