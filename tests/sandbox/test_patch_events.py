"""EventBridge in the sandbox: rules match events (PutEvents, S3's own) and deliver them to Lambda, SNS, SQS
and CodePipeline targets as each target's principal; scheduled rules fire on the sandbox's clock or when a
test fires them; what the sandbox cannot deliver is refused at PutTargets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from launchpad.sandbox.patches import events
from tests.sandbox.support import client_error, service_role
from tests.sandbox.test_patch_lambda import ECHO, create_function, echoed, execution_role, package, poll

pytestmark = pytest.mark.sandbox

EVENTS = "events.amazonaws.com"


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    return AwsTarget.sandbox(sandbox_url)


def queue(target: AwsTarget, name: str) -> tuple[str, str]:
    """An SQS queue: (its URL, its ARN)."""
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, f"arn:aws:sqs:{target.region}:{target.account_id}:{name}"


def received(target: AwsTarget, url: str, count: int) -> list[Any]:
    """The JSON bodies of the queue's messages, once there are ``count``."""
    found: list[Any] = []

    def enough() -> list[Any]:
        answer = target.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        found.extend(json.loads(m["Body"]) for m in answer.get("Messages", []))
        return found if len(found) >= count else []

    return list(poll(enough, f"{count} message(s) on {url}"))


def rule(target: AwsTarget, name: str, pattern: dict[str, Any] | None = None, **params: Any) -> str:
    if pattern is not None:
        params["EventPattern"] = json.dumps(pattern)
    return str(target.client("events").put_rule(Name=name, **params)["RuleArn"])


def put(target: AwsTarget, *entries: dict[str, Any]) -> None:
    answer = target.client("events").put_events(
        Entries=[
            {"Source": "shop", "DetailType": "order", **e, "Detail": json.dumps(e["Detail"])} for e in entries
        ]
    )
    assert answer["FailedEntryCount"] == 0


# -- schedule expressions ------------------------------------------------------------------------------------
def _next(expression: str, after: str, zone: str = "UTC") -> str:
    cron = events.parse_expression(expression).cron
    assert cron is not None
    found = events.next_cron(cron, datetime.fromisoformat(after).replace(tzinfo=UTC), ZoneInfo(zone))
    assert found is not None
    return found.strftime("%Y-%m-%dT%H:%M")


def test_cron_expressions_give_the_times_aws_documents() -> None:
    assert _next("cron(0 12 * * ? *)", "2024-01-01T12:00") == "2024-01-02T12:00"
    assert _next("cron(0/15 8-9 ? * MON-FRI *)", "2024-01-05T09:50") == "2024-01-08T08:00"  # Friday -> Monday
    assert _next("cron(0 10 L * ? *)", "2024-02-01T00:00") == "2024-02-29T10:00"  # last day of the month
    assert _next("cron(0 10 ? * 6L *)", "2024-03-01T00:00") == "2024-03-29T10:00"  # last Friday
    assert _next("cron(0 10 ? * 2#1 *)", "2024-04-02T00:00") == "2024-05-06T10:00"  # first Monday
    assert _next("cron(0 8 15W * ? *)", "2024-06-01T00:00") == "2024-06-14T08:00"  # 15th is a Saturday
    assert _next("cron(30 9 1 JAN ? 2025)", "2024-06-01T00:00") == "2025-01-01T09:30"
    assert _next("cron(0 9 * * ? *)", "2024-07-01T00:00", "Europe/Paris") == "2024-07-01T07:00"  # 09:00 CEST


def test_schedule_expressions_aws_refuses_are_refused() -> None:
    for text in (
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 12 * * *)",
        "cron(0 12 * * * *)",
        "cron(0 12 ? * ? *)",
        "cron(60 12 * * ? *)",
        "cron(0 12 ? * 8 *)",
        "at(2030-01-01T00:00:00)",
    ):
        with pytest.raises(ValueError):
            events.parse_expression(text)
    assert events.parse_expression("rate(1 hour)").period == 3600
    assert events.parse_expression("at(2030-01-01T00:00:00)", one_time=True).at == datetime(2030, 1, 1)


