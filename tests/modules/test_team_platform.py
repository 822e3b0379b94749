"""modules/iam/examples/team-platform: the modules composed as a platform team composes them (another
region, modules used more than once, the team's own names and keys, ARNs wired from outputs), planned in the
fast tier.

Not applied by the suite: its three buckets' S3 lifecycle configurations alone hold an apply for 55 s in the
provider (docs/sandbox-s3-lifecycle.md), and each part is applied already by its module's own example. Applied
once by hand into the sandbox: apply 123 s, re-plan empty (54 s), destroy 83 s, nothing left (2 loaded cores).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from launchpad import combined
from launchpad.paths import modules_dir
from tests import shared_plan

EXAMPLE = modules_dir() / "iam" / "examples" / "team-platform"
REGION = "us-east-2"  # not the region of the modules' own examples
NAME = "acme-risk-dev"

# Planned with other root modules of the suite in one plan (tests/shared_plan.py); its provider is in REGION.
shared_plan.register("team-platform", combined.Call(EXAMPLE, {"name": NAME, "region": REGION}))


@pytest.fixture
def plan(plan_parts: dict[str, dict[str, Any]]) -> Any:
    return plan_parts["team-platform"]


def _after(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["address"]: c["change"]["after"] for c in plan["resource_changes"] if c["mode"] == "managed"}


pytestmark = pytest.mark.xdist_group(shared_plan.GROUP)


def test_modules_are_used_more_than_once(plan: Any) -> None:
    counts = Counter(c["type"] for c in plan["resource_changes"] if c["mode"] == "managed")
    assert counts["aws_kms_key"] == 2
    assert counts["aws_s3_bucket"] == 3
    assert counts["aws_sns_topic"] == 2
    assert counts["aws_sagemaker_endpoint"] == 1


def test_the_team_names_and_region_are_used(plan: Any) -> None:
    after = _after(plan)
    aliases = sorted(v["name"] for a, v in after.items() if a.endswith("aws_kms_alias.this"))
    assert aliases == [f"alias/{NAME}/data", f"alias/{NAME}/logs"]
    zones = sorted(v["availability_zone"] for a, v in after.items() if ".aws_subnet.private[" in a)
    assert zones == [f"{REGION}a", f"{REGION}b"]
    topics = sorted(v["name"] for a, v in after.items() if a.endswith("aws_sns_topic.this"))
    assert topics == [f"{NAME}-alerts-alarms", f"{NAME}-capacity"]
    assert after["module.execution_role.module.role.aws_iam_role.this"]["name"] == f"{NAME}-scorer-execution"


def test_no_arn_is_built_by_hand() -> None:
    """Every ARN the team passes comes from an output: the root module spells no ARN itself."""
    text = "\n".join(p.read_text() for p in sorted(EXAMPLE.glob("*.tf")))
    assert '"arn:' not in text and "arn:${" not in text


def test_the_role_is_scoped_by_outputs(plan: Any) -> None:
    """The execution role's ARN inputs reference other modules' outputs (Terraform's record of it)."""
    role = plan["configuration"]["root_module"]["module_calls"]["execution_role"]["expressions"]
    references = {name: set(role[name].get("references", [])) for name in role}
    assert "module.network.private_subnet_arns" in references["vpc_subnet_arns"]
    assert "aws_security_group.endpoint.arn" in references["vpc_security_group_arns"]
    assert "module.models.bucket_arn" in references["s3_read_bucket_arns"]
    assert "module.capture.bucket_arn" in references["s3_write_bucket_arns"]
    assert "module.images.repository_arn" in references["ecr_repository_arns"]
    assert "module.monitoring.log_group_arn" in references["log_group_arns"]
    monitoring = plan["configuration"]["root_module"]["module_calls"]["monitoring"]["expressions"]
    assert "local.rollback_alarm_prefix" in monitoring["alarm_name_prefixes"]["references"]
