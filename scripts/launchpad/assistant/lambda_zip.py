"""The assistant's Lambda zip: the handler and exactly the launchpad modules it imports, nothing else.

``python -m launchpad.assistant.lambda_zip --zip modules/inference-api/lambda/assistant.zip`` writes it (and
prints its base64 SHA-256, Lambda's ``CodeSha256``); ``--check`` fails if the file is not current.
tests/unit/test_assistant_lambda_zip.py keeps the shipped zip byte for byte in step, and imports the handler
from the zip alone, in a Python without launchpad's environment.

The Lambda Python runtime puts the zip's root on ``sys.path`` and has the standard library and boto3 only
(Lambda Developer Guide, "Working with .zip file archives for Python Lambda functions"), so:

- the modules are found by reading the handler's imports (``ast``), and theirs, transitively: each
  ``launchpad`` module imported is in the zip; any other import must be the standard library's, boto3's or
  botocore's, or the build fails naming it (imports under ``if TYPE_CHECKING:`` are for type checkers and
  are skipped);
- each package's ``__init__.py`` is replaced by a docstring alone: ``launchpad/__init__.py`` reads the
  ``VERSION`` file beside it, and another package's init may import what the function does not need;
- the handler is ``HANDLER`` (``launchpad.assistant.handler.handler``).

The zip is deterministic (``launchpad.monitor.retrain.deterministic_zip``: sorted entries, a fixed time,
mode 0644, stored): the same sources make the same bytes on any machine.
"""

from __future__ import annotations

import argparse
import ast
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from launchpad.monitor.retrain import base64_sha256, deterministic_zip, write_zip

LOG = logging.getLogger(__name__)

HANDLER = "launchpad.assistant.handler.handler"
ENTRY_MODULE = "launchpad.assistant.handler"
PACKAGE = "launchpad"
SCRIPTS = Path(__file__).resolve().parents[2]  # the folder that holds the launchpad package
# What the Lambda Python runtime provides besides the standard library.
RUNTIME_PACKAGES = frozenset({"boto3", "botocore"})
PACKAGE_INIT = (
    '"""{name}: the part of launchpad the assistant\'s Lambda function runs (its zip\'s own init)."""\n'
)


class ZipError(ValueError):
    """A module of the function imports something the Lambda runtime does not have."""


def module_path(name: str, root: Path = SCRIPTS) -> Path | None:
    """The source file of launchpad module ``name`` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, package: str) -> Iterator[str]:
    """The absolute names of what ``tree`` imports (a ``from x import y`` gives ``x`` and ``x.y``), outside
    ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(child, package)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
        yield from _imports(node, package)


def closure(entry: str = ENTRY_MODULE, root: Path = SCRIPTS) -> dict[str, Path]:
    """Every launchpad module ``entry`` imports, transitively, with ``entry``: {module name: source}. Package
    inits are neither included nor read: the zip has its own."""
    found: dict[str, Path] = {}
    seen: set[str] = set()
    waiting = [entry]
    outside: set[str] = set()
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_path(name, root)
        if path is None:
            raise ZipError(f"{name} is imported by the function but has no source under {root}")
        if path.name == "__init__.py":
            continue  # the zip holds an init of its own for each package (function_files)
        found[name] = path
        for imported in _imports(
            ast.parse(path.read_text(encoding="utf-8"), str(path)), name.rpartition(".")[0]
        ):
            top = imported.split(".")[0]
            if top == PACKAGE:
                if module_path(imported, root) is not None:
                    waiting.append(imported)
            elif top not in sys.stdlib_module_names and top not in RUNTIME_PACKAGES and top != "__future__":
                outside.add(f"{imported} (imported by {name})")
    if outside:
        raise ZipError(
            "the function imports what the Lambda Python runtime does not have: " + ", ".join(sorted(outside))
        )
    return found


def function_files(entry: str = ENTRY_MODULE, root: Path = SCRIPTS) -> dict[str, bytes]:
    """The zip's files: each module of the closure at its package path, and an init of each package."""
    files: dict[str, bytes] = {}
    for name, path in closure(entry, root).items():
        files["/".join(name.split(".")) + ".py"] = path.read_bytes()
        parts = name.split(".")[:-1]
        for depth in range(1, len(parts) + 1):
            package = ".".join(parts[:depth])
            files["/".join(parts[:depth]) + "/__init__.py"] = PACKAGE_INIT.format(name=package).encode()
    return files


def function_zip() -> bytes:
    """The Lambda function's zip."""
    return deterministic_zip(function_files())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m launchpad.assistant.lambda_zip", description="Write the assistant's Lambda zip."
    )
    parser.add_argument("--zip", type=Path, required=True, help="Where to write the function's zip.")
    parser.add_argument("--check", action="store_true", help="Fail if the zip is not current; write nothing.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        data = function_zip()
    except ZipError as exc:
        LOG.error("%s", exc)
        return 1
    stale = write_zip(data, args.zip, args.check, "launchpad.assistant.lambda_zip")
    if stale:
        LOG.error("%s", stale)
        return 1
    sys.stdout.write(base64_sha256(data) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
