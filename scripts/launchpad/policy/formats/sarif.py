"""SARIF 2.1.0 (code scanning UIs): one run, a rule per check seen, a result per failed finding, and each
honoured inline skip as a result suppressed in source with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from launchpad import __version__
from launchpad.policy.model import FAILED, SKIPPED, TOOL_NAME, Finding, PolicyReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"CRITICAL": "error", "HIGH": "error"}  # the rest: warning
# GitHub code scanning reads properties.security-severity (CVSS-like, as a string) to rank alerts.
SECURITY_SEVERITY = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0", "INFO": "0.0"}
SOURCE_ROOT = "%SRCROOT%"


def rule(finding: Finding) -> dict[str, Any]:
    text = finding.name or finding.check_id
    properties: dict[str, Any] = {
        "severity": finding.severity,
        "controls": list(finding.controls),
        "tags": ["security", *finding.controls],
    }
    if finding.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[finding.severity]
    described: dict[str, Any] = {
        "id": finding.check_id,
        "name": finding.check_id,
        "shortDescription": {"text": text},
        "help": {"text": f"{text}. Guideline: {finding.guideline}" if finding.guideline else text},
        "properties": properties,
    }
    if finding.guideline:
        described["helpUri"] = finding.guideline
    return described


def location(finding: Finding) -> dict[str, Any]:
    outside = finding.file.startswith("/")  # a file outside the repo: an absolute file:// URI
    artifact: dict[str, Any] = (
        {"uri": Path(finding.file).as_uri()} if outside else {"uri": finding.file, "uriBaseId": SOURCE_ROOT}
    )
    physical: dict[str, Any] = {"artifactLocation": artifact}
    start, end = finding.lines
    if start >= 1:
        physical["region"] = {"startLine": start, "endLine": max(start, end)}
    return {"physicalLocation": physical, "logicalLocations": [{"fullyQualifiedName": finding.resource}]}


def result(finding: Finding, index: int) -> dict[str, Any]:
    via = f" (module called from {finding.caller})" if finding.caller else ""
    found: dict[str, Any] = {
        "ruleId": finding.check_id,
        "ruleIndex": index,
        "level": LEVELS.get(finding.severity, "warning") if not finding.message else "error",
        "message": {"text": f"{finding.message or finding.name}: {finding.resource}{via}"},
        "locations": [location(finding)],
    }
    if finding.result == SKIPPED:
        found["suppressions"] = [{"kind": "inSource", "justification": finding.skip_reason or ""}]
    return found


def document(report: PolicyReport) -> dict[str, Any]:
    first: dict[str, Finding] = {}
    for f in report.findings:
        first.setdefault(f.check_id, f)
    rules = [rule(first[check_id]) for check_id in sorted(first)]
    index = {r["id"]: i for i, r in enumerate(rules)}
    reported = [f for f in report.findings if f.result in (FAILED, SKIPPED)]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "informationUri": "https://www.checkov.io/",
                        "rules": rules,
                        "properties": {"checkov": report.checkov_version},
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "startTimeUtc": report.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "properties": {"paths": report.paths, "seconds": report.seconds},
                    }
                ],
                "results": [result(f, index[f.check_id]) for f in reported],
                "properties": {"commit": report.commit, "counts": report.counts},
            }
        ],
    }


def render(report: PolicyReport) -> str:
    return json.dumps(document(report), indent=2) + "\n"
