"""Where a report came from: the git commit of the scanned files (when there is a git checkout)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(root: Path, paths: list[Path]) -> str | None:
    """``HEAD``'s commit, marked when the scanned paths differ from it; None outside a git checkout."""
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return None
    changes = _git(root, "status", "--porcelain", "--", *(str(p) for p in paths))
    return f"{commit} (plus uncommitted changes)" if changes else commit
