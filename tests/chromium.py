"""Debian's headless Chromium for the browser tests (installed by `make setup`): where it is, the flags this
machine needs, and where screenshots are kept.

The flags: headless, no sandbox (tests run as root), no GPU, and no background networking, component updates
or sync, whose connections this machine's closed network refuses, many at a time."""

from __future__ import annotations

import shutil

import pytest

from launchpad.paths import repo_root

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
ARTIFACTS = repo_root() / "build" / "test-artifacts"  # git-ignored; kept after the run


def chromium() -> str:
    """The chromium executable, or the test fails saying how to install it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: run make setup (it installs Debian's chromium)")
    return path
