"""``launchpad rollback``: put an endpoint back on an earlier config, and wait as a deploy does.

The target is, in order: ``to_config`` (an endpoint config that exists); ``to_package_version`` (a model
package version of the group: models and a config are made for it, as a deploy would); else the endpoint's
``launchpad:previous-config`` tag, which every deploy that updates the endpoint writes. The update carries
no DeploymentConfig (a rollback replaces the fleet at once, blue/green) and is watched by the same state
machine, without alarms (they guard the config being left). Variants whose instance type the rollback
changes are released from autoscaling first and registered again, with the same settings, once it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.deploy import artifacts, resources, scaling, watch
from launchpad.deploy.config import StageConfig, load_stage_config
from launchpad.deploy.engine import CallCounter, DeployResult, aws_errors, serving_types
from launchpad.deploy.preflight import describe_endpoint, endpoint_problems, raise_problems
from launchpad.deploy.resources import Created
from launchpad.deploy.rollout import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, Event, wait_for_rollout


def _tagged_previous(sagemaker: Any, endpoint_arn: str) -> str | None:
    tags = sagemaker.list_tags(ResourceArn=endpoint_arn).get("Tags", [])
    return next((t["Value"] for t in tags if t["Key"] == resources.PREVIOUS_CONFIG_TAG), None)


def _check(
    config: StageConfig, target: AwsTarget, to_config: str | None, to_package_version: int | None
) -> tuple[dict[str, Any], str | None, artifacts.PackageVersion | None]:
    """Preflight of a rollback: the endpoint exists and is InService, and the target is known."""
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
        if package is None:
            problems.append(
                f"model package group {config.model_package_group} has no version {to_package_version}; "
                f"list them with `aws sagemaker list-model-packages --model-package-group-name "
                f"{config.model_package_group}`"
            )
        elif config.require_approved_package and package.status != artifacts.APPROVED:
            problems.append(
                f"version {to_package_version} is {package.status}, and {config.stage} serves only Approved "
                f"versions"
            )
    else:
        to_config = to_config or _tagged_previous(sagemaker, endpoint["EndpointArn"])
        if to_config is None:
            problems.append(
                f"endpoint {name} has no {resources.PREVIOUS_CONFIG_TAG} tag (it was never updated by "
                f"launchpad): name the config with --to-config"
            )
        elif watch.described(sagemaker.describe_endpoint_config, EndpointConfigName=to_config) is None:
            problems.append(f"endpoint config {to_config} does not exist; name one with --to-config")
        elif to_config == endpoint["EndpointConfigName"]:
            problems.append(f"endpoint {name} already serves {to_config}: nothing to roll back")
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
