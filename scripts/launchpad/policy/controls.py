"""The control mapping (``policies/controls.yaml``): frameworks, their controls, the checks evidencing them.

Format::

    frameworks: {HIPAA: {title: "..."}, ...}
    controls:   {"HIPAA 164.312(b)": {framework: HIPAA, title: "..."}, ...}
    checks:     {CKV_LP_003: {severity: HIGH, controls: ["HIPAA 164.312(b)", ...]}, ...}

Loading reads it as strictly as launchpad reads any YAML (UTF-8, no YAML aliases, no duplicate keys:
``launchpad.deploy.schema_errors.read_yaml``), then validates it and reports every problem at once: text a
reader cannot see as written (a bidi override or control character in an id or title, which the evidence
reports would carry), a control of an unknown framework, a check naming a control that is not defined, a
control no check maps to, a severity other than CRITICAL, HIGH, MEDIUM, LOW or INFO. A check that ran but is
not listed keeps checkov's own severity (else UNRATED) and no control.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from launchpad.deploy.schema_errors import at, read_yaml
from launchpad.errors import ConfigError, PolicyError
from launchpad.policy.model import SEVERITIES, Finding
from launchpad.quoting import hidden_characters, shown

RATINGS = SEVERITIES[:-1]  # UNRATED is what a check gets when nobody rated it; the file may not say it
MAX_KEY = 200  # characters of an id (a check, control or framework id is a few dozen)


@dataclass(frozen=True)
class Control:
    id: str
    framework: str
    title: str


@dataclass(frozen=True)
class Rating:
    severity: str
    controls: tuple[str, ...]


@dataclass(frozen=True)
class ControlMap:
    frameworks: dict[str, str]  # id -> title
    controls: dict[str, Control]
    checks: dict[str, Rating]
    source: str = ""

    def rate(self, finding: Finding) -> Finding:
        """The finding with the severity and controls the mapping gives its check (unchanged if unlisted)."""
        rating = self.checks.get(finding.check_id)
        return replace(finding, severity=rating.severity, controls=rating.controls) if rating else finding

    def controls_of(self, check_id: str) -> tuple[str, ...]:
        rating = self.checks.get(check_id)
        return rating.controls if rating else ()

    def mapped_checks(self, control_id: str) -> list[str]:
        return sorted(check for check, rating in self.checks.items() if control_id in rating.controls)

    def of_framework(self, framework: str) -> list[Control]:
        return [c for c in self.controls.values() if c.framework == framework]


def _mapping(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where} must be a mapping")
        return {}
    return {str(k): v if isinstance(v, dict) else {} for k, v in value.items()}


def _controls(raw: dict[str, Any], frameworks: dict[str, str], problems: list[str]) -> dict[str, Control]:
    controls = {}
    for control_id, body in _mapping(raw.get("controls"), "controls", problems).items():
        framework, title = str(body.get("framework") or ""), str(body.get("title") or "")
        if not framework or not title:
            problems.append(f'control "{control_id}" needs a framework and a title')
        elif framework not in frameworks:
            problems.append(
                f'control "{control_id}" names framework "{framework}", which is not listed under frameworks '
                f"(listed: {', '.join(frameworks) or 'none'})"
            )
        controls[control_id] = Control(control_id, framework, title)
    return controls


def _checks(raw: dict[str, Any], controls: dict[str, Control], problems: list[str]) -> dict[str, Rating]:
    checks = {}
    for check_id, body in _mapping(raw.get("checks"), "checks", problems).items():
        severity = str(body.get("severity") or "")
        if severity not in RATINGS:
            problems.append(f'check {check_id} has severity "{severity}"; use one of {", ".join(RATINGS)}')
        listed = body.get("controls") or []
        if not isinstance(listed, list):
            problems.append(f"check {check_id}: controls must be a list of control ids")
            listed = []
        for control_id in listed:
            if str(control_id) not in controls:
                problems.append(
                    f'check {check_id} maps to control "{control_id}", which is not defined under controls'
                )
        checks[check_id] = Rating(severity, tuple(str(c) for c in listed))
    return checks


def parse(raw: Any, source: str = "") -> ControlMap:
    """Validate a loaded controls document; one PolicyError lists every problem."""
    if not isinstance(raw, dict):
        raise PolicyError(f"controls file {source}: expected a mapping with frameworks, controls and checks")
    problems = list(_unreadable_text(raw))
    if problems:  # the checks below would quote these ids in their own messages
        raise PolicyError(f"controls file {source} is invalid:\n  " + "\n  ".join(problems))
    frameworks = {
        k: str(v.get("title") or k)
        for k, v in _mapping(raw.get("frameworks"), "frameworks", problems).items()
    }
    controls = _controls(raw, frameworks, problems)
    checks = _checks(raw, controls, problems)
    mapped = {c for rating in checks.values() for c in rating.controls}
    problems += [
        f'control "{c}" is not mapped to any check (every control listed must map to at least one check)'
        for c in controls
        if c not in mapped
    ]
    if problems:
        raise PolicyError(f"controls file {source} is invalid:\n  " + "\n  ".join(problems))
    return ControlMap(frameworks, controls, checks, source)


def load(path: Path, label: str | None = None) -> ControlMap:
    """Read and validate a controls file; ``label`` is how reports name it (default: the path)."""
    try:
        raw = read_yaml(path, "controls file")
    except ConfigError as error:
        raise PolicyError(f"{error} (pass --controls, or restore policies/controls.yaml from git)") from error
    return parse(raw, label or str(path))


def _unreadable_text(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[str]:
    """Every text in ``value`` a reader cannot see as written, and every key that cannot be an id."""
    if isinstance(value, str) and hidden_characters(value):
        hidden = ", ".join(hidden_characters(value)[:5])
        yield f"{at(path)}: holds {hidden}, which a reader cannot see as written; write plain text"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unreadable_text(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if len(name) > MAX_KEY or hidden_characters(name):
                yield f"{at(path)}: key {shown(name, 60)} is no id; write at most {MAX_KEY} plain characters"
            else:
                yield from _unreadable_text(item, (*path, name))
