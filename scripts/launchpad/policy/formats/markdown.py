"""The findings report in markdown: header, summary, failed checks, honoured skips with their reasons."""

from __future__ import annotations

from launchpad import __version__
from launchpad.policy.model import TOOL_NAME, PolicyReport


def cell(text: object) -> str:
    """A value safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: object) -> str:
    return f"`{cell(text)}`" if str(text) else ""


def provenance(report: PolicyReport) -> list[str]:
    """The lines every filed report starts with: when, from what, with what, over what."""
    return [
        f"- Generated: {report.started.strftime('%Y-%m-%d %H:%M:%S')} UTC",
        f"- Commit: {code(report.commit) if report.commit else 'not a git checkout'}",
        f"- Tools: {TOOL_NAME} {__version__}, checkov {report.checkov_version}",
        f"- Paths scanned: {', '.join(code(p) for p in report.paths)}",
        f"- Controls file: {code(report.controls.source)}",
    ]


def skips_table(report: PolicyReport) -> list[str]:
    groups = report.skip_groups()
    if not groups:
        return ["No inline skips."]
    rows = [
        f"| {g.check_id} | {code(g.location)} | {'<br>'.join(map(code, g.resources))} | {cell(g.reason)} |"
        for g in groups
    ]
    return ["| Check | Where | Resources | Reason |", "|---|---|---|---|", *rows]


def render(report: PolicyReport) -> str:
    counts, failed = report.counts, report.failed
    lines = [
        "# Policy report",
        "",
        *provenance(report),
        "",
        "## Summary",
        "",
        f"**{counts['failed']} failed**, {counts['passed']} passed, {counts['skipped']} skipped with a "
        f"reason ({len(report.check_ids)} checks, {report.seconds:.1f} s).",
        "",
        f"## Failed checks ({len(failed)})",
        "",
    ]
    if failed:
        lines += ["| Severity | Check | Controls | Resource | Where | What |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {f.severity} | {f.check_id} | {cell(f.control_label)} | {code(f.resource)} | "
            f"{code(f.location)}{' (called from ' + code(f.caller) + ')' if f.caller else ''} | "
            f"{cell(f.message or f.name)} |"
            for f in failed
        ]
    else:
        lines.append("None.")
    lines += ["", "## Skipped checks (inline, with a reason)", "", *skips_table(report), ""]
    return "\n".join(lines)
