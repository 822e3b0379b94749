"""The environment the pipeline's builds run in: ``python scripts/build_environment.py ACTION``.

A build without internet (the platform's CodeBuild in a VPC with no NAT) can download nothing, so it runs in
this project's build image (``build-image/Dockerfile``), which holds launchpad, every pinned dependency and
checkov already; ``make setup`` then only checks that environment (``check``) instead of making ``.venv``.

- ``check``: this interpreter can run every target without downloading: Python >= 3.11, launchpad and
  launchpad-serving at the versions requirements-launchpad.txt pins, every dependency pyproject.toml pins
  (the dev extra's too) at its version, the package in src/ (make puts src/ on PYTHONPATH), and checkov at
  ``--checkov``. One line per problem and exit 1, naming what is missing; nothing is installed.
- ``requirements``: pyproject.toml's pins, one a line (the build image installs them).
- ``tag``: the build image's tag, ``deps-<hash>``: the SHA-256 of what decides the image's content (the
  pins of pyproject.toml, requirements-launchpad.txt and requirements-serving.txt, the Dockerfile,
  terraform/versions.tf, this file), not the project's version. It changes exactly when the image must, so
  the platform's ``build_image_tag`` is bumped only then, and an immutable ECR tag always names one content.

Standard library only: it checks an environment that may have nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tomllib
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

from _launchpad import parser as script_parser

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.project_slug }}"
PYTHON_FLOOR = (3, 11)  # pyproject.toml's requires-python
# What the build image installs, and so what its tag hashes (relative to the project).
IMAGE_INPUTS = (
    "pyproject.toml",
    "requirements-launchpad.txt",
    "requirements-serving.txt",
    "build-image/Dockerfile",
    "terraform/versions.tf",
    "scripts/build_environment.py",
)
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")
FIX = (
    "build and push a new build image (make push-build-image) and set its tag as the project's "
    "build_image_tag in the platform, or run make setup without PYTHON (it makes .venv, downloading)"
)


def parser() -> argparse.ArgumentParser:
    command = script_parser(__doc__, "build_environment.py", "{check,requirements,tag} [--checkov PATH]")
    command.add_argument("action", choices=("check", "requirements", "tag"))
    command.add_argument("--checkov", help="checkov's executable (check; default $LAUNCHPAD_CHECKOV)")
    return command


def normal(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_pins(project: Path = PROJECT) -> list[str]:
    """pyproject.toml's requirements: the dependencies, then the dev extra's (each ``name==version``)."""
    document = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*document["dependencies"], *document.get("optional-dependencies", {}).get("dev", [])]


def launchpad_pins(project: Path = PROJECT) -> dict[str, str]:
    """The versions requirements-launchpad.txt (and the requirements-serving.txt it includes) pin."""
    pins = {}
    for name in ("requirements-launchpad.txt", "requirements-serving.txt"):
        for line in (project / name).read_text(encoding="utf-8").splitlines():
            match = PIN.match(line)
            if match:
                pins[normal(match[1])] = match[2]
    return pins


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _matches(installed: str, pinned: str) -> bool:
    """``==pinned`` as pip reads it (PEP 440): a pin without a local label takes any (torch's 2.13.0+cpu)."""
    return installed == pinned or ("+" not in pinned and installed.split("+", 1)[0] == pinned)


def problems(project: Path, checkov: str | None) -> Iterator[str]:
    """What this interpreter's environment lacks to run the project's targets without downloading."""
    if sys.version_info < PYTHON_FLOOR:
        found = ".".join(map(str, sys.version_info[:3]))
        yield f"Python {found} is older than the project's {'.'.join(map(str, PYTHON_FLOOR))}"
    wanted = launchpad_pins(project)
    for requirement in project_pins(project):
        match = PIN.match(requirement)
        if match:  # pyproject.toml pins exactly; the launchpad packages' versions are the requirements files'
            wanted.setdefault(normal(match[1]), match[2])
    for name, version in wanted.items():
        installed = _installed(name)
        if installed is None:
            yield f"{name} {version} is not installed"
        elif not _matches(installed, version):
            yield f"{name} is {installed}, and the project pins {version}"
    if not (project / "src" / PACKAGE / "__init__.py").is_file():
        yield f"the package {PACKAGE} is not in {project / 'src'} (make imports it from there)"
    if not checkov:
        yield "checkov: LAUNCHPAD_CHECKOV is not set (the build image sets it to its checkov)"
    elif not (os.path.isfile(checkov) and os.access(checkov, os.X_OK)):
        yield f"checkov is not at LAUNCHPAD_CHECKOV={checkov} (no executable file there)"


def tag(project: Path = PROJECT) -> str:
    """``deps-`` and 16 hex digits of the SHA-256 of IMAGE_INPUTS, pyproject.toml without its version line."""
    digest = hashlib.sha256()
    for name in IMAGE_INPUTS:
        text = (project / name).read_text(encoding="utf-8")
        if name == "pyproject.toml":
            lines = text.splitlines(keepends=True)
            text = "".join(line for line in lines if not line.startswith("version = "))
        digest.update(f"{name}\n{text}\n".encode())
    return f"deps-{digest.hexdigest()[:16]}"


def main(argv: Sequence[str]) -> int:
    given = parser().parse_args(argv)
    if given.action == "requirements":
        print("\n".join(project_pins()))
        return 0
    if given.action == "tag":
        print(tag())
        return 0
    found = list(problems(PROJECT, given.checkov or os.environ.get("LAUNCHPAD_CHECKOV")))
    if found:
        listed = "\n".join(f"  - {problem}" for problem in found)
        print(f"error: {sys.executable} cannot run this project without downloading:", file=sys.stderr)
        print(f"{listed}\n{FIX}", file=sys.stderr)
        return 1
    print(f"{sys.executable} has everything this project pins, and checkov: nothing to install")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
