"""launchpad's policy settings (policies/config.yaml, or the file LAUNCHPAD_POLICY_CONFIG names) and where a
check's guideline lives.

The checks run inside checkov's own environment and cannot import launchpad, so they check the settings
against the same definition launchpad does, ``policies/config.schema.json``, with the jsonschema and PyYAML
checkov itself depends on. A file that breaks it raises :class:`SettingsError` rather than handing a check a
value it would misread (``required_tags: owner`` would require the tags o, w, n, e and r). ``launchpad
policy`` and ``launchpad deploy`` refuse such a file before checkov starts, with one message per problem;
this is the guard for checkov run by hand, where the error shows in checkov's log as the check's failure.

A file is read as strictly as launchpad reads its own: UTF-8 only, at most 1 MiB, no duplicate keys, and no
YAML aliases or anchors, which are refused before anything is built from them (nine lines of ``&a [*b, *b]``
expand to billions of values: the "billion laughs").
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Hashable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

CHECKS_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = CHECKS_DIR.parent / "config.yaml"
SCHEMA_FILE = CHECKS_DIR.parent / "config.schema.json"
CONFIG_ENV = "LAUNCHPAD_POLICY_CONFIG"
MAX_BYTES = 1 << 20  # a settings file is a few KB
MAX_DEPTH = 32  # lists and mappings within each other; the settings go 2 deep
SHOWN = 200  # characters of a problem a message keeps (a value in it may be a megabyte long)


class SettingsError(Exception):
    """A policy settings file launchpad's checks cannot trust; the message names the file and each problem."""


def setting(key: str) -> Any:
    """``key`` of policies/config.yaml, or of the file LAUNCHPAD_POLICY_CONFIG names (its keys win)."""
    merged = dict(_checked(str(DEFAULT_CONFIG), partial=False))
    override = os.environ.get(CONFIG_ENV)
    if override:
        merged.update(_checked(str(Path(override).absolute()), partial=True))
    return merged[key]


@cache
def _checked(path: str, partial: bool) -> dict[str, Any]:
    """The file's settings, checked against the schema (any key may be left out of an override file)."""
    document = _read(Path(path))
    schema = _schema()
    if partial:
        schema = {key: value for key, value in schema.items() if key != "required"}
    problems = [
        f"{_at(error.absolute_path)}: {error.message}"[:SHOWN]
        for error in Draft202012Validator(schema).iter_errors(document)
    ]
    if problems:
        raise SettingsError(
            f"policy settings {path} break {SCHEMA_FILE.name} (`launchpad policy` explains each):\n  - "
            + "\n  - ".join(sorted(problems))
        )
    return document


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise SettingsError(f"policy settings {path}: cannot read: {error.strerror or error}") from error
    if len(raw) > MAX_BYTES:
        raise SettingsError(f"policy settings {path}: over {MAX_BYTES // 1024} KiB; it is a few KB of YAML")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"policy settings {path}: not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})"
        ) from error
    loader = _StrictLoader(text)
    loader.name = str(path)  # where PyYAML's messages would say "<unicode string>"
    try:
        return loader.get_single_data()
    except (yaml.YAMLError, ValueError) as error:  # ValueError: an int of more digits than Python converts
        raise SettingsError(f"policy settings {path}: not valid YAML: {str(error)[:SHOWN]}") from error
    finally:
        loader.dispose()


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, anchors, duplicate keys and deep nesting."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases and anchors are not taken: write the value out", event.start_mark
            )
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested over {MAX_DEPTH} deep", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # SafeLoader refuses an unhashable key itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {str(key)[:SHOWN]!r} written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _at(path: Iterable[Any]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    """Whether ``value`` matches one of the case-sensitive glob ``patterns``."""
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def guideline(check_file: str) -> str:
    """Where a reviewer reads why a check exists: the check's own file, from the repository root."""
    return f"policies/checks/{Path(check_file).name}"
