"""Lambda in the sandbox runs a Python function's handler for real, as its execution role: Invoke's answers,
function errors, timeouts, throttling, logs and refusals as Lambda gives them; S3 notifications invoke a
function when its resource-based policy lets S3 do it for the bucket."""

from __future__ import annotations

import base64
import io
import json
import os
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import Sandbox, workloads
from tests.sandbox.support import client_error, service_role, unchecked_client

pytestmark = pytest.mark.sandbox

LAMBDA = "lambda.amazonaws.com"
LOGS = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}
# A function that prints its event (so a test reads it from the function's log) and answers with it.
ECHO = (
    "import json\n\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n    return event\n"
)
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def package(**files: str) -> bytes:
    """A .zip deployment package of ``files`` (name -> source)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def execution_role(
    target: AwsTarget, name: str = "fn", statements: list[dict[str, Any]] | None = None
) -> str:
    """A role Lambda may take, allowed to write its logs (and ``statements``)."""
    return service_role(target, name, LAMBDA, [LOGS, *(statements or [])])


def create_function(
    target: AwsTarget, name: str, code: bytes, role: str, handler: str = "app.handler", **settings: Any
) -> str:
    """A python3.12 function (``settings`` override any CreateFunction parameter); its ARN."""
    params = {"Runtime": "python3.12", "Role": role, "Handler": handler, "Code": {"ZipFile": code}}
    created = target.client("lambda").create_function(FunctionName=name, **{**params, **settings})
    return str(created["FunctionArn"])


def invoke(target: AwsTarget, name: str, event: Any = None, **params: Any) -> dict[str, Any]:
    payload = json.dumps(event if event is not None else {})
    answer = target.new_client("lambda", NO_RETRIES).invoke(FunctionName=name, Payload=payload, **params)
    answer["Body"] = answer.pop("Payload").read()
    return dict(answer)


def poll(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """``check()`` until it answers something true (the function runs asynchronously)."""
    return workloads.poll(check, timeout, 0.1, what)


def log_messages(target: AwsTarget, function: str) -> list[str]:
    """Every log event of the function's log group so far."""
    logs = target.client("logs")
    group = f"/aws/lambda/{function}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        return []
    return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]


def echoed(target: AwsTarget, function: str, count: int = 1) -> list[Any]:
    """The events an ECHO function printed, once there are ``count`` of them."""

    def found() -> list[Any]:
        events = [
            json.loads(m[len("EVENT ") :]) for m in log_messages(target, function) if m.startswith("EVENT ")
        ]
        return events if len(events) >= count else []

    return list(poll(found, f"{count} invocation(s) of {function}"))


def tail(answer: dict[str, Any]) -> list[str]:
    return base64.b64decode(answer["LogResult"]).decode().splitlines()


@pytest.fixture(scope="module")
def account(sandbox_url: str) -> AwsTarget:
    """One account for this module's functions (each test makes its own function)."""
    return AwsTarget.sandbox(sandbox_url)


@pytest.fixture(scope="module")
def role(account: AwsTarget) -> str:
    return execution_role(account)


# -- Invoke runs the handler ---------------------------------------------------------------------------------
def test_a_caller_needs_invoke_function_on_the_function(account: AwsTarget, role: str) -> None:
    """Invoke is authorized as lambda:InvokeFunction on the function's ARN (Service Authorization
    Reference): a role session whose policy does not allow it is refused with Lambda's
    AccessDeniedException naming that action, and the handler does not run; allowed, it runs."""
    arn = create_function(account, "guarded", package(**{"app.py": ECHO}), role)
    caller = service_role(account, "invoker", "codebuild.amazonaws.com")
    session = workloads.service_session(account, caller, "codebuild.amazonaws.com")
    with pytest.raises(ClientError) as raised:
        invoke(session, "guarded", {"n": 1})
    code, message = client_error(raised)
    assert code == "AccessDeniedException"
    assert f"is not authorized to perform: lambda:InvokeFunction on resource: {arn}" in message
    assert log_messages(account, "guarded") == []
    allow = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arn}
    service_role(account, "invoker", "codebuild.amazonaws.com", [allow])
    session = workloads.service_session(account, caller, "codebuild.amazonaws.com")
    assert json.loads(invoke(session, "guarded", {"n": 2})["Body"]) == {"n": 2}