def test_put_rule_refuses_a_schedule_expression_that_is_not_one(account: AwsTarget) -> None:
    with pytest.raises(ClientError) as raised:
        account.client("events").put_rule(Name="never", ScheduleExpression="cron(0 12 * * *)")
    assert client_error(raised) == ("ValidationException", "Parameter ScheduleExpression is not valid.")


# -- matching and delivering ---------------------------------------------------------------------------------
def test_events_reach_the_targets_of_enabled_rules_whose_patterns_match(account: AwsTarget) -> None:
    url, arn = queue(account, "big-orders")
    pattern = {
        "source": ["shop"],
        "detail": {
            "total": [{"numeric": [">=", 100]}],
            "country": [{"anything-but": ["XX"]}],
            "sku": [{"prefix": "A-"}],
            "coupon": [{"exists": False}],
        },
    }
    rule(account, "big-orders", pattern)
    account.client("events").put_targets(Rule="big-orders", Targets=[{"Id": "q", "Arn": arn}])
    rule(account, "paused-orders", {"source": ["shop"]}, State="DISABLED")
    paused_url, paused_arn = queue(account, "paused-orders")
    account.client("events").put_targets(Rule="paused-orders", Targets=[{"Id": "q", "Arn": paused_arn}])
    put(
        account,
        {"Detail": {"total": 150, "country": "FR", "sku": "A-1", "n": 1}},
        {"Detail": {"total": 50, "country": "FR", "sku": "A-2", "n": 2}},
        {"Detail": {"total": 150, "country": "XX", "sku": "A-3", "n": 3}},
        {"Detail": {"total": 150, "country": "FR", "sku": "B-4", "n": 4}},
        {"Detail": {"total": 150, "country": "FR", "sku": "A-5", "coupon": "x", "n": 5}},
    )
    [delivered] = received(account, url, 1)
    assert (delivered["detail"]["n"], delivered["source"], delivered["detail-type"]) == (1, "shop", "order")
    assert account.client("sqs").receive_message(QueueUrl=paused_url).get("Messages", []) == []


def test_a_lambda_target_is_invoked_when_its_policy_lets_eventbridge_invoke_it_for_the_rule(
    sandbox_target: AwsTarget,
) -> None:
    target = sandbox_target
    function = create_function(target, "on-order", package(**{"app.py": ECHO}), execution_role(target))
    rule_arn = rule(target, "orders", {"source": ["shop"]})
    target.client("events").put_targets(Rule="orders", Targets=[{"Id": "fn", "Arn": function}])
    put(target, {"Detail": {"n": 1}, "Resources": ["arn:aws:s3:::x"]})
    [refusal] = poll(lambda: workloads.refusals(target), "the refused delivery")
    assert (refusal["service"], refusal["what"]) == ("events", f"delivery of orders to {function}")
    assert refusal["message"] == (
        f"User: {EVENTS} is not authorized to perform: lambda:InvokeFunction on resource: {function} "
        "because no resource-based policy allows the lambda:InvokeFunction action"
    )
    target.client("lambda").add_permission(
        FunctionName="on-order",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal=EVENTS,
        SourceArn=rule_arn,
    )
    put(target, {"Detail": {"n": 2}, "Resources": ["arn:aws:s3:::x"]})
    [event] = echoed(target, "on-order")
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (event["detail"], event["account"], event["region"], event["resources"]) == (
        {"n": 2},
        target.account_id,
        target.region,
        ["arn:aws:s3:::x"],
    )
    assert datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


def _topic_to_queue(target: AwsTarget, name: str, rule_arn: str) -> tuple[str, str]:
    """A topic EventBridge may publish to for the rule, delivering raw messages to a queue: (topic, URL)."""
    sns = target.client("sns")
    topic = sns.create_topic(Name=name)["TopicArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": EVENTS},
                "Action": "sns:Publish",
                "Resource": topic,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    url, arn = queue(target, f"{name}-queue")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return topic, url


