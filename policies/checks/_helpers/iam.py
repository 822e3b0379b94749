"""IAM policy documents, from JSON or from ``aws_iam_policy_document`` data sources, as statements."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from _helpers.graph import Graph, neighbours, vertex_conf, vertex_of
from _helpers.values import attr, blocks, is_unresolved, string_list


@dataclass(frozen=True)
class Statement:
    """One statement of a policy document, from JSON or from an ``aws_iam_policy_document``.

    Lists keep unevaluated expressions as they are; ``principals`` is None when the statement names none
    (an identity policy) and lists ``TYPE:identifier`` (``*`` for everyone) otherwise.
    """

    effect: str
    actions: list[str]
    not_actions: list[str]
    resources: list[str]
    not_resources: list[str]
    principals: list[str] | None
    conditions: list[tuple[str, str, list[str]]]


@dataclass(frozen=True)
class Document:
    """A policy document's statements; ``complete`` is False when part of it could not be evaluated."""

    statements: list[Statement]
    complete: bool


def _json_principals(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            f"{kind}:{who}" if who != "*" else "*" for kind, ids in value.items() for who in string_list(ids)
        ]
    return [str(value)]


def _json_statement(raw: dict[str, Any]) -> Statement:
    conditions = [
        (test, variable, string_list(values))
        for test, clauses in (raw.get("Condition") or {}).items()
        if isinstance(clauses, dict)
        for variable, values in clauses.items()
    ]
    principal = raw.get("Principal")
    not_principal = raw.get("NotPrincipal")
    return Statement(
        effect=str(raw.get("Effect", "Allow")),
        actions=string_list(raw.get("Action")),
        not_actions=string_list(raw.get("NotAction")),
        resources=string_list(raw.get("Resource")),
        not_resources=string_list(raw.get("NotResource")),
        principals=_json_principals(principal if principal is not None else not_principal),
        conditions=conditions,
    )


def json_document(value: Any) -> Document:
    """A policy given as JSON: a dict (checkov parses ``jsonencode`` and heredocs) or a JSON string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return Document([], False)
    if not isinstance(value, dict):
        return Document([], False)
    raw = value.get("Statement")
    raw_statements = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    statements = [_json_statement(s) for s in raw_statements if isinstance(s, dict)]
    return Document(statements, len(statements) == len(raw_statements) and raw is not None)


def _data_principals(statement: dict[str, Any]) -> list[str] | None:
    found = None
    for block_name in ("principals", "not_principals"):
        for block in statement.get(block_name) or []:
            kind = str(attr(block, "type"))
            found = (found or []) + [
                "*" if who == "*" and kind in ("*", "AWS") else f"{kind}:{who}"
                for who in string_list(attr(block, "identifiers"))
            ]
    return found


def data_document(conf: dict[str, Any]) -> Document:
    """The statements an ``aws_iam_policy_document`` declares itself (not those of its source documents).

    A dynamic statement over an unknown ``for_each`` counts once, as its content: every statement it
    generates has that shape.
    """
    statements = []
    for raw in blocks(conf, "statement", templates=True):
        statements.append(
            Statement(
                effect=str(attr(raw, "effect") or "Allow"),
                actions=string_list(attr(raw, "actions")),
                not_actions=string_list(attr(raw, "not_actions")),
                resources=string_list(attr(raw, "resources")),
                not_resources=string_list(attr(raw, "not_resources")),
                principals=_data_principals(raw),
                conditions=[
                    (str(attr(c, "test")), str(attr(c, "variable")), string_list(attr(c, "values")))
                    for c in raw.get("condition") or []
                    if isinstance(c, dict)
                ],
            )
        )
    return Document(statements, True)


def attached_document(graph: Graph, conf: dict[str, Any], key: str = "policy") -> Document:
    """The document in attribute ``key``: inline JSON, or the ``aws_iam_policy_document`` it references.

    A referenced document also brings the JSON of its ``source_policy_documents`` and
    ``override_policy_documents`` when checkov rendered them.
    """
    return policy_document(graph, conf, attr(conf, key), key)


def policy_document(graph: Graph, conf: dict[str, Any], value: Any, label: str) -> Document:
    """The policy ``value`` that attribute (or block) ``label`` of ``conf`` holds: JSON, or a reference."""
    if value is None:
        return Document([], True)
    if isinstance(value, dict) or (isinstance(value, str) and value.lstrip().startswith(("{", "["))):
        return json_document(value)
    index = vertex_of(graph, conf)
    if index is None:
        return Document([], False)
    documents = [
        vertex_conf(graph[i][1])
        for i in neighbours(graph, index, ["data.aws_iam_policy_document"], incoming=False, label=label)
    ]
    if len(documents) != 1 or documents[0] is None:
        return Document([], False)
    return _with_sources(documents[0])


def _with_sources(conf: dict[str, Any]) -> Document:
    own = data_document(conf)
    statements, complete = list(own.statements), own.complete
    for key in ("source_policy_documents", "override_policy_documents", "source_json", "override_json"):
        value = attr(conf, key)
        for item in value if isinstance(value, list) else [] if value is None else [value]:
            extra = json_document(item)
            statements += extra.statements
            complete = complete and extra.complete
    return Document(statements, complete)


def tri_any(values: Iterable[str], predicate: Callable[[str], bool]) -> bool | None:
    """True if a known value matches, None if none does but some are unknown, False otherwise."""
    unknown = False
    for value in values:
        if is_unresolved(value):
            unknown = True
        elif predicate(value):
            return True
    return None if unknown else False