WRITER = """import importlib.util, json, os, sys
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    s3.put_object(Bucket=event["bucket"], Key="from-lambda", Body=b"written")
    return {
        "caller": boto3.client("sts").get_caller_identity()["Arn"],
        "env": sorted(os.environ),
        "values": {k: os.environ[k] for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_LOG_GROUP_NAME", "_HANDLER", "TZ", "GREETING")},
        "context": [context.function_name, context.function_version, context.invoked_function_arn,
            context.memory_limit_in_mb, context.log_group_name, context.log_stream_name,
            context.aws_request_id, 0 < context.get_remaining_time_in_millis() <= 5000],
        "cwd": os.getcwd() == os.environ["LAMBDA_TASK_ROOT"],
        "path": [sys.path[0] == os.environ["LAMBDA_TASK_ROOT"],
            any("site-packages" in p for p in sys.path[4:])],
        "server_packages": [importlib.util.find_spec(m) is not None for m in ("moto", "launchpad", "yaml")],
    }
"""


def test_a_handler_runs_with_the_roles_credentials_and_writes_through_the_sandbox(account: AwsTarget) -> None:
    bucket = f"written-{account.account_id}"
    account.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": account.region}
    )
    role = execution_role(account, "writer", [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}])
    arn = create_function(
        account,
        "writer",
        package(**{"app.py": WRITER}),
        role,
        Timeout=5,
        MemorySize=256,
        Environment={"Variables": {"GREETING": "hello"}},
    )
    answer = invoke(account, "writer", {"bucket": bucket})
    assert (answer["StatusCode"], answer.get("FunctionError"), answer["ExecutedVersion"]) == (
        200,
        None,
        "$LATEST",
    )
    result = json.loads(answer["Body"])
    assert account.client("s3").get_object(Bucket=bucket, Key="from-lambda")["Body"].read() == b"written"
    assert result["caller"] == f"arn:aws:sts::{account.account_id}:assumed-role/writer/writer"
    assert result["values"] == {
        "AWS_LAMBDA_FUNCTION_NAME": "writer",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": account.region,
        "AWS_DEFAULT_REGION": account.region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/writer",
        "_HANDLER": "app.handler",
        "TZ": ":UTC",
        "GREETING": "hello",
    }
    name, version, invoked, memory, group, stream, request_id, remaining = result["context"]
    assert (name, version, invoked, memory, group, remaining) == (
        "writer",
        "$LATEST",
        arn,
        "256",
        "/aws/lambda/writer",
        True,
    )
    assert stream.startswith(time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime())) and request_id
    assert result["cwd"]
    # The task root first; none of the sandbox server's packages (boto3 and what it needs, as the runtime).
    assert result["path"] == [True, False] and result["server_packages"] == [False, False, False]
    # Nothing of the sandbox server's own environment: Lambda's variables, the function's, the sandbox's
    # endpoint and retry settings (and LC_CTYPE, which Python sets itself where LANG's locale is missing).
    sandbox = {
        "AWS_ENDPOINT_URL",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
        "AWS_EC2_METADATA_DISABLED",
        "NO_PROXY",
        "HOME",
        "TMPDIR",
        "LC_CTYPE",
    }
    assert set(result["env"]) - sandbox == {
        "_HANDLER",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "GREETING",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
        "LANG",
        "PATH",
        "TZ",
    }
    assert workloads.usage(account, role)["actions"]["s3:PutObject"] == 1


COUNTER = """import json

INITS = []
INITS.append(1)
CALLS = []
print("module loaded")


def handler(event, context):
    CALLS.append(1)
    return {"inits": len(INITS), "calls": len(CALLS)}
"""


def test_an_environment_runs_module_code_once_and_the_handler_per_invocation(
    account: AwsTarget, role: str
) -> None:
    create_function(account, "warm", package(**{"app.py": COUNTER}), role)
    first = invoke(account, "warm", LogType="Tail")
    second = invoke(account, "warm", LogType="Tail")
    assert [json.loads(a["Body"]) for a in (first, second)] == [
        {"inits": 1, "calls": 1},
        {"inits": 1, "calls": 2},
    ]
    cold, warm = tail(first), tail(second)
    assert cold[0] == "module loaded" and cold[1].startswith("START RequestId: ")
    assert "Init Duration: " in cold[-1] and "Init Duration" not in warm[-1]
    request_id = warm[0].split()[2]
    assert warm == [
        f"START RequestId: {request_id} Version: $LATEST",
        f"END RequestId: {request_id}",
        warm[-1],
    ]
    report = warm[-1].split("\t")
    assert report[0] == f"REPORT RequestId: {request_id}" and report[3] == "Memory Size: 128 MB"
    assert report[1].startswith("Duration: ") and report[2].startswith("Billed Duration: ")
    assert report[4].startswith("Max Memory Used: ")
    # The same lines in CloudWatch Logs, /aws/lambda/<function>, one stream per environment.
    streams = account.client("logs").describe_log_streams(logGroupName="/aws/lambda/warm")["logStreams"]
    assert len(streams) == 1 and f"START RequestId: {request_id} Version: $LATEST" in log_messages(
        account, "warm"
    )


