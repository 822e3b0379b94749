"""The harness itself: applied examples stay on one xdist worker."""

from __future__ import annotations

import pytest


def test_applied_example_tests_are_grouped_on_one_worker(request: pytest.FixtureRequest) -> None:
    """Under `--dist loadgroup`, xdist marks grouped tests by suffixing their node id with `@<group>`;
    if a pytest/xdist upgrade breaks that, each example would be applied once per worker."""
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("only meaningful in an xdist worker with --dist loadgroup (make test)")
    stack_tests = [item for item in request.session.items if "stack" in getattr(item, "fixturenames", ())]
    if not stack_tests:
        pytest.skip("no applied-example tests were collected alongside this one")
    ungrouped = [item.nodeid for item in stack_tests if "@" not in item.nodeid]
    assert not ungrouped, f"not grouped for xdist: {ungrouped[:3]}"
