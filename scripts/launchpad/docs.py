"""Module README tables: inputs and outputs generated from the ``.tf`` files (terraform-docs' job).

The table lives between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` in each module README.
``launchpad docs`` rewrites it; ``launchpad docs --check`` (and the test suite) fails when it is stale.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from launchpad.errors import LaunchpadError

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
_OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, preserve_heredocs=False, strip_string_quotes=True
)
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Any = _NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def _expression(value: Any) -> str:
    """An HCL expression as python-hcl2 gives it (``${...}``), as one line of source."""
    text = str(value)
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return re.sub(r"\s+", " ", text).strip()


def _blocks(module_dir: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for tf_file in sorted(module_dir.glob("*.tf")):
        try:
            with tf_file.open() as handle:
                parsed = hcl2.load(handle, serialization_options=_OPTIONS)
        except Exception as exc:  # the parser raises several lark exception types
            raise LaunchpadError(f"cannot parse {tf_file}: {exc}") from exc
        for block in parsed.get(kind, []):
            found.extend(block.items())
    return found


def read_module(module_dir: Path) -> tuple[list[Variable], list[Output]]:
    variables = [
        Variable(
            name=name,
            type=_expression(body.get("type", "any")),
            description=str(body.get("description", "")).strip(),
            default=body.get("default", _NO_DEFAULT),
        )
        for name, body in _blocks(module_dir, "variable")
    ]
    outputs = [
        Output(name=name, description=str(body.get("description", "")).strip())
        for name, body in _blocks(module_dir, "output")
    ]
    return sorted(variables, key=lambda v: (not v.required, v.name)), sorted(outputs, key=lambda o: o.name)


def _cell(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return escaped.replace("\n", "<br>")


def _default(value: Any) -> str:
    if value is _NO_DEFAULT:
        return "n/a"
    if isinstance(value, str) and value.startswith("${"):
        return f"`{_cell(_expression(value))}`"
    return f"`{_cell(json.dumps(value, sort_keys=True))}`"


def render_table(module_dir: Path) -> str:
    variables, outputs = read_module(module_dir)
    lines = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    lines += [
        f"| {v.name} | {_cell(v.description)} | `{_cell(v.type)}` | {_default(v.default)} | "
        f"{'yes' if v.required else 'no'} |"
        for v in variables
    ]
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    lines += [f"| {o.name} | {_cell(o.description)} |" for o in outputs]
    return "\n".join(lines)


def _split(readme: Path) -> tuple[str, str, str]:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise LaunchpadError(f"{readme} has no {BEGIN} ... {END} markers for the generated table.")
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


def expected_readme(module_dir: Path) -> str:
    head, _, tail = _split(module_dir / "README.md")
    return f"{head}{BEGIN}\n{render_table(module_dir)}\n{END}{tail}"


def is_stale(module_dir: Path) -> bool:
    return (module_dir / "README.md").read_text() != expected_readme(module_dir)


def write(module_dir: Path) -> bool:
    """Regenerate the table; returns True when the README changed."""
    readme = module_dir / "README.md"
    new = expected_readme(module_dir)
    if readme.read_text() == new:
        return False
    readme.write_text(new)
    return True


def module_dirs(root: Path) -> list[Path]:
    """Every module and submodule under ``root`` that has a README (examples excluded)."""
    return sorted(
        readme.parent
        for readme in root.rglob("README.md")
        if "examples" not in readme.relative_to(root).parts and any(readme.parent.glob("*.tf"))
    )
