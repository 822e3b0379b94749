"""Reading checkov's JSON output: the documents it prints one after another, and the Findings in them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from launchpad.policy.model import FAILED, PASSED, SEVERITIES, SKIPPED, Finding

DOCUMENT_START = re.compile(r"^[\[{]", re.MULTILINE)
RESULT_KEYS = {PASSED: "passed_checks", FAILED: "failed_checks", SKIPPED: "skipped_checks"}


def documents(text: str) -> list[dict[str, Any]]:
    """Every report in checkov's stdout: one JSON document per ``-d`` (a dict, or a list of dicts, one per
    framework), printed one after another. Lines that are not JSON (a custom check's print) are skipped."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while match := DOCUMENT_START.search(text, position):
        try:
            document, position = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            position = match.end()
            continue
        found += [d for d in (document if isinstance(document, list) else [document]) if isinstance(d, dict)]
    return found


def result_count(document: dict[str, Any]) -> int:
    results = document.get("results") or {}
    return sum(len(results.get(key) or []) for key in RESULT_KEYS.values())


def checkov_version(found: Iterable[dict[str, Any]]) -> str:
    """The version checkov wrote in its summaries (a folder without resources prints only a summary)."""
    for document in found:
        summary = document.get("summary", document)
        if isinstance(summary, dict) and summary.get("checkov_version"):
            return str(summary["checkov_version"])
    return "unknown"


def parsing_errors(found: Iterable[dict[str, Any]], root: Path) -> list[str]:
    """Files checkov could not parse: none of their resources was checked."""
    return sorted(
        {
            display_path(Path(f), root)
            for d in found
            for f in (d.get("results") or {}).get("parsing_errors") or []
        }
    )


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the repo root when it is inside it, else absolute; always with ``/``."""
    absolute = Path(os.path.normpath(path if path.is_absolute() else root / path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def _severity(value: Any) -> str:
    text = str(value).upper() if value else ""
    return text if text in SEVERITIES else "UNRATED"


def finding(check: dict[str, Any], result: str, unit_dir: Path, root: Path) -> Finding:
    """One checkov result. ``file_abs_path`` names the file; ``caller_file_path`` (set on resources of a
    module call) is relative to the scanned folder."""
    file = check.get("file_abs_path") or str(root / str(check.get("repo_file_path", "")).lstrip("/"))
    caller = check.get("caller_file_path")
    first, last = (check.get("file_line_range") or [0, 0])[:2]
    return Finding(
        check_id=str(check["check_id"]),
        name=str(check.get("check_name") or ""),
        result=result,
        resource=str(check.get("resource") or ""),
        file=display_path(Path(file), root),
        lines=(int(first), int(last)),
        caller=display_path(unit_dir / str(caller).lstrip("/"), root) if caller else None,
        skip_reason=str((check.get("check_result") or {}).get("suppress_comment", ""))
        if result == SKIPPED
        else None,
        guideline=check.get("guideline") or None,
        severity=_severity(check.get("severity")),
    )


def findings(reports: Iterable[tuple[Path, list[dict[str, Any]]]], root: Path) -> list[Finding]:
    """The findings of every (scanned folder, documents) pair, each once: a finding that two units report
    (same check, file, resource address, lines, caller and result) is kept once. Sorted by place."""
    unique: dict[tuple[object, ...], Finding] = {}
    for unit_dir, found in reports:
        for document in found:
            results = document.get("results") or {}
            for result, key in RESULT_KEYS.items():
                for check in results.get(key) or []:
                    item = finding(check, result, unit_dir, root)
                    unique.setdefault(item.key, item)
    return sorted(unique.values(), key=lambda f: (f.file, f.lines, f.check_id, f.resource, f.caller or ""))
