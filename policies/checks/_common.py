"""Shared helpers of launchpad's checkov checks: settings, rendered values, tags, the graph, IAM documents.

checkov executes every ``.py`` file of this folder; this one registers no check. The checks import it as
``_common`` (checkov puts the folder on ``sys.path``), and run in checkov's own environment, so only the
standard library, PyYAML and checkov itself are available here.

What checkov hands a check is the resource's configuration *after* it rendered variables, locals and module
inputs, each attribute wrapped in a one-item list. Whatever it could not evaluate stays an expression string
(``var.x``, ``local.y``, ``merge(...)``, ``${...}``, ``v.value.name`` in a dynamic block). The helpers raise
:class:`Unresolved` on such a value, and the check base classes below turn that into UNKNOWN: the resource is
judged where its values are known, typically in a caller of the module (checkov evaluates a module's
resources once per caller found in the scanned folder, with that caller's inputs).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

CHECKS_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG = CHECKS_DIR.parent / "config.yaml"
CONFIG_ENV = "LAUNCHPAD_POLICY_CONFIG"


class Unresolved(Exception):
    """A value the check needs is an expression checkov could not evaluate."""


# -- settings ------------------------------------------------------------------------------------------
def setting(key: str) -> Any:
    """``key`` of policies/config.yaml, or of the file LAUNCHPAD_POLICY_CONFIG names (its keys win)."""
    merged = dict(_load_yaml(str(DEFAULT_CONFIG)))
    override = os.environ.get(CONFIG_ENV)
    if override:
        merged.update(_load_yaml(str(Path(override).resolve())))
    if key not in merged:
        raise KeyError(f"policy setting {key!r} is missing from {DEFAULT_CONFIG}")
    return merged[key]


@cache
def _load_yaml(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as stream:
        data = yaml.safe_load(stream) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the policy settings must be a YAML mapping")
    return data


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    """Whether ``value`` matches one of the case-sensitive glob ``patterns``."""
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def guideline(check_file: str) -> str:
    """Where a reviewer reads why a check exists: the check's own file, from the repository root."""
    return f"policies/checks/{Path(check_file).name}"


# -- rendered values -------------------------------------------------------------------------------------
_REFERENCE = re.compile(
    r"^(var|local|module|data|each|count|self|path|terraform)\."  # Terraform's named values
    r"|^aws_[a-z0-9_]+\.[A-Za-z0-9_-]+"  # another resource's attribute
    r"|^[A-Za-z_][A-Za-z0-9_]*\.(value|key)\b"  # the iterator of a dynamic block
)
_CALL = re.compile(r"^[a-z][a-z0-9_]*\(")
_TERNARY = re.compile(r"\s\?\s.*\s:\s")


def is_unresolved(value: Any) -> bool:
    """Whether ``value`` (or anything inside it) is an expression checkov left unevaluated."""
    if isinstance(value, str):
        text = value.strip()
        return (
            "${" in text
            or bool(_REFERENCE.match(text) or _CALL.match(text) or _TERNARY.search(text))
            or text.startswith(("{for ", "[for "))
        )
    if isinstance(value, dict):
        return any(is_unresolved(k) or is_unresolved(v) for k, v in value.items())
    if isinstance(value, list):
        return any(is_unresolved(item) for item in value)
    return False


def known(value: Any) -> Any:
    """``value`` itself, or :class:`Unresolved` if checkov could not evaluate it."""
    if is_unresolved(value):
        raise Unresolved(str(value))
    return value


def attr(conf: dict[str, Any], key: str) -> Any:
    """The raw value of attribute ``key`` (checkov wraps each in a one-item list); None when absent."""
    value = conf.get(key)
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def known_attr(conf: dict[str, Any], key: str) -> Any:
    """Attribute ``key``, evaluated; None when absent. Raises :class:`Unresolved`."""
    return known(attr(conf, key))


def string_list(value: Any) -> list[str]:
    """An attribute that is a string or a list of strings, as a list (unresolved items kept as they are)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    return [str(value)]


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def blocks(conf: dict[str, Any], name: str, *, templates: bool = False) -> list[dict[str, Any]]:
    """The ``name`` blocks of ``conf``, static and dynamic ones.

    checkov expands a dynamic block when it can evaluate its ``for_each``. When it cannot, it keeps the
    block's content once, whatever the ``for_each`` holds, even an empty list: such a block is dropped when
    its ``for_each`` is empty. When its ``for_each`` is unknown this raises :class:`Unresolved`, unless
    ``templates`` asks for the content itself (to judge the shape every generated block will have).
    """
    found = [block for block in conf.get(name) or [] if isinstance(block, dict)]
    for entry in conf.get("dynamic") or []:
        spec = entry.get(name) if isinstance(entry, dict) else None
        if not isinstance(spec, dict) or "for_each" not in spec:
            continue  # expanded by checkov: its blocks are already in ``found``
        for_each = attr(spec, "for_each")
        if _is_empty(for_each):
            contents = spec.get("content") or []
            found = [block for block in found if block not in contents]
        elif is_unresolved(for_each) and not templates:
            raise Unresolved(f"dynamic {name} for_each = {for_each}")
    return found


def one_block(conf: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The first ``name`` block of ``conf``, or None."""
    found = blocks(conf, name)
    return found[0] if found else None