def test_a_new_code_version_starts_a_new_environment(account: AwsTarget, role: str) -> None:
    create_function(account, "recoded", package(**{"app.py": COUNTER}), role)
    invoke(account, "recoded")
    account.client("lambda").update_function_code(
        FunctionName="recoded", ZipFile=package(**{"app.py": COUNTER})
    )
    assert json.loads(invoke(account, "recoded")["Body"]) == {"inits": 1, "calls": 1}


# -- function errors -----------------------------------------------------------------------------------------
FAILING = """def handler(event, context):
    if event.get("fail"):
        raise ValueError("no such customer")
    return {1, 2}
"""


@pytest.fixture(scope="module")
def failing(account: AwsTarget, role: str) -> str:
    return create_function(account, "failing", package(**{"app.py": FAILING}), role)


def test_a_handler_that_raises_answers_the_error_object_as_an_unhandled_function_error(
    account: AwsTarget, failing: str
) -> None:
    answer = invoke(account, "failing", {"fail": True}, LogType="Tail")
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    error = json.loads(answer["Body"])
    lines = tail(answer)
    request_id = lines[0].split()[2]
    assert error == {
        "errorMessage": "no such customer",
        "errorType": "ValueError",
        "requestId": request_id,
        "stackTrace": [error["stackTrace"][0]],
    }
    assert error["stackTrace"][0].endswith(
        'app.py", line 3, in handler\n    raise ValueError("no such customer")\n'
    )
    assert lines[1:3] == ["[ERROR] ValueError: no such customer", "Traceback (most recent call last):"]


def test_a_response_that_is_not_json_is_a_marshal_error(account: AwsTarget, failing: str) -> None:
    answer = invoke(account, "failing", {})
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Body"])
    assert (error["errorType"], error["errorMessage"], error["stackTrace"]) == (
        "Runtime.MarshalError",
        "Unable to marshal response: Object of type set is not JSON serializable",
        [],
    )


def test_a_missing_handler_module_or_function_is_the_runtimes_init_error(
    account: AwsTarget, role: str
) -> None:
    code = package(**{"app.py": ECHO})
    create_function(account, "no-module", code, role, handler="missing.handler")
    create_function(account, "no-function", code, role, handler="app.main")
    for name, error_type, message in (
        (
            "no-module",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        ("no-function", "Runtime.HandlerNotFound", "Handler 'main' missing on module 'app'"),
    ):
        answer = invoke(account, name)
        assert answer["FunctionError"] == "Unhandled"
        assert json.loads(answer["Body"]) == {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "",
            "stackTrace": [],
        }


SLEEPER = """import time

STARTS = []
STARTS.append(1)


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return len(STARTS)
"""


def test_a_function_running_past_its_timeout_is_stopped_with_lambdas_timeout_error(
    account: AwsTarget, role: str
) -> None:
    create_function(account, "sleeper", package(**{"app.py": SLEEPER}), role, Timeout=1)
    started = time.monotonic()
    answer = invoke(account, "sleeper", {"sleep": 3}, LogType="Tail")
    assert time.monotonic() - started < 2.9  # stopped at its timeout, not at the end of its sleep
    lines = tail(answer)
    request_id = lines[0].split()[2]
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Body"]) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    assert lines[-2].endswith("\tStatus: timeout")
    assert lines[-1].endswith(f" {request_id} Task timed out after 1.00 seconds")
    # The environment was stopped: the next invocation initializes a new one.
    assert json.loads(invoke(account, "sleeper")["Body"]) == 1


# -- how it is invoked ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def echo(account: AwsTarget, role: str) -> str:
    return create_function(account, "echo", package(**{"app.py": ECHO}), role)


def test_an_event_invocation_answers_202_and_runs_the_function_afterwards(
    account: AwsTarget, echo: str
) -> None:
    answer = invoke(account, "echo", {"marker": "async"}, InvocationType="Event")
    assert (answer["StatusCode"], answer["Body"]) == (202, b"")
    assert {"marker": "async"} in echoed(account, "echo")


def test_a_dry_run_answers_204_and_runs_nothing(account: AwsTarget, echo: str) -> None:
    answer = invoke(account, "echo", {"marker": "dry"}, InvocationType="DryRun")
    assert (answer["StatusCode"], answer["Body"]) == (204, b"")
    assert {"marker": "dry"} not in [
        json.loads(m[6:]) for m in log_messages(account, "echo") if m.startswith("EVENT ")
    ]


def test_reserved_concurrency_of_zero_throttles_every_synchronous_invocation(
    account: AwsTarget, echo: str
) -> None:
    account.client("lambda").put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    try:
        with pytest.raises(ClientError) as raised:
            invoke(account, "echo")
    finally:
        account.client("lambda").delete_function_concurrency(FunctionName="echo")
    error = raised.value.response
    assert client_error(raised) == ("TooManyRequestsException", "Rate Exceeded.")
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Reason"]) == (
        429,
        "ReservedFunctionConcurrentInvocationLimitExceeded",
    )


