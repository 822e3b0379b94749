"""`launchpad policy`: checkov (plus launchpad's own checks) over Terraform, rated and mapped to controls.

``run()`` is the library entry point (used by the CLI, bench, and baked model projects through the CLI); the
reports a reviewer files are written by :mod:`launchpad.policy.formats`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from launchpad.errors import ConfigError, PolicyError
from launchpad.paths import assets_root
from launchpad.policy import checkov, controls, parse, provenance, release_modules, settings, skips
from launchpad.policy.model import FAILED, PASSED, SKIPPED, Finding, PolicyReport
from launchpad.quoting import shown

__all__ = ["FAILED", "PASSED", "SKIPPED", "Finding", "PolicyReport", "default_paths", "run"]

LOGGER = logging.getLogger(__name__)
DEFAULT_PATHS = ("modules", "terraform")  # every module, its examples, and the root stacks
CONTROLS_FILE = Path("policies") / "controls.yaml"


def default_paths(root: Path | None = None) -> list[Path]:
    base = root or assets_root()
    return [base / name for name in DEFAULT_PATHS if (base / name).is_dir()]  # a wheel has no terraform/


def _targets(paths: Sequence[Path]) -> list[Path]:
    """Absolute, existing, holding Terraform, and none inside another (a nested path would be scanned twice).

    A path with no .tf file (or only hidden ones) is an error: checkov would report nothing failed over it,
    which reads as a pass.
    """
    resolved = []
    for path in paths:
        if not path.is_dir():
            raise PolicyError(f"{shown(str(path), 200)}: no such directory to scan")
        resolved.append(path.resolve())
    empty = [shown(str(p), 200) for p in paths if not checkov.tf_files(p)]
    if empty:
        raise PolicyError(
            "nothing to scan: no .tf file under " + ", ".join(empty) + " (hidden files and folders such as "
            ".terraform are left out); pass folders that hold Terraform"
        )
    unique = sorted(set(resolved))
    return [p for p in unique if not any(other != p and p.is_relative_to(other) for other in unique)]


def _check_settings() -> None:
    """The policy settings launchpad's checks will read, checked before checkov starts: a check that
    cannot read them raises inside checkov, which drops its results without failing the run."""
    try:
        settings.load()
    except ConfigError as error:
        raise PolicyError(str(error)) from error


def run(
    paths: Sequence[Path] | None = None,
    *,
    jobs: int | None = None,
    controls_path: Path | None = None,
    split: bool = False,
) -> PolicyReport:
    """Scan ``paths`` (default: modules/ and terraform/ of the repo) and return the rated report.

    Raises PolicyError for policy settings, a controls file or a skip comment that breaks its rules, a path
    with no Terraform, a .tf file that is not UTF-8 or a file checkov cannot parse; ToolchainError when
    checkov is missing or crashes, or a check raised or did not load. Failed checks are in the report, not
    raised.
    """
    root = assets_root()
    _check_settings()
    targets = _targets(paths or default_paths(root))
    # Before the slow part, and before anything else reads the files: each is UTF-8, each skip well-formed.
    skips.check_comments(sorted({f for target in targets for f in checkov.tf_files(target)}), root)
    with ExitStack() as copies:
        # Stacks that pin launchpad's modules to a release are scanned as copies whose sources are this
        # checkout's modules/ (release_modules), and reported under their own paths.
        scanned_targets, shown = [], {}
        for target in targets:
            if release_modules.pinned(target):
                copy = copies.enter_context(release_modules.localized(target))
                shown[parse.display_path(copy, root)] = parse.display_path(target, root)
                scanned_targets.append(copy)
            else:
                scanned_targets.append(target)
        report = _scan(root, scanned_targets, jobs, controls_path, split)
    report = _shown_as(report, shown, [parse.display_path(t, root) for t in targets])
    report = replace(report, commit=provenance.git_commit(root, targets))
    LOGGER.info("policy: %s", report.summary())
    return report


def _scan(
    root: Path, targets: list[Path], jobs: int | None, controls_path: Path | None, split: bool
) -> PolicyReport:
    started_at, started = datetime.now(UTC), time.monotonic()
    controls_file = controls_path or root / CONTROLS_FILE
    mapping = controls.load(controls_file, parse.display_path(controls_file.resolve(), root))
    scanned = {f for target in targets for f in checkov.tf_files(target)}  # checked by run()
    planned = checkov.units(targets, split)
    results = checkov.scan(root, planned, jobs or os.cpu_count() or 1)
    documents = [d for r in results for d in r.documents]
    unparsed = parse.parsing_errors(documents, root)
    if unparsed:
        raise PolicyError(
            "checkov could not parse these files, so none of their resources was checked "
            "(`terraform validate` shows why):\n  " + "\n  ".join(unparsed)
        )
    found = parse.findings([(r.unit.path, r.documents) for r in results], root)
    # Module files outside the given paths (a stack's modules) may carry skip comments too.
    reached = {root / f.file for f in found if f.file.endswith(".tf")} - scanned
    skips.check_comments(sorted(p for p in reached if p.is_file()), root)
    rated = [mapping.rate(f) for f in skips.enforce_reasons(found)]
    return PolicyReport(
        findings=rated,
        paths=[parse.display_path(t, root) for t in targets],
        checkov_version=parse.checkov_version(documents),
        started=started_at,
        seconds=round(time.monotonic() - started, 1),
        controls=mapping,
        units=[parse.display_path(u.path, root) for u in planned],
    )


def _shown_as(report: PolicyReport, shown: dict[str, str], paths: list[str]) -> PolicyReport:
    """The report with the scanned copies' paths replaced by the paths the caller gave."""

    def original(path: str) -> str:
        for copy, target in shown.items():
            if path == copy or path.startswith(f"{copy}/"):
                return target + path[len(copy) :]
        return path

    findings = [
        replace(f, file=original(f.file), caller=f.caller and original(f.caller)) for f in report.findings
    ]
    units = [original(u) for u in report.units]
    return replace(report, findings=findings, paths=paths, units=units)
