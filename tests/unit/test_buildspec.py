"""A buildspec as CodeBuild reads it (``launchpad.sandbox.buildspec``) and its commands as CodeBuild runs them
(``launchpad.sandbox.build_runner``): one shell session per build, a failing command ends its phase."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from launchpad.sandbox import build_runner, buildspec
from launchpad.sandbox.buildspec import Artifacts, BuildspecError


def _error(text: str) -> tuple[str, str]:
    with pytest.raises(BuildspecError) as raised:
        buildspec.parse(text)
    return raised.value.code, str(raised.value)


# -- reading ---------------------------------------------------------------------------------------------
def test_a_full_buildspec_is_read_in_codebuilds_phase_order() -> None:
    spec = buildspec.parse(
        """
version: 0.2
env:
  shell: /bin/sh
  variables: {STAGE: ci, RETRIES: 3}
  exported-variables: [IMAGE_TAG]
phases:
  post_build:
    commands: [echo post]
  install:
    runtime-versions: {python: 3.x}
  build:
    on-failure: CONTINUE
    commands:
      - echo build
      - |
        echo one
        echo two
    finally: [echo finally]
artifacts:
  files: ['**/*']
  exclude-paths: ['.venv/**/*']
  base-directory: out
  discard-paths: yes
  name: model
