"""The scan's graph: a check's own vertex, its neighbours, and the root module it is deployed from.

checkov gives each check the scan's graph (rustworkx) as ``self.graph``. A vertex's ``config_`` holds the very
dict the check receives as ``conf``, which is how a check finds its own vertex, its neighbours and the root
module (and so the provider) it is deployed from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from _helpers.values import attr, is_unresolved

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


def provider_vertices(graph: Graph) -> list[Vertex]:
    """Every provider configuration block of the scan."""
    return [
        graph[i][1]
        for (kind, _, _), indexes in _index(graph).by_name.items()
        if kind == "provider"
        for i in indexes
    ]
