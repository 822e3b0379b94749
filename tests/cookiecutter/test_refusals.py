"""Every rule of the template's pre-generation hook refuses its bad answers before anything is written: the
bake raises ScaffoldError with the hook's header for one answer and that answer's line (its key, the value and
what to write instead), and nothing is made: no project folder, no output folder, no replay file. The hook
itself, run by plain cookiecutter, refuses the same answers on stderr."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from re import _constants as sre_constants
from re import _parser as sre_parse
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from launchpad.errors import ScaffoldError
from launchpad.quoting import HIDDEN_CATEGORIES, shown
from launchpad.scaffold import bake, hook_platform, hook_rules, hooks_rendered_privately, template_dir

from .support import CHOICES, DEFAULTS, ORGANISATION, QUESTIONS

HOOK = template_dir() / "hooks" / "pre_gen_project.py"
RULES: Any = hook_rules()  # the hook's module: its rules are called directly below
PLATFORM = hook_platform(template_dir())
HEADER = "cannot bake this project: {count} answer(s) to change"
# A valid answer to every question the hook checks: the bake tests' defaults and the platform values'.
VALID: dict[str, str] = {
    **{key: DEFAULTS[key] for key in RULES.ANSWERS if key in DEFAULTS},
    "project_slug": "churn_model",
    **{
        key: value
        for key, value in json.loads((template_dir() / "cookiecutter.json").read_text()).items()
        if key in RULES.PLATFORM_VALUES
    },
}


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
        "_characters",
        "project_name",
        {"project_name": "x" * 61, "project_slug": "churn_model"},
        "has 61 characters; write 1 to 60 characters of plain text",
    ),
    "name-terminal-escape": Refusal(
        "_characters",
        "project_name",
        {"project_name": "Churn\x1b[2J Model", "project_slug": "churn_model"},
        "'Churn\\x1b[2J Model' contains U+001B ESCAPE; write it again without control, invisible",
    ),
    "name-quote": Refusal(
        "_text",
        "project_name",
        {"project_name": 'The "Churn" Model', "project_slug": "churn_model"},
        "contains '\"'; write plain text without quotes",
    ),
    "description-too-long": Refusal(
        "_characters", "description", {"description": "y" * 201}, "write 1 to 200"
    ),
    "description-dollar-brace": Refusal(
        "_text", "description", {"description": "Costs ${cost} a call"}, "contains '$' '{' '}'"
    ),
    "slug-not-identifier": Refusal(
        "_slug", "project_slug", {"project_slug": "Churn-Model"}, "not a lowercase Python identifier"
    ),
    "slug-look-alike": Refusal(
        "_characters",
        "project_slug",
        {"project_slug": "\u0441hurn_model"},  # a Cyrillic es for the c
        "contains '\u0441' (U+0441 CYRILLIC SMALL LETTER ES), which is not ASCII; write it in ASCII",
    ),
    "slug-leading-digit": Refusal(
        "_slug", "project_slug", {"project_slug": "9lives"}, "starting with a letter"
    ),
    "slug-too-short": Refusal(
        "_characters", "project_slug", {"project_slug": "ab"}, "has 2 characters; write 3 to 24"
    ),
    "slug-too-long": Refusal("_characters", "project_slug", {"project_slug": "a" * 25}, "has 25 characters"),
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
    # The assistant answers a caller who is waiting: real-time endpoints only.
    "rag-serverless": Refusal(
        "_mode",
        "inference_mode",
        {"framework": "huggingface-rag", "inference_mode": "serverless"},
        "'serverless' cannot serve huggingface-rag: the assistant's API function waits for each answer",
    ),
    "rag-async": Refusal(
        "_mode",
        "inference_mode",
        {"framework": "huggingface-rag", "inference_mode": "async"},
        "an asynchronous endpoint answers later, through S3, and a serverless one starts the Hugging Face "
        "container cold and has no GPU; answer real-time",
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
    "git-url-empty-segment": Refusal(
        "_launchpad_source",
        "launchpad_git_url",
        {"launchpad_git_url": "https://git.platform.internal/ml//launchpad"},
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
    "dev-account-short": Refusal(
        "_platform_values", "__dev_account", {"__dev_account": "1234"}, "is not a 12-digit AWS account id"
    ),
}


def _hook_checks() -> dict[str, int]:
    """The hook's CHECKS, each with the number of messages it can yield (its ``Problem(...)`` calls), read
    from its source (the ``{{ }}`` expressions replaced, so it parses)."""
    tree = ast.parse(re.sub(r"\{\{.*?\}\}", '""', HOOK.read_text()))
    messages = {
        node.name: sum(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Problem"
            for n in ast.walk(node)
        )
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
    return {name.id: messages[name.id] for name in checks.elts if isinstance(name, ast.Name)}


def _refused(tmp_path: Path, settings: dict[str, str]) -> list[str]:
    """Bake ``settings`` into ``tmp_path/out``, expecting the refusal; the lines of its message, once
    checked that nothing was made in ``tmp_path`` (not the output folder, not the replay folder)."""
    with pytest.raises(ScaffoldError) as refused:
        bake(tmp_path / "out", {**ORGANISATION, **settings}, replay_dir=tmp_path / "replay")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert not left, f"a refused bake left {left} in {tmp_path}"
    return str(refused.value).splitlines()


def _problem(lines: list[str], key: str) -> str:
    """The one line of ``lines`` that refuses an answer, after checking it is ``key``'s."""
    assert HEADER.format(count=1) in lines, lines
    problems = [line for line in lines if line.startswith("  - ")]
    assert len(problems) == 1, lines
    assert problems[0].startswith(f"  - {key}: "), problems
    return problems[0]


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
def test_a_refused_answer_gets_its_message_and_leaves_nothing(refusal: Refusal, tmp_path: Path) -> None:
    """The bake is refused with ScaffoldError: the hook's header for one answer and that answer's line (its
    key and what to write instead); nothing is made."""
    assert refusal.says in _problem(_refused(tmp_path, refusal.settings), refusal.key)


