"""Fast tier for every module: fmt, validate, README tables, checkov, plan inventories, bad input.

Modules are discovered from ``modules/``, so a new module is covered the moment it exists.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import combined, docs, policy
from launchpad.aws import DEFAULT_REGION, AwsTarget
from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir, repo_root
from launchpad.terraform import Terraform, module_source, terraform_env
from tests import shared_plan

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


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[str]]:
    """Every root module validated in one Terraform process (``launchpad.combined``): one provider start
    for all of them instead of one per folder; each folder's errors."""
    workdir = tmp_path_factory.mktemp("validate-all")
    return combined.validate_together(ROOT_MODULES, workdir, terraform_env({"AWS_REGION": "eu-west-1"}))


@pytest.mark.parametrize(
    "root",
    [pytest.param(r, marks=pytest.mark.xdist_group("validate-all")) for r in ROOT_MODULES],
    ids=lambda p: str(p.relative_to(repo_root())),
)
def test_module_validates(root: Path, validated: dict[Path, list[str]]) -> None:
    errors = validated[root]
    assert not errors, f"{root.relative_to(repo_root())} does not validate:\n" + "\n\n".join(errors)


@pytest.mark.parametrize(
    "module_dir", docs.module_dirs(modules_dir()), ids=lambda p: str(p.relative_to(modules_dir()))
)
def test_readme_table_is_current(module_dir: Path) -> None:
    assert not docs.is_stale(module_dir), f"run `launchpad docs` ({module_dir}/README.md is stale)"


def test_policy_checks_report_no_failure_and_every_skip_has_a_reason() -> None:
    """`launchpad policy` over modules/ and terraform/ (checkov's checks and ours): what CI enforces."""
    report = policy.run()
    assert report.of(policy.PASSED), "the policy run passed no check: were any resources scanned?"
    failed = sorted(f"{f.check_id} {f.resource} ({f.location}) {f.message or ''}" for f in report.failed)
    assert not failed, "policy checks failed (`launchpad policy` shows them):\n" + "\n".join(failed)
    assert report.skipped, (
        "the modules skip some checks inline; none were reported, so the skips were not read"
    )
    unexplained = sorted({f"{s.check_id} ({s.location})" for s in report.skip_groups() if len(s.reason) < 15})
    assert not unexplained, f"inline skips need a reason a reviewer would accept: {unexplained}"


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


@functools.cache  # read at collection, in every worker
def _inventory_example(module: str) -> Path:
    path = TESTS / module / "inventory.yaml"
    example = yaml.safe_load(path.read_text()).get("example", "complete") if path.exists() else "complete"
    return modules_dir() / module / "examples" / example


def _plan_name(example: Path) -> str:
    return str(example.relative_to(modules_dir()))


# Every module's inventoried example, planned with other root modules of the suite in one plan (see
# tests/shared_plan.py), in a fresh sandbox account; the sandbox's region, and the example's own defaults
# otherwise: what a user gets from it as written.
for _example in sorted({_inventory_example(m) for m in MODULES if _inventory_example(m).is_dir()}):
    _region = {"region": DEFAULT_REGION} if "region" in combined.variables(_example) else {}
    shared_plan.register(_plan_name(_example), combined.Call(_example, _region))


@pytest.mark.parametrize(
    "module", [pytest.param(m, marks=pytest.mark.xdist_group(shared_plan.GROUP)) for m in MODULES]
)
def test_plan_matches_inventory(module: str, plan_parts: dict[str, dict[str, Any]]) -> None:
    inventory = _load(module, "inventory.yaml")
    # The example's own defaults: the inventory documents what a user gets from it as written.
    plan = plan_parts[_plan_name(_inventory_example(module))]
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
# Every module's bad-input cases are checked together, in one root module holding one `module "case_<i>"` call
# per case, in two steps:
# 1. Variables: each call goes to a copy of its module's variables.tf alone (every variable a module declares
#    is there, and no validation rule reads anything but variables). `terraform validate` checks every call's
#    literal arguments against their types and rules, and names the call in each diagnostic (the snippet
#    context `module "case_<i>"`): the same check, with the same message, that starts every plan of the real
#    module, without its resources (evaluating those for 229 calls cost ~30 CPU-s). One init for every call,
#    then a validate per chunk of calls (the root rewritten to hold only those): one validate's CPU grows with
#    the square of its calls (270 calls: 13 CPU-s; 67: 2.2), and a chunk reports just what the whole did.
# 2. The rest: the cases no rule refused are planned with their real modules, together. Preconditions run only
#    once every variable of the plan is valid, so the cases that drew no diagnostic are planned once more; a
#    failed precondition names its call by the file it fails in (Terraform's copy of the module under
#    .terraform/modules/case_<i>/). One init and a validate per chunk without a provider, and at most two
#    plans, however many modules and cases there are.
_VALIDATE_CHUNK = 24  # calls per validate: 270 calls took 12.9 CPU-s in one, 6.2 in chunks of 24
_CASE_CONTEXT = re.compile(r'^module(?:\.| ")case_(\d+)\b')
_CASE_FILE = re.compile(r"\.terraform/modules/case_(\d+)/")
_VARIABLE = re.compile(r'^\s*variable\s+"', re.MULTILINE)


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
                marks=pytest.mark.xdist_group("bad-input"),
            )
            for case in cases
        ]
    return params


