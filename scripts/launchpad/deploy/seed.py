"""A sandbox account ready for ``launchpad deploy``: a KMS key, an artifact bucket with an SSE-KMS
``model.tar.gz``, the serving image in an ECR repository, a private network (subnets, an S3 gateway endpoint,
a security group that lets HTTPS out to it), an execution role that SageMaker can use for all of that, a
model package group, and a stage config plus model card written to a folder. Used by the deploy tests and by
the bench hook (``measure_guarded_update``).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from launchpad.aws import AwsTarget
from launchpad.deploy.timescale import TIME_SCALE_TAG as TIME_SCALE_TAG  # the demo and tests import it here
from launchpad.paths import examples_dir
from launchpad.sandbox import images

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import BucketLocationConstraintType

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
REPOSITORY = "churn"
IMAGE_TAG = "1.0.0"


def execution_policy(bucket: str, key_arn: str, repository_arn: str) -> dict[str, Any]:
    """What SageMaker does with the seeded execution role: read the artifacts, pull the image, plug the
    model into the VPC, read the rollback alarms, log and publish its metrics."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn},
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ],
                "Resource": repository_arn,
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:CreateNetworkInterface",
                    "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteNetworkInterfacePermission",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:PutMetricData",
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            },
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
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()

    @property
    def vpc(self) -> dict[str, list[str]]:
        """The stage config's ``vpc``: the seeded private network."""
        return {"subnet_ids": list(self.subnet_ids), "security_group_ids": list(self.security_group_ids)}

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
        document = yaml.safe_load((examples_dir() / example).read_text())
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
        if "vpc" in document:  # the example's network is another account's
            document["vpc"] = self.vpc
        if document.get("data_capture", {}).get("enabled"):  # the example's capture bucket and key: another's
            document["data_capture"] = {
                **document["data_capture"],
                "destination_s3_uri": f"s3://{self.bucket}/capture",
                "kms_key_arn": self.key_arn,
            }
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


def _network(target: AwsTarget) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Two private subnets whose route table reaches S3 through a gateway endpoint, ECR's interface endpoints,
    and a security group that lets HTTPS out to the VPC and to S3: what a model in a VPC without internet
    access needs to fetch its artifact and its private image."""
    ec2 = target.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    subnets = []
    for index, zone in enumerate("ab"):
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{target.region}{zone}"
        )
        subnets.append(subnet["Subnet"]["SubnetId"])
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[-1])
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{target.region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[table],
    )["VpcEndpoint"]
    prefix_lists = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [endpoint["ServiceName"]]}]
    )
    group = ec2.create_security_group(GroupName="churn-models", Description="churn models", VpcId=vpc)[
        "GroupId"
    ]
    for service in ("ecr.api", "ecr.dkr"):
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{target.region}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=list(subnets),
            SecurityGroupIds=[group],
        )
    ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": prefix_lists["PrefixLists"][0]["PrefixListId"]}],
            },
        ],
    )
    return tuple(subnets), (group,)


def _image(target: AwsTarget) -> tuple[str, str]:
    """The serving image, pushed to the account's ECR repository: (its URI, the repository's ARN)."""
    ecr = target.client("ecr")
    repository = ecr.create_repository(repositoryName=REPOSITORY)["repository"]
    images.put_image(target, REPOSITORY, IMAGE_TAG)
    return f"{repository['repositoryUri']}:{IMAGE_TAG}", repository["repositoryArn"]


def seed(target: AwsTarget, folder: Path) -> Seeded:
    """Create the account's prerequisites of a deploy and copy the example model card into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    kms, s3, iam = target.client("kms"), target.client("s3"), target.client("iam")
    key_arn = kms.create_key(Description="churn artifacts")["KeyMetadata"]["Arn"]
    bucket = f"churn-artifacts-{target.account_id or 'real'}"
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": cast("BucketLocationConstraintType", target.region)},
    )
    image, repository_arn = _image(target)
    role = iam.create_role(RoleName="churn-execution", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    iam.put_role_policy(
        RoleName="churn-execution",
        PolicyName="churn-execution",
        PolicyDocument=json.dumps(execution_policy(bucket, key_arn, repository_arn)),
    )
    subnets, groups = _network(target)
    target.client("sagemaker").create_model_package_group(ModelPackageGroupName="churn")
    card = (examples_dir() / "model-card.yaml").read_text()
    (folder / "model-card.yaml").write_text(card)
    seeded = Seeded(
        target=target,
        folder=folder,
        bucket=bucket,
        key_arn=key_arn,
        role_arn=role["Role"]["Arn"],
        group="churn",
        image=image,
        subnet_ids=subnets,
        security_group_ids=groups,
    )
    seeded.upload("1.0.0")
    seeded.upload("1.1.0")
    return seeded


def staging_canary(seeded: Seeded, version: str, time_scale: float, **overrides: Any) -> dict[str, Any]:
    """A staging config: CANARY over 2 instances, short waits, the sandbox time scale as an endpoint tag."""
    document = seeded.stage_document("staging", version)
    document["compute"] = {"instance_type": "ml.m5.large", "initial_instance_count": 2}
    document["vpc"] = {
        "subnet_ids": list(seeded.subnet_ids),
        "security_group_ids": list(seeded.security_group_ids),
    }
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


def bake_lasting(seconds: float, time_scale: float) -> int:
    """The ``rollback.bake_seconds`` (AWS seconds) that last ``seconds`` real seconds on a sandbox at
    ``time_scale``: the engine bakes at the sandbox's scale, so a bake an alarm must land in is long in AWS
    seconds."""
    if time_scale <= 0:
        raise ValueError("at time scale 0 the engine bakes no time: no alarm can land in the bake")
    return max(1, round(seconds / time_scale))


def fire_alarm_when(
    target: AwsTarget,
    endpoint: str,
    alarm: str,
    ready: Callable[[Mapping[str, Any]], bool],
    reason: str = "5xx error rate above the threshold",
    deadline: float = 60.0,
) -> threading.Thread:
    """A thread that sets ``alarm`` to ALARM as soon as ``ready(DescribeEndpoint's answer)`` holds: a test
    that plays CloudWatch rather than sending the endpoint failing traffic. The thread's ``fired_at``
    attribute is the ``time.monotonic()`` of the SetAlarmState call, None until then.

    A state set by hand holds only until the alarm's next evaluation, as on AWS, and the sandbox evaluates a
    time-scaled alarm every scaled period (60 ms at 0.001): the alarm is first put on real time (its
    ``launchpad:sandbox:time-scale`` tag set to 1) so the ALARM lasts a real minute, as long as the bake
    that must see it."""
    # Clients of their own: the deploy counts the calls made on the shared ones.
    sagemaker = target.new_client("sagemaker")
    cloudwatch = target.new_client("cloudwatch")

    def fire() -> None:
        ends = time.monotonic() + deadline
        while time.monotonic() < ends:
            if ready(sagemaker.describe_endpoint(EndpointName=endpoint)):
                arn = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmArn"]
                cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": TIME_SCALE_TAG, "Value": "1"}])
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
    bake = {"bake_seconds": bake_lasting(5, time_scale)}
    path = seeded.write(staging_canary(seeded, "1.1.0", time_scale, rollback=bake))
    fire_alarm_during_bake(
        target, "churn-staging", "churn-staging-rollback-5xx-rate", first.rollout.target_config
    )
    result = deploy(path, target, poll_interval=0.1, timeout=120)
    return {
        "mutating_calls": float(result.mutating_calls),
        "alarm_to_rollback_seconds": float(result.rollout.alarm_to_rollback_seconds or -1.0),
        "seconds": result.rollout.seconds,
    }