@pytest.mark.parametrize("key", list(RULES.ANSWERS))
def test_a_trailing_newline_is_refused_in_every_answer(key: str, tmp_path: Path) -> None:
    """A valid answer with a newline after it (which a ``$`` anchor lets through) is refused, whatever the
    question, with one line naming the answer; nothing is made."""
    line = _problem(_refused(tmp_path, {**VALID, key: VALID[key] + "\n"}), key)
    assert "\n" not in line  # the answer is quoted with its newline escaped
    assert "U+000A LINE FEED" in line or key in CHOICES  # a choice's line: it is not one of the choices


@pytest.mark.parametrize("key", list(RULES.ANSWERS))
def test_an_answer_of_100000_characters_is_refused_in_a_short_message(key: str, tmp_path: Path) -> None:
    """100 000 characters of a shape that makes a backtracking pattern slow are refused by their length,
    before any pattern reads them, in a message that repeats only their start."""
    pathological = "https://h/" + "a/" * 50_000 if "url" in key else "a" * 99_999 + "!"
    line = _problem(_refused(tmp_path, {**VALID, key: pathological[:100_000]}), key)
    assert len(line) < 400, line
    assert "...' (100000 characters)" in line


HIDDEN = {
    "nul": "\x00",
    "escape": "\x1b",
    "delete": "\x7f",
    "c1-next-line": "\x85",
    "c1-csi": "\x9b",
    "zero-width-space": "\u200b",
    "left-to-right-mark": "\u200e",
    "right-to-left-mark": "\u200f",
    "left-to-right-embedding": "\u202a",
    "pop-directional-formatting": "\u202c",
    "right-to-left-override": "\u202e",
    "left-to-right-isolate": "\u2066",
    "pop-directional-isolate": "\u2069",
    "byte-order-mark": "\ufeff",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
    "not-utf-8": "\udcff",  # how Python reads a byte that is not UTF-8 in argv or a file name
    "private-use": "\ue000",
}


@pytest.mark.parametrize("key", ["project_name", "description", "owner_team"])
@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_hidden_character_is_refused_and_shown_escaped(char: str, key: str, tmp_path: Path) -> None:
    """Control, format (bidi), separator, surrogate and private characters are refused in free text and in
    names alike; the line names the character by its code point, and holds none itself (the answer is
    repeated escaped), so the message cannot reorder or hide what a terminal shows."""
    line = _problem(_refused(tmp_path, {**VALID, key: f"Team {char}churn"}), key)
    assert f"U+{ord(char):04X}" in line
    assert line.isprintable(), repr(line)


