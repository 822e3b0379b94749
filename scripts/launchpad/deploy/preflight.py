"""Everything a deploy needs, checked before its first mutating call; every problem reported at once.

``preflight`` reads the stage config (``load_stage_config``: schema, cross-field and stage rules, the
instance allow-list, the SageMaker instance types and the guardrail limits; a bad config is a ConfigError,
exit 7, and nothing else is checked). In a pipeline build (``LAUNCHPAD_BUILD_TIMEOUT_MINUTES``, which the
cicd-pipeline module gives every step) the config's worst case must also end before CodeBuild stops the
build: a build stopped mid-deploy leaves the endpoint updating with nobody watching, so a rollout that may
outlast the time left is a ConfigError too (``build_time_problems``). Then preflight only reads AWS:

- who deploys: the account of the deploying identity (STS GetCallerIdentity, which needs no permission).
  The execution role and the KMS keys must be that account's: SageMaker takes only a role of the caller's
  own account (iam:PassRole does not cross accounts), and launchpad keeps the artifacts, volumes and captures
  under the deploying account's keys (their ARNs say whose they are);
- the model card, the model package group (and in prod its latest Approved version);
- each artifact: it exists, in a bucket of the deploying account (HeadObject with ``ExpectedBucketOwner``:
  S3 refuses another account's bucket), SSE-KMS with the configured key;
- with ``baseline`` (a local drift baseline folder, shipped with ``artifact``): it is one launchpad wrote, of
  the model card's version, and no different file sits at its place beside the artifact; without it, dev and
  staging look beside the artifact for a baseline to register with the version;
- the data-capture destination: its bucket exists and is the deploying account's (HeadBucket with
  ``ExpectedBucketOwner``; an identity S3 refuses cannot tell, which is a problem naming s3:ListBucket);
- the endpoint's state, its rollback alarms, and on the sandbox the time scale the rollout will run at.

Any problem is a ``PreflightError`` (exit 18) listing them all; nothing was changed. A read that AWS refuses
unexpectedly is one more problem, not a crash.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from launchpad.aws import AwsTarget
from launchpad.deploy import artifacts, resources, timescale, watch
from launchpad.deploy.artifacts import PackageVersion, split_s3_uri
from launchpad.deploy.config import StageConfig, load_stage_config
from launchpad.deploy.model_card import load_model_card
from launchpad.deploy.rollout import DEFAULT_TIMEOUT
from launchpad.deploy.schema_errors import message
from launchpad.deploy.schema_errors import raise_problems as raise_config_problems
from launchpad.deploy.watch import describe_error, described, error_code, is_endpoint_gone
from launchpad.errors import ConfigError, PreflightError
from launchpad.monitor import baselines
from launchpad.quoting import shown

IN_SERVICE = "InService"
# The build's own CodeBuild timeout, which cicd-pipeline gives every step, and when CodeBuild started it
# (CodeBuild User Guide, "Environment variables in build environments": CODEBUILD_START_TIME, a Unix time in
# milliseconds).
BUILD_TIMEOUT_ENV = "LAUNCHPAD_BUILD_TIMEOUT_MINUTES"
BUILD_START_ENV = "CODEBUILD_START_TIME"
_Value = TypeVar("_Value")


@dataclass(frozen=True)
class Preflight:
    """What preflight found: the config, the endpoint now (None: none yet), the package prod deploys, the
    deploying account, the real seconds one AWS second of the bake lasts (1 on AWS; the sandbox's time
    scale there), and the prefix of the drift baseline a registered version names (None: none)."""

    config: StageConfig
    endpoint: dict[str, Any] | None
    approved: PackageVersion | None
    time_scale: float = timescale.UNSCALED
    account: str | None = None
    baseline: str | None = None

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


def _read(problems: list[str], what: str, read: Callable[[], _Value]) -> _Value | None:
    """``read()``; an AWS error is one more problem (and None), not a crash."""
    try:
        return read()
    except (ClientError, BotoCoreError) as exc:
        problems.append(f"cannot check {what}: {describe_error(exc)}")
        return None


# -- whose resources -----------------------------------------------------------------------------------------
def caller_account(target: AwsTarget) -> str:
    """The deploying identity's account (GetCallerIdentity: anyone may call it, even under a Deny)."""
    return str(target.client("sts").get_caller_identity()["Account"])


def _arn_account(arn: str) -> str:
    return arn.split(":")[4] if arn.count(":") >= 5 else ""


