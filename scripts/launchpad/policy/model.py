"""The policy report's data: one Finding per check result on a resource, and the PolicyReport around them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from launchpad.policy.controls import ControlMap

TOOL_NAME = "launchpad-policy"  # how the reports name the tool
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
RESULTS = (PASSED, FAILED, SKIPPED)
# Worst first. CRITICAL..INFO are what controls.yaml may say; UNRATED is a check nobody rated.
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO", "UNRATED")
UNMAPPED = "(unmapped)"


@dataclass(frozen=True)
class Finding:
    """One result of one check on one resource, as checkov reported it (file paths relative to the repo)."""

    check_id: str
    name: str
    result: str  # passed | failed | skipped
    resource: str  # address, e.g. module.kms.aws_kms_key.this
    file: str  # relative to the repo root (absolute when outside it)
    lines: tuple[int, int]
    caller: str | None = None  # the file whose module call produced a module resource
    skip_reason: str | None = None  # honoured inline skips only
    guideline: str | None = None
    severity: str = "UNRATED"
    controls: tuple[str, ...] = ()
    message: str | None = None  # set when launchpad, not the check, decided the result

    @property
    def key(self) -> tuple[object, ...]:
        """What makes two reports of a finding the same one (two scan units can both report it)."""
        return (self.check_id, self.file, self.resource, self.lines, self.caller, self.result)

    @property
    def location(self) -> str:
        start, end = self.lines
        return f"{self.file}:{start}" if end in (start, 0) else f"{self.file}:{start}-{end}"

    @property
    def control_label(self) -> str:
        return ", ".join(self.controls) or UNMAPPED

    @property
    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity) if self.severity in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True)
class SkipGroup:
    check_id: str
    file: str
    lines: tuple[int, int]
    reason: str
    resources: list[str]

    @property
    def location(self) -> str:
        return f"{self.file}:{self.lines[0]}"


@dataclass
class PolicyReport:
    """Everything one `launchpad policy` run found, and what a reviewer needs to file it."""

    findings: list[Finding]
    paths: list[str]
    checkov_version: str
    started: datetime  # UTC
    seconds: float
    controls: ControlMap
    commit: str | None = None
    units: list[str] = field(default_factory=list)

    def of(self, result: str) -> list[Finding]:
        return [f for f in self.findings if f.result == result]

    @property
    def failed(self) -> list[Finding]:
        """Failed findings, worst first, then by control and place."""
        return sorted(self.of(FAILED), key=lambda f: (f.severity_rank, f.control_label, f.file, f.lines))

    @property
    def skipped(self) -> list[Finding]:
        """Honoured inline skips (each with its reason)."""
        return self.of(SKIPPED)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(f.result for f in self.findings)
        return {result: counted[result] for result in RESULTS}

    def skip_groups(self) -> list[SkipGroup]:
        """Honoured skips, one per skip comment: a module's skip applies to the resource of every caller."""
        groups: dict[tuple[str, str, tuple[int, int], str], set[str]] = {}
        for f in self.skipped:
            groups.setdefault((f.check_id, f.file, f.lines, f.skip_reason or ""), set()).add(f.resource)
        return [
            SkipGroup(c, file, lines, reason, sorted(r))
            for (c, file, lines, reason), r in sorted(groups.items())
        ]

    @property
    def check_ids(self) -> list[str]:
        return sorted({f.check_id for f in self.findings})

    def summary(self) -> str:
        counts = self.counts
        return (
            f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped with a reason; "
            f"{', '.join(self.paths)}; {self.seconds:.1f} s (checkov {self.checkov_version})"
        )
