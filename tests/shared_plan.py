"""One plan for the root modules several test files plan, each with variables of its own: every inventoried
example (tests/modules/test_static.py), the team-platform composition (tests/modules/test_team_platform.py)
and terraform/platform in each environment (tests/stacks/test_environments.py).

Each file registers its calls when it is imported (``register``); the first test to read the ``plan_parts``
fixture (tests/conftest.py) plans every registered call together (``launchpad.combined``: one init, plan and
``show -json`` in one fresh sandbox account, where each file planning on its own paid for those three again,
~7 CPU-s a file). The tests that read it are one xdist group (``GROUP``), so the plan is made once per run;
a run of one file plans that file's calls only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from launchpad import combined
from launchpad.aws import AwsTarget
from launchpad.terraform import terraform_env

GROUP = "shared-plan"  # the xdist group of every test that reads the plan_parts fixture
_CALLS: dict[str, combined.Call] = {}


def register(name: str, call: combined.Call) -> None:
    """Have ``call`` planned in the shared plan, its part read as ``plan_parts[name]`` (by tests in the
    ``GROUP`` xdist group)."""
    if _CALLS.get(name, call) != call:
        raise ValueError(f"{name} is registered twice, with different calls")
    _CALLS[name] = call


def plan_registered(workdir: Path, target: AwsTarget) -> dict[str, dict[str, Any]]:
    """Every registered call's part of one plan, by name: its ``resource_changes`` with its own addresses,
    and its configuration (``configuration.root_module``), as its own plan would have them."""
    names = sorted(_CALLS)
    parts = combined.plan_together([_CALLS[name] for name in names], workdir, terraform_env(target.env()))
    return dict(zip(names, parts, strict=True))
