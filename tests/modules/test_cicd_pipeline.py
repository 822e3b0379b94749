"""cicd-pipeline planned, then its example applied for real.

The plan (fast tier): a build image from the platform's ECR is pulled by each step's own role from that
repository only (SERVICE_ROLE), the deploy steps get a timeout of their own and every step its timeout in
LAUNCHPAD_BUILD_TIMEOUT_MINUTES, and a Terraform-deployed project's deploy steps reach their own stage's state
and lock and nothing else of the state bucket; without those inputs nothing of it is there.

The example applied (sandbox tier): the stages in order, the approval, and every artifact and log encrypted
with the caller's keys; least-privilege roles; builds without internet copy launchpad's release from the
releases bucket with their own role, and need each statement that lets them; the integration tests may read
the staging endpoint's configurations and no other; clean destroy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from launchpad import combined
from launchpad.aws import AwsTarget
from launchpad.inventory import account_inventory
from launchpad.paths import modules_dir
from launchpad.release.artifacts import write_sums
from launchpad.release.publish import publish, release_prefix
from launchpad.sandbox import workloads
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, assert_replan_empty, example_stack
from tests import shared_plan

STEPS = ("build-and-test", "policy-check", "deploy-staging", "integration-test", "deploy-production")
DEPLOYS = {"deploy-staging": "staging", "deploy-production": "production"}


# -- the plan --------------------------------------------------------------------------------------------
BASE = yaml.safe_load((Path(__file__).parent / "cicd-pipeline" / "validation_cases.yaml").read_text())[
    "base_vars"
]
STATE = {  # terraform/bootstrap's state store, as the platform passes it
    "bucket_arn": "arn:aws:s3:::launchpad-111122223333-tfstate",
    "staging_key": "fraud/staging.tfstate",
    "production_key": "fraud/prod.tfstate",
    "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/0000aaaa-12ab-34cd-56ef-1234567890ab",
    "lock_table_arn": "arn:aws:dynamodb:eu-west-1:111122223333:table/launchpad-tflock",
}


# The project's build image in the platform's ECR (the repository an ARN, the image one of its tags).
BUILD_REPOSITORY = "arn:aws:ecr:eu-west-1:111122223333:repository/fraud-build"
BUILD_IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/fraud-build:deps-0a1b2c3d"


# The module planned twice, in the suite's shared plan (tests/shared_plan.py: one Terraform process for the
# root modules several files plan): with its defaults ("plain"), and with a build image, a deploy timeout of
# 200 minutes and a Terraform-deployed project's state ("image"). The tests that read it are in the plan's
# xdist group (PLANNED), so one worker plans it, once.
PLANNED = pytest.mark.xdist_group(shared_plan.GROUP)
CALLS = {
    "plain": combined.Call(modules_dir() / "cicd-pipeline", {**BASE, "name": "lp-plain"}),
    "image": combined.Call(
        modules_dir() / "cicd-pipeline",
        {
            **BASE,
            "name": "lp-image",
            "codebuild": {
                "image": BUILD_IMAGE,
                "image_repository_arn": BUILD_REPOSITORY,
                "deploy_timeout_minutes": 200,
            },
            "deploy": {**BASE["deploy"], "terraform_state": STATE},
        },
    ),
}
for _name, _call in CALLS.items():
    shared_plan.register(f"cicd-pipeline:{_name}", _call)


@pytest.fixture
def planned(plan_parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each call's planned values by address."""
    return {
        name: {c["address"]: c["change"]["after"] for c in part["resource_changes"] if c["mode"] == "managed"}
        for name, part in ((name, plan_parts[f"cicd-pipeline:{name}"]) for name in CALLS)
    }


