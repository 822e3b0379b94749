"""`launchpad status` and `launchpad traffic` against a two-variant endpoint in a fresh sandbox account.

The sandbox's CloudWatch (moto) computes Sum, Average, Minimum, Maximum and SampleCount for GetMetricData,
but not percentiles, so the decisions here compare ``Average`` ModelLatency (``latency_statistic``); real AWS
defaults to p99.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from launchpad import aws
from launchpad.aws import AwsTarget
from launchpad.cli import main
from launchpad.deploy import status, traffic
from launchpad.deploy.traffic import Decision, Thresholds
from launchpad.errors import EndpointGoneError, TrafficError
from launchpad.paths import repo_root
from launchpad.sandbox.patches.sagemaker_rollout import TIME_SCALE_TAG
from tests.sandbox.support import SAGEMAKER_ROLE, execution_role, model_artifacts

pytestmark = pytest.mark.sandbox

ENDPOINT = "churn-ab"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn"
ALARM = "churn-ab-5xx"
RULES = Thresholds(min_invocations=100, max_error_rate_increase=1.0, max_latency_increase_percent=10.0)


def _artifacts(target: AwsTarget) -> str:
    """The execution role, and the artifacts of 1.0.0 and 2.0.0 it may read; the role's ARN."""
    bucket, _ = model_artifacts(target, "churn/1.0.0/model.tar.gz", "churn/2.0.0/model.tar.gz")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    return execution_role(target, statements=[read])


def _config(target: AwsTarget, name: str, tag: str) -> None:
    sm = target.client("sagemaker")
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=f"arn:aws:iam::{target.account_id}:role/{SAGEMAKER_ROLE}",
        PrimaryContainer={
            "Image": f"{IMAGE}:{tag}",
            "ModelDataUrl": f"s3://models-{target.account_id}/churn/{tag}/model.tar.gz",
        },
    )
    variants = [
        {"VariantName": "champion", "ModelName": name, "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 2, "InitialVariantWeight": 3},
        {"VariantName": "challenger", "ModelName": name, "InstanceType": "ml.c5.xlarge",
         "InitialInstanceCount": 1, "InitialVariantWeight": 1},
    ]  # fmt: skip
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants)


@pytest.fixture
def endpoint(sandbox_target: AwsTarget) -> dict[str, Any]:
    """Endpoint ``churn-ab`` on config ``blue``: champion (weight 3, 2 x ml.m5.large) and challenger (weight
    1, 1 x ml.c5.xlarge); its last deployment was a canary guarded by one alarm, in OK."""
    sm, cw = sandbox_target.client("sagemaker"), sandbox_target.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test")
    _artifacts(sandbox_target)
    _config(sandbox_target, "blue", "1.0.0")
    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 300,
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            },
            "TerminationWaitInSeconds": 120,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]},
    }
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="blue", DeploymentConfig=deployment)
    return {"sagemaker": sm, "cloudwatch": cw, "target": sandbox_target}


@pytest.fixture
def cli(endpoint: dict[str, Any]) -> Iterator[Any]:
    """Run `launchpad ...` pointed at the test's sandbox account through the AWS environment variables."""
    env = endpoint["target"].env()

    def run(*args: str) -> Result:
        aws._client.cache_clear()  # clients of AwsTarget.real() would outlive this account
        try:
            return CliRunner().invoke(main, list(args), env=env)
        finally:
            aws._client.cache_clear()

    yield run


def _weights(sm: Any) -> dict[str, float]:
    described = sm.describe_endpoint(EndpointName=ENDPOINT)
    return {v["VariantName"]: v["CurrentWeight"] for v in described["ProductionVariants"]}


def _put_metrics(cw: Any, variant: str, invocations: float, errors: float, latency: float) -> None:
    when = datetime.now(UTC) - timedelta(minutes=2)
    dimensions = [{"Name": "EndpointName", "Value": ENDPOINT}, {"Name": "VariantName", "Value": variant}]
    cw.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Timestamp": when, "Value": value, "Unit": unit}
            for name, value, unit in (
                ("Invocations", invocations, "None"),
                ("Invocation5XXErrors", errors, "None"),
                ("Invocation4XXErrors", 3.0, "None"),
                ("ModelLatency", latency, "Microseconds"),
            )
        ],
    )


