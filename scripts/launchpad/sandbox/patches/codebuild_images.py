"""CodeBuild build images: which image a build runs in, whether CodeBuild may pull it, and its local stand-in.

AWS (CodeBuild User Guide, "Docker images provided by CodeBuild", "Amazon ECR sample", "Private registry
with AWS Secrets Manager sample"; API_ProjectEnvironment ``imagePullCredentialsType``): a build runs in the
project's image. A curated image (``aws/codebuild/...``) is CodeBuild's own. An image of an ECR repository
(``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`` or ``@sha256:...``) must exist, and
CodeBuild pulls it with ``ecr:GetAuthorizationToken``, ``ecr:BatchCheckLayerAvailability``,
``ecr:GetDownloadUrlForLayer`` and ``ecr:BatchGetImage``: as the project's service role when
``imagePullCredentialsType`` is ``SERVICE_ROLE``, as ``codebuild.amazonaws.com`` when it is ``CODEBUILD``
(the repository policy must then allow that principal). A refused pull fails the build in PROVISIONING
with ``BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE`` "Unable to pull customer's container image.
CannotPullContainerError: Error response from daemon: pull access denied for <image>, repository does not
exist or may require 'docker login': denied: <the access-denied message>"; a missing image with "manifest
for <image> not found".

The sandbox has no containers: an image is a local stand-in, the environment variables its ``ENV`` lines
would set (``PATH``, ``PYTHON``, ...), registered per account and region, and the build's commands run on
the sandbox's machine with them. A curated image without a stand-in is the local machine with
``PATH=/usr/local/bin:/usr/bin:/bin``; any other image needs a stand-in, else the build fails in
PROVISIONING saying how to register one::

    POST   /_launchpad/codebuild/images  {"account", "region", "image", "environment": {NAME: VALUE},
                                          "runtimes": {"python": ["3.11"]}}   (runtimes: optional)
    GET    /_launchpad/codebuild/images?account=<id>&region=<region>   -> {"images": {image: {...}}}
    DELETE /_launchpad/codebuild/images?account=<id>&region=<region>[&image=<image>]

``runtimes`` are what ``runtime-versions`` may select; without them python is the version of the
``python3`` the stand-in's PATH finds (``build_runner.runtimes``).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.ecr.models import ecr_backends

from launchpad.sandbox import authz, routes
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.patches.sagemaker_execution import _ECR_IMAGE, _LAYER

ROUTE = "/_launchpad/codebuild/images"
SERVICE = "codebuild.amazonaws.com"
CURATED_PREFIX = "aws/codebuild/"
LOCAL_PATH = "/usr/local/bin:/usr/bin:/bin"
PULL_ERROR = "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE"
_MARK = "_launchpad_codebuild_images"


class ImageUnavailable(Exception):
    """The build cannot have its image: ``code`` and the message are the PROVISIONING phase's context."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StandIn:
    environment: Mapping[str, str]
    runtimes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    registered: bool = True

    def describe(self) -> dict[str, Any]:
        return {
            "environment": dict(self.environment),
            "runtimes": {k: list(v) for k, v in self.runtimes.items()},
        }


_IMAGES: dict[tuple[str, str], dict[str, StandIn]] = {}
_LOCK = threading.Lock()


def register(account: str, region: str, image: str, environment: Mapping[str, Any], runtimes: Any) -> None:
    if not isinstance(image, str) or not image:
        raise routes.BadRequest("name the image (a string)")
    if not isinstance(environment, Mapping) or not all(isinstance(v, str) for v in environment.values()):
        raise routes.BadRequest("environment must be an object of strings (NAME: VALUE)")
    declared = runtimes or {}
    if not isinstance(declared, Mapping) or not all(isinstance(v, list) for v in declared.values()):
        raise routes.BadRequest('runtimes must be an object of version lists, e.g. {"python": ["3.11"]}')
    stand_in = StandIn(dict(environment), {str(k): tuple(str(x) for x in v) for k, v in declared.items()})
    with _LOCK:
        _IMAGES.setdefault((account, region), {})[image] = stand_in


