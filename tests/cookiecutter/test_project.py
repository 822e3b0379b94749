"""A few bakes run as their teams will run them: the project's own ``make test`` (ruff, then its model,
serving-contract and config tests), ``terraform validate`` of its stack on launchpad's modules, and
``launchpad policy`` over that stack. Each test bakes its own copy, since these runs write into it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from launchpad import combined, policy
from launchpad.policy import release_modules
from launchpad.scaffold import bake
from launchpad.terraform import terraform_env

from .support import CHOICES, TORCH_FRAMEWORKS, Bake, bake_of, child_env

MAKE_TEST_SECONDS = 600
# Every framework on a real-time endpoint, and the other inference modes once (their configs and Terraform
# differ; the model code does not).
MAKE_TEST = [
    *(bake_of(f"make-test-{framework}", framework=framework) for framework in CHOICES["framework"]),
    *(
        bake_of(f"make-test-sklearn-{mode}", framework="sklearn", inference_mode=mode)
        for mode in CHOICES["inference_mode"]
        if mode != "real-time"
    ),
]


def _torch_missing(framework: str) -> bool:
    return framework in TORCH_FRAMEWORKS and importlib.util.find_spec("torch") is None


@pytest.mark.parametrize("case", MAKE_TEST, ids=lambda case: case.id)
def test_the_projects_own_make_test_passes(case: Bake, tmp_path: Path) -> None:
    """``make test PYTHON=<this interpreter>`` in the baked project: ruff, then its pytest suite (it trains
    the model, checks its metrics against the model card, serves it over HTTP and checks the stage configs)
    passes, and ran tests. Run with launchpad's own interpreter, whose versions the project pins
    (test_matrix.py checks that)."""
    if _torch_missing(case["framework"]):
        pytest.skip(
            f"{case['framework']} trains a PyTorch model and torch is not importable by {sys.executable}: "
            "launchpad's environment leaves it out (the PyPI wheel pulls in GBs of CUDA); install a CPU "
            "build of torch into it to run this"
        )
    project = bake(tmp_path / "bake", case.settings)
    # The project's pytest keeps its temporary files here and writes no cache into the project.
    env = child_env() | {"PYTEST_ADDOPTS": f"-p no:cacheprovider --basetemp={tmp_path / 'pytest'}"}
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), "test", f"PYTHON={sys.executable}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=MAKE_TEST_SECONDS,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, "\n".join(output.splitlines()[-60:])
    summary = re.search(r"=+ (\d+) passed[^=]*=+\s*$", done.stdout)
    assert summary, f"no pytest summary of passed tests:\n{output[-3000:]}"
    assert "All checks passed" in done.stdout  # the lint step ran


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Bake, dict[str, str], list[str]]]:
    """A bake per inference mode, its module sources pointed at this checkout's modules/, all validated in
    one ``terraform init`` and ``validate`` (``launchpad.combined``: one provider start, not one per stack);
    each mode's case, pinned module versions and validation errors."""
    folder = tmp_path_factory.mktemp("validate-bakes")
    cases = {mode: bake_of(f"validate-{mode}", inference_mode=mode) for mode in CHOICES["inference_mode"]}
    stacks = {mode: bake(folder / mode, case.settings) / "terraform" for mode, case in cases.items()}
    pins = {mode: release_modules.localize(stack) for mode, stack in stacks.items()}
    (region,) = {case["aws_region"] for case in cases.values()}
    errors = combined.validate_together(
        list(stacks.values()),
        tmp_path_factory.mktemp("validate-together"),
        terraform_env({"AWS_REGION": region}),
    )
    return {mode: (cases[mode], pins[mode], errors[stack]) for mode, stack in stacks.items()}


@pytest.mark.parametrize(
    "mode",
    [pytest.param(m, marks=pytest.mark.xdist_group("validate-bakes")) for m in CHOICES["inference_mode"]],
)
def test_the_terraform_validates_on_launchpads_modules(
    mode: str, validated: dict[str, tuple[Bake, dict[str, str], list[str]]]
) -> None:
    """The baked stack, its module sources pointed at this checkout's modules/, passes ``terraform init``
    and ``validate``; the modules are pinned to the tag of the launchpad version it was baked with."""
    case, pinned, errors = validated[mode]
    assert pinned, "the stack calls no launchpad module"
    assert set(pinned.values()) == {case["launchpad_version"]}, pinned
    assert not errors, f"the {mode} stack does not validate:\n" + "\n\n".join(errors)


def test_launchpad_policy_finds_no_failure_in_the_baked_stacks(tmp_path: Path) -> None:
    """``launchpad policy`` (checkov with launchpad's checks) over a real-time and an async phi stack as
    baked: no check fails, checks passed in both stacks (reported under their own paths) and in the modules
    they pin, which the scan resolves to this checkout's (so the modules were checked with the project's
    inputs), and every skip has its reason."""
    cases = [
        bake_of("policy-real-time", inference_mode="real-time"),
        bake_of("policy-async-phi", inference_mode="async", data_classification="phi"),
    ]
    stacks = {}
    for case in cases:
        stacks[case.id] = bake(tmp_path / case.id, case.settings) / "terraform"
    report = policy.run([tmp_path])  # one checkov process over both stacks
    failed = sorted(f"{f.check_id} {f.resource} ({f.location}) {f.message or ''}" for f in report.failed)
    assert not failed, "policy checks failed:\n" + "\n".join(failed)
    passed_in = {f.file for f in report.of(policy.PASSED)}
    for name, stack in stacks.items():
        assert any(file.startswith(str(stack.resolve())) for file in passed_in), f"no check passed in {name}"
    assert any(file.startswith("modules/") for file in passed_in), "no module resource was checked"
    unexplained = sorted({f"{s.check_id} ({s.location})" for s in report.skip_groups() if len(s.reason) < 15})
    assert not unexplained, f"skips without a reason a reviewer would accept: {unexplained}"