def test_target_input_is_the_event_input_its_path_or_its_transformation(account: AwsTarget) -> None:
    rule_arn = rule(account, "shaped", {"source": ["shop"], "detail-type": ["shaped"]})
    topic, url = _topic_to_queue(account, "shaped", rule_arn)
    transformer = {
        "InputPathsMap": {"total": "$.detail.total", "kind": "$.detail-type"},
        "InputTemplate": '{"order_total": <total>, "kind": "<kind>"}',
    }
    account.client("events").put_targets(
        Rule="shaped",
        Targets=[
            {"Id": "fixed", "Arn": topic, "Input": '{"fixed": true}'},
            {"Id": "path", "Arn": topic, "InputPath": "$.detail"},
            {"Id": "shaped", "Arn": topic, "InputTransformer": transformer},
        ],
    )
    put(account, {"DetailType": "shaped", "Detail": {"total": 7}})
    bodies = received(account, url, 3)
    assert sorted(bodies, key=json.dumps) == sorted(
        [{"fixed": True}, {"total": 7}, {"order_total": 7, "kind": "shaped"}], key=json.dumps
    )


def test_an_sns_target_whose_policy_does_not_allow_eventbridge_gets_nothing(
    sandbox_target: AwsTarget,
) -> None:
    target = sandbox_target
    rule_arn = rule(target, "closed", {"source": ["shop"]})
    sns = target.client("sns")
    topic = sns.create_topic(Name="closed")["TopicArn"]
    owner_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{target.account_id}:root"},
                "Action": "sns:Publish",
                "Resource": topic,
            }
        ],
    }
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(owner_only))
    target.client("events").put_targets(Rule="closed", Targets=[{"Id": "t", "Arn": topic}])
    assert workloads.deliver_event(target, "closed") == []
    [refusal] = workloads.refusals(target)
    assert refusal["message"] == (
        f"User: {EVENTS} is not authorized to perform: sns:Publish on resource: {topic} because no "
        "resource-based policy allows the sns:Publish action"
    )
    assert rule_arn.endswith(":rule/closed")


def test_put_targets_refuses_what_the_sandbox_cannot_deliver(account: AwsTarget) -> None:
    rule(account, "refusing", {"source": ["shop"]})
    _, queue_arn = queue(account, "refusing")
    machine = f"arn:aws:states:{account.region}:{account.account_id}:stateMachine:flow"
    pipeline = f"arn:aws:codepipeline:{account.region}:{account.account_id}:deliver"
    cases = [
        (
            {"Id": "sfn", "Arn": machine},
            "launchpad sandbox: target sfn: EventBridge in the sandbox delivers to Lambda functions, "
            "CodePipeline pipelines, SNS topics, SQS queues, CloudWatch Logs log groups and event buses; "
            f"{machine} is not one (not modelled)",
        ),
        (
            {"Id": "q", "Arn": queue_arn, "InputPath": "$.detail"},
            f"launchpad sandbox: target q: Input and InputPath apply to Lambda, CodePipeline and SNS targets "
            f"only, not {queue_arn}",
        ),
        ({"Id": "p", "Arn": pipeline}, "Parameter(s) RoleArn must be specified for target: p."),
    ]
    for entry, message in cases:
        with pytest.raises(ClientError) as raised:
            account.client("events").put_targets(Rule="refusing", Targets=[entry])
        assert client_error(raised) == ("ValidationException", message)
    assert account.client("events").list_targets_by_rule(Rule="refusing")["Targets"] == []


# -- schedules -----------------------------------------------------------------------------------------------
def test_a_scheduled_rule_fired_by_the_route_delivers_its_scheduled_event(account: AwsTarget) -> None:
    url, arn = queue(account, "nightly")
    rule_arn = rule(account, "nightly", ScheduleExpression="cron(0 2 * * ? *)")
    account.client("events").put_targets(Rule="nightly", Targets=[{"Id": "q", "Arn": arn}])
    assert workloads.fire_rule(account, "nightly") == [arn]
    [event] = received(account, url, 1)
    assert (event["detail-type"], event["source"], event["resources"], event["detail"]) == (
        "Scheduled Event",
        "aws.events",
        [rule_arn],
        {},
    )


