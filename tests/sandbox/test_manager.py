"""`launchpad sandbox up|down|status|reset`: lifecycle, pid/log files and the failure messages."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from launchpad.aws import AwsTarget
from launchpad.cli import main
from launchpad.errors import SandboxError
from launchpad.sandbox import Sandbox
from launchpad.sandbox.manager import _alive


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LAUNCHPAD_STATE_DIR", str(tmp_path))
    yield tmp_path
    Sandbox(tmp_path).down()


def test_cli_lifecycle_prints_the_endpoint_to_export(state: Path) -> None:
    runner = CliRunner()
    up = runner.invoke(main, ["sandbox", "up"])
    assert up.exit_code == 0, up.output
    export = [line for line in up.output.splitlines() if line.startswith("export ")]
    assert export[0].startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")
    info = Sandbox(state).status()
    assert info is not None and export[0].endswith(f":{info.port}")
    assert (state / "sandbox" / "sandbox.json").exists() and (state / "sandbox" / "sandbox.log").exists()

    status = runner.invoke(main, ["sandbox", "status"])
    assert status.exit_code == 0 and f"pid {info.pid}" in status.output
    assert status.output == up.output, "status prints what up printed"
    lines = up.output.splitlines()  # what eval runs: remarks as comments, exports, one unset
    assert [line[:2] for line in lines[:2]] == ["# ", "# "] and lines[
        -1
    ] == "unset AWS_SESSION_TOKEN AWS_PROFILE"
    assert all(line.startswith("export AWS_") for line in lines[2:-1])
    described = json.loads(runner.invoke(main, ["sandbox", "status", "--json"]).output)
    assert described["pid"] == info.pid and described["environment"]["AWS_ENDPOINT_URL"] == info.url

    assert runner.invoke(main, ["sandbox", "up"]).output == up.output, "up twice reuses the sandbox"

    down = runner.invoke(main, ["sandbox", "down"])
    assert down.exit_code == 0 and "stopped" in down.output
    assert not (state / "sandbox" / "sandbox.json").exists()
    stopped = runner.invoke(main, ["sandbox", "status"])
    assert stopped.exit_code == 1 and "not running" in stopped.output


def test_reset_empties_every_account(state: Path) -> None:
    info = Sandbox(state).up()
    target = AwsTarget.sandbox(info.url)
    target.client("sqs").create_queue(QueueName="left-over")
    result = CliRunner().invoke(main, ["sandbox", "reset"])
    assert result.exit_code == 0, result.output
    assert target.client("sqs").list_queues().get("QueueUrls", []) == []


def test_busy_port_is_refused_and_nothing_is_started(state: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        result = CliRunner().invoke(main, ["sandbox", "up", "--port", str(busy)])
    assert result.exit_code == SandboxError.exit_code
    assert f"port {busy} on 127.0.0.1 is already in use" in result.output
    assert "Leave out --port" in result.output
    assert not (state / "sandbox").exists(), "nothing was made"


def test_a_sandbox_that_died_is_reported_and_replaced(state: Path) -> None:
    box = Sandbox(state)
    first = box.up()
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _alive(first.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert box.status() is None
    assert not box.info_file.exists(), "the stale pid file is cleared"
    second = box.up()
    assert second.pid != first.pid


def test_commands_that_need_a_sandbox_say_how_to_start_one(state: Path) -> None:
    result = CliRunner().invoke(main, ["sandbox", "reset"])
    assert result.exit_code == SandboxError.exit_code
    assert "no sandbox is running. Start one with `launchpad sandbox up`" in result.output


def test_a_sandbox_owned_by_a_process_stops_when_that_process_dies(state: Path) -> None:
    owner = subprocess.Popen(["sleep", "30"])
    box = Sandbox(state)
    info = box.up(owner_pid=owner.pid)
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 10
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(info.pid), "the sandbox outlived its owner"


def test_running_borrows_a_sandbox_or_starts_one_for_the_block(state: Path) -> None:
    box = Sandbox(state)
    with box.running() as started:
        assert box.status() == started
    assert box.status() is None, "a sandbox started for the block is stopped after it"

    kept = box.up()
    with box.running() as borrowed:
        assert borrowed == kept
    assert box.status() == kept, "a sandbox that was already running keeps running"


EVAL_UP = 'eval "$("$PYTHON" -m launchpad.cli sandbox up)" && env -0 >"$ENV_DUMP" && "$PYTHON" -c "$CLIENT"'
# A boto3 client from the environment alone: no argument, no ~/.aws (HOME is the test's).
CLIENT = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"


def test_eval_of_up_points_a_shell_at_the_sandbox(state: Path, tmp_path: Path) -> None:
    """`eval "$(launchpad sandbox up)"`: every variable boto3, the aws CLI and Terraform need, the shell's
    real-AWS session and profile removed, and nothing else run; a boto3 client built from that environment
    alone reaches the sandbox as the account ``launchpad plan --env sandbox`` uses. The state folder's path
    is hostile (spaces, quotes, ``$(...)``, ``;``): it appears only in a comment, so nothing in it runs."""
    hostile = tmp_path / "it's a $(touch pwned); `touch pwned2` folder"
    dump = tmp_path / "env"
    shell_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAUNCHPAD_"))},
        "HOME": str(tmp_path),
        "PYTHON": sys.executable,
        "CLIENT": CLIENT,
        "ENV_DUMP": str(dump),
        "LAUNCHPAD_STATE_DIR": str(hostile),
        "AWS_PROFILE": "real-account",
        "AWS_SESSION_TOKEN": "a-real-session-token",
    }
    shell = subprocess.run(
        ["bash", "-c", EVAL_UP], env=shell_env, cwd=tmp_path, capture_output=True, check=False
    )
    try:
        assert shell.returncode == 0, shell.stderr.decode()
        assert shell.stdout.decode() == "123456789012\n", (
            "boto3 reached the sandbox, as the platform's account"
        )
        env = dict(item.split("=", 1) for item in dump.read_text().split("\0") if "=" in item)
        info = Sandbox(hostile).status()
        assert info is not None
        assert {k: v for k, v in env.items() if k.startswith("AWS_")} == {
            "AWS_ENDPOINT_URL": info.url,
            "AWS_ACCESS_KEY_ID": "123456789012",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_MAX_ATTEMPTS": "2",
            "AWS_RETRY_MODE": "standard",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["env", hostile.name]), (
            "nothing in it ran"
        )
    finally:
        Sandbox(hostile).down()
