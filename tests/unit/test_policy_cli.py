"""`launchpad policy`: exit codes and messages, outputs, and one run of the real checkov."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from launchpad.cli import main
from launchpad.paths import repo_root
from launchpad.policy import checkov
from tests.unit.policy_data import canned

FIXTURE = str(canned.FIXTURE)
CONTROLS = ["--controls", str(canned.CONTROLS)]


def _policy(*args: str) -> Result:
    return CliRunner().invoke(main, ["policy", *args])


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    script = canned.fake_checkov(tmp_path)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(script))
    return script


def test_a_path_that_does_not_exist_is_a_usage_error(fake: Path, tmp_path: Path) -> None:
    result = _policy(str(tmp_path / "nope"), *CONTROLS)
    assert result.exit_code == 2
    assert "does not exist" in result.output and "nope" in result.output


def test_several_formats_without_an_output_dir_is_a_usage_error(fake: Path) -> None:
    result = _policy(FIXTURE, *CONTROLS, "--format", "json", "--format", "sarif")
    assert result.exit_code == 2
    assert "several --format values need --output-dir" in result.output


def test_checkov_missing_exits_3_saying_to_run_make_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(tmp_path / "no-checkov"))
    result = _policy(FIXTURE, *CONTROLS)
    assert result.exit_code == 3
    assert "no-checkov is not an executable file" in result.output and "make setup" in result.output


def test_a_malformed_skip_exits_6_naming_the_file_and_line(fake: Path, tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {\n  #checkov:skip=CKV_AWS_27 forgot the colon\n}\n'
    )
    result = _policy(str(stack), *CONTROLS)
    assert result.exit_code == 6
    assert f"{stack}/main.tf:2: 'checkov:skip=CKV_AWS_27 forgot the colon'" in result.output


def test_a_bad_controls_file_exits_6(fake: Path, tmp_path: Path) -> None:
    bad = tmp_path / "controls.yaml"
    bad.write_text(canned.CONTROLS.read_text().replace("severity: HIGH", "severity: SEVERE"))
    result = _policy(FIXTURE, "--controls", str(bad))
    assert result.exit_code == 6
    assert 'check CKV_AWS_27 has severity "SEVERE"' in result.output


def test_a_file_checkov_cannot_parse_exits_6_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    unparsed = {
        "check_type": "terraform",
        "results": {
            "passed_checks": [],
            "failed_checks": [],
            "skipped_checks": [],
            "parsing_errors": [f"{canned.FIXTURE}/lib/main.tf"],
        },
        "summary": {"parsing_errors": 1, "checkov_version": "3.3.30"},
    }
    fake = canned.fake_checkov(tmp_path, exit_code=0, stdout=json.dumps(unparsed))  # what checkov 3.3.30 does
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(fake))
    result = _policy(FIXTURE, *CONTROLS)
    assert result.exit_code == 6
    assert "checkov could not parse these files" in result.output
    assert "tests/unit/policy_data/tf/lib/main.tf" in result.output


def test_a_checkov_crash_exits_3_with_its_stderr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    crash = canned.fake_checkov(tmp_path, exit_code=2, stdout="", stderr="KeyError: 'resource'\n")
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(crash))
    result = _policy(FIXTURE, *CONTROLS)
    assert result.exit_code == 3
    assert "checkov crashed on" in result.output and "KeyError: 'resource'" in result.output


def test_failed_checks_exit_1_with_the_table(fake: Path) -> None:
    result = _policy(FIXTURE, *CONTROLS)
    assert result.exit_code == 1, result.output
    assert "5 failed check(s)" in result.output
    assert "CKV_AWS_27   aws_sqs_queue.bad  tests/unit/policy_data/tf/app/main.tf:9-12" in result.output


def test_no_failed_checks_exit_0(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The good queue alone: checkov-good.json does not exist, so the fake answers with a hand-made report.
    passed = {
        "check_type": "terraform",
        "results": {
            "passed_checks": [
                {
                    "check_id": "CKV_AWS_66",
                    "check_name": "retention set",
                    "check_result": {"result": "PASSED"},
                    "file_abs_path": f"{canned.FIXTURE}/lib/main.tf",
                    "file_line_range": [2, 5],
                    "resource": "aws_cloudwatch_log_group.this",
                }
            ],
            "failed_checks": [],
            "skipped_checks": [],
        },
        "summary": {"checkov_version": "3.3.30"},
    }
    monkeypatch.setenv(
        checkov.CHECKOV_ENV, str(canned.fake_checkov(tmp_path, exit_code=0, stdout=json.dumps(passed)))
    )
    result = _policy(str(canned.FIXTURE / "lib"), *CONTROLS)
    assert result.exit_code == 0, result.output
    assert "0 failed, 1 passed" in result.output


def test_one_format_without_a_directory_goes_to_stdout(fake: Path) -> None:
    result = _policy(FIXTURE, *CONTROLS, "--format", "sarif")  # click >= 8.2 keeps stderr apart
    assert result.exit_code == 1
    assert json.loads(result.stdout)["version"] == "2.1.0"
    assert "5 failed" in result.stderr


def test_real_checkov_over_a_tiny_folder_fails_and_files_the_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(checkov.CHECKOV_ENV, raising=False)
    if not (repo_root() / ".tools" / "checkov" / "bin" / "checkov").exists():
        pytest.fail("checkov is not installed in .tools/checkov: run `make setup`")
    out = tmp_path / "evidence"
    result = _policy(FIXTURE, *CONTROLS, "--output-dir", str(out), "--format", "junit", "--format", "sarif")
    assert result.exit_code == 1, result.output
    assert "CKV_AWS_27   aws_sqs_queue.bad" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["evidence.md", "policy-junit.xml", "policy.sarif"]
    suites = {s.get("name") for s in ET.parse(out / "policy-junit.xml").getroot().iter("testsuite")}
    assert {"CKV_AWS_27", "CKV_AWS_66"} <= suites
    assert "Status: **evidenced**" in (out / "evidence.md").read_text()
