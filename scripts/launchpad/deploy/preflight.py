"""Everything a deploy needs, checked before its first mutating call; every problem reported at once.

``preflight`` reads the stage config (``load_stage_config``: schema, cross-field and stage rules, the
instance allow-list and the guardrail limits; a bad config is a ConfigError, exit 7, and nothing else is
checked), then only reads AWS: the model card, the artifact and its encryption, the execution role, the
model package group (and in prod its latest Approved version), the endpoint's state and its rollback alarms.
Any problem is a ``PreflightError`` (exit 18) listing them all; nothing was changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy import artifacts, resources, watch
from launchpad.deploy.artifacts import PackageVersion
from launchpad.deploy.config import StageConfig, load_stage_config
from launchpad.deploy.model_card import load_model_card
from launchpad.deploy.watch import describe_error, described, is_endpoint_gone
from launchpad.errors import ConfigError, PreflightError

IN_SERVICE = "InService"


@dataclass(frozen=True)
class Preflight:
    """What preflight found: the config, the endpoint now (None: none yet), the package prod deploys."""

    config: StageConfig
    endpoint: dict[str, Any] | None
    approved: PackageVersion | None

    @property
    def current_config(self) -> str | None:
        return self.endpoint.get("EndpointConfigName") if self.endpoint else None


def raise_problems(problems: list[str], subject: str) -> None:
    unique = tuple(dict.fromkeys(problems))
    if unique:
        count = "1 problem" if len(unique) == 1 else f"{len(unique)} problems"
        listed = "\n".join(f"  - {p}" for p in unique)
        raise PreflightError(f"{subject}: preflight found {count}, nothing was changed:\n{listed}", unique)


def _safely(check: Callable[[], Iterator[str]], what: str) -> Iterator[str]:
    """A check's problems; an AWS error it did not expect is one more problem, not a crash."""
    try:
        yield from check()
    except (ClientError, BotoCoreError) as exc:
        yield f"cannot check {what}: {describe_error(exc)}"


def _artifact(s3: Any, uri: str, key_arn: str) -> Iterator[str]:
    head = artifacts.head(s3, uri)
    if head is None:
        yield f"artifact {uri} does not exist; upload the model.tar.gz there, or fix artifact_s3_uri"
        return
    sse, used = head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")
    if sse != "aws:kms":
        yield (
            f"artifact {uri} is encrypted with {sse or 'nothing'}, not SSE-KMS; copy it over itself with "
            f"--sse aws:kms --sse-kms-key-id {key_arn}"
        )
    elif used != key_arn and not (used and key_arn.endswith(used)):
        yield (
            f"artifact {uri} is encrypted with KMS key {used or 'aws/s3 (the AWS-managed key)'}, not the "
            f"configured {key_arn}; copy it over itself with --sse aws:kms --sse-kms-key-id {key_arn}"
        )


def _group(sagemaker: Any, group: str) -> Iterator[str]:
    if described(sagemaker.describe_model_package_group, ModelPackageGroupName=group) is None:
        yield (
            f"model package group {group} does not exist; create it (the model-registry module) or fix "
            f"model_package_group"
        )


def describe_endpoint(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if is_endpoint_gone(exc):
            return None
        raise


def endpoint_problems(endpoint: dict[str, Any] | None, name: str) -> Iterator[str]:
    if endpoint is not None and endpoint["EndpointStatus"] != IN_SERVICE:
        yield (
            f"endpoint {name} is {endpoint['EndpointStatus']}, not InService: SageMaker takes no update now; "
            f"wait for it (`launchpad status`), or fix it first"
        )


def alarm_problems(cloudwatch: Any, names: tuple[str, ...]) -> Iterator[str]:
    for alarm in watch.describe_alarms(cloudwatch, names).values():
        if alarm.get("StateValue") == "ALARM":
            yield (
                f"rollback alarm {alarm['AlarmName']} is already in ALARM, so the update would roll back at "
                f"once; find out why and deploy once it is OK"
            )


def preflight(config_path: Path | str, target: AwsTarget, artifact: Path | None = None) -> Preflight:
    """Check everything a deploy of ``config_path`` needs; raise ConfigError or PreflightError. ``artifact``:
    a local model.tar.gz the deploy will upload to the stage's ``artifact_s3_uri`` (checked here, not S3)."""
    config = load_stage_config(config_path)
    problems: list[str] = []
    if artifact is not None:
        problems += artifacts.local_problems(artifact)
        if config.require_approved_package:
            problems.append(
                f"{config.stage} deploys the latest Approved version of {config.model_package_group}, not a "
                f"local artifact: drop --artifact (ship it through dev and staging, then approve it)"
            )
    try:
        load_model_card(config.model_card, config.stage)
    except ConfigError as exc:
        problems += [f"model card {config.model_card}: {p}" for p in exc.problems] or [str(exc)]
    sagemaker, s3 = target.client("sagemaker"), target.client("s3")
    approved: PackageVersion | None = None
    group_problems = list(_safely(lambda: _group(sagemaker, config.model_package_group), "the package group"))
    problems += group_problems
    sources = {v.model for v in config.variants}
    if config.require_approved_package and not group_problems:
        approved = artifacts.latest_approved(sagemaker, config.model_package_group)
        if approved is None:
            problems.append(
                f"model package group {config.model_package_group} has no Approved version, and "
                f"{config.stage} deploys only Approved versions; approve one in the model registry"
            )
        else:
            sources = {v.model for v in config.variants if v.model != config.model} | {approved.model}
    if artifact is not None:
        sources.discard(config.model)  # the deploy uploads it, unless a different file is there already
        if not list(artifacts.local_problems(artifact)):
            uri = config.model.artifact_s3_uri
            problems += _safely(lambda: artifacts.overwrite_problems(s3, artifact, uri), "the artifact")
    for source in sorted(sources, key=lambda s: s.artifact_s3_uri):
        check = functools.partial(_artifact, s3, source.artifact_s3_uri, config.kms_key_arn)
        problems += _safely(check, "the artifact")
    endpoint = describe_endpoint(sagemaker, config.endpoint_name)
    problems += endpoint_problems(endpoint, config.endpoint_name)
    problems += _safely(
        lambda: alarm_problems(target.client("cloudwatch"), resources.alarm_names(config.endpoint_name)),
        "the rollback alarms",
    )
    raise_problems(problems, f"deploy of {config.endpoint_name} ({config.stage})")
    return Preflight(config, endpoint, approved)