# -- KMS keys --------------------------------------------------------------------------------------------
_AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/")
_CUSTOMER_KEY_REFERENCE = re.compile(
    r"^(\$\{)?aws_kms_(key|alias|replica_key|replica_external_key|external_key)\."
)


def key_is_customer_managed(value: Any) -> bool:
    """Whether a KMS key attribute names a customer-managed key.

    False when it is absent or names an AWS-managed key (``alias/aws/<service>`` or its ARN); True for key
    IDs, key ARNs, other aliases and references to ``aws_kms_key``/``aws_kms_alias`` resources (AWS reserves
    ``alias/aws/`` for its own keys, so an alias resource is always a customer's). Raises
    :class:`Unresolved` for other expressions (a variable may well hold ``alias/aws/s3``).
    """
    if value is None or value == "":
        return False
    text = str(value).strip()
    if _CUSTOMER_KEY_REFERENCE.match(text):
        return True
    if _AWS_MANAGED_ALIAS.search(text):
        return False
    known(text)
    return True


# -- SageMaker endpoint configurations --------------------------------------------------------------------
def variant_instance_types(conf: dict[str, Any]) -> list[Any]:
    """The instance type of every production and shadow variant, as rendered (None for a serverless one).

    Raises :class:`Unresolved` when the variant blocks themselves are unknown (a dynamic block over an
    unknown ``for_each``).
    """
    return [
        attr(block, "instance_type")
        for block_name in ("production_variants", "shadow_production_variants")
        for block in blocks(conf, block_name)
    ]


def instance_types(conf: dict[str, Any]) -> list[str]:
    """The instance types of an endpoint configuration (serverless variants have none).

    Raises :class:`Unresolved` when a variant or its type is unknown.
    """
    return [str(known(t)) for t in variant_instance_types(conf) if t is not None]


def serverless_only(conf: dict[str, Any]) -> bool:
    """Whether every variant of an endpoint configuration is serverless. Raises :class:`Unresolved`."""
    return bool(variant_instance_types(conf)) and not instance_types(conf)


def needs_volume_key(conf: dict[str, Any]) -> bool:
    """Whether an endpoint configuration's ML storage volumes can and must be encrypted with ``kms_key_arn``.

    False for serverless-only configurations (no volume) and for instance types with local NVMe storage
    (config.yaml ``local_storage_instance_families``): those are encrypted in hardware and SageMaker rejects a
    key for them. Raises :class:`Unresolved`.
    """
    types = instance_types(conf)
    families = set(setting("local_storage_instance_families"))
    return bool(types) and not any(t.split(".")[1] in families for t in types if t.count(".") == 2)


# -- the graph -------------------------------------------------------------------------------------------
# checkov gives each check the scan's graph (rustworkx) as ``self.graph``. A vertex's ``config_`` holds the
# very dict the check receives as ``conf``, which is how a check finds its own vertex, its neighbours and the
# root module (and so the provider) it is deployed from.
Graph = Any
Vertex = dict[str, Any]


@dataclass
class _GraphIndex:
    graph: Graph
    by_conf: dict[int, int]
    by_name: dict[tuple[str, str, str], list[int]]


_INDEXES: dict[int, _GraphIndex] = {}


def _index(graph: Graph) -> _GraphIndex:
    cached = _INDEXES.get(id(graph))
    if cached is not None and cached.graph is graph:
        return cached
    by_conf: dict[int, int] = {}
    by_name: dict[tuple[str, str, str], list[int]] = {}
    for index in graph.node_indices():
        vertex = graph[index][1]
        by_name.setdefault(
            (vertex.get("block_type_", ""), vertex.get("block_name_", ""), vertex.get("file_path_", "")), []
        ).append(index)
        conf = vertex_conf(vertex)
        if conf is not None:
            by_conf[id(conf)] = index
    _INDEXES.clear()  # one scan at a time: keep only the current graph alive
    _INDEXES[id(graph)] = _GraphIndex(graph, by_conf, by_name)
    return _INDEXES[id(graph)]


