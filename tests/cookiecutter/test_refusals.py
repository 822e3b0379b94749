"""Every rule of the template's pre-generation hook refuses its bad answers: the bake raises ScaffoldError,
the hook's own line for that answer is on stderr, and no half-made project is left behind."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from launchpad.errors import ScaffoldError
from launchpad.scaffold import bake, template_dir

from .support import ORGANISATION, QUESTIONS

HOOK = template_dir() / "hooks" / "pre_gen_project.py"
HEADER = "cannot bake this project: {count} answer(s) to change"


@dataclass(frozen=True)
class Refusal:
    """Answers one rule refuses: ``check`` is the hook's function, ``says`` a part of its message."""

    check: str
    key: str
    settings: dict[str, str]
    says: str


# The slug is set wherever the name changes: its default comes from the name, and would be refused too.
REFUSALS = {
    "name-blank": Refusal(
        "_text", "project_name", {"project_name": "   ", "project_slug": "churn_model"}, "is blank; write"
    ),
    "name-too-long": Refusal(
        "_text",
        "project_name",
        {"project_name": "x" * 61, "project_slug": "churn_model"},
        "has 61 characters",
    ),
    "name-quote": Refusal(
        "_text",
        "project_name",
        {"project_name": 'The "Churn" Model', "project_slug": "churn_model"},
        "contains '\"'; write plain text without quotes",
    ),
    "description-too-long": Refusal("_text", "description", {"description": "y" * 201}, "write 1 to 200"),
    "description-dollar-brace": Refusal(
        "_text", "description", {"description": "Costs ${cost} a call"}, "contains '$' '{' '}'"
    ),
    "slug-not-identifier": Refusal(
        "_slug", "project_slug", {"project_slug": "Churn-Model"}, "not a lowercase Python identifier"
    ),
    "slug-leading-digit": Refusal(
        "_slug", "project_slug", {"project_slug": "9lives"}, "starting with a letter"
    ),
    "slug-too-short": Refusal(
        "_slug", "project_slug", {"project_slug": "ab"}, "has 2 characters; write 3 to 24"
    ),
    "slug-too-long": Refusal("_slug", "project_slug", {"project_slug": "a" * 25}, "has 25 characters"),
    "slug-trailing-underscore": Refusal(
        "_slug", "project_slug", {"project_slug": "churn_"}, "trailing or doubled _"
    ),
    "slug-doubled-underscore": Refusal(
        "_slug", "project_slug", {"project_slug": "churn__model"}, "write it as churn_model"
    ),
    "slug-keyword": Refusal("_slug", "project_slug", {"project_slug": "class"}, "is a Python keyword"),
    "slug-stdlib-module": Refusal("_slug", "project_slug", {"project_slug": "json"}, "e.g. json_model"),
    "slug-imported-module": Refusal("_slug", "project_slug", {"project_slug": "numpy"}, "name of a module"),
    "owner-leading-hyphen": Refusal(
        "_tags", "owner_team", {"owner_team": "-churn"}, "not a usable tag value"
    ),
    "cost-center-empty": Refusal("_tags", "cost_center", {"cost_center": ""}, "not a usable tag value"),
    "region-shape": Refusal("_region", "aws_region", {"aws_region": "eu-west"}, "is not an AWS region code"),
    "region-upper-case": Refusal("_region", "aws_region", {"aws_region": "EU-WEST-1"}, "not an AWS region"),
    "instance-shape": Refusal(
        "_instance_type", "instance_type", {"instance_type": "m5.large"}, "is not a SageMaker instance type"
    ),
    "instance-inf1": Refusal(
        "_instance_type", "instance_type", {"instance_type": "ml.inf1.xlarge"}, "no deployment guardrails"
    ),
    "instance-not-allowed": Refusal(
        "_instance_type", "instance_type", {"instance_type": "ml.p4d.24xlarge"}, "instance allow-list"
    ),
    "strategy-all-at-once": Refusal(
        "_strategy",
        "deployment_strategy",
        {"deployment_strategy": "all-at-once"},
        "all-at-once cannot ship to staging and prod",
    ),
    "version-prefixed": Refusal(
        "_version", "launchpad_version", {"launchpad_version": "v0.1.0"}, "is not a release version"
    ),
    # Where the organisation keeps launchpad: the template's own examples, and every made-up location.
    "git-url-template-example": Refusal(
        "_launchpad_source",
        "launchpad_git_url",
        {"launchpad_git_url": QUESTIONS["launchpad_git_url"]},
        "is an example, not where your organisation keeps launchpad",
    ),
    "git-url-acme": Refusal(
        "_launchpad_source",
        "launchpad_git_url",
        {"launchpad_git_url": "https://github.com/acme/launchpad"},
        "is an example, not where your organisation keeps launchpad",
    ),
    "git-url-dot-git": Refusal(
        "_launchpad_source",
        "launchpad_git_url",
        {"launchpad_git_url": "https://git.platform.internal/ml/launchpad.git"},
        "is not an https URL of the right shape; write https://<host>/<group>/launchpad, without .git",
    ),
    "git-url-ssh": Refusal(
        "_launchpad_source",
        "launchpad_git_url",
        {"launchpad_git_url": "git@git.platform.internal:ml/launchpad"},
        "is not an https URL of the right shape",
    ),
    "index-url-template-example": Refusal(
        "_launchpad_source",
        "launchpad_index_url",
        {"launchpad_index_url": QUESTIONS["launchpad_index_url"]},
        "is an example, not where your organisation keeps launchpad",
    ),
    "index-url-placeholder-path": Refusal(
        "_launchpad_source",
        "launchpad_index_url",
        {"launchpad_index_url": "https://artifacts.platform.internal/your-org/simple"},
        "is an example",
    ),
    "index-url-http": Refusal(
        "_launchpad_source",
        "launchpad_index_url",
        {"launchpad_index_url": "http://pypi.platform.internal/simple"},
        "is not an https URL of the right shape",
    ),
    "wheel-hash-template-default": Refusal(
        "_wheel_hash",
        "launchpad_wheel_sha256",
        {"launchpad_wheel_sha256": QUESTIONS["launchpad_wheel_sha256"]},
        "is not a SHA-256; write the 64 lowercase hex digits",
    ),
    "wheel-hash-upper-case": Refusal(
        "_wheel_hash", "launchpad_wheel_sha256", {"launchpad_wheel_sha256": "AB" * 32}, "is not a SHA-256"
    ),
    "wheel-hash-zeros": Refusal(
        "_wheel_hash", "launchpad_wheel_sha256", {"launchpad_wheel_sha256": "0" * 64}, "is a placeholder"
    ),
}


