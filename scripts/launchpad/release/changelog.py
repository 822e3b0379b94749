"""CHANGELOG.md in the Keep a Changelog 1.1.0 format: parsed by the ``keepachangelog`` package, then held
to the format's rules that the package lets pass (ISO dates, its six kinds of change, an ``[Unreleased]``
section, newest release first), so a release finds its entry or says what is wrong with the file."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import keepachangelog

from launchpad.errors import ReleaseError

# The kinds of change Keep a Changelog 1.1.0 names; the package lower-cases the ### headings.
KINDS = ("added", "changed", "deprecated", "removed", "fixed", "security")
RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$", re.MULTILINE)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True)
class Entry:
    version: str
    date: datetime.date
    changes: dict[str, list[str]]


def problems(path: Path) -> list[str]:
    """What breaks the format in ``path``, one line each; empty when it is a Keep a Changelog file."""
    if not path.is_file():
        return [f"{path}: no such file; write it in the Keep a Changelog format (keepachangelog.com)"]
    text = path.read_text(encoding="utf-8")
    found: list[str] = []
    if not text.startswith("# Changelog\n"):
        found.append(f"{path}: the first line must be '# Changelog'")
    headings = [(m["version"], m["date"]) for m in RELEASE_HEADING.finditer(text)]
    if not headings or headings[0] != ("Unreleased", None):
        found.append(f"{path}: the first section must be '## [Unreleased]' (changes not released yet)")
    for version, date in headings[1:]:
        if date is None or not ISO_DATE.fullmatch(date) or _date(date) is None:
            found.append(f"{path}: '## [{version}]' needs ' - YYYY-MM-DD', an ISO 8601 release date")
    if found:
        return found
    parsed = keepachangelog.to_dict(str(path), show_unreleased=True)
    for version, entry in parsed.items():
        unknown = sorted(set(entry) - {"metadata", *KINDS})
        if unknown:
            found.append(
                f"{path}: [{version}] has the section(s) {', '.join(unknown)}; Keep a Changelog's are "
                f"{', '.join(kind.capitalize() for kind in KINDS)}"
            )
        if version != "unreleased" and not set(entry) & set(KINDS):
            found.append(f"{path}: [{version}] lists no change under any of the ### kinds")
    dates = [day for _, date in headings[1:] if (day := _date(date or "")) is not None]
    if dates != sorted(dates, reverse=True):
        found.append(f"{path}: the releases must be listed newest first")
    return found


def entry(path: Path, version: str) -> Entry:
    """The release ``version``'s entry; ``ReleaseError`` when the file breaks the format or has none."""
    found = problems(path)
    if found:
        raise ReleaseError("CHANGELOG.md is not in the Keep a Changelog format:\n  " + "\n  ".join(found))
    parsed = keepachangelog.to_dict(str(path))
    if version not in parsed:
        listed = ", ".join(parsed) or "none"
        raise ReleaseError(
            f"{path} has no entry for {version} (it lists {listed}); move the changes under [Unreleased] "
            f"to '## [{version}] - {datetime.date.today().isoformat()}' and add its link (RELEASING.md)"
        )
    released = parsed[version]
    date = _date(released["metadata"]["release_date"])
    if date is None:  # problems() checked every heading's date; the package read another
        raise ReleaseError(f"{path}: [{version}]'s release date is not an ISO 8601 date")
    return Entry(version, date, {kind: released[kind] for kind in KINDS if kind in released})


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None
