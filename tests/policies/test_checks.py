"""launchpad's own checkov checks (policies/checks, CKV_LP_*) against their fixtures.

Each check has ``fixtures/<check file name>/pass`` and ``.../fail`` folders of small Terraform (checkov only
parses it: no provider is needed), and optionally ``.../unknown`` for code whose values only a caller knows.
checkov runs once over all fixtures (~3 s); every check must pass everything it evaluates under ``pass/``,
fail everything under ``fail/``, evaluate at least one resource in each, and say nothing (UNKNOWN, which
checkov leaves out of its report) under ``unknown/``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad.paths import repo_root

# One worker runs this file: its module fixture (one checkov run over every fixture) runs once.
pytestmark = pytest.mark.xdist_group("test_checks")

CHECKS_DIR = repo_root() / "policies" / "checks"
FIXTURES_DIR = Path(__file__).parent / "fixtures"
CHECKOV = repo_root() / ".tools" / "checkov" / "bin" / "checkov"
CHECK_ID = re.compile(r"^CKV_LP_\d{3}$")
ANY_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9_]+$")


@dataclass(frozen=True)
class CheckFile:
    """A file of policies/checks: the ids it registers and what it says about itself."""

    path: Path
    ids: frozenset[str]
    description: str

    @property
    def fixtures(self) -> Path:
        return FIXTURES_DIR / self.path.stem


def _python_check(path: Path) -> CheckFile:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ids = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ANY_CHECK_ID.match(node.value)
    }
    return CheckFile(path, frozenset(ids), ast.get_docstring(tree) or "")


def _yaml_check(path: Path) -> CheckFile:
    text = path.read_text(encoding="utf-8")
    comment = [line.lstrip("# ") for line in text.splitlines() if line.startswith("#")]
    return CheckFile(path, frozenset([yaml.safe_load(text)["metadata"]["id"]]), "\n".join(comment))


def check_files() -> list[CheckFile]:
    """Every check file (the ``_helpers`` folder and ``__init__.py`` are not checks)."""
    files = []
    for path in sorted(CHECKS_DIR.iterdir()):
        if path.suffix == ".py" and not path.name.startswith("_"):
            files.append(_python_check(path))
        elif path.suffix in (".yaml", ".yml", ".json"):
            files.append(_yaml_check(path))
    return files


CHECK_FILES = check_files()


@dataclass(frozen=True)
class Result:
    check_id: str
    resource: str
    path: str  # the file of the resource's root module (its caller's file for a module's resource)
    result: str

    @property
    def kind(self) -> str | None:
        """pass, fail or unknown: the fixture folder the resource's root module sits in."""
        parts = Path(self.path).parts
        return next((p for p in parts if p in ("pass", "fail", "unknown")), None)

    def under(self, fixtures: Path) -> bool:
        return Path(self.path).is_relative_to(fixtures)


def _reports(stdout: str) -> list[dict[str, Any]]:
    """checkov prints one JSON report per framework run: a single object, or a list of them."""
    document = json.loads(stdout)
    return document if isinstance(document, list) else [document]


def run_checkov(directory: Path, *extra: str, env: dict[str, str] | None = None) -> list[Result]:
    if not CHECKOV.exists():
        pytest.skip(f"checkov is not installed at {CHECKOV} (run `make setup`)")
    command = [
        str(CHECKOV),
        "--directory", str(directory),
        "--framework", "terraform",
        "--external-checks-dir", str(CHECKS_DIR),
        "--skip-download",
        "--compact",
        "--output", "json",
        *extra,
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
    assert completed.returncode in (0, 1), f"checkov failed:\n{completed.stderr[-3000:]}"
    assert "Traceback" not in completed.stderr, f"a check raised:\n{completed.stderr[-3000:]}"
    results = []
    for report in _reports(completed.stdout):
        for outcome in ("passed_checks", "failed_checks"):
            for record in report.get("results", {}).get(outcome, []):
                relative = record.get("caller_file_path") or record["file_path"]
                results.append(
                    Result(
                        record["check_id"],
                        record["resource"],
                        str(directory / relative.lstrip("/")),
                        record["check_result"]["result"],
                    )
                )
    return results


@pytest.fixture(scope="module")
def fixture_results() -> list[Result]:
    """One checkov run over every fixture, with every CKV_LP_* check."""
    return run_checkov(FIXTURES_DIR, "--check", "CKV_LP_*")


def test_check_ids_are_unique_and_well_formed() -> None:
    ids = [check_id for check in CHECK_FILES for check_id in check.ids]
    assert ids, f"no check found in {CHECKS_DIR}"
    assert all(CHECK_ID.match(i) for i in ids), f"ids must read CKV_LP_<3 digits>: {sorted(ids)}"
    assert len(ids) == len(set(ids)), f"an id is registered by two files: {sorted(ids)}"
    assert all(len(check.ids) == 1 for check in CHECK_FILES), "one check (one id) per file"


@pytest.mark.parametrize("check", CHECK_FILES, ids=lambda c: c.path.name)
def test_check_file_says_what_it_protects_and_why(check: CheckFile) -> None:
    (check_id,) = check.ids
    assert check.description.startswith(f"{check_id}: "), "the docstring starts with '<id>: <what it checks>'"
    assert "Why:" in check.description, "the docstring says why the check exists ('Why: ...')"


@pytest.mark.parametrize("check", CHECK_FILES, ids=lambda c: next(iter(c.ids)))
def test_check_passes_its_pass_fixtures_and_fails_its_fail_fixtures(
    check: CheckFile, fixture_results: list[Result]
) -> None:
    (check_id,) = check.ids
    assert (check.fixtures / "pass").is_dir() and (check.fixtures / "fail").is_dir(), (
        f"{check_id} needs {check.fixtures.relative_to(repo_root())}/pass and /fail"
    )
    mine = [r for r in fixture_results if r.check_id == check_id and r.under(check.fixtures)]
    by_kind = {kind: [r for r in mine if r.kind == kind] for kind in ("pass", "fail", "unknown")}
    assert by_kind["pass"], f"{check_id} evaluated nothing under pass/"
    assert by_kind["fail"], f"{check_id} evaluated nothing under fail/"
    wrong = [
        f"{r.resource} ({Path(r.path).relative_to(FIXTURES_DIR)}): {r.result}"
        for kind, expected in (("pass", "PASSED"), ("fail", "FAILED"), ("unknown", None))
        for r in by_kind[kind]
        if r.result != expected
    ]
    assert not wrong, f"{check_id} judged these wrongly:\n" + "\n".join(wrong)


def test_a_team_config_file_replaces_the_instance_type_allow_list(tmp_path: Path) -> None:
    config = tmp_path / "team-policy.yaml"
    config.write_text("allowed_instance_types: ['ml.p4d.*', 'ml.inf1.*', 'ml.m5*']\n", encoding="utf-8")
    fail_dir = FIXTURES_DIR / "sagemaker_instance_type_allowed" / "fail"
    results = run_checkov(fail_dir, "--check", "CKV_LP_008", env={"LAUNCHPAD_POLICY_CONFIG": str(config)})
    assert results and all(r.result == "PASSED" for r in results), results
