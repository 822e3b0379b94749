"""``launchpad new``: --set parsing, launchpad's own key and choice checks (exit 8, a message that lists what
is allowed, nothing made), a refusal of the template's hook through the CLI, and a successful bake."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from launchpad.cli import main
from launchpad.deploy.config import load_stage_config
from launchpad.errors import ScaffoldError
from launchpad.paths import repo_root
from launchpad.scaffold import bake

from .support import CHOICES, ORGANISATION, QUESTIONS

EXIT = ScaffoldError.exit_code


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """The CLI's logging.basicConfig attaches a handler to CliRunner's stream, closed after the run: put
    the root logger back as it was, so later tests do not log into a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _files(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its modification time: what a run must leave as it was."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _new(output: Path, *settings: str, organisation: bool = True) -> Result:
    """``launchpad new --no-input`` with ``settings``, answering where the organisation keeps launchpad
    unless ``organisation`` is False."""
    arguments = ["new", "--output-dir", str(output), "--no-input"]
    given = [f"{key}={value}" for key, value in ORGANISATION.items()] if organisation else []
    for setting in [*given, *settings]:
        arguments += ["--set", setting]
    return CliRunner().invoke(main, arguments)


@pytest.mark.parametrize(
    "setting", ["framework", "=xgboost", " =xgboost"], ids=["no-equals", "no-key", "blank-key"]
)
def test_a_set_that_is_not_key_equals_value_is_refused(setting: str, tmp_path: Path) -> None:
    """``--set`` without ``KEY=`` exits 8 with how to write it, before anything is made."""
    output = tmp_path / "out"
    result = _new(output, setting)
    assert result.exit_code == EXIT, result.output
    assert f"--set {setting!r}: write KEY=VALUE" in result.stderr
    assert not output.exists()


def test_an_unknown_key_is_refused_with_the_questions(tmp_path: Path) -> None:
    """A key the template does not ask exits 8 naming it and listing every question; nothing is made."""
    output = tmp_path / "out"
    result = _new(output, "framework=xgboost", "colour=blue")
    assert result.exit_code == EXIT, result.output
    assert "cannot bake this project: 1 answer(s) to change" in result.stderr
    assert "colour: not a question of the template" in result.stderr
    assert all(question in result.stderr for question in QUESTIONS)
    assert not output.exists()


def test_a_choice_the_template_does_not_offer_is_refused_with_the_choices(tmp_path: Path) -> None:
    """An answer outside a question's choices exits 8 naming the answer and every choice; nothing is made."""
    output = tmp_path / "out"
    result = _new(output, "framework=tensorflow", "inference_mode=batch")
    assert result.exit_code == EXIT, result.output
    assert "cannot bake this project: 2 answer(s) to change" in result.stderr
    assert f"framework: 'tensorflow' is not a choice; answer one of {', '.join(CHOICES['framework'])}" in (
        result.stderr
    )
    assert "inference_mode: 'batch' is not a choice" in result.stderr
    assert not output.exists()


def test_a_refusal_of_the_hooks_rules_exits_8_and_makes_nothing(
    tmp_path: Path, cookiecutter_home: Path
) -> None:
    """An answer the template's hook refuses (all-at-once) exits 8 with the hook's line, checked before
    cookiecutter runs: no output folder is made and no replay file written."""
    output = tmp_path / "out"
    replays = _files(cookiecutter_home)
    result = _new(output, "deployment_strategy=all-at-once")
    assert result.exit_code == EXIT, result.output
    assert "error: cannot bake this project: 1 answer(s) to change" in result.stderr
    assert "  - deployment_strategy: all-at-once cannot ship to staging and prod" in result.stderr
    assert not output.exists()
    assert _files(cookiecutter_home) == replays


def test_new_bakes_the_project_with_the_answers_given(tmp_path: Path) -> None:
    """A successful ``launchpad new`` exits 0, says where the project is and what to run next, and bakes
    the answers: the default name's slug, the chosen framework and mode, a value holding '=' intact."""
    output = tmp_path / "out"
    result = _new(output, "framework=xgboost", "inference_mode=async", "owner_team=ml=churn")
    assert result.exit_code == 0, result.output
    slug = QUESTIONS["project_name"].lower().replace(" ", "_")  # the default slug: the name, snake_cased
    project = output / slug
    assert f"baked {project}" in result.stdout
    assert f"cd {project} && make setup LAUNCHPAD={repo_root()} && make test" in result.stdout
    package = project / "src" / slug
    assert (package / "xgboost_model.py").is_file()
    assert not (package / "sklearn_model.py").exists()
    assert (project / "terraform" / "async.tf").is_file()
    config = load_stage_config(project / "deploy" / "config" / "dev.yaml")
    assert config.tags["owner"] == "ml=churn"


def test_a_bake_leaves_nothing_in_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cookiecutter writes each rendered hook to a temporary file it never deletes; a bake, passing or
    refused by the hook, leaves the temporary directory as it found it."""
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    assert _new(tmp_path / "out").exit_code == 0
    assert _new(tmp_path / "refused", "aws_region=moon-1").exit_code == 8
    assert list(system_tmp.iterdir()) == []
    assert tempfile.gettempdir() == str(system_tmp)


def test_template_syntax_in_an_answer_is_refused_before_cookiecutter_renders_it(tmp_path: Path) -> None:
    """``{{ 6*7 }}`` would reach the project as 42, and ``{{ cookiecutter.x }}`` would dump the context:
    both are refused by launchpad with exit 8, and nothing is made."""
    output = tmp_path / "out"
    result = _new(output, "owner_team={{ 6*7 }}", "description={% if 1 %}x{% endif %}")
    assert result.exit_code == EXIT, result.output
    assert "owner_team: '{{ 6*7 }}' holds template syntax" in result.stderr
    assert "description: '{% if 1 %}x{% endif %}' holds template syntax" in result.stderr
    assert not output.exists()


def test_platform_values_are_set_in_their_shape_and_others_refused(tmp_path: Path) -> None:
    """A platform team's values (``PLATFORM_VALUES``) reach the configs; a wrong shape, and a derived value
    that follows from the answers (``__project``), are refused."""
    for setting, says in (
        ("__dev_account=1234", "__dev_account: '1234' is not a 12-digit AWS account id"),
        ("__dev_account=123456789012\n", "__dev_account: '123456789012\\n' contains U+000A LINE FEED"),
        ("__project=other", "__project: not a question of the template"),
    ):
        refused = _new(tmp_path / "no", setting)
        assert refused.exit_code == EXIT, refused.output
        assert says in refused.stderr
        assert not (tmp_path / "no").exists()
    output = tmp_path / "out"
    result = _new(output, "project_slug=fraud", "__dev_account=123456789012", "__platform_prefix=corp-ml")
    assert result.exit_code == 0, result.output
    config = load_stage_config(output / "fraud" / "deploy" / "config" / "dev.yaml")
    assert config.execution_role_arn == "arn:aws:iam::123456789012:role/corp-ml-dev-fraud-sagemaker"


def test_replay_dir_keeps_cookiecutters_replay_out_of_the_home_folder(tmp_path: Path) -> None:
    """``bake(replay_dir=...)`` (the demo's) writes cookiecutter's replay of the answers there."""
    project = bake(
        tmp_path / "out", {"project_slug": "fraud", **ORGANISATION}, replay_dir=tmp_path / "replay"
    )
    replay = json.loads((tmp_path / "replay" / "cookiecutter-model.json").read_text())
    assert project == tmp_path / "out" / "fraud"
    assert replay["cookiecutter"]["project_slug"] == "fraud"


def test_without_where_launchpad_is_kept_nothing_is_baked(tmp_path: Path) -> None:
    """``--no-input`` alone takes the template's examples of where launchpad is kept, which the hook refuses,
    one line each (git URL, package index, the wheel's hash); exit 8 and nothing made."""
    output = tmp_path / "out"
    result = _new(output, organisation=False)
    assert result.exit_code == EXIT, result.output
    err = result.stderr
    assert "cannot bake this project: 4 answer(s) to change" in err
    assert f"  - launchpad_git_url: {QUESTIONS['launchpad_git_url']!r} is an example" in err
    assert f"  - launchpad_index_url: {QUESTIONS['launchpad_index_url']!r} is an example" in err
    assert "  - launchpad_wheel_sha256: '' is not a SHA-256" in err
    assert "  - launchpad_serving_wheel_sha256: '' is not a SHA-256" in err
    assert not output.exists()


def test_the_project_pins_launchpad_where_the_organisation_keeps_it(tmp_path: Path) -> None:
    """The answers reach the pins: both module sources are the organisation's git URL at the tag
    v<version>, and requirements-launchpad.txt pins the package by version and hash on its index; the
    Makefile installs that file with --require-hashes."""
    result = _new(tmp_path, "project_slug=fraud")
    assert result.exit_code == 0, result.output
    project = tmp_path / "fraud"
    version = QUESTIONS["launchpad_version"]
    sources = re.findall(r'source\s*=\s*"([^"]+)"', (project / "terraform" / "main.tf").read_text())
    assert sources == [
        f"git::{ORGANISATION['launchpad_git_url']}.git//modules/{module}?ref=v{version}"
        for module in ("endpoint-monitoring", "sagemaker-endpoint")
    ]
    requirements = [
        line
        for line in (project / "requirements-launchpad.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert requirements == [
        "-r requirements-serving.txt",
        f"launchpad=={version} --hash=sha256:{ORGANISATION['launchpad_wheel_sha256']}",
    ]
    serving = [
        line
        for line in (project / "requirements-serving.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert serving == [
        f"--index-url {ORGANISATION['launchpad_index_url']}",
        f"launchpad-serving=={version} --hash=sha256:{ORGANISATION['launchpad_serving_wheel_sha256']}",
    ]
    makefile = (project / "Makefile").read_text()
    assert "--require-hashes --no-deps" in makefile and "-r requirements-launchpad.txt" in makefile
    assert "github.com/acme" not in "".join(p.read_text() for p in project.rglob("*") if p.is_file())


def test_release_sums_answer_the_wheels_hash(tmp_path: Path) -> None:
    """``--release-sums SHA256SUMS`` answers the hash with the line of the pinned version's wheel; a file
    without that line, or a hash given that differs, exits 8 and bakes nothing."""
    version = QUESTIONS["launchpad_version"]
    digest = "ab" * 32
    sums = tmp_path / "SHA256SUMS"
    serving = "12" * 32
    sums.write_text(
        f"{'cd' * 32}  launchpad-{version}.tar.gz\n{digest}  launchpad-{version}-py3-none-any.whl\n"
        f"{serving}  launchpad_serving-{version}-py3-none-any.whl\n"
    )
    given = [f"{key}={value}" for key, value in ORGANISATION.items() if not key.endswith("wheel_sha256")]
    arguments = ["new", "--no-input", "--release-sums", str(sums), *(a for g in given for a in ("--set", g))]
    result = CliRunner().invoke(
        main, [*arguments, "--output-dir", str(tmp_path / "ok"), "--set", "project_slug=fraud"]
    )
    assert result.exit_code == 0, result.output
    pinned = (tmp_path / "ok" / "fraud" / "requirements-launchpad.txt").read_text()
    assert f"launchpad=={version} --hash=sha256:{digest}" in pinned
    serving_pin = (tmp_path / "ok" / "fraud" / "requirements-serving.txt").read_text()
    assert f"launchpad-serving=={version} --hash=sha256:{serving}" in serving_pin
    other = CliRunner().invoke(
        main, [*arguments, "--output-dir", str(tmp_path / "no"), "--set", "launchpad_version=9.9.9"]
    )
    assert other.exit_code == EXIT, other.output
    assert "has no line for launchpad-9.9.9-py3-none-any.whl" in other.stderr
    differs = CliRunner().invoke(
        main,
        [*arguments, "--output-dir", str(tmp_path / "no"), "--set", f"launchpad_wheel_sha256={'ef' * 32}"],
    )
    assert differs.exit_code == EXIT, differs.output
    assert "is not the hash" in differs.stderr
    assert not (tmp_path / "no").exists()


def test_a_key_given_twice_with_two_values_is_refused(tmp_path: Path) -> None:
    """``--set framework=xgboost --set framework=pytorch``: which one was meant? Exit 8 naming both values,
    rather than the last silently winning; nothing is made."""
    output = tmp_path / "out"
    result = _new(output, "framework=xgboost", "framework=pytorch")
    assert result.exit_code == EXIT, result.output
    assert "--set framework is given twice, 'xgboost' and 'pytorch'; give it once" in result.stderr
    assert not output.exists()


def test_an_answer_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """A byte that is not UTF-8 in an argument (Python reads it as a lone surrogate) exits 8 naming it, before
    cookiecutter could fail writing it into a file; nothing is made."""
    output = tmp_path / "out"
    result = _new(output, "project_slug=fraud", "description=Scores claims \udcff")
    assert result.exit_code == EXIT, result.output
    assert (
        "  - description: 'Scores claims \\udcff' contains U+DCFF, a byte that is not UTF-8" in result.stderr
    )
    assert not output.exists()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """An empty folder this process cannot write to: chmod 555, and for root (which ignores modes) the
    immutable attribute; skipped where neither holds."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("cannot make a folder read-only for this user here")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("file", "{output!r} is not a folder; give a folder (or one to be made) for the project folder"),
        ("file/sub", "{output!r} is under {file!r}, which is not a folder; give a folder"),
        ("read-only", "{output!r} is read-only; give a folder you can write to"),
        ("read-only/sub", "{output!r} would be made in {read_only!r}, which is read-only"),
    ],
    ids=["a-file", "under-a-file", "read-only", "under-read-only"],
)
def test_an_output_dir_no_project_can_be_made_in_is_a_usage_error(
    where: str, says: str, tmp_path: Path, cookiecutter_home: Path, request: pytest.FixtureRequest
) -> None:
    """An --output-dir that is a file, lies under a file, or is (or would be made in) a read-only folder
    exits 2 with the usage line and what to give instead; nothing is made, no replay file written."""
    file = tmp_path / "file"
    file.write_text("notes\n")
    read_only = (
        request.getfixturevalue("read_only") if where.startswith("read-only") else tmp_path / "read-only"
    )
    output = tmp_path / where
    before, replays = _files(tmp_path), _files(cookiecutter_home)
    result = _new(output, "project_slug=fraud")
    assert result.exit_code == 2, result.output
    assert "Usage: " in result.stderr
    assert "Invalid value for '-o' / '--output-dir': " in result.stderr
    assert says.format(output=str(output), file=str(file), read_only=str(read_only)) in result.stderr
    assert _files(tmp_path) == before
    assert not read_only.exists() or list(read_only.iterdir()) == []
    assert _files(cookiecutter_home) == replays


def test_bake_refuses_an_output_dir_under_a_file(tmp_path: Path) -> None:
    """The library says the same as the CLI (a ScaffoldError naming --output-dir), and makes nothing."""
    (tmp_path / "file").write_text("")
    with pytest.raises(ScaffoldError, match=r"--output-dir .* is under .*, which is not a folder"):
        bake(tmp_path / "file" / "out", {"project_slug": "fraud", **ORGANISATION})
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def _prompted(output: Path, typed: str | bytes) -> Result:
    """``launchpad new`` answering the prompts with ``typed`` (where launchpad is kept given with --set)."""
    arguments = ["new", "--output-dir", str(output)]
    for key, value in ORGANISATION.items():
        arguments += ["--set", f"{key}={value}"]
    return CliRunner().invoke(main, arguments, input=typed)


def test_answers_typed_at_the_prompts_bake_the_project(tmp_path: Path) -> None:
    """Without --no-input every question is asked (the --set answers as defaults); the answers typed reach
    the project: a name, and the slug derived from it."""
    typed = "Fraud Model\n" + "\n" * (len(QUESTIONS) - 1)
    result = _prompted(tmp_path, typed)
    assert result.exit_code == 0, result.output
    project = tmp_path / "fraud_model"
    assert f"baked {project}" in result.stdout
    assert (project / "README.md").read_text().startswith("# Fraud Model\n")


def test_a_refused_answer_typed_at_the_prompts_makes_nothing(tmp_path: Path, cookiecutter_home: Path) -> None:
    """Answers typed at the prompts pass the same rules before anything is written: a slug typed as a path
    exits 8 with its line, and no folder is made (there or where the path points), no replay file written."""
    output = tmp_path / "out"
    replays = _files(cookiecutter_home)
    result = _prompted(output, "\n../escape\n" + "\n" * len(QUESTIONS))
    assert result.exit_code == EXIT, result.output
    assert "  - project_slug: '../escape' is not a lowercase Python identifier" in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert _files(cookiecutter_home) == replays


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "the input ended before every question was answered; nothing was made"),
        (b"Churn \xff Model\n", "an answer typed at the prompt is not UTF-8"),
    ],
    ids=["end-of-input", "not-utf-8"],
)
def test_prompts_that_cannot_be_read_exit_8_and_make_nothing(
    typed: str | bytes, says: str, tmp_path: Path
) -> None:
    """Input that ends before the last question, or is not UTF-8, exits 8 with one line saying so (not a
    traceback), and nothing is made."""
    result = _prompted(tmp_path / "out", typed)
    assert result.exit_code == EXIT, result.output
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("written", "says"),
    [
        (b"default_context: [\n", "Unable to parse YAML file"),
        (b"default_context:\n  owner_team: \xff\n", "'utf-8' codec can't decode byte 0xff"),
        (b"default_context: [owner_team]\n", "has a default_context that is not a mapping"),
    ],
    ids=["not-yaml", "not-utf-8", "not-a-mapping"],
)
def test_a_cookiecutter_config_that_cannot_be_read_exits_8_naming_it(
    written: bytes, says: str, tmp_path: Path
) -> None:
    """The user's cookiecutter config (COOKIECUTTER_CONFIG) gives defaults too: one that cannot be read exits
    8 naming the file and what is wrong, not a traceback, and nothing is made."""
    config = tmp_path / "cookiecutter.yaml"
    config.write_bytes(written)
    arguments = ["new", "--output-dir", str(tmp_path / "out"), "--no-input", "--set", "project_slug=fraud"]
    result = CliRunner(env={"COOKIECUTTER_CONFIG": str(config)}).invoke(main, arguments)
    assert result.exit_code == EXIT, result.output
    assert f"error: your cookiecutter config {config} " in result.stderr or (
        f"error: cannot read your cookiecutter config {config}: " in result.stderr
    )
    assert says in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["cookiecutter.yaml"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("allowed_instance_types: [", "is not valid YAML"),
        ("allowed_instance_typos: ['ml.m5.*']", "did you mean allowed_instance_types"),
    ],
    ids=["malformed", "typo"],
)
def test_a_bad_policy_config_stops_new_instead_of_skipping_the_instance_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, says: str
) -> None:
    """The hook's instance allow-list comes from the policy settings: a file launchpad cannot trust is an
    error naming it, never a check left out."""
    config = tmp_path / "policy.yaml"
    config.write_text(content)
    monkeypatch.setenv("LAUNCHPAD_POLICY_CONFIG", str(config))
    output = tmp_path / "out"
    result = _new(output)
    assert result.exit_code == 7, result.output
    assert str(config) in result.stderr and says in result.stderr
    assert not output.exists()
