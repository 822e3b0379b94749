"""``make release``: one launchpad version's artifacts in one folder, with their SHA-256 sums and an SBOM.

Refused before anything is written: a version that is not ``MAJOR.MINOR.PATCH`` (a ``.dev``, ``+dirty`` or
``v``-prefixed string), a version other than ``scripts/launchpad/VERSION``'s, a CHANGELOG.md without an entry
for it or not in the Keep a Changelog format, an output folder that already holds files. The release is built
from the files git tracks (as committed or edited, never untracked ones) in a scratch copy, into a scratch
folder, and moved to the output folder only when every artifact is there and SHA256SUMS verifies.
"""

from __future__ import annotations

import datetime
import logging
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from launchpad.errors import ReleaseError
from launchpad.quoting import shown
from launchpad.release import changelog
from launchpad.release.artifacts import SUMS, modules_archive, verify_sums, write_sums
from launchpad.release.distributions import build_all
from launchpad.release.sbom import find_tool, write_sbom

log = logging.getLogger(__name__)
RELEASE_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", re.ASCII)
VERSION_FILE = Path("scripts/launchpad/VERSION")
CHANGELOG = Path("CHANGELOG.md")


@dataclass(frozen=True)
class Release:
    version: str
    out_dir: Path
    artifacts: tuple[Path, ...]  # every file SHA256SUMS lists
    sums: Path


def source_version(root: Path) -> str:
    """The version written in ``scripts/launchpad/VERSION`` of the checkout ``root``."""
    path = root / VERSION_FILE
    if not path.is_file():
        raise ReleaseError(f"{root} has no {VERSION_FILE}: run the release in launchpad's checkout")
    return path.read_text(encoding="utf-8").strip()


def check(root: Path, version: str) -> changelog.Entry:
    """The CHANGELOG entry of ``version``, after every check a release makes before it writes anything."""
    if not RELEASE_VERSION.fullmatch(version):
        raise ReleaseError(
            f"{shown(version)} is not a release version: write MAJOR.MINOR.PATCH (e.g. 1.2.0), without a "
            "'v', a pre-release, a .dev or a +local part, in scripts/launchpad/VERSION"
        )
    written = source_version(root)
    if version != written:
        raise ReleaseError(
            f"releasing {version}, and {VERSION_FILE} says {written!r}: bump the file, the one place the "
            "version is written (RELEASING.md)"
        )
    return changelog.entry(root / CHANGELOG, version)


def build_release(root: Path, out_dir: Path, version: str | None = None) -> Release:
    """Build the release of ``version`` (default: the checkout's) of the checkout ``root`` into
    ``out_dir``: the sdist and wheel of every distribution, ``launchpad-modules-<version>.tar.gz``, the SBOM
    ``launchpad-<version>.cdx.json`` and ``SHA256SUMS`` over them. ``ReleaseError`` on bad input, with
    nothing written."""
    version = version or source_version(root)
    entry = check(root, version)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ReleaseError(f"{out_dir} already holds files (an earlier release?): remove them first")
    epoch = source_date_epoch(entry.date)
    sbom_tool = find_tool(root)
    files = tracked_files(root)
    with tempfile.TemporaryDirectory(prefix="launchpad-release-") as scratch:
        tree = _export(root, files, Path(scratch) / "tree")
        staging = Path(scratch) / "out"
        staging.mkdir()
        built = build_all(tree, staging, epoch)
        _check_versions(built, version)
        artifacts = [*built, modules_archive(tree, files, version, staging, epoch)]
        artifacts.append(write_sbom(tree, version, staging, epoch, sbom_tool))
        write_sums(staging, artifacts)
        problems = verify_sums(staging)
        if problems:
            raise ReleaseError(f"{SUMS} does not verify: " + "; ".join(problems))
        out_dir.mkdir(parents=True, exist_ok=True)
        moved = tuple(Path(shutil.move(path, out_dir / path.name)) for path in artifacts)
        sums = Path(shutil.move(staging / SUMS, out_dir / SUMS))
    for path in (*moved, sums):
        log.info("wrote %s", path)
    return Release(version, out_dir, moved, sums)


def source_date_epoch(date: datetime.date) -> int:
    """Every timestamp in the artifacts: the release date's midnight UTC (the same inputs, the same bytes)."""
    return int(datetime.datetime.combine(date, datetime.time(), datetime.UTC).timestamp())


def tracked_files(root: Path) -> list[str]:
    """The paths git tracks in ``root`` (relative, sorted) that exist in the work tree."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReleaseError(
            f"cannot list the files git tracks in {root} (a release is made from a checkout): {exc}"
        ) from exc
    paths = sorted(p for p in done.stdout.split("\0") if p)
    return [p for p in paths if (root / p).is_file() or (root / p).is_symlink()]


def _export(root: Path, files: list[str], tree: Path) -> Path:
    for relative in files:
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target, follow_symlinks=False)
    return tree


def _check_versions(built: list[Path], version: str) -> None:
    """Every distribution carries the release's version (a second pyproject that does not read VERSION
    through its symlink would not)."""
    wrong = []
    for path in built:
        name, found = (
            parse_wheel_filename(path.name)[:2] if path.suffix == ".whl" else parse_sdist_filename(path.name)
        )
        if found != Version(version):
            wrong.append(f"{path.name} ({name} {found})")
    if wrong:
        raise ReleaseError(
            f"not every distribution is version {version}: {', '.join(wrong)}; each pyproject.toml reads "
            "its version from scripts/launchpad/VERSION"
        )
