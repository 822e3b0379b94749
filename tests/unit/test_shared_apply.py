"""launchpad.shared_apply without Terraform: a re-plan's changes go to the example they are in."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchpad.aws import AwsTarget
from launchpad.shared_apply import Member, SharedApply, attribute_replan


def _change(address: str, action: str) -> dict:
    return {
        "type": "planned_change",
        "@message": f"{address}: Plan to {action}",
        "change": {"resource": {"addr": address}, "action": action},
    }


def test_each_change_goes_to_the_call_it_is_in() -> None:
    messages = [
        {"type": "version", "terraform": "1.11.4"},
        _change("module.root_1.module.kms.aws_kms_key.this", "update"),
        _change("module.root_10.aws_sns_topic.this", "replace"),
        _change("module.root_1.data.aws_iam_policy_document.x", "read"),
        {"type": "resource_drift", "change": {"resource": {"addr": "module.root_0.aws_s3_bucket.b"}}},
        {"type": "change_summary", "changes": {"add": 0, "change": 1}},
    ]
    found = attribute_replan(messages, 11)
    assert found[1] == [
        "module.root_1.module.kms.aws_kms_key.this: Plan to update",
        "module.root_1.data.aws_iam_policy_document.x: Plan to read",
    ]
    assert found[10] == ["module.root_10.aws_sns_topic.this: Plan to replace"]
    assert found[0] == [], "drift without a planned change is not a change (plan exits 0)"
    assert all(not f for i, f in enumerate(found) if i not in (1, 10))


def test_a_changed_output_is_its_calls_and_a_change_outside_every_call_is_everyones() -> None:
    messages = [
        {"type": "outputs", "outputs": {"root_0": {"action": "noop"}, "root_2": {"action": "update"}}},
        _change("aws_kms_key.stray", "create"),
    ]
    found = attribute_replan(messages, 3)
    assert found[2] == ["output root_2: update", "aws_kms_key.stray: Plan to create"]
    assert found[0] == found[1] == ["aws_kms_key.stray: Plan to create"]


def test_the_root_calls_each_member_and_exports_its_outputs(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    for name in ("a", "b"):
        (examples / name).mkdir(parents=True)
        (examples / name / "main.tf").write_text('variable "name" {}\n')
    members = [
        Member("a/complete", examples / "a", {"name": "lp-a-1", "region": "eu-west-1"}),
        Member("b/complete", examples / "b", {"name": "lp-b-1"}),
    ]
    shared = SharedApply(
        members, AwsTarget.sandbox("http://127.0.0.1:9", account_id="123456789012"), tmp_path
    )
    main = (shared.dir / "main.tf").read_text()
    assert 'module "root_0" {\n  source = "../examples/a"\n  name = "lp-a-1"\n  region = "eu-west-1"' in main
    assert 'module "root_1" {\n  source = "../examples/b"\n  name = "lp-b-1"\n}' in main
    outputs = (shared.dir / "outputs.tf").read_text()
    assert 'output "root_1" {\n  value = module.root_1\n}' in outputs
    with pytest.raises(ValueError):
        SharedApply([], shared.target, tmp_path / "none")


class _FakeTerraform:
    """What a shared apply's update asks of Terraform: a saved plan, its apply and the outputs after."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def plan(self) -> dict:
        self.calls.append("plan")
        if self.fail:
            raise RuntimeError("plan failed")
        return {
            "resource_changes": [
                {"address": "module.root_0.aws_sns_topic.this", "change": {"actions": ["update"]}},
                {"address": "module.root_1.aws_kms_key.this", "change": {"actions": ["no-op"]}},
            ]
        }

    def apply(self, saved_plan: bool = False) -> str:
        self.calls.append(f"apply saved={saved_plan}")
        return (
            "module.root_0.aws_sns_topic.this: Modifying... [id=t]\n"
            "module.root_1.aws_kms_key.this: Refreshing state...\n"
            "module.root_0.aws_sns_topic.this: Modifications complete after 0s [id=t]\n"
            "\nApply complete! Resources: 0 added, 1 changed, 0 destroyed.\n"
        )

    def outputs(self) -> dict:
        self.calls.append("outputs")
        return {"root_0": {"arn": "new"}, "root_1": {"key": "same"}}


def _two_members(tmp_path: Path, fail: bool = False) -> tuple[SharedApply, _FakeTerraform]:
    examples = tmp_path / "examples"
    for name in ("a", "b"):
        (examples / name).mkdir(parents=True)
        (examples / name / "main.tf").write_text('variable "name" {}\n')
    members = [
        Member("a/complete", examples / "a", {"name": "lp-a-1"}, {"image": "new"}),
        Member("b/complete", examples / "b", {"name": "lp-b-1"}),
    ]
    shared = SharedApply(
        members, AwsTarget.sandbox("http://127.0.0.1:9", account_id="123456789012"), tmp_path
    )
    fake = _FakeTerraform(fail)
    shared.tf = fake  # type: ignore[assignment]
    shared._replan = [[], []]  # a re-plan made before the update
    return shared, fake


def test_an_update_is_one_saved_plan_applied_for_every_member_that_declares_one(tmp_path: Path) -> None:
    shared, fake = _two_members(tmp_path)
    snapped: list[str] = []
    updated = shared.update("a/complete", lambda key: snapped.append(key) or f"before {key}")
    assert snapped == ["a/complete"], "only the members that update are snapshotted, before the plan"
    assert updated.before == "before a/complete"
    assert updated.plan["resource_changes"] == [
        {"address": "aws_sns_topic.this", "change": {"actions": ["update"]}}
    ]
    assert updated.apply_log.splitlines() == [
        "aws_sns_topic.this: Modifying... [id=t]",
        "aws_sns_topic.this: Modifications complete after 0s [id=t]",
    ]
    assert updated.outputs == {"arn": "new"} == shared.outputs("a/complete")
    main = (shared.dir / "main.tf").read_text()
    assert 'name = "lp-a-1"\n  image = "new"\n}' in main and 'name = "lp-b-1"\n}' in main
    assert shared._replan is None, "the next re-plan is made after the update"
    assert shared.update("a/complete", lambda key: pytest.fail("snapshotted twice")) is updated
    assert fake.calls == ["plan", "apply saved=True", "outputs"]
    with pytest.raises(ValueError, match="declares no update"):
        shared.update("b/complete", lambda key: None)


def test_a_failed_update_fails_every_later_ask_without_planning_again(tmp_path: Path) -> None:
    shared, fake = _two_members(tmp_path, fail=True)
    with pytest.raises(RuntimeError, match="plan failed"):
        shared.update("a/complete", lambda key: None)
    with pytest.raises(RuntimeError, match="the shared update failed earlier: plan failed"):
        shared.update("a/complete", lambda key: None)
    assert fake.calls == ["plan"]


def test_no_update_after_the_destroy(tmp_path: Path) -> None:
    shared, fake = _two_members(tmp_path)
    shared.destroyed = True
    with pytest.raises(RuntimeError, match="destroyed before its update"):
        shared.update("a/complete", lambda key: None)
    assert fake.calls == []
