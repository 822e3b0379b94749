"""The whole report as JSON: metadata, counts, every finding, and each control's status."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from launchpad import __version__
from launchpad.policy.coverage import control_statuses
from launchpad.policy.model import TOOL_NAME, PolicyReport


def document(report: PolicyReport) -> dict[str, Any]:
    return {
        "tool": {"name": TOOL_NAME, "version": __version__, "checkov": report.checkov_version},
        "generated": report.started.isoformat(timespec="seconds"),
        "commit": report.commit,
        "paths": report.paths,
        "units": report.units,
        "seconds": report.seconds,
        "controls_file": report.controls.source,
        "counts": report.counts,
        "findings": [
            {**asdict(f), "lines": list(f.lines), "controls": list(f.controls)} for f in report.findings
        ],
        "controls": {
            framework: [
                {
                    "id": s.control.id,
                    "title": s.control.title,
                    "status": s.status,
                    "checks": {
                        c.check_id: {"passed": c.passed, "failed": c.failed, "skipped": c.skipped}
                        for c in s.checks
                    },
                }
                for s in statuses
            ]
            for framework, statuses in control_statuses(report).items()
        },
    }


def render(report: PolicyReport) -> str:
    return json.dumps(document(report), indent=2) + "\n"