def test_payloads_over_lambdas_limits_or_not_json_are_refused(account: AwsTarget, echo: str) -> None:
    client = unchecked_client(account, "lambda")
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="echo", Payload=b'"' + b"x" * 1_048_600 + b'"', InvocationType="Event")
    assert client_error(raised) == (
        "RequestEntityTooLargeException",
        "1048602 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
    )
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="echo", Payload=b"not json")
    code, message = client_error(raised)
    assert code == "InvalidRequestContentException"
    assert message.startswith("Could not parse request body into json: Could not parse payload into json: ")


# -- what the sandbox does not run, and what CreateFunction refuses ------------------------------------------
def test_other_runtimes_and_container_images_are_refused_at_invoke(account: AwsTarget, role: str) -> None:
    create_function(
        account,
        "node",
        package(**{"index.js": "exports.handler = async () => 1;"}),
        role,
        Runtime="nodejs20.x",
        Handler="index.handler",
    )
    lam = account.client("lambda")
    lam.create_function(
        FunctionName="image",
        Role=role,
        PackageType="Image",
        Code={"ImageUri": f"{account.account_id}.dkr.ecr.{account.region}.amazonaws.com/fn:1"},
    )
    for name, message in (
        ("node", "function node has runtime nodejs20.x; the sandbox runs python3.x functions only"),
        (
            "image",
            "function image is a container image (PackageType Image); the sandbox runs no containers, "
            "only .zip functions with a python3.x runtime",
        ),
    ):
        with pytest.raises(ClientError) as raised:
            invoke(account, name)
        assert client_error(raised) == ("NotImplemented", f"launchpad sandbox: {message}")
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_create_function_refuses_a_role_lambda_cannot_take_reserved_variables_and_a_bad_package(
    account: AwsTarget, role: str
) -> None:
    other = service_role(account, "not-for-lambda", "codebuild.amazonaws.com")
    lam = account.client("lambda")
    cases = [
        ({"Role": other}, "The role defined for the function cannot be assumed by Lambda."),
        (
            {"Environment": {"Variables": {"AWS_REGION": "us-east-1", "OK": "1"}}},
            "Lambda was unable to configure your environment variables because the environment variables "
            "you have provided contains reserved keys that are currently not supported for modification. "
            "Reserved keys used in this request: AWS_REGION",
        ),
        (
            {"Code": {"ZipFile": b"not a zip"}},
            "Could not unzip uploaded file. Please check your file, then try to upload again.",
        ),
    ]
    for change, message in cases:
        params = {
            "FunctionName": "refused",
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "app.handler",
            "Code": {"ZipFile": package(**{"app.py": ECHO})},
        }
        with pytest.raises(ClientError) as raised:
            lam.create_function(**{**params, **change})
        assert client_error(raised) == ("InvalidParameterValueException", message)
    assert [
        f["FunctionName"] for f in lam.list_functions()["Functions"] if f["FunctionName"] == "refused"
    ] == []


