"""The control mapping (``policies/controls.yaml``): frameworks, their controls, the checks evidencing them.

Format::

    frameworks: {HIPAA: {title: "..."}, ...}
    controls:   {"HIPAA 164.312(b)": {framework: HIPAA, title: "..."}, ...}
    checks:     {CKV_LP_003: {severity: HIGH, controls: ["HIPAA 164.312(b)", ...]}, ...}

Loading validates it and reports every problem at once: a control of an unknown framework, a check naming a
control that is not defined, a control no check maps to, a severity other than CRITICAL, HIGH, MEDIUM, LOW or
INFO. A check that ran but is not listed keeps checkov's own severity (else UNRATED) and no control.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from launchpad.errors import PolicyError
from launchpad.policy.model import SEVERITIES, Finding

RATINGS = SEVERITIES[:-1]  # UNRATED is what a check gets when nobody rated it; the file may not say it


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
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise PolicyError(f"controls file {source}: expected a mapping with frameworks, controls and checks")
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
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise PolicyError(
            f"controls file {path} not found (pass --controls, or restore it from git)"
        ) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"controls file {path} is not valid YAML: {exc}") from exc
    return parse(raw, label or str(path))