def registered(account: str, region: str) -> dict[str, StandIn]:
    with _LOCK:
        return dict(_IMAGES.get((account, region), {}))


def remove(account: str, region: str, image: str | None) -> None:
    with _LOCK:
        if image is None:
            _IMAGES.pop((account, region), None)
        else:
            _IMAGES.get((account, region), {}).pop(image, None)


def clear() -> None:
    with _LOCK:
        _IMAGES.clear()


# -- what a build's image is ---------------------------------------------------------------------------
def resolve(
    account: str, region: str, image: str, credentials: str, role: Principal, project_arn: str
) -> StandIn:
    """The stand-in a build of ``image`` runs with, after CodeBuild pulled it (``ImageUnavailable``)."""
    found = _ECR_IMAGE.fullmatch(image)
    if found is not None:
        _pull(found, image, credentials, role, project_arn)
    stand_in = registered(account, region).get(image)
    if stand_in is not None:
        return stand_in
    if image.startswith(CURATED_PREFIX):
        return StandIn({"PATH": LOCAL_PATH}, registered=False)
    raise ImageUnavailable(
        "CLIENT_ERROR",
        f"launchpad sandbox: the image {image} has no local stand-in (the sandbox runs no containers). "
        f"Register the environment its ENV lines set: POST {ROUTE} "
        f'{{"account": "{account}", "region": "{region}", "image": "{image}", "environment": '
        '{"PATH": "..."}} (launchpad.sandbox.build_images.register)',
    )


def _pull(found: Any, image: str, credentials: str, role: Principal, project_arn: str) -> None:
    registry, region, name = found.group("account"), found.group("region"), found.group("repository")
    reference = (
        {"imageDigest": found.group("digest")}
        if found.group("digest")
        else {"imageTag": found.group("tag") or "latest"}
    )
    base = {"registryId": registry, "repositoryName": name}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("BatchCheckLayerAvailability", {**base, "layerDigests": [_LAYER]}),
        ("GetDownloadUrlForLayer", {**base, "layerDigest": _LAYER}),
        ("BatchGetImage", {**base, "imageIds": [reference]}),
    ]
    if credentials == "SERVICE_ROLE":
        puller, extra = role, None
        calls.insert(0, ("GetAuthorizationToken", {}))
    else:  # CODEBUILD: CodeBuild's own principal, which only the repository policy can allow
        puller = principals.service(SERVICE, role.account)
        extra = acting.source(project_arn, role.account)
    for operation, params in calls if authz.enabled() else []:
        denied = acting.check(puller, acting.call("ecr", operation, params, region), extra)
        if denied is not None:
            raise ImageUnavailable(
                PULL_ERROR,
                "Unable to pull customer's container image. CannotPullContainerError: Error response from "
                f"daemon: pull access denied for {image.split('@')[0].rsplit(':', 1)[0]}, repository does "
                f"not exist or may require 'docker login': denied: {denied.message}",
            )
    repository = ecr_backends[registry][region].repositories.get(name)
    wanted = reference.get("imageTag") or reference.get("imageDigest")
    if repository is None or not any(
        wanted in (i.image_tag, *i.image_tags, i.image_digest) for i in repository.images
    ):
        raise ImageUnavailable(
            PULL_ERROR,
            "Unable to pull customer's container image. CannotPullContainerError: Error response from "
            f"daemon: manifest for {image} not found: manifest unknown: Requested image not found",
        )


# -- the route ---------------------------------------------------------------------------------------------
def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    method = environ.get("REQUEST_METHOD")
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    if method == "POST":
        register(
            body["account"],
            body["region"],
            body["image"],
            body.get("environment") or {},
            body.get("runtimes"),
        )
        account, region = body["account"], body["region"]
    elif method in ("GET", "DELETE"):
        account, region = query["account"], query["region"]
        if method == "DELETE":
            remove(account, region, query.get("image"))
    else:
        return 404, {"error": "NotFound", "message": f"POST, GET or DELETE {ROUTE}"}
    return 200, {"images": {image: s.describe() for image, s in registered(account, region).items()}}


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    routes.add(ROUTE, _route)
    setattr(routes, _MARK, True)
