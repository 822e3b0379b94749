"""Reading IAM policy documents (bucket policies, role trust policies) the way AWS evaluates an Allow to a
service principal, shared by the patches that must decide whether AWS would let a service act."""

from __future__ import annotations

import fnmatch
from typing import Any


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list of them (``Action``, ``Resource``, ``Service``)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def allows_service(policy: dict[str, Any], service: str, action: str, resource: str | None = None) -> bool:
    """Whether a statement of ``policy`` allows the service principal ``service`` to take ``action`` (on
    ``resource``, when given); actions and resources match with IAM's ``*`` and ``?`` wildcards."""
    for statement in as_list(policy.get("Statement")):
        principal = statement.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if statement.get("Effect") != "Allow" or service not in services:
            continue
        if not any(fnmatch.fnmatchcase(action, allowed) for allowed in as_list(statement.get("Action"))):
            continue
        resources = as_list(statement.get("Resource"))
        if resource is None or any(fnmatch.fnmatchcase(resource, allowed) for allowed in resources):
            return True
    return False
