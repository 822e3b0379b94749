"""A sandbox account ready for ``launchpad deploy``: a KMS key, an artifact bucket with an SSE-KMS
``model.tar.gz``, an execution role, a model package group, and a stage config plus model card written to a
folder. Used by the deploy tests and by the bench hook (``measure_guarded_update``).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from launchpad.aws import AwsTarget
from launchpad.paths import repo_root

TIME_SCALE_TAG = "launchpad:sandbox:time-scale"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass
class Seeded:
    """What ``seed`` made: names and ARNs a stage config refers to."""

    target: AwsTarget
    folder: Path
    bucket: str
    key_arn: str
    role_arn: str
    group: str
    image: str

    def artifact(self, version: str) -> str:
        return f"s3://{self.bucket}/churn/{version}/model.tar.gz"

    def upload(self, version: str, **encryption: Any) -> str:
        """Put a model.tar.gz for ``version``; SSE-KMS with the seeded key unless ``encryption`` says else."""
        uri = self.artifact(version)
        extra = encryption or {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.key_arn}
        self.target.client("s3").put_object(
            Bucket=self.bucket, Key=uri.split("/", 3)[3], Body=b"model", **extra
        )
        return uri

    def stage_document(self, stage: str = "dev", version: str = "1.0.0", **overrides: Any) -> dict[str, Any]:
        """The docs' example for ``stage`` pointed at this account; ``overrides`` replace top-level keys."""
        example = "stage-prod.yaml" if stage == "prod" else "stage-dev.yaml"
        document = yaml.safe_load((repo_root() / "docs" / "examples" / example).read_text())
        document = copy.deepcopy(document)
        document.update(
            stage=stage,
            region=self.target.region,
            endpoint_name=f"churn-{stage}",
            model_package_group=self.group,
            execution_role_arn=self.role_arn,
            model={
                "artifact_s3_uri": self.artifact(version),
                "kms_key_arn": self.key_arn,
                "image_uri": self.image,
            },
            model_card="model-card.yaml",
        )
        if stage != "prod":  # prod's rules want a bake of 300 s or more
            document["rollback"] = {
                **document.get("rollback", {}),
                "bake_seconds": 0 if stage == "dev" else 1,
            }
        document.pop("variants", None)
        document.update(overrides)
        return document

    def write(self, document: dict[str, Any], name: str = "stage.yaml") -> Path:
        path = self.folder / name
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path


def seed(target: AwsTarget, folder: Path) -> Seeded:
    """Create the account's prerequisites of a deploy and copy the example model card into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    kms, s3, iam = target.client("kms"), target.client("s3"), target.client("iam")
    key_arn = kms.create_key(Description="churn artifacts")["KeyMetadata"]["Arn"]
    bucket = f"churn-artifacts-{target.account_id or 'real'}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    role = iam.create_role(RoleName="churn-execution", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    target.client("sagemaker").create_model_package_group(ModelPackageGroupName="churn")
    card = (repo_root() / "docs" / "examples" / "model-card.yaml").read_text()
    (folder / "model-card.yaml").write_text(card)
    account = target.account_id or "111122223333"
    seeded = Seeded(
        target=target,
        folder=folder,
        bucket=bucket,
        key_arn=key_arn,
        role_arn=role["Role"]["Arn"],
        group="churn",
        image=f"{account}.dkr.ecr.{target.region}.amazonaws.com/churn:1.0.0",
    )
    seeded.upload("1.0.0")
    seeded.upload("1.1.0")
    return seeded


def staging_canary(seeded: Seeded, version: str, time_scale: float, **overrides: Any) -> dict[str, Any]:
    """A staging config: CANARY over 2 instances, short waits, the sandbox time scale as an endpoint tag."""
    document = seeded.stage_document("staging", version)
    document["compute"] = {"instance_type": "ml.m5.large", "initial_instance_count": 2}
    document["vpc"] = {"subnet_ids": ["subnet-0a1b2c3d"], "security_group_ids": ["sg-0a1b2c3d"]}
    document["deployment"] = {
        "strategy": "CANARY",
        "canary_size": {"type": "CAPACITY_PERCENT", "value": 50},
        "wait_interval_in_seconds": 600,
        "termination_wait_in_seconds": 300,
        "maximum_execution_timeout_in_seconds": 3600,
    }
    document["rollback"] = {"bake_seconds": 1}
    document["tags"] = {**document["tags"], TIME_SCALE_TAG: str(time_scale)}
    document.update(overrides)
    return document


def fire_alarm_when(
    target: AwsTarget,
    endpoint: str,
    alarm: str,
    ready: Callable[[Mapping[str, Any]], bool],
    reason: str = "5xx error rate above the threshold",
    deadline: float = 60.0,
) -> threading.Thread:
    """A thread that sets ``alarm`` to ALARM as soon as ``ready(DescribeEndpoint's answer)`` holds (the
    sandbox does not evaluate alarms, so tests and the demo play CloudWatch). The thread's ``fired_at``
    attribute is the ``time.monotonic()`` of the SetAlarmState call, None until then."""
    # Clients of their own: the deploy counts the calls made on the shared ones.
    session = target.session()
    sagemaker, cloudwatch = (
        session.client(service, endpoint_url=target.endpoint_url) for service in ("sagemaker", "cloudwatch")
    )

    def fire() -> None:
        ends = time.monotonic() + deadline
        while time.monotonic() < ends:
            if ready(sagemaker.describe_endpoint(EndpointName=endpoint)):
                thread.fired_at = time.monotonic()  # type: ignore[attr-defined]
                cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason=reason)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=fire, daemon=True)
    thread.fired_at = None  # type: ignore[attr-defined]
    thread.start()
    return thread


def fire_alarm_during_bake(
    target: AwsTarget, endpoint: str, alarm: str, leaving: str, deadline: float = 60.0
) -> threading.Thread:
    """Fire ``alarm`` as soon as ``endpoint`` is InService on a config other than ``leaving`` (the update
    landed; the bake has begun, where only launchpad's guard rolls back)."""
    return fire_alarm_when(
        target,
        endpoint,
        alarm,
        lambda d: d["EndpointStatus"] == "InService" and d["EndpointConfigName"] != leaving,
        deadline=deadline,
    )


def measure_guarded_update(target: AwsTarget, folder: Path, time_scale: float = 0.001) -> dict[str, float]:
    """The bench hook: one guarded CANARY update on a fresh sandbox account whose 5xx rollback alarm fires
    during the bake; returns the deploy's mutating API calls and the seconds from the alarm entering ALARM
    (CloudWatch's StateUpdatedTimestamp) to the guard's rollback call (``alarm_to_rollback_seconds``)."""
    from launchpad.deploy.engine import deploy

    seeded = seed(target, folder)
    first = deploy(seeded.write(staging_canary(seeded, "1.0.0", time_scale)), target, poll_interval=0.1)
    path = seeded.write(staging_canary(seeded, "1.1.0", time_scale, rollback={"bake_seconds": 5}))
    fire_alarm_during_bake(target, "churn-staging", "churn-staging-rollback-5xx", first.rollout.target_config)
    result = deploy(path, target, poll_interval=0.1, timeout=120)
    return {
        "mutating_calls": float(result.mutating_calls),
        "alarm_to_rollback_seconds": float(result.rollout.alarm_to_rollback_seconds or -1.0),
        "seconds": result.rollout.seconds,
    }