# -- status -----------------------------------------------------------------------------------------------
def test_status_shows_both_variants_their_shares_the_deployment_and_the_alarm(endpoint, cli):
    shown = status.read_status(endpoint["sagemaker"], endpoint["cloudwatch"], ENDPOINT, "eu-west-1")
    assert shown.status == "InService" and shown.config_name == "blue"
    champion, challenger = shown.production_variants
    assert (champion.name, champion.current_weight, champion.current_share_percent) == ("champion", 3.0, 75.0)
    assert (challenger.name, challenger.current_share_percent, challenger.compute) == (
        "challenger",
        25.0,
        "ml.c5.xlarge",
    )
    assert champion.current_instance_count == 2
    assert shown.deployment is not None and shown.deployment.strategy == "CANARY"
    assert shown.deployment.step == "10%" and shown.deployment.wait_interval_seconds == 300
    assert [(a.name, a.state) for a in shown.alarms] == [(ALARM, "OK")]

    table = cli("status", ENDPOINT)
    assert table.exit_code == 0, table.output
    assert "champion" in table.output and "3 (75%)" in table.output and "1 (25%)" in table.output
    assert f"{ALARM}  OK" in table.output and "CANARY, step 10%" in table.output

    document = json.loads(cli("status", ENDPOINT, "--json").output)
    assert document["schema_version"] == 1 and document["status"] == "InService"
    assert [v["name"] for v in document["variants"]] == ["champion", "challenger"]
    assert document["rollback_alarms"] == [{"name": ALARM, "state": "OK"}]