def test_a_role_without_log_permissions_leaves_no_log_and_a_refusal(sandbox_target: AwsTarget) -> None:
    role = service_role(
        sandbox_target, "silent", LAMBDA, [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]
    )
    create_function(sandbox_target, "silent", package(**{"app.py": ECHO}), role)
    assert json.loads(invoke(sandbox_target, "silent", {"a": 1})["Body"]) == {"a": 1}
    assert (
        sandbox_target.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
        == []
    )
    [refusal] = workloads.refusals(sandbox_target)
    assert (refusal["service"], refusal["what"]) == ("lambda", "log of silent to /aws/lambda/silent")
    assert refusal["message"] == (
        f"User: arn:aws:sts::{sandbox_target.account_id}:assumed-role/silent/silent is not authorized to "
        f"perform: logs:CreateLogGroup on resource: arn:aws:logs:{sandbox_target.region}:"
        f"{sandbox_target.account_id}:log-group:/aws/lambda/silent because no identity-based policy allows "
        "the logs:CreateLogGroup action"
    )


def test_layers_are_unpacked_in_order_and_their_python_folder_is_importable(
    account: AwsTarget, role: str
) -> None:
    lam = account.client("lambda")
    first = lam.publish_layer_version(
        LayerName="base",
        Content={
            "ZipFile": package(**{"python/shared.py": "WHO = 'base'\n", "python/only_base.py": "X = 1\n"})
        },
    )
    second = lam.publish_layer_version(
        LayerName="over", Content={"ZipFile": package(**{"python/shared.py": "WHO = 'over'\n"})}
    )
    code = "import only_base, shared\n\ndef handler(event, context):\n    return [shared.WHO, only_base.X]\n"
    create_function(
        account,
        "layered",
        package(**{"app.py": code}),
        role,
        Layers=[first["LayerVersionArn"], second["LayerVersionArn"]],
    )
    assert json.loads(invoke(account, "layered")["Body"]) == ["over", 1]


