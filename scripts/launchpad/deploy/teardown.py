"""Remove what ``launchpad deploy`` made for one endpoint: its autoscaling, rollback alarms, the endpoint, the
endpoint configs and models named after it, and (optionally) the versions it registered.

The deploy names everything after the endpoint (``<endpoint>-<hash>`` configs, ``<endpoint>-<variant>-<hash>``
models, ``<endpoint>-rollback-<kind>`` alarms), so that prefix finds them. The model package group itself
belongs to Terraform (the model-registry module) and stays. Waits for the endpoint to be gone, because
SageMaker refuses to delete a config an endpoint still uses.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from botocore.exceptions import WaiterError

from launchpad.aws import AwsTarget
from launchpad.deploy import scaling, watch
from launchpad.deploy.resources import alarm_names
from launchpad.errors import DeployError

log = logging.getLogger(__name__)
WAIT_DELAY = 5  # seconds between DescribeEndpoint calls while the endpoint is Deleting


def remove_endpoint(
    target: AwsTarget, endpoint: str, *, package_group: str | None = None, timeout: float = 600.0
) -> list[str]:
    """Delete ``endpoint`` and what its deploys made; returns one line per removed resource."""
    sagemaker, cloudwatch = target.client("sagemaker"), target.client("cloudwatch")
    autoscaling = target.client("application-autoscaling")
    removed = []
    for variant in scaling.current(autoscaling, endpoint):
        scaling.deregister(autoscaling, endpoint, variant)
        removed.append(f"scalable target {scaling.resource_id(endpoint, variant)}")
    alarms = sorted(watch.describe_alarms(cloudwatch, alarm_names(endpoint)))
    if alarms:
        cloudwatch.delete_alarms(AlarmNames=alarms)
        removed += [f"alarm {name}" for name in alarms]
    if watch.described(sagemaker.describe_endpoint, EndpointName=endpoint) is not None:
        sagemaker.delete_endpoint(EndpointName=endpoint)
        _wait_deleted(sagemaker, endpoint, timeout)
        removed.append(f"endpoint {endpoint}")
    prefix = f"{endpoint}-"
    for config in _named(sagemaker, "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", prefix):
        sagemaker.delete_endpoint_config(EndpointConfigName=config)
        removed.append(f"endpoint config {config}")
    for model in _named(sagemaker, "list_models", "Models", "ModelName", prefix):
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


def _named(sagemaker: Any, operation: str, key: str, field: str, prefix: str) -> list[str]:
    """The names a SageMaker List* operation returns that start with ``prefix``."""
    pages = sagemaker.get_paginator(operation).paginate(NameContains=prefix)
    return [item[field] for page in pages for item in page[key] if item[field].startswith(prefix)]


def _wait_deleted(sagemaker: Any, endpoint: str, timeout: float) -> None:
    attempts = max(1, math.ceil(timeout / WAIT_DELAY))
    try:
        sagemaker.get_waiter("endpoint_deleted").wait(
            EndpointName=endpoint, WaiterConfig={"Delay": WAIT_DELAY, "MaxAttempts": attempts}
        )
    except WaiterError as exc:
        raise DeployError(f"endpoint {endpoint} was not deleted within {timeout:.0f} s: {exc}") from exc
