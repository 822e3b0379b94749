"""The root .pre-commit-config.yaml cannot rot silently: it parses as pre-commit reads it, every hook is
local (no download at hook time), and every entry still names a tool, launchpad command, option or test that
exists."""

from __future__ import annotations

import functools
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from pre_commit.clientlib import load_config

from launchpad.cli import main
from launchpad.paths import repo_root

CONFIG = repo_root() / ".pre-commit-config.yaml"
VENV_BIN = ".venv/bin/"
# What the gate must cover (issue 16): each of these tools runs in some hook.
REQUIRED = {"terraform fmt", "ruff check", "ruff format", "mypy", "launchpad docs", "launchpad policy"}


def _hooks() -> list[dict[str, Any]]:
    config = load_config(str(CONFIG))  # pre-commit's own schema check; raises on a malformed file
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


HOOKS = _hooks()


@functools.cache
def _tracked_files() -> list[str]:
    result = subprocess.run(["git", "ls-files"], cwd=repo_root(), capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def test_every_repo_is_local_and_every_hook_runs_installed_tools() -> None:
    config = load_config(str(CONFIG))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    # `unsupported` (pre-commit 4's name for `system`): run the entry as it is, install nothing.
    assert {hook["language"] for hook in HOOKS} == {"unsupported"}


def test_the_gate_covers_every_required_tool() -> None:
    covered = {" ".join(Path(w).name for w in shlex.split(hook["entry"])[:2]) for hook in HOOKS}
    assert covered >= REQUIRED, f"missing: {REQUIRED - covered}"


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h["id"])
def test_entry_names_an_existing_executable(hook: dict[str, Any]) -> None:
    program = shlex.split(hook["entry"])[0]
    if program.startswith(VENV_BIN):
        # The project's own virtualenv (this interpreter's): the dev extra must install the tool.
        assert (Path(sys.executable).parent / program.removeprefix(VENV_BIN)).exists(), program
    else:
        assert "/" not in program and shutil.which(program), f"{program} is not on PATH"


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h["id"])
def test_file_pattern_matches_tracked_files(hook: dict[str, Any]) -> None:
    pattern = re.compile(hook["files"])
    assert any(pattern.search(path) for path in _tracked_files()), f"{hook['id']} would never run"


LAUNCHPAD_HOOKS = [h for h in HOOKS if shlex.split(h["entry"])[0] == f"{VENV_BIN}launchpad"]


@pytest.mark.parametrize("hook", LAUNCHPAD_HOOKS, ids=lambda h: h["id"])
def test_launchpad_entry_parses_as_a_cli_command(hook: dict[str, Any]) -> None:
    name, *args = shlex.split(hook["entry"])[1:]
    command = main.commands.get(name)
    assert command is not None, f"launchpad has no command {name!r}"
    command.make_context(name, list(args))  # raises click.UsageError on an option the command lacks


def test_an_unknown_option_would_be_caught() -> None:
    with pytest.raises(click.UsageError):
        main.commands["docs"].make_context("docs", ["--chek"])


PYTEST_HOOKS = [h for h in HOOKS if shlex.split(h["entry"])[0] == f"{VENV_BIN}pytest"]


@pytest.mark.parametrize("hook", PYTEST_HOOKS, ids=lambda h: h["id"])
def test_pytest_entry_names_an_existing_test(hook: dict[str, Any]) -> None:
    words = shlex.split(hook["entry"])[1:]
    paths = [w for w in words if w.endswith(".py")]
    assert paths and all((repo_root() / p).is_file() for p in paths)
    if "-k" in words:
        selected = words[words.index("-k") + 1]
        assert any(f"def {selected}(" in (repo_root() / p).read_text() for p in paths), selected


def test_slow_hooks_run_on_push_only() -> None:
    by_id = {hook["id"]: hook for hook in HOOKS}
    assert by_id["terraform-validate"]["stages"] == ["pre-push"]
    assert by_id["launchpad-policy"]["stages"] == ["pre-push"]