def _hook_checks() -> dict[str, int]:
    """The hook's CHECKS, each with the number of messages it can yield (its ``yield`` statements), read
    from its source (the ``{{ }}`` expressions replaced, so it parses)."""
    tree = ast.parse(re.sub(r"\{\{.*?\}\}", '""', HOOK.read_text()))
    yields = {
        node.name: sum(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(node))
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    checks = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "CHECKS"
    )
    assert isinstance(checks, ast.Tuple)
    return {name.id: yields[name.id] for name in checks.elts if isinstance(name, ast.Name)}


def _bake_refused(output: Path, settings: dict[str, str], capfd: pytest.CaptureFixture[str]) -> list[str]:
    """Bake ``settings``, expecting the refusal; the hook's stderr lines, and nothing left in ``output``."""
    capfd.readouterr()
    with pytest.raises(ScaffoldError, match="pre-generation hook refused the answers"):
        bake(output, {**ORGANISATION, **settings})
    left = sorted(p.name for p in output.iterdir())
    assert not left, f"a refused bake left {left} in {output}"
    return capfd.readouterr().err.splitlines()


def test_every_rule_of_the_hook_has_a_case_per_message() -> None:
    """Each check in the hook's CHECKS has at least as many cases here as it has messages: a new rule or a
    new message in the hook fails this test until it has a case below."""
    checks = _hook_checks()
    assert checks, f"no CHECKS found in {HOOK}"
    cases = {name: sum(r.check == name for r in REFUSALS.values()) for name in checks}
    short = {
        name: f"{cases[name]} case(s), {count} message(s)"
        for name, count in checks.items()
        if cases[name] < count
    }
    assert not short, f"rules of {HOOK.name} without enough cases: {short}"
    assert {r.check for r in REFUSALS.values()} <= set(checks)


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_answer_gets_its_message_and_leaves_nothing(
    refusal: Refusal, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The bake is refused with ScaffoldError; stderr holds the hook's header for one answer and that
    answer's line (its key and what to write instead); the output folder is left empty."""
    lines = _bake_refused(tmp_path, refusal.settings, capfd)
    assert HEADER.format(count=1) in lines
    problems = [line for line in lines if line.startswith("  - ")]
    assert len(problems) == 1, lines
    assert problems[0].startswith(f"  - {refusal.key}: ")
    assert refusal.says in problems[0]


def test_two_refused_answers_get_two_lines_in_the_order_of_the_prompts(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Every bad answer is reported at once, not the first alone: the header counts two, and each has its
    line, in the order the questions are asked."""
    settings = {"launchpad_version": "1.0", "aws_region": "Frankfurt"}
    lines = _bake_refused(tmp_path, settings, capfd)
    assert HEADER.format(count=2) in lines
    problems = [line for line in lines if line.startswith("  - ")]
    assert [line.split(":")[0] for line in problems] == ["  - aws_region", "  - launchpad_version"]
    assert "'Frankfurt' is not an AWS region code" in problems[0]
    assert "'1.0' is not a release version" in problems[1]


def test_a_second_bake_into_the_same_folder_is_refused_and_keeps_the_first(tmp_path: Path) -> None:
    """Baking a slug that already exists in the output folder is a ScaffoldError that says what to change,
    and the existing project is left as it was."""
    project = bake(tmp_path, {"project_slug": "churn_model", **ORGANISATION})
    marker = project / "model_card.yaml"
    marker.write_text(marker.read_text() + "# edited by its team\n")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    with pytest.raises(ScaffoldError, match="choose another --output-dir or project_slug"):
        bake(tmp_path, {"project_slug": "churn_model", **ORGANISATION})
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert marker.read_text().endswith("# edited by its team\n")


@pytest.mark.parametrize(
    "written",
    ["Churn-Model", "2024 Churn Model", "Churn Model (EU)"],
    ids=["hyphen", "leading-digits", "brackets"],
)
def test_the_slug_the_hook_suggests_is_accepted(
    written: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A slug that is not an identifier (as a project name turns into one: digits first, brackets) gets a
    suggestion, and baking the suggestion succeeds: the message's advice works when followed."""
    lines = _bake_refused(tmp_path / "refused", {"project_slug": written}, capfd)
    (line,) = [line for line in lines if line.startswith("  - project_slug: ")]
    suggestion = line.rsplit("e.g. ", 1)[1]
    project = bake(tmp_path / "followed", {"project_slug": suggestion, **ORGANISATION})
    assert project.name == suggestion
