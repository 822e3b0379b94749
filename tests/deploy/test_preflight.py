"""Preflight refuses what AWS would refuse later, across accounts: an execution role, a KMS key, an artifact
bucket or a data-capture bucket that is not the deploying account's, or a data-capture bucket that does not
exist. Each refusal is exit 18 with every problem in one message, and the account (and the other account) is
left exactly as it was: no model package, model, endpoint config, endpoint, alarm or object.

In a pipeline build (LAUNCHPAD_BUILD_TIMEOUT_MINUTES), a stage config whose worst case (the update's maximum
execution, the bake, a guard rollback) would outlast what is left of the build is a stage config error, exit
7, before anything is read or changed: CodeBuild would stop the build mid-deploy."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from launchpad.aws import AwsTarget
from launchpad.cli import main
from launchpad.deploy.config import check_stage_config
from launchpad.deploy.engine import deploy
from launchpad.deploy.preflight import BUILD_START_ENV, BUILD_TIMEOUT_ENV, build_time_problems
from launchpad.deploy.seed import Seeded
from launchpad.errors import ConfigError, PreflightError
from launchpad.inventory import account_inventory
from tests.deploy.conftest import snapshot
from tests.sandbox.support import execution_role

pytestmark = pytest.mark.sandbox

ARTIFACT_KEY = "churn/1.0.0/model.tar.gz"


def other_account(seeded: Seeded) -> AwsTarget:
    """A second account on the same sandbox."""
    assert seeded.target.endpoint_url is not None
    return AwsTarget.sandbox(seeded.target.endpoint_url, seeded.target.region)


def foreign_bucket(seeded: Seeded, other: AwsTarget, readable: bool) -> str:
    """A bucket of ``other`` holding an artifact; ``readable``: its policy lets the deploying account read."""
    s3 = other.client("s3")
    bucket = f"foreign-{other.account_id}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": other.region})
    s3.put_object(Bucket=bucket, Key=ARTIFACT_KEY, Body=b"model")
    if readable:
        reader = f"arn:aws:iam::{seeded.target.account_id}:root"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": reader},
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket


def model(seeded: Seeded, uri: str | None = None, key: str | None = None) -> dict[str, str]:
    return {
        "artifact_s3_uri": uri or seeded.artifact("1.0.0"),
        "kms_key_arn": key or seeded.key_arn,
        "image_uri": seeded.image,
    }


def capture(seeded: Seeded, bucket: str) -> dict[str, Any]:
    return {
        "enabled": True,
        "sampling_percentage": 10,
        "destination_s3_uri": f"s3://{bucket}/churn",
        "kms_key_arn": seeded.key_arn,
    }


def refused(seeded: Seeded, document: dict[str, Any], *others: AwsTarget, **deploy_args: Any) -> str:
    """Deploy ``document``: exit 18, and neither the account nor ``others`` changed. The message."""
    path = seeded.write(document)
    before = snapshot(seeded.target, "churn-dev"), [account_inventory(o) for o in others]
    with pytest.raises(PreflightError) as raised:
        deploy(path, seeded.target, **deploy_args)
    assert raised.value.exit_code == 18
    assert (snapshot(seeded.target, "churn-dev"), [account_inventory(o) for o in others]) == before
    return str(raised.value)


def test_an_execution_role_of_another_account_is_refused_before_anything_is_made(seeded: Seeded) -> None:
    """The role exists and trusts SageMaker: only its account is wrong (AWS: iam:PassRole does not cross
    accounts; the sandbox's CreateModel says so too, tests/sandbox/test_patch_sagemaker_execution.py)."""
    other = other_account(seeded)
    role = execution_role(other, "churn-execution")
    said = refused(seeded, seeded.stage_document("dev", execution_role_arn=role, model=model(seeded)))
    assert "1 problem" in said
    assert (
        f"execution_role_arn {role} is a role of account {other.account_id}, and this deploy runs in account "
        f"{seeded.target.account_id}: SageMaker takes only a role of the deploying account" in said
    )


def test_a_kms_key_of_another_account_is_refused(seeded: Seeded) -> None:
    other = other_account(seeded)
    key = other.client("kms").create_key(Description="someone else's")["KeyMetadata"]["Arn"]
    said = refused(seeded, seeded.stage_document("dev", model=model(seeded, key=key)))
    assert f"model.kms_key_arn {key} is a key of account {other.account_id}, not of the deploying" in said


def test_an_artifact_in_a_bucket_of_another_account_is_refused_even_when_it_may_be_read(
    seeded: Seeded,
) -> None:
    other = other_account(seeded)
    bucket = foreign_bucket(seeded, other, readable=True)
    uri = f"s3://{bucket}/{ARTIFACT_KEY}"
    seeded.target.client("s3").head_object(
        Bucket=bucket, Key=ARTIFACT_KEY
    )  # it may be read: a policy lets it
    said = refused(seeded, seeded.stage_document("dev", model=model(seeded, uri)))
    assert "1 problem" in said
    assert f"artifact {uri}: bucket {bucket} belongs to another account than the deploying one" in said


def test_an_artifact_in_a_bucket_the_deployer_may_not_read_says_so(seeded: Seeded) -> None:
    other = other_account(seeded)
    bucket = foreign_bucket(seeded, other, readable=False)
    uri = f"s3://{bucket}/{ARTIFACT_KEY}"
    said = refused(seeded, seeded.stage_document("dev", model=model(seeded, uri)))
    assert f"cannot read artifact {uri}: S3 refused HeadObject" in said


def test_an_upload_into_a_bucket_of_another_account_is_refused_and_nothing_is_uploaded(
    seeded: Seeded, tmp_path: Path
) -> None:
    other = other_account(seeded)
    bucket = foreign_bucket(seeded, other, readable=True)
    local = tmp_path / "model.tar.gz"
    with tarfile.open(local, "w:gz") as archive:
        archive.add(__file__, arcname="model.py")
    uri = f"s3://{bucket}/churn/2.0.0/model.tar.gz"
    said = refused(seeded, seeded.stage_document("dev", model=model(seeded, uri)), other, artifact=local)
    assert f"bucket {bucket} belongs to another account" in said
    keys = [o["Key"] for o in other.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [ARTIFACT_KEY]


def test_a_data_capture_bucket_that_does_not_exist_is_refused(seeded: Seeded) -> None:
    bucket = f"no-such-capture-{seeded.target.account_id}"
    document = seeded.stage_document("dev", model=model(seeded), data_capture=capture(seeded, bucket))
    said = refused(seeded, document)
    assert f"data_capture.destination_s3_uri s3://{bucket}/churn: bucket {bucket} does not exist" in said


def test_a_data_capture_bucket_of_another_account_is_refused(seeded: Seeded) -> None:
    other = other_account(seeded)
    bucket = foreign_bucket(seeded, other, readable=True)
    document = seeded.stage_document("dev", model=model(seeded), data_capture=capture(seeded, bucket))
    said = refused(seeded, document)
    assert f"bucket {bucket} belongs to another account than the deploying one" in said
    assert "captured requests are patient data" in said


def test_the_deploying_accounts_own_capture_bucket_passes(seeded: Seeded) -> None:
    document = seeded.stage_document("dev", model=model(seeded), data_capture=capture(seeded, seeded.bucket))
    result = deploy(seeded.write(document), seeded.target, poll_interval=0.1)
    assert result.rollout.succeeded, result.rollout.message


def test_every_account_problem_is_listed_at_once(seeded: Seeded) -> None:
    other = other_account(seeded)
    role = execution_role(other, "churn-execution")
    key = other.client("kms").create_key(Description="someone else's")["KeyMetadata"]["Arn"]
    missing = f"no-such-capture-{seeded.target.account_id}"
    document = seeded.stage_document(
        "dev",
        execution_role_arn=role,
        model=model(seeded, key=key),
        data_capture={**capture(seeded, missing), "kms_key_arn": key},
    )
    said = refused(seeded, document)
    assert "5 problems" in said, said  # role, both keys, the capture bucket, the artifact's key
    assert said.count("\n  - ") == 5


# -- the build's time ----------------------------------------------------------------------------------------
UPDATE = {"strategy": "ALL_AT_ONCE", "maximum_execution_timeout_in_seconds": 1800}  # dev's bake: 0 s


def test_a_rollout_that_could_outlast_the_build_is_a_stage_config_error_and_nothing_is_read_or_made(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1800 s of update + 0 s of bake + a guard rollback's 3600 s = 5400 s, and the build has 60 minutes:
    exit 7, naming the deploy steps' timeout to set, and the account as it was."""
    path = seeded.write(seeded.stage_document("dev", model=model(seeded), deployment=UPDATE))
    monkeypatch.setenv(BUILD_TIMEOUT_ENV, "60")
    monkeypatch.delenv(BUILD_START_ENV, raising=False)
    before = snapshot(seeded.target, "churn-dev")
    with pytest.raises(ConfigError) as raised:
        deploy(path, seeded.target, poll_interval=0.1)
    assert raised.value.exit_code == 7
    assert raised.value.problems == (
        "$.deployment.maximum_execution_timeout_in_seconds: the rollout may take 5400 s (1800 s of update, "
        "rollback.bake_seconds 0, a guard rollback's 3600 s), and this build has 3600 s left of its "
        "60-minute CodeBuild timeout: CodeBuild would stop it mid-deploy, leaving the endpoint updating with "
        "nobody watching; give the deploy steps 90 minutes or more (cicd-pipeline's "
        "codebuild.deploy_timeout_minutes), or shorten the rollout",
    )
    assert str(raised.value).startswith(f"stage config {path} has 1 problem:")
    assert snapshot(seeded.target, "churn-dev") == before


def test_a_rollout_that_ends_before_the_build_does_deploys(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same config in a build of the deploy steps' default 180 minutes, started a minute ago."""
    seeded.upload("1.0.0")
    path = seeded.write(seeded.stage_document("dev", model=model(seeded), deployment=UPDATE))
    monkeypatch.setenv(BUILD_TIMEOUT_ENV, "180")
    monkeypatch.setenv(BUILD_START_ENV, str(int((time.time() - 60) * 1000)))
    result = deploy(path, seeded.target, poll_interval=0.1)
    assert result.rollout.succeeded, result.rollout.message


def test_the_time_left_is_the_builds_timeout_less_the_time_since_codebuild_started_it(seeded: Seeded) -> None:
    """Started 100 minutes ago, a 180-minute build has 4800 s left: prod's example (3600 s + 900 s bake +
    3600 s) needs 8100; it would fit in a build just started. A timeout that is not a whole number of minutes
    is a problem of its own; outside a build (no timeout) nothing is checked."""
    config = check_stage_config(
        seeded.stage_document("prod", model=model(seeded)), seeded.folder / "prod.yaml"
    )
    now = 1_700_000_000.0
    started = {BUILD_START_ENV: str(int((now - 6000) * 1000))}
    [late] = build_time_problems(config, {BUILD_TIMEOUT_ENV: "180", **started}, now)
    assert (
        "the rollout may take 8100 s (3600 s of update, rollback.bake_seconds 900, a guard rollback's" in late
    )
    assert "this build has 4800 s left of its 180-minute CodeBuild timeout" in late
    assert "give the deploy steps 235 minutes or more" in late
    assert build_time_problems(config, {BUILD_TIMEOUT_ENV: "180"}, now) == []
    assert build_time_problems(config, {BUILD_TIMEOUT_ENV: "135"}, now) == [], "8100 s is 135 minutes"
    assert build_time_problems(config, {}, now) == []
    [bad] = build_time_problems(config, {BUILD_TIMEOUT_ENV: "three hours"}, now)
    assert bad.startswith("LAUNCHPAD_BUILD_TIMEOUT_MINUTES='three hours' is not a whole number of minutes")


# -- --json on every exit code, through the CLI -------------------------------------------------------------
@pytest.fixture
def cli(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in seeded.target.env().items():
        monkeypatch.setenv(key, value)
    return lambda *args: CliRunner().invoke(main, list(args))


def test_a_preflight_refusal_prints_one_json_document_with_every_problem(seeded: Seeded, cli: Any) -> None:
    path = seeded.write(seeded.stage_document("dev", model_package_group="nope", model=model(seeded)))
    before = snapshot(seeded.target, "churn-dev")
    result = cli("deploy", "--config", str(path), "--json")
    assert result.exit_code == 18, result.output
    document = json.loads(result.stdout)
    assert (document["outcome"], document["error"], document["exit_code"]) == ("error", "preflight", 18)
    assert document["problems"] == [
        "model package group nope does not exist; create it (the model-registry module) or fix "
        "model_package_group"
    ]
    assert result.stderr.count("error: ") == 1 and "model package group nope" in result.stderr
    assert snapshot(seeded.target, "churn-dev") == before


def test_an_aws_refusal_mid_deploy_prints_one_json_document_naming_what_was_created(
    seeded: Seeded, cli: Any
) -> None:
    """A role of the account that does not exist: SageMaker refuses CreateModel, the deploy's first change."""
    role = f"arn:aws:iam::{seeded.target.account_id}:role/nope"
    path = seeded.write(seeded.stage_document("dev", execution_role_arn=role, model=model(seeded)))
    before = snapshot(seeded.target, "churn-dev")
    result = cli("deploy", "--config", str(path), "--json", "--poll", "0.1")
    assert result.exit_code == 10, result.output
    document = json.loads(result.stdout)
    assert (document["error"], document["exit_code"], document["created"]) == ("aws_refused", 10, {})
    assert f"Could not assume role {role}" in document["message"]
    assert snapshot(seeded.target, "churn-dev") == before


def test_a_rollback_refusal_prints_one_json_document(seeded: Seeded, cli: Any) -> None:
    path = seeded.write(seeded.stage_document("dev", model=model(seeded)))
    result = cli("rollback", "--config", str(path), "--json")
    assert result.exit_code == 18, result.output
    document = json.loads(result.stdout)
    assert document["error"] == "preflight" and "churn-dev does not exist" in document["problems"][0]


# -- the sandbox answers as S3 does to ExpectedBucketOwner ---------------------------------------------------
def test_s3_refuses_a_bucket_of_another_account_than_the_expected_owner(seeded: Seeded) -> None:
    other = other_account(seeded)
    bucket = foreign_bucket(seeded, other, readable=True)
    s3 = seeded.target.client("s3")
    calls = {
        "HeadBucket": lambda **owner: s3.head_bucket(Bucket=bucket, **owner),
        "HeadObject": lambda **owner: s3.head_object(Bucket=bucket, Key=ARTIFACT_KEY, **owner),
        "GetObject": lambda **owner: s3.get_object(Bucket=bucket, Key=ARTIFACT_KEY, **owner),
    }
    for name, call in calls.items():
        call()  # without the header: the bucket policy lets the account read
        call(ExpectedBucketOwner=other.account_id)
        with pytest.raises(ClientError) as raised:
            call(ExpectedBucketOwner=seeded.target.account_id)
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, name
    own = seeded.target.client("s3")
    own.head_bucket(Bucket=seeded.bucket, ExpectedBucketOwner=seeded.target.account_id)
    with pytest.raises(ClientError) as raised:
        own.head_bucket(
            Bucket=f"missing-{seeded.target.account_id}", ExpectedBucketOwner=seeded.target.account_id
        )
    assert raised.value.response["Error"]["Code"] == "404"
