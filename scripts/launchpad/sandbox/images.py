"""Put an image into the sandbox's ECR without a registry: `docker push` needs a daemon and a registry API,
neither of which the sandbox has. What is stored is a manifest with no layers (ECR's ``PutImage``), enough
for ``DescribeImages``, pulls as a role (``ecr:BatchGetImage``) and the tags SageMaker and CodeBuild name;
what runs is the image's registered local stand-in (``serving_images``, ``build_images``).
"""

from __future__ import annotations

import hashlib
import json

from launchpad.aws import AwsTarget

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"


def manifest(content: str) -> str:
    """An image manifest whose config digest is ``content``'s: different contents are different images."""
    digest = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
    config = {"mediaType": CONFIG_MEDIA_TYPE, "size": 2, "digest": digest}
    return json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE, "config": config, "layers": []})


def put_image(target: AwsTarget, repository: str, tag: str, content: str = "") -> str:
    """Tag an image of ``content`` (default: the repository and tag) in ``repository``; its digest."""
    answer = target.client("ecr").put_image(
        repositoryName=repository, imageTag=tag, imageManifest=manifest(content or f"{repository}:{tag}")
    )
    return str(answer["image"]["imageId"]["imageDigest"])
