"""Request validation against an AWS API model's constraints (min, max, enum), shared by the patches.

AWS checks every request against its API model and answers ``ValidationException`` with messages of the
form ``Value '<v>' at '<path>' failed to satisfy constraint: ...``; botocore ships the same model, so the
sandbox can check a request exactly as AWS would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, Shape, StringShape, StructureShape


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def constraint_errors(value: Any, shape: Shape, path: str) -> list[str]:
    """AWS-style messages for ``value`` breaking the min/max/enum constraints of ``shape`` (recursively)."""
    errors: list[str] = []
    meta = shape.metadata
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for name, member in shape.members.items():
            if value.get(name) is not None:
                errors += constraint_errors(value[name], member, f"{path}.{_lower_first(name)}")
    elif isinstance(shape, ListShape) and isinstance(value, list):
        if "min" in meta and len(value) < meta["min"]:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length "
                f"greater than or equal to {meta['min']}"
            )
        if "max" in meta and len(value) > meta["max"]:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length "
                f"less than or equal to {meta['max']}"
            )
        for index, item in enumerate(value, start=1):
            errors += constraint_errors(item, shape.member, f"{path}.{index}.member")
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        if "min" in meta and value < meta["min"]:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value "
                f"greater than or equal to {meta['min']}"
            )
        if "max" in meta and value > meta["max"]:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value "
                f"less than or equal to {meta['max']}"
            )
    elif isinstance(shape, StringShape) and shape.enum and value not in shape.enum:
        errors.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy enum "
            f"value set: [{', '.join(shape.enum)}]"
        )
    return errors


def validation_message(errors: list[str]) -> str:
    """AWS's ValidationException text for a request breaking ``errors`` constraints."""
    return f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: {'; '.join(errors)}"
