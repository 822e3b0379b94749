"""Packs launchpad's assets into the wheel: the rest of the build is declared in pyproject.toml.

The checkout keeps ``modules/``, ``policies/``, ``cookiecutter-model/``, ``docs/examples/`` and
``.checkov.yaml`` at its root (that layout is fixed); the wheel carries a copy of them as
``launchpad/_assets/`` with the same layout, which ``launchpad.paths`` reads. The sdist carries them at its
root (MANIFEST.in), so a wheel built from the sdist gets the same copy. An editable install copies nothing:
``launchpad.paths`` reads the checkout itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Keep in step with launchpad.paths.ASSETS (tests/unit/test_distributions.py checks it) and MANIFEST.in.
ASSETS = ("modules", "policies", "cookiecutter-model", "docs/examples", ".checkov.yaml")
# Local state a working tree may hold next to the assets (all git-ignored): never shipped.
IGNORED = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "*.tfplan", "__pycache__", "*.pyc"
)


class BuildWithAssets(build_py):
    """``build_py`` plus the copy of the assets into ``launchpad/_assets`` of the build tree."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "launchpad" / "_assets"
        shutil.rmtree(target, ignore_errors=True)
        for name in ASSETS:
            source = ROOT / name
            if not source.exists():
                raise FileNotFoundError(f"{source} is missing: launchpad's wheel carries it")
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, ignore=IGNORED)
            else:
                shutil.copy2(source, destination)


setup(cmdclass={"build_py": BuildWithAssets})
