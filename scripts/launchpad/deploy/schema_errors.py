"""Reading a YAML document and checking it against a JSON Schema, with one message per problem.

The engine the stage config (``config``) and the model card (``model_card``) share: ``read_yaml`` (strict:
duplicate keys refused, dates kept as written), ``load_schema`` (package data), ``with_defaults`` (the
schema's defaults filled in), ``schema_problems`` (every violation as ``<JSON path>: <what is wrong>; <what to
write instead>``, the fix taken from the schema's ``x-fix``), ``message`` and ``at`` for the rules beyond the
schema, and ``raise_problems``, which raises one ConfigError listing them all.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from launchpad.errors import ConfigError
from launchpad.quoting import LIMIT, shown

PLAIN_KEY = re.compile(r"[A-Za-z0-9_:.-]{1,64}")
MAX_YAML_BYTES = 1 << 20  # a stage config or model card is a few KB; a bigger file is a mistake
MAX_YAML_DEPTH = 32  # mappings and lists within each other; the schemas go 5 deep


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, aliases, deep nesting and numbers Python will not convert, and
    keeps dates as the strings they were written as.

    Aliases and anchors are refused before anything is built from them: nine lines of ``&a [*b, *b, ...]``
    expand to billions of nodes (the "billion laughs"), and none of launchpad's files needs one.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                f"*{shown(event.anchor, 40)} is a YAML alias; launchpad's files take no aliases or anchors "
                "(a few lines of them expand to gigabytes): write the value out where it is used",
                event.start_mark,
            )
        anchor = getattr(self.peek_event(), "anchor", None)  # type: ignore[no-untyped-call]
        if anchor is not None:  # refused as the policy checks' own reader refuses it: one rule for both
            raise yaml.composer.ComposerError(
                None,
                None,
                f"&{shown(anchor, 40)} is a YAML anchor; launchpad's files take no aliases or anchors: "
                "write each value out where it is used",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        if self._depth >= MAX_YAML_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                f"values nested more than {MAX_YAML_DEPTH} deep; launchpad's files need a few levels",
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError as error:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(node.value)} characters is not a usable value", node.start_mark
            ) from error


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shown(key, 40)}: write each key once", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """A YAML file holding one mapping; ConfigError if it is missing, too big, not UTF-8, malformed (or uses
    what ``_StrictLoader`` refuses) or not a mapping. Nothing is built from a file before that all holds."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_YAML_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the {what}: {error.strerror or error}") from error
    if len(raw) > MAX_YAML_BYTES:
        raise ConfigError(
            f"{path}: the {what} is over {MAX_YAML_BYTES // 1024} KiB; it should be a few KB of YAML "
            "(is this the right file?)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: the {what} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8"
        ) from error
    try:
        loader = _StrictLoader(text)
        loader.name = str(path)  # the file, where PyYAML's messages would say "<unicode string>"
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: the {what} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: the {what} must be a YAML mapping (key: value lines), not {_kind(document)}"
        )
    return document


@cache
def _schema_text(name: str) -> str:
    return (resources.files("launchpad") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """``launchpad/schemas/<name>.schema.json`` (package data), a fresh copy per call."""
    return json.loads(_schema_text(name))


def at(path: Sequence[str | int]) -> str:
    """A JSON-path-like location: ``$.variants[1].name``; a key that is not a plain name (a user's typo may
    hold anything) is quoted: ``$.tags['a\\nb']``."""
    return "$" + "".join(_step(part) for part in path)


def _step(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    return f".{part}" if PLAIN_KEY.fullmatch(str(part)) else f"[{shown(part, 40)}]"


def raise_problems(problems: Sequence[str], subject: str) -> None:
    """ConfigError listing every problem (duplicates once, in order), unless there are none."""
    unique = tuple(dict.fromkeys(problems))
    if unique:
        listed = "\n".join(f"  - {problem}" for problem in unique)
        count = "1 problem" if len(unique) == 1 else f"{len(unique)} problems"
        raise ConfigError(f"{subject} has {count}:\n{listed}", unique)


def _resolve(schema: Mapping[str, Any], node: Any) -> Any:
    """``node`` with a local ``$ref`` merged in (the node's own keywords win)."""
    if isinstance(node, Mapping) and "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        merged = dict(_resolve(schema, target))
        for key, value in node.items():
            if key == "properties":
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "required":
                merged[key] = [*merged.get(key, []), *value]
            elif key != "$ref":
                merged[key] = value
        return merged
    return node


def schema_at(schema: Mapping[str, Any], path: Sequence[str | int]) -> Mapping[str, Any]:
    """The subschema that describes the value at ``path`` ({} where the schema says nothing)."""
    node: Any = _resolve(schema, schema)
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            node = properties.get(part, extra if isinstance(extra, Mapping) else {})
        node = _resolve(schema, node)
    return node


def with_defaults(schema: Mapping[str, Any], document: Any, node: Any = None) -> Any:
    """A copy of ``document`` with the schema's ``default`` values filled in where it leaves a field out."""
    node = _resolve(schema, schema if node is None else node)
    if isinstance(document, list) and "items" in node:
        return [with_defaults(schema, item, node["items"]) for item in document]
    if not isinstance(document, dict):
        return copy.deepcopy(document)
    filled = {key: copy.deepcopy(value) for key, value in document.items()}
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(schema, sub)
        if key not in filled and "default" in sub:
            filled[key] = copy.deepcopy(sub["default"])
        if key in filled:
            filled[key] = with_defaults(schema, filled[key], sub)
    return filled


def schema_problems(schema: Mapping[str, Any], document: Any) -> tuple[list[str], dict[str, Any] | None]:
    """Every schema violation as a message, and a copy of the document with each wrong value set to None.

    The copy is what the rules beyond the schema may read: any value still in it has the type and range the
    schema asks for. It is None when the document as a whole is wrong (not a mapping).
    """
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document), key=lambda e: [str(p) for p in e.path]
    )
    problems = [problem for error in errors for problem in _describe(schema, error)]
    accepted = copy.deepcopy(document)
    for error in errors:
        if error.validator in _STRUCTURE_VALIDATORS:
            continue
        path = list(error.absolute_path)
        if not path:
            return problems, None
        parent = accepted
        for part in path[:-1]:
            parent = parent[part] if isinstance(parent, dict | list) else None
        if isinstance(parent, dict | list):
            parent[path[-1]] = None
    return problems, accepted


