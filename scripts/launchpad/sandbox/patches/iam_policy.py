"""Reading IAM policy document elements (policies are evaluated by ``launchpad.sandbox.authz``)."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list of them (``Action``, ``Resource``, ``Service``)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
