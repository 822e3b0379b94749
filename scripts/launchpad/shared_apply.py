"""Several examples applied by one root module: one init, apply, re-plan and destroy for all of them.

Each Terraform command that loads the AWS provider pays ~2.5 s of CPU for its schema before any work, and
the small examples (a key, a topic, a bucket) spend most of their apply, re-plan and destroy on it. Here one
generated root calls each example as a child module (``launchpad.combined.write_root``, the way the fast
tier validates and plans many roots at once) with the variables it would get on its own, re-exports each
call's outputs as one output per call, and attributes a re-plan's changes to the call they are in
(``module.root_<i>.``): each example keeps its own outputs and its own empty-re-plan check.

A member may declare an update (``update_vars``: the variables a change of its inputs sets, a new image say).
The first member to ask for its update applies every member's at once, through one saved plan and one apply
(four examples' model changes: one plan, show, apply and output instead of four of each); each member gets its
part of that plan and of the apply's log, with its own addresses, and its snapshot from just before (what it
needs of the old state to check the change). The next re-plan is made after the update.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.combined import CALL_NAME, Call, call_index, plan_parts, write_root
from launchpad.errors import TerraformError
from launchpad.terraform import Terraform, summarize_errors, terraform_env

OUTPUTS_FILE = "outputs.tf"
_CHANGES = frozenset({"create", "update", "delete", "replace", "read"})


@dataclass(frozen=True)
class Member:
    """One example of a shared apply: its folder, the variables it gets (``name``, ``region``, ...) and the
    ones its update sets on top of those (none: it takes no part in the update)."""

    key: str
    source: Path
    tf_vars: Mapping[str, Any] = field(default_factory=dict)
    update_vars: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Updated:
    """A member's share of the update: its snapshot from just before, its part of the saved plan that was
    applied (``resource_changes`` with its own addresses), the apply's log lines about its resources (with its
    own addresses, in the order Terraform printed them) and its outputs after."""

    before: Any
    plan: dict[str, Any]
    apply_log: str
    outputs: dict[str, Any]


def log_part(log: str, index: int) -> str:
    """The lines of an apply's log about the resources of call ``index``, with the call's prefix removed."""
    prefix = f"module.{CALL_NAME.format(index)}."
    return "".join(
        line.removeprefix(prefix) for line in log.splitlines(keepends=True) if line.startswith(prefix)
    )


def attribute_replan(messages: Sequence[Mapping[str, Any]], calls: int) -> list[list[str]]:
    """Each call's changes in ``plan -json``'s messages: the planned changes of resources under
    ``module.root_<i>`` and a changed ``root_<i>`` output; a change outside every call belongs to all."""
    found: list[list[str]] = [[] for _ in range(calls)]

    def record(index: int | None, change: str) -> None:
        for owner in [index] if index is not None and index < calls else range(calls):
            found[owner].append(change)

    for message in messages:
        if message.get("type") == "planned_change":
            change = message.get("change", {})
            if change.get("action") in _CHANGES:
                address = change.get("resource", {}).get("addr", "")
                record(call_index(address), str(message.get("@message", change)))
        elif message.get("type") == "outputs":
            for name, output in message.get("outputs", {}).items():
                if output.get("action", "noop") != "noop":
                    record(call_index(f"module.{name}"), f"output {name}: {output['action']}")
    return found


class SharedApply:
    """The members applied together in ``parent/shared`` against ``target``; destroyed at most once."""

    def __init__(self, members: Sequence[Member], target: AwsTarget, parent: Path) -> None:
        if not members:
            raise ValueError("a shared apply needs at least one member")
        self.members = list(members)
        self.target = target
        self.dir = parent / "shared"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._index = {member.key: index for index, member in enumerate(self.members)}
        write_root([Call(m.source, dict(m.tf_vars)) for m in self.members], self.dir)
        (self.dir / OUTPUTS_FILE).write_text(
            "".join(
                f'output "{CALL_NAME.format(i)}" {{\n  value = module.{CALL_NAME.format(i)}\n}}\n'
                for i in range(len(self.members))
            )
        )
        self.tf = Terraform(self.dir, terraform_env(target.env()))
        self.applied = False
        self.destroyed = False
        self._outputs: dict[str, Any] = {}
        self._replan: list[list[str]] | None = None
        self._updated: dict[str, Updated] | None = None
        self._update_failed: Exception | None = None

    def apply(self) -> None:
        """Init and apply every member (a failed apply still counts as applied, to be destroyed)."""
        self.tf.init()
        self.applied = True
        self.tf.apply()
        self._outputs = self.tf.outputs()

    def member(self, key: str) -> Member:
        return self.members[self._index[key]]

    def outputs(self, key: str) -> dict[str, Any]:
        return dict(self._outputs[CALL_NAME.format(self._index[key])])

    def variables(self, key: str) -> dict[str, Any]:
        """The variables ``key`` is applied with (its ``name``, ``region``, ...)."""
        return dict(self.member(key).tf_vars)

    def replan(self, key: str) -> tuple[int, str]:
        """``key``'s part of one ``plan -detailed-exitcode`` of the whole root (made on the first ask): 0
        when nothing of it would change, 2 and its changes otherwise."""
        if self._replan is None:
            code, messages = self._plan_messages()
            self._replan = attribute_replan(messages, len(self.members))
            if code == 2 and not any(self._replan):  # a change no message names: everyone's
                self._replan = [["the re-plan exited 2 (changes) without naming them"]] * len(self.members)
        changes = self._replan[self._index[key]]
        return (2, "\n".join(changes)) if changes else (0, "")

    def update(self, key: str, snapshot: Callable[[str], Any]) -> Updated:
        """``key``'s share of the update of every member that declares one (made on the first ask, after
        ``snapshot(member_key)`` of each of them; a failed update fails every later ask too)."""
        if not self.member(key).update_vars:
            raise ValueError(f"{key} declares no update (its update_vars are empty)")
        if self._update_failed is not None:
            raise RuntimeError(
                f"the shared update failed earlier: {self._update_failed}"
            ) from self._update_failed
        if self._updated is None:
            if self.destroyed:
                raise RuntimeError("the shared apply was destroyed before its update")
            try:
                self._updated = self._update(snapshot)
            except Exception as exc:
                self._update_failed = exc
                raise
        return self._updated[key]

    def _update(self, snapshot: Callable[[str], Any]) -> dict[str, Updated]:
        updating = [m for m in self.members if m.update_vars]
        before = {m.key: snapshot(m.key) for m in updating}
        write_root([Call(m.source, {**m.tf_vars, **m.update_vars}) for m in self.members], self.dir)
        plan = self.tf.plan()  # saved, then applied as it is: exactly the plan each member reads
        self._replan = None  # the next re-plan is the updated root's
        log = self.tf.apply(saved_plan=True)
        self._outputs = self.tf.outputs()
        parts = plan_parts(plan, len(self.members))
        return {
            m.key: Updated(
                before[m.key],
                parts[self._index[m.key]],
                log_part(log, self._index[m.key]),
                self.outputs(m.key),
            )
            for m in updating
        }

    def _plan_messages(self) -> tuple[int, list[dict[str, Any]]]:
        done, messages = self.tf.plan_messages("-detailed-exitcode")
        if done.returncode not in (0, 2):
            errors = [m["@message"] for m in messages if m.get("@level") == "error"]
            reason = "\n".join(errors) or summarize_errors(done.stderr)
            raise TerraformError(f"terraform plan failed in {self.dir}:\n{reason}")
        return done.returncode, messages

    def destroy(self) -> None:
        """Destroy every member, once: the members share one account, so the first destroy is everyone's."""
        if self.destroyed:
            return
        self.tf.destroy(refresh=False)  # the re-plan read the state; no member changes what it holds
        self.destroyed = True

    def cleanup(self) -> None:
        """Destroy what was applied and not destroyed yet (a failed destroy raises); remove the folder."""
        try:
            if self.applied and not self.destroyed:
                self.destroy()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class MemberWorkspace:
    """What a ``Stack`` of a shared apply offers its tests in place of its own workspace."""

    shared: SharedApply
    key: str

    def update(self, snapshot: Callable[[str], Any]) -> Updated:
        return self.shared.update(self.key, snapshot)

    def replan(self) -> tuple[int, str]:
        return self.shared.replan(self.key)

    def destroy(self) -> None:
        self.shared.destroy()