def account_problems(config: StageConfig, account: str) -> Iterator[str]:
    """The execution role and the KMS keys of ``config`` that belong to another account than ``account``."""
    role = config.execution_role_arn
    if _arn_account(role) != account:
        yield (
            f"execution_role_arn {role} is a role of account {_arn_account(role)}, and this deploy runs in "
            f"account {account}: SageMaker takes only a role of the deploying account (iam:PassRole does not "
            f"cross accounts); use the execution role of account {account}"
        )
    keys = {"model.kms_key_arn": config.kms_key_arn}
    if config.data_capture.enabled and config.data_capture.kms_key_arn:
        keys["data_capture.kms_key_arn"] = config.data_capture.kms_key_arn
    for field, key in keys.items():
        if _arn_account(key) != account:
            yield (
                f"{field} {key} is a key of account {_arn_account(key)}, not of the deploying account "
                f"{account}: launchpad keeps artifacts, volumes and captures under the deploying account's "
                f"own keys; use a key of account {account} (the platform stack's kms_key_arns)"
            )


# S3 API Reference, HeadObject, "Permissions": a key with no object is 404 only to a caller that may also list
# the bucket, 403 to any other.
MISSING_IS_REFUSED = (
    "S3 answers a missing object 403, not 404, to a caller without it: the cicd-pipeline module's "
    "FindModelArtifacts statement"
)


def _foreign_bucket(exists_for_others: Callable[[], object], bucket: str, account: str) -> str | None:
    """After S3 refused a call to ``bucket`` with ExpectedBucketOwner ``account``: the problem if the bucket
    answers without it (another account's bucket), else None (this identity may not read it at all)."""
    try:
        exists_for_others()
    except ClientError as exc:
        if artifacts.is_refused(exc):
            return None
        if error_code(exc) not in artifacts.S3_MISSING_CODES:
            raise
    return f"bucket {bucket} belongs to another account than the deploying one ({account})"


# -- the artifacts -------------------------------------------------------------------------------------------
def _artifact(s3: Any, uri: str, key_arn: str, account: str | None) -> Iterator[str]:
    try:
        head = artifacts.head(s3, uri, account)
    except ClientError as exc:
        if account is None or not artifacts.is_refused(exc):
            raise
        yield _refused_artifact(s3, uri, account)
        return
    if head is None:
        yield f"artifact {uri} does not exist; upload the model.tar.gz there, or fix artifact_s3_uri"
        return
    sse, used = head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")
    if sse != "aws:kms":
        yield (
            f"artifact {uri} is encrypted with {sse or 'nothing'}, not SSE-KMS; copy it over itself with "
            f"--sse aws:kms --sse-kms-key-id {key_arn}"
        )
    elif used not in (key_arn, key_arn.rsplit("/", 1)[-1]):  # S3 names the key by ARN (or, some, by id)
        yield (
            f"artifact {uri} is encrypted with KMS key {used or 'aws/s3 (the AWS-managed key)'}, not the "
            f"configured {key_arn}; copy it over itself with --sse aws:kms --sse-kms-key-id {key_arn}"
        )


def _refused_head(s3: Any, uri: str, account: str, what: str, foreign_fix: str, refused: str) -> str:
    """Why S3 refused HeadObject of the ``what`` at ``uri``: a bucket of another account (then
    ``foreign_fix``), else ``refused``."""
    bucket, key = split_s3_uri(uri)
    foreign = _foreign_bucket(lambda: s3.head_object(Bucket=bucket, Key=key), bucket, account)
    return refused if foreign is None else f"{what} {uri}: {foreign}; {foreign_fix}"


def _refused_artifact(s3: Any, uri: str, account: str) -> str:
    bucket, _ = split_s3_uri(uri)
    return _refused_head(
        s3,
        uri,
        account,
        "artifact",
        "SageMaker and the model registry take artifacts from the deploying account's own bucket: copy it "
        "to the platform's models bucket and fix artifact_s3_uri",
        f"cannot read artifact {uri}: S3 refused HeadObject; the deploying identity needs s3:GetObject on "
        f"it, in a bucket of account {account}, and s3:ListBucket on bucket {bucket} if it may not be "
        f"there yet ({MISSING_IS_REFUSED})",
    )


