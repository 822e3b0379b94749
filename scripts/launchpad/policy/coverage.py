"""How well the scan evidences each control: per control, its checks' results and a status.

- ``evidenced``: every check mapped to the control passed somewhere, and none failed;
- ``failing``: a mapped check failed (an inline skip without a reason counts as a failure);
- ``partial``: none failed, but some mapped checks never passed on these paths (they did not run, or were
  only skipped);
- ``no evidence``: no mapped check passed on these paths.
"""

from __future__ import annotations

from dataclasses import dataclass

from launchpad.policy.controls import Control
from launchpad.policy.model import FAILED, PASSED, SKIPPED, Finding, PolicyReport

EVIDENCED, FAILING, PARTIAL, NO_EVIDENCE = "evidenced", "failing", "partial", "no evidence"


@dataclass(frozen=True)
class CheckTally:
    check_id: str
    name: str
    passed: int
    failed: int
    skipped: int
    failures: list[Finding]


@dataclass(frozen=True)
class ControlStatus:
    control: Control
    status: str
    checks: list[CheckTally]


def tally(check_id: str, findings: list[Finding]) -> CheckTally:
    own = [f for f in findings if f.check_id == check_id]
    count = {result: sum(f.result == result for f in own) for result in (PASSED, FAILED, SKIPPED)}
    name = next((f.name for f in own if f.name), "")
    failures = [f for f in own if f.result == FAILED]
    return CheckTally(check_id, name, count[PASSED], count[FAILED], count[SKIPPED], failures)


def status(checks: list[CheckTally]) -> str:
    if any(c.failed for c in checks):
        return FAILING
    passing = sum(1 for c in checks if c.passed)
    if checks and passing == len(checks):
        return EVIDENCED
    return PARTIAL if passing else NO_EVIDENCE


def control_statuses(report: PolicyReport) -> dict[str, list[ControlStatus]]:
    """Framework id -> its controls' statuses, in the order the controls file lists them."""
    mapping = report.controls
    found: dict[str, list[ControlStatus]] = {}
    for framework in mapping.frameworks:
        found[framework] = []
        for control in mapping.of_framework(framework):
            checks = [tally(check_id, report.findings) for check_id in mapping.mapped_checks(control.id)]
            found[framework].append(ControlStatus(control, status(checks), checks))
    return found
