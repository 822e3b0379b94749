"""Running checkov (found, one folder per process, crashes reported) and reading its JSON output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from launchpad.errors import ToolchainError
from launchpad.paths import repo_root
from launchpad.policy import checkov, parse
from launchpad.policy.model import FAILED, PASSED, SKIPPED
from tests.unit.policy_data import canned


def _findings(name: str, unit: Path = canned.FIXTURE) -> list:
    return parse.findings([(unit, canned.documents(name))], repo_root())


# -- reading the output ----------------------------------------------------------------------------------
def test_every_concatenated_document_is_read_including_framework_lists_and_noise() -> None:
    one = canned.text("checkov-app.json")
    two = json.dumps([json.loads(canned.text("checkov-lib.json"))], indent=4)  # a list: one per framework
    summary_only = json.dumps({"passed": 0, "failed": 0, "checkov_version": "3.3.30"}, indent=4)
    text = f"[custom check] loading\n{one}\n{two}\n{summary_only}\n"
    found = parse.documents(text)
    assert len(found) == 3
    assert [parse.result_count(d) for d in found] == [15, 3, 0]
    assert parse.checkov_version(found[2:]) == "3.3.30"


def test_results_are_read_with_repo_relative_files_lines_and_skip_reasons() -> None:
    found = {(f.check_id, f.resource): f for f in _findings("checkov-tf.json")}
    bad = found[("CKV_AWS_27", "aws_sqs_queue.bad")]
    assert (bad.result, bad.file, bad.lines) == (FAILED, "tests/unit/policy_data/tf/app/main.tf", (9, 12))
    assert bad.location == "tests/unit/policy_data/tf/app/main.tf:9-12"
    assert bad.name == "Ensure all data stored in the SQS queue is encrypted"
    skipped = found[("CKV_AWS_27", "aws_sqs_queue.skipped")]
    assert skipped.result == SKIPPED
    assert skipped.skip_reason == "The queue carries only public build notifications."
    assert found[("CKV_AWS_66", "aws_cloudwatch_log_group.this")].result == PASSED
    assert found[("CKV_AWS_27", "aws_sqs_queue.no_reason")].skip_reason == "No comment provided"
    assert found[("CKV_AWS_27", "aws_sqs_queue.empty_reason")].skip_reason == ""


def test_findings_reported_twice_are_kept_once() -> None:
    # Real output of `-d app -d lib` (checkov#7327): two documents on app, the second with each result twice.
    documents = canned.documents("checkov-app-lib.json")
    assert sum(parse.result_count(d) for d in documents) == 45
    once = _findings("checkov-app-lib.json", canned.FIXTURE / "app")
    assert len(once) == 15
    assert {f.key for f in once} == {f.key for f in _findings("checkov-app.json", canned.FIXTURE / "app")}


def test_module_resources_name_their_caller_and_differ_per_caller() -> None:
    root = repo_root()
    check = {
        "check_id": "CKV_AWS_158",
        "check_name": "Log group encrypted",
        "resource": "module.pipeline.aws_cloudwatch_log_group.codebuild",
        "file_abs_path": str(root / "modules/cicd-pipeline/codebuild.tf"),
        "file_line_range": [75, 82],
        "caller_file_path": "/../modules/cicd-pipeline/examples/complete/main.tf",
        "severity": "high",
    }
    stack = {**check, "caller_file_path": "/platform/main.tf"}
    document = {"results": {"failed_checks": [check, stack, dict(stack)]}}
    found = parse.findings([(root / "terraform", [document])], root)
    assert [f.caller for f in found] == [
        "modules/cicd-pipeline/examples/complete/main.tf",
        "terraform/platform/main.tf",
    ]
    assert {f.severity for f in found} == {"HIGH"}  # checkov's own severity, when it has one


def test_files_outside_the_repo_keep_their_absolute_path(tmp_path: Path) -> None:
    assert parse.display_path(tmp_path / "a" / ".." / "main.tf", repo_root()) == f"{tmp_path}/main.tf"
    assert parse.display_path(repo_root() / "modules" / "kms", repo_root()) == "modules/kms"


# -- finding and running checkov -------------------------------------------------------------------------
def test_launchpad_checkov_wins_and_must_be_executable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = canned.fake_checkov(tmp_path)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(fake))
    assert checkov.find_checkov(repo_root()) == fake
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(ToolchainError, match=r"LAUNCHPAD_CHECKOV=.*nowhere is not an executable.*make setup"):
        checkov.find_checkov(repo_root())


def test_no_checkov_anywhere_says_to_run_make_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(checkov.CHECKOV_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainError, match=r"checkov not found: run `make setup`") as caught:
        checkov.find_checkov(tmp_path)  # a root without .tools/checkov
    assert caught.value.exit_code == 3


def test_the_repo_config_file_is_always_passed_and_its_absence_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match=r"\.checkov\.yaml is missing"):
        checkov.config_args(tmp_path)
    (tmp_path / ".checkov.yaml").write_text("framework: [terraform]\n")
    assert checkov.config_args(tmp_path) == ["--config-file", str(tmp_path / ".checkov.yaml")]


def test_units_are_the_paths_or_with_split_their_subdirectories_biggest_first(tmp_path: Path) -> None:
    for name, files in {"modules/kms": 1, "modules/s3": 3, "modules/docs": 0, "stack": 1}.items():
        (tmp_path / name).mkdir(parents=True)
        for number in range(files):
            (tmp_path / name / f"f{number}.tf").write_text("")
    (tmp_path / "modules" / ".terraform").mkdir()
    (tmp_path / "modules" / ".terraform" / "cached.tf").write_text("")
    paths = [tmp_path / "modules", tmp_path / "stack"]
    assert [(u.path.name, u.tf_files) for u in checkov.units(paths)] == [("modules", 4), ("stack", 1)]
    split = checkov.units(paths, split=True)
    assert [(u.path.name, u.tf_files) for u in split] == [("s3", 3), ("kms", 1), ("stack", 1)]


def test_each_unit_runs_in_its_own_process_with_one_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(canned.fake_checkov(tmp_path)))
    planned = checkov.units([canned.FIXTURE], split=True)
    with caplog.at_level(logging.INFO, logger="launchpad.policy.checkov"):
        results = checkov.scan(repo_root(), planned, jobs=2)
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert len(calls) == 2
    assert all(call.count("--directory") == 1 and "--output json" in call for call in calls)
    assert [r.unit.path.name for r in results] == ["app", "lib"]
    assert [sum(parse.result_count(d) for d in r.documents) for r in results] == [15, 3]
    progress = [r.getMessage() for r in caplog.records if "result(s) in" in r.getMessage()]
    assert len(progress) == 2 and all("[" in line and "/2]" in line for line in progress)


@pytest.mark.parametrize(
    ("exit_code", "stdout"),
    [(2, None), (0, "Traceback (most recent call last):\n")],
    ids=["exit-code-2", "no-json"],
)
def test_a_checkov_crash_is_an_error_with_its_stderr_tail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exit_code: int, stdout: str | None
) -> None:
    stderr = "\n".join(f"line {n}" for n in range(40)) + "\nValueError: boom in custom check\n"
    fake = canned.fake_checkov(tmp_path, exit_code=exit_code, stdout=stdout, stderr=stderr)
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(fake))
    with pytest.raises(ToolchainError, match=f"checkov crashed on .*tf \\(exit code {exit_code}") as caught:
        checkov.scan(repo_root(), checkov.units([canned.FIXTURE]), jobs=1)
    message = str(caught.value)
    assert "ValueError: boom in custom check" in message
    assert "line 5\n" not in message  # only the tail


def test_failed_checks_exit_code_1_is_not_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(checkov.CHECKOV_ENV, str(canned.fake_checkov(tmp_path, exit_code=1)))
    (result,) = checkov.scan(repo_root(), checkov.units([canned.FIXTURE]), jobs=1)
    assert parse.checkov_version(result.documents) == "3.3.30"
