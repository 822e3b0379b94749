"""Bad input to `launchpad deploy` and `launchpad rollback`: a non-zero exit code, one message that names
the problem, and an account left exactly as it was (inventory, model packages, the endpoint's state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from launchpad.cli import main
from launchpad.deploy import resources
from launchpad.deploy.config import load_stage_config
from launchpad.deploy.engine import deploy
from launchpad.deploy.seed import TIME_SCALE_TAG, Seeded, staging_canary
from tests.deploy.conftest import snapshot

pytestmark = pytest.mark.sandbox

POLL = "0.1"


@dataclass(frozen=True)
class Case:
    """Set the account up, write the stage config, run the command: expect ``exit_code`` and ``message``."""

    name: str
    document: Callable[[Seeded], dict[str, Any]]
    exit_code: int
    message: str
    setup: Callable[[Seeded], None] = lambda seeded: None
    command: tuple[str, ...] = ("deploy",)
    extra: tuple[str, ...] = field(default=())


def dev(**overrides: Any) -> Callable[[Seeded], dict[str, Any]]:
    return lambda seeded: seeded.stage_document("dev", **overrides)


def dev_model(seeded: Seeded, version: str) -> dict[str, Any]:
    return {
        "artifact_s3_uri": seeded.artifact(version),
        "kms_key_arn": seeded.key_arn,
        "image_uri": seeded.image,
    }


def deployed_dev(seeded: Seeded) -> None:
    result = deploy(
        seeded.write(seeded.stage_document("dev"), "first.yaml"), seeded.target, poll_interval=0.1
    )
    assert result.rollout.succeeded, result.rollout.message


def alarm_firing(seeded: Seeded) -> None:
    deployed_dev(seeded)
    seeded.target.client("cloudwatch").set_alarm_state(
        AlarmName="churn-dev-rollback-5xx-rate", StateValue="ALARM", StateReason="5xx rate 12% > 1%"
    )


def endpoint_updating(seeded: Seeded) -> None:
    """An update that holds the endpoint in Updating (time scale 1: a minute of provisioning)."""
    deployed_dev(seeded)
    sagemaker = seeded.target.client("sagemaker")
    arn = sagemaker.describe_endpoint(EndpointName="churn-dev")["EndpointArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": TIME_SCALE_TAG, "Value": "1"}])
    config = load_stage_config(seeded.write(seeded.stage_document("dev", "1.1.0"), "other.yaml"))
    models = resources.models_for(config)
    created = resources.Created()
    resources.ensure_models(sagemaker, models, created)
    request = resources.endpoint_config_request(config, {v: m["ModelName"] for v, m in models.items()})
    resources.ensure_endpoint_config(sagemaker, request, created)
    sagemaker.update_endpoint(EndpointName="churn-dev", EndpointConfigName=request["EndpointConfigName"])
    assert sagemaker.describe_endpoint(EndpointName="churn-dev")["EndpointStatus"] == "Updating"


def other_endpoints_config(seeded: Seeded, name: str) -> None:
    """churn-dev deployed, and an existing endpoint config made for another endpoint (churn-staging), with the
    dev model."""
    deployed_dev(seeded)
    sagemaker = seeded.target.client("sagemaker")
    model = sagemaker.list_models()["Models"][0]["ModelName"]
    variant = {
        "VariantName": "primary",
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])


def upload(version: str, **encryption: Any) -> Callable[[Seeded], None]:
    return lambda seeded: seeded.upload(version, **encryption) and None


CASES = [
    Case(
        "missing_artifact",
        lambda s: s.stage_document("dev", model=dev_model(s, "9.9.9")),
        18,
        "churn/9.9.9/model.tar.gz does not exist",
    ),
    Case(
        "artifact_encrypted_with_aes256",
        lambda s: s.stage_document("dev", model=dev_model(s, "2.0.0")),
        18,
        "is encrypted with AES256, not SSE-KMS",
        setup=upload("2.0.0", ServerSideEncryption="AES256"),
    ),
    Case(
        "artifact_encrypted_with_the_aws_managed_key",
        lambda s: s.stage_document("dev", model=dev_model(s, "2.0.1")),
        18,
        "not the configured",
        setup=upload("2.0.1", ServerSideEncryption="aws:kms"),
    ),
    Case(
        "instance_type_not_allowed",
        dev(compute={"instance_type": "ml.p4d.24xlarge", "initial_instance_count": 1}),
        7,
        "ml.p4d.24xlarge is not in the platform's instance allow-list",
    ),
    Case(
        "canary_of_80_percent",
        lambda s: staging_canary(
            s,
            "1.0.0",
            0,
            deployment={"strategy": "CANARY", "canary_size": {"type": "CAPACITY_PERCENT", "value": 80}},
        ),
        7,
        "80 is greater than the maximum of 50",
    ),
    Case(
        "canary_on_a_single_instance",
        lambda s: staging_canary(
            s, "1.0.0", 0, compute={"instance_type": "ml.m5.large", "initial_instance_count": 1}
        ),
        7,
        "1 instance(s), 2 needed",
    ),
    Case(
        "model_card_missing_a_field_the_stage_needs",
        dev(model_card="thin-card.yaml"),
        18,
        "model card",
        setup=lambda s: (
            (s.folder / "thin-card.yaml").write_text(
                yaml.safe_dump(
                    {
                        k: v
                        for k, v in yaml.safe_load((s.folder / "model-card.yaml").read_text()).items()
                        if k != "intended_use"
                    }
                )
            )
            and None
        ),
    ),
    Case(
        "missing_model_package_group",
        dev(model_package_group="nope"),
        18,
        "model package group nope does not exist",
    ),
    Case(
        "prod_without_an_approved_package",
        lambda s: s.stage_document("prod"),
        18,
        "has no Approved version",
    ),
    Case(
        "endpoint_busy_updating",
        dev(model=None),
        18,
        "churn-dev is Updating, not InService",
        setup=endpoint_updating,
    ),
    Case(
        "rollback_alarm_already_in_alarm",
        dev(),
        18,
        "churn-dev-rollback-5xx-rate is already in ALARM",
        setup=alarm_firing,
    ),
    Case(
        "instance_type_the_allow_list_matches_but_sagemaker_does_not_host",
        dev(compute={"instance_type": "ml.m5.huge", "initial_instance_count": 1}),
        7,
        "ml.m5.huge matches the allow-list but is not a SageMaker hosting instance type",
    ),
    Case(
        "rollback_to_a_config_of_no_endpoint",
        dev(),
        18,
        "endpoint config nope is not one of endpoint churn-dev's configs (they are named "
        "churn-dev-{hash} by its deploys): its newest configs are churn-dev-",
        setup=deployed_dev,
        command=("rollback",),
        extra=("--to-config", "nope"),
    ),
    Case(
        "rollback_to_another_endpoints_config",
        dev(),
        18,
        "endpoint config churn-staging-0a1b2c3d is not one of endpoint churn-dev's configs",
        setup=lambda s: other_endpoints_config(s, "churn-staging-0a1b2c3d"),
        command=("rollback",),
        extra=("--to-config", "churn-staging-0a1b2c3d"),
    ),
    Case(
        "rollback_to_a_config_of_its_name_that_does_not_exist",
        dev(),
        18,
        "endpoint config churn-dev-0a1b2c3d does not exist",
        setup=deployed_dev,
        command=("rollback",),
        extra=("--to-config", "churn-dev-0a1b2c3d"),
    ),
    Case(
        "rollback_to_a_name_sagemaker_refuses",
        dev(),
        2,
        "endpoint config name 'churn-dev\\n' holds U+000A",
        setup=deployed_dev,
        command=("rollback",),
        extra=("--to-config", "churn-dev\n"),
    ),
    Case(
        "rollback_to_an_unknown_package_version",
        dev(),
        18,
        "has no version 99",
        setup=deployed_dev,
        command=("rollback",),
        extra=("--to-package-version", "99"),
    ),
    Case(
        "rollback_of_an_endpoint_never_updated",
        dev(),
        18,
        "has no launchpad:previous-config tag",
        setup=deployed_dev,
        command=("rollback",),
    ),
    Case("rollback_of_a_missing_endpoint", dev(), 18, "churn-dev does not exist", command=("rollback",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_one_message_and_changes_nothing(
    case: Case, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in seeded.target.env().items():
        monkeypatch.setenv(key, value)
    case.setup(seeded)
    document = case.document(seeded)
    if document.get("model") is None:
        document["model"] = dev_model(seeded, "1.0.0")
    path: Path = seeded.write(document)
    endpoint = document["endpoint_name"]
    before = snapshot(seeded.target, endpoint)
    result = CliRunner().invoke(main, [*case.command, "--config", str(path), "--poll", POLL, *case.extra])
    assert result.exit_code == case.exit_code, result.output
    assert case.message in result.output, result.output
    if case.exit_code != 2:  # a usage error is click's one message
        assert "1 problem" in result.output, result.output
        assert result.output.count("error: ") == 1
    else:
        assert result.output.count("Error: ") == 1
    assert snapshot(seeded.target, endpoint) == before


def test_a_missing_execution_role_is_refused_by_sagemaker_on_the_first_change_and_nothing_is_left(
    seeded: Seeded,
) -> None:
    """Not a preflight problem: IAM is out of reach of a deploy step in a VPC without a NAT gateway. SageMaker
    refuses a role it cannot assume on CreateModel, the deploy's first change."""
    role = f"arn:aws:iam::{seeded.target.account_id}:role/nope"
    document = seeded.stage_document("dev", execution_role_arn=role, model=dev_model(seeded, "1.0.0"))
    before = snapshot(seeded.target, "churn-dev")
    with pytest.raises(Exception) as raised:
        deploy(seeded.write(document), seeded.target)
    assert getattr(raised.value, "exit_code", None) == 10
    assert f"Could not assume role {role}" in str(raised.value) and "Created before it: nothing" in str(
        raised.value
    )
    assert snapshot(seeded.target, "churn-dev") == before


def test_every_preflight_problem_is_reported_at_once(seeded: Seeded) -> None:
    document = seeded.stage_document("dev", model_package_group="nope", model=dev_model(seeded, "9.9.9"))
    before = snapshot(seeded.target, "churn-dev")
    with pytest.raises(Exception) as raised:
        deploy(seeded.write(document), seeded.target)
    assert getattr(raised.value, "exit_code", None) == 18
    assert "2 problems" in str(raised.value)
    assert snapshot(seeded.target, "churn-dev") == before
