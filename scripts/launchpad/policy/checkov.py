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
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchpad.errors import ToolchainError
from launchpad.policy import parse

LOGGER = logging.getLogger(__name__)
CHECKOV_ENV = "LAUNCHPAD_CHECKOV"
CONFIG_FILE = ".checkov.yaml"
STDERR_TAIL = 20  # lines of checkov's stderr quoted when it crashes


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
    """The .tf files beneath ``directory``, leaving out hidden folders (.terraform caches)."""
    return sorted(
        p
        for p in directory.rglob("*.tf")
        if not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


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


def run_unit(checkov: Path, root: Path, unit: Unit) -> UnitResult:
    """Run checkov over one unit from the repo root. Exit code 1 means failed checks, not an error."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            command(checkov, root, unit), cwd=root, capture_output=True, text=True, check=False
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
    return UnitResult(unit, documents, time.monotonic() - started)


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
