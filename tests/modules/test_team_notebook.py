"""team-notebook planned, then its example applied for real.

The plan (fast tier, the suite's shared plan): the instance with direct internet and root access off (not
even variables), its volume key, in the platform's subnet; the lifecycle scripts decoded (on create: the
project installed with pip from CodeCommit or from an S3 wheel prefix; on start: the idle shutdown's script
and its cron entry); the idle shutdown's decision against a local Jupyter API; the role's statements. Its
example's inventory, fmt, validate, README table, checkov and bad input are test_static's.

The example applied (sandbox tier, one apply for the file): the instance and its lifecycle configuration read
back; the role proven both ways (issue 8): with its own credentials it starts an execution of a pipeline the
test creates and follows it, reads the team's data and the registry group, stops its own instance and writes
its log; UpdateModelPackage to Approved is AccessDenied (an explicit deny); and a copy of the role
without each allow statement entry is refused its call with AccessDenied naming the action. Then an empty
re-plan and a destroy that leaves nothing."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from launchpad import combined
from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir
from launchpad.sandbox import control, workloads
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests import shared_plan
from tests.sandbox.support import outcome, refusal

MODULE = modules_dir() / "team-notebook"
BASE = yaml.safe_load((Path(__file__).parent / "team-notebook" / "validation_cases.yaml").read_text())[
    "base_vars"
]
WHEELS = "s3://lp-platform-111122223333-artifacts/lp-churn/wheels/"
INDEX = "https://acme-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/platform/simple/"
CALLS = {
    "git": combined.Call(MODULE, BASE),
    "wheels": combined.Call(
        MODULE,
        {**BASE, "project_source": {"type": "s3", "uri": WHEELS, "index_url": INDEX}, "idle_minutes": 30},
    ),
}
for _name, _call in CALLS.items():
    shared_plan.register(f"team-notebook:{_name}", _call)


@pytest.fixture
def planned(plan_parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: {c["address"]: c["change"]["after"] for c in part["resource_changes"] if c["mode"] == "managed"}
        for name, part in ((name, plan_parts[f"team-notebook:{name}"]) for name in CALLS)
    }


def _statements(policy: str) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: {**s, "Action": sorted(as_list(s["Action"])), "Resource": sorted(as_list(s["Resource"]))}
        for s in json.loads(policy)["Statement"]
    }


def _scripts(plan: dict[str, Any]) -> tuple[str, str]:
    config = plan["aws_sagemaker_notebook_instance_lifecycle_configuration.this"]
    return base64.b64decode(config["on_create"]).decode(), base64.b64decode(config["on_start"]).decode()


def test_internet_and_root_access_cannot_be_turned_on() -> None:
    declared = combined.variables(MODULE)
    assert "direct_internet_access" not in declared and "root_access" not in declared, declared


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_the_notebook_is_private_rootless_and_encrypted_in_the_platforms_subnet(
    planned: dict[str, dict[str, Any]],
) -> None:
    notebook = planned["git"]["aws_sagemaker_notebook_instance.this"]
    assert (notebook["direct_internet_access"], notebook["root_access"]) == ("Disabled", "Disabled")
    assert notebook["kms_key_id"] == BASE["kms_key_arn"]
    assert notebook["subnet_id"] == BASE["network"]["subnet_id"]
    assert notebook["security_groups"] == BASE["network"]["security_group_ids"]
    assert (notebook["instance_type"], notebook["platform_identifier"]) == ("ml.t3.medium", "notebook-al2-v3")
    assert notebook["instance_metadata_service_configuration"] == [
        {"minimum_instance_metadata_service_version": "2"}
    ]
    assert notebook["lifecycle_config_name"] == "lp-churn-dev"


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_on_create_installs_the_project_from_codecommit_or_from_wheels_without_internet(
    planned: dict[str, dict[str, Any]],
) -> None:
    on_create, _ = _scripts(planned["git"])
    assert on_create.startswith("#!/bin/bash\n")
    assert "credential.helper '!aws codecommit credential-helper $@'" in on_create
    assert (
        'pip install --no-cache-dir "git+https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/lp-churn"'
        in (on_create)
    )
    assert "source /home/ec2-user/anaconda3/bin/activate python3" in on_create
    wheels, _ = _scripts(planned["wheels"])
    assert f'aws s3 cp --recursive "{WHEELS}" /tmp/launchpad-wheels/' in wheels
    assert f"pip install --no-cache-dir --index-url {INDEX} --find-links /tmp/launchpad-wheels" in wheels
    assert "git" not in wheels.replace("git+", "")  # nothing of the git source
    for script in (on_create, wheels):
        subprocess.run(["bash", "-n"], input=script.encode(), check=True)


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_on_start_installs_the_idle_shutdown_with_its_minutes(planned: dict[str, dict[str, Any]]) -> None:
    _, on_start = _scripts(planned["wheels"])
    subprocess.run(["bash", "-n"], input=on_start.encode(), check=True)
    encoded = on_start.split("<<'SCRIPT'\n", 1)[1].split("\nSCRIPT\n", 1)[0]
    assert base64.b64decode(encoded) == (MODULE / "scripts" / "idle_shutdown.py").read_bytes()
    assert (
        "*/5 * * * * root /usr/bin/python3 /usr/local/bin/launchpad-idle-shutdown.py --idle-minutes 30 "
        in on_start
    )
    assert "/etc/cron.d/launchpad-idle-shutdown" in on_start


@pytest.mark.xdist_group(shared_plan.GROUP)
def test_the_role_starts_the_pipeline_reads_data_and_models_and_never_approves(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["git"]
    [trust] = json.loads(plan["aws_iam_role.notebook"]["assume_role_policy"])["Statement"]
    account = trust["Condition"]["StringEquals"]["aws:SourceAccount"]
    arn = f"arn:aws:sagemaker:eu-west-1:{account}"
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"{arn}:notebook-instance/lp-churn-dev"}
    statements = _statements(plan["aws_iam_role_policy.notebook"]["policy"])
    assert statements["StartTeamPipeline"]["Resource"] == [f"{arn}:pipeline/lp-churn-training"]
    assert statements["FollowTeamPipeline"]["Resource"] == [
        f"{arn}:pipeline/lp-churn-training",
        f"{arn}:pipeline/lp-churn-training/execution/*",
    ]
    assert statements["ReadTeamData"]["Resource"] == ["arn:aws:s3:::lp-platform-111122223333-data/lp-churn/*"]
    assert statements["DecryptTeamDataThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    }
    assert statements["NeverApproveModelVersions"] == {
        "Sid": "NeverApproveModelVersions",
        "Effect": "Deny",
        "Action": ["sagemaker:UpdateModelPackage"],
        "Resource": ["*"],
    }
    assert not [
        s
        for s in statements.values()
        if s["Effect"] == "Allow" and "sagemaker:UpdateModelPackage" in s["Action"]
    ]
    assert statements["StopItselfWhenIdle"]["Resource"] == [f"{arn}:notebook-instance/lp-churn-dev"]
    assert statements["InstallProjectFromCodeCommit"]["Resource"] == [
        f"arn:aws:codecommit:eu-west-1:{account}:lp-churn"
    ]
    wheels = _statements(planned["wheels"]["aws_iam_role_policy.notebook"]["policy"])
    assert "InstallProjectFromCodeCommit" not in wheels
    assert wheels["ReadProjectWheels"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-artifacts/lp-churn/wheels/*"
    ]


# -- the idle shutdown, against a local Jupyter API ------------------------------------------------------
class _Jupyter(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        body = json.dumps(self.answers[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def jupyter() -> Iterator[tuple[str, dict[str, Any]]]:
    server = HTTPServer(("127.0.0.1", 0), _Jupyter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Jupyter.answers
    finally:
        server.shutdown()


def _decide(server: str, answers: dict[str, Any], kernels: list[dict[str, str]], tmp_path: Path) -> str:
    started = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
    answers.update({"/api/status": {"started": started}, "/api/kernels": kernels})
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceName": "lp-churn-dev"}))
    script = MODULE / "scripts" / "idle_shutdown.py"
    command = [
        sys.executable,
        str(script),
        "--idle-minutes",
        "60",
        "--server",
        server,
        "--metadata",
        str(metadata),
    ]
    return subprocess.run([*command, "--dry-run"], capture_output=True, text=True, check=True).stdout


def test_the_idle_shutdown_stops_only_after_the_idle_minutes(
    jupyter: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    server, answers = jupyter
    now = datetime.now(UTC)
    recent = {"execution_state": "idle", "last_activity": (now - timedelta(minutes=10)).isoformat()}
    old = {"execution_state": "idle", "last_activity": (now - timedelta(minutes=90)).isoformat()}
    busy = {"execution_state": "busy", "last_activity": (now - timedelta(hours=3)).isoformat()}
    assert _decide(server, answers, [old, recent], tmp_path).startswith("active")
    assert _decide(server, answers, [busy], tmp_path).startswith("active")
    assert "stopping lp-churn-dev" in _decide(server, answers, [old], tmp_path)
    assert "stopping lp-churn-dev" in _decide(server, answers, [], tmp_path)  # no kernel since the start


# -- the example applied ---------------------------------------------------------------------------------
DATA_BUCKET = f"lp-team-data-{uuid.uuid4().hex[:10]}"
PROJECT = "lp-churn"
stack = example_stack(
    "team-notebook", tf_vars={"data_bucket": DATA_BUCKET, "project": PROJECT, "name": "lp-churn-dev"}
)
DATA_KEY = f"{PROJECT}/training/part-0.csv"


class Team:
    """What the platform holds for the team: its data (SSE-KMS with the example's key), its pipeline (with a
    role SageMaker may take) and its registry group with one version; removed again before the destroy."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.closed = False
        self.pipeline = f"{PROJECT}-training"
        s3, iam, sagemaker = stack.client("s3"), stack.client("iam"), stack.client("sagemaker")
        s3.create_bucket(
            Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": stack.target.region}
        )
        s3.put_object(
            Bucket=DATA_BUCKET,
            Key=DATA_KEY,
            Body=b"tenure,churned\n3,1\n",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=stack.outputs["key_arn"],
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        self.pipeline_role = iam.create_role(
            RoleName=f"{PROJECT}-test-pipeline", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        definition = {
            "Version": "2020-12-01",
            "Metadata": {},
            "Parameters": [],
            "Steps": [{"Name": "Done", "Type": "Fail", "Arguments": {"ErrorMessage": "no training here"}}],
        }
        sagemaker.create_pipeline(
            PipelineName=self.pipeline,
            PipelineDefinition=json.dumps(definition),
            RoleArn=self.pipeline_role,
            ClientRequestToken=uuid.uuid4().hex,
        )
        sagemaker.create_model_package_group(ModelPackageGroupName=PROJECT)
        self.version = sagemaker.create_model_package(
            ModelPackageGroupName=PROJECT,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        )["ModelPackageArn"]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        s3, iam, sagemaker = self.stack.client("s3"), self.stack.client("iam"), self.stack.client("sagemaker")
        sagemaker.delete_model_package(ModelPackageName=self.version)
        sagemaker.delete_model_package_group(ModelPackageGroupName=PROJECT)
        sagemaker.delete_pipeline(PipelineName=self.pipeline, ClientRequestToken=uuid.uuid4().hex)
        iam.delete_role(RoleName=self.pipeline_role.rsplit("/", 1)[1])
        for found in s3.list_objects_v2(Bucket=DATA_BUCKET).get("Contents", []):
            s3.delete_object(Bucket=DATA_BUCKET, Key=found["Key"])
        s3.delete_bucket(Bucket=DATA_BUCKET)


@pytest.fixture(scope="module")
def team(stack: Stack) -> Iterator[Team]:
    if not stack.target.is_sandbox:
        pytest.skip("the proofs read the sandbox's record of who was allowed what")
    made = Team(stack)
    try:
        yield made
    finally:
        made.close()


def test_the_notebook_and_its_lifecycle_configuration_read_back(stack: Stack) -> None:
    sagemaker = stack.client("sagemaker")
    notebook = sagemaker.describe_notebook_instance(
        NotebookInstanceName=stack.outputs["notebook_instance_name"]
    )
    assert (notebook["DirectInternetAccess"], notebook["RootAccess"]) == ("Disabled", "Disabled")
    assert notebook["KmsKeyId"] == stack.outputs["key_arn"]
    assert notebook["SubnetId"] == stack.outputs["subnet_id"]
    assert notebook["SecurityGroups"] == [stack.outputs["security_group_id"]]
    assert notebook["RoleArn"] == stack.outputs["role_arn"]
    config = sagemaker.describe_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=stack.outputs["lifecycle_config_name"]
    )
    on_start = base64.b64decode(config["OnStart"][0]["Content"]).decode()
    assert "launchpad-idle-shutdown.py --idle-minutes 60" in on_start


class NotebookCalls:
    """What the team does from the notebook, as its role, one function per action."""

    def __init__(self, stack: Stack, team: Team) -> None:
        target = stack.target
        self.stack, self.team = stack, team
        self.session = workloads.service_session(
            target,
            stack.outputs["role_arn"],
            "sagemaker.amazonaws.com",
            stack.outputs["notebook_instance_arn"],
        )
        self.sagemaker = self.session.client("sagemaker")
        self.s3 = self.session.client("s3")
        self.execution = ""
        self.stream = f"{stack.outputs['notebook_instance_name']}/jupyter.log"

    def start(self) -> None:
        self.execution = self.sagemaker.start_pipeline_execution(
            PipelineName=self.team.pipeline, ClientRequestToken=uuid.uuid4().hex
        )["PipelineExecutionArn"]

    def calls(self) -> dict[str, Callable[[], Any]]:
        sagemaker, pipeline, logs = self.sagemaker, self.team.pipeline, self.session.client("logs")
        return {
            "sagemaker:StartPipelineExecution": self.start,
            "sagemaker:DescribePipeline": lambda: sagemaker.describe_pipeline(PipelineName=pipeline),
            "sagemaker:ListPipelineExecutions": lambda: sagemaker.list_pipeline_executions(
                PipelineName=pipeline
            ),
            "sagemaker:DescribePipelineExecution": lambda: sagemaker.describe_pipeline_execution(
                PipelineExecutionArn=self.execution
            ),
            "sagemaker:ListPipelineExecutionSteps": lambda: sagemaker.list_pipeline_execution_steps(
                PipelineExecutionArn=self.execution
            ),
            "s3:ListBucket": lambda: self.s3.list_objects_v2(Bucket=DATA_BUCKET, Prefix=f"{PROJECT}/"),
            "s3:GetObject": lambda: self.s3.get_object(Bucket=DATA_BUCKET, Key=DATA_KEY)["Body"].read(),
            "kms:Decrypt": lambda: self.s3.get_object(Bucket=DATA_BUCKET, Key=DATA_KEY)["Body"].read(),
            "sagemaker:DescribeModelPackageGroup": lambda: sagemaker.describe_model_package_group(
                ModelPackageGroupName=PROJECT
            ),
            "sagemaker:DescribeModelPackage": lambda: sagemaker.describe_model_package(
                ModelPackageName=self.team.version
            ),
            "sagemaker:ListModelPackages": lambda: sagemaker.list_model_packages(
                ModelPackageGroupName=PROJECT
            ),
            "logs:CreateLogStream": lambda: logs.create_log_stream(
                logGroupName="/aws/sagemaker/NotebookInstances", logStreamName=self.stream
            ),
            "logs:PutLogEvents": lambda: logs.put_log_events(
                logGroupName="/aws/sagemaker/NotebookInstances",
                logStreamName=self.stream,
                logEvents=[{"timestamp": 1_700_000_000_000, "message": "kernel started"}],
            ),
            "sagemaker:StopNotebookInstance": lambda: sagemaker.stop_notebook_instance(
                NotebookInstanceName=self.stack.outputs["notebook_instance_name"]
            ),
        }


# Granted for what the sandbox does not run (it boots no notebook instance: nothing installs the project or
# makes the notebook's network interface), so no call of the workload needs them.
NOT_EXERCISED = {
    "codecommit:GitPull",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
}


def test_the_role_is_proven_both_ways_and_cannot_approve_a_version(stack: Stack, team: Team) -> None:
    target, role_arn = stack.target, stack.outputs["role_arn"]
    notebook = NotebookCalls(stack, team)
    calls = notebook.calls()
    workloads.clear_usage(target, role_arn)
    results = {action: outcome(call) for action, call in calls.items()}
    assert {action: result for action, result in results.items() if result != "ok"} == {}
    evidence = workloads.evidence(target, role_arn)
    assert not evidence.denied and not evidence.redundant, evidence.describe()
    assert {e.action for e in evidence.unused} <= NOT_EXERCISED, evidence.describe()
    # approving is denied explicitly, whatever else the role holds
    approve = lambda: notebook.sagemaker.update_model_package(  # noqa: E731
        ModelPackageArn=team.version, ModelApprovalStatus="Approved"
    )
    assert outcome(approve) == "AccessDenied"
    denied = workloads.usage(target, role_arn)["denied"]
    assert "sagemaker:UpdateModelPackage" in {d["action"] for d in denied}
    approver = stack.client("sagemaker").describe_model_package(ModelPackageName=team.version)
    assert approver["ModelApprovalStatus"] == "PendingManualApproval"
    role = role_arn.rsplit("/", 1)[1]
    proven = set()
    stack.client("sagemaker").start_notebook_instance(
        NotebookInstanceName=stack.outputs["notebook_instance_name"]
    )
    for entry, (action, _) in evidence.necessary.items():
        workloads.clear_usage(target, role_arn)
        with workloads.without(target, role, entry):
            refused = refusal(calls[action])
        assert "AccessDenied" in refused and action in refused, (entry, refused)
        proven.add(action)
    assert proven == set(calls), sorted(set(calls) - proven)


def test_the_role_is_taken_for_its_own_notebook_only(stack: Stack) -> None:
    other = stack.outputs["notebook_instance_arn"] + "-other"
    with pytest.raises(control.Refused):
        workloads.service_session(stack.target, stack.outputs["role_arn"], "sagemaker.amazonaws.com", other)


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack, team: Team) -> None:
    team.close()
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
