"""terraform/platform applied for real with envs/sandbox.tfvars: every piece of an environment, read back
with boto3; the re-plan is empty; the destroy leaves nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from launchpad.demo import ProjectDemo, describe_platform
from launchpad.environments import Environment
from launchpad.inventory import account_inventory
from launchpad.testing import Stack, applied_stack, assert_replan_empty

SANDBOX = Environment("sandbox")  # its var file force-destroys buckets: the sandbox writes access logs
stack = applied_stack(SANDBOX.stack_dir, "lp-plat", var_file=SANDBOX.var_file)

DOMAINS = {"data", "models", "capture", "logs", "pipeline"}
BUCKET_KEYS = {"data": "data", "model-artifacts": "models", "data-capture": "capture", "feedback": "data"}


def _project(stack: Stack) -> dict:
    return stack.outputs["model_projects"]["demo-model"]


def test_one_rotating_key_per_data_domain(stack: Stack) -> None:
    keys = stack.outputs["kms_key_arns"]
    assert set(keys) == DOMAINS and len(set(keys.values())) == len(DOMAINS)
    kms = stack.client("kms")
    for arn in keys.values():
        assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]


def test_buckets_use_their_domain_key_and_log_to_the_access_log_bucket(stack: Stack) -> None:
    s3 = stack.client("s3")
    names = stack.outputs["bucket_names"]
    for bucket, domain in BUCKET_KEYS.items():
        rule = s3.get_bucket_encryption(Bucket=names[bucket])["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": stack.outputs["kms_key_arns"][domain],
        }
        assert s3.get_bucket_versioning(Bucket=names[bucket])["Status"] == "Enabled"
        logging = s3.get_bucket_logging(Bucket=names[bucket])["LoggingEnabled"]
        assert logging["TargetBucket"] == names["access-logs"]
        policy = json.loads(s3.get_bucket_policy(Bucket=names[bucket])["Policy"])
        assert any(
            s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool") == {"aws:SecureTransport": "false"}
            for s in policy["Statement"]
        )


def test_network_endpoints_and_keys_read_back_as_the_demo_shows_them(stack: Stack) -> None:
    lines = describe_platform(stack.target, stack.outputs)
    assert any(line.endswith("(0 public), 7 endpoints, flow logs ACTIVE") for line in lines), lines
    assert sum("rotation on" in line for line in lines) == len(DOMAINS)
    assert any(line.startswith("pipeline ") and "Approve-production" in line for line in lines), lines


def test_monitoring_topic_and_endpoint_log_groups_use_the_logs_key(stack: Stack) -> None:
    logs_key = stack.outputs["kms_key_arns"]["logs"]
    topic = stack.client("sns").get_topic_attributes(TopicArn=stack.outputs["monitoring_topic_arn"])
    assert topic["Attributes"]["KmsMasterKeyId"] == logs_key
    groups = stack.outputs["endpoint_log_group_names"]
    assert set(groups) == {"demo-model-staging", "demo-model-production"}
    logs = stack.client("logs")
    for name in groups.values():
        [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert (group["kmsKeyId"], group["retentionInDays"]) == (logs_key, 30)  # sandbox.tfvars


def test_pipeline_runs_builds_in_the_private_subnets_behind_an_approval(stack: Stack) -> None:
    project = _project(stack)
    pipeline = stack.client("codepipeline").get_pipeline(name=project["pipeline_name"])["pipeline"]
    assert [s["name"] for s in pipeline["stages"]] == project["pipeline_stages"]
    assert "Approve-production" in project["pipeline_stages"]
    assert pipeline["artifactStore"]["encryptionKey"]["id"] == stack.outputs["kms_key_arns"]["pipeline"]
    builds = stack.client("codebuild").batch_get_projects(
        names=list(project["codebuild_project_names"].values())
    )["projects"]
    assert len(builds) == 5
    for build in builds:
        assert build["vpcConfig"]["vpcId"] == stack.outputs["vpc_id"]
        assert sorted(build["vpcConfig"]["subnets"]) == sorted(stack.outputs["private_subnet_ids"])
        variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
        assert variables["LP_ENVIRONMENT"] == "sandbox"
        assert variables["LP_MIN_INSTANCE_COUNT"] == "2"


def test_registry_lets_the_staging_deploy_publish_and_the_production_deploy_read(stack: Stack) -> None:
    project = _project(stack)
    group = project["model_package_group_name"]
    policy = json.loads(
        stack.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName=group)[
            "ResourcePolicy"
        ]
    )
    statements = {s["Sid"]: s for s in policy["Statement"]}
    publisher = json.dumps(statements["PublishModelVersions"]["Principal"])
    reader = json.dumps(statements["ReadModelVersions"]["Principal"])
    assert "deploy-staging" in publisher and "deploy-production" in reader


def test_execution_role_reaches_only_the_model_and_capture_buckets(stack: Stack) -> None:
    iam = stack.client("iam")
    role = _project(stack)["sagemaker_role_name"]
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
        for n in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    text = json.dumps(documents)
    names = stack.outputs["bucket_names"]
    assert names["model-artifacts"] in text and names["data-capture"] in text
    assert names["data"] not in text.replace(names["data-capture"], "")
    assert names["feedback"] not in text and names["access-logs"] not in text
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_a_baked_model_project_ships_through_the_platform_and_its_canary_rolls_back(
    stack: Stack, tmp_path: Path
) -> None:
    """The demo's project steps on this applied platform: bake, train, test, policy, deploy v1, invoke it
    (answered by the model's own server), canary v2 with its alarm firing, back on v1, tear down."""
    image = os.environ.get("LAUNCHPAD_AWS_IMAGE_URI")
    if not stack.target.is_sandbox and not image:
        pytest.skip("set LAUNCHPAD_AWS_IMAGE_URI to the demo_model project's image in ECR (make image)")
    demo = ProjectDemo(stack.target, stack.outputs, tmp_path, image_uri=image, timeout=3600)
    try:
        results = {title: action() for title, action in demo.steps()}
    finally:
        demo.close()
    assert len(results) == 10
    v1, v2 = demo.deploys["v1"].rollout, demo.deploys["v2"].rollout
    assert v1.succeeded and v2.outcome.exit_code in (13, 14) and v2.settled_on(v1.target_config)
    assert demo.answers["after rollback via endpoint"] == demo.answers["v1 via endpoint"]
    assert demo.answers["v2 directly"] != demo.answers["v1 via endpoint"]
    events = [what for _, what in demo.timeline]
    fired = next(i for i, e in enumerate(events) if e.startswith("alarm demo-model-staging-rollback-5xx"))
    rolling_back = next(i for i, e in enumerate(events) if "RollingBack" in e)
    assert fired < rolling_back, events
    if stack.target.is_sandbox:  # the sandbox's wording of the canary's bake
        assert "during the canary (Baking after traffic step 1 of 2" in events[fired], events
    assert f"endpoint {demo.endpoint}" in demo.removed
    left = account_inventory(stack.target)
    serving = ("sagemaker endpoints", "sagemaker endpoint configs", "sagemaker models", "cloudwatch alarms")
    assert not set(serving) & set(left), left
    packages = stack.client("sagemaker").list_model_packages(ModelPackageGroupName="demo-model")
    assert packages["ModelPackageSummaryList"] == []


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
