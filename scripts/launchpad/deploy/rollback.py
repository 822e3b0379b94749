"""``launchpad rollback``: put an endpoint back on an earlier config, and wait as a deploy does.

The target is, in order: ``to_config`` (an endpoint config of this endpoint's history, which exists);
``to_package_version`` (a model package version of the group: models and a config are made for it, as a
deploy would, with the deploying account's role and keys); else the endpoint's ``launchpad:previous-config``
tag, which every deploy that updates the endpoint writes. The endpoint's history is its configs as the
sagemaker-endpoint module and the engine name them, ``<endpoint>-<hash>``
(``definition.endpoint_config_pattern``): another endpoint's config, or one made by hand, would put a fleet on
the endpoint that none of its deploys chose, so it is refused and nothing changes. The update carries
no DeploymentConfig (a rollback replaces the fleet at once, blue/green) and is watched by the same state
machine, without alarms (they guard the config being left). Variants whose instance type the rollback
changes are released from autoscaling first and registered again, with the same settings, once it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy import artifacts, definition, names, resources, scaling, watch
from launchpad.deploy.config import StageConfig, load_stage_config
from launchpad.deploy.engine import CallCounter, DeployResult, aws_errors, serving_types
from launchpad.deploy.preflight import (
    account_problems,
    caller_account,
    describe_endpoint,
    endpoint_problems,
    raise_problems,
)
from launchpad.deploy.resources import Created
from launchpad.deploy.rollout import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, Event, wait_for_rollout
from launchpad.errors import PreflightError

LOG = logging.getLogger(__name__)


def _tagged_previous(sagemaker: Any, endpoint_arn: str) -> str | None:
    tags = sagemaker.list_tags(ResourceArn=endpoint_arn).get("Tags", [])
    return next((t["Value"] for t in tags if t["Key"] == resources.PREVIOUS_CONFIG_TAG), None)


def history(sagemaker: Any, endpoint: str, limit: int = 5) -> list[str] | None:
    """The newest ``limit`` endpoint configs of ``endpoint``'s history (named ``<endpoint>-<hash>``); None
    when they cannot be listed (a deploy role may not ListEndpointConfigs: the message goes without them)."""
    pattern = definition.endpoint_config_pattern(endpoint)
    found: list[str] = []
    try:
        pages = sagemaker.get_paginator("list_endpoint_configs").paginate(
            NameContains=endpoint, SortBy="CreationTime", SortOrder="Descending"
        )
        for page in pages:
            found += [c["EndpointConfigName"] for c in page["EndpointConfigs"]]
    except (ClientError, BotoCoreError) as exc:
        LOG.debug("cannot list the configs of %s: %s", endpoint, watch.describe_error(exc))
        return None
    return [name for name in found if pattern.fullmatch(name)][:limit]


def _target_config_problems(
    sagemaker: Any, endpoint: dict[str, Any], name: str, to_config: str | None, previous: str | None
) -> Iterator[str]:
    """``to_config`` (named with --to-config; None: the previous-config tag's, ``previous``) is one of the
    endpoint's own configs, exists, and is not the one serving. The tag's config is the endpoint's history
    whatever its name: a deploy wrote it when it moved the endpoint off it."""
    if to_config is None and previous is None:
        yield (
            f"endpoint {name} has no {resources.PREVIOUS_CONFIG_TAG} tag (it was never updated by "
            f"launchpad): name the config with --to-config"
        )
        return
    own = to_config is None or to_config == previous
    where = f"endpoint config {to_config}" if to_config is not None else f"its previous config {previous}"
    to_config = to_config or previous
    assert to_config is not None
    if not own and not definition.endpoint_config_pattern(name).fullmatch(to_config):
        known = history(sagemaker, name)
        listed = (
            "its configs cannot be listed here"
            if known is None
            else f"its newest configs are {', '.join(known)}"
            if known
            else "it has none"
        )
        yield (
            f"{where} is not one of endpoint {name}'s configs (they are named "
            f"{definition.render('endpoint_config', endpoint=name)} by its deploys): {listed}; name one of "
            f"them with --to-config, or roll back to a model version with --to-package-version"
        )
    elif watch.described(sagemaker.describe_endpoint_config, EndpointConfigName=to_config) is None:
        yield (
            f"{where} does not exist; name an existing one of endpoint {name}'s configs with --to-config "
            f"(`launchpad status` shows the one serving)"
        )
    elif to_config == endpoint["EndpointConfigName"]:
        yield f"endpoint {name} already serves {to_config}: nothing to roll back"


def _package_problems(
    config: StageConfig, target: AwsTarget, package: artifacts.PackageVersion | None, version: int
) -> Iterator[str]:
    """The package version exists (Approved, where the stage demands it), and the role and keys its models and
    config will take are the deploying account's."""
    group = config.model_package_group
    if package is None:
        yield (
            f"model package group {group} has no version {version}; list them with "
            f"`aws sagemaker list-model-packages --model-package-group-name {group}`"
        )
    elif config.require_approved_package and package.status != artifacts.APPROVED:
        yield f"version {version} is {package.status}, and {config.stage} serves only Approved versions"
    yield from account_problems(config, caller_account(target))


def _check(
    config: StageConfig, target: AwsTarget, to_config: str | None, to_package_version: int | None
) -> tuple[dict[str, Any], str | None, artifacts.PackageVersion | None]:
    """Preflight of a rollback: the endpoint exists and is InService, and the target is known and its own."""
    sagemaker = target.client("sagemaker")
    name = config.endpoint_name
    endpoint = describe_endpoint(sagemaker, name)
    problems: list[str] = []
    if endpoint is None:
        raise_problems([f"endpoint {name} does not exist: nothing to roll back"], f"rollback of {name}")
    assert endpoint is not None
    problems += endpoint_problems(endpoint, name)
    package = None
    if to_package_version is not None:
        package = artifacts.package_version(sagemaker, config.model_package_group, to_package_version)
        problems += _package_problems(config, target, package, to_package_version)
    else:
        previous = _tagged_previous(sagemaker, endpoint["EndpointArn"])
        problems += _target_config_problems(sagemaker, endpoint, name, to_config, previous)
        to_config = to_config or previous
    raise_problems(problems, f"rollback of {name}")
    return endpoint, to_config, package


def rollback(
    config_path: Path | str,
    target: AwsTarget,
    *,
    to_config: str | None = None,
    to_package_version: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_progress: Callable[[Event], None] | None = None,
) -> DeployResult:
    """Roll the stage's endpoint back; never raises for an outcome (``result.raise_for_outcome()`` does)."""
    if to_config is not None and to_package_version is not None:
        raise ValueError("name a config or a package version, not both")
    if to_config is not None and (problem := names.endpoint_config_problem(to_config)):
        raise PreflightError(f"--to-config: {problem}", (problem,))
    config = load_stage_config(config_path)
    with aws_errors(f"the checks before the rollback of {config.endpoint_name}", Created()):
        endpoint, to_config, package = _check(config, target, to_config, to_package_version)
    sagemaker = target.client("sagemaker")
    created = Created()
    counter = CallCounter()
    with counter.watching(target), aws_errors(f"the rollback of {config.endpoint_name}", created):
        if package is not None:
            models = resources.models_for(config, package.model)
            resources.ensure_models(sagemaker, models, created)
            request = resources.endpoint_config_request(
                config, {v: m["ModelName"] for v, m in models.items()}
            )
            resources.ensure_endpoint_config(sagemaker, request, created)
            to_config = request["EndpointConfigName"]
        assert to_config is not None
        current = endpoint["EndpointConfigName"]
        if to_config == current:
            raise_problems([f"endpoint {config.endpoint_name} already serves {to_config}"], "rollback")
        sagemaker.add_tags(
            ResourceArn=endpoint["EndpointArn"],
            Tags=[{"Key": resources.PREVIOUS_CONFIG_TAG, "Value": current}],
        )
        autoscaling = target.client("application-autoscaling")
        leaving, arriving = serving_types(sagemaker, current), serving_types(sagemaker, to_config)
        have = scaling.current(autoscaling, config.endpoint_name)
        restoring = scaling.release(autoscaling, config.endpoint_name, have, leaving, arriving)
        sagemaker.update_endpoint(EndpointName=config.endpoint_name, EndpointConfigName=to_config)
        result = wait_for_rollout(
            sagemaker,
            target.client("cloudwatch"),
            config.endpoint_name,
            to_config,
            current,
            (),
            timeout=timeout,
            poll_interval=poll_interval,
            bake_seconds=0,
            on_progress=on_progress,
        )
        if result.succeeded:
            scaling.restore(autoscaling, config.endpoint_name, restoring, arriving)
        elif result.settled_on(current):
            scaling.restore(autoscaling, config.endpoint_name, restoring, leaving)
    calls = len(counter.operations)
    return DeployResult(replace(result, mutating_calls=calls), created, calls, tuple(counter.operations))
