"""What a Lambda Invoke costs on the sandbox, cold and warm (for ``launchpad bench``).

In a fresh sandbox account, a Python function that returns its event (no imports: the runtime's own cost,
not boto3's). A cold invoke is the first after the function's code changes: the sandbox takes the execution
role, unpacks the new code and starts a new execution environment (a worker process) whose init imports the
handler. A warm invoke reuses the environment. Each figure is the client's round trip of a synchronous
``Invoke`` (the boto3 call), in ms: ``COLD_ROUNDS`` code versions for the cold percentiles, ``WARM_ROUNDS``
invokes of the last version for the warm ones.
"""

from __future__ import annotations

import io
import json
import statistics
import time
import zipfile
from typing import Any

from botocore.config import Config

from launchpad.aws import AwsTarget
from launchpad.errors import SandboxError

NAME = "bench-echo"
COLD_ROUNDS = 10
WARM_ROUNDS = 50
_HANDLER = "def handler(event, context):\n    return event\n"


def _package(version: int) -> bytes:
    """The function's code; each version differs (a new version gets new environments)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", f"VERSION = {version}\n{_HANDLER}")
    return buffer.getvalue()


def _role(target: AwsTarget) -> str:
    iam = target.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    logs = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }
    arn = str(iam.create_role(RoleName=NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    policy = {"Version": "2012-10-17", "Statement": [logs]}
    iam.put_role_policy(RoleName=NAME, PolicyName=NAME, PolicyDocument=json.dumps(policy))
    return arn


def _invoke_ms(client: Any, event: dict[str, Any]) -> float:
    """One synchronous Invoke's round trip, in ms (SandboxError if the function did not answer the event)."""
    started = time.perf_counter()
    answer = client.invoke(FunctionName=NAME, Payload=json.dumps(event))
    elapsed = (time.perf_counter() - started) * 1000
    body = answer["Payload"].read()
    if answer.get("FunctionError") or json.loads(body) != event:
        raise SandboxError(f"the bench function answered {body[:300]!r} ({answer.get('FunctionError')})")
    return elapsed


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure_lambda(endpoint_url: str) -> dict[str, float]:
    """Invoke's round trip on the sandbox at ``endpoint_url``: p50 and p99 (ms), cold and warm."""
    target = AwsTarget.sandbox(endpoint_url)
    client = target.new_client("lambda", Config(retries={"max_attempts": 1, "mode": "standard"}))
    client.create_function(
        FunctionName=NAME,
        Runtime="python3.12",
        Role=_role(target),
        Handler="app.handler",
        Code={"ZipFile": _package(0)},
    )
    cold = [_invoke_ms(client, {"round": 0})]
    for version in range(1, COLD_ROUNDS):
        client.update_function_code(FunctionName=NAME, ZipFile=_package(version))
        cold.append(_invoke_ms(client, {"round": version}))
    warm = [_invoke_ms(client, {"warm": n}) for n in range(WARM_ROUNDS)]
    return {
        "lambda_invoke_cold_p50_ms": round(statistics.median(cold), 1),
        "lambda_invoke_cold_p99_ms": round(_p99(cold), 1),
        "lambda_invoke_warm_p50_ms": round(statistics.median(warm), 1),
        "lambda_invoke_warm_p99_ms": round(_p99(warm), 1),
    }
