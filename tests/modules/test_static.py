"""Fast tier for every module: fmt, validate, README tables, checkov, plan inventories, bad input.

Modules are discovered from ``modules/``, so a new module is covered the moment it exists.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import docs
from launchpad.aws import AwsTarget
from launchpad.errors import TerraformError
from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir, repo_root
from launchpad.terraform import Terraform, copy_module_dir, terraform_env
from launchpad.workspace import Workspace

MODULES = sorted(p.name for p in modules_dir().iterdir() if (p / "main.tf").exists())
ROOT_MODULES = sorted(  # every module, submodule, example and root stack: each must validate on its own
    {
        p.parent
        for folder in (modules_dir(), repo_root() / "terraform")
        for p in folder.rglob("*.tf")
        if ".terraform" not in p.parts
    }
)
TESTS = Path(__file__).parent


def _load(module: str, name: str) -> Any:
    path = TESTS / module / name
    if not path.exists():
        pytest.fail(f"{path.relative_to(repo_root())} is missing: every module ships one")
    return yaml.safe_load(path.read_text())


def test_terraform_fmt_is_clean() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-list=true", "modules", "terraform"],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `make fmt`; unformatted files:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("root", ROOT_MODULES, ids=lambda p: str(p.relative_to(repo_root())))
def test_module_validates(root: Path, tmp_path: Path) -> None:
    copy = copy_module_dir(root, tmp_path / root.name)
    terraform = Terraform(copy, terraform_env({"AWS_REGION": "eu-west-1"}))
    terraform.init()
    terraform.validate()


@pytest.mark.parametrize(
    "module_dir", docs.module_dirs(modules_dir()), ids=lambda p: str(p.relative_to(modules_dir()))
)
def test_readme_table_is_current(module_dir: Path) -> None:
    assert not docs.is_stale(module_dir), f"run `launchpad docs` ({module_dir}/README.md is stale)"


def test_checkov_reports_no_failed_checks() -> None:
    checkov = repo_root() / ".tools" / "checkov" / "bin" / "checkov"
    result = subprocess.run(
        [
            str(checkov),
            "-d",
            "modules",
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for report in reports
        for c in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    skipped = [c for report in reports for c in report.get("results", {}).get("skipped_checks", [])]
    unexplained = [c["check_id"] for c in skipped if len(c.get("suppress_comment", "").strip()) < 15]
    assert not unexplained, f"checkov skips need a reason a reviewer would accept: {unexplained}"


# -- plan inventories -----------------------------------------------------------------------------
def _subset_mismatches(expected: Any, actual: Any, path: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a map, got {actual!r}"]
        return [
            m
            for key, value in expected.items()
            for m in _subset_mismatches(value, actual.get(key), f"{path}.{key}")
        ]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            m
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for m in _subset_mismatches(e, a, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


@pytest.mark.parametrize("module", MODULES)
def test_plan_matches_inventory(module: str, sandbox_target: AwsTarget) -> None:
    inventory = _load(module, "inventory.yaml")
    # The example's own defaults: the inventory documents what a user gets from it as written.
    example = modules_dir() / module / "examples" / inventory.get("example", "complete")
    workspace = Workspace(example, sandbox_target, {"region": sandbox_target.region})
    try:
        workspace.init()
        plan = workspace.plan()
    finally:
        workspace.cleanup()
    changes = [c for c in plan.get("resource_changes", []) if c["mode"] == "managed"]
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["type"]] = counts.get(change["type"], 0) + 1
    for resource_type, expected in inventory.get("counts", {}).items():
        assert counts.get(resource_type, 0) == expected, (
            f"{module}: planned {counts.get(resource_type, 0)} {resource_type}, expected {expected}"
        )
    after = {c["address"]: c["change"]["after"] for c in changes}
    mismatches = []
    for address, expected_values in inventory.get("values", {}).items():
        assert address in after, f"{module}: {address} is not in the plan; planned: {sorted(after)}"
        mismatches += _subset_mismatches(expected_values, after[address], address)
    assert not mismatches, "\n".join(mismatches)
    declared = set(plan.get("configuration", {}).get("root_module", {}).get("outputs", {}))
    missing = set(inventory.get("outputs", [])) - declared
    assert not missing, f"{module}: the example does not output {sorted(missing)}"


# -- bad input fails at plan with a clear message ---------------------------------------------------
# Terraform reports every invalid variable of a plan at once, each in its own diagnostic naming the
# variable. So cases that each set one variable are planned together, one case per variable per plan, and
# each case is judged on its own variable's diagnostic only. Cases that set several variables, and cases
# whose variable drew no diagnostic in the batch (rules checked by preconditions, which only run once every
# variable is valid), are planned on their own. ~80 cases cost ~20 plans instead of ~80.
_VARIABLE = re.compile(r"│ var\.(\w+) is ")


def _load_cases(module: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    spec = _load(module, "validation_cases.yaml")
    return spec.get("base_vars", {}), spec["cases"]


def _validation_cases() -> list[Any]:
    params = []
    for module in MODULES:
        path = TESTS / module / "validation_cases.yaml"
        cases = yaml.safe_load(path.read_text())["cases"] if path.exists() else [{"name": "missing-cases"}]
        params += [
            pytest.param(
                module,
                case["name"],
                id=f"{module}-{case['name']}",
                marks=pytest.mark.xdist_group(f"validation-{module}"),
            )
            for case in cases
        ]
    return params


class ValidationPlans:
    """Plans one module's bad-input cases in as few terraform runs as is sound, and remembers them."""

    def __init__(self, module: str, workspace: Workspace) -> None:
        self.workspace = workspace
        self.base_vars, cases = _load_cases(module)
        self.cases = {case["name"]: case for case in cases}
        self.batch_of: dict[str, int] = {}
        batches: list[dict[str, Any]] = []
        for case in cases:
            if len(case["vars"]) != 1:
                continue
            [variable] = case["vars"]
            index = next((i for i, b in enumerate(batches) if variable not in b), len(batches))
            if index == len(batches):
                batches.append({})
            batches[index][variable] = case["vars"][variable]
            self.batch_of[case["name"]] = index
        self.batches = batches
        self.results: dict[Any, str] = {}

    def _plan(self, key: Any, tf_vars: dict[str, Any]) -> str:
        if key not in self.results:
            self.workspace.set_vars({**self.base_vars, **tf_vars})
            try:
                self.workspace.plan()
            except TerraformError as exc:
                self.results[key] = str(exc)
            else:
                self.results[key] = ""
        return self.results[key]

    def error_for(self, name: str) -> str:
        """The diagnostics that judge case ``name``: its own variable's, or a whole solo plan's."""
        case = self.cases[name]
        if name in self.batch_of:
            index = self.batch_of[name]
            [variable] = case["vars"]
            blocks = self._plan(("batch", index), self.batches[index]).split("\n\nError: ")
            own = [b for b in blocks if (m := _VARIABLE.search(b)) and m.group(1) == variable]
            if own:
                return "Error: " + "\n".join(own)
        return self._plan(("solo", name), case["vars"])


