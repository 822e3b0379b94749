"""The ECR patch: a taken tag of an immutable repository is ImageTagAlreadyExistsException; names follow the
CreateRepository rule."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from tests.sandbox.support import client_error, unchecked_client


@pytest.fixture
def ecr(sandbox_target: AwsTarget):
    return sandbox_target.client("ecr")


def _manifest(build: str) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7,
                "digest": build,
            },
            "layers": [],
        }
    )


def test_pushing_a_new_image_under_a_taken_immutable_tag_is_refused(ecr) -> None:
    ecr.create_repository(repositoryName="serving", imageTagMutability="IMMUTABLE")
    first = ecr.put_image(repositoryName="serving", imageTag="v1", imageManifest=_manifest("sha256:aa"))
    with pytest.raises(ClientError) as raised:
        ecr.put_image(repositoryName="serving", imageTag="v1", imageManifest=_manifest("sha256:bb"))
    code, message = client_error(raised)
    assert code == "ImageTagAlreadyExistsException"
    assert message == (
        "The image tag 'v1' already exists in the 'serving' repository and cannot be overwritten because the "
        "repository is immutable."
    )
    images = ecr.describe_images(repositoryName="serving")["imageDetails"]
    assert [(i["imageDigest"], i["imageTags"]) for i in images] == [
        (first["image"]["imageId"]["imageDigest"], ["v1"])
    ]


def test_pushing_the_same_image_under_the_same_tag_is_image_already_exists(ecr) -> None:
    ecr.create_repository(repositoryName="serving", imageTagMutability="IMMUTABLE")
    ecr.put_image(repositoryName="serving", imageTag="v1", imageManifest=_manifest("sha256:aa"))
    with pytest.raises(ClientError) as raised:
        ecr.put_image(repositoryName="serving", imageTag="v1", imageManifest=_manifest("sha256:aa"))
    assert client_error(raised)[0] == "ImageAlreadyExistsException"


def test_a_new_tag_for_an_existing_image_is_accepted(ecr) -> None:
    ecr.create_repository(repositoryName="serving", imageTagMutability="IMMUTABLE")
    ecr.put_image(repositoryName="serving", imageTag="v1", imageManifest=_manifest("sha256:aa"))
    ecr.put_image(repositoryName="serving", imageTag="release-1", imageManifest=_manifest("sha256:aa"))
    images = ecr.describe_images(repositoryName="serving")["imageDetails"]
    assert [sorted(i["imageTags"]) for i in images] == [["release-1", "v1"]]


def test_a_mutable_repository_moves_the_tag(ecr) -> None:
    ecr.create_repository(repositoryName="scratch")
    ecr.put_image(repositoryName="scratch", imageTag="latest", imageManifest=_manifest("sha256:aa"))
    moved = ecr.put_image(repositoryName="scratch", imageTag="latest", imageManifest=_manifest("sha256:bb"))
    images = ecr.describe_images(repositoryName="scratch", imageIds=[{"imageTag": "latest"}])["imageDetails"]
    assert [i["imageDigest"] for i in images] == [moved["image"]["imageId"]["imageDigest"]]


@pytest.mark.parametrize("name", ["ab", "fraud__detector", "fraud--detector/serving", "a.b_c-d/e/f"])
def test_names_the_api_accepts_are_created(ecr, name: str) -> None:
    created = ecr.create_repository(repositoryName=name)["repository"]
    assert created["repositoryName"] == name


@pytest.mark.parametrize("name", ["a", "Fraud", "fraud-", "fraud___detector", "fraud//serving", "a" * 257])
def test_names_the_api_refuses_are_invalid_parameters(sandbox_target: AwsTarget, name: str) -> None:
    # boto3 checks the length itself; the Go SDK under Terraform does not, so the server must.
    with pytest.raises(ClientError) as raised:
        unchecked_client(sandbox_target, "ecr").create_repository(repositoryName=name)
    code, message = client_error(raised)
    assert code == "InvalidParameterException"
    assert "repositoryName" in message
    assert sandbox_target.client("ecr").describe_repositories()["repositories"] == []
