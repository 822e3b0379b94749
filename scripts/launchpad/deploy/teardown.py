"""Remove what ``launchpad deploy`` made for one endpoint: its autoscaling, rollback alarms, the endpoint, the
endpoint configs and models named after it, and (optionally) the versions it registered.

The deploy names everything after the endpoint (``<endpoint>-<hash>`` configs, ``<endpoint>-<variant>-<hash>``
models, ``<endpoint>-rollback-<kind>`` alarms), so that prefix finds them. The model package group itself
belongs to Terraform (the model-registry module) and stays. Waits for the endpoint to be gone, because
SageMaker refuses to delete a config an endpoint still uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from launchpad.aws import AwsTarget
from launchpad.deploy import watch
from launchpad.deploy.resources import alarm_names
from launchpad.errors import DeployError

log = logging.getLogger(__name__)


def remove_endpoint(
    target: AwsTarget,
    endpoint: str,
    *,
    package_group: str | None = None,
    timeout: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Delete ``endpoint`` and what its deploys made; returns one line per removed resource."""
    sagemaker, cloudwatch = target.client("sagemaker"), target.client("cloudwatch")
    removed = _remove_scaling(target.client("application-autoscaling"), endpoint)
    alarms = sorted(watch.describe_alarms(cloudwatch, alarm_names(endpoint)))
    if alarms:
        cloudwatch.delete_alarms(AlarmNames=alarms)
        removed += [f"alarm {name}" for name in alarms]
    if watch.described(sagemaker.describe_endpoint, EndpointName=endpoint) is not None:
        sagemaker.delete_endpoint(EndpointName=endpoint)
        _wait_gone(sagemaker, endpoint, timeout, sleep)
        removed.append(f"endpoint {endpoint}")
    prefix = f"{endpoint}-"
    for config in _names(sagemaker.list_endpoint_configs, "EndpointConfigs", "EndpointConfigName", endpoint):
        if config.startswith(prefix):
            sagemaker.delete_endpoint_config(EndpointConfigName=config)
            removed.append(f"endpoint config {config}")
    for model in _names(sagemaker.list_models, "Models", "ModelName", endpoint):
        if model.startswith(prefix):
            sagemaker.delete_model(ModelName=model)
            removed.append(f"model {model}")
    if package_group is not None:
        pages = sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=package_group)
        for package in (p for page in pages for p in page["ModelPackageSummaryList"]):
            sagemaker.delete_model_package(ModelPackageName=package["ModelPackageArn"])
            removed.append(f"model package {'/'.join(package['ModelPackageArn'].split('/')[-2:])}")
    for line in removed:
        log.debug("removed %s", line)
    return removed


def _remove_scaling(autoscaling: Any, endpoint: str) -> list[str]:
    removed = []
    prefix = f"endpoint/{endpoint}/variant/"
    scalable = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    for resource in (t["ResourceId"] for t in scalable if t["ResourceId"].startswith(prefix)):
        policies = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)
        for policy in policies["ScalingPolicies"]:
            autoscaling.delete_scaling_policy(
                PolicyName=policy["PolicyName"],
                ServiceNamespace="sagemaker",
                ResourceId=resource,
                ScalableDimension=policy["ScalableDimension"],
            )
        autoscaling.deregister_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        )
        removed.append(f"scalable target {resource}")
    return removed


def _names(list_call: Callable[..., Any], key: str, field: str, contains: str) -> list[str]:
    names, token = [], None
    while True:
        page = list_call(NameContains=contains, **({"NextToken": token} if token else {}))
        names += [item[field] for item in page[key]]
        token = page.get("NextToken")
        if not token:
            return names


def _wait_gone(sagemaker: Any, endpoint: str, timeout: float, sleep: Callable[[float], None]) -> None:
    waited = 0.0
    while watch.described(sagemaker.describe_endpoint, EndpointName=endpoint) is not None:
        if waited >= timeout:
            raise DeployError(f"endpoint {endpoint} is still being deleted after {timeout:.0f} s")
        sleep(1.0)
        waited += 1.0