@pytest.fixture(scope="module")
def validation_plans(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> Any:
    """One initialised copy per module (as a root module, in a fresh account) with its planned cases."""
    cache: dict[str, ValidationPlans] = {}

    def get(module: str) -> ValidationPlans:
        if module not in cache:
            workspace = Workspace(
                modules_dir() / module,
                AwsTarget.sandbox(sandbox_url),
                parent=tmp_path_factory.mktemp(f"validate-{module}"),
            )
            workspace.init()
            cache[module] = ValidationPlans(module, workspace)
        return cache[module]

    yield get
    for plans in cache.values():
        plans.workspace.cleanup()


@pytest.mark.parametrize(("module", "name"), _validation_cases())
def test_bad_input_is_rejected_at_plan(module: str, name: str, validation_plans: Any) -> None:
    plans = validation_plans(module)
    error = plans.error_for(name)
    assert error, f"{name}: the plan succeeded; the input was accepted"
    message = " ".join(error.split())
    kinds = ("Invalid value for variable", "Resource precondition failed")
    assert any(kind in message for kind in kinds), f"not a validation error:\n{error}"
    expected = " ".join(plans.cases[name]["error"].split())
    assert expected in message, f"unexpected error for {name}:\n{error}"
    assert account_inventory(plans.workspace.target) == {}, "bad input must leave the account untouched"
