"""ECR: a tag pushed again to an immutable repository, and the repository-name rule.

AWS: ``PutImage`` of a new image with a tag the repository already holds fails, when the repository's tags
are immutable, with ``ImageTagAlreadyExistsException`` ("The specified image is tagged with a tag that
already exists. The repository is configured for tag immutability."); ``ImageAlreadyExistsException`` is
for pushing the very same manifest with the same tag again (nothing changed)
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html,
https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
``CreateRepository`` takes a ``repositoryName`` of 2-256 characters matching
``[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*``, else
``InvalidParameterException``
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html).

Stock moto refuses the second push of a tag with ``ImageAlreadyExistsException``, so a client (or a test)
that tells "this release tag is taken" from "already pushed, nothing to do" cannot. It checks names
against an older, stricter pattern (one separator between components), so names AWS accepts, such as
``fraud__detector`` or ``fraud--detector``, fail with ``InvalidParameterException``, and it accepts a
one-character name that AWS refuses.
"""

from __future__ import annotations

import re
from typing import Any

import moto.ecr.models as ecr_models
from moto.core.exceptions import ServiceException
from moto.ecr.exceptions import ImageAlreadyExistsException, InvalidParameterException
from moto.ecr.models import ECRBackend

_MARK = "_launchpad_ecr_patch"
# CreateRepository's repositoryName, from the API reference (and botocore's model of it).
NAME_PATTERN = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
NAME_MIN, NAME_MAX = 2, 256


class ImageTagAlreadyExistsException(ServiceException):
    code = "ImageTagAlreadyExistsException"

    def __init__(self, repository_name: str, image_tag: str) -> None:
        super().__init__(
            f"The image tag '{image_tag}' already exists in the '{repository_name}' repository and cannot be "
            "overwritten because the repository is immutable."
        )


def check_name(name: Any) -> None:
    if (
        not isinstance(name, str)
        or not NAME_MIN <= len(name) <= NAME_MAX
        or not re.fullmatch(NAME_PATTERN, name)
    ):
        raise InvalidParameterException(
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular "
            f"expression '{NAME_PATTERN}' and have a length between {NAME_MIN} and {NAME_MAX}'"
        )


def apply() -> None:
    if getattr(ECRBackend, _MARK, False):
        return
    original_create = ECRBackend.create_repository
    original_put = ECRBackend.put_image

    def create_repository(self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Any:
        check_name(repository_name)
        return original_create(self, repository_name, *args, **kwargs)

    def put_image(
        self: ECRBackend,
        repository_name: str,
        image_manifest: str,
        image_tag: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        repository = self.repositories.get(repository_name)
        unchanged = repository is not None and any(
            image.image_manifest == image_manifest and image_tag in image.image_tags
            for image in repository.images
        )
        try:
            return original_put(self, repository_name, image_manifest, image_tag, *args, **kwargs)
        except ImageAlreadyExistsException:
            if unchanged:  # the same manifest under the same tag: AWS says so with this very exception
                raise
            # Anything else moto refuses this way is its tag-mutability check: a new image for a taken tag.
            raise ImageTagAlreadyExistsException(repository_name, image_tag) from None

    # create_repository checks the name with moto's stricter pattern: ours runs first, then moto's must
    # accept every name the API accepts.
    ecr_models.ECR_REPOSITORY_NAME_PATTERN = NAME_PATTERN
    ECRBackend.create_repository = create_repository  # type: ignore[method-assign]
    ECRBackend.put_image = put_image  # type: ignore[method-assign]
    setattr(ECRBackend, _MARK, True)
