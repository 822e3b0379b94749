"""The oldest Python launchpad supports is one number: what pyproject.toml requires is what the serving
distribution, the tools' settings, both Makefiles, the README and the baked project say, and `make setup`
refuses an older interpreter with that number before it creates anything."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

from launchpad.paths import repo_root

ROOT = repo_root()
TEMPLATE = ROOT / "cookiecutter-model" / "{{cookiecutter.project_slug}}"


def floor() -> str:
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=(3\.\d+)", required)
    assert match, f"requires-python {required!r} is not >=3.N"
    return match.group(1)


def test_every_place_that_names_the_python_floor_names_the_same_one() -> None:
    version = floor()
    compact = version.replace(".", "")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    said = {
        "scripts/serving/pyproject.toml requires-python": tomllib.loads(
            (ROOT / "scripts" / "serving" / "pyproject.toml").read_text()
        )["project"]["requires-python"],
        "template pyproject.toml requires-python": _rendered_requires_python(),
        "[tool.ruff] target-version": pyproject["tool"]["ruff"]["target-version"],
        "[tool.mypy] python_version": pyproject["tool"]["mypy"]["python_version"],
        "Makefile PYTHON_FLOOR": _make_variable(ROOT / "Makefile", "PYTHON_FLOOR"),
        "template Makefile PYTHON_FLOOR": _make_variable(TEMPLATE / "Makefile", "PYTHON_FLOOR"),
        "README": _one(r"Needs Python >= (3\.\d+)", (ROOT / "README.md").read_text()),
        "template Dockerfile": _one(r"FROM python:(3\.\d+)-", (TEMPLATE / "Dockerfile").read_text()),
        "template buildspec.yml": _one(r"python: (3\.\d+)", (TEMPLATE / "buildspec.yml").read_text()),
        "template CI workflow": _one(
            r'python-version: "(3\.\d+)"', (TEMPLATE / ".github" / "workflows" / "ci.yml").read_text()
        ),
    }
    expected = {
        "scripts/serving/pyproject.toml requires-python": f">={version}",
        "template pyproject.toml requires-python": f">={version}",
        "[tool.ruff] target-version": f"py{compact}",
        "[tool.mypy] python_version": version,
    }
    wrong = {where: value for where, value in said.items() if value != expected.get(where, version)}
    assert not wrong, f"pyproject.toml requires Python >= {version}; these say otherwise: {wrong}"


def test_make_setup_refuses_an_older_python_before_creating_anything(tmp_path: Path) -> None:
    old = tmp_path / "python3.9"
    old.write_text('#!/bin/sh\n[ "$1" = -V ] && echo "Python 3.9.18" && exit 0\nexit 1\n')
    old.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "--no-print-directory", f"VENV={venv}", f"PYTHON={old}", f"{venv}/bin/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode != 0
    assert f"error: {old} is Python 3.9.18; launchpad needs >= {floor()}" in done.stdout + done.stderr
    assert not venv.exists()


def _rendered_requires_python() -> str:
    text = (TEMPLATE / "pyproject.toml").read_text()
    return _one(r'requires-python = "([^"]+)"', text)


def _make_variable(makefile: Path, name: str) -> str:
    return _one(rf"(?m)^{name} :?= ([0-9.]+)", makefile.read_text())


def _one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text)
    assert len(set(found)) == 1, f"{pattern!r} found {found}"
    return str(found[0])