@pytest.mark.parametrize(
    "slug", ["../escape", "a/b", "{absolute}", "..", "a\\b", "~/churn", "churn model"], ids=str
)
def test_a_slug_that_is_a_path_makes_no_folder_anywhere(slug: str, tmp_path: Path) -> None:
    """The slug names the project folder: a path (a separator, .., an absolute path, a backslash) is refused
    before cookiecutter would make it, and no folder is made, under the output folder or beside it."""
    outside = tmp_path / "outside"
    _problem(_refused(tmp_path, {"project_slug": slug.format(absolute=outside)}), "project_slug")
    assert not outside.exists()


# The rules that read an answer with a pattern, and the answer each reads.
SHAPES = [
    ("_slug", "project_slug"),
    ("_tags", "owner_team"),
    ("_tags", "cost_center"),
    ("_region", "aws_region"),
    ("_instance_type", "instance_type"),
    ("_version", "launchpad_version"),
    ("_launchpad_source", "launchpad_git_url"),
    ("_launchpad_source", "launchpad_index_url"),
    ("_wheel_hash", "launchpad_wheel_sha256"),
    ("_wheel_hash", "launchpad_serving_wheel_sha256"),
    ("_platform_values", "__platform_prefix"),
    ("_platform_values", "__dev_account"),
    ("_platform_values", "__prod_account"),
]


@pytest.mark.parametrize(("check", "key"), SHAPES, ids=[key for _, key in SHAPES])
def test_each_pattern_rule_refuses_a_trailing_newline_by_itself(check: str, key: str) -> None:
    """Each rule that reads an answer with a pattern refuses the valid answer with a newline after it on its
    own (it matches the whole answer), not only because the character rule runs first."""
    rule = getattr(RULES, check)
    assert [p for p in rule(VALID, PLATFORM) if p.key == key] == []
    assert [p.key for p in rule({**VALID, key: VALID[key] + "\n"}, PLATFORM)] == [key]


@pytest.mark.parametrize(
    ("check", "key", "value"),
    [
        ("_region", "aws_region", "eu-west-\u0661"),
        ("_version", "launchpad_version", "0.\u0661.0"),
        ("_platform_values", "__dev_account", "\u0661" * 12),
        ("_slug", "project_slug", "\u0441hurn"),
    ],
    ids=["region", "version", "account", "slug"],
)
def test_each_pattern_rule_takes_ascii_only(check: str, key: str, value: str) -> None:
    """Digits and letters of other scripts (an Arabic-Indic one, a Cyrillic es) do not pass for ASCII in the
    rules' patterns on their own ([0-9], not \\d)."""
    assert [p.key for p in getattr(RULES, check)({**VALID, key: value}, PLATFORM)] == [key]


@pytest.mark.parametrize(
    "value",
    ["churn", "it's", "back\\slash", "Zoë \u202e\n\x1b[0m", "\udcff", "x" * 80, "y" * 81, "\u2028" * 100],
    ids=[
        "plain",
        "quote",
        "backslash",
        "hidden",
        "surrogate",
        "80-characters",
        "81-characters",
        "long-hidden",
    ],
)
def test_the_hook_quotes_an_answer_as_launchpads_messages_do(value: str) -> None:
    """The hook cannot import launchpad, so it has its own copy of launchpad.quoting.shown: the two quote
    alike, so a refusal reads the same from launchpad new (whose own checks use launchpad's) and the hook."""
    assert RULES.shown(value) == shown(value)
    assert RULES.HIDDEN_CATEGORIES == HIDDEN_CATEGORIES


def _patterns(namespace: Any) -> Iterator[tuple[str, re.Pattern[str]]]:
    """Every compiled pattern of a module's namespace, in its constants and the tables that hold them."""
    stack: list[tuple[str, Any]] = list(vars(namespace).items())
    while stack:
        name, value = stack.pop()
        if isinstance(value, re.Pattern):
            yield name, value
        elif isinstance(value, dict):
            stack += [(f"{name}[{key!r}]", item) for key, item in value.items()]
        elif isinstance(value, tuple):
            stack += [(f"{name}[{index}]", item) for index, item in enumerate(value)]


