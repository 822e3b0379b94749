"""`make lint` (ruff's lint and format check, mypy) as a test of the suite: `make test` fails on what it
finds, and the ~30 s it takes run on a worker beside the other tests instead of before all of them."""

from __future__ import annotations

import os
import subprocess

from launchpad.paths import repo_root


def test_make_lint_is_clean() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    done = subprocess.run(
        ["make", "--no-print-directory", "lint"],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, f"`make lint` failed:\n{done.stdout}{done.stderr}"
