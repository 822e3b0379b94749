"""The terminal report: failed findings by severity, then control; then one summary line."""

from __future__ import annotations

from itertools import groupby

import click

from launchpad.policy.model import PolicyReport

COLOURS = {"CRITICAL": "red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan", "INFO": "blue"}


def render(report: PolicyReport) -> str:
    """Styled text; click.echo drops the colour when stdout is not a terminal."""
    failed = report.failed
    lines = [click.style(f"{len(failed)} failed check(s)", bold=True)] if failed else []
    for severity, by_severity in groupby(failed, key=lambda f: f.severity):
        lines.append(click.style(severity, fg=COLOURS.get(severity), bold=True))
        for control, findings in groupby(by_severity, key=lambda f: f.control_label):
            lines.append(f"  {control}")
            for f in findings:
                lines.append(f"    {f.check_id:<12} {f.resource}  {f.location}")
                via = f" (module called from {f.caller})" if f.caller else ""
                lines.append(click.style(f"      {f.message or f.name}{via}", dim=True))
    groups = report.skip_groups()
    if groups:
        lines.append(f"{len(groups)} inline skip(s) honoured, each with its reason (see the markdown report)")
    counts = report.counts
    outcome = click.style(f"{counts['failed']} failed", fg="red" if counts["failed"] else "green", bold=True)
    lines.append(
        f"{outcome}, {counts['passed']} passed, {counts['skipped']} skipped with a reason; "
        f"{', '.join(report.paths)}; {report.seconds:.1f} s (checkov {report.checkov_version})"
    )
    return "\n".join(lines)
