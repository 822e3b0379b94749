"""The sandbox's workload routes play AWS services taking a role through its trust policy and acting as it:
a service session (STS), a CodeBuild build session as the project's service role, an EventBridge delivery as
the target's role; and the evidence read afterwards (which statement entry allowed which call, ``evidence``),
with ``without`` taking one entry out for a re-run. Pipeline executions, which run their builds, are
tests/sandbox/test_pipeline_runs.py's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import control, workloads
from launchpad.sandbox.workloads import Entry
from tests.sandbox.support import client_error, service_role

pytestmark = pytest.mark.sandbox

CODEBUILD = "codebuild.amazonaws.com"
CODEPIPELINE = "codepipeline.amazonaws.com"
EVENTS = "events.amazonaws.com"
BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - make test\n"
ENVIRONMENT = {
    "type": "LINUX_CONTAINER",
    "image": "aws/codebuild/standard:7.0",
    "computeType": "BUILD_GENERAL1_SMALL",
}


def _allow(
    actions: list[str] | str, resource: list[str] | str = "*", sid: str | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    return {"Sid": sid, **statement} if sid else statement


def _bucket(target: AwsTarget, prefix: str) -> str:
    name = f"{prefix}-{target.account_id}"
    target.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": target.region}
    )
    return name


def _keys(target: AwsTarget, bucket: str) -> list[str]:
    return [o["Key"] for o in target.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def _identity(target: AwsTarget) -> str:
    return str(target.client("sts").get_caller_identity()["Arn"])


# -- service sessions ----------------------------------------------------------------------------------------
def test_a_service_the_trust_policy_does_not_name_is_refused_a_session(sandbox_target: AwsTarget) -> None:
    role = service_role(sandbox_target, "build-only", CODEBUILD)
    with pytest.raises(control.Refused) as raised:
        workloads.service_session(sandbox_target, role, "sagemaker.amazonaws.com")
    assert str(raised.value) == (
        f"sagemaker.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: {role} "
        "because no resource-based policy allows the sts:AssumeRole action"
    )
    assert raised.value.document["error"] == "AccessDenied"


def test_a_service_the_trust_policy_names_gets_the_roles_session(sandbox_target: AwsTarget) -> None:
    role = service_role(sandbox_target, "build-only", CODEBUILD)
    session = workloads.service_session(sandbox_target, role, CODEBUILD, session_name="unit")
    assert session.credentials is not None and session.account_id == sandbox_target.account_id
    assert _identity(session) == f"arn:aws:sts::{sandbox_target.account_id}:assumed-role/build-only/unit"
    with pytest.raises(ClientError) as raised:  # the session has the role's (empty) permissions
        session.client("s3").list_buckets()
    assert client_error(raised) == (
        "AccessDenied",
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/build-only/unit is not authorized to "
        "perform: s3:ListAllMyBuckets on resource: * because no identity-based policy allows the "
        "s3:ListAllMyBuckets action",
    )
    default = workloads.service_session(sandbox_target, role, CODEBUILD)
    assert _identity(default) == f"arn:aws:sts::{sandbox_target.account_id}:assumed-role/build-only/codebuild"


def test_source_arn_and_source_account_conditions_refuse_another_source(sandbox_target: AwsTarget) -> None:
    account, region = sandbox_target.account_id, sandbox_target.region
    project = f"arn:aws:codebuild:{region}:{account}:project/trusted"
    role = service_role(
        sandbox_target,
        "deputy",
        CODEBUILD,
        conditions={"ArnLike": {"aws:SourceArn": project}, "StringEquals": {"aws:SourceAccount": account}},
    )
    for other in (f"arn:aws:codebuild:{region}:{account}:project/other", None):
        with pytest.raises(
            control.Refused, match=f"not authorized to perform: sts:AssumeRole on resource: {role}"
        ):
            workloads.service_session(sandbox_target, role, CODEBUILD, source_arn=other)
    session = workloads.service_session(sandbox_target, role, CODEBUILD, source_arn=project)
    assert _identity(session).endswith(":assumed-role/deputy/codebuild")

    other_account = service_role(
        sandbox_target,
        "other-account",
        CODEBUILD,
        conditions={"StringEquals": {"aws:SourceAccount": "111122223333"}},
    )
    with pytest.raises(control.Refused, match=f"sts:AssumeRole on resource: {other_account} because"):
        workloads.service_session(sandbox_target, other_account, CODEBUILD)


# -- CodeBuild builds ----------------------------------------------------------------------------------------
def _project(target: AwsTarget, name: str, role: str, **extra: Any) -> None:
    target.client("codebuild").create_project(
        name=name,
        source={"type": "NO_SOURCE", "buildspec": BUILDSPEC},
        artifacts={"type": "NO_ARTIFACTS"},
        environment=ENVIRONMENT,
        serviceRole=role,
        **extra,
    )
    target.client("logs").create_log_group(logGroupName=f"/aws/codebuild/{name}")


def _build_role(target: AwsTarget, name: str, project: str, *statements: dict[str, Any]) -> str:
    group = f"arn:aws:logs:{target.region}:{target.account_id}:log-group:/aws/codebuild/{project}"
    logs = _allow(["logs:CreateLogStream", "logs:PutLogEvents"], [group, f"{group}:*"])
    return service_role(target, name, CODEBUILD, [logs, *statements])


def test_a_build_runs_with_the_projects_service_role_session(sandbox_target: AwsTarget) -> None:
    account = sandbox_target.account_id
    bucket = _bucket(sandbox_target, "build-io")
    sandbox_target.client("s3").put_object(Bucket=bucket, Key="in/source.zip", Body=b"zip")
    role = _build_role(
        sandbox_target,
        "unit-build",
        "unit",
        _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/*"),
        _allow(["s3:GetBucketAcl", "s3:GetBucketLocation"], f"arn:aws:s3:::{bucket}"),
    )
    _project(sandbox_target, "unit", role)
    build = workloads.start_build(
        sandbox_target, "unit", f"s3://{bucket}/in/source.zip", f"s3://{bucket}/out/build.zip"
    )
    assert build.id.startswith("unit:") and build.reachable is None
    session = _identity(build.target)
    assert session == f"arn:aws:sts::{account}:assumed-role/unit-build/AWSCodeBuild-{build.id.split(':')[1]}"
    assert build.target.client("s3").get_object(Bucket=bucket, Key="in/source.zip")["Body"].read() == b"zip"
    assert _keys(sandbox_target, bucket) == ["in/source.zip"]
    workloads.complete_build(sandbox_target, build)
    assert _keys(sandbox_target, bucket) == ["in/source.zip", "out/build.zip"]
    with pytest.raises(ClientError) as raised:  # a completed build's credentials are gone
        build.target.client("s3").get_object(Bucket=bucket, Key="in/source.zip")
    assert client_error(raised)[0] == "InvalidAccessKeyId"
    with pytest.raises(control.Refused, match=f"no running build {build.id}"):
        workloads.complete_build(sandbox_target, build)
    events = sandbox_target.client("logs").filter_log_events(logGroupName="/aws/codebuild/unit")["events"]
    assert [e["message"] for e in events] == [f"Running build {build.id}", f"Build {build.id} succeeded"]


def test_a_builds_log_stream_is_the_projects_stream_name_prefix_then_the_build_id(
    sandbox_target: AwsTarget,
) -> None:
    role = _build_role(sandbox_target, "prefixed-build", "prefixed")
    logs_config = {"cloudWatchLogs": {"status": "ENABLED", "streamName": "ci"}}
    _project(sandbox_target, "prefixed", role, logsConfig=logs_config)
    build = workloads.start_build(sandbox_target, "prefixed")
    workloads.complete_build(sandbox_target, build)
    logs = sandbox_target.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/codebuild/prefixed")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"ci/{build.id.split(':')[1]}"]


def test_a_build_whose_role_may_not_upload_its_output_fails_and_its_session_ends(
    sandbox_target: AwsTarget,
) -> None:
    bucket = _bucket(sandbox_target, "build-out")
    role = _build_role(
        sandbox_target,
        "no-upload",
        "no-upload",
        _allow(["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:ListBucket"], f"arn:aws:s3:::{bucket}"),
    )
    _project(sandbox_target, "no-upload", role)
    build = workloads.start_build(sandbox_target, "no-upload", output_uri=f"s3://{bucket}/out/build.zip")
    assert build.target.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    with pytest.raises(control.Refused) as raised:
        workloads.complete_build(sandbox_target, build)
    assert str(raised.value).startswith("PutObject was refused: User: arn:aws:sts::")
    assert f"s3:PutObject on resource: arn:aws:s3:::{bucket}/out/build.zip" in str(raised.value)
    assert _keys(sandbox_target, bucket) == []
    with pytest.raises(ClientError) as ended:  # the build is over: its credentials no longer work
        build.target.client("s3").list_objects_v2(Bucket=bucket)
    assert client_error(ended)[0] == "InvalidAccessKeyId"


def test_a_build_whose_role_may_not_read_its_input_is_refused(sandbox_target: AwsTarget) -> None:
    bucket = _bucket(sandbox_target, "build-in")
    sandbox_target.client("s3").put_object(Bucket=bucket, Key="source.zip", Body=b"zip")
    _project(sandbox_target, "blind", _build_role(sandbox_target, "blind-build", "blind"))
    with pytest.raises(control.Refused) as raised:
        workloads.start_build(sandbox_target, "blind", f"s3://{bucket}/source.zip")
    assert str(raised.value).startswith("GetObject was refused: User: arn:aws:sts::")
    assert f"is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::{bucket}/source.zip" in str(
        raised.value
    )


def test_a_project_whose_role_codebuild_cannot_assume_is_refused_at_create_and_update(
    sandbox_target: AwsTarget,
) -> None:
    codebuild = sandbox_target.client("codebuild")
    untrusting = service_role(sandbox_target, "pipeline-only", CODEPIPELINE)
    with pytest.raises(ClientError) as raised:
        _project(sandbox_target, "refused", untrusting)
    assert client_error(raised) == (
        "InvalidInputException",
        f"CodeBuild is not authorized to perform: sts:AssumeRole on {untrusting}",
    )
    assert codebuild.batch_get_projects(names=["refused"])["projectsNotFound"] == ["refused"]

    trusted = _build_role(sandbox_target, "trusted-build", "kept")
    _project(sandbox_target, "kept", trusted)
    with pytest.raises(ClientError) as raised:
        codebuild.update_project(name="kept", serviceRole=untrusting)
    assert client_error(raised)[0] == "InvalidInputException"
    [project] = codebuild.batch_get_projects(names=["kept"])["projects"]
    assert project["serviceRole"] == trusted
    build = workloads.start_build(sandbox_target, "kept")
    assert ":assumed-role/trusted-build/AWSCodeBuild-" in _identity(build.target)
    workloads.complete_build(sandbox_target, build)


# -- EventBridge deliveries ----------------------------------------------------------------------------------
def _rule(target: AwsTarget, name: str, pipeline: str, statements: list[dict[str, Any]]) -> tuple[str, str]:
    """A rule of the default bus targeting ``pipeline`` as a role EventBridge may take: (its ARN, role)."""
    account, region = target.account_id, target.region
    role = service_role(target, f"{name}-events", EVENTS, statements)
    events = target.client("events")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.s3"]}))
    arn = f"arn:aws:codepipeline:{region}:{account}:{pipeline}"
    events.put_targets(Rule=name, Targets=[{"Id": "pipeline", "Arn": arn, "RoleArn": role}])
    return arn, role


def _bare_pipeline(target: AwsTarget, name: str) -> str:
    """A pipeline that is only started here, never run: S3 source, then an approval; its ARN."""
    role = service_role(target, f"{name}-pipeline", CODEPIPELINE)
    source = {"S3Bucket": f"{name}-src", "S3ObjectKey": "source.zip", "PollForSourceChanges": "false"}
    fetch = {
        "name": "Fetch",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": source,
        "outputArtifacts": [{"name": "src"}],
    }
    approve = {
        "name": "Ship",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
    }
    target.client("codepipeline").create_pipeline(
        pipeline={
            "name": name,
            "roleArn": role,
            "artifactStore": {"type": "S3", "location": f"{name}-store"},
            "stages": [{"name": "Source", "actions": [fetch]}, {"name": "Approve", "actions": [approve]}],
        }
    )
    return f"arn:aws:codepipeline:{target.region}:{target.account_id}:{name}"


def test_an_event_starts_the_pipeline_as_the_events_role(sandbox_target: AwsTarget) -> None:
    arn = _bare_pipeline(sandbox_target, "fired")
    _, role = _rule(
        sandbox_target, "on-upload", "fired", [_allow("codepipeline:StartPipelineExecution", arn)]
    )
    assert workloads.deliver_event(sandbox_target, "on-upload") == [arn]
    assert workloads.usage(sandbox_target, role)["actions"] == {"codepipeline:StartPipelineExecution": 1}
    assert workloads.refusals(sandbox_target) == []


def test_a_disabled_rule_delivers_nothing(sandbox_target: AwsTarget) -> None:
    arn = _bare_pipeline(sandbox_target, "paused")
    _, role = _rule(
        sandbox_target, "on-pause", "paused", [_allow("codepipeline:StartPipelineExecution", arn)]
    )
    sandbox_target.client("events").disable_rule(Name="on-pause")
    assert workloads.deliver_event(sandbox_target, "on-pause") == []
    assert workloads.usage(sandbox_target, role)["calls"] == 0
    sandbox_target.client("events").enable_rule(Name="on-pause")
    assert workloads.deliver_event(sandbox_target, "on-pause") == [arn]


def test_an_events_role_without_start_pipeline_execution_starts_nothing_and_is_kept_as_a_refusal(
    sandbox_target: AwsTarget,
) -> None:
    _bare_pipeline(sandbox_target, "quiet")
    arn, _ = _rule(sandbox_target, "on-change", "quiet", [_allow("codepipeline:GetPipeline")])
    assert workloads.deliver_event(sandbox_target, "on-change") == []
    [refusal] = workloads.refusals(sandbox_target)
    assert (refusal["service"], refusal["what"]) == ("events", f"delivery of on-change to {arn}")
    assert refusal["message"] == (
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/on-change-events/EventBridge is not "
        f"authorized to perform: codepipeline:StartPipelineExecution on resource: {arn} because no "
        "identity-based policy allows the codepipeline:StartPipelineExecution action"
    )


# -- the evidence --------------------------------------------------------------------------------------------
def _evidence_role(target: AwsTarget) -> tuple[str, str, AwsTarget]:
    """A role with a hand-made policy, and a workload run with its session: ListBucket and GetObject on a
    bucket, and a refused PutObject. (bucket, role ARN, session)"""
    bucket = _bucket(target, "evidence")
    target.client("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    statements = [
        _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", sid="List"),
        _allow(["s3:GetObject", "s3:DeleteObject"], f"arn:aws:s3:::{bucket}/*", sid="Objects"),
        _allow("s3:Get*", "*"),  # Statement[2]: a second allow of GetObject
    ]
    role = service_role(target, "evidenced", CODEBUILD, statements)
    iam = target.client("iam")
    unused = {"Version": "2012-10-17", "Statement": [_allow("sqs:SendMessage", sid="Queue")]}
    managed = iam.create_policy(PolicyName="queue", PolicyDocument=json.dumps(unused))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="evidenced", PolicyArn=managed)
    session = workloads.service_session(target, role, CODEBUILD)
    s3 = session.client("s3")
    s3.list_objects_v2(Bucket=bucket)
    s3.get_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="new", Body=b"y")
    return bucket, role, session


def test_evidence_sorts_a_roles_statement_entries_into_necessary_redundant_and_unused(
    sandbox_target: AwsTarget,
) -> None:
    bucket, role, _ = _evidence_role(sandbox_target)
    inline = 'inline policy "evidenced" of role evidenced'
    managed = f"managed policy arn:aws:iam::{sandbox_target.account_id}:policy/queue"
    found = workloads.evidence(sandbox_target, role)
    assert found.necessary == {
        Entry(inline, 'Sid "List"', "s3:ListBucket"): ("s3:ListBucket", f"arn:aws:s3:::{bucket}")
    }
    assert found.redundant == [
        Entry(inline, 'Sid "Objects"', "s3:GetObject"),
        Entry(inline, "Statement[2]", "s3:Get*"),
    ]
    assert found.unused == [
        Entry(inline, 'Sid "Objects"', "s3:DeleteObject"),
        Entry(managed, 'Sid "Queue"', "sqs:SendMessage"),
    ]
    assert found.denied == [
        {
            "action": "s3:PutObject",
            "resource": f"arn:aws:s3:::{bucket}/new",
            "reason": "because no identity-based policy allows the s3:PutObject action",
        }
    ]
    assert not found.proven
    assert found.describe().splitlines()[0] == f"{role}: 1 necessary"

    workloads.clear_usage(sandbox_target, role)
    cleared = workloads.usage(sandbox_target, role)
    assert (cleared["calls"], cleared["allowed"], cleared["necessary"], cleared["denied"]) == (0, [], [], [])
    assert len(workloads.evidence(sandbox_target, role).unused) == 5


def _policy(target: AwsTarget, role: str, name: str) -> Any:
    return target.client("iam").get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]


def test_without_takes_one_action_entry_out_and_puts_the_policy_back(sandbox_target: AwsTarget) -> None:
    bucket, _, session = _evidence_role(sandbox_target)
    inline = 'inline policy "evidenced" of role evidenced'
    before = _policy(sandbox_target, "evidenced", "evidenced")
    with workloads.without(sandbox_target, "evidenced", Entry(inline, 'Sid "Objects"', "s3:GetObject")):
        during = _policy(sandbox_target, "evidenced", "evidenced")
        assert [s.get("Action") for s in during["Statement"]] == [
            "s3:ListBucket",
            ["s3:DeleteObject"],
            "s3:Get*",
        ]
        session.client("s3").get_object(Bucket=bucket, Key="k")  # Statement[2] still allows it
    assert _policy(sandbox_target, "evidenced", "evidenced") == before

    with workloads.without(sandbox_target, "evidenced", Entry(inline, 'Sid "List"', "s3:ListBucket")):
        during = _policy(sandbox_target, "evidenced", "evidenced")
        assert [s.get("Sid") for s in during["Statement"]] == ["Objects", None]  # the statement goes
        with pytest.raises(ClientError) as raised:
            session.client("s3").list_objects_v2(Bucket=bucket)
        assert client_error(raised)[0] == "AccessDenied"
    assert _policy(sandbox_target, "evidenced", "evidenced") == before
    session.client("s3").list_objects_v2(Bucket=bucket)


def test_without_deletes_a_single_statement_policy_and_restores_it(sandbox_target: AwsTarget) -> None:
    bucket, _, session = _evidence_role(sandbox_target)
    iam = sandbox_target.client("iam")
    single = {
        "Version": "2012-10-17",
        "Statement": [_allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*", sid="Put")],
    }
    iam.put_role_policy(RoleName="evidenced", PolicyName="writer", PolicyDocument=json.dumps(single))
    entry = Entry('inline policy "writer" of role evidenced', 'Sid "Put"', "s3:PutObject")
    with workloads.without(sandbox_target, "evidenced", entry):
        assert iam.list_role_policies(RoleName="evidenced")["PolicyNames"] == ["evidenced"]
        with pytest.raises(ClientError):
            session.client("s3").put_object(Bucket=bucket, Key="w", Body=b"w")
    assert iam.list_role_policies(RoleName="evidenced")["PolicyNames"] == ["evidenced", "writer"]
    assert _policy(sandbox_target, "evidenced", "writer") == single
    session.client("s3").put_object(Bucket=bucket, Key="w", Body=b"w")


def test_without_refuses_an_entry_it_cannot_take_out_and_changes_nothing(sandbox_target: AwsTarget) -> None:
    _evidence_role(sandbox_target)
    inline = 'inline policy "evidenced" of role evidenced'
    before = _policy(sandbox_target, "evidenced", "evidenced")
    for entry, complaint in (
        (Entry(inline, 'Sid "List"', "s3:PutObject"), 'has no Sid "List" allowing s3:PutObject'),
        (Entry(inline, 'Sid "Missing"', "s3:GetObject"), 'has no Sid "Missing"'),
        (
            Entry(
                f"managed policy arn:aws:iam::{sandbox_target.account_id}:policy/queue",
                'Sid "Queue"',
                "sqs:*",
            ),
            "only an inline policy's entry can be taken out",
        ),
    ):
        with (
            pytest.raises(ValueError, match=complaint),
            workloads.without(sandbox_target, "evidenced", entry),
        ):
            pytest.fail("the block ran")
        assert _policy(sandbox_target, "evidenced", "evidenced") == before
