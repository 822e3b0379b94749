"""The sandbox's record, state folder and processes as hostile or careless input (issue 17).

A stale, corrupt or forged ``sandbox.json`` gets one message and never a signal to a process launchpad did
not start; a state folder that is a file, read-only or under a file is refused before anything starts; the
state is per user, not per working directory. Lifecycle tests use a stand-in server (a few lines of
``http.server`` in place of ``launchpad.sandbox.server``): what is tested is the manager, not moto.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from launchpad import paths
from launchpad.cli import QUIET_LIBRARIES, main
from launchpad.errors import SandboxError, ToolchainError
from launchpad.sandbox import Sandbox, manager

STAND_IN = """
import argparse, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(200)

    def do_POST(self):
        self.answer(int(os.environ.get("STAND_IN_RESET_STATUS", "200")))

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


parser = argparse.ArgumentParser()
for name in ("--host", "--port", "--ready-file", "--owner-pid"):
    parser.add_argument(name)
args = parser.parse_args()
server = ThreadingHTTPServer((args.host, int(args.port)), Handler)
port = server.server_address[1]
ready = Path(args.ready_file)
ready.with_name("environment.json").write_text(json.dumps(sorted(os.environ)))
ready.with_suffix(".tmp").write_text(json.dumps({"pid": os.getpid(), "port": port, "url": f"http://{args.host}:{port}"}))
ready.with_suffix(".tmp").replace(ready)
server.serve_forever()
"""


@pytest.fixture(autouse=True)
def no_real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test forgets, nothing lands in the real home folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "state"
    monkeypatch.setenv("LAUNCHPAD_STATE_DIR", str(root))
    yield root
    with contextlib.suppress(SandboxError):
        Sandbox(root).down()


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``Sandbox.up`` starts the stand-in server instead of moto's."""
    folder = tmp_path / "stand-in"
    folder.mkdir()
    (folder / "stand_in_server.py").write_text(STAND_IN)
    monkeypatch.setattr(manager, "SERVER_MODULE", "stand_in_server")
    monkeypatch.setenv("PYTHONPATH", str(folder))
    return "stand_in_server"


class Delegate:
    """A module as the manager sees it, with some of its functions replaced (the test's own calls to the
    real module are untouched)."""

    def __init__(self, module: Any, **replaced: Any) -> None:
        self._module = module
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class Signals:
    """Every ``os.kill`` the manager makes. Signal 0 (a probe) goes through; a real signal only to the pids
    a test allows, so a regression records the mistake instead of signalling pid -1 or the shell."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, int]] = []
        self.allowed: set[int] = set()

    def kill(self, pid: int, signum: int) -> None:
        self.sent.append((pid, signum))
        if (signum == 0 and pid > 1) or (signum != 0 and pid in self.allowed):
            os.kill(pid, signum)

    @property
    def real(self) -> list[tuple[int, int]]:
        return [(pid, signum) for pid, signum in self.sent if signum != 0]


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> Signals:
    recorder = Signals()
    monkeypatch.setattr(manager, "os", Delegate(os, kill=recorder.kill))
    return recorder


@pytest.fixture
def no_start(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fails the test's ``Sandbox.up`` if it starts a process; the list holds what it tried."""
    tried: list[Any] = []

    def refuse(command: Any, **_: Any) -> None:
        tried.append(command)
        raise AssertionError(f"a process was started: {command}")

    monkeypatch.setattr(manager, "subprocess", Delegate(subprocess, Popen=refuse))
    return tried


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not the sandbox (the user's editor, another program that got a reused pid)."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def _gone_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _record(state: Path, content: bytes | dict[str, Any]) -> Path:
    folder = state / "sandbox"
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "sandbox.json"
    record.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return record


def _started(pid: int) -> str:
    identity = manager.process_identity(pid)
    assert identity is not None
    return identity.started


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, ["sandbox", *args])


GOOD = {"pid": 4242, "port": 5000, "url": "http://127.0.0.1:5000", "started": "123"}

