"""cicd-pipeline example applied for real: the stages in order, the approval, and every artifact and log
encrypted with the caller's keys; least-privilege roles; clean destroy."""

from __future__ import annotations

import json

from launchpad.inventory import account_inventory
from launchpad.sandbox.patches.iam_policy import as_list
from launchpad.testing import Stack, assert_replan_empty, example_stack

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


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
