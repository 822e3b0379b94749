"""The control evidence report a reviewer files: per framework and control, its status and the checks behind
it (passed / failed / skipped, and where they failed), then the honoured skips and the unmapped checks."""

from __future__ import annotations

from launchpad.policy.coverage import CheckTally, ControlStatus, control_statuses, tally
from launchpad.policy.formats.markdown import cell, code, provenance, skips_table
from launchpad.policy.model import PolicyReport

STATUSES = ("evidenced", "partial", "failing", "no evidence")
SCOPE = (
    "Static checks of Terraform code evidence the technical configuration a control needs, not the whole "
    "control: policies, procedures and runtime evidence stay with the account's compliance programme."
)


def _checks_table(checks: list[CheckTally]) -> list[str]:
    rows = [
        f"| {c.check_id} | {cell(c.name) or '(did not run)'} | {c.passed} | {c.failed} | {c.skipped} |"
        for c in checks
    ]
    return ["| Check | What it checks | Passed | Failed | Skipped |", "|---|---|---|---|---|", *rows]


def _control(status: ControlStatus) -> list[str]:
    lines = [f"### {status.control.id}: {cell(status.control.title)}", "", f"Status: **{status.status}**", ""]
    lines += _checks_table(status.checks)
    failures = [f for c in status.checks for f in c.failures]
    if failures:
        lines += ["", "Failed at:", ""]
        lines += [
            f"- {f.check_id} {code(f.resource)} at {code(f.location)}"
            f"{' (module called from ' + code(f.caller) + ')' if f.caller else ''}"
            f"{': ' + cell(f.message) if f.message else ''}"
            for f in failures
        ]
    return [*lines, ""]


def render(report: PolicyReport) -> str:
    statuses = control_statuses(report)
    lines = ["# Control evidence", "", *provenance(report), "", SCOPE, "", "## Summary", ""]
    lines += [
        "| Framework | Controls | " + " | ".join(s.capitalize() for s in STATUSES) + " |",
        "|---|---|---|---|---|---|",
    ]
    for framework, controls in statuses.items():
        counts = " | ".join(str(sum(c.status == s for c in controls)) for s in STATUSES)
        lines.append(f"| {framework} | {len(controls)} | {counts} |")
    for framework, controls in statuses.items():
        lines += ["", f"## {framework}: {cell(report.controls.frameworks[framework])}", ""]
        for status in controls:
            lines += _control(status)
    lines += ["## Honoured skips", "", *skips_table(report), ""]
    unmapped = [tally(c, report.findings) for c in report.check_ids if not report.controls.controls_of(c)]
    lines += ["## Checks that ran but evidence no listed control", ""]
    lines += _checks_table(unmapped) if unmapped else ["None."]
    return "\n".join([*lines, ""])
