"""Register a serving image's local stand-in, so the sandbox's SageMaker hosting runs the model it deploys.

The sandbox has no containers: where SageMaker would run ``docker run <image> serve`` with the model artifact
in ``/opt/ml/model``, the sandbox runs the stand-in's command on this machine, with the artifact of the
deployed model unpacked in ``{model_dir}`` and ``{port}`` to listen on (``python -m launchpad_serving ...
--model-dir {model_dir} --port {port}``, with ``PYTHONPATH`` pointing at what ``docker build`` would copy).
See ``launchpad.sandbox.patches.sagemaker_hosting`` for what starts and stops the servers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError
from launchpad.sandbox import control

ROUTE = "/_launchpad/sagemaker/images"
SERVERS_ROUTE = "/_launchpad/sagemaker/servers"


def _where(target: AwsTarget) -> dict[str, str]:
    if not target.is_sandbox or not target.account_id:
        raise SandboxError(
            "serving image stand-ins are a sandbox feature: point AWS_ENDPOINT_URL at the sandbox"
        )
    return {"account": target.account_id, "region": target.region}


def register(
    target: AwsTarget,
    image: str,
    command: Sequence[str],
    *,
    environment: Mapping[str, str] | None = None,
    workdir: str | None = None,
    startup_timeout_seconds: float | None = None,
) -> dict[str, Any]:
    """Run ``command`` (argv with ``{model_dir}`` and ``{port}``) for models whose image is ``image``
    (``<uri>:<tag>`` or ``<uri>@sha256:<digest>``); the target's stand-ins after the change."""
    document: dict[str, Any] = {**_where(target), "image": image, "command": list(command)}
    if environment:
        document["environment"] = dict(environment)
    if workdir is not None:
        document["workdir"] = workdir
    if startup_timeout_seconds is not None:
        document["startup_timeout_seconds"] = startup_timeout_seconds
    return dict(control.request(target, "POST", ROUTE, document, timeout=10)["images"])


def registered(target: AwsTarget) -> dict[str, Any]:
    """Image -> its stand-in (command, environment, workdir, startup_timeout_seconds)."""
    return dict(control.request(target, "GET", ROUTE, query=_where(target), timeout=10)["images"])


def clear(target: AwsTarget, image: str | None = None) -> None:
    """Forget one stand-in (or all of the target's); servers already started keep running for their
    endpoints."""
    query = {**_where(target), **({"image": image} if image else {})}
    control.request(target, "DELETE", ROUTE, query=query, timeout=10)


def servers(target: AwsTarget) -> list[dict[str, Any]]:
    """The target's running stand-ins: image, artifact, model, url, pid, state, failure, fleets, output."""
    return list(control.request(target, "GET", SERVERS_ROUTE, query=_where(target), timeout=10)["servers"])


def url_for(target: AwsTarget, model: str, timeout: float = 60.0) -> str | None:
    """The URL of the stand-in serving ``model`` once it answers ``/ping`` (waiting at most ``timeout``);
    None if none serves it."""
    query = {**_where(target), "model": model, "timeout": str(timeout)}
    url = control.request(target, "GET", SERVERS_ROUTE, query=query, timeout=timeout + 10)["url"]
    return str(url) if url is not None else None