def _faults(items: Any, flags: int, repeated: bool = False) -> Iterator[str]:
    """What makes a parsed pattern unsafe: a ``$`` (it matches before a trailing newline), a class of any
    script's characters (``\\d``, ``\\w``, ``\\s`` without re.ASCII), and a repetition or an alternation
    inside a repetition (backtracking that grows faster than the answer)."""
    for op, av in items:
        if op is sre_constants.AT and av is sre_constants.AT_END:
            yield "a $ anchor"
        elif op is sre_constants.IN and not flags & re.ASCII:
            if any(kind is sre_constants.CATEGORY for kind, _ in av):
                yield "a Unicode class (\\d, \\w or \\s)"
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            _, high, body = av
            if repeated and high > 1:
                yield "a repetition inside a repetition"
            yield from _faults(body, flags, repeated or high > 1)
        elif op is sre_constants.BRANCH:
            if repeated:
                yield "an alternation inside a repetition"
            for branch in av[1]:
                yield from _faults(branch, flags, repeated)
        elif op is sre_constants.SUBPATTERN:
            yield from _faults(av[-1], flags, repeated)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            yield from _faults(av[1], flags, repeated)


def test_every_pattern_of_the_hook_is_anchored_ascii_and_linear() -> None:
    """No pattern of the hook (every rule's, the platform values', the template readers') has a ``$``, a
    Unicode class, or a nested repetition: with fullmatch, each matches the whole answer, in ASCII, in time
    that grows with the answer's length."""
    found = {name: pattern.pattern for name, pattern in _patterns(RULES)}
    assert {"SLUG", "GIT_URL", "PLATFORM_VALUES['__dev_account'][0]"} <= set(found)
    faults = {
        name: sorted(set(_faults(sre_parse.parse(pattern.pattern, pattern.flags), pattern.flags)))
        for name, pattern in _patterns(RULES)
    }
    assert not {name: fault for name, fault in faults.items() if fault}


