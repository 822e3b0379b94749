"""Finding checkov and running it over scan units, one ``-d`` per process, several processes at once.

checkov pins boto3 1.35, so it lives in its own environment (``.tools/checkov``) and only ever runs as a
subprocess.

One directory per process, never several: checkov 3.3.30 given ``-d a -d b`` scans only ``a`` and prints its
report once per ``-d`` (bridgecrewio/checkov#7327, reproduced here: ``-d modules -d terraform`` never looks at
``terraform/``). So a process scans one unit, and units run in a pool of ``jobs`` processes.

What a unit is, measured on the 2-core target machine (checkov 3.3.30 with the repo's .checkov.yaml, wall
seconds, machine otherwise idle). Over the default paths (modules/, terraform/):

    one process, -d modules -d terraform     20.5   (wrong: terraform/ is never scanned, checkov#7327)
    a process per path, --jobs 2 (default)   21.4, 23.7
    a process per path, --jobs 1             28.9, 29.4
    a process per subdirectory (--split, 11 units: modules/kms, ..., terraform/platform), --jobs 2   57.1

Alone (built-in checks only), ``modules`` takes 25 s and its 9 subdirectories 80 s together: each process pays
~3 s of start-up and re-scans every module its examples call. So the default unit is each given path, and the
pool runs the paths side by side; ``--split`` can only win on many cores (its slowest unit is 15 s alone).

A check that raises is not a result: checkov 3.3.30 turns it into UNKNOWN, which its JSON report leaves out,
skips an external check that does not import, and exits 0 or 1 as if every check ran. Its stderr keeps one
line for each (``Failed to run check <id> on <file>:<resource>``, ``Cannot load external check``), so
``run_unit`` reads them and fails the scan (ToolchainError, exit 3, no report written). Why not have the
checks' base class turn an exception into FAILED instead: that covers only our Python checks that get as far
as running (not one that does not import, nor checkov's own), and it files a finding against a resource that
may be compliant, with exit 1, the code that says "fix your Terraform", where the truth is "the scan is
broken". ``LOGGING_ENV`` keeps those lines printed whatever the caller's environment says.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchpad.errors import PolicyError, ToolchainError
from launchpad.policy import parse, settings
from launchpad.quoting import hidden_characters, shown

LOGGER = logging.getLogger(__name__)
CHECKOV_ENV = "LAUNCHPAD_CHECKOV"
CONFIG_FILE = ".checkov.yaml"
STDERR_TAIL = 20  # lines of checkov's stderr quoted when it crashes
# checkov turns a check that raises into UNKNOWN, which its report leaves out, and skips an external check
# that does not import; all that is left of either is one log line (base_check.py, base_check_registry.py
# of checkov 3.3.30). These settings make sure that line is printed, whatever the caller's environment says.
LOGGING_ENV = {"LOG_LEVEL": "WARNING", "CHECKOV_CHECK_FAIL_LEVEL": "ERROR"}
CHECK_RAISED = re.compile(r"Failed to run check (\S+) on (\S.*)")
CHECK_NOT_LOADED = re.compile(r"Cannot load external check '([^']*)' from (\S.*)")
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")  # where checkov's next log record starts


@dataclass(frozen=True)
class Unit:
    """A directory one checkov process scans (``-d``), with its .tf file count (to start big ones first)."""

    path: Path
    tf_files: int


@dataclass(frozen=True)
class UnitResult:
    unit: Unit
    documents: list[dict[str, Any]]
    seconds: float


def find_checkov(root: Path) -> Path:
    """``$LAUNCHPAD_CHECKOV``, else the pinned ``.tools/checkov``, else ``checkov`` on PATH."""
    configured = os.environ.get(CHECKOV_ENV)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ToolchainError(
                f"{CHECKOV_ENV}={configured} is not an executable file; unset it, or run `make setup` "
                "to install the pinned checkov in .tools/checkov"
            )
        return path
    pinned = root / ".tools" / "checkov" / "bin" / "checkov"
    if pinned.is_file():
        return pinned
    found = shutil.which("checkov")
    if found:
        return Path(found)
    raise ToolchainError(
        "checkov not found: run `make setup` (installs the pinned checkov in .tools/checkov)"
    )


def config_args(root: Path) -> list[str]:
    """``--config-file`` of the repo's .checkov.yaml: frameworks, our checks, offline. Every run uses it."""
    config = root / CONFIG_FILE
    if not config.is_file():
        raise ToolchainError(f"{config} is missing: it holds checkov's settings (restore it from git)")
    return ["--config-file", str(config)]


def tf_files(directory: Path) -> list[Path]:
    """The .tf files beneath ``directory``, leaving out hidden files and folders (.terraform caches).

    A folder that cannot be listed, or a .tf name that is not a readable file (a dangling link), is a
    PolicyError: checkov would pass over it without a word, and its resources would go unchecked.
    """
    found = []
    for folder, subfolders, files in os.walk(directory, onerror=_unlistable):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in files:
            path = Path(folder) / name
            if name.endswith(".tf") and not name.startswith("."):
                if not path.is_file():
                    raise PolicyError(
                        f"{shown(str(path), 200)} is not a readable file (a dangling link?), so checkov "
                        "would pass over it; restore it, or remove it from the scanned folder"
                    )
                found.append(path)
    return sorted(found)


def _unlistable(error: OSError) -> None:
    raise PolicyError(
        f"{shown(str(error.filename), 200)}: cannot list this folder ({error.strerror}), so its Terraform "
        "would go unchecked; make it readable, or scan a folder without it"
    ) from error


