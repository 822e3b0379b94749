"""Every report format, from one run over the canned checkov output of tests/unit/policy_data/tf."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import jsonschema
import pytest

from launchpad import __version__, policy
from launchpad.paths import repo_root
from launchpad.policy import checkov
from launchpad.policy.formats import (
    EVIDENCE,
    FORMATS,
    evidence,
    json_report,
    junit,
    markdown,
    sarif,
    table,
    write,
)
from launchpad.policy.model import PolicyReport
from tests.unit.policy_data import canned

SARIF_SCHEMA = repo_root() / ".tools" / "schemas" / "sarif-2.1.0.json"
APP = "tests/unit/policy_data/tf/app/main.tf"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> PolicyReport:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(checkov.CHECKOV_ENV, str(canned.fake_checkov(tmp_path_factory.mktemp("checkov"))))
        return policy.run([canned.FIXTURE], controls_path=canned.CONTROLS, jobs=1)


def test_the_report_counts_reasonless_skips_as_failures(report: PolicyReport) -> None:
    assert report.counts == {"passed": 12, "failed": 5, "skipped": 1}
    assert report.paths == ["tests/unit/policy_data/tf"]
    assert report.checkov_version == "3.3.30"
    assert report.controls.source == "tests/unit/policy_data/controls.yaml"


def test_sarif_is_valid_sarif_2_1_0(report: PolicyReport) -> None:
    if not SARIF_SCHEMA.exists():
        pytest.fail(f"{SARIF_SCHEMA} is missing: run `make setup` (it fetches the SARIF 2.1.0 schema)")
    document = json.loads(sarif.render(report))
    schema = json.loads(SARIF_SCHEMA.read_text())
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_has_a_rule_per_check_results_for_failures_and_suppressed_skips(report: PolicyReport) -> None:
    (run,) = json.loads(sarif.render(report))["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "launchpad-policy"
    assert [r["id"] for r in rules] == report.check_ids
    sqs = next(r for r in rules if r["id"] == "CKV_AWS_27")
    assert sqs["properties"]["severity"] == "HIGH"
    assert sqs["properties"]["controls"] == ["HIPAA 164.312(a)(2)(iv)"]
    assert sqs["properties"]["security-severity"] == "8.0"
    failed = [r for r in run["results"] if "suppressions" not in r]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert len(failed) == 5 and len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "The queue carries only public build notifications."}
    ]
    bad = next(r for r in failed if "aws_sqs_queue.bad" in r["message"]["text"])
    assert bad["level"] == "error"
    assert rules[bad["ruleIndex"]]["id"] == bad["ruleId"] == "CKV_AWS_27"
    location = bad["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": APP, "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 9, "endLine": 12}
    unrated = next(r for r in failed if r["ruleId"] == "CKV_AWS_158")
    assert unrated["level"] == "warning"


def test_junit_has_a_suite_per_check_and_a_case_per_finding(report: PolicyReport) -> None:
    root = ET.fromstring(junit.render(report))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("18", "5", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert sorted(suites) == report.check_ids
    sqs = suites["CKV_AWS_27"]
    assert (sqs.get("tests"), sqs.get("failures"), sqs.get("skipped")) == ("5", "3", "1")
    assert len(sqs.findall("testcase")) == 5
    failures = sqs.findall("testcase/failure")
    assert {f.get("type") for f in failures} == {"HIGH"}
    assert any("has no reason" in (f.get("message") or "") for f in failures)
    (skipped,) = sqs.findall("testcase/skipped")
    assert skipped.get("message") == "The queue carries only public build notifications."
    properties = {p.get("name"): p.get("value") for p in sqs.iter("property")}
    assert properties["controls"] == "HIPAA 164.312(a)(2)(iv)"


def test_json_holds_every_finding_and_control_status(report: PolicyReport) -> None:
    document = json.loads(json_report.render(report))
    assert document["counts"] == report.counts
    assert len(document["findings"]) == 18
    statuses = {c["id"]: c["status"] for group in document["controls"].values() for c in group}
    assert statuses["CIS 3.7"] == "no evidence"
    bad = next(
        f for f in document["findings"] if f["resource"] == "aws_sqs_queue.bad" and f["result"] == "failed"
    )
    assert (bad["file"], bad["lines"], bad["severity"]) == (APP, [9, 12], "HIGH")


def test_markdown_lists_failures_and_skip_reasons(report: PolicyReport) -> None:
    text = markdown.render(report)
    assert "**5 failed**, 12 passed, 1 skipped with a reason" in text
    assert "## Failed checks (5)" in text
    assert f"| HIGH | CKV_AWS_27 | HIPAA 164.312(a)(2)(iv) | `aws_sqs_queue.bad` | `{APP}:9-12` |" in text
    assert f"| CKV_AWS_27 | `{APP}:14` | `aws_sqs_queue.skipped` | The queue carries only public" in text
    assert f"- Tools: launchpad-policy {__version__}, checkov 3.3.30" in text


def test_the_table_groups_failures_by_severity_then_control(report: PolicyReport) -> None:
    text = click.unstyle(table.render(report))
    lines = text.splitlines()
    headings = [line for line in lines if line in ("HIGH", "MEDIUM", "UNRATED")]
    assert headings == ["HIGH", "MEDIUM", "UNRATED"]
    assert lines[lines.index("MEDIUM") + 1] == "  (unmapped)"
    assert f"    CKV_AWS_27   aws_sqs_queue.bad  {APP}:9-12" in lines
    assert lines[-1].startswith("5 failed, 12 passed, 1 skipped with a reason; tests/unit/policy_data/tf; ")


def test_evidence_report_has_provenance_statuses_failures_and_skips(report: PolicyReport) -> None:
    text = evidence.render(report)
    assert text.startswith("# Control evidence\n")
    assert f"- Generated: {report.started.strftime('%Y-%m-%d %H:%M:%S')} UTC" in text
    assert "checkov 3.3.30" in text and "- Paths scanned: `tests/unit/policy_data/tf`" in text
    if report.commit:
        assert report.commit in text
    assert "| HIPAA | 2 | 1 | 0 | 1 | 0 |" in text  # evidenced, partial, failing, no evidence
    section = text.split("### HIPAA 164.312(a)(2)(iv): Encryption and decryption")[1].split("###")[0]
    assert "Status: **failing**" in section
    assert "| CKV_AWS_27 | Ensure all data stored in the SQS queue is encrypted | 1 | 3 | 1 |" in section
    assert f"- CKV_AWS_27 `aws_sqs_queue.bad` at `{APP}:9-12`" in section
    assert "Status: **no evidence**" in text.split("### CIS 3.7")[1]
    assert "| CKV_LP_999 | (did not run) | 0 | 0 | 0 |" in text
    assert "## Honoured skips" in text and "The queue carries only public build notifications." in text
    unmapped = text.split("## Checks that ran but evidence no listed control")[1]
    assert "CKV_AWS_158" in unmapped and "CKV_AWS_338" in unmapped and "CKV_AWS_27 " not in unmapped


def test_write_puts_each_format_and_always_the_evidence_in_the_directory(
    report: PolicyReport, tmp_path: Path
) -> None:
    written = write(report, tmp_path / "out", ["sarif", "junit", "sarif"])
    assert [p.name for p in written] == ["policy.sarif", "policy-junit.xml", "evidence.md"]
    assert {f.filename for f in (*FORMATS.values(), EVIDENCE)} == {
        "policy.json",
        "policy.sarif",
        "policy-junit.xml",
        "policy.md",
        "evidence.md",
    }
    assert (tmp_path / "out" / "evidence.md").read_text() == evidence.render(report)
