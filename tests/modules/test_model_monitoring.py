"""model-monitoring planned (fast tier): the schedule's CreateProcessingJob request, the three roles'
statements, the alarms the retrain rule listens to, and the retrain function's settings.

The module is planned twice, with literal inputs so that every value is known at plan: "plain" (its defaults,
no tags) and "tagged" (tags, an image override, more job arguments, a second KPI), in the suite's shared plan
(tests/shared_plan.py: one Terraform process with its example's inventory plan and the other root modules
planned there). Its example's inventory, fmt, validate, README table, checkov and bad input are
test_static's; the retrain function's decision is tests/unit/test_monitor_retrain.py's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from launchpad import combined
from launchpad.monitor import retrain
from launchpad.paths import modules_dir
from launchpad.sandbox.patches.iam_policy import as_list
from tests import shared_plan

# One plan for every test here, the suite's shared plan (tests/shared_plan.py): on one worker.
pytestmark = pytest.mark.xdist_group(shared_plan.GROUP)

BASE = yaml.safe_load((Path(__file__).parent / "model-monitoring" / "validation_cases.yaml").read_text())[
    "base_vars"
]
KMS = BASE["kms"]
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mirror/sagemaker-scikit-learn:1.2-1-cpu-py3"
TAGS = {"owner": "ml-team", "cost-center": "ml-platform", "data-classification": "phi"}


CALLS = {
    "plain": combined.Call(modules_dir() / "model-monitoring", BASE),
    "tagged": combined.Call(
        modules_dir() / "model-monitoring",
        {
            **BASE,
            "name": "lp-tagged",
            "image_uri": IMAGE,
            "job_arguments": ["--model-version", "1.4.0"],
            "instance": {"count": 2},
            "business_kpis": {"HelpfulRate": {"minimum": 0.6}, "ResolvedRate": {"minimum": 0.4}},
            "quality_alarms": {"auc": {"comparison_operator": "LessThanThreshold", "threshold": 0.75}},
            "variants": ["primary", "challenger"],
            "tags": TAGS,
        },
    ),
}
for _name, _call in CALLS.items():
    shared_plan.register(f"model-monitoring:{_name}", _call)


@pytest.fixture
def planned(plan_parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each call's planned values by address (module.<...> prefixes removed)."""
    return {
        name: {c["address"]: c["change"]["after"] for c in part["resource_changes"] if c["mode"] == "managed"}
        for name, part in ((name, plan_parts[f"model-monitoring:{name}"]) for name in CALLS)
    }


