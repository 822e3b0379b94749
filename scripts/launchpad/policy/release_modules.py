"""launchpad's Terraform modules as a model project calls them, and how to reach them without the network.

A baked project pins each module to a release: ``source = "git::<repo>.git//modules/<name>?ref=v<version>"``.
Scanners that do not download modules (checkov here, with ``download-external-modules: false``) would then
check the project's own few resources and none of the modules' resources it creates. The launchpad that
``make setup`` installs in the project is that same release, so ``localized`` points the sources at its
``modules/`` in a copy of the stack: the policy check then sees every resource the stack would create, with
the values the project passes in.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from launchpad import __version__
from launchpad.errors import PolicyError
from launchpad.paths import modules_dir
from launchpad.policy.checkov import tf_files
from launchpad.terraform import module_source

RELEASE_SOURCE = re.compile(
    r'(?P<key>source\s*=\s*)"git::(?P<repo>[^"]+?)\.git//modules/(?P<module>[a-z0-9-]+)\?ref=v(?P<ref>[^"]+)"'
)


def pinned(folder: Path) -> dict[str, str]:
    """module name -> the release version the ``.tf`` files beneath ``folder`` pin it to."""
    return {
        match["module"]: match["ref"]
        for tf_file in tf_files(folder)
        for match in RELEASE_SOURCE.finditer(tf_file.read_text())
    }


def localize(folder: Path, version: str = __version__) -> dict[str, str]:
    """Rewrite, in place, the launchpad module sources beneath ``folder`` to this checkout's ``modules/``;
    returns what was pinned. ``PolicyError`` when a pin is another release or a module launchpad lacks."""
    found = pinned(folder)
    problems = [
        f"{name}: pinned to v{ref}, and this launchpad is {version} (run the check with the launchpad the "
        f"project pins: make setup)"
        for name, ref in found.items()
        if ref != version
    ] + [f"{name}: launchpad has no such module" for name in found if not (modules_dir() / name).is_dir()]
    if problems:
        raise PolicyError(f"cannot resolve the module sources of {folder}:\n  " + "\n  ".join(problems))

    def local(match: re.Match[str]) -> str:
        return f'{match["key"]}"{module_source(modules_dir() / match["module"])}"'

    for tf_file in tf_files(folder):
        text = tf_file.read_text()
        rewritten = RELEASE_SOURCE.sub(local, text)
        if rewritten != text:
            tf_file.write_text(rewritten)
    return found


@contextmanager
def localized(folder: Path) -> Iterator[Path]:
    """A temporary copy of ``folder`` (same name) whose launchpad module sources are local."""
    with tempfile.TemporaryDirectory(prefix="launchpad-stack-") as scratch:
        copy = Path(scratch) / folder.name
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".*", "*.tfstate*"))
        localize(copy)
        yield copy
