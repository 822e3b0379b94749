"""The environments of a root stack (``terraform/platform``): plan and apply one with its var file and
backend, against its AWS account, or against the local sandbox.

``envs/<env>.tfvars`` holds an environment's settings and ``envs/<env>.backend.hcl`` its remote state
(made by ``terraform/bootstrap``). The sandbox environment needs neither an account nor a backend: it
starts the sandbox if needed and keeps its state locally, in ``.launchpad/stacks/<stack>/sandbox/``.
Every environment gets a working copy of its own there, so switching environments never re-initialises
another one's backend.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from launchpad.aws import AwsTarget
from launchpad.errors import LaunchpadError
from launchpad.paths import checkout_state_dir, repo_root
from launchpad.sandbox import Sandbox
from launchpad.workspace import Workspace

log = logging.getLogger(__name__)

SANDBOX = "sandbox"
# The sandbox account environments are applied into (the sandbox gives every 12-digit key its own account).
SANDBOX_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Environment:
    """One environment of one root stack."""

    name: str
    stack: str = "platform"

    @property
    def stack_dir(self) -> Path:
        return repo_root() / "terraform" / self.stack

    @property
    def var_file(self) -> Path:
        return self.stack_dir / "envs" / f"{self.name}.tfvars"

    @property
    def backend_file(self) -> Path | None:
        return None if self.is_sandbox else self.stack_dir / "envs" / f"{self.name}.backend.hcl"

    @property
    def is_sandbox(self) -> bool:
        return self.name == SANDBOX

    def check(self) -> None:
        """Fail with what to do when the stack, its var file or its backend file is missing."""
        if not self.stack_dir.is_dir():
            raise LaunchpadError(f"no stack terraform/{self.stack}; stacks: {', '.join(stacks())}")
        if not self.var_file.exists():
            known = ", ".join(names(self.stack)) or "none"
            raise LaunchpadError(
                f"environment {self.name!r} has no {self.var_file.relative_to(repo_root())} "
                f"(environments of {self.stack}: {known})"
            )
        backend = self.backend_file
        if backend is not None and not backend.exists():
            raise LaunchpadError(
                f"environment {self.name!r} has no {backend.relative_to(repo_root())}: apply "
                "terraform/bootstrap in its account once and save its backend_configs output there"
            )

    def target(self) -> AwsTarget:
        """The sandbox (started if it is not running) or the account of the credentials in the environment."""
        if self.is_sandbox:
            info = Sandbox().up()
            return AwsTarget.sandbox(info.url, account_id=SANDBOX_ACCOUNT_ID)
        if boto3.Session().get_credentials() is None:
            raise LaunchpadError(
                f"no AWS credentials for environment {self.name!r}: set AWS_PROFILE or AWS_ACCESS_KEY_ID "
                "(or use ENV=sandbox, which needs no account)"
            )
        return AwsTarget.real()

    def workspace(self, target: AwsTarget) -> Workspace:
        """The environment's working copy of the stack (its configuration refreshed, its state kept)."""
        self.check()
        parent = checkout_state_dir() / "stacks" / self.stack / self.name
        parent.mkdir(parents=True, exist_ok=True)
        return Workspace(
            self.stack_dir,
            target,
            parent=parent,
            var_file=self.var_file,
            backend_config=self.backend_file,
        )


def stacks() -> list[str]:
    return sorted(p.name for p in (repo_root() / "terraform").iterdir() if (p / "main.tf").exists())


def names(stack: str = "platform") -> list[str]:
    """The environments a stack has var files for."""
    envs = repo_root() / "terraform" / stack / "envs"
    return sorted(p.stem for p in envs.glob("*.tfvars")) if envs.is_dir() else []


_SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<="}


def _action(change: dict[str, Any]) -> str:
    actions = change["change"]["actions"]
    return "replace" if set(actions) == {"create", "delete"} else actions[0]


def _changes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The managed resources a plan changes."""
    return [
        c
        for c in plan.get("resource_changes", [])
        if c["mode"] == "managed" and c["change"]["actions"] != ["no-op"]
    ]


def summarize_plan(plan: dict[str, Any]) -> list[str]:
    """One line per resource the plan changes (Terraform's symbols), then the totals."""
    changes = [(c["address"], _action(c)) for c in _changes(plan)]
    lines = [f"{_SYMBOLS.get(action, action):>3} {address}" for address, action in changes]
    counts = Counter(action for _, action in changes)
    lines.append(
        f"{counts['create'] + counts['replace']} to add, {counts['update']} to change, "
        f"{counts['delete'] + counts['replace']} to destroy"
    )
    return lines


def has_changes(plan: dict[str, Any]) -> bool:
    return bool(_changes(plan))
