"""SageMaker endpoint configurations: their variants' instance types, serverless or not, volume keys."""

from __future__ import annotations

from typing import Any

from _helpers.graph import Graph, neighbours, vertex_conf, vertex_of
from _helpers.settings import setting
from _helpers.values import Unresolved, attr, blocks, known


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