def _statements(after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A planned inline policy's statements by Sid, their actions and resources as sorted lists (IAM's
    order means nothing)."""
    return {
        s["Sid"]: {**s, "Action": sorted(as_list(s["Action"])), "Resource": sorted(as_list(s["Resource"]))}
        for s in json.loads(after["policy"])["Statement"]
    }


def _project(plan: dict[str, Any], step: str) -> dict[str, Any]:
    return plan[f'aws_codebuild_project.this["{step}"]']


@PLANNED
def test_a_build_image_is_pulled_by_each_steps_role_from_its_repository_only(
    planned: dict[str, dict[str, Any]],
) -> None:
    for step in STEPS:
        [environment] = _project(planned["image"], step)["environment"]
        assert (environment["image"], environment["image_pull_credentials_type"]) == (
            BUILD_IMAGE,
            "SERVICE_ROLE",
        )
        policy = planned["image"][f'aws_iam_role_policy.build_image["{step}"]']
        assert policy["name"] == f"lp-image-{step}-build-image"
        assert _statements(policy) == {
            "PullBuildImage": {
                "Sid": "PullBuildImage",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": [BUILD_REPOSITORY],
            },
            "GetRegistryToken": {
                "Sid": "GetRegistryToken",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken"],
                "Resource": ["*"],
            },
        }
        [plain] = _project(planned["plain"], step)["environment"]
        assert plain["image_pull_credentials_type"] == "CODEBUILD"
    assert not [a for a in planned["plain"] if ".build_image[" in a or ".terraform_deploy[" in a]


@PLANNED
def test_the_deploy_steps_get_their_own_timeout_and_every_step_its_own_in_its_environment(
    planned: dict[str, dict[str, Any]],
) -> None:
    def timeouts(plan: dict[str, Any]) -> dict[str, tuple[int, str]]:
        found = {}
        for step in STEPS:
            project = _project(plan, step)
            variables = {v["name"]: v["value"] for v in project["environment"][0]["environment_variable"]}
            found[step] = (project["build_timeout"], variables["LAUNCHPAD_BUILD_TIMEOUT_MINUTES"])
        return found

    builds = {"build-and-test": (60, "60"), "policy-check": (60, "60"), "integration-test": (60, "60")}
    assert timeouts(planned["plain"]) == {**builds, **dict.fromkeys(DEPLOYS, (180, "180"))}
    assert timeouts(planned["image"]) == {**builds, **dict.fromkeys(DEPLOYS, (200, "200"))}


@PLANNED
def test_a_terraform_deployed_project_reaches_its_own_stages_state_and_lock_only(
    planned: dict[str, dict[str, Any]],
) -> None:
    """The S3 backend's calls on the stage's state key and lockfile, the key through S3 only, the lock
    table's items of that state only; staging cannot touch production's state, nor the reverse."""
    bucket, table = STATE["bucket_arn"], STATE["lock_table_arn"]
    keys = {"deploy-staging": STATE["staging_key"], "deploy-production": STATE["production_key"]}
    for step, key in keys.items():
        policy = planned["image"][f'aws_iam_role_policy.terraform_deploy["{step}"]']
        statements = _statements(policy)
        assert statements["ListOwnState"]["Resource"] == [bucket]
        assert statements["ListOwnState"]["Condition"] == {"StringEquals": {"s3:prefix": key}}
        assert statements["ReadWriteOwnState"]["Resource"] == [
            f"{bucket}/{key}",
            f"{bucket}/{key}.tflock",
        ]
        assert statements["ReleaseOwnLockfile"]["Resource"] == [f"{bucket}/{key}.tflock"]
        assert statements["UseStateKeyThroughS3"]["Condition"] == {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
        }
        assert statements["LockOwnState"]["Resource"] == [table]
        leading = statements["LockOwnState"]["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"]
        state = f"launchpad-111122223333-tfstate/{key}"
        assert sorted(leading) == [state, f"{state}-md5"]
        other = keys["deploy-production" if step == "deploy-staging" else "deploy-staging"]
        assert other not in policy["policy"], f"{step} may not touch the other stage's state"
        endpoint = f"fraud-{DEPLOYS[step]}"
        assert statements["ReplaceOwnModelsAndConfigs"]["Resource"] == [
            f"arn:aws:sagemaker:eu-west-1:{_account(policy)}:endpoint-config/{endpoint}-*",
            f"arn:aws:sagemaker:eu-west-1:{_account(policy)}:model/{endpoint}-*",
        ]
    wildcards = {
        sid: s["Action"]
        for step in keys
        for sid, s in _statements(planned["image"][f'aws_iam_role_policy.terraform_deploy["{step}"]']).items()
        if s["Resource"] == ["*"]
    }
    assert wildcards == {"ReadEndpointNetwork": ["ec2:DescribePrefixLists", "ec2:DescribeSecurityGroups"]}
    assert [a for a in planned["image"] if "integration-test" in a and ".terraform_deploy[" in a] == []


def _account(policy: dict[str, Any]) -> str:
    """The planning account, as the policy's own alarm ARN names it."""
    return str(_statements(policy)["ReadOwnAlarmTags"]["Resource"][0].split(":")[4])


