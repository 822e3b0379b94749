"""Building launchpad's distributions from a copy of this checkout and installing them in fresh virtualenvs.

The dependencies come from a wheelhouse of the locked versions (``requirements.lock`` as constraints),
kept at ``$LAUNCHPAD_WHEELHOUSE`` (default ``~/.cache/launchpad/wheelhouse``): filled from the package index
the first time, offline after. No install here asks an index for ``launchpad`` or ``launchpad-serving``:
PyPI has an unrelated ``launchpad``, so they come only from the wheels built here (``--no-index``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
import tomllib
import venv
from dataclasses import dataclass, field
from pathlib import Path

from launchpad.paths import repo_root

LOG = logging.getLogger(__name__)
CHECKOUT = repo_root()
LOCK = CHECKOUT / "requirements.lock"
SERVING = Path("scripts") / "serving"
WHEELHOUSE_ENV = "LAUNCHPAD_WHEELHOUSE"
# Besides launchpad's and launchpad-serving's own dependencies: the default bake's (scikit-learn) and its
# dev tools, for its `make test` (the lock's versions, which the template pins: test_matrix.py), and the
# build frontend and backend.
PROJECT_REQUIREMENTS = ("numpy", "scikit-learn", "joblib", "pytest", "ruff")
BUILD_REQUIREMENTS = ("build", "setuptools>=68")  # build: the lock's version (the dev extra's pin)
RUN_SECONDS = 900


def version() -> str:
    """The version both distributions are built at: scripts/launchpad/VERSION, the one version source."""
    return (CHECKOUT / "scripts" / "launchpad" / "VERSION").read_text(encoding="utf-8").strip()


def dependencies(pyproject: Path) -> list[str]:
    return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])


def requirements() -> list[str]:
    """Every requirement the fresh environments install, but launchpad's own two distributions."""
    own = [r for r in dependencies(CHECKOUT / "pyproject.toml") if not r.startswith("launchpad-serving")]
    return [*own, *dependencies(CHECKOUT / SERVING / "pyproject.toml"), *PROJECT_REQUIREMENTS]


def wheelhouse() -> Path:
    configured = os.environ.get(WHEELHOUSE_ENV)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(configured) if configured else cache / "launchpad" / "wheelhouse"


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``command``, its output captured; an ``AssertionError`` with the end of it when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=RUN_SECONDS, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        raise AssertionError(f"{' '.join(command)} exited with {done.returncode}:\n{output}")
    return done


def fill_wheelhouse(folder: Path) -> None:
    """The wheelhouse holds every locked requirement: checked offline, downloaded only if it does not."""
    folder.mkdir(parents=True, exist_ok=True)
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    download += ["--dest", str(folder), "--constraint", str(LOCK), *requirements(), *BUILD_REQUIREMENTS]
    offline = subprocess.run(
        [*download, "--no-index", "--find-links", str(folder)], capture_output=True, check=False
    )
    if offline.returncode != 0:
        LOG.info("filling the wheelhouse %s from the package index", folder)
        run(download)


def copy_checkout(destination: Path) -> Path:
    """The checkout's files git knows of (tracked, or new and not ignored), copied: no local state."""
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=CHECKOUT
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = CHECKOUT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def new_venv(folder: Path, wheels: Path, requirements: list[str], *find_links: Path) -> Path:
    """A virtualenv with ``requirements`` installed offline (this process's pip, no bytecode compiled: a
    second's work, where ensurepip and compiling scipy took a minute); its ``bin``."""
    venv.EnvBuilder(with_pip=False, clear=True).create(folder)
    pip = [sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python"), "install", "--quiet"]
    pip += ["--disable-pip-version-check", "--no-compile", "--no-index", "--constraint", str(LOCK)]
    pip += [f"--find-links={links}" for links in (*find_links, wheels)]
    run([*pip, *requirements], env=_without_pythonpath())
    return folder / "bin"


def _without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def build(python: Path, source: Path, dist: Path) -> None:
    """The sdist, then the wheel built from that sdist (``python -m build``'s default), with the build
    environment's pinned setuptools (no isolated environment per build: they cost 10 s each)."""
    run(
        [str(python), "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        env=_without_pythonpath(),
    )


@dataclass
class Installed:
    """A fresh virtualenv with launchpad's wheels in it, run from ``cwd`` (outside the checkout)."""

    venv: Path
    cwd: Path
    checkout: Path = CHECKOUT
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def run(
        self,
        command: list[str],
        env: dict[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        environment = self.env | (env or {})
        if check:
            return run(command, cwd=cwd or self.cwd, env=environment)
        return subprocess.run(
            command,
            cwd=cwd or self.cwd,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=RUN_SECONDS,
        )

    def launchpad(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.bin / "launchpad"), *args], env=env, check=check, cwd=cwd)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.bin / "python"), "-c", code])


def clean_env(venv_dir: Path, home: Path) -> dict[str, str]:
    """This process's environment without a way back to the checkout (PYTHONPATH, the active virtualenv)
    or the settings of the pytest and make running this suite; the fresh venv first on PATH. Bytecode is
    written, as on a user's machine: the venv is installed without it (compiling all of scipy takes a
    minute), so with PYTHONDONTWRITEBYTECODE every command would compile botocore and the rest again."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "MFLAGS", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")
        and not key.startswith(("PYTEST_", "MAKE", "LAUNCHPAD_", "AWS_"))
    }
    config = home / "cookiecutter.yaml"  # cookiecutter's replay files stay in the run's folder
    config.write_text(f'{{"replay_dir": "{home}", "cookiecutters_dir": "{home}/cookiecutters"}}')
    path = os.pathsep.join([str(venv_dir / "bin"), kept.get("PATH", "")])
    python = str(venv_dir / "bin" / "python")  # what the baked project's Makefile runs
    # The sandbox's per-user state goes to the run's folder, never the user's ~/.local/state.
    state = {"XDG_STATE_HOME": str(home / "state")}
    return kept | {"PATH": path, "COOKIECUTTER_CONFIG": str(config), "PYTHON": python} | state


def install(
    root: Path, wheels: Path, requirements: list[str], name: str = "venv", build_dirs: bool = True
) -> Installed:
    """Build both distributions from a copy of the checkout (then deleted), and install ``requirements``
    from their wheels and the wheelhouse, offline, into a fresh virtualenv under ``root``."""
    timings: dict[str, float] = {}
    dist = root / "dist"
    if build_dirs:
        started = time.monotonic()
        builder = new_venv(root / "build-env", wheels, list(BUILD_REQUIREMENTS)) / "python"
        source = copy_checkout(root / "source")
        build(builder, source / SERVING, dist)
        build(builder, source, dist)
        shutil.rmtree(source)  # out of reach: the installed package must not need it
        timings["build (2 sdists, 2 wheels from them)"] = time.monotonic() - started
    started = time.monotonic()
    venv_dir = root / name
    new_venv(venv_dir, wheels, requirements, dist)
    timings["virtualenv and offline install"] = time.monotonic() - started
    home = root / f"{name}-home"
    home.mkdir()
    env = clean_env(venv_dir, home)
    cwd = root / f"{name}-work"
    cwd.mkdir()
    LOG.info("%s: %s", name, ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return Installed(venv_dir, cwd, env=env, timings=timings)