"""
    )
    assert (spec.version, spec.shell, spec.exported) == ("0.2", "sh", ("IMAGE_TAG",))
    assert spec.variables == {"STAGE": "ci", "RETRIES": "3"}
    assert [p.name for p in spec.phases] == ["install", "build", "post_build"]
    build = spec.phase("build")
    assert build is not None and build.on_failure == "CONTINUE" and build.type == "BUILD"
    assert build.commands == ("echo build", "echo one\necho two\n") and build.finally_ == ("echo finally",)
    assert spec.phase("install") == buildspec.Phase("install", runtime_versions={"python": "3.x"})
    assert spec.artifacts == Artifacts(("**/*",), (".venv/**/*",), "out", True, "model")
    assert spec.warnings == ()


def test_an_unknown_phase_is_a_yaml_file_error() -> None:
    assert _error("version: 0.2\nphases:\n  buidl:\n    commands: [make]\n") == (
        "YAML_FILE_ERROR",
        "Unknown phase 'buidl': valid phases are install, pre_build, build, post_build",
    )


def test_a_command_that_is_not_a_string_is_reported_with_its_line() -> None:
    text = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n      - echo FATAL: it broke\n"
    assert _error(text) == (
        "YAML_FILE_ERROR",
        "Expected Commands[1] to be of string type: found subkeys instead at line 6, value of the key tag on "
        "line 5 might be empty",
    )


def _phase(keys: str = "") -> str:
    return f"version: 0.2\nphases:\n  build:\n{keys}    commands: [make]\n"


def _env(keys: str) -> str:
    return f"version: 0.2\nenv:\n{keys}phases:\n  build:\n    commands: [make]\n"


YAML, CLIENT = "YAML_FILE_ERROR", "CLIENT_ERROR"


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("version: 0.2\nphases: [build\n", YAML, "expected ',' or ']', but got '<stream end>' at line 3"),
        (_phase().replace("version: 0.2\n", ""), YAML, "Buildspec version is missing: set version: 0.2"),
        (_phase().replace("0.2", "0.3"), YAML, "Invalid buildspec version '0.3'"),
        (_phase().replace("commands", "command"), YAML, "Unknown key 'command' in phase build"),
        (_phase("    on-failure: SKIP\n"), YAML, "Invalid on-failure value 'SKIP'"),
        (_env("  shell: zsh\n"), YAML, "Invalid shell 'zsh'"),
        (_env("  exported-variables: [AWS_X]\n"), YAML, "Cannot export variable 'AWS_X'"),
        (_phase().replace("0.2", "0.1"), CLIENT, "launchpad sandbox: buildspec version 0.1"),
        ("run-as: builder\n" + _phase(), CLIENT, "launchpad sandbox: run-as is not modelled"),
        (_env("  parameter-store: {T: /ci/t}\n"), CLIENT, "launchpad sandbox: env/parameter-store is not"),
        (_env("  secrets-manager: {T: ci:t}\n"), CLIENT, "launchpad sandbox: env/secrets-manager is not"),
        (_phase("    on-failure: RETRY-2\n"), CLIENT, "launchpad sandbox: on-failure RETRY-2"),
        (_env("  shell: powershell.exe\n"), CLIENT, "launchpad sandbox: the powershell.exe shell"),
        (
            _phase() + "artifacts:\n  files: [a]\n  secondary-artifacts: {b: {files: [b]}}\n",
            CLIENT,
            "launchpad sandbox: artifacts/secondary-artifacts",
        ),
    ],
)
def test_what_codebuild_rejects_and_what_the_sandbox_does_not_model(
    text: str, code: str, message: str
) -> None:
    found_code, found = _error(text)
    assert found_code == code and found.startswith(message), found


def test_keys_the_sandbox_ignores_are_warned_about() -> None:
    spec = buildspec.parse(
        "version: 0.2\nenv:\n  git-credential-helper: yes\nphases:\n  build:\n    commands: [make]\n"
        "reports:\n  unit: {files: [junit.xml]}\ncache:\n  paths: ['/root/.cache/**/*']\n"
        "artifact:\n  files: [x]\n"
    )
    assert spec.warnings == (
        "ignoring 'reports': test reports go to no report group",
        "ignoring 'cache': the sandbox keeps no build cache",
        "ignoring unknown top-level key 'artifact'",
        "ignoring 'git-credential-helper: yes': the sandbox has no Git provider",
    )


# -- the output artifact -----------------------------------------------------------------------------------
@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in (
        "my-build1/my-file1.txt",
        "my-build2/my-file2.txt",
        "my-build2/my-subdirectory/my-file3.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    (tmp_path / ".venv/lib").mkdir(parents=True)
    (tmp_path / ".venv/lib/site.py").write_text("venv")
    return tmp_path


def _names(root: Path, artifacts: Artifacts) -> list[str]:
    return [name for _, name in buildspec.select(root, artifacts)]


def test_artifact_files_are_picked_as_the_buildspec_reference_examples_pick_them(tree: Path) -> None:
    # "Build specification reference for CodeBuild", artifacts/base-directory: the two examples.
    assert _names(tree, Artifacts(("*/my-file3.txt",), base_directory="my-build2")) == [
        "my-subdirectory/my-file3.txt"
    ]
    flat = Artifacts(("**/*",), base_directory="my-build*", discard_paths=True)
    assert _names(tree, flat) == ["my-file1.txt", "my-file2.txt", "my-file3.txt"]
    everything = Artifacts(("**/*",), exclude=(".venv/**/*",))
    assert _names(tree, everything) == [
        "my-build1/my-file1.txt",
        "my-build2/my-file2.txt",
        "my-build2/my-subdirectory/my-file3.txt",
    ]
    assert _names(tree, Artifacts(("my-build2/*",))) == ["my-build2/my-file2.txt"]
    assert _names(tree, Artifacts(("missing.txt",))) == []


# -- running commands --------------------------------------------------------------------------------------
class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def session(self, tmp_path: Path, shell: str = "bash") -> build_runner.Session:
        return build_runner.Session(
            shell,
            tmp_path,
            {"PATH": "/usr/bin:/bin"},
            self.lines.append,
            lambda command: self.lines.append(f"RUN {command}"),
            lambda command, status: self.lines.append(f"FAILED {command} {status}"),
        )


def test_one_shell_session_runs_the_phases_and_a_failing_command_ends_its_phase(tmp_path: Path) -> None:
    log = Log()
    session = log.session(tmp_path)
    session.start()
    deadline = time.monotonic() + 30
    try:
        first = session.run(["export GREETING=hello", "mkdir sub && cd sub", "pwd"], [], deadline)
        second = session.run(
            ["echo $GREETING from $(basename $PWD)", "false", "echo skipped"], ["echo finally"], deadline
        )
        third = session.run(["echo still $GREETING"], [], deadline)
        captured = session.capture(["GREETING", "UNSET"], tmp_path / "exported", deadline)
    finally:
        session.close()
    assert first == build_runner.Outcome("SUCCEEDED")
    assert second == build_runner.Outcome("FAILED", "false", 1)
    assert third.status == "SUCCEEDED"
    assert captured == {"GREETING": "hello", "UNSET": ""}
    assert log.lines == [
        "RUN export GREETING=hello",
        "RUN mkdir sub && cd sub",
        "RUN pwd",
        str(tmp_path / "sub"),
        "RUN echo $GREETING from $(basename $PWD)",
        "hello from sub",
        "RUN false",
        "FAILED false 1",
        "RUN echo finally",
        "finally",
        "RUN echo still $GREETING",
        "still hello",
    ]


def test_a_command_that_exits_the_shell_fails_with_its_status_and_a_timeout_kills_the_session(
    tmp_path: Path,
) -> None:
    log = Log()
    session = log.session(tmp_path, "sh")
    session.start()
    try:
        assert session.run(["exit 3"], [], time.monotonic() + 30) == build_runner.Outcome(
            "FAILED", "exit 3", 3
        )
        assert not session.alive
    finally:
        session.close()
    session = log.session(tmp_path)
    session.start()
    try:
        outcome = session.run(["sleep 30"], [], time.monotonic() + 0.2)
    finally:
        session.close()
    assert outcome == build_runner.Outcome("TIMED_OUT", "sleep 30")
    assert not session.alive


def test_runtime_versions_are_selected_from_the_images_runtimes() -> None:
    available = build_runner.runtimes({"PATH": str(Path(sys.executable).parent)}, {"nodejs": ["18", "20"]})
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert available == {"nodejs": ["18", "20"], "python": [version]}
    assert build_runner.select_runtimes({"python": "3.x", "nodejs": "latest"}, available) == [
        f"Selecting 'python' runtime version '{version}' based on manual selections...",
        "Selecting 'nodejs' runtime version '20' based on manual selections...",
    ]
    with pytest.raises(BuildspecError) as raised:
        build_runner.select_runtimes({"python": "3.7"}, available)
    assert str(raised.value) == (
        "Unknown runtime version named '3.7' of python. This build image has the following versions: "
        f"{version}"
    )
    with pytest.raises(BuildspecError, match="Unknown runtime named 'golang'"):
        build_runner.select_runtimes({"golang": "1.22"}, available)
