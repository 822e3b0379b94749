"""JUnit XML for CI test views: a testsuite per check, a testcase per finding (failure / skipped / passed).

Per check rather than per control framework: a check maps to several controls, so suites per framework or
control would repeat each finding and inflate the counts CI shows. The controls and severity of a check are
the suite's properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from launchpad.policy.model import FAILED, SKIPPED, TOOL_NAME, Finding, PolicyReport


def _suite(check_id: str, findings: list[Finding]) -> ET.Element:
    failures = sum(f.result == FAILED for f in findings)
    skipped = sum(f.result == SKIPPED for f in findings)
    suite = ET.Element(
        "testsuite",
        name=check_id,
        tests=str(len(findings)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    properties = ET.SubElement(suite, "properties")
    first = findings[0]
    for name, value in (
        ("name", first.name),
        ("severity", first.severity),
        ("controls", first.control_label),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for f in findings:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=check_id,
            name=f"{f.resource} ({f.location})",
            file=f.file,
            line=str(f.lines[0]),
        )
        if f.result == FAILED:
            failure = ET.SubElement(case, "failure", message=f.message or f.name, type=f.severity)
            via = f"\nmodule called from {f.caller}" if f.caller else ""
            failure.text = f"{f.check_id} {f.resource} at {f.location}{via}\ncontrols: {f.control_label}"
        elif f.result == SKIPPED:
            ET.SubElement(case, "skipped", message=f.skip_reason or "")
    return suite


def render(report: PolicyReport) -> str:
    counts = report.counts
    root = ET.Element(
        "testsuites",
        name=TOOL_NAME,
        tests=str(len(report.findings)),
        failures=str(counts[FAILED]),
        errors="0",
        skipped=str(counts[SKIPPED]),
        time=f"{report.seconds:.1f}",
    )
    ordered = sorted(report.findings, key=lambda f: (f.check_id, f.file, f.lines, f.resource))
    for check_id, findings in groupby(ordered, key=lambda f: f.check_id):
        root.append(_suite(check_id, list(findings)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
