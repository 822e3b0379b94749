"""Tell the sandbox where a model's local server runs, so ``InvokeEndpoint`` gets the model's own answer.

The sandbox has no containers: a model is served on this machine (``python -m launchpad_serving``) and
registered for its artifact (``ModelDataUrl``) or image in one sandbox account and region. See
``launchpad.sandbox.patches.sagemaker_runtime`` for the routing.
"""

from __future__ import annotations

from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox import control

ROUTE = "/_launchpad/local-servers"


def _call(target: AwsTarget, method: str, document: dict[str, Any] | None = None) -> dict[str, str]:
    if not target.is_sandbox or not target.account_id:
        raise SandboxError("local model servers are a sandbox feature: point AWS_ENDPOINT_URL at the sandbox")
    where = {"account": target.account_id, "region": target.region}
    if document is None:
        return dict(control.request(target, method, ROUTE, query=where, timeout=10)["servers"])
    return dict(control.request(target, method, ROUTE, {**where, **document}, timeout=10)["servers"])


def register(
    target: AwsTarget, url: str, *, model_data_url: str | None = None, image: str | None = None
) -> None:
    """Route ``InvokeEndpoint`` calls for models with this artifact (or image) to ``url``."""
    if (model_data_url is None) == (image is None):
        raise ValueError("name the model's artifact (model_data_url) or its image, one of them")
    key = {"model_data_url": model_data_url} if model_data_url else {"image": image}
    _call(target, "POST", {"url": url, **key})


def registered(target: AwsTarget) -> dict[str, str]:
    """Artifact or image -> server URL, for the target's account and region."""
    return _call(target, "GET")


def clear(target: AwsTarget) -> None:
    _call(target, "DELETE")
