"""The tags a resource gets (provider default_tags overlaid by its own), its stage, and PHI verdicts."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _helpers.graph import (
    Graph,
    Vertex,
    from_unset_variable,
    provider_vertices,
    root_dir,
    vertex_conf,
    vertex_of,
)
from _helpers.settings import setting
from _helpers.values import Unresolved, attr, is_unresolved, one_block
from checkov.common.models.enums import CheckResult


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
    for provider in provider_vertices(graph):
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