def _case_of(diagnostic: dict[str, Any]) -> int | None:
    context = diagnostic.get("snippet", {}).get("context") or ""
    filename = diagnostic.get("range", {}).get("filename") or ""
    match = _CASE_CONTEXT.match(context) or _CASE_FILE.search(filename)
    return int(match.group(1)) if match else None


class BadInputPlans:
    """Plans every module's bad-input cases together (see above) and remembers each case's errors, and what
    the account holds afterwards."""

    def __init__(self, modules: list[str], root: Path, target: AwsTarget) -> None:
        self.root = root
        self.target = target
        self.calls: list[dict[str, Any]] = []  # one per case: the module call's arguments
        self.modules: list[str] = []  # one per case: its module
        self.index: dict[tuple[str, str], int] = {}
        self.expected: dict[tuple[str, str], str] = {}
        for module in modules:
            if not (TESTS / module / "validation_cases.yaml").exists():
                continue  # its test fails alone, below
            base_vars, cases = _load_cases(module)
            for case in cases:
                self.index[module, case["name"]] = len(self.calls)
                self.expected[module, case["name"]] = case["error"]
                self.calls.append({**base_vars, **case["vars"]})
                self.modules.append(module)
        self.unattributed: list[str] = []
        self._errors: dict[int, list[str]] | None = None
        self.inventory: dict[str, list[str]] | None = None

    def _write(self, folder: Path, indexes: list[int], sources: dict[str, str]) -> None:
        calls = {f"case_{i}": {**self.calls[i], "source": sources[self.modules[i]]} for i in indexes}
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.tf.json").write_text(json.dumps({"module": calls}, indent=1))

    def _variables_only(self) -> dict[str, str]:
        """A copy of each module's variables.tf alone, in a folder of its own; the module's other files
        must declare no variable (step 1 above)."""
        sources = {}
        for module in sorted(set(self.modules)):
            folder = modules_dir() / module
            elsewhere = [
                p.name
                for p in folder.glob("*.tf")
                if p.name != "variables.tf" and _VARIABLE.search(p.read_text())
            ]
            assert not elsewhere, f"{module} declares variables outside variables.tf: {elsewhere}"
            copy = self.root / "variables" / module
            copy.mkdir(parents=True)
            (copy / "variables.tf").write_text((folder / "variables.tf").read_text())
            sources[module] = str(copy)
        return sources

    def _errors_of(self, diagnostics: list[dict[str, Any]]) -> dict[int, list[str]]:
        errors: dict[int, list[str]] = {}
        for diagnostic in diagnostics:
            if diagnostic["severity"] != "error":
                continue
            message = f"Error: {diagnostic['summary']}\n{diagnostic.get('detail', '')}"
            case = _case_of(diagnostic)
            if case is None:
                self.unattributed.append(message)
            else:
                errors.setdefault(case, []).append(message)
        return errors

    def errors_for(self, module: str, name: str) -> list[str]:
        if self._errors is None:
            env = terraform_env(self.target.env())
            every = list(range(len(self.calls)))
            checked = self.root / "variables-only"
            sources = self._variables_only()
            self._write(checked, every, sources)  # init installs every call; each chunk is a subset
            variables = Terraform(checked, env)
            variables.init()
            self._errors = {}
            for start in range(0, len(every), _VALIDATE_CHUNK):
                self._write(checked, every[start : start + _VALIDATE_CHUNK], sources)
                self._errors.update(self._errors_of(variables.validate_diagnostics()))
            planned = self.root / "modules"
            real = {m: module_source(modules_dir() / m) for m in set(self.modules)}
            terraform = Terraform(planned, env)
            for attempt in range(2):
                rest = [i for i in every if i not in self._errors]
                if not rest:
                    break
                self._write(planned, rest, real)  # the second time, a subset of the calls init installed
                if attempt == 0:
                    terraform.init()
                found = self._errors_of(terraform.plan_diagnostics())
                if not found:
                    break
                self._errors.update(found)
            # What the account holds once every case was checked: nothing else uses this account.
            self.inventory = account_inventory(self.target)
        return self._errors.get(self.index[module, name], [])


@pytest.fixture(scope="module")
def bad_input_plans(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> BadInputPlans:
    """Every module's cases, planned in one fresh sandbox account."""
    return BadInputPlans(MODULES, tmp_path_factory.mktemp("bad-input"), AwsTarget.sandbox(sandbox_url))


@pytest.mark.parametrize(("module", "name"), _validation_cases())
def test_bad_input_is_rejected_at_plan(module: str, name: str, bad_input_plans: BadInputPlans) -> None:
    plans = bad_input_plans
    if (module, name) not in plans.index:
        _load_cases(module)  # fails: the module ships no validation_cases.yaml
    errors = plans.errors_for(module, name)
    unattributed = "\n".join(plans.unattributed)
    assert errors, f"{name}: the plan succeeded; the input was accepted\n{unattributed}"
    message = " ".join(" ".join(errors).split())
    kinds = ("Invalid value for variable", "Resource precondition failed")
    assert any(kind in message for kind in kinds), f"not a validation error:\n{errors}"
    expected = " ".join(plans.expected[module, name].split())
    assert expected in message, f"unexpected error for {name}:\n" + "\n".join(errors)
    assert plans.inventory == {}, "bad input must leave the account untouched"
