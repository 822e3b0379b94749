"""Where launchpad finds its assets (modules, policies, the project template, examples) and keeps its state:
per project, git-ignored (the Terraform CLI config, the root stacks' working copies) and per user (the
sandbox's pid, port and log, so every folder of the machine sees the same sandbox).

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
from launchpad.quoting import hidden_characters, shown

STATE_DIR_ENV = "LAUNCHPAD_STATE_DIR"
XDG_STATE_HOME_ENV = "XDG_STATE_HOME"
PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_ASSETS = PACKAGE_DIR / "_assets"  # written by setup.py's build_py into the wheel only
CHECKOUT = PACKAGE_DIR.parents[1]  # scripts/launchpad -> the checkout, for an editable install
# What the wheel carries, relative to the assets root (the checkout's root); setup.py copies exactly these.
ASSETS = ("modules", "policies", "cookiecutter-model", "docs/examples", ".checkov.yaml")


class AssetsMissingError(ToolchainError):
    """launchpad's assets (or a checkout it needs) are not where this installation keeps them."""


class StateDirError(ToolchainError):
    """The environment names a state folder launchpad cannot use as given (relative, or with characters a
    message or a shell would act on), or no home folder to keep per-user state in."""


def state_dir() -> Path:
    """The project's state folder: ``$LAUNCHPAD_STATE_DIR`` if set, else ``.launchpad`` in the working
    directory. It holds what belongs to the project run from there: the Terraform CLI config ``make setup``
    writes (the README exports ``$PWD/.launchpad/terraform.rc``) and the root stacks' working copies."""
    configured = _configured_dir(STATE_DIR_ENV)
    return configured if configured is not None else _checked(Path.cwd() / ".launchpad", "the current folder")


def unwritable_folder(path: Path) -> tuple[Path, str] | None:
    """Why nothing can be written in ``path``, a folder made if missing: the nearest path up from it that
    exists, and ``"not a folder"`` (a file, a dangling link) or ``"read-only"``; None when it can be."""
    existing = path.absolute()
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return existing, "not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return existing, "read-only"
    return None


def checkout_state_dir() -> Path:
    """State that belongs to the checkout, whatever folder a command runs from: ``$LAUNCHPAD_STATE_DIR`` if
    set, else ``.launchpad`` at the checkout's root. The root stacks' working copies (and so their Terraform
    state on the sandbox) live here, so `launchpad destroy` from a subfolder finds what `apply` made."""
    configured = _configured_dir(STATE_DIR_ENV)
    return configured if configured is not None else assets_root() / ".launchpad"


def user_state_dir() -> Path:
    """The user's state folder, the same from every working directory: ``$LAUNCHPAD_STATE_DIR`` if set, else
    ``$XDG_STATE_HOME/launchpad``, else ``~/.local/state/launchpad`` (the XDG base directory default).

    The sandbox keeps its pid, port and log here: one sandbox serves the checkout and every project baked
    from it, wherever they are. XDG's state folder is meant for exactly this (state that outlives a restart
    of the program, logs); the runtime folder (``$XDG_RUNTIME_DIR``) is not, as it is emptied at logout while
    the sandbox server runs on, and macOS has none."""
    configured = _configured_dir(STATE_DIR_ENV)
    if configured is not None:
        return configured
    xdg = _configured_dir(XDG_STATE_HOME_ENV, relative_ok=True)
    if xdg is not None and xdg.is_absolute():  # the XDG spec: a relative value is invalid, to be ignored
        return xdg / "launchpad"
    try:
        home = Path.home()
    except RuntimeError as exc:  # no HOME and no password-database entry for this user
        raise StateDirError(
            f"launchpad found no home folder to keep the sandbox's state in ({exc}); "
            f"set {STATE_DIR_ENV} to an absolute path, e.g. export {STATE_DIR_ENV}=/tmp/launchpad-$USER"
        ) from exc
    return _checked(home / ".local" / "state" / "launchpad", "the home folder (HOME)")


def _configured_dir(name: str, relative_ok: bool = False) -> Path | None:
    """The folder the environment variable ``name`` names (None when unset or empty), refused when relative
    (it would change with the working directory) or when it holds control, bidi or zero-width characters."""
    value = os.environ.get(name, "")
    if not value:
        return None
    folder = _checked(Path(value), name)
    if not relative_ok and not folder.is_absolute():
        raise StateDirError(
            f"{name}: {shown(value)} is a relative path, so each working directory would have its own; "
            f"write an absolute path, e.g. export {name}=$PWD/{value}"
        )
    return folder


def _checked(folder: Path, source: str) -> Path:
    """``folder`` unless its path holds characters nobody sees as written: a newline would end a ``#`` line
    of ``launchpad sandbox up``'s shell output and run what follows it, a bidi override misstates it."""
    hidden = hidden_characters(str(folder))
    if hidden:
        raise StateDirError(
            f"{source}: the state folder {shown(str(folder))} holds {', '.join(hidden)}, which a shell or a "
            "terminal would act on; use a folder whose path is plain printable text"
        )
    return folder


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