UNREADABLE = [
    pytest.param(b"{not json", "it is not JSON (Expecting property name", id="not-json"),
    pytest.param(b'{"pid": "\xff"}', "it is not UTF-8 text (byte 9)", id="not-utf8"),
    pytest.param(b"", "it is not JSON (Expecting value, line 1 column 1)", id="empty"),
    pytest.param(b"[4242, 5000]", "it holds a JSON list, not an object", id="list"),
    pytest.param({"pid": 4242, "port": 5000}, "it lacks url, started", id="missing-fields"),
    pytest.param({**GOOD, "pid": -1}, "pid: -1 is not a process launchpad starts", id="pid-minus-1"),
    pytest.param({**GOOD, "pid": 0}, "pid: 0 is not a process launchpad starts", id="pid-0"),
    pytest.param({**GOOD, "pid": 1}, "pid: 1 is not a process launchpad starts", id="pid-1"),
    pytest.param({**GOOD, "pid": True}, "pid: True is not a process", id="pid-bool"),
    pytest.param({**GOOD, "pid": "4242"}, "pid: '4242' is not a process", id="pid-text"),
    pytest.param({**GOOD, "pid": 2**64}, "pid: 18446744073709551616 is not a process", id="pid-huge"),
    pytest.param({**GOOD, "port": 70000}, "port: 70000 is not a TCP port", id="port-out-of-range"),
    pytest.param({**GOOD, "port": 0}, "port: 0 is not a TCP port", id="port-0"),
    pytest.param(
        {**GOOD, "url": "http://127.0.0.1:5000\n"}, "url: 'http://127.0.0.1:5000\\n' is not", id="url-newline"
    ),
    pytest.param(
        {**GOOD, "url": "http://evil.example:5000"}, "url: 'http://evil.example:5000' is not", id="url-host"
    ),
    pytest.param(
        {**GOOD, "started": "1\u202e2"}, "started: '1\\u202e2' is not a process start", id="started-bidi"
    ),
    pytest.param({**GOOD, "started": 123}, "started: 123 is not a process start", id="started-int"),
    pytest.param(b" " * 5000 + b"{}", "it is over 4096 bytes", id="oversized"),
]


# -- records launchpad cannot read: one message, nothing signalled, nothing started, the file kept -------
@pytest.mark.parametrize("command", ["status", "down", "up"])
@pytest.mark.parametrize(("content", "problem"), UNREADABLE)
def test_an_unreadable_record_is_named_and_left_and_nothing_is_signalled(
    state: Path,
    signals: Signals,
    no_start: list[Any],
    command: str,
    content: bytes | dict[str, Any],
    problem: str,
) -> None:
    record = _record(state, content)
    before = record.read_bytes()
    result = _cli(command)
    assert result.exit_code == SandboxError.exit_code, result.output
    assert f"error: the sandbox's record {record} is unreadable: {problem}" in result.output
    assert "nothing was stopped or started" in result.output and f"delete {record}" in result.output
    assert result.output.count("error:") == 1
    assert record.read_bytes() == before, "the record is left for the user to look at"
    assert signals.real == [] and no_start == []


@pytest.mark.parametrize("kind", ["folder", "link", "fifo"])
def test_a_record_that_is_not_a_regular_file_is_not_opened(
    state: Path, signals: Signals, no_start: list[Any], tmp_path: Path, kind: str
) -> None:
    """A folder, a link (to a file launchpad would otherwise read or replace) or a pipe (a read that never
    returns) where the record belongs."""
    folder = state / "sandbox"
    folder.mkdir(parents=True)
    record = folder / "sandbox.json"
    if kind == "folder":
        record.mkdir()
    elif kind == "link":
        (tmp_path / "elsewhere.json").write_text(json.dumps(GOOD))
        record.symlink_to(tmp_path / "elsewhere.json")
    else:
        os.mkfifo(record)
    for command in ("status", "up", "down"):
        result = _cli(command)
        assert result.exit_code == SandboxError.exit_code, result.output
        assert "is unreadable: it is not a regular file" in result.output
    assert os.path.lexists(record) and signals.real == [] and no_start == []


