"""Run a build's commands as CodeBuild runs them: one shell session per build, phase after phase.

AWS (CodeBuild User Guide, "Build specification reference for CodeBuild", "Shells and commands in build
environments"): with buildspec version 0.2 CodeBuild runs all the build's commands in the same shell
instance, so a directory change or an exported variable of one command holds for the next ones, in later
phases too. It runs a phase's commands one at a time, in order; a command that exits with a non-zero status
fails its phase ("Error while executing command: <command>. Reason: exit status <n>"), the phase's remaining
commands are skipped and its ``finally`` commands run. "Running command <command>" and "Command did not exit
successfully <command> exit status <n>" are the lines CodeBuild writes to the build log around them.

The sandbox starts bash (``--noprofile --norc``) or sh once per build, in its own process group, in
CODEBUILD_SRC_DIR, with the build's environment and standard input from the sandbox, and writes each
phase's commands to it as one block: each command runs as ``{ <command>\\n} </dev/null`` (a group, so its
variables and ``cd`` stay; no standard input), followed by a marker line the sandbox reads from the shell's
output to tell which command runs and how it ended. Its output (standard error joined to standard output)
goes to the build log line by line. A timeout or a stop kills the whole process group. A command that exits
the shell (``exit 3``) fails its phase with that status; later phases (post_build after a failed build)
then run in a new shell with the build's starting environment. No module of moto is imported here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import secrets
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from launchpad.sandbox.buildspec import BuildspecError

log = logging.getLogger(__name__)

SUCCEEDED, FAILED, TIMED_OUT, STOPPED = "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"
_EXIT_GRACE = 5.0  # seconds to wait for the shell's output to end after its process group was killed


@dataclass(frozen=True)
class Outcome:
    """How a phase's commands ended: the status, and the first command that failed, with its status."""

    status: str
    command: str | None = None
    exit_status: int | None = None


