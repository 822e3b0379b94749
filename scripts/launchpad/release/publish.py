"""``launchpad release publish``: put a built release where the platform's offline builds read it,
``s3://<bucket>/releases/launchpad/<version>/``, after its SHA256SUMS verifies; SHA256SUMS goes last, so a
reader that finds it finds every file it lists."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from launchpad.errors import ReleaseError
from launchpad.release.artifacts import SUMS, read_sums, verify_sums

log = logging.getLogger(__name__)
PREFIX = "releases/launchpad"


def release_prefix(version: str) -> str:
    return f"{PREFIX}/{version}/"


def publish(s3: Any, bucket: str, release_dir: Path, version: str) -> list[str]:
    """Upload the files ``release_dir/SHA256SUMS`` lists, then SHA256SUMS, under the version's prefix in
    ``bucket`` (the bucket's default encryption applies); the keys written. ``ReleaseError`` before any
    upload when the sums do not verify or name another version."""
    problems = verify_sums(release_dir)
    if problems:
        raise ReleaseError(f"{release_dir} is not a verified release: " + "; ".join(problems))
    names = sorted(read_sums(release_dir / SUMS))
    other = [name for name in names if f"-{version}" not in name and f"_{version}" not in name]
    if other:
        raise ReleaseError(f"{release_dir} holds files of another version than {version}: {', '.join(other)}")
    keys = []
    for name in [*names, SUMS]:
        key = release_prefix(version) + name
        s3.upload_file(str(release_dir / name), bucket, key)
        log.info("uploaded s3://%s/%s", bucket, key)
        keys.append(key)
    return keys