# -- data capture --------------------------------------------------------------------------------------------
def capture_problems(s3: Any, uri: str, account: str | None) -> Iterator[str]:
    """The data-capture destination ``uri``'s bucket does not exist, is another account's, or cannot be
    checked by the deploying identity."""
    bucket, _ = split_s3_uri(uri)
    try:
        s3.head_bucket(Bucket=bucket, **artifacts.owned_by(account))
    except ClientError as exc:
        if error_code(exc) in artifacts.S3_MISSING_CODES:
            yield (
                f"data_capture.destination_s3_uri {uri}: bucket {bucket} does not exist, and SageMaker "
                f"writes nothing to a bucket that does not: create it (the platform's data-capture bucket) "
                f"or fix destination_s3_uri"
            )
            return
        if account is None or not artifacts.is_refused(exc):
            raise
        foreign = _foreign_bucket(lambda: s3.head_bucket(Bucket=bucket), bucket, account)
        if foreign is not None:
            yield (
                f"data_capture.destination_s3_uri {uri}: {foreign}; captured requests are patient data "
                f"and stay in the deploying account: use its data-capture bucket"
            )
        else:
            yield (
                f"cannot verify data_capture.destination_s3_uri {uri}: S3 refused HeadBucket on {bucket}; "
                f"the deploying identity needs s3:ListBucket on bucket {bucket} (the cicd-pipeline module's "
                f"CheckCaptureBucket statement) to check that it exists in account {account}"
            )


# -- the endpoint --------------------------------------------------------------------------------------------
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


def time_scale(
    target: AwsTarget,
    sagemaker: Any,
    config: StageConfig,
    endpoint: Mapping[str, Any] | None,
    problems: list[str],
    environ: Mapping[str, str] = os.environ,
) -> float:
    """The real seconds one AWS second of the bake lasts: 1 on AWS (nothing read); on the sandbox the scale
    its rollout will run at (``timescale.applying``), from the endpoint's tags, or the config's for a new
    endpoint. A scale the sandbox would refuse is one more problem."""
    if not target.is_sandbox:
        return timescale.UNSCALED
    if endpoint is None:
        tags: list[dict[str, str]] = timescale.tag_list(config.tags)
    else:
        listed = _read(
            problems,
            f"the tags of endpoint {config.endpoint_name}",
            lambda: sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", []),
        )
        tags = list(listed or [])
    try:
        return timescale.applying(tags, environ)
    except timescale.TimeScaleError as exc:
        where = "the stage config's tags" if endpoint is None else f"endpoint {config.endpoint_name}"
        problems.append(f"{where}: {exc}")
        return timescale.UNSCALED


# -- the build's time ----------------------------------------------------------------------------------------
def worst_case_seconds(config: StageConfig, rollback_timeout: float = DEFAULT_TIMEOUT) -> float:
    """The longest a deploy of ``config`` may keep the endpoint changing, in AWS seconds (never scaled: a
    sandbox rehearsal refuses what AWS would): SageMaker's bound on the update
    (``maximum_execution_timeout_in_seconds``), the bake the engine then watches, and the guard rollback it
    starts when an alarm fires at the bake's end, which it waits ``rollback_timeout`` for (``rollout.py``)."""
    update = config.deployment.maximum_execution_timeout_in_seconds
    return update + config.rollback.bake_seconds + rollback_timeout


def build_time_problems(
    config: StageConfig,
    environ: Mapping[str, str],
    now: float,
    rollback_timeout: float = DEFAULT_TIMEOUT,
) -> list[str]:
    """In a pipeline build (``BUILD_TIMEOUT_ENV`` set): ``config``'s worst case against the seconds the build
    has left at ``now`` (its timeout less the time since ``BUILD_START_ENV``; the whole timeout when CodeBuild
    did not say when it started). Outside a build: nothing."""
    given = environ.get(BUILD_TIMEOUT_ENV)
    if given is None:
        return []
    if not given.isdigit() or int(given) == 0:
        return [
            f"{BUILD_TIMEOUT_ENV}={given!r} is not a whole number of minutes: the pipeline sets it to the "
            f"build's CodeBuild timeout (cicd-pipeline); unset it outside a build"
        ]
    minutes, elapsed = int(given), _elapsed(environ.get(BUILD_START_ENV), now)
    left, worst = minutes * 60 - elapsed, worst_case_seconds(config, rollback_timeout)
    if worst <= left:
        return []
    update, bake = config.deployment.maximum_execution_timeout_in_seconds, config.rollback.bake_seconds
    return [
        message(
            ["deployment", "maximum_execution_timeout_in_seconds"],
            f"the rollout may take {worst:.0f} s ({update} s of update, rollback.bake_seconds {bake}, "
            f"a guard rollback's {rollback_timeout:.0f} s), and this build has {max(left, 0):.0f} s left of "
            f"its {minutes}-minute CodeBuild timeout: CodeBuild would stop it mid-deploy, leaving the "
            f"endpoint updating with nobody watching",
            f"give the deploy steps {math.ceil((worst + elapsed) / 60)} minutes or more (cicd-pipeline's "
            f"codebuild.deploy_timeout_minutes), or shorten the rollout",
        )
    ]


