"""The control mapping: validation messages, rating findings, and each control's evidence status."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import policy
from launchpad.errors import PolicyError
from launchpad.paths import repo_root
from launchpad.policy import checkov, controls, coverage
from launchpad.policy.model import Finding
from tests.unit.policy_data import canned


def _raw() -> dict[str, Any]:
    return yaml.safe_load(canned.CONTROLS.read_text())


def _problems(raw: dict[str, Any]) -> str:
    with pytest.raises(PolicyError) as caught:
        controls.parse(raw, "test.yaml")
    assert caught.value.exit_code == 6
    return str(caught.value)


def test_the_test_mapping_loads() -> None:
    mapping = controls.load(canned.CONTROLS)
    assert set(mapping.frameworks) == {"HIPAA", "CIS-AWS-3.0", "EU-AI-ACT"}
    assert mapping.mapped_checks("EU-AI-ACT Art. 12") == ["CKV_AWS_66", "CKV_LP_999"]
    assert mapping.checks["CKV_AWS_338"].controls == ()  # a check may evidence no control


def test_the_repository_mapping_is_valid() -> None:
    mapping = controls.load(repo_root() / "policies" / "controls.yaml")
    assert mapping.controls and mapping.checks


def test_a_control_of_an_unknown_framework_is_rejected() -> None:
    raw = _raw()
    raw["controls"]["CIS 3.7"]["framework"] = "CIS-AWS-9"
    assert (
        'control "CIS 3.7" names framework "CIS-AWS-9", which is not listed under frameworks '
        "(listed: HIPAA, CIS-AWS-3.0, EU-AI-ACT)"
    ) in _problems(raw)


def test_a_check_naming_an_undefined_control_is_rejected() -> None:
    raw = _raw()
    raw["checks"]["CKV_AWS_27"]["controls"].append("HIPAA 164.999")
    assert (
        'check CKV_AWS_27 maps to control "HIPAA 164.999", which is not defined under controls'
        in _problems(raw)
    )


def test_a_control_no_check_maps_to_is_rejected() -> None:
    raw = _raw()
    raw["controls"]["HIPAA 164.312(d)"] = {"framework": "HIPAA", "title": "Person or entity authentication"}
    assert (
        'control "HIPAA 164.312(d)" is not mapped to any check '
        "(every control listed must map to at least one check)"
    ) in _problems(raw)


@pytest.mark.parametrize("severity", ["SEVERE", "high", "UNRATED", None])
def test_a_bad_severity_is_rejected(severity: str | None) -> None:
    raw = _raw()
    raw["checks"]["CKV_AWS_27"]["severity"] = severity
    assert (
        f'check CKV_AWS_27 has severity "{severity or ""}"; use one of CRITICAL, HIGH, MEDIUM, LOW, INFO'
        in (_problems(raw))
    )


def test_every_problem_is_reported_at_once() -> None:
    raw = copy.deepcopy(_raw())
    raw["checks"]["CKV_AWS_27"]["severity"] = "SEVERE"
    raw["controls"]["CIS 3.7"]["framework"] = "NOPE"
    message = _problems(raw)
    assert message.startswith("controls file test.yaml is invalid:\n  ")
    assert "SEVERE" in message and "NOPE" in message


def test_a_missing_or_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing.yaml: cannot read the controls file: No such file"):
        controls.load(tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("checks: [unclosed\n")
    with pytest.raises(PolicyError, match=r"broken.yaml: the controls file is not valid YAML"):
        controls.load(tmp_path / "broken.yaml")
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(PolicyError, match=r"the controls file must be a YAML mapping"):
        controls.load(tmp_path / "list.yaml")


def test_mapped_checks_take_the_mapping_rating_and_others_keep_checkovs() -> None:
    mapping = controls.load(canned.CONTROLS)
    base = Finding("CKV_AWS_27", "SQS encrypted", "failed", "aws_sqs_queue.bad", "main.tf", (1, 2))
    rated = mapping.rate(base)
    assert (rated.severity, rated.controls) == ("HIGH", ("HIPAA 164.312(a)(2)(iv)",))
    unmapped = mapping.rate(Finding("CKV_AWS_158", "KMS", "failed", "r", "main.tf", (1, 2), severity="LOW"))
    assert (unmapped.severity, unmapped.control_label) == ("LOW", "(unmapped)")
    assert mapping.rate(Finding("CKV_AWS_1", "x", "failed", "r", "f", (1, 1))).severity == "UNRATED"


def test_each_control_gets_the_status_its_checks_earn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(canned.fake_checkov(tmp_path)))
    report = policy.run([canned.FIXTURE], controls_path=canned.CONTROLS, jobs=1)
    statuses = {s.control.id: s for group in coverage.control_statuses(report).values() for s in group}
    assert {control: s.status for control, s in statuses.items()} == {
        "HIPAA 164.312(b)": "evidenced",  # CKV_AWS_66 passed
        "HIPAA 164.312(a)(2)(iv)": "failing",  # CKV_AWS_27 failed (once, plus two reasonless skips)
        "EU-AI-ACT Art. 12": "partial",  # CKV_AWS_66 passed, CKV_LP_999 never ran
        "CIS 3.7": "no evidence",  # only CKV_LP_999
    }
    (sqs,) = statuses["HIPAA 164.312(a)(2)(iv)"].checks
    assert (sqs.passed, sqs.failed, sqs.skipped) == (1, 3, 1)
    assert [f.resource for f in sqs.failures] == [
        "aws_sqs_queue.bad",
        "aws_sqs_queue.no_reason",
        "aws_sqs_queue.empty_reason",
    ]