def has_graph(graph: Graph) -> bool:
    """Whether ``graph`` is one these helpers can read (checkov's default rustworkx graph)."""
    return graph is not None and hasattr(graph, "node_indices") and hasattr(graph, "in_edges")


def vertex_conf(vertex: Vertex) -> dict[str, Any] | None:
    """The configuration dict of a resource, data or provider vertex (as checks receive it)."""
    config = vertex.get("config_")
    if not isinstance(config, dict) or len(config) != 1:
        return None
    inner = next(iter(config.values()))
    if isinstance(inner, dict) and "__address__" not in inner and len(inner) == 1:
        inner = next(iter(inner.values()))
    return inner if isinstance(inner, dict) else None


def vertex_of(graph: Graph, conf: dict[str, Any]) -> int | None:
    """The index of the vertex whose configuration is ``conf``, or None."""
    if not has_graph(graph):
        return None
    index = _index(graph).by_conf.get(id(conf))
    return index if index is not None and vertex_conf(graph[index][1]) is conf else None


def neighbours(
    graph: Graph, index: int, resource_types: Iterable[str], *, incoming: bool, label: str | None = None
) -> list[int]:
    """Vertices of ``resource_types`` that reference vertex ``index`` (incoming) or that it references.

    ``label`` keeps only references made by that attribute (of the referencing vertex).
    """
    wanted = set(resource_types)
    edges = graph.in_edges(index) if incoming else graph.out_edges(index)
    found: list[int] = []
    for source, target, data in edges:
        other = source if incoming else target
        if label is not None and str((data or {}).get("label", "")).split(".")[0] != label:
            continue
        if graph[other][1].get("resource_type") in wanted and other not in found:
            found.append(other)
    return found


def vertices_named(graph: Graph, block_type: str, name: str, file_path: str) -> list[Vertex]:
    """Vertices of a block type (``variable``, ``module``, ``provider``...) by name and file."""
    return [graph[i][1] for i in _index(graph).by_name.get((block_type, name, file_path), [])]


def resource_vertices(graph: Graph, resource_type: str) -> Iterator[int]:
    """Every vertex of ``resource_type``."""
    for index in graph.node_indices():
        if graph[index][1].get("resource_type") == resource_type:
            yield index


def _module_object(vertex: Vertex) -> dict[str, Any] | None:
    """The module call a vertex comes from (path of the calling file, nested_tf_module of that file's own
    call), as a dict; checkov stores a TFModule object, or its JSON when the graph was serialised."""
    return _as_dict(vertex.get("source_module_object_"))


def _as_dict(module: Any) -> dict[str, Any] | None:
    if not module:
        return None
    if isinstance(module, str):
        return _as_dict(json.loads(module))
    if isinstance(module, dict):
        return {**module, "nested_tf_module": _as_dict(module.get("nested_tf_module"))}
    return {
        "path": getattr(module, "path", ""),
        "nested_tf_module": _as_dict(getattr(module, "nested_tf_module", None)),
    }


def root_dir(vertex: Vertex) -> str:
    """The directory of the root module a vertex is deployed from (the outermost caller of its module)."""
    module = _module_object(vertex)
    if module is None:
        return os.path.dirname(vertex.get("file_path_", ""))
    while module.get("nested_tf_module"):
        module = module["nested_tf_module"]
    return os.path.dirname(module.get("path", ""))


def _breadcrumbs(vertex: Vertex, attribute: str) -> list[dict[str, Any]]:
    crumbs = vertex.get("rendering_breadcrumbs_") or {}
    return [c for c in crumbs.get(attribute, []) if isinstance(c, dict)]


def from_unset_variable(graph: Graph, vertex: Vertex, attribute: str, depth: int = 0) -> bool:
    """Whether ``attribute`` was rendered from a root variable that has no default.

    checkov renders such a variable as an empty value of its type (``{}`` for a map), which would otherwise
    read as "no tags" rather than "unknown". Module inputs are followed up to the root module.
    """
    if depth > 8:
        return False
    for crumb in _breadcrumbs(vertex, attribute):
        if crumb.get("type") != "variable":
            continue
        name = crumb.get("name", "")
        for variable in vertices_named(graph, "variable", name, crumb.get("path", "")):
            if not _module_object(variable):
                if "default" not in variable:
                    return True
                continue
            for caller in _breadcrumbs(variable, "default"):
                if caller.get("type") != "module":
                    continue
                for module in vertices_named(graph, "module", caller.get("name", ""), caller.get("path", "")):
                    if from_unset_variable(graph, module, name, depth + 1):
                        return True
    return False


