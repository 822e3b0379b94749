"""Tell the sandbox what a CodeBuild image is: the environment its ENV lines set, on this machine.

The sandbox has no containers: a build's commands run on the sandbox's machine with the environment of the
project's image, which a test or the demo registers per account and region (``PATH``, ``PYTHON``,
``LAUNCHPAD_CHECKOV``: what the real image's ``ENV`` lines would set). See
``launchpad.sandbox.patches.codebuild_images`` for how a build finds its image and pulls an ECR one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox import control

ROUTE = "/_launchpad/codebuild/images"


def _where(target: AwsTarget) -> dict[str, str]:
    if not target.is_sandbox or not target.account_id:
        raise SandboxError("build images are a sandbox feature: point AWS_ENDPOINT_URL at the sandbox")
    return {"account": str(target.account_id), "region": target.region}


def register(
    target: AwsTarget,
    image: str,
    environment: Mapping[str, str],
    runtimes: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Builds of ``image`` in the target's account and region run with ``environment`` (and may select the
    ``runtimes`` versions in ``runtime-versions``; python is found on its PATH otherwise)."""
    document: dict[str, Any] = {**_where(target), "image": image, "environment": dict(environment)}
    if runtimes is not None:
        document["runtimes"] = {name: list(versions) for name, versions in runtimes.items()}
    control.request(target, "POST", ROUTE, document, timeout=10)


def registered(target: AwsTarget) -> dict[str, dict[str, Any]]:
    """Image -> its stand-in (``environment``, ``runtimes``), for the target's account and region."""
    return dict(control.request(target, "GET", ROUTE, query=_where(target), timeout=10)["images"])


def remove(target: AwsTarget, image: str | None = None) -> None:
    """Forget the stand-in of ``image`` (of every image when None)."""
    query = {**_where(target), **({"image": image} if image else {})}
    control.request(target, "DELETE", ROUTE, query=query, timeout=10)
