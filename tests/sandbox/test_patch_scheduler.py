"""EventBridge Scheduler in the sandbox: a schedule invokes its target as its execution role, taken by
scheduler.amazonaws.com for the schedule group; one-time schedules delete themselves when asked; what the
sandbox cannot invoke is refused at CreateSchedule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from tests.sandbox.support import client_error, service_role
from tests.sandbox.test_patch_events import queue, received
from tests.sandbox.test_patch_lambda import ECHO, create_function, echoed, execution_role, package, poll
from tests.sandbox.test_patch_sagemaker_processing import ended, make_setup, request

pytestmark = pytest.mark.sandbox

SCHEDULER = "scheduler.amazonaws.com"
OFF = {"Mode": "OFF"}
PROCESSING = "arn:aws:scheduler:::aws-sdk:sagemaker:createProcessingJob"


def scheduler_role(target: AwsTarget, name: str, statements: list[dict[str, Any]] | None = None) -> str:
    """A role Scheduler may take for the account's schedule groups (the confused-deputy conditions)."""
    group = f"arn:aws:scheduler:{target.region}:{target.account_id}:schedule-group/*"
    conditions = {
        "StringEquals": {"aws:SourceAccount": target.account_id},
        "ArnLike": {"aws:SourceArn": group},
    }
    return service_role(target, name, SCHEDULER, statements, conditions)


def create_schedule(
    target: AwsTarget, name: str, expression: str, arn: str, role: str, **params: Any
) -> None:
    target.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow=params.pop("FlexibleTimeWindow", OFF),
        Target={"Arn": arn, "RoleArn": role, **params.pop("Target", {})},
        **params,
    )


def test_a_schedule_fired_by_the_route_invokes_its_function_as_its_role(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    function = create_function(target, "nightly", package(**{"app.py": ECHO}), execution_role(target))
    invoke = [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function}]
    allowed = scheduler_role(target, "may-invoke", invoke)
    denied = scheduler_role(target, "may-not", [{**invoke[0], "Action": "lambda:GetFunction"}])
    payload = {"Input": json.dumps({"job": "nightly"})}
    create_schedule(target, "allowed", "cron(0 2 * * ? *)", function, allowed, Target=payload)
    create_schedule(target, "denied", "cron(0 2 * * ? *)", function, denied, Target=payload)
    assert workloads.fire_schedule(target, "denied") == []
    [refusal] = workloads.refusals(target)
    assert (refusal["service"], refusal["what"]) == (
        "scheduler",
        f"invocation of {function} by schedule default/denied",
    )
    assert refusal["message"] == (
        f"User: arn:aws:sts::{target.account_id}:assumed-role/may-not/EventBridgeScheduler is not authorized "
        f"to perform: lambda:InvokeFunction on resource: {function} because no identity-based policy allows "
        "the lambda:InvokeFunction action"
    )
    assert workloads.fire_schedule(target, "allowed") == [function]
    assert echoed(target, "nightly") == [{"job": "nightly"}]
    assert workloads.usage(target, allowed)["actions"] == {"lambda:InvokeFunction": 1}


def test_a_role_scheduler_may_not_take_invokes_nothing(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    _, arn = queue(target, "jobs")
    send = [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}]
    stranger = service_role(target, "for-events", "events.amazonaws.com", send)
    create_schedule(target, "stranger", "rate(1 hour)", arn, stranger)
    assert workloads.fire_schedule(target, "stranger") == []
    [refusal] = workloads.refusals(target)
    assert refusal["message"] == (
        f"{SCHEDULER} is not authorized to perform: sts:AssumeRole on resource: {stranger} because no "
        "resource-based policy allows the sts:AssumeRole action"
    )


def test_a_disabled_schedule_invokes_nothing(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    _, arn = queue(target, "paused")
    role = scheduler_role(
        target, "sender", [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}]
    )
    create_schedule(target, "paused", "rate(1 hour)", arn, role, State="DISABLED")
    assert workloads.fire_schedule(target, "paused") == []
    assert workloads.usage(target, role)["calls"] == 0