def test_status_names_the_endpoint_from_a_stage_config(endpoint, cli, tmp_path):
    stage = yaml.safe_load((repo_root() / "docs" / "examples" / "stage-dev.yaml").read_text())
    path = tmp_path / "stage-ab.yaml"
    path.write_text(yaml.safe_dump({**stage, "endpoint_name": ENDPOINT, "region": "eu-west-1"}))
    result = cli("status", "--config", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["endpoint"] == ENDPOINT
    both = cli("status", ENDPOINT, "--config", str(path))
    assert both.exit_code == 1 and "not both" in both.output


def test_status_of_an_unknown_endpoint_is_a_clear_error(endpoint, cli):
    with pytest.raises(EndpointGoneError, match="endpoint nope does not exist in eu-west-1"):
        status.read_status(endpoint["sagemaker"], endpoint["cloudwatch"], "nope", "eu-west-1")
    result = cli("status", "nope")
    assert result.exit_code == EndpointGoneError.exit_code
    assert "endpoint nope does not exist" in result.output


# -- setting weights --------------------------------------------------------------------------------------
def test_traffic_sets_the_weights_and_waits_for_them(endpoint, cli):
    result = cli("traffic", ENDPOINT, "--weights", "champion=80,challenger=20")
    assert result.exit_code == 0, result.output
    assert _weights(endpoint["sagemaker"]) == {"champion": 80.0, "challenger": 20.0}
    assert "80 (80%)" in result.output


def test_a_zero_weight_stops_the_ab_test_and_all_zero_is_refused(endpoint, cli):
    sm = endpoint["sagemaker"]
    result = cli("traffic", ENDPOINT, "--weights", "champion=9,challenger=0", "--json")
    assert result.exit_code == 0, result.output
    assert _weights(sm) == {"champion": 9.0, "challenger": 0.0}
    shares = {v["name"]: v["current_share_percent"] for v in json.loads(result.stdout)["variants"]}
    assert shares == {"champion": 100.0, "challenger": 0.0}
    refused = cli("traffic", ENDPOINT, "--weights", "champion=0", "--json")
    assert refused.exit_code == TrafficError.exit_code, refused.output
    document = json.loads(refused.stdout)
    assert document["error"] == "traffic"
    assert "every production variant of churn-ab would have weight 0 (" in document["message"]
    assert _weights(sm) == {"champion": 9.0, "challenger": 0.0}
    again = cli("traffic", ENDPOINT, "--weights", "challenger=1")  # the champion keeps its 9
    assert again.exit_code == 0, again.output
    assert _weights(sm) == {"champion": 9.0, "challenger": 1.0}


def test_errors_of_status_and_traffic_print_one_json_document(endpoint, cli):
    gone = cli("status", "nope", "--json")
    assert gone.exit_code == EndpointGoneError.exit_code
    document = json.loads(gone.stdout)
    assert (document["error"], document["exit_code"]) == ("endpoint_gone", 17)
    assert "endpoint nope does not exist" in document["message"] and "endpoint nope" in gone.stderr
    unknown = cli("traffic", ENDPOINT, "--weights", "champion=1,canary=1", "--json")
    assert unknown.exit_code == 20
    assert "no production variant canary" in json.loads(unknown.stdout)["message"]


def test_an_unknown_variant_is_refused_and_nothing_changes(endpoint, cli):
    sm = endpoint["sagemaker"]
    with pytest.raises(
        TrafficError, match="no production variant canary; its variants are champion, challenger"
    ):
        traffic.set_weights(sm, ENDPOINT, {"champion": 1.0, "canary": 1.0})
    result = cli("traffic", ENDPOINT, "--weights", "champion=50,canary=50")
    assert result.exit_code == TrafficError.exit_code
    assert "its variants are champion, challenger" in result.output
    assert _weights(sm) == {"champion": 3.0, "challenger": 1.0}


def test_an_endpoint_that_is_not_in_service_is_refused_and_nothing_changes(endpoint, cli):
    sm = endpoint["sagemaker"]
    _config(endpoint["target"], "green", "2.0.0")
    arn = sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": TIME_SCALE_TAG, "Value": "10"}])  # a 10-minute update
    sm.update_endpoint(EndpointName=ENDPOINT, EndpointConfigName="green")
    assert sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "Updating"
    result = cli("traffic", ENDPOINT, "--weights", "champion=1,challenger=1")
    assert result.exit_code == TrafficError.exit_code
    assert f"endpoint {ENDPOINT} is Updating, not InService" in result.output
    assert _weights(sm) == {"champion": 3.0, "challenger": 1.0}


# -- deciding ---------------------------------------------------------------------------------------------
def test_a_challenger_as_good_as_the_champion_is_promoted_and_applied(endpoint, cli):
    cw = endpoint["cloudwatch"]
    _put_metrics(cw, "champion", invocations=3000, errors=6, latency=20_000)
    _put_metrics(cw, "challenger", invocations=1000, errors=3, latency=21_000)
    report = traffic.decide_endpoint(
        endpoint["sagemaker"], cw, ENDPOINT, thresholds=RULES, window_minutes=10, latency_statistic="Average"
    )
    assert report.verdict.decision is Decision.PROMOTE and report.applied is None
    assert (report.verdict.champion.variant, report.verdict.challenger.variant) == ("champion", "challenger")
    assert report.verdict.challenger.invocations == 1000 and report.verdict.challenger.latency == 21_000

    result = cli(
        "traffic", ENDPOINT, "--decide", "--window-minutes", "10", "--latency-statistic", "Average", "--apply"
    )
    assert result.exit_code == 0, result.output
    assert "decision: PROMOTE" in result.output
    assert _weights(endpoint["sagemaker"]) == {"champion": 0.0, "challenger": 1.0}


def test_a_challenger_with_more_errors_is_aborted_and_applied(endpoint, cli):
    cw = endpoint["cloudwatch"]
    _put_metrics(cw, "champion", invocations=3000, errors=3, latency=20_000)
    _put_metrics(cw, "challenger", invocations=1000, errors=50, latency=20_000)
    result = cli(
        "traffic", ENDPOINT, "--decide", "--latency-statistic", "Average", "--apply", "--json",
        "--champion", "champion", "--challenger", "challenger",
    )  # fmt: skip
    assert result.exit_code == 21, result.output
    document = json.loads(result.output)
    assert document["decision"] == "abort" and document["challenger"]["error_rate_percent"] == 5.0
    assert document["applied_weights"] == {"champion": 1.0, "challenger": 0.0}
    assert _weights(endpoint["sagemaker"]) == {"champion": 1.0, "challenger": 0.0}


def test_too_little_traffic_waits_and_changes_nothing(endpoint, cli):
    _put_metrics(endpoint["cloudwatch"], "champion", invocations=3000, errors=0, latency=20_000)
    result = cli("traffic", ENDPOINT, "--decide", "--latency-statistic", "Average", "--apply")
    assert result.exit_code == 22, result.output
    assert "decision: WAIT" in result.output and "challenger had 0 invocations" in result.output
    assert _weights(endpoint["sagemaker"]) == {"champion": 3.0, "challenger": 1.0}