# -- records that name a process that is not (or no longer) the sandbox: cleared, never signalled ---------
def test_a_record_of_a_process_that_is_gone_is_cleared(
    state: Path, signals: Signals, caplog: pytest.LogCaptureFixture
) -> None:
    pid = _gone_pid()
    record = _record(state, {**GOOD, "pid": pid})
    result = _cli("status")
    assert result.exit_code == 1 and "# sandbox: not running" in result.output
    assert not record.exists()
    assert f"(pid {pid}) is gone; clearing its record" in caplog.text
    assert signals.real == []


def test_a_stale_record_replaced_meanwhile_by_a_new_start_is_kept(
    state: Path, signals: Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status` judges the record stale while another shell's `up` replaces it with its new sandbox's:
    the new record stays (clearing it would leave that sandbox running with nothing to stop it by)."""
    record = _record(state, {**GOOD, "pid": _gone_pid()})
    fresh = {**GOOD, "pid": 4343, "started": "456"}

    def gone_while_a_start_records(pid: int) -> None:
        record.write_text(json.dumps(fresh))
        return None

    monkeypatch.setattr(manager, "process_identity", gone_while_a_start_records)
    assert Sandbox(state).status() is None
    assert json.loads(record.read_text()) == fresh and signals.real == []


@pytest.mark.parametrize("command", ["status", "down"])
@pytest.mark.parametrize("forged", ["own-start-time", "stale-start-time"])
def test_a_record_naming_a_live_process_that_is_not_the_sandbox_never_signals_it(
    state: Path,
    signals: Signals,
    sleeper: subprocess.Popen[bytes],
    caplog: pytest.LogCaptureFixture,
    command: str,
    forged: str,
) -> None:
    """Another program got the sandbox's pid (its start time differs), or a forged record copied a live
    process's start time (its command line is not the sandbox's): left alone, the record cleared."""
    started = _started(sleeper.pid) if forged == "own-start-time" else "1"
    record = _record(state, {**GOOD, "pid": sleeper.pid, "started": started})
    result = _cli(command)
    assert result.exit_code == (1 if command == "status" else 0), result.output
    assert (
        "not running" in result.output if command == "status" else "no sandbox was running" in result.output
    )
    assert f"names pid {sleeper.pid}, which is not the sandbox" in caplog.text
    assert not record.exists()
    assert sleeper.poll() is None, "the other process still runs"
    assert signals.real == []


@pytest.mark.parametrize("who", ["this process", "its parent (the shell)"])
def test_a_record_naming_launchpad_itself_or_its_shell_is_not_signalled(
    state: Path, signals: Signals, who: str
) -> None:
    pid = os.getpid() if who == "this process" else os.getppid()
    _record(state, {**GOOD, "pid": pid, "started": _started(pid)})
    result = _cli("down")
    assert result.exit_code == 0 and "no sandbox was running" in result.output
    assert signals.real == []


def test_a_sandbox_for_another_state_folder_is_not_ours(
    state: Path, signals: Signals, tmp_path: Path
) -> None:
    """A sandbox server's command line names its state folder: one started for another folder (another
    LAUNCHPAD_STATE_DIR) is not stopped through this folder's record."""
    other = subprocess.Popen(
        [
            *(sys.executable, "-c", "import time; time.sleep(60)", "-m", manager.SERVER_MODULE),
            *("--host", "x", "--ready-file", str(tmp_path / "other" / "sandbox" / "ready.json")),
        ]
    )
    try:
        _record(state, {**GOOD, "pid": other.pid, "started": _started(other.pid)})
        assert _cli("down").exit_code == 0
        assert other.poll() is None and signals.real == []
    finally:
        other.kill()
        other.wait()


def test_without_proc_or_ps_launchpad_refuses_to_signal_and_keeps_the_record(
    state: Path, signals: Signals, sleeper: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manager, "PROC", state / "no-proc")
    monkeypatch.setenv("PATH", str(state / "no-bin"))
    record = _record(state, {**GOOD, "pid": sleeper.pid})
    result = _cli("down")
    assert result.exit_code == SandboxError.exit_code
    assert f"cannot tell whether pid {sleeper.pid}, recorded in {record}, is its sandbox" in result.output
    assert "there is no /proc here and `ps` did not answer" in result.output
    assert record.exists() and signals.real == [] and sleeper.poll() is None


def test_without_proc_ps_tells_a_process_apart(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    """macOS and the BSDs: ``ps``'s start time and command line stand in for /proc."""
    monkeypatch.setattr(manager, "PROC", tmp_path / "no-proc")
    identity = manager.process_identity(sleeper.pid)
    assert identity is not None and identity.command == ("sleep 60",)
    assert len(identity.started.split()) == 5  # Mon Dec  7 04:13:58 2026
    assert manager.process_identity(sleeper.pid) == identity
    assert manager.process_identity(_gone_pid()) is None


# -- the state folder: a file, under a file, read-only ------------------------------------------------------
@pytest.mark.parametrize("where", ["is a file", "sits under"])
def test_a_state_folder_that_is_a_file_is_named_and_nothing_starts(
    state: Path, no_start: list[Any], where: str
) -> None:
    if where == "is a file":
        state.mkdir()
        (state / "sandbox").write_text("a file")
        expected = f"the sandbox's state folder {state / 'sandbox'} is a file, not a folder"
    else:
        state.write_text("a file")
        expected = f"the sandbox's state folder {state / 'sandbox'} sits under {state}, which is a file"
    for command in ("up", "status", "down"):
        result = _cli(command)
        assert result.exit_code == SandboxError.exit_code, result.output
        assert f"error: {expected}; remove it, or set LAUNCHPAD_STATE_DIR" in result.output
    assert no_start == []


def test_a_state_folder_that_is_a_link_loop_is_named(state: Path, no_start: list[Any]) -> None:
    state.symlink_to(state)
    for command in ("up", "status", "down"):
        result = _cli(command)
        assert result.exit_code == SandboxError.exit_code, result.output
        assert f"error: the sandbox's state folder {state / 'sandbox'} cannot be resolved (" in result.output
    assert no_start == []


@pytest.fixture
def make_read_only() -> Iterator[Callable[[Path], None]]:
    """Makes a folder nobody may write in, root included (root ignores permissions: an immutable folder)."""
    frozen: list[Path] = []

    def freeze(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o555)
        elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode:
            pytest.skip("root cannot make a folder read-only here (chattr +i failed)")
        frozen.append(folder)

    yield freeze
    for folder in reversed(frozen):
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize("level", ["the state folder", "the folder above it"])
def test_a_read_only_state_folder_is_named_and_nothing_starts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_read_only: Callable[[Path], None],
    no_start: list[Any],
    level: str,
) -> None:
    root = tmp_path / "state"
    frozen = root / "sandbox" if level == "the state folder" else root
    frozen.mkdir(parents=True)
    make_read_only(frozen)
    monkeypatch.setenv("LAUNCHPAD_STATE_DIR", str(root))
    result = _cli("up")
    assert result.exit_code == SandboxError.exit_code, result.output
    assert f"error: cannot write the sandbox's files in {root / 'sandbox'} (" in result.output
    assert "make it writable (chmod u+w), or set LAUNCHPAD_STATE_DIR" in result.output
    assert "Nothing was started." in result.output and no_start == []
    assert [p.name for p in root.rglob("*")] == ([] if frozen == root else ["sandbox"])


def test_a_record_that_cannot_be_written_stops_the_server_it_started(
    state: Path, stand_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server is started, then its record cannot be written: the server is stopped again (no orphan
    that nothing could stop later)."""
    started: list[int] = []
    real_identify = Sandbox._identify_started

    def identify(self: Sandbox, pid: int) -> manager.ProcessIdentity:
        started.append(pid)
        return real_identify(self, pid)

    def refuse(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Sandbox, "_identify_started", identify)
    monkeypatch.setattr(Sandbox, "_write_record", refuse)
    with pytest.raises(OSError, match="No space left"):
        Sandbox(state).up()
    assert len(started) == 1 and manager.process_identity(started[0]) is None
    assert not (state / "sandbox" / "sandbox.json").exists()


# -- the stand-in server: the lifecycle, the proof before each signal -------------------------------------
def test_down_stops_only_the_process_it_proved_to_be_the_sandbox(
    state: Path, stand_in: str, signals: Signals
) -> None:
    info = Sandbox(state).up()
    signals.allowed.add(info.pid)
    record = json.loads((state / "sandbox" / "sandbox.json").read_text())
    assert record == {"pid": info.pid, "port": info.port, "url": info.url, "started": _started(info.pid)}
    assert oct((state / "sandbox" / "sandbox.json").stat().st_mode & 0o777) == "0o600"
    result = _cli("down")
    assert result.exit_code == 0 and f"sandbox at {info.url} stopped" in result.output
    assert signals.real == [(info.pid, signal.SIGTERM)]
    assert manager.process_identity(info.pid) is None
    assert not (state / "sandbox" / "sandbox.json").exists()


def test_the_server_gets_none_of_the_callers_aws_settings(
    state: Path, stand_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's real credentials and profile stay out of the sandbox (a profile ~/.aws lacks would even
    stop moto from starting); the rest of the environment (PATH, the sandbox's switches) is kept."""
    monkeypatch.setenv("AWS_PROFILE", "real-account")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-real-secret")
    monkeypatch.setenv("LAUNCHPAD_SANDBOX_AUTHZ", "on")
    Sandbox(state).up()
    names = json.loads((state / "sandbox" / "environment.json").read_text())
    assert [name for name in names if name.startswith("AWS_")] == []
    assert {"PATH", "LAUNCHPAD_SANDBOX_AUTHZ"} <= set(names)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="counts the servers through /proc")
def test_two_starts_at_once_start_one_server(state: Path, stand_in: str) -> None:
    """Two shells (or two commands that need the sandbox) at the same moment: one server, one record;
    before the lock the second start overwrote the first's record and left a server nothing could stop."""
    barrier = threading.Barrier(3)
    answers: list[manager.SandboxInfo] = []

    def start() -> None:
        barrier.wait()
        answers.append(Sandbox(state).up())

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 3 and len(set(answers)) == 1
    ready = str(state / "sandbox" / "ready.json")
    servers = [p for p in Path("/proc").glob("[0-9]*") if ready in _command_line(p)]
    assert [int(p.name) for p in servers] == [answers[0].pid]


def _command_line(process: Path) -> str:
    try:
        return (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


PROXIED_STATUS = (
    "import sys; from launchpad.sandbox import manager; manager.SERVER_MODULE = sys.argv[1]; "
    "from launchpad.cli import main; main(['sandbox', 'status'])"
)


def test_the_sandbox_is_reached_past_a_proxy_the_environment_names(state: Path, stand_in: str) -> None:
    """HTTP_PROXY set for the user's other work (from the start of the process, as in a shell): `status`
    still reaches the sandbox on 127.0.0.1 directly."""
    info = Sandbox(state).up()
    proxy = "http://127.0.0.1:9"  # discard: nothing listens
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"} | {
        "HTTP_PROXY": proxy,
        "http_proxy": proxy,
    }
    status = subprocess.run(
        [sys.executable, "-c", PROXIED_STATUS, stand_in], env=env, capture_output=True, text=True, check=False
    )
    assert status.returncode == 0, status.stderr
    assert f"pid {info.pid}" in status.stdout


def test_a_reset_the_sandbox_refuses_is_one_message(
    state: Path, stand_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_RESET_STATUS", "500")
    info = Sandbox(state).up()
    result = _cli("reset")
    assert result.exit_code == SandboxError.exit_code, result.output
    assert f"error: reset failed with HTTP 500 at {info.url}; see " in result.output


def test_a_port_that_cannot_be_bound_is_one_message(
    state: Path, no_start: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below 1024 without root: ``bind`` answers EACCES, which is not "in use"."""

    class Refusing:
        def __init__(self, *_: Any) -> None:
            pass

        def __enter__(self) -> Refusing:
            return self

        def __exit__(self, *_: Any) -> None:
            pass

        def bind(self, _: Any) -> None:
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(manager.socket, "socket", Refusing)
    result = _cli("up", "--port", "80")
    assert result.exit_code == SandboxError.exit_code, result.output
    assert "error: port 80 on 127.0.0.1 cannot be used (Permission denied); leave out --port" in result.output
    assert no_start == []


# -- one sandbox per user, whatever the working directory ----------------------------------------------------
def test_the_sandbox_state_is_per_user_and_every_folder_sees_it(
    tmp_path: Path, stand_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from the checkout, seen from a baked project's folder; the project state stays per folder."""
    monkeypatch.delenv("LAUNCHPAD_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    checkout, project = tmp_path / "checkout", tmp_path / "project"
    checkout.mkdir()
    project.mkdir()
    monkeypatch.chdir(checkout)
    up = _cli("up")
    assert up.exit_code == 0, up.output
    try:
        monkeypatch.chdir(project)
        status = _cli("status")
        assert status.exit_code == 0 and status.output == up.output
        assert (tmp_path / "xdg" / "launchpad" / "sandbox" / "sandbox.json").exists()
        assert paths.state_dir() == project / ".launchpad", (
            "the Terraform CLI config and stacks stay per project"
        )
    finally:
        assert _cli("down").exit_code == 0
    assert not (checkout / ".launchpad").exists() and not (project / ".launchpad").exists()


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [
        (None, "home/.local/state/launchpad"),
        ("xdg-state", "xdg-state/launchpad"),
        ("relative/xdg", "home/.local/state/launchpad"),  # the XDG spec: a relative value is ignored
    ],
)
def test_the_user_state_folder_follows_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg: str | None, expected: str
) -> None:
    monkeypatch.delenv("LAUNCHPAD_STATE_DIR", raising=False)
    if xdg is not None:
        monkeypatch.setenv("XDG_STATE_HOME", xdg if xdg.startswith("relative") else str(tmp_path / xdg))
    assert paths.user_state_dir() == tmp_path / expected
    assert Sandbox().dir == (tmp_path / expected / "sandbox").resolve()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LAUNCHPAD_STATE_DIR", "state", "LAUNCHPAD_STATE_DIR: 'state' is a relative path"),
        ("LAUNCHPAD_STATE_DIR", "/tmp/x\n# eval me", "holds U+000A, which a shell or a terminal"),
        ("LAUNCHPAD_STATE_DIR", "/tmp/\u202etxt.exe", "holds U+202E"),
        (
            "XDG_STATE_HOME",
            "/tmp/\x1b[31mred",
            "XDG_STATE_HOME: the state folder '/tmp/\\x1b[31mred' holds U+001B",
        ),
        ("HOME", "/tmp/home\r", "the home folder (HOME): the state folder"),
    ],
)
@pytest.mark.parametrize("command", ["up", "status", "down"])
def test_a_state_folder_the_environment_misnames_is_one_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_start: list[Any],
    variable: str,
    value: str,
    message: str,
    command: str,
) -> None:
    monkeypatch.delenv("LAUNCHPAD_STATE_DIR", raising=False)
    monkeypatch.setenv(variable, value)
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    result = _cli(command)
    assert result.exit_code == ToolchainError.exit_code, result.output
    assert message in result.output and result.output.count("error:") == 1
    assert "\n# eval me" not in result.output and "\u202e" not in result.output
    assert sorted(tmp_path.rglob("*")) == before and no_start == []


def test_no_home_folder_says_to_set_the_state_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAUNCHPAD_STATE_DIR", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    result = _cli("status")
    assert result.exit_code == ToolchainError.exit_code
    assert "launchpad found no home folder" in result.output and "set LAUNCHPAD_STATE_DIR" in result.output


# -- the CLI's output -------------------------------------------------------------------------------------
@pytest.fixture
def library_levels() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in QUIET_LIBRARIES]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.parametrize("verbose", [False, True])
def test_library_info_logging_shows_only_with_verbose(
    state: Path,
    library_levels: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    verbose: bool,
) -> None:
    """After `eval "$(launchpad sandbox up)"` botocore says "Found credentials in environment variables."
    at INFO on every command: noise, unless the user asked for -v."""
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "123456789012")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
    result = CliRunner().invoke(main, [*(["-v"] if verbose else []), "sandbox", "status"])
    assert result.exit_code == 1
    boto3.Session(region_name="eu-west-1").get_credentials()
    library = [r for r in caplog.records if r.name.split(".")[0] in QUIET_LIBRARIES]
    assert bool(library) is verbose, [r.getMessage() for r in library]
