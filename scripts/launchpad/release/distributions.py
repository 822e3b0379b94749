"""Build the Python distributions of this repository, each as an sdist and a wheel made from that sdist
(as ``python -m build`` does, so the sdist is proven complete), in one isolated build environment whose
backend is pinned by ``requirements-build.lock``."""

from __future__ import annotations

import logging
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from build import BuildBackendException, ProjectBuilder
from build.env import DefaultIsolatedEnv

from launchpad.errors import ReleaseError

log = logging.getLogger(__name__)
BUILD_LOCK = "requirements-build.lock"
# The distributions, in one place: the repository's own pyproject.toml (launchpad) and every project
# folder under scripts/ (launchpad-serving in scripts/serving/ and any that follow).
DISTRIBUTION_PATTERNS = ("pyproject.toml", "scripts/*/pyproject.toml")


def distributions(tree: Path) -> list[Path]:
    """The project folders of ``tree`` that are distributions, the root first."""
    found = [path.parent for pattern in DISTRIBUTION_PATTERNS for path in sorted(tree.glob(pattern))]
    if not found or found[0] != tree:
        raise ReleaseError(f"{tree} has no pyproject.toml: run the release from launchpad's checkout")
    return found


def build_all(tree: Path, out_dir: Path, source_date_epoch: int) -> list[Path]:
    """The sdist and wheel of every distribution of ``tree`` in ``out_dir``; their paths."""
    pins = _pins(tree / BUILD_LOCK)
    environ = {"SOURCE_DATE_EPOCH": str(source_date_epoch)}
    built: list[Path] = []
    installed: set[frozenset[str]] = set()  # what the environment was given: each set once (pip costs ~1 s)
    with DefaultIsolatedEnv() as env, tempfile.TemporaryDirectory(prefix="launchpad-sdist-") as scratch:
        for project in distributions(tree):
            sdist = _build(env, project, "sdist", out_dir, pins, environ, installed)
            unpacked = _unpack(sdist, Path(scratch))
            built += [sdist, _build(env, unpacked, "wheel", out_dir, pins, environ, installed)]
    return built


def _build(
    env: DefaultIsolatedEnv,
    project: Path,
    distribution: Literal["sdist", "wheel"],
    out_dir: Path,
    pins: Sequence[str],
    environ: Mapping[str, str],
    installed: set[frozenset[str]],
) -> Path:
    def runner(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        subprocess.run(
            cmd,
            cwd=cwd,
            env={**os.environ, **(extra_environ or {}), **environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=True,
        )

    builder = ProjectBuilder.from_isolated_env(env, project, runner=runner)

    def install(requirements: set[str]) -> None:
        wanted = frozenset(requirements)
        if wanted and wanted not in installed:  # the same set again would change nothing
            env.install(wanted, constraints=pins)
            installed.add(wanted)

    try:
        install(builder.build_system_requires)
        install(builder.get_requires_for_build(distribution))
        built = Path(builder.build(distribution, out_dir))
    except BuildBackendException as exc:
        output = getattr(exc.exception, "output", b"") or b""
        tail = "\n".join(output.decode(errors="replace").splitlines()[-30:])
        raise ReleaseError(f"building the {distribution} of {project.name} failed: {exc}\n{tail}") from exc
    except subprocess.CalledProcessError as exc:  # pip could not install the pinned backend
        said = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-10:]
        raise ReleaseError(
            f"installing the build backend of {project.name} with the pins of {BUILD_LOCK} failed "
            f"(does it satisfy [build-system] requires?): {exc}\n" + "\n".join(said)
        ) from exc
    log.info("built %s", built.name)
    return built


def _pins(lock: Path) -> list[str]:
    if not lock.is_file():
        raise ReleaseError(f"{lock} is missing: it pins the build backend (setuptools) of every release")
    return [
        line.strip() for line in lock.read_text().splitlines() if "==" in line and not line.startswith("#")
    ]


def _unpack(sdist: Path, scratch: Path) -> Path:
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(scratch, filter="data")
        else:  # Python < 3.10.12 has no extraction filters; the sdist is the one just built
            tar.extractall(scratch)
    return scratch / sdist.name.removesuffix(".tar.gz")