# -- the example, applied --------------------------------------------------------------------------------
stack = example_stack("cicd-pipeline")

STAGES = [
    "Source",
    "Build-and-test",
    "Policy-check",
    "Deploy-staging",
    "Integration-test",
    "Approve-production",
    "Deploy-production",
]


def _pipeline(stack: Stack) -> dict:
    return stack.client("codepipeline").get_pipeline(name=stack.outputs["pipeline_name"])["pipeline"]


def test_stages_run_in_order_and_deploys_ship_the_tested_build(stack: Stack) -> None:
    pipeline = _pipeline(stack)
    assert [s["name"] for s in pipeline["stages"]] == STAGES == stack.outputs["stage_names"]
    assert (pipeline["pipelineType"], pipeline["executionMode"]) == ("V2", "QUEUED")
    projects = stack.outputs["codebuild_project_names"]
    for stage in pipeline["stages"][1:]:
        [action] = stage["actions"]
        if action["actionTypeId"]["provider"] == "CodeBuild":
            step = action["configuration"]["ProjectName"].removeprefix(f"{stack.name}-")
            assert projects[step] == action["configuration"]["ProjectName"]
            expected_input = "source" if step == "build-and-test" else "build"
            assert [a["name"] for a in action["inputArtifacts"]] == [expected_input]


def test_production_waits_for_an_approval_with_a_review_link(stack: Stack) -> None:
    approval = next(s for s in _pipeline(stack)["stages"] if s["name"] == "Approve-production")
    [action] = approval["actions"]
    assert action["actionTypeId"] == {
        "category": "Approval",
        "owner": "AWS",
        "provider": "Manual",
        "version": "1",
    }
    config = action["configuration"]
    assert config["NotificationArn"] == stack.outputs["approval_topic_arn"]
    assert config["ExternalEntityLink"].startswith("https://")
    assert f"{stack.name}-staging" in config["ExternalEntityLink"]
    topic = stack.client("sns").get_topic_attributes(TopicArn=stack.outputs["approval_topic_arn"])
    assert topic["Attributes"]["KmsMasterKeyId"] == stack.outputs["kms_key_arn"]


def test_artifacts_are_encrypted_with_the_pipeline_key(stack: Stack) -> None:
    store = _pipeline(stack)["artifactStore"]
    assert store["location"] == stack.outputs["artifact_bucket_name"]
    assert store["encryptionKey"] == {"id": stack.outputs["kms_key_arn"], "type": "KMS"}
    s3 = stack.client("s3")
    for bucket in (stack.outputs["artifact_bucket_name"], stack.outputs["source_bucket_name"]):
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == stack.outputs["kms_key_arn"]
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
        assert logging["TargetBucket"] == stack.outputs["access_log_bucket_name"]


def test_builds_encrypt_their_output_and_log_to_encrypted_retained_groups(stack: Stack) -> None:
    names = list(stack.outputs["codebuild_project_names"].values())
    projects = stack.client("codebuild").batch_get_projects(names=names)["projects"]
    assert len(projects) == 5
    logs = stack.client("logs")
    for project in projects:
        assert project["encryptionKey"] == stack.outputs["kms_key_arn"]
        assert project["environment"]["privilegedMode"] is False
        assert project["source"]["type"] == "CODEPIPELINE"
        cloudwatch = project["logsConfig"]["cloudWatchLogs"]
        assert cloudwatch["status"] == "ENABLED"
        assert project["logsConfig"]["s3Logs"]["status"] == "DISABLED"
        [group] = logs.describe_log_groups(logGroupNamePrefix=cloudwatch["groupName"])["logGroups"]
        assert group["kmsKeyId"] == stack.outputs["logs_kms_key_arn"]
        assert group["retentionInDays"] == 365