def units(paths: Iterable[Path], split: bool = False) -> list[Unit]:
    """One unit per path; with ``split``, a path with no .tf file of its own (``modules``) becomes one unit
    per subdirectory holding .tf files (``modules/kms``, ...). Biggest first."""
    found: list[Unit] = []
    for path in paths:
        children = [c for c in sorted(path.iterdir()) if c.is_dir() and not c.name.startswith(".")]
        if split and not any(path.glob("*.tf")) and children:
            found += [Unit(c, len(tf_files(c))) for c in children if tf_files(c)]
        else:
            found.append(Unit(path, len(tf_files(path))))
    return sorted(found, key=lambda u: -u.tf_files)


def command(checkov: Path, root: Path, unit: Unit) -> list[str]:
    return [str(checkov), *config_args(root), "--output", "json", "--directory", str(unit.path)]


def environment() -> dict[str, str]:
    """checkov's environment: the caller's, with its log lines on (``LOGGING_ENV``) and the policy settings
    override as an absolute path (checkov runs from the assets root, not the caller's folder)."""
    env = {**os.environ, **LOGGING_ENV}
    override = settings.override_path()
    env.pop(settings.CONFIG_ENV, None)
    if override is not None:
        env[settings.CONFIG_ENV] = str(override)
    return env


def run_unit(checkov: Path, root: Path, unit: Unit) -> UnitResult:
    """Run checkov over one unit from the repo root. Exit code 1 means failed checks, not an error."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            command(checkov, root, unit),
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            env=environment(),
        )
    except OSError as exc:
        raise ToolchainError(f"could not run {checkov}: {exc}; run `make setup`") from exc
    documents = parse.documents(done.stdout)
    if done.returncode not in (0, 1) or not documents:
        tail = "\n".join(done.stderr.strip().splitlines()[-STDERR_TAIL:]) or "(no stderr)"
        raise ToolchainError(
            f"checkov crashed on {unit.path} (exit code {done.returncode}, "
            f"{'no' if not documents else len(documents)} JSON report); its stderr ends:\n{tail}"
        )
    broken = check_errors(done.stderr, unit.path, root)
    if broken:
        LOGGER.debug("checkov's stderr on %s:\n%s", unit.path, done.stderr)
        raise ToolchainError(
            f"checkov could not run every check over {parse.display_path(unit.path, root)}: it leaves a "
            "check that raises or does not load out of its report, so this scan proves nothing:\n  "
            + "\n  ".join(broken)
            + "\nfix the check, or skip it on that resource with #checkov:skip=<CHECK_ID>:<reason>; "
            "`launchpad -v policy` shows checkov's traceback"
        )
    return UnitResult(unit, documents, time.monotonic() - started)


def check_errors(stderr: str, unit_dir: Path, root: Path) -> list[str]:
    """One line per check that raised on some resource, or did not load, as checkov's stderr tells it:
    ``CKV_LP_009 raised on 7 resource(s), e.g. <file>:<resource>: <exception>``."""
    lines = stderr.splitlines()
    raised: dict[str, list[tuple[str, str]]] = {}
    not_loaded = []
    for index, line in enumerate(lines):
        if failed := CHECK_RAISED.search(line):
            where = parse.display_path(unit_dir / failed.group(2).strip().lstrip("/"), root)
            raised.setdefault(failed.group(1), []).append((where, _exception(lines, index)))
        elif missing := CHECK_NOT_LOADED.search(line):
            file = parse.display_path(Path(missing.group(2).strip()), root)
            not_loaded.append(f"{_plain(file)} did not load: {_exception(lines, index)}")
    return not_loaded + [
        f"{_plain(check_id)} raised on {len(found)} resource(s), e.g. {_plain(found[0][0])}: {found[0][1]}"
        for check_id, found in sorted(raised.items())
    ]


def _exception(lines: list[str], index: int) -> str:
    """The exception of the traceback logged after ``lines[index]``: the first line of the last one."""
    found, armed = "", False
    for line in lines[index + 1 :]:
        if LOG_LINE.match(line):
            break
        if line.startswith("Traceback"):
            found, armed = "", True
        elif armed and not found and line.strip() and not line.startswith((" ", "\t")):
            found = line.strip()
    return _plain(found) if found else "(no traceback)"


def _plain(text: str, limit: int = 200) -> str:
    """``text`` as is, unless long or holding characters a terminal acts on: then quoted by ``shown``."""
    return text if len(text) <= limit and not hidden_characters(text) else shown(text, limit)


def scan(root: Path, planned: list[Unit], jobs: int) -> list[UnitResult]:
    """Every unit, ``jobs`` checkov processes at a time, logging each as it ends; results in unit order."""
    checkov = find_checkov(root)
    LOGGER.info("checkov %s: %d unit(s), %d at a time", checkov, len(planned), jobs)
    results: dict[Path, UnitResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_unit, checkov, root, unit) for unit in planned]
        for future in as_completed(futures):
            if future.exception():
                for pending in futures:
                    pending.cancel()  # units not started yet; the running ones finish
            result = future.result()
            results[result.unit.path] = result
            LOGGER.info(
                "checkov [%d/%d] %s: %d result(s) in %.1f s",
                len(results),
                len(planned),
                result.unit.path,
                sum(parse.result_count(d) for d in result.documents),
                result.seconds,
            )
    return [results[unit.path] for unit in planned]