def _elapsed(started_ms: str | None, now: float) -> float:
    """Seconds since CodeBuild started the build (``CODEBUILD_START_TIME``, Unix ms); 0 without it."""
    if not started_ms or not started_ms.isdigit():
        return 0.0
    return max(now - int(started_ms) / 1000, 0.0)


# -- all of it -----------------------------------------------------------------------------------------------
def preflight(
    config_path: Path | str,
    target: AwsTarget,
    artifact: Path | None = None,
    rollback_timeout: float = DEFAULT_TIMEOUT,
    baseline: Path | None = None,
) -> Preflight:
    """Check everything a deploy of ``config_path`` needs; raise ConfigError or PreflightError. ``artifact``:
    a local model.tar.gz the deploy will upload to the stage's ``artifact_s3_uri`` (checked here, not S3).
    ``rollback_timeout``: the seconds the deploy will wait for a guard rollback (its ``timeout``).
    ``baseline``: a local drift baseline folder the deploy will upload beside the artifact (with
    ``artifact`` only)."""
    config = load_stage_config(config_path)
    raise_config_problems(
        build_time_problems(config, os.environ, time.time(), rollback_timeout), f"stage config {config_path}"
    )
    problems: list[str] = []
    if artifact is not None:
        problems += artifacts.local_problems(artifact)
        if config.require_approved_package:
            problems.append(
                f"{config.stage} deploys the latest Approved version of {config.model_package_group}, not a "
                f"local artifact: drop --artifact (ship it through dev and staging, then approve it)"
            )
    card: dict[str, Any] | None = None
    try:
        card = load_model_card(config.model_card, config.stage)
    except ConfigError as exc:
        problems += [f"model card {config.model_card}: {p}" for p in exc.problems] or [str(exc)]
    local_baseline = [] if baseline is None else _local_baseline_problems(config, artifact, baseline, card)
    problems += local_baseline
    sagemaker, s3 = target.client("sagemaker"), target.client("s3")
    account = _read(problems, "the deploying account (sts:GetCallerIdentity)", lambda: caller_account(target))
    if account is not None:
        problems += account_problems(config, account)
    approved = _approved(sagemaker, config, problems)
    problems += _artifact_problems(s3, config, artifact, approved, account)
    shipped = _baseline(s3, config, baseline, account, problems, shippable=not local_baseline)
    capture = config.data_capture
    if capture.enabled and capture.destination_s3_uri:
        uri = capture.destination_s3_uri
        problems += _safely(lambda: capture_problems(s3, uri, account), "the data-capture bucket")
    name = config.endpoint_name
    endpoint = _read(problems, f"endpoint {name}", lambda: describe_endpoint(sagemaker, name))
    problems += endpoint_problems(endpoint, name)
    problems += _safely(
        lambda: alarm_problems(target.client("cloudwatch"), resources.alarm_names(name)),
        "the rollback alarms",
    )
    scale = time_scale(target, sagemaker, config, endpoint, problems)
    raise_problems(problems, f"deploy of {name} ({config.stage})")
    return Preflight(config, endpoint, approved, scale, account, shipped)


def _approved(sagemaker: Any, config: StageConfig, problems: list[str]) -> PackageVersion | None:
    """The package group exists; in prod, its latest Approved version (None, and a problem, without one)."""
    group = config.model_package_group
    group_problems = list(_safely(lambda: _group(sagemaker, group), "the package group"))
    problems += group_problems
    if not config.require_approved_package or group_problems:
        return None
    try:
        approved = artifacts.latest_approved(sagemaker, group)
    except (ClientError, BotoCoreError) as exc:
        problems.append(f"cannot check the Approved versions of {group}: {describe_error(exc)}")
        return None
    if approved is None:
        problems.append(
            f"model package group {group} has no Approved version, and {config.stage} deploys only Approved "
            f"versions; approve one in the model registry"
        )
    return approved


