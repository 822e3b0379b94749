"""Where launchpad keeps state does not depend on the folder a command runs from, and the sandbox server's
own options refuse what would make it probe processes that are not its run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from launchpad.paths import STATE_DIR_ENV, checkout_state_dir, repo_root
from launchpad.sandbox import server


def test_the_root_stacks_state_is_the_checkouts_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert checkout_state_dir() == repo_root() / ".launchpad"
    monkeypatch.chdir(repo_root() / "modules")
    assert checkout_state_dir() == repo_root() / ".launchpad"
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path))
    assert checkout_state_dir() == tmp_path


@pytest.mark.parametrize("pid", ["0", "-1", "1", "one", "2.5"])
def test_the_server_refuses_an_owner_pid_that_is_not_a_runs(
    pid: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["server", "--port", "0", "--ready-file", str(tmp_path / "ready"), "--owner-pid", pid]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        server.main()
    assert exited.value.code == 2
    assert "argument --owner-pid" in capsys.readouterr().err
    assert not (tmp_path / "ready").exists()
