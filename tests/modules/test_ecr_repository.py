"""ecr-repository example applied for real: a KMS-encrypted repository with immutable tags, scan on push, a
lifecycle policy, and a policy that names the account's pull and push roles and denies every other account."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.inventory import account_inventory
from launchpad.testing import Stack, assert_replan_empty, example_stack

stack = example_stack("ecr-repository", shared=True)

PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
PUSH = [*PULL, "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]


def _repository(stack: Stack) -> dict[str, Any]:
    ecr = stack.client("ecr")
    return ecr.describe_repositories(repositoryNames=[stack.outputs["repository_name"]])["repositories"][0]


def _statements(stack: Stack) -> dict[str, dict[str, Any]]:
    raw = stack.client("ecr").get_repository_policy(repositoryName=stack.outputs["repository_name"])
    return {s["Sid"]: s for s in json.loads(raw["policyText"])["Statement"]}


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _manifest(config: bytes) -> str:
    """A small Docker image manifest (schema 2) whose config blob is ``config``."""
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    layer = "sha256:" + hashlib.sha256(b"layer-" + config).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32,
                    "digest": layer,
                }
            ],
        }
    )


def test_repository_is_named_and_addressed_as_its_outputs_say(stack: Stack) -> None:
    repository = _repository(stack)
    assert repository["repositoryName"] == f"{stack.name}/serving" == stack.outputs["repository_name"]
    assert repository["repositoryArn"] == stack.outputs["repository_arn"]
    assert repository["repositoryUri"] == stack.outputs["repository_url"]
    assert (
        repository["registryId"] == stack.outputs["registry_id"] == stack.outputs["kms_key_arn"].split(":")[4]
    )


def test_images_are_encrypted_with_the_customer_managed_key(stack: Stack) -> None:
    assert _repository(stack)["encryptionConfiguration"] == {
        "encryptionType": "KMS",
        "kmsKey": stack.outputs["kms_key_arn"],
    }


def test_tags_are_immutable_and_images_scanned_on_push(stack: Stack) -> None:
    repository = _repository(stack)
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}


def test_repository_carries_the_required_tags(stack: Stack) -> None:
    listed = stack.client("ecr").list_tags_for_resource(resourceArn=stack.outputs["repository_arn"])["tags"]
    tags = {t["Key"]: t["Value"] for t in listed}
    assert tags["Name"] == stack.outputs["repository_name"]
    assert {k: tags.get(k) for k in ("owner", "cost-center", "data-classification")} == {
        "owner": "launchpad-examples",
        "cost-center": "ml-platform",
        "data-classification": "internal",
    }


def test_lifecycle_policy_expires_untagged_images_and_keeps_the_last_30_tagged(stack: Stack) -> None:
    raw = stack.client("ecr").get_lifecycle_policy(repositoryName=stack.outputs["repository_name"])
    rules = {r["rulePriority"]: r for r in json.loads(raw["lifecyclePolicyText"])["rules"]}
    assert sorted(rules) == [1, 2]
    assert rules[1]["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 7,
    }
    assert rules[2]["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["*"],
        "countType": "imageCountMoreThan",
        "countNumber": 30,
    }
    assert all(r["action"] == {"type": "expire"} for r in rules.values())


def test_policy_lets_the_sagemaker_role_pull_and_the_codebuild_role_push(stack: Stack) -> None:
    statements = _statements(stack)
    assert set(statements) == {"AllowPull", "AllowPush", "DenyOutsideAccount"}
    pull, push = statements["AllowPull"], statements["AllowPush"]
    assert (pull["Effect"], sorted(_as_list(pull["Action"]))) == ("Allow", PULL)
    assert _as_list(pull["Principal"]["AWS"]) == [stack.outputs["pull_role_arn"]]
    assert (push["Effect"], sorted(_as_list(push["Action"]))) == ("Allow", sorted(PUSH))
    assert _as_list(push["Principal"]["AWS"]) == [stack.outputs["push_role_arn"]]


def test_policy_denies_every_other_account_and_allows_no_wildcard_principal(stack: Stack) -> None:
    statements = _statements(stack)
    deny = statements["DenyOutsideAccount"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "ecr:*"
    assert deny["Principal"] in ("*", {"AWS": "*"})
    assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": stack.outputs["registry_id"]}}
    for statement in statements.values():
        if statement["Effect"] == "Allow":
            principals = _as_list(statement["Principal"]["AWS"])
            assert "*" not in principals
            assert all(p.split(":")[4] == stack.outputs["registry_id"] for p in principals)


def test_a_tag_cannot_be_pushed_twice(stack: Stack) -> None:
    ecr = stack.client("ecr")
    name = stack.outputs["repository_name"]
    first = ecr.put_image(repositoryName=name, imageTag="v1", imageManifest=_manifest(b"model-v1"))["image"]
    with pytest.raises(ClientError) as raised:
        ecr.put_image(repositoryName=name, imageTag="v1", imageManifest=_manifest(b"model-v1-rebuilt"))
    assert raised.value.response["Error"]["Code"] == "ImageTagAlreadyExistsException"
    described = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert [d["imageDigest"] for d in described] == [first["imageId"]["imageDigest"]]


def test_replan_is_empty(stack: Stack) -> None:
    assert_replan_empty(stack)


def test_destroy_leaves_nothing_behind(stack: Stack) -> None:
    """The repository still holds the image pushed above: force_delete lets destroy remove it."""
    stack.workspace.destroy()
    assert account_inventory(stack.target) == {}