def test_each_step_has_its_own_role_and_only_deploys_touch_sagemaker(stack: Stack) -> None:
    iam = stack.client("iam")
    roles = stack.outputs["codebuild_role_arns"]
    assert len(set(roles.values())) == 5
    for step, arn in roles.items():
        name = arn.rsplit("/", 1)[-1]
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}
        [policy_name] = iam.list_role_policies(RoleName=name)["PolicyNames"]
        document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        actions = [a for s in document["Statement"] for a in as_list(s["Action"])]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions)
        text = json.dumps(document)
        touches_sagemaker = "sagemaker:" in text
        assert touches_sagemaker == (step in {"deploy-staging", "deploy-production", "integration-test"})
        if step == "deploy-production":
            assert f"endpoint/{stack.name}-production" in text
            assert f"endpoint/{stack.name}-staging" not in text, "production may not touch staging"
            assert "s3:PutObject" not in json.dumps(
                [s for s in document["Statement"] if s["Sid"] == "ReadModelArtifacts"]
            )


def test_only_the_uploading_deploy_may_list_the_model_bucket_to_find_a_missing_artifact(stack: Stack) -> None:
    """Staging's preflight looks for the artifact and baseline it is about to upload: S3 answers a missing
    key 404 only to a caller with s3:ListBucket (403 otherwise), so staging lists the model bucket, with no
    s3:prefix condition (AWS does not document that check's context). Production uploads nothing."""
    iam = stack.client("iam")
    roles = {}
    for step in DEPLOYS:
        name = stack.outputs["codebuild_role_arns"][step].rsplit("/", 1)[-1]
        [policy_name] = iam.list_role_policies(RoleName=name)["PolicyNames"]
        document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        roles[step] = {s["Sid"]: s for s in document["Statement"]}
    [objects] = as_list(roles["deploy-staging"]["ReadModelArtifacts"]["Resource"])
    bucket = objects.removesuffix("/*")
    find = roles["deploy-staging"]["FindModelArtifacts"]
    assert (as_list(find["Action"]), as_list(find["Resource"])) == (["s3:ListBucket"], [bucket])
    assert "Condition" not in find
    listing = [s for s in roles["deploy-production"].values() if "s3:ListBucket" in as_list(s["Action"])]
    assert not [s for s in listing if bucket in as_list(s["Resource"])]


