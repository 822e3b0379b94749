"""Several root modules validated, or planned, by one Terraform process.

Each ``terraform validate`` starts the AWS provider and loads its schema, which costs seconds of CPU before
any work; validating every module, submodule, example and stack one by one pays that once per folder. Here
one generated root calls each folder as a child module (by a relative path, so nothing is copied) and passes
an unknown value to every variable the folder declares: that is how ``terraform validate`` sees a root
module's variables, so each folder is checked as it would be on its own. Terraform names the file of each
diagnostic; an error belongs to the folder it is in and to every folder that calls that one (``source =
"../x"``, at any depth), since validating such a folder alone would fail as well. An error in none of them
(in the generated root, or without a file) belongs to all of them.

``plan_together`` plans several calls the same way (each a root with its own variables: an example with its
defaults, a stack with an environment's .tfvars) and hands each its part of the plan, with its own
addresses: one plan and one ``show -json`` instead of one pair per call.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad.errors import TerraformError
from launchpad.terraform import Terraform

_VARIABLE = re.compile(r'^variable\s+"([^"]+)"', re.MULTILINE)
_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)
_CALL = re.compile(r"^module\.root_(\d+)\b")
CALL_NAME = "root_{}"  # the generated root's module call of the i-th root


def call_index(address: str) -> int | None:
    """The ``i`` of the ``module.root_<i>`` an address (``module.root_3.aws_kms_key.this``) is in."""
    match = _CALL.match(address)
    return int(match.group(1)) if match else None


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


@dataclass(frozen=True)
class Expression:
    """An argument written as a Terraform expression (``var.unknown``), not as a value."""

    text: str


@dataclass(frozen=True)
class Call:
    """One call of ``root`` in the generated root module: its arguments as values (or ``Expression``), and
    ``body``, more arguments as HCL (an environment's .tfvars, whose syntax is that of arguments)."""

    root: Path
    arguments: Mapping[str, Any] = field(default_factory=dict)
    body: str = ""


def _render(value: Any) -> str:
    """A value as an HCL literal (JSON's syntax is HCL's for values; templates are escaped)."""
    if isinstance(value, Expression):
        return value.text
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def unknown_call(root: Path) -> Call:
    """``root`` as ``terraform validate`` sees it: every variable it declares unknown."""
    return Call(root, {name: Expression(f"var.{UNKNOWN}") for name in variables(root)})


def write_root(calls: Sequence[Call], workdir: Path) -> list[range]:
    """``workdir/main.tf``: ``module "root_<i>"`` for each call; the lines of each call's block."""
    lines = [f'variable "{UNKNOWN}" {{', "  type    = any", "  default = null", "}"]
    spans = []
    for index, call in enumerate(calls):
        relative = os.path.relpath(call.root.resolve(), workdir.resolve())
        source = relative if relative.startswith("..") else f"./{relative}"
        first = len(lines) + 2  # 1-based, after a blank line
        lines += ["", f'module "{CALL_NAME.format(index)}" {{', f"  source = {json.dumps(source)}"]
        lines += [f"  {name} = {_render(value)}" for name, value in call.arguments.items()]
        lines += call.body.splitlines()
        lines.append("}")
        spans.append(range(first, len(lines) + 1))
    (workdir / "main.tf").write_text("\n".join(lines) + "\n")
    return spans


def _folder_of(diagnostic: Mapping[str, Any], workdir: Path) -> Path | None:
    filename = diagnostic.get("range", {}).get("filename")
    if not filename:
        return None
    return (workdir / filename).resolve().parent


def attribute(
    diagnostics: Sequence[Mapping[str, Any]],
    roots: Sequence[Path],
    workdir: Path,
    spans: Sequence[range] = (),
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
        if not owners and folder == workdir.resolve():  # at a call site: the call's block
            line = where.get("start", {}).get("line", 0)
            owners = [root for root, span in zip(roots, spans, strict=False) if line in span]
        for root in owners or roots:
            if message not in errors[root]:  # a module called twice reports its error twice
                errors[root].append(message)
    return errors


def validate_together(roots: Sequence[Path], workdir: Path, env: Mapping[str, str]) -> dict[Path, list[str]]:
    """Validate ``roots`` in one init and one ``terraform validate -json`` in ``workdir``; each root's
    errors (an empty list: it validates)."""
    spans = write_root([unknown_call(root) for root in roots], workdir)
    terraform = Terraform(workdir, dict(env))
    try:
        terraform.init()
    except TerraformError as exc:  # a module that cannot even be installed fails every root
        return {root: [str(exc)] for root in roots}
    return attribute(terraform.validate_diagnostics(), roots, workdir, spans)


def plan_together(calls: Sequence[Call], workdir: Path, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """Plan ``calls`` in one init, one plan and one ``show -json``; each call's part of the plan, shaped as
    its own plan would be: ``resource_changes`` with its own addresses, and ``configuration.root_module``
    (its outputs). A failing plan raises."""
    write_root(calls, workdir)
    terraform = Terraform(workdir, dict(env))
    terraform.init()
    return plan_parts(terraform.plan(), len(calls))


def plan_parts(plan: Mapping[str, Any], calls: int) -> list[dict[str, Any]]:
    """Each of ``calls`` calls' part of a generated root's plan (``show -json``), shaped as its own plan would
    be: ``resource_changes`` with its own addresses, and ``configuration.root_module`` (its outputs)."""
    modules = plan.get("configuration", {}).get("root_module", {}).get("module_calls", {})
    parts = []
    for index in range(calls):
        prefix = f"module.{CALL_NAME.format(index)}."
        changes = [
            {**change, "address": change["address"].removeprefix(prefix)}
            for change in plan.get("resource_changes", [])
            if change["address"].startswith(prefix)
        ]
        module = modules.get(CALL_NAME.format(index), {}).get("module", {})
        parts.append({"resource_changes": changes, "configuration": {"root_module": module}})
    return parts
