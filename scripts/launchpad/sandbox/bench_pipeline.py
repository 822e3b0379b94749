"""How long the sandbox takes to run a small delivery pipeline end to end (for ``launchpad bench``).

The pipeline is the smallest one of launchpad's shape, in a fresh sandbox account: an S3 source action, a
CodeBuild Build action that writes its output artifact, and a CodeBuild Test action that reads it; three
actions, two builds that run their buildspecs as local processes. The time is from StartPipelineExecution
to the execution's Succeeded, polled every 50 ms: the pipeline's own overhead (roles, artifacts, logs,
shells), since the builds' commands are tiny.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox.workloads import PipelineRun

NAME = "bench-pipeline"
_BUILD = {
    "version": "0.2",
    "phases": {"build": {"commands": ["echo built > out.txt"]}},
    "artifacts": {"files": ["out.txt"]},
}
_TEST = {"version": "0.2", "phases": {"build": {"commands": ["grep -q built out.txt"]}}}
_ENVIRONMENT: dict[str, Any] = {
    "type": "LINUX_CONTAINER",
    "image": "aws/codebuild/standard:7.0",
    "computeType": "BUILD_GENERAL1_SMALL",
}


def _role(target: AwsTarget, name: str, service: str, statements: list[dict[str, Any]]) -> str:
    iam = target.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    return arn


def _bucket(target: AwsTarget, name: str, versioned: bool = False) -> str:
    s3: Any = target.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def action(
    name: str, category: str, provider: str, configuration: dict[str, str], **artifacts: Any
) -> dict[str, Any]:
    """A pipeline action declaration (CodePipeline's ``ActionDeclaration``) owned by AWS, at run order 1;
    ``inputs=[...]`` and ``outputs=[...]`` name its artifacts."""
    return {
        "name": name,
        "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": configuration,
        "inputArtifacts": [{"name": a} for a in artifacts.get("inputs", [])],
        "outputArtifacts": [{"name": a} for a in artifacts.get("outputs", [])],
        "runOrder": 1,
    }


def _setup(target: AwsTarget) -> str:
    """The pipeline, its buckets, projects and roles; the source bucket (still without its object)."""
    account, region = target.account_id, target.region
    source, store = _bucket(target, f"{NAME}-src-{account}", True), _bucket(target, f"{NAME}-store-{account}")
    store_objects, store_arn = f"arn:aws:s3:::{store}/*", f"arn:aws:s3:::{store}"
    logs = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    build_role = _role(
        target,
        f"{NAME}-build",
        "codebuild.amazonaws.com",
        [
            {"Effect": "Allow", "Action": logs, "Resource": "*"},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": store_objects},
            {"Effect": "Allow", "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"], "Resource": store_arn},
        ],
    )
    codebuild: Any = target.client("codebuild")
    for project, spec in (("build", _BUILD), ("test", _TEST)):
        codebuild.create_project(
            name=f"{NAME}-{project}",
            source={"type": "CODEPIPELINE", "buildspec": json.dumps(spec)},
            artifacts={"type": "CODEPIPELINE"},
            environment=_ENVIRONMENT,
            serviceRole=build_role,
        )
    reads = ["s3:GetBucketVersioning", "s3:GetObject", "s3:GetObjectVersion"]
    pipeline_role = _role(
        target,
        f"{NAME}-pipeline",
        "codepipeline.amazonaws.com",
        [
            {
                "Effect": "Allow",
                "Action": reads,
                "Resource": [f"arn:aws:s3:::{source}", f"arn:aws:s3:::{source}/*"],
            },
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": store_objects},
            {
                "Effect": "Allow",
                "Action": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                "Resource": f"arn:aws:codebuild:{region}:{account}:project/{NAME}-*",
            },
        ],
    )
    s3_source = {"S3Bucket": source, "S3ObjectKey": "source.zip", "PollForSourceChanges": "false"}
    build, test = {"ProjectName": f"{NAME}-build"}, {"ProjectName": f"{NAME}-test"}
    stages = [
        {"name": "Source", "actions": [action("Source", "Source", "S3", s3_source, outputs=["src"])]},
        {
            "name": "Build",
            "actions": [action("Build", "Build", "CodeBuild", build, inputs=["src"], outputs=["out"])],
        },
        {"name": "Test", "actions": [action("Test", "Test", "CodeBuild", test, inputs=["out"])]},
    ]
    pipeline: dict[str, Any] = {"name": NAME, "roleArn": pipeline_role}
    pipeline["artifactStore"] = {"type": "S3", "location": store}
    codepipeline: Any = target.client("codepipeline")
    codepipeline.create_pipeline(pipeline={**pipeline, "stages": stages})
    return source


def _source_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "bench\n")
    return buffer.getvalue()


def measure_pipeline(endpoint_url: str, timeout: float = 120.0) -> dict[str, float]:
    """Seconds a three-action pipeline (S3 source, build, test) takes on the sandbox at ``endpoint_url``."""
    target = AwsTarget.sandbox(endpoint_url)
    source = _setup(target)
    run = PipelineRun(target, NAME, poll_interval=0.05)
    run.follow_latest()
    run.wait(timeout)  # the execution CreatePipeline started fails at once: the source is not there yet
    target.client("s3").put_object(Bucket=source, Key="source.zip", Body=_source_zip())
    started = time.perf_counter()
    run.start()
    status = run.wait(timeout)
    elapsed = time.perf_counter() - started
    if status != "Succeeded":
        failed = [a for a in run.actions() if a["status"] != "Succeeded"]
        raise SandboxError(f"the bench pipeline ended {status}: {json.dumps(failed, default=str)[:2000]}")
    return {"pipeline_small_s": round(elapsed, 3)}