def test_the_names_the_slug_may_not_take_are_read_from_the_template(tmp_path: Path) -> None:
    """A module a template file starts to import, and a dependency its pyproject.toml starts to pin, are
    refused as slugs without editing a list: the hook reads them from the template."""
    template = tmp_path / "template"
    shutil.copytree(template_dir(), template)
    (project,) = (p for p in template.iterdir() if p.is_dir() and "cookiecutter." in p.name)
    (project / "src" / "{{cookiecutter.project_slug}}" / "extra.py").write_text(
        "import fancylib.sub\nfrom {{ cookiecutter.project_slug }} import x\n"
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"numpy==', '"Some.Dist-Name==1.0",\n    "numpy=='))
    names = RULES.taken_names(template)
    assert {"fancylib", "some_dist_name"} <= names
    assert not {"fancylib", "some_dist_name"} & RULES.taken_names(template_dir())
    assert {"numpy", "sklearn", "boto3", "launchpad_serving", "tests", "scripts", "json"} <= names
    assert "churn_model" not in names and "_" not in names


def test_plain_cookiecutter_runs_the_same_rules_in_the_hook(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Without launchpad new, the hook is the only check: run by cookiecutter, it prints every bad answer,
    one line each in the order of the prompts (a hidden character, a region, a version, a platform value),
    exits 1, and cookiecutter removes the folder it made."""
    capfd.readouterr()
    answers = {
        **ORGANISATION,
        "project_slug": "churn_model",
        "owner_team": "team\u202echurn",
        "aws_region": "Frankfurt",
        "launchpad_version": "1.0",
        "__dev_account": "1234",
    }
    with pytest.raises(FailedHookException), hooks_rendered_privately():  # no rendered hook left in /tmp
        cookiecutter(str(template_dir()), no_input=True, extra_context=answers, output_dir=str(tmp_path))
    lines = capfd.readouterr().err.splitlines()
    assert HEADER.format(count=4) in lines
    problems = [line for line in lines if line.startswith("  - ")]
    assert [line.split(":")[0] for line in problems] == [
        "  - owner_team",
        "  - aws_region",
        "  - launchpad_version",
        "  - __dev_account",
    ]
    assert "'team\\u202echurn' contains U+202E RIGHT-TO-LEFT OVERRIDE" in problems[0]
    assert "'Frankfurt' is not an AWS region code" in problems[1]
    assert "'1.0' is not a release version" in problems[2]
    assert list(tmp_path.iterdir()) == []


def test_two_refused_answers_get_two_lines_in_the_order_of_the_prompts(tmp_path: Path) -> None:
    """Every bad answer is reported at once, not the first alone: the header counts two, and each has its
    line, in the order the questions are asked."""
    lines = _refused(tmp_path, {"launchpad_version": "1.0", "aws_region": "Frankfurt"})
    assert HEADER.format(count=2) in lines
    problems = [line for line in lines if line.startswith("  - ")]
    assert [line.split(":")[0] for line in problems] == ["  - aws_region", "  - launchpad_version"]


def test_a_second_bake_into_the_same_folder_is_refused_and_keeps_the_first(tmp_path: Path) -> None:
    """Baking a slug that already exists in the output folder is a ScaffoldError that says what to change,
    and the existing project is left as it was; no replay file is written for the refused bake."""
    project = bake(tmp_path, {"project_slug": "churn_model", **ORGANISATION})
    marker = project / "model_card.yaml"
    marker.write_text(marker.read_text() + "# edited by its team\n")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    with pytest.raises(ScaffoldError, match=r"already exists .*choose another --output-dir or project_slug"):
        bake(tmp_path, {"project_slug": "churn_model", **ORGANISATION}, replay_dir=tmp_path / "replay")
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert marker.read_text().endswith("# edited by its team\n")
    assert not (tmp_path / "replay").exists()


@pytest.mark.parametrize(
    "written",
    ["Churn-Model", "2024 Churn Model", "Churn Model (EU)"],
    ids=["hyphen", "leading-digits", "brackets"],
)
def test_the_slug_the_hook_suggests_is_accepted(written: str, tmp_path: Path) -> None:
    """A slug that is not an identifier (as a project name turns into one: digits first, brackets) gets a
    suggestion, and the suggestion passes every rule: the message's advice works when followed."""
    line = _problem(_refused(tmp_path, {"project_slug": written}), "project_slug")
    suggestion = line.rsplit("e.g. ", 1)[1]
    assert RULES.problems({**VALID, "project_slug": suggestion}, PLATFORM) == []


def test_launchpad_new_tells_the_hook_its_answers_are_checked_and_only_those(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """launchpad new runs the hook's rules in its own process, then sets LAUNCHPAD_CHECKED_ANSWERS to the
    fingerprint of those answers so the hook cookiecutter starts does not run them a second time. The
    fingerprint launchpad passes is the one the rendered hook computes from its own ANSWERS; any other
    value (answers changed on the way) leaves the hook to check, and refuse."""
    from cookiecutter import hooks

    seen: list[tuple[str, str | None]] = []
    real = hooks.run_script

    def spy(script_path: str, cwd: Path | str = ".") -> None:
        source = Path(script_path).read_text()
        if "def fingerprint(" in source:  # the pre-generation hook, rendered to a temporary file
            seen.append((source, os.environ.get("LAUNCHPAD_CHECKED_ANSWERS")))
        real(script_path, cwd)

    monkeypatch.setattr(hooks, "run_script", spy)
    bake(tmp_path / "out", dict(ORGANISATION), replay_dir=tmp_path / "replay")
    [(rendered, passed)] = seen
    namespace: dict[str, Any] = {"__name__": "rendered_hook"}
    exec(compile(rendered, "pre_gen_project.py", "exec"), namespace)
    assert passed == namespace["fingerprint"](namespace["ANSWERS"])

    capfd.readouterr()
    monkeypatch.setenv("LAUNCHPAD_CHECKED_ANSWERS", passed)  # checked answers, but not these
    bad = {**ORGANISATION, "project_slug": "churn_model", "aws_region": "Frankfurt"}
    with pytest.raises(FailedHookException), hooks_rendered_privately():  # no rendered hook left in /tmp
        cookiecutter(str(template_dir()), no_input=True, extra_context=bad, output_dir=str(tmp_path / "p"))
    assert "'Frankfurt' is not an AWS region code" in capfd.readouterr().err
