"""Canned checkov output for the policy tests, and a fake checkov that replays it.

The ``checkov-*.json`` files are real checkov 3.3.30 output (``--framework terraform --skip-download
--output json``) over ``tf/`` and its folders, with the repo's absolute path replaced by ``@ROOT@``. They are
recorded from this folder, not the repo root, so checkov does not read the repo's .checkov.yaml and the
recordings hold checkov's built-in checks only. Re-record with ``python -m tests.unit.policy_data.canned``:

- ``checkov-tf.json``: ``-d tests/unit/policy_data/tf``;
- ``checkov-app.json`` / ``checkov-lib.json``: ``-d`` of each folder alone;
- ``checkov-app-lib.json``: ``-d .../app -d .../lib`` in one process, which shows bridgecrewio/checkov#7327:
  two documents, both about ``app`` only, the second with every result twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from launchpad.paths import repo_root
from launchpad.policy import parse

DATA = Path(__file__).resolve().parent
FIXTURE = DATA / "tf"
CONTROLS = DATA / "controls.yaml"
ROOT_TOKEN = "@ROOT@"
RECORDINGS = {
    "checkov-tf.json": [FIXTURE],
    "checkov-app.json": [FIXTURE / "app"],
    "checkov-lib.json": [FIXTURE / "lib"],
    "checkov-app-lib.json": [FIXTURE / "app", FIXTURE / "lib"],
}


def text(name: str) -> str:
    return (DATA / name).read_text().replace(ROOT_TOKEN, str(repo_root()))


def documents(name: str) -> list[dict[str, Any]]:
    return parse.documents(text(name))


def fake_checkov(directory: Path, *, exit_code: int = 1, stderr: str = "", stdout: str | None = None) -> Path:
    """An executable that answers like checkov: the canned report of the folder it is given (by its name),
    or ``stdout``; then ``stderr`` and ``exit_code``. It also appends its arguments to ``calls.txt``."""
    script = directory / "fake-checkov"
    script.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        "args = sys.argv[1:]\n"
        "here = pathlib.Path(__file__).parent\n"
        "with open(here / 'calls.txt', 'a') as calls:\n"
        "    calls.write(' '.join(args) + '\\n')\n"
        f"canned = pathlib.Path({str(DATA)!r}) / ('checkov-' + pathlib.Path(args[-1]).name + '.json')\n"
        f"out = {stdout!r}\n"
        "if out is None:\n"
        f"    out = canned.read_text().replace({ROOT_TOKEN!r}, {str(repo_root())!r})\n"
        "sys.stdout.write(out)\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return script


def record() -> None:
    """Run the real checkov and rewrite the recordings."""
    root = repo_root()
    checkov = root / ".tools" / "checkov" / "bin" / "checkov"
    for name, folders in RECORDINGS.items():
        folder_args = [arg for folder in folders for arg in ("-d", str(folder.relative_to(DATA)))]
        done = subprocess.run(
            [str(checkov), "--framework", "terraform", "--skip-download", "--output", "json", *folder_args],
            cwd=DATA,  # no .checkov.yaml here: built-in checks only
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "LOG_LEVEL": "WARNING"},
        )
        found = parse.documents(done.stdout)
        assert found, done.stderr
        (DATA / name).write_text(done.stdout.replace(str(root), ROOT_TOKEN))
        print(f"{name}: exit {done.returncode}, {len(found)} document(s)")


if __name__ == "__main__":
    record()
