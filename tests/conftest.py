"""The harness's plugins, and the one plan several test files share (tests/shared_plan.py)."""

from __future__ import annotations

from typing import Any

import pytest

from launchpad.aws import AwsTarget
from tests.shared_plan import plan_registered

pytest_plugins = ["launchpad.testing", "launchpad.profiling"]


@pytest.fixture(scope="session")
def plan_parts(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> dict[str, dict[str, Any]]:
    """Every call the test files registered (tests/shared_plan.py), planned together once: each call's part
    of the plan by name."""
    return plan_registered(tmp_path_factory.mktemp("shared-plan"), AwsTarget.sandbox(sandbox_url))