def _artifact_problems(
    s3: Any,
    config: StageConfig,
    artifact: Path | None,
    approved: PackageVersion | None,
    account: str | None,
) -> Iterator[str]:
    """The artifacts the deploy will serve: each exists in the deploying account's bucket, SSE-KMS with the
    configured key; with ``artifact``, the upload's target holds no different file."""
    sources = {v.model for v in config.variants}
    if approved is not None:
        sources = {v.model for v in config.variants if v.model != config.model} | {approved.model}
    if artifact is not None:
        sources.discard(config.model)  # the deploy uploads it, unless a different file is there already
        if not list(artifacts.local_problems(artifact)):
            uri = config.model.artifact_s3_uri
            yield from _safely(lambda: _upload_target(s3, artifact, uri, account), "the artifact")
    for source in sorted(sources, key=lambda s: s.artifact_s3_uri):
        check = functools.partial(_artifact, s3, source.artifact_s3_uri, config.kms_key_arn, account)
        yield from _safely(check, "the artifact")


def _upload_target(s3: Any, artifact: Path, uri: str, account: str | None) -> Iterator[str]:
    """A different file already at the upload's ``uri``, or a bucket that is not the deploying account's."""
    try:
        yield from artifacts.overwrite_problems(s3, artifact, uri, account)
    except ClientError as exc:
        if account is None or not artifacts.is_refused(exc):
            raise
        yield _refused_artifact(s3, uri, account)


# -- the drift baseline --------------------------------------------------------------------------------------
def _local_baseline_problems(
    config: StageConfig, artifact: Path | None, folder: Path, card: Mapping[str, Any] | None
) -> list[str]:
    """``--baseline`` without ``--artifact``, or a folder that is not a launchpad baseline of the version the
    model card states (``model_details.version``; not compared when the card could not be read)."""
    quoted = shown(str(folder), limit=artifacts.PATH_LIMIT)
    if artifact is None:
        return [
            f"baseline {quoted}: a baseline is uploaded beside the artifact it describes; give --artifact "
            f"too (dev and staging)"
        ]
    details = card.get("model_details") if isinstance(card, Mapping) else None
    version = details.get("version") if isinstance(details, Mapping) else None
    found = baselines.folder_problems(folder, None if version is None else str(version))
    return [f"baseline {quoted}: {problem}" for problem in found]


def _baseline(
    s3: Any,
    config: StageConfig,
    baseline: Path | None,
    account: str | None,
    problems: list[str],
    shippable: bool,
) -> str | None:
    """The baseline prefix a version this deploy registers names (None: no baseline, or prod, which
    registers nothing). With ``baseline`` (a local folder; ``shippable``: it passed the local checks): no
    different file may sit at its place beside the artifact. Without: the baseline beside the artifact, if
    both its files are there."""
    if config.require_approved_package or not shippable:
        return None
    uri = config.model.artifact_s3_uri
    if baseline is None:
        there = functools.partial(artifacts.remote_baseline, s3, uri, account)
        return _read(problems, "the baseline beside the artifact", there)
    files = artifacts.baseline_files(baseline, uri)
    found = list(_safely(lambda: _baseline_targets(s3, files, account), "the baseline"))
    problems += found
    return None if found else baselines.baseline_prefix(uri)


def _baseline_targets(s3: Any, files: list[artifacts.BaselineFile], account: str | None) -> Iterator[str]:
    """A different file already at a baseline file's place, or a bucket not the deploying account's."""
    for file in files:
        try:
            yield from artifacts.baseline_overwrite_problems(s3, [file], account)
        except ClientError as exc:
            if account is None or not artifacts.is_refused(exc):
                raise
            yield _refused_baseline(s3, file.uri, account)
            return  # one refusal says it for every key of the prefix


def _refused_baseline(s3: Any, uri: str, account: str) -> str:
    bucket, _ = split_s3_uri(uri)
    return _refused_head(
        s3,
        uri,
        account,
        "baseline",
        "a baseline goes beside its artifact, in the deploying account's own bucket",
        f"cannot check baseline {uri}: S3 refused HeadObject; the deploying identity needs s3:GetObject on "
        f"the keys beside the artifact, in a bucket of account {account}, and s3:ListBucket on bucket "
        f"{bucket} ({MISSING_IS_REFUSED})",
    )