class Session:
    """One shell session of a build. ``on_output`` gets each line the commands print, ``on_command`` each
    command as it starts, ``on_failure`` each command that failed and its exit status (all from the thread
    reading the shell's output)."""

    def __init__(
        self,
        shell: str,
        cwd: Path,
        environment: Mapping[str, str],
        on_output: Callable[[str], None],
        on_command: Callable[[str], None],
        on_failure: Callable[[str, int], None],
    ) -> None:
        self.shell = shell
        self.cwd = cwd
        self.environment = dict(environment)
        self._on_output, self._on_command, self._on_failure = on_output, on_command, on_failure
        self._nonce = f"__launchpad_{secrets.token_hex(8)}__"
        self._events: queue.Queue[tuple[str, int]] = queue.Queue()
        self._commands: dict[str, str] = {}
        self._current: str | None = None
        self._failure: tuple[str, int] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._killed: str | None = None
        self._lock = threading.Lock()

    # -- the process ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the shell (``OSError`` if the image has no such shell on its PATH)."""
        argv = ["bash", "--noprofile", "--norc"] if self.shell == "bash" else ["sh"]
        with self._lock:
            if self._killed:
                return
            self._events = queue.Queue()
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.environment,
                start_new_session=True,
            )
        threading.Thread(target=self._read, args=(self._process,), daemon=True, name="build-output").start()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and not self._killed

    def kill(self, reason: str) -> None:
        """End the session's whole process group (``reason``: TIMED_OUT or STOPPED)."""
        with self._lock:
            self._killed = self._killed or reason
            process = self._process
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    def close(self) -> None:
        """Let the shell end, then end whatever it left running in its process group."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_EXIT_GRACE)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_EXIT_GRACE)
        if process.stdout is not None:
            process.stdout.close()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            head, marker, rest = line.partition(self._nonce)
            if head or not marker:
                self._on_output(head)
            if marker:
                self._marker(rest.split())
        self._events.put(("eof", 0))

    def _marker(self, words: list[str]) -> None:
        if len(words) >= 2 and words[0] == "RUN":
            self._current = words[1]
            self._on_command(self._commands.get(words[1], ""))
        elif len(words) >= 3 and words[0] == "FAIL":
            command, status = self._commands.get(words[1], ""), int(words[2])
            self._failure = self._failure or (command, status)
            self._on_failure(command, status)
        elif len(words) >= 2 and words[0] == "END":
            self._events.put(("end", int(words[1])))

    # -- running commands ------------------------------------------------------------------------------------
    def run(
        self, commands: Sequence[str], finally_: Sequence[str], deadline: float, prelude: str = ""
    ) -> Outcome:
        """Run a phase's ``commands`` then its ``finally`` commands; by ``deadline`` (``time.monotonic``)."""
        self._commands = {f"c{i}": c for i, c in enumerate(commands)}
        self._commands.update({f"f{i}": c for i, c in enumerate(finally_)})
        self._failure, self._current = None, None
        if not self._send(prelude + self._script(commands, finally_)):
            return self._ended()
        kind, value = self._wait(deadline)
        if kind == "end":
            if value == 0:
                return Outcome(SUCCEEDED)
            command, status = self._failure or ("", value)
            return Outcome(FAILED, command, status)
        return self._ended()

    def capture(self, names: Sequence[str], path: Path, deadline: float) -> dict[str, str]:
        """The values of the shell variables ``names`` (empty for unset ones), as the session has them now."""
        if not names or not self.alive:
            return {}
        values = " ".join(f'"${{{name}-}}"' for name in names)
        script = f"{{ printf '%s\\000' {values}; }} > {shlex.quote(str(path))}\n" + self._end_line("0")
        if not self._send(script) or self._wait(deadline)[0] != "end":
            return {}
        parts = path.read_bytes().decode("utf-8", errors="replace").split("\0")
        return dict(zip(names, parts, strict=False))

    def _send(self, script: str) -> bool:
        process = self._process
        if process is None or process.stdin is None or not self.alive:
            return False
        try:
            process.stdin.write(script.encode())
            process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            return False
        return True

    def _wait(self, deadline: float) -> tuple[str, int]:
        try:
            return self._events.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            self.kill(TIMED_OUT)
        try:
            return self._events.get(timeout=_EXIT_GRACE)
        except queue.Empty:  # something outside the process group holds the output open
            log.warning(
                "a build shell's output did not end %s s after its process group was killed", _EXIT_GRACE
            )
            return ("eof", 0)

    def _ended(self) -> Outcome:
        """The outcome of a phase whose shell ended before its commands did."""
        if self._killed:
            return Outcome(self._killed, self._commands.get(self._current or ""))
        process = self._process
        status = process.wait(timeout=_EXIT_GRACE) if process is not None else 1
        command = self._commands.get(self._current or "", "")
        if self._current is not None and self._failure is None:
            self._on_failure(command, status)
        return Outcome(FAILED, command, status)

    def _end_line(self, status: str) -> str:
        return f"printf '%s END %s\\n' {shlex.quote(self._nonce)} {status}\n"

    def _script(self, commands: Sequence[str], finally_: Sequence[str]) -> str:
        nonce = shlex.quote(self._nonce)
        lines = ["__lp_s=0", "__lp_f=0"]
        for index, command in enumerate(commands):
            lines += [
                'if [ "$__lp_s" -eq 0 ]; then',
                *self._command(nonce, f"c{index}", command, "__lp_s"),
                "fi",
            ]
        for index, command in enumerate(finally_):
            lines += ['if [ "$__lp_f" -eq 0 ]; then', *self._command(nonce, f"f{index}", command, "__lp_f")]
            lines += ['[ "$__lp_s" -eq 0 ] && __lp_s=$__lp_f', "fi"]
        return "\n".join(lines) + "\n" + self._end_line('"$__lp_s"')

    @staticmethod
    def _command(nonce: str, key: str, command: str, status: str) -> list[str]:
        return [
            f"printf '%s RUN {key}\\n' {nonce}",
            "{",
            command,
            "} </dev/null",
            "__lp_rc=$?",
            f'if [ "$__lp_rc" -ne 0 ]; then {status}=$__lp_rc; '
            f"printf '%s FAIL {key} %s\\n' {nonce} \"$__lp_rc\"; fi",
        ]


# -- runtime-versions --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _python_version(executable: str) -> str | None:
    try:
        answer = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            env={},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return answer.stdout.strip() or None


def runtimes(environment: Mapping[str, str], declared: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The runtimes of a build image: those its stand-in declares, and python, from the ``python3`` its
    PATH finds, unless declared."""
    found = {name: list(versions) for name, versions in declared.items()}
    if "python" not in found:
        executable = shutil.which("python3", path=environment.get("PATH", ""))
        version = _python_version(executable) if executable else None
        if version:
            found["python"] = [version]
    return found


def select_runtimes(requested: Mapping[str, str], available: Mapping[str, Sequence[str]]) -> list[str]:
    """The log lines of CodeBuild's runtime selection, or ``BuildspecError`` for a runtime or version the
    image does not have ("Unknown runtime version named '<v>' of <runtime>. This build image has the
    following versions: ...")."""
    lines = []
    for name, wanted in requested.items():
        versions = available.get(name)
        if versions is None:
            have = ", ".join(sorted(available)) or "none"
            raise BuildspecError(
                f"Unknown runtime named '{name}'. This build image has the following runtimes: {have}"
            )
        chosen = _choose(wanted, versions)
        if chosen is None:
            raise BuildspecError(
                f"Unknown runtime version named '{wanted}' of {name}. This build image has the following "
                f"versions: {', '.join(versions)}"
            )
        lines.append(f"Selecting '{name}' runtime version '{chosen}' based on manual selections...")
    return lines


def _choose(wanted: str, versions: Sequence[str]) -> str | None:
    if wanted == "latest":
        return versions[-1] if versions else None
    if wanted.endswith(".x"):
        major = wanted[:-2]
        return next((v for v in reversed(versions) if v.split(".")[0] == major), None)
    return wanted if wanted in versions else None
