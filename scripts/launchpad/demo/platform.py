"""The demo's platform steps: bring up the sandbox, apply the platform stack (``terraform/platform`` with
``envs/sandbox.tfvars``: keys per data domain, the private network, the encrypted buckets, and the demo model
project's registry, execution role and delivery pipeline) into a fresh sandbox account, read back with boto3
what was created; at the end destroy it, prove nothing is left, and stop the sandbox if the demo started it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.environments import Environment
from launchpad.errors import LaunchpadError
from launchpad.inventory import account_inventory
from launchpad.sandbox import Sandbox
from launchpad.workspace import Workspace


@dataclass
class PlatformDemo:
    environment: Environment = field(default_factory=lambda: Environment("sandbox"))
    sandbox: Sandbox = field(default_factory=Sandbox)
    target: AwsTarget | None = None
    workspace: Workspace | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    created: str = "nothing"
    _resources: ExitStack = field(default_factory=ExitStack)

    def up(self) -> Iterator[tuple[str, Callable[[], str]]]:
        """(title, action) pairs; each action returns a one-line result to show."""
        yield "start the sandbox", self.start_sandbox
        yield f"init terraform/{self.environment.stack} (envs/{self.environment.name}.tfvars)", self.init
        yield "apply the platform stack", self.apply
        yield "read back what was created (boto3)", self.describe
        yield "check the re-plan is empty", self.replan

    def down(self) -> Iterator[tuple[str, Callable[[], str]]]:
        yield "destroy the platform stack", self.destroy
        yield "check nothing is left", self.check_empty

    def start_sandbox(self) -> str:
        reused = "" if self.sandbox.status() is None else " (already running)"
        info = self._resources.enter_context(self.sandbox.running())
        self.target = AwsTarget.sandbox(info.url)
        return f"{info.url}{reused}, fresh account {self.target.account_id}"

    def init(self) -> str:
        assert self.target is not None
        # envs/sandbox.tfvars force-destroys buckets: the sandbox writes real access logs into the log bucket.
        tf_vars = {"name": "lp-demo", "region": self.target.region}
        self.workspace = Workspace(
            self.environment.stack_dir, self.target, tf_vars, var_file=self.environment.var_file
        )
        self.workspace.init()
        return str(self.workspace.dir)

    def apply(self) -> str:
        assert self.workspace is not None
        self.outputs = self.workspace.apply()
        assert self.target is not None
        kinds = account_inventory(self.target)
        shown = ", ".join(f"{len(names)} {kind}" for kind, names in sorted(kinds.items()))
        self.created = f"{len(self.workspace.tf.state_resources())} Terraform resources ({shown})"
        return self.created

    def describe(self) -> str:
        assert self.target is not None
        return "; ".join(describe_platform(self.target, self.outputs))

    def replan(self) -> str:
        assert self.workspace is not None
        code, diff = self.workspace.replan()
        if code != 0:
            raise LaunchpadError(f"the re-plan after apply is not empty:\n{diff}")
        return "no changes"

    def destroy(self) -> str:
        assert self.workspace is not None
        self.workspace.destroy()
        return "destroyed"

    def check_empty(self) -> str:
        assert self.target is not None
        left = account_inventory(self.target)
        if left:
            raise LaunchpadError(f"the destroy left resources behind: {left}")
        return "the account is empty"

    def close(self) -> None:
        """Always: destroy whatever is still applied, remove the copy, stop a sandbox we started."""
        try:
            if self.workspace is not None:
                self.workspace.cleanup()
        finally:
            self._resources.close()


def describe_platform(target: AwsTarget, outputs: dict[str, Any]) -> list[str]:
    """One line per security property of the platform, read from AWS (not from Terraform)."""
    s3, kms, ec2, iam = target.client("s3"), target.client("kms"), target.client("ec2"), target.client("iam")
    lines = []
    for bucket in outputs["bucket_names"].values():
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        algorithm = rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
        lines.append(f"bucket {bucket}: {algorithm}, versioning {versioning}")
    for domain, key_arn in outputs["kms_key_arns"].items():
        rotation = kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]
        lines.append(
            f"key {domain} ({key_arn.rsplit('/', 1)[-1][:8]}): rotation {'on' if rotation else 'OFF'}"
        )
    vpc_id = outputs["vpc_id"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    public = [s["SubnetId"] for s in subnets if s["MapPublicIpOnLaunch"]]
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    lines.append(
        f"vpc {vpc_id}: {len(subnets)} subnets ({len(public)} public), {len(endpoints)} endpoints, "
        f"flow logs {flow_logs[0]['FlowLogStatus'] if flow_logs else 'MISSING'}"
    )
    for project in outputs["model_projects"].values():
        role = project["sagemaker_role_name"]
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        lines.append(f"role {role}: {len(attached)} managed policies attached")
        pipeline = target.client("codepipeline").get_pipeline(name=project["pipeline_name"])["pipeline"]
        stages = " > ".join(stage["name"] for stage in pipeline["stages"])
        lines.append(f"pipeline {pipeline['name']}: {stages}")
    return lines
