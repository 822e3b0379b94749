"""The checks' base classes: a check's ``evaluate`` may raise :class:`Unresolved`, reported as UNKNOWN."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from _helpers.graph import Graph, from_unset_variable, vertex_of
from _helpers.settings import guideline
from _helpers.values import Unresolved
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


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
