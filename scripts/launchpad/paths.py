"""Where launchpad keeps its local, git-ignored state (sandbox pid/log files, Terraform CLI config)."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "LAUNCHPAD_STATE_DIR"


def state_dir() -> Path:
    """The state folder: ``$LAUNCHPAD_STATE_DIR`` if set, else ``.launchpad`` in the working directory."""
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured) if configured else Path.cwd() / ".launchpad"


def repo_root() -> Path:
    """The launchpad checkout this package was installed from (editable install)."""
    return Path(__file__).resolve().parents[2]


def modules_dir() -> Path:
    return repo_root() / "modules"