def test_a_one_time_schedule_runs_on_the_scaled_clock_and_deletes_itself(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    url, arn = queue(target, "once")
    role = scheduler_role(
        target, "sender", [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}]
    )
    scheduler = target.client("scheduler")
    scheduler.create_schedule_group(
        Name="fast", Tags=[{"Key": "launchpad:sandbox:time-scale", "Value": "0.001"}]
    )
    once = {"Input": json.dumps({"once": True})}
    expression = "at(2020-01-01T00:00:00)"
    create_schedule(
        target, "once", expression, arn, role, GroupName="fast", ActionAfterCompletion="DELETE", Target=once
    )
    assert received(target, url, 1) == [{"once": True}]

    def deleted() -> bool:
        try:
            scheduler.get_schedule(Name="once", GroupName="fast")
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False

    poll(deleted, "the completed schedule to be deleted")


def test_create_schedule_refuses_what_the_sandbox_cannot_invoke(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    role = scheduler_role(target, "any")
    _, queue_arn = queue(target, "refused")
    universal = "arn:aws:scheduler:::aws-sdk:sqs:sendMessage"
    machine = f"arn:aws:states:{target.region}:{target.account_id}:stateMachine:flow"
    flexible = {"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}
    cases = [
        (
            ("rate(1 hour)", universal, {}),
            f"launchpad sandbox: the universal target {universal} is not modelled; the sandbox calls "
            f"{PROCESSING}, or use a templated target: a Lambda function, an SQS queue, an SNS topic or a "
            "CodePipeline pipeline",
        ),
        (
            ("rate(1 hour)", PROCESSING, {"Target": {"Input": "not json"}}),
            f"Invalid Input for the universal target {PROCESSING}: it must be a JSON object of the API's "
            "request parameters.",
        ),
        (
            ("rate(1 hour)", machine, {}),
            "launchpad sandbox: EventBridge Scheduler in the sandbox invokes Lambda functions, SQS queues, "
            f"SNS topics and CodePipeline pipelines; {machine} is not one (not modelled)",
        ),
        (("every hour", queue_arn, {}), "Invalid Schedule Expression every hour."),
        (
            ("rate(1 hour)", queue_arn, flexible),
            "MaximumWindowInMinutes must be between 1 and 1440 for a FLEXIBLE window.",
        ),
        (
            ("rate(1 hour)", queue_arn, {"ScheduleExpressionTimezone": "Mars/Olympus"}),
            "Invalid ScheduleExpressionTimezone Mars/Olympus.",
        ),
    ]
    for (expression, arn, params), message in cases:
        with pytest.raises(ClientError) as raised:
            create_schedule(target, "refused", expression, arn, role, **params)
        assert client_error(raised) == ("ValidationException", message)
    assert target.client("scheduler").list_schedules()["Schedules"] == []


def test_a_universal_target_starts_a_processing_job_named_with_the_execution_id(
    sandbox_target: AwsTarget,
) -> None:
    """The schedule's Input is CreateProcessingJob's request, made as the schedule's role (which needs
    sagemaker:CreateProcessingJob and iam:PassRole on the job's role); its context attributes are replaced at
    each invocation, so each run's job has its own name."""
    target = sandbox_target
    setup = make_setup(target)
    job = request(setup, "nightly-<aws.scheduler.execution-id>")
    job["Environment"]["SCHEDULED"] = "<aws.scheduler.scheduled-time>"
    start = {"Effect": "Allow", "Action": "sagemaker:CreateProcessingJob", "Resource": "*"}
    passing = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": setup["role"]}
    allowed = scheduler_role(target, "may-process", [start, passing])
    denied = scheduler_role(target, "may-not-pass", [start])
    create_schedule(
        target, "nightly", "cron(0 2 * * ? *)", PROCESSING, allowed, Target={"Input": json.dumps(job)}
    )
    create_schedule(
        target, "unpassed", "cron(0 2 * * ? *)", PROCESSING, denied, Target={"Input": json.dumps(job)}
    )
    assert workloads.fire_schedule(target, "unpassed") == []
    [refusal] = workloads.refusals(target)
    assert f"is not authorized to perform: iam:PassRole on resource: {setup['role']}" in refusal["message"]
    assert workloads.fire_schedule(target, "nightly") == [PROCESSING]
    assert workloads.fire_schedule(target, "nightly") == [PROCESSING]
    jobs = target.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"]
    names = sorted(j["ProcessingJobName"] for j in jobs)
    assert len(names) == 2 and names[0] != names[1]
    for name in names:
        assert name.startswith("nightly-") and len(name) == len("nightly-") + 16
    described = ended(target, names[0])
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["Environment"]["SCHEDULED"].endswith("Z")