def test_a_new_source_upload_starts_the_pipeline(stack: Stack) -> None:
    events = stack.client("events")
    [rule] = events.list_rules(NamePrefix=f"{stack.name}-source")["Rules"]
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["bucket"]["name"] == [stack.outputs["source_bucket_name"]]
    assert pattern["detail"]["object"]["key"] == [f"{stack.name}/source.zip"]
    [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"].endswith(f":{stack.outputs['pipeline_name']}")
    notification = stack.client("s3").get_bucket_notification_configuration(
        Bucket=stack.outputs["source_bucket_name"]
    )
    assert "EventBridgeConfiguration" in notification


def _describe_config_in_build(stack: Stack, step: str, config: str) -> str:
    """DescribeEndpointConfig of ``config`` with the credentials of a build of ``step``: the error code
    SageMaker answers (no such configuration exists), or AccessDeniedException."""
    build = workloads.start_build(stack.target, stack.outputs["codebuild_project_names"][step])
    try:
        build.target.client("sagemaker").describe_endpoint_config(EndpointConfigName=config)
    except ClientError as answered:
        return str(answered.response["Error"]["Code"])
    finally:
        workloads.complete_build(stack.target, build)
    return "found"


def test_the_integration_tests_may_read_the_staging_endpoints_configurations_and_no_other(
    stack: Stack,
) -> None:
    """The project's integration test reads the configuration its staging endpoint serves (named
    <endpoint>-<hash>): authorized, SageMaker answers that none exists; production's is not its to read."""
    staging, production = f"{stack.name}-staging-0a1b2c3d", f"{stack.name}-production-0a1b2c3d"
    assert _describe_config_in_build(stack, "integration-test", staging) == "ValidationException"
    assert _describe_config_in_build(stack, "integration-test", production) == "AccessDeniedException"
    assert _describe_config_in_build(stack, "policy-check", staging) == "AccessDeniedException"


VERSION = "0.1.0"  # the example's launchpad_version
RELEASE_STATEMENTS = {  # what the copy of the release folder needs: the statement entry, the call it allows
    "ListLaunchpadRelease": "s3:ListBucket",
    "ReadLaunchpadRelease": "s3:GetObject",
    "DecryptLaunchpadRelease": "kms:Decrypt",
}


@pytest.fixture(scope="module")
def release_uri(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A (fake) launchpad release, published as `launchpad release publish` does, and a neighbour the builds
    may not read: another version's folder in the same bucket."""
    bucket = stack.outputs["release_bucket_name"]
    for version in (VERSION, "0.0.9"):
        folder = tmp_path_factory.mktemp(f"release-{version}")
        wheel = folder / f"launchpad-{version}-py3-none-any.whl"
        wheel.write_bytes(f"not really a wheel, version {version}".encode())
        write_sums(folder, [wheel])
        publish(stack.client("s3"), bucket, folder, version)
    return f"s3://{bucket}/{release_prefix(VERSION)}"


def _copy_release(build: AwsTarget, uri: str) -> str:
    """The buildspec's `aws s3 cp --recursive <uri> .` and `sha256sum --check SHA256SUMS`, with the build's
    credentials: list the folder, read every object, check the sums."""
    bucket, prefix = uri.removeprefix("s3://").split("/", 1)
    s3 = build.client("s3")
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        files = {k.removeprefix(prefix): s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}
    except ClientError as refused:
        return str(refused)
    listed = dict(
        line.split("  ", 1)[::-1] for line in files.pop("SHA256SUMS").decode().splitlines() if line.strip()
    )
    assert listed == {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}
    return f"copied {sorted(files)}"


def _copy_in_build(stack: Stack, step: str, uri: str) -> str:
    build = workloads.start_build(stack.target, stack.outputs["codebuild_project_names"][step])
    try:
        return _copy_release(build.target, uri)
    finally:
        workloads.complete_build(stack.target, build)


def test_every_step_copies_the_release_folder_it_is_told_with_its_own_role(
    stack: Stack, release_uri: str
) -> None:
    names = list(stack.outputs["codebuild_project_names"].values())
    for project in stack.client("codebuild").batch_get_projects(names=names)["projects"]:
        variables = {v["name"]: v["value"] for v in project["environment"]["environmentVariables"]}
        assert variables["LAUNCHPAD_RELEASE_URI"] == release_uri
    head = stack.client("s3").head_object(
        Bucket=stack.outputs["release_bucket_name"], Key=f"{release_prefix(VERSION)}SHA256SUMS"
    )
    assert head["SSEKMSKeyId"] == stack.outputs["release_kms_key_arn"] != stack.outputs["kms_key_arn"]
    for step in stack.outputs["codebuild_project_names"]:
        assert _copy_in_build(stack, step, release_uri) == f"copied ['launchpad-{VERSION}-py3-none-any.whl']"
    other = release_uri.replace(VERSION, "0.0.9")
    assert "AccessDenied" in _copy_in_build(stack, "policy-check", other), (
        "another version is not its to read"
    )
    bucket_root = release_uri.split("/releases/", 1)[0] + "/"
    assert "AccessDenied" in _copy_in_build(stack, "policy-check", bucket_root), "nor the rest of the bucket"


@pytest.mark.parametrize("sid", list(RELEASE_STATEMENTS))
def test_a_copy_without_a_release_statement_is_denied_its_action(
    stack: Stack, release_uri: str, sid: str
) -> None:
    """The record says the statement alone allowed the copy's call; taken out, the copy fails with AWS's
    AccessDenied naming that action; put back, it copies again."""
    if not stack.target.is_sandbox:
        pytest.skip("the record is the sandbox's")
    action = RELEASE_STATEMENTS[sid]
    arn = stack.outputs["codebuild_role_arns"]["policy-check"]
    role = arn.rsplit("/", 1)[1]
    assert _copy_in_build(stack, "policy-check", release_uri).startswith("copied")
    [entry] = [e for e in workloads.role_entries(stack.target, role) if e.statement == f'Sid "{sid}"']
    assert entry.action == action
    assert workloads.evidence(stack.target, arn).necessary[entry][0] == action
    with workloads.without(stack.target, role, entry):
        refused = _copy_in_build(stack, "policy-check", release_uri)
    assert "AccessDenied" in refused and f"not authorized to perform: {action}" in refused, refused
    assert _copy_in_build(stack, "policy-check", release_uri).startswith("copied")


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
