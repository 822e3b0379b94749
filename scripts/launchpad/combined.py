"""Several root modules validated, or planned, by one Terraform process.

Each ``terraform validate`` starts the AWS provider and loads its schema, which costs seconds of CPU before
any work; validating every module, submodule, example and stack one by one pays that once per folder. Here
one generated root calls each folder as a child module (by a relative path, so nothing is copied) and passes
an unknown value to every variable the folder declares: that is how ``terraform validate`` sees a root
module's variables, so each folder is checked as it would be on its own. Terraform names the file of each
diagnostic; an error belongs to the folder it is in and to every folder that calls that one (``source =
"../x"``, at any depth), since validating such a folder alone would fail as well. An error in none of them
(in the generated root, or without a file) belongs to all of them.

``plan_together`` plans several examples the same way (each with its own variables) and hands each its part
of the plan, with its own addresses: one plan and one ``show -json`` instead of one pair per example.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from launchpad.errors import TerraformError
from launchpad.terraform import Terraform, summarize_errors

_VARIABLE = re.compile(r'^variable\s+"([^"]+)"', re.MULTILINE)
_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)
_CALL = re.compile(r"^module\.root_(\d+)\b")
UNKNOWN = "unknown"


def _texts(folder: Path) -> list[str]:
    return [path.read_text() for path in sorted(folder.glob("*.tf"))]


@functools.cache
def local_modules(folder: Path) -> frozenset[Path]:
    """The folders of the local modules ``folder`` calls (``source = "./x"`` or ``"../x"``), at any depth;
    registry and git sources are not followed."""
    found: set[Path] = set()
    pending = [folder.resolve()]
    while pending:
        current = pending.pop()
        for text in _texts(current):
            for source in _LOCAL_SOURCE.findall(text):
                module = (current / source.split("//")[0]).resolve()
                if module.is_dir() and module not in found and module != folder.resolve():
                    found.add(module)
                    pending.append(module)
    return frozenset(found)


def variables(folder: Path) -> list[str]:
    """The names of the variables ``folder`` declares."""
    return sorted({name for text in _texts(folder) for name in _VARIABLE.findall(text)})


def write_root(
    roots: Sequence[Path], workdir: Path, arguments: Callable[[Path], Mapping[str, Any]] | None = None
) -> Path:
    """``workdir/main.tf.json``: a call ``module.root_<i>`` of each of ``roots`` with ``arguments(root)``;
    by default every variable the root declares, unknown (as ``terraform validate`` sees a root)."""

    def unknowns(root: Path) -> dict[str, Any]:
        return {name: f"${{var.{UNKNOWN}}}" for name in variables(root)}

    calls = {}
    for index, root in enumerate(roots):
        relative = os.path.relpath(root.resolve(), workdir.resolve())
        source = relative if relative.startswith("..") else f"./{relative}"
        calls[f"root_{index}"] = {"source": source, **(arguments or unknowns)(root)}
    document: dict[str, Any] = {"module": calls}
    if arguments is None:
        document["variable"] = {UNKNOWN: {"type": "any"}}
    path = workdir / "main.tf.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def _folder_of(diagnostic: Mapping[str, Any], workdir: Path) -> Path | None:
    filename = diagnostic.get("range", {}).get("filename")
    if not filename:
        return None
    return (workdir / filename).resolve().parent


def attribute(
    diagnostics: Sequence[Mapping[str, Any]], roots: Sequence[Path], workdir: Path
) -> dict[Path, list[str]]:
    """Each root's errors (see the module's docstring); every root is a key."""
    errors: dict[Path, list[str]] = {root: [] for root in roots}
    resolved = [root.resolve() for root in roots]
    for diagnostic in diagnostics:
        if diagnostic.get("severity") != "error":
            continue
        message = f"Error: {diagnostic.get('summary', '')}\n{diagnostic.get('detail', '')}".strip()
        where = diagnostic.get("range", {})
        if where.get("filename"):
            message += f"\n  at {where['filename']}:{where.get('start', {}).get('line', '?')}"
        folder = _folder_of(diagnostic, workdir)
        call = _CALL.match(diagnostic.get("snippet", {}).get("context") or "")
        owners = [
            root
            for root, path in zip(roots, resolved, strict=True)
            if folder is not None and (folder == path or folder in local_modules(path))
        ]
        if not owners and call is not None:
            owners = [roots[int(call.group(1))]]
        for root in owners or roots:
            if message not in errors[root]:  # a module called twice reports its error twice
                errors[root].append(message)
    return errors


def validate_together(roots: Sequence[Path], workdir: Path, env: Mapping[str, str]) -> dict[Path, list[str]]:
    """Validate ``roots`` in one init and one ``terraform validate -json`` in ``workdir``; each root's
    errors (an empty list: it validates)."""
    write_root(roots, workdir)
    terraform = Terraform(workdir, dict(env))
    try:
        terraform.init()
    except TerraformError as exc:  # a module that cannot even be installed fails every root
        return {root: [str(exc)] for root in roots}
    result = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"],
        cwd=workdir,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        diagnostics = json.loads(result.stdout)["diagnostics"]
    except (ValueError, KeyError) as exc:
        raise TerraformError(
            f"terraform validate failed in {workdir}:\n{summarize_errors(result.stderr)}"
        ) from exc
    if result.returncode != 0 and not any(d.get("severity") == "error" for d in diagnostics):
        raise TerraformError(f"terraform validate failed in {workdir}:\n{summarize_errors(result.stderr)}")
    return attribute(diagnostics, roots, workdir)


def plan_together(
    roots: Sequence[Path],
    workdir: Path,
    env: Mapping[str, str],
    arguments: Callable[[Path], Mapping[str, Any]],
) -> dict[Path, dict[str, Any]]:
    """Plan ``roots`` (each with ``arguments(root)`` for its variables) in one init, one plan and one
    ``show -json``; each root's part of the plan, shaped as its own plan would be: ``resource_changes``
    with its addresses, and ``configuration.root_module`` (its outputs). A failing plan raises."""
    write_root(roots, workdir, arguments)
    terraform = Terraform(workdir, dict(env))
    terraform.init()
    plan = terraform.plan()
    calls = plan.get("configuration", {}).get("root_module", {}).get("module_calls", {})
    parts: dict[Path, dict[str, Any]] = {}
    for index, root in enumerate(roots):
        prefix = f"module.root_{index}."
        changes = [
            {**change, "address": change["address"].removeprefix(prefix)}
            for change in plan.get("resource_changes", [])
            if change["address"].startswith(prefix)
        ]
        module = calls.get(f"root_{index}", {}).get("module", {})
        parts[root] = {"resource_changes": changes, "configuration": {"root_module": module}}
    return parts