def test_a_scheduled_rule_fires_on_its_own_on_a_scaled_clock(account: AwsTarget) -> None:
    url, arn = queue(account, "ticking")
    rule(
        account,
        "ticking",
        ScheduleExpression="rate(1 minute)",
        Tags=[{"Key": "launchpad:sandbox:time-scale", "Value": "0.005"}],  # a minute in 0.3 s
    )
    account.client("events").put_targets(Rule="ticking", Targets=[{"Id": "q", "Arn": arn}])
    try:
        ticks = received(account, url, 2)
    finally:
        account.client("events").disable_rule(Name="ticking")
    assert {e["detail-type"] for e in ticks} == {"Scheduled Event"}
    first, second = (datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ") for e in ticks[:2])
    assert (second - first).total_seconds() == 60  # AWS time on the rule's clock


# -- S3 sends its events to EventBridge ----------------------------------------------------------------------
def test_s3_puts_object_created_events_on_the_bus_when_eventbridge_is_on(account: AwsTarget) -> None:
    bucket = f"events-{account.account_id}"
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region})
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    url, arn = queue(account, "source-changed")
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": ["source.zip"]}},
    }
    rule(account, "source-changed", pattern)
    account.client("events").put_targets(Rule="source-changed", Targets=[{"Id": "q", "Arn": arn}])
    s3.put_object(Bucket=bucket, Key="other.zip", Body=b"x")
    put_answer = s3.put_object(Bucket=bucket, Key="source.zip", Body=b"abcd")
    [event] = received(account, url, 1)
    assert (event["source"], event["detail-type"], event["resources"], event["account"]) == (
        "aws.s3",
        "Object Created",
        [f"arn:aws:s3:::{bucket}"],
        account.account_id,
    )
    detail = event["detail"]
    assert set(detail) == {
        "version",
        "bucket",
        "object",
        "request-id",
        "requester",
        "source-ip-address",
        "reason",
    }
    assert (detail["bucket"], detail["reason"], detail["requester"]) == (
        {"name": bucket},
        "PutObject",
        account.account_id,
    )
    assert {k: detail["object"][k] for k in ("key", "size", "etag")} == {
        "key": "source.zip",
        "size": 4,
        "etag": put_answer["ETag"].strip('"'),
    }
    assert "version-id" not in detail["object"]  # the bucket is not versioned


def test_an_upload_starts_the_pipeline_its_source_rule_targets(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    bucket = f"src-{target.account_id}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pipeline_role = service_role(target, "pipeline", "codepipeline.amazonaws.com")
    approve = {
        "name": "Ship",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
    }
    fetch = {
        "name": "Fetch",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": bucket, "S3ObjectKey": "source.zip", "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "src"}],
    }
    target.client("codepipeline").create_pipeline(
        pipeline={
            "name": "shipping",
            "roleArn": pipeline_role,
            "artifactStore": {"type": "S3", "location": bucket},
            "stages": [{"name": "Source", "actions": [fetch]}, {"name": "Approve", "actions": [approve]}],
        }
    )
    pipeline = f"arn:aws:codepipeline:{target.region}:{target.account_id}:shipping"
    allow = [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": pipeline}]
    events_role = service_role(target, "events-start", EVENTS, allow)
    rule_arn = rule(target, "source-changed", {"source": ["aws.s3"], "detail-type": ["Object Created"]})
    target.client("events").put_targets(
        Rule="source-changed", Targets=[{"Id": "p", "Arn": pipeline, "RoleArn": events_role}]
    )
    s3.put_object(Bucket=bucket, Key="source.zip", Body=b"zip")

    def started_by_the_rule() -> list[Any]:
        summaries = target.client("codepipeline").list_pipeline_executions(pipelineName="shipping")
        return [
            s
            for s in summaries["pipelineExecutionSummaries"]
            if s.get("trigger", {}).get("triggerType") == "CloudWatchEvent"
        ]

    [execution] = poll(started_by_the_rule, "an execution started by the rule")
    assert execution["trigger"]["triggerDetail"] == rule_arn
    assert workloads.usage(target, events_role)["actions"] == {"codepipeline:StartPipelineExecution": 1}
