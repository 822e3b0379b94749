"""launchpad's policy settings: ``policies/config.yaml``, with the file ``LAUNCHPAD_POLICY_CONFIG`` names
on top.

Three readers share them: ``launchpad policy`` (checked here before checkov starts), ``launchpad deploy``
(the instance allow-list, through ``launchpad.deploy.config.policy_setting``) and launchpad's own checkov
checks (``policies/checks/_helpers/settings.py``), which run inside checkov's environment and cannot import
launchpad. So what a valid file is lives in one file all three read, ``policies/config.schema.json``; this
module checks both files against it and says every problem at once, ``<JSON path>: <what is wrong>; <what
to write instead>``.

Why before checkov: a check that cannot read its settings raises inside checkov, and checkov drops that
check's results without failing the run (``launchpad.policy.checkov`` catches what still gets through).
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from launchpad.deploy.schema_errors import raise_problems, read_yaml, schema_problems
from launchpad.errors import ConfigError
from launchpad.paths import policies_dir

CONFIG_ENV = "LAUNCHPAD_POLICY_CONFIG"
DEFAULTS_FILE = "config.yaml"
SCHEMA_FILE = "config.schema.json"
WHAT = "policy config"


def override_path() -> Path | None:
    """The absolute path of the file ``LAUNCHPAD_POLICY_CONFIG`` names (None when unset or empty).

    Absolute because checkov runs from the assets root, not the caller's working directory: a relative name
    must mean the same file to launchpad and to the checks.
    """
    value = os.environ.get(CONFIG_ENV)
    return Path(value).absolute() if value else None


def load(policies: Path | None = None) -> dict[str, Any]:
    """The settings, ``policies/config.yaml``'s with the override's keys replacing them; ConfigError (exit 7)
    lists every problem of the file it is about, so nothing runs on settings a check would choke on."""
    folder = policies or policies_dir()
    schema = _schema(folder / SCHEMA_FILE)
    merged = _checked(folder / DEFAULTS_FILE, schema, WHAT)
    override = override_path()
    if override is not None:
        merged.update(_checked(override, _partial(schema), f"{WHAT} ({CONFIG_ENV})"))
    return merged


def _checked(path: Path, schema: dict[str, Any], what: str) -> dict[str, Any]:
    document = read_yaml(path, what)
    problems, _ = schema_problems(schema, document)
    raise_problems(problems, f"{what} {path}")
    return document


@cache
def _schema_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _schema(path: Path) -> dict[str, Any]:
    try:
        schema: dict[str, Any] = json.loads(_schema_text(path))
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"{path}: cannot read the policy settings schema ({error}); restore it from git"
        ) from error
    return schema


def _partial(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema for an override file: any key may be left out (policies/config.yaml's value stays)."""
    partial = copy.deepcopy(schema)
    partial.pop("required", None)
    return partial
