"""Where launchpad finds its assets (modules, policies, the project template, examples) and keeps its local,
git-ignored state (sandbox pid/log files, Terraform CLI config).

The assets are read from one place, whichever way launchpad is installed:

- editable, from a checkout: the checkout's own ``modules/``, ``policies/``, ``cookiecutter-model/``,
  ``docs/examples/`` and ``.checkov.yaml``;
- from the wheel: the same tree, copied into the package as ``launchpad/_assets/`` when the wheel is built
  (``setup.py``), with the same layout, so everything below reads it the same way.

What only a checkout has (the platform's root stacks under ``terraform/``, the benchmarks) is reached through
``checkout_root()``, which says so when launchpad runs from a wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

from launchpad.errors import ToolchainError

STATE_DIR_ENV = "LAUNCHPAD_STATE_DIR"
PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_ASSETS = PACKAGE_DIR / "_assets"  # written by setup.py's build_py into the wheel only
CHECKOUT = PACKAGE_DIR.parents[1]  # scripts/launchpad -> the checkout, for an editable install
# What the wheel carries, relative to the assets root (the checkout's root); setup.py copies exactly these.
ASSETS = ("modules", "policies", "cookiecutter-model", "docs/examples", ".checkov.yaml")


class AssetsMissingError(ToolchainError):
    """launchpad's assets (or a checkout it needs) are not where this installation keeps them."""


def state_dir() -> Path:
    """The state folder: ``$LAUNCHPAD_STATE_DIR`` if set, else ``.launchpad`` in the working directory."""
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured) if configured else Path.cwd() / ".launchpad"


def _is_checkout(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "modules").is_dir()


def installed_from_checkout() -> bool:
    """True for an editable install (the package is ``scripts/launchpad`` of a checkout)."""
    return not PACKAGED_ASSETS.is_dir() and _is_checkout(CHECKOUT)


def assets_root() -> Path:
    """The folder holding ``modules/``, ``policies/``, ``cookiecutter-model/``, ``docs/examples/`` and
    ``.checkov.yaml``: the packaged copy in a wheel install, else the checkout."""
    if PACKAGED_ASSETS.is_dir():
        return PACKAGED_ASSETS
    if _is_checkout(CHECKOUT):
        return CHECKOUT
    raise AssetsMissingError(
        f"launchpad's assets are missing: neither {PACKAGED_ASSETS} (a wheel install) nor a checkout at "
        f"{CHECKOUT} (an editable install); reinstall launchpad"
    )


def checkout_root() -> Path:
    """The launchpad checkout of an editable install; what needs one (root stacks, bench, the test harness)
    says so when launchpad runs from a wheel."""
    if installed_from_checkout():
        return CHECKOUT
    raise AssetsMissingError(
        "this needs a launchpad checkout (git clone, then `make setup`): the installed package carries the "
        "modules, policies and project template, not the platform's root stacks or the test harness"
    )


def repo_root() -> Path:
    """The launchpad checkout this package was installed from (editable install); see ``checkout_root``."""
    return checkout_root()


def modules_dir() -> Path:
    return assets_root() / "modules"


def policies_dir() -> Path:
    return assets_root() / "policies"


def template_dir() -> Path:
    """The cookiecutter template ``launchpad new`` bakes."""
    return assets_root() / "cookiecutter-model"


def examples_dir() -> Path:
    """``docs/examples``: the example stage configs and model card (the sandbox's seeds read them)."""
    return assets_root() / "docs" / "examples"


def stacks_dir() -> Path:
    """The platform's root stacks (``terraform/``): in a checkout only."""
    return checkout_root() / "terraform"