def serves_only_serverless(graph: Graph, conf: dict[str, Any]) -> bool:
    """Whether every endpoint configuration that references this model (there must be one) is serverless-only.

    Serverless endpoints reject a model's ``vpc_config`` and network isolation. False when no configuration
    references the model or one of them is unknown.
    """
    index = vertex_of(graph, conf)
    if index is None:
        return False
    configs = [
        vertex_conf(graph[i][1]) or {}
        for i in neighbours(graph, index, ["aws_sagemaker_endpoint_configuration"], incoming=True)
    ]
    try:
        return bool(configs) and all(serverless_only(c) for c in configs)
    except Unresolved:
        return False


def attached(
    graph: Graph, conf: dict[str, Any], resource_type: str, key: str = "bucket"
) -> list[dict[str, Any]]:
    """Configurations of the ``resource_type`` resources that attach to this one through attribute ``key``.

    Found by reference (``bucket = aws_s3_bucket.x.id``) in the graph, or by an equal literal name
    (``bucket = "my-bucket"`` on both sides).
    """
    index = vertex_of(graph, conf)
    if index is None:
        return []
    found = [
        vertex_conf(graph[i][1]) for i in neighbours(graph, index, [resource_type], incoming=True, label=key)
    ]
    name = attr(conf, key)
    if isinstance(name, str) and name and not is_unresolved(name):
        for i in resource_vertices(graph, resource_type):
            other = vertex_conf(graph[i][1])
            if (
                other is not None
                and attr(other, key) == name
                and root_dir(graph[i][1]) == root_dir(graph[index][1])
            ):
                found.append(other)
    unique: list[dict[str, Any]] = []
    for other in found:
        if other is not None and all(other is not u for u in unique):
            unique.append(other)
    return unique


# -- tags ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tags:
    """The tags a resource gets: the provider's default_tags overlaid by its own ``tags``.

    ``complete`` is False when part of them could not be evaluated: then a key missing from ``values`` may
    still be set.
    """

    values: dict[str, Any]
    complete: bool

    def get(self, key: str) -> Any:
        return self.values.get(key)


def _tag_map(value: Any) -> tuple[dict[str, Any], bool]:
    if value is None:
        return {}, True
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if not is_unresolved(k)}, not any(
            is_unresolved(k) for k in value
        )
    return {}, False


def tags(graph: Graph, conf: dict[str, Any]) -> Tags:
    """The effective tags of the resource whose configuration is ``conf``."""
    index = vertex_of(graph, conf)
    vertex = graph[index][1] if index is not None else None
    values: dict[str, Any] = {}
    complete = True
    if vertex is not None:
        provider_tags, provider_complete = _default_tags(graph, vertex, conf)
        values.update(provider_tags)
        complete = provider_complete
    own, own_complete = _tag_map(attr(conf, "tags"))
    if vertex is not None and from_unset_variable(graph, vertex, "tags"):
        own_complete = False
    values.update(own)
    return Tags(values, complete and own_complete)