def _statements(policy: str) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid, actions and resources as sorted lists."""
    return {
        s["Sid"]: {**s, "Action": sorted(as_list(s["Action"])), "Resource": sorted(as_list(s["Resource"]))}
        for s in json.loads(policy)["Statement"]
    }


def _request(plan: dict[str, Any]) -> dict[str, Any]:
    [target] = plan["aws_scheduler_schedule.job"]["target"]
    return json.loads(target["input"])


def _account(plan: dict[str, Any]) -> str:
    return json.loads(plan["aws_iam_role.job"]["assume_role_policy"])["Statement"][0]["Condition"][
        "StringEquals"
    ]["aws:SourceAccount"]


def test_each_run_creates_a_uniquely_named_job_on_the_window_ending_at_its_scheduled_time(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["plain"]
    [target] = plan["aws_scheduler_schedule.job"]["target"]
    assert target["arn"] == "arn:aws:scheduler:::aws-sdk:sagemaker:createProcessingJob"
    assert "\\u003c" not in target["input"], "Scheduler must see its context attributes as written"
    request = _request(plan)
    account = _account(plan)
    assert request["ProcessingJobName"] == "lp-churn-<aws.scheduler.execution-id>"
    assert request["RoleArn"] == f"arn:aws:iam::{account}:role/lp-churn-monitor-job"
    assert request["AppSpecification"] == {
        "ImageUri": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/launchpad_monitor_job.py"],
        "ContainerArguments": [
            "--root", "/opt/ml",
            "--capture", BASE["s3"]["capture"],
            "--endpoint", "lp-churn-production",
            "--schedule", "lp-churn-monitor",
            "--window-minutes", "60",
            "--end", "<aws.scheduler.scheduled-time>",
            "--results-uri", BASE["s3"]["results"] + "<aws.scheduler.scheduled-time>/",
            "--baselines", BASE["s3"]["baseline"],
            "--feedback", BASE["retrain"]["feedback_s3_uri"],
            "--label-offset-minutes", "0",
            "--namespace-data", "aws/sagemaker/Endpoints/data-metrics",
            "--namespace-model", "aws/sagemaker/Endpoints/model-metrics",
            "--namespace-bias", "aws/sagemaker/Endpoints/bias-metrics",
        ],
    }  # fmt: skip
    # alarms on quality wait for its metrics: the job fails without the baseline's checks; then the extras
    tagged = _request(planned["tagged"])["AppSpecification"]["ContainerArguments"]
    assert tagged[-4:] == ["--require", "quality", "--model-version", "1.4.0"], tagged
    # the code only: the job reads the served version's baseline itself
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert {name: (i["S3Uri"], i["LocalPath"]) for name, i in inputs.items()} == {
        "code": (BASE["s3"]["code"], "/opt/ml/processing/input/code")
    }
    output = request["ProcessingOutputConfig"]
    assert output["KmsKeyId"] == KMS["results"]
    assert [(o["S3Output"]["S3Uri"], o["S3Output"]["LocalPath"]) for o in output["Outputs"]] == [
        (BASE["s3"]["results"] + "<aws.scheduler.scheduled-time>/", "/opt/ml/processing/output/results")
    ]
    assert request["ProcessingResources"]["ClusterConfig"] == {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 1,
        "VolumeSizeInGB": 30,
        "VolumeKmsKeyId": KMS["volume"],
    }
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert request["NetworkConfig"] == {
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": False,
        "VpcConfig": {
            "SecurityGroupIds": BASE["network"]["security_group_ids"],
            "Subnets": BASE["network"]["subnet_ids"],
        },
    }
    assert "Tags" not in request


def test_the_job_role_reads_its_inputs_writes_its_results_and_publishes_to_its_namespaces_only(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["plain"]
    account = _account(plan)
    statements = _statements(plan["aws_iam_role_policy.job"]["policy"])
    assert list(statements) == [
        "ListInputPrefixes",
        "ReadInputObjects",
        "DescribeServedModel",
        "WriteResults",
        "DecryptInputsThroughS3",
        "EncryptResultsThroughS3",
        "PublishMonitoringMetrics",
        "WriteOwnJobLogs",
        "DescribeNetwork",
        "CreateJobNetworkInterfaces",
        "ManageJobNetworkInterfaces",
    ]
    listing = statements["ListInputPrefixes"]
    assert listing["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-data-capture",
        "arn:aws:s3:::lp-platform-111122223333-feedback",
        "arn:aws:s3:::lp-platform-111122223333-model-artifacts",
    ]
    assert sorted(as_list(listing["Condition"]["StringLike"]["s3:prefix"])) == [
        "feedback/stage=prod/endpoint=lp-churn-production/*",
        "lp-churn-production/*",
        "lp-churn/*",
        "lp-churn/monitor/code/*",
    ]
    # of the artifacts' prefix, only the baselines beside them
    assert (
        "arn:aws:s3:::lp-platform-111122223333-model-artifacts/lp-churn/*/baseline/*"
        in (statements["ReadInputObjects"]["Resource"])
    )
    assert statements["DescribeServedModel"]["Resource"] == [
        f"arn:aws:sagemaker:eu-west-1:{account}:endpoint-config/lp-churn-production-*",
        f"arn:aws:sagemaker:eu-west-1:{account}:endpoint/lp-churn-production",
        f"arn:aws:sagemaker:eu-west-1:{account}:model/lp-churn-production-*",
    ]
    # the labels: read only the endpoint's feedback, decrypted through S3 with its key
    assert (
        "arn:aws:s3:::lp-platform-111122223333-feedback/feedback/stage=prod/endpoint=lp-churn-production/*"
        in statements["ReadInputObjects"]["Resource"]
    )
    assert KMS["feedback"] in statements["DecryptInputsThroughS3"]["Resource"]
    assert statements["WriteResults"]["Action"] == ["s3:PutObject"]
    assert statements["WriteResults"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-data-capture/lp-churn/monitor/results/*"
    ]
    assert not [s for s in statements.values() if "s3:DeleteObject" in s["Action"]]
    assert statements["DecryptInputsThroughS3"]["Action"] == ["kms:Decrypt"]
    # one instance reads no result back
    assert statements["EncryptResultsThroughS3"]["Action"] == ["kms:GenerateDataKey"]
    for sid in ("DecryptInputsThroughS3", "EncryptResultsThroughS3"):
        assert statements[sid]["Condition"] == {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
        }
    namespaces = statements["PublishMonitoringMetrics"]["Condition"]["StringEquals"]["cloudwatch:namespace"]
    assert sorted(as_list(namespaces)) == [
        "aws/sagemaker/Endpoints/bias-metrics",
        "aws/sagemaker/Endpoints/data-metrics",
        "aws/sagemaker/Endpoints/model-metrics",
        "launchpad/Business",
    ]
    assert statements["WriteOwnJobLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{account}:log-group:/aws/sagemaker/ProcessingJobs:log-stream:lp-churn-*"
    ]
    assert "PullJobImage" not in statements  # SageMaker pulls AWS's own image itself
    trust = json.loads(plan["aws_iam_role.job"]["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:sagemaker:eu-west-1:{account}:processing-job/lp-churn-*"
    }
    assert "ListPartialSummaries" not in statements  # one instance shares nothing
    tagged = _statements(planned["tagged"]["aws_iam_role_policy.job"]["policy"])
    assert tagged["ListPartialSummaries"]["Condition"] == {
        "StringLike": {"s3:prefix": "lp-churn/monitor/results/*/partials/*"}
    }
    assert tagged["ReadPartialSummaries"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-data-capture/lp-churn/monitor/results/*/partials/*"
    ]
    assert tagged["PullJobImage"]["Resource"] == [
        "arn:aws:ecr:eu-west-1:111122223333:repository/mirror/sagemaker-scikit-learn"
    ]


def test_the_scheduler_may_create_only_this_modules_encrypted_jobs_and_tag_them_only_when_tagged(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["plain"]
    account = _account(plan)
    statements = _statements(plan["aws_iam_role_policy.scheduler"]["policy"])
    assert list(statements) == ["CreateMonitorJobs", "PassJobRoleToSageMaker", "GrantVolumeKeyToSageMaker"]
    create = statements["CreateMonitorJobs"]
    assert create["Resource"] == [f"arn:aws:sagemaker:eu-west-1:{account}:processing-job/lp-churn-*"]
    assert create["Condition"]["ArnEquals"] == {
        "sagemaker:VolumeKmsKeyArn": KMS["volume"],
        "sagemaker:OutputKmsKeyArn": KMS["results"],
    }
    assert create["Condition"]["Bool"] == {"sagemaker:InterContainerTrafficEncryption": "true"}
    passing = statements["PassJobRoleToSageMaker"]
    assert passing["Resource"] == [f"arn:aws:iam::{account}:role/lp-churn-monitor-job"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    trust = json.loads(plan["aws_iam_role.scheduler"]["assume_role_policy"])["Statement"][0]
    assert trust["Condition"]["ArnEquals"] == {
        "aws:SourceArn": f"arn:aws:scheduler:eu-west-1:{account}:schedule-group/default"
    }
    tagged = planned["tagged"]
    assert "TagMonitorJobs" in _statements(tagged["aws_iam_role_policy.scheduler"]["policy"])
    request = _request(tagged)
    assert request["Tags"] == [{"Key": k, "Value": TAGS[k]} for k in sorted(TAGS)]
    assert request["AppSpecification"]["ImageUri"] == IMAGE
    assert request["AppSpecification"]["ContainerArguments"][-2:] == ["--model-version", "1.4.0"]


def test_only_drift_and_kpi_alarms_going_to_alarm_reach_the_retrain_function(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["tagged"]
    account = _account(plan)
    pattern = json.loads(plan["aws_cloudwatch_event_rule.retrain"]["event_pattern"])
    alarm = f"arn:aws:cloudwatch:eu-west-1:{account}:alarm:lp-tagged-"
    assert pattern == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"state": {"value": ["ALARM"]}},
        "resources": [
            f"{alarm}drift",
            f"{alarm}kpi-challenger-HelpfulRate",
            f"{alarm}kpi-challenger-ResolvedRate",
            f"{alarm}kpi-primary-HelpfulRate",
            f"{alarm}kpi-primary-ResolvedRate",
        ],
    }
    names = {a["alarm_name"] for k, a in plan.items() if k.startswith("aws_cloudwatch_metric_alarm.")}
    assert names == {
        "lp-tagged-drift",
        "lp-tagged-job-not-reporting",
        "lp-tagged-retrain-failed",
        "lp-tagged-kpi-primary-HelpfulRate",
        "lp-tagged-kpi-primary-ResolvedRate",
        "lp-tagged-kpi-challenger-HelpfulRate",
        "lp-tagged-kpi-challenger-ResolvedRate",
        "lp-tagged-quality-auc",  # an alarm, but not one that retrains
    }
    kpi = plan['aws_cloudwatch_metric_alarm.kpi["kpi-challenger-ResolvedRate"]']
    assert (kpi["namespace"], kpi["dimensions"]) == (
        "launchpad/Business",
        {"EndpointName": "lp-churn-production", "VariantName": "challenger"},
    )
    permission = plan["aws_lambda_permission.retrain"]
    assert (permission["principal"], permission["source_account"]) == ("events.amazonaws.com", account)


def test_the_retrain_function_runs_alone_in_the_vpc_with_its_own_narrow_role(
    planned: dict[str, dict[str, Any]],
) -> None:
    plan = planned["plain"]
    account = _account(plan)
    function = plan["aws_lambda_function.retrain"]
    assert (function["runtime"], function["handler"], function["reserved_concurrent_executions"]) == (
        "python3.12",
        "retrain.handler",
        1,
    )
    assert function["kms_key_arn"] == KMS["logs"]
    [vpc] = function["vpc_config"]
    assert sorted(vpc["subnet_ids"]) == sorted(BASE["network"]["subnet_ids"])
    assert function["environment"][0]["variables"] == {
        "PIPELINE_NAME": "lp-churn-training",
        "COOLDOWN_SECONDS": "86400",
        "MIN_NEW_LABELS": "500",
        "FEEDBACK_BUCKET": "lp-platform-111122223333-feedback",
        "FEEDBACK_PREFIX": "feedback/stage=prod/endpoint=lp-churn-production/",
        "MAX_LOOKBACK_DAYS": "30",
    }
    shipped = modules_dir() / "model-monitoring" / "lambda" / "retrain.zip"
    assert function["source_code_hash"] == retrain.base64_sha256(shipped.read_bytes())
    group = plan["aws_cloudwatch_log_group.retrain"]
    assert (group["kms_key_id"], group["retention_in_days"]) == (KMS["logs"], 365)
    assert plan["aws_sqs_queue.retrain_dlq"]["kms_master_key_id"] == KMS["logs"]
    statements = _statements(plan["aws_iam_role_policy.retrain"]["policy"])
    assert list(statements) == [
        "ReadAndStartPipeline",
        "ListFeedbackPrefix",
        "ReadFeedbackObjects",
        "DecryptFeedbackThroughS3",
        "WriteOwnLogs",
        "SendFailedEventsToQueue",
        "EncryptFailedEventsThroughSqs",
        "DecryptOwnEnvironment",
        "DescribeNetwork",
        "CreateFunctionNetworkInterfaces",
        "ManageFunctionNetworkInterfaces",
    ]
    assert statements["ReadAndStartPipeline"]["Resource"] == [
        f"arn:aws:sagemaker:eu-west-1:{account}:pipeline/lp-churn-training"
    ]
    assert statements["ReadFeedbackObjects"]["Resource"] == [
        "arn:aws:s3:::lp-platform-111122223333-feedback/feedback/stage=prod/endpoint=lp-churn-production/*"
    ]
    assert statements["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{account}:log-group:/aws/lambda/lp-churn-retrain:*"
    ]
    # the execution role's EC2 reads (AWSLambdaVPCAccessExecutionRole); the deployer's verify the network
    assert statements["DescribeNetwork"]["Action"] == ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    assert not [
        s for s in statements.values() if s["Resource"] == ["*"] and not s["Sid"].startswith("Describe")
    ]