# -- DeadLetterConfig and LoggingConfig ----------------------------------------------------------------------
def _queue(target: AwsTarget, name: str) -> tuple[str, str]:
    """A standard SQS queue of the target's account: (its URL, its ARN)."""
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _sends_to(*queues: str) -> list[dict[str, Any]]:
    return [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": list(queues)}]


def test_dead_letter_and_logging_configs_are_kept_and_answered_as_lambda_does(account: AwsTarget) -> None:
    """CreateFunction/UpdateFunctionConfiguration keep DeadLetterConfig and LoggingConfig, GetFunction and
    GetFunctionConfiguration answer them; LoggingConfig's defaults (Text, /aws/lambda/<function>) when not
    given, JSON's levels INFO; levels with Text and bad values are refused and change nothing."""
    _, first = _queue(account, "configs-dlq")
    _, second = _queue(account, "configs-dlq-2")
    role = execution_role(account, "configs", _sends_to(first, second))
    lam = account.client("lambda")
    code = package(**{"app.py": ECHO})
    create_function(account, "plain-config", code, role)
    plain = lam.get_function_configuration(FunctionName="plain-config")
    assert "DeadLetterConfig" not in plain
    assert plain["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/plain-config"}
    create_function(
        account,
        "configured",
        code,
        role,
        DeadLetterConfig={"TargetArn": first},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"},
    )
    for answer in (
        lam.get_function_configuration(FunctionName="configured"),
        lam.get_function(FunctionName="configured")["Configuration"],
    ):
        assert answer["DeadLetterConfig"] == {"TargetArn": first}
        assert answer["LoggingConfig"] == {
            "LogFormat": "JSON",
            "ApplicationLogLevel": "WARN",
            "SystemLogLevel": "INFO",
            "LogGroup": "/aws/lambda/configured",
        }
    updated = lam.update_function_configuration(
        FunctionName="configured",
        DeadLetterConfig={"TargetArn": second},
        LoggingConfig={"LogFormat": "Text", "LogGroup": "/launchpad/configured"},
    )
    assert updated["DeadLetterConfig"] == {"TargetArn": second}
    assert updated["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/launchpad/configured"}
    client = unchecked_client(account, "lambda")
    refused = [
        (
            {"LoggingConfig": {"LogFormat": "Text", "SystemLogLevel": "WARN"}},
            "InvalidParameterValueException",
            'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or '
            'change the LogFormat to "Json" and try again.',
        ),
        (
            {"LoggingConfig": {"LogFormat": "XML"}},
            "ValidationException",
            "1 validation error detected: Value 'XML' at 'loggingConfig.logFormat' failed to satisfy "
            "constraint: Member must satisfy enum value set: [JSON, Text]",
        ),
        (
            {
                "DeadLetterConfig": {
                    "TargetArn": f"arn:aws:lambda:{account.region}:{account.account_id}:function:x"
                }
            },
            "InvalidParameterValueException",
            "The target ARN of DeadLetterConfig must be an Amazon SQS queue or an Amazon SNS topic: "
            f"arn:aws:lambda:{account.region}:{account.account_id}:function:x",
        ),
    ]
    for change, error_code, message in refused:
        with pytest.raises(ClientError) as raised:
            client.update_function_configuration(FunctionName="configured", **change)
        assert client_error(raised) == (error_code, message)
    kept = lam.get_function_configuration(FunctionName="configured")
    assert (kept["DeadLetterConfig"], kept["LoggingConfig"]["LogFormat"]) == ({"TargetArn": second}, "Text")
    removed = lam.update_function_configuration(FunctionName="configured", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in removed


def test_a_dead_letter_queue_the_role_may_not_send_to_is_refused_and_nothing_is_kept(
    account: AwsTarget,
) -> None:
    """AWS checks at CreateFunction and UpdateFunctionConfiguration that the execution role may call
    SendMessage on the queue: refused, no function (or no change) is kept; allowed, it is."""
    _, allowed = _queue(account, "allowed-dlq")
    _, other = _queue(account, "other-dlq")
    role = execution_role(account, "dlq-sender", _sends_to(allowed))
    lam = account.client("lambda")
    code = package(**{"app.py": ECHO})
    message = "The provided execution role does not have permissions to call SendMessage on SQS"
    with pytest.raises(ClientError) as raised:
        create_function(account, "dlq-refused", code, role, DeadLetterConfig={"TargetArn": other})
    assert client_error(raised) == ("InvalidParameterValueException", message)
    assert "dlq-refused" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    create_function(account, "dlq-refused", code, role, DeadLetterConfig={"TargetArn": allowed})
    with pytest.raises(ClientError) as raised:
        lam.update_function_configuration(FunctionName="dlq-refused", DeadLetterConfig={"TargetArn": other})
    assert client_error(raised) == ("InvalidParameterValueException", message)
    assert lam.get_function_configuration(FunctionName="dlq-refused")["DeadLetterConfig"] == {
        "TargetArn": allowed
    }


def test_a_failed_asynchronous_invocation_goes_to_the_dead_letter_queue_after_two_retries(
    account: AwsTarget,
) -> None:
    """An Event invocation that fails is retried twice, then its event (the body unchanged) is sent to the
    dead-letter queue as the execution role, with Lambda's RequestID, ErrorCode and ErrorMessage."""
    url, queue = _queue(account, "failing-dlq")
    role = execution_role(account, "dead-letters", _sends_to(queue))
    create_function(
        account, "fails-async", package(**{"app.py": FAILING}), role, DeadLetterConfig={"TargetArn": queue}
    )
    answer = invoke(account, "fails-async", {"fail": True, "n": 7}, InvocationType="Event")
    assert answer["StatusCode"] == 202
    sqs = account.client("sqs")

    def received() -> list[dict[str, Any]]:
        found = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)
        return list(found.get("Messages", []))

    [letter] = poll(received, "the dead letter")
    assert json.loads(letter["Body"]) == {"fail": True, "n": 7}
    # Three attempts of the one invocation, each in the log under its request id; the same in the letter.
    starts = [m for m in log_messages(account, "fails-async") if m.startswith("START RequestId: ")]
    request_id = starts[0].split()[2]
    assert starts == [f"START RequestId: {request_id} Version: $LATEST"] * 3
    assert letter["MessageAttributes"] == {
        "RequestID": {"StringValue": request_id, "DataType": "String"},
        "ErrorCode": {"StringValue": "200", "DataType": "Number"},
        "ErrorMessage": {"StringValue": "no such customer", "DataType": "String"},
    }
    # sqs:SendMessage as the role twice: CreateFunction's check, and the delivery.
    assert workloads.usage(account, role)["actions"]["sqs:SendMessage"] == 2


def test_a_custom_log_group_gets_the_functions_log(account: AwsTarget, role: str) -> None:
    """LoggingConfig.LogGroup is where the function's log goes (and what its environment names); the
    default group is not made."""
    create_function(
        account,
        "custom-logs",
        package(**{"app.py": WRITER_GROUP}),
        role,
        LoggingConfig={"LogGroup": "/lp/fn"},
    )
    answer = invoke(account, "custom-logs", {"x": 1})
    assert json.loads(answer["Body"]) == ["/lp/fn", "/lp/fn"]
    logs = account.client("logs")
    messages = [e["message"] for e in logs.filter_log_events(logGroupName="/lp/fn")["events"]]
    assert 'EVENT {"x": 1}' in messages and any(m.startswith("REPORT RequestId: ") for m in messages)
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/custom-logs")["logGroups"] == []


WRITER_GROUP = (
    "import json, os\n\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n"
    "    return [os.environ['AWS_LAMBDA_LOG_GROUP_NAME'], context.log_group_name]\n"
)


# -- S3 notifications ----------------------------------------------------------------------------------------
def _notify(target: AwsTarget, bucket: str, function_arn: str) -> None:
    target.client("s3").put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "uploads",
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": "in/"},
                                {"Name": "suffix", "Value": ".csv"},
                            ]
                        }
                    },
                }
            ]
        },
    )