def _default_tags(graph: Graph, vertex: Vertex, conf: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The default_tags of the provider configuration the resource uses, in its root module."""
    address = conf.get("__provider_address__")
    if address is None and "provider" not in conf:
        # checkov 3.3.30 leaves the address out of some module resources (terraform/platform's network
        # module: its VPC, endpoints, flow log). Without a `provider` argument a resource uses its provider's
        # default configuration (a module call's `providers` map is not followed here).
        address = f"{str(vertex.get('resource_type', '')).split('_')[0]}.default"
    directory = root_dir(vertex)
    for provider in _providers(graph):
        provider_conf = vertex_conf(provider)
        if (
            provider_conf is None
            or provider.get("__address__") != address
            or os.path.dirname(provider.get("file_path_", "")) != directory
        ):
            continue
        try:
            block = one_block(provider_conf, "default_tags")
        except Unresolved:
            return {}, False
        if block is None:
            return {}, True
        values, complete = _tag_map(attr(block, "tags"))
        return values, complete and not from_unset_variable(graph, provider, "default_tags.tags")
    return {}, True


def _providers(graph: Graph) -> list[Vertex]:
    return [
        graph[i][1]
        for (kind, _, _), indexes in _index(graph).by_name.items()
        if kind == "provider"
        for i in indexes
    ]


def stage_is_production(graph: Graph, conf: dict[str, Any]) -> bool:
    """Whether a resource is production: no stage tag naming a non-production stage (secure by default)."""
    non_production = {str(s).lower() for s in setting("non_production_stages")}
    effective = tags(graph, conf)
    for key in setting("stage_tags"):
        stage = effective.get(key)
        if isinstance(stage, str) and not is_unresolved(stage) and stage.lower() in non_production:
            return False
    return True


def phi_verdict(graph: Graph, conf: dict[str, Any], keyed: Callable[[], CheckResult]) -> CheckResult:
    """The verdict of a "phi data uses a customer-managed key" check, ``keyed`` judging the key.

    Not classified phi: PASSED. Classified phi: ``keyed``. Classification unknown (an expression, or absent
    from tags checkov could not fully evaluate): PASSED if ``keyed`` passes, else UNKNOWN.
    """
    effective = tags(graph, conf)
    classification = effective.get("data-classification")
    if is_unresolved(classification) or (classification is None and not effective.complete):
        try:
            return CheckResult.PASSED if keyed() is CheckResult.PASSED else CheckResult.UNKNOWN
        except Unresolved:
            return CheckResult.UNKNOWN
    if str(classification).lower() != "phi":
        return CheckResult.PASSED
    return keyed()


# -- IAM policy documents --------------------------------------------------------------------------------
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


# -- check base classes ----------------------------------------------------------------------------------
def unset_roots(graph: Graph, conf: dict[str, Any]) -> set[str]:
    """Top-level attributes and blocks of ``conf`` rendered, in part, from a root variable without default."""
    index = vertex_of(graph, conf)
    if index is None:
        return set()
    vertex = graph[index][1]
    roots = set()
    for path in vertex.get("rendering_breadcrumbs_") or {}:
        parts = path.split(".")
        root = parts[1] if parts[0] == "dynamic" and len(parts) > 1 else parts[0]
        if root not in roots and from_unset_variable(graph, vertex, path):
            roots.add(root)
    return roots


def judge(
    check: BaseResourceCheck | BaseDataCheck, conf: dict[str, Any], evaluate: Callable[[], CheckResult]
) -> CheckResult:
    """``evaluate()``, with :class:`Unresolved` reported as UNKNOWN.

    So is any verdict on an attribute that came from a root variable without a default: checkov renders such
    a variable as an empty list or map, which reads as "none" where the truth is "whatever the caller sets"
    (an empty ``actions`` list would pass, an empty ``subnets`` list fail). Tags are left to :func:`tags`,
    which knows which keys are certain.
    """
    try:
        result = evaluate()
    except Unresolved:
        return CheckResult.UNKNOWN
    inspected = {key.split("/")[0] for key in check.evaluated_keys} - {"tags"}
    if result is not CheckResult.UNKNOWN and inspected & unset_roots(check.graph, conf):
        return CheckResult.UNKNOWN
    return result


class ResourceCheck(BaseResourceCheck):
    """A resource check whose :meth:`evaluate` may raise :class:`Unresolved`; see :func:`judge`."""

    def __init__(
        self,
        check_id: str,
        name: str,
        categories: Iterable[CheckCategories],
        resources: Iterable[str],
        file: str,
    ) -> None:
        super().__init__(
            name=name,
            id=check_id,
            categories=list(categories),
            supported_resources=list(resources),
            guideline=guideline(file),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return judge(self, conf, lambda: self.evaluate(conf))

    @abstractmethod
    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        """PASSED or FAILED for ``conf``; raise :class:`Unresolved` when a needed value is unknown."""


class DataCheck(BaseDataCheck):
    """A data-source check whose :meth:`evaluate` may raise :class:`Unresolved`; see :func:`judge`."""

    def __init__(
        self, check_id: str, name: str, categories: Iterable[CheckCategories], data: Iterable[str], file: str
    ) -> None:
        super().__init__(
            name=name,
            id=check_id,
            categories=list(categories),
            supported_data=list(data),
            guideline=guideline(file),
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        return judge(self, conf, lambda: self.evaluate(conf))

    @abstractmethod
    def evaluate(self, conf: dict[str, Any]) -> CheckResult:
        """PASSED or FAILED for ``conf``; raise :class:`Unresolved` when a needed value is unknown."""


def passed_if(condition: bool) -> CheckResult:
    """PASSED when ``condition`` holds, FAILED otherwise."""
    return CheckResult.PASSED if condition else CheckResult.FAILED


def all_of(*conditions: Callable[[], bool]) -> CheckResult:
    """FAILED if a condition is known not to hold, else UNKNOWN if one is unknown, else PASSED.

    So a resource that is wrong in a way checkov can see fails even when another of its values is unknown.
    """
    unknown = False
    for condition in conditions:
        try:
            if not condition():
                return CheckResult.FAILED
        except Unresolved:
            unknown = True
    return CheckResult.UNKNOWN if unknown else CheckResult.PASSED