# Errors about what an object holds (a field missing or unknown), not about a value: nothing to set aside.
_STRUCTURE_VALIDATORS = {
    "required",
    "dependentRequired",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
}


def _describe(schema: Mapping[str, Any], error: ValidationError) -> Iterator[str]:
    path = list(error.absolute_path)
    instance: Any = error.instance
    # The stubs type these three as possibly unset; jsonschema sets both on every error it yields.
    value: Any = error.validator_value
    rule: Any = error.schema
    if error.validator == "required":
        for name in value:
            if isinstance(instance, dict) and name not in instance:
                yield message([*path, name], "missing", _fix(schema, [*path, name]))
    elif error.validator == "dependentRequired":
        for field, needs in value.items():
            for name in needs if isinstance(instance, dict) and field in instance else ():
                if name not in instance:
                    yield message(
                        [*path, name], f"missing (needed with {field})", _fix(schema, [*path, name])
                    )
    elif error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = list(schema_at(schema, path).get("properties", {}))
        for name in instance if isinstance(instance, dict) else ():
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f"did you mean {close[0]}?" if close else f"the fields here are {', '.join(known)}"
                yield message([*path, name], "unknown field", hint)
    elif error.validator == "propertyNames":
        yield message(path, f"key {shown(instance)} is not allowed", rule.get("x-fix"))
    elif error.validator == "type":
        quote = " (quote it in YAML)" if value == "string" and _scalar(instance) else ""
        problem = f"expected {_type_name(value)}, got {_kind(instance)}{quote}"
        yield message(path, problem, _fix(schema, path, error))
    elif error.validator in ("enum", "const"):
        yield message(path, f"{_show(instance)} is not allowed", _fix(schema, path, error))
    elif error.validator in ("pattern", "format", "minLength", "maxLength"):
        yield message(path, f"{_show(instance)} is not valid", _fix(schema, path, error))
    else:  # minimum, maximum, minItems, ...: jsonschema's own message says the limit
        yield message(path, error.message, _fix(schema, path, error))


def _fix(
    schema: Mapping[str, Any], path: Sequence[str | int], error: ValidationError | None = None
) -> str | None:
    """The schema's x-fix for the value at ``path``: the failing subschema's own, else the field's, else the
    fields a mapping there holds."""
    own = error.schema.get("x-fix") if error is not None and isinstance(error.schema, Mapping) else None
    described = schema_at(schema, path)
    if own or described.get("x-fix"):
        return own or described.get("x-fix")
    if described.get("properties"):
        return f"write a mapping of {', '.join(described['properties'])}"
    return None


def message(path: Sequence[str | int], problem: str, fix: str | None) -> str:
    """``<JSON path>: <problem>; <fix>`` (the fix left out when there is none)."""
    return f"{at(path)}: {problem}" + (f"; {fix}" if fix else "")


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float)


def _show(value: Any) -> str:
    return shown(value) if isinstance(value, str) else shown_json(value)


def shown_json(value: Any) -> str:
    """A non-text value as JSON, bounded as ``shown`` bounds text."""
    try:
        text = json.dumps(value, default=str)
    except ValueError:  # an int past Python's digit limit (from a JSON document; YAML refuses them)
        return shown(value)
    return text if len(text) <= LIMIT else f"{text[:LIMIT]}... ({len(text)} characters)"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }
    if isinstance(value, datetime.date):
        return "a date"
    return names.get(type(value), type(value).__name__)


def _type_name(expected: str | list[str]) -> str:
    names = {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "object": "a mapping",
    }
    kinds = [expected] if isinstance(expected, str) else expected
    return " or ".join(names.get(kind, kind) for kind in kinds)