def test_an_s3_notification_invokes_the_function_the_bucket_may_invoke(sandbox_target: AwsTarget) -> None:
    target = sandbox_target
    bucket = f"uploads-{target.account_id}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    arn = create_function(target, "on-upload", package(**{"app.py": ECHO}), execution_role(target))
    with pytest.raises(ClientError) as raised:  # S3 checks that it may invoke the function, first
        _notify(target, bucket, arn)
    assert client_error(raised) == (
        "InvalidArgument",
        "Unable to validate the following destination configurations",
    )
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    target.client("lambda").add_permission(
        FunctionName="on-upload",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount=target.account_id,
    )
    _notify(target, bucket, arn)
    s3.put_object(Bucket=bucket, Key="in/skipped.txt", Body=b"no")  # filtered out by its suffix
    put = s3.put_object(Bucket=bucket, Key="in/a b.csv", Body=b"abc")
    [event] = echoed(target, "on-upload")
    [record] = event["Records"]
    assert {k: record[k] for k in ("eventVersion", "eventSource", "awsRegion", "eventName")} == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": target.region,
        "eventName": "ObjectCreated:Put",
    }
    assert record["s3"]["bucket"] == {
        "name": bucket,
        "ownerIdentity": {"principalId": target.account_id},
        "arn": f"arn:aws:s3:::{bucket}",
    }
    obj = record["s3"]["object"]
    assert (obj["key"], obj["size"], obj["eTag"], obj["versionId"]) == (
        "in/a+b.csv",
        3,
        put["ETag"].strip('"'),
        put["VersionId"],
    )
    assert record["s3"]["configurationId"] == "uploads" and len(obj["sequencer"]) >= 16
    assert workloads.refusals(target) == []


# -- what a reset and the server's end stop ------------------------------------------------------------------
def _workers(folder: Path) -> list[int]:
    """The execution environments (worker processes) of the sandbox whose state folder is ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"lambda_runner" in part for part in command) and str(folder).encode() in b" ".join(command):
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(
    not Path("/proc/self/cmdline").exists(), reason="reads /proc to find the worker processes"
)
def test_a_reset_and_the_servers_end_stop_every_environment(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    info = box.up(owner_pid=os.getpid())
    try:
        target = AwsTarget.sandbox(info.url)
        create_function(target, "sleepy", package(**{"app.py": SLEEPER}), execution_role(target), Timeout=60)
        invoke(target, "sleepy", {"sleep": 30}, InvocationType="Event")  # a busy environment, soon
        poll(lambda: len(_workers(tmp_path)) == 1, "the busy environment")
        assert json.loads(invoke(target, "sleepy")["Body"]) == 1  # and an idle one
        assert len(_workers(tmp_path)) == 2
        urllib.request.urlopen(urllib.request.Request(f"{info.url}/moto-api/reset", method="POST")).close()
        assert _workers(tmp_path) == []
        fresh = AwsTarget.sandbox(info.url)
        create_function(fresh, "sleepy", package(**{"app.py": SLEEPER}), execution_role(fresh))
        assert json.loads(invoke(fresh, "sleepy")["Body"]) == 1
        assert len(_workers(tmp_path)) == 1
    finally:
        box.down()
    assert _workers(tmp_path) == []
    assert [p.name for p in (tmp_path / "sandbox").iterdir() if p.name.startswith("lambda-")] == []
