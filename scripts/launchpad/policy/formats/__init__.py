"""The reports of a policy run, one module per format; each turns a PolicyReport into text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from launchpad.paths import unwritable_folder
from launchpad.policy.formats import evidence, json_report, junit, markdown, sarif, table
from launchpad.policy.model import PolicyReport
from launchpad.quoting import shown


@dataclass(frozen=True)
class Format:
    name: str
    filename: str  # under --output-dir
    render: Callable[[PolicyReport], str]


FORMATS = {
    f.name: f
    for f in (
        Format("json", "policy.json", json_report.render),
        Format("sarif", "policy.sarif", sarif.render),
        Format("junit", "policy-junit.xml", junit.render),
        Format("markdown", "policy.md", markdown.render),
    )
}
EVIDENCE = Format("evidence", "evidence.md", evidence.render)  # written with every --output-dir

__all__ = ["EVIDENCE", "FORMATS", "Format", "table", "unwritable", "write"]


def write(report: PolicyReport, output_dir: Path, names: Iterable[str]) -> list[Path]:
    """Each chosen format, then the control evidence report, into ``output_dir``; the files written."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for chosen in [*(FORMATS[name] for name in dict.fromkeys(names)), EVIDENCE]:
        path = output_dir / chosen.filename
        path.write_text(chosen.render(report), encoding="utf-8")
        written.append(path)
    return written


def unwritable(output_dir: Path) -> str | None:
    """Why the reports cannot go to ``output_dir`` (None when they can): a file, or a folder under a file, a
    dangling link, or a folder not writable. Asked before the scan, so a refusal writes nothing."""
    found = unwritable_folder(output_dir)
    if found is None:
        return None
    existing, problem = found
    where = shown(str(existing), 200)
    if problem == "not a folder":
        return f"{where} is not a folder (a file or a dangling link); write the reports to a folder"
    return f"{where} is not writable; write the reports to a folder you can write to"
