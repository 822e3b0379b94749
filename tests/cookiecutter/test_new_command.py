"""``launchpad new``: --set parsing, launchpad's own key and choice checks (exit 8, a message that lists what
is allowed, nothing made), a refusal of the template's hook through the CLI, and a successful bake."""

from __future__ import annotations

import json
import logging
import re
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


def test_a_refusal_of_the_hook_exits_8_and_makes_no_project(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """An answer the template's hook refuses (all-at-once) exits 8; the hook's line is on stderr and the
    output folder holds no project."""
    output = tmp_path / "out"
    result = _new(output, "deployment_strategy=all-at-once")
    assert result.exit_code == EXIT, result.output
    assert "pre-generation hook refused the answers" in result.stderr
    assert "  - deployment_strategy: all-at-once cannot ship to staging and prod" in capfd.readouterr().err
    assert list(output.iterdir()) == []


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
    refused = _new(tmp_path / "no", "__dev_account=1234", "__project=other")
    assert refused.exit_code == EXIT, refused.output
    assert "__dev_account: '1234' is not a 12-digit AWS account id" in refused.stderr
    assert "__project: not a question of the template" in refused.stderr
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


def test_without_where_launchpad_is_kept_nothing_is_baked(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """``--no-input`` alone takes the template's examples of where launchpad is kept, which the hook refuses,
    one line each (git URL, package index, the wheel's hash); exit 8 and no project."""
    output = tmp_path / "out"
    result = _new(output, organisation=False)
    assert result.exit_code == EXIT, result.output
    err = capfd.readouterr().err
    assert "cannot bake this project: 4 answer(s) to change" in err
    assert f"  - launchpad_git_url: {QUESTIONS['launchpad_git_url']!r} is an example" in err
    assert f"  - launchpad_index_url: {QUESTIONS['launchpad_index_url']!r} is an example" in err
    assert "  - launchpad_wheel_sha256: '' is not a SHA-256" in err
    assert "  - launchpad_serving_wheel_sha256: '' is not a SHA-256" in err
    assert list(output.iterdir()) == []


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
