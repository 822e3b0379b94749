"""SageMaker hosting in the sandbox starts the serving image's local stand-in from the deployed artifact:
unpacked into the model folder, asked ``/ping`` before it serves, failing the endpoint as SageMaker words it
when it does not answer or the artifact is not a safe tar.gz, shared by the fleets that use it and stopped
when none does (DeleteEndpoint, a completed update or a rollback, ``/moto-api/reset``, the sandbox's exit)."""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from launchpad.aws import AwsTarget
from launchpad.sandbox import Sandbox, control, local_servers, serving_images, workloads
from launchpad.sandbox.patches.sagemaker_hosting import ping_failure
from tests.sandbox.support import execution_role

pytestmark = pytest.mark.sandbox

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"  # another account's registry: pulled unchecked
IMAGE = f"{REGISTRY}/churn:1"
DEADLINE_SECONDS = 30.0

# A serving container's stand-in: answers /ping, and /invocations with the model folder's answer.txt.
# argv: <model dir> <port> [serve | hang | exit]
STAND_IN = """
import http.server, json, os, pathlib, sys

model_dir, port = pathlib.Path(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "serve"
if mode == "exit":
    print("cannot load the model", flush=True)
    sys.exit(3)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(200 if self.path == "/ping" and mode == "serve" else 503, b"{}")

    def do_POST(self):
        got = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        print(f"invoked with {len(got)} characters", flush=True)
        model = (model_dir / "answer.txt").read_text()
        answer = {"model": model, "got": got, "greeting": os.environ.get("GREETING")}
        answer.update(cwd=os.getcwd(), model_dir=str(model_dir))
        self.answer(200, json.dumps(answer).encode())

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


print(f"serving on {port}", flush=True)
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


# -- helpers -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("stand-in") / "serve.py"
    path.write_text(STAND_IN)
    return str(path)


def command(script: str, mode: str = "serve") -> list[str]:
    return [sys.executable, script, "{model_dir}", "{port}", mode]


def archive(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A tar.gz of ``members`` (name -> content) and symbolic ``links`` (name -> target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def upload(target: AwsTarget, artifacts: dict[str, bytes]) -> dict[str, str]:
    """A bucket of the target's account holding each artifact, readable by the execution role; key -> URI."""
    bucket = f"models-{target.account_id}"
    s3 = target.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": target.region})
    for key, body in artifacts.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    execution_role(target, statements=[read])
    return {key: f"s3://{bucket}/{key}" for key in artifacts}


def model(target: AwsTarget, name: str, artifact: str, image: str = IMAGE, **container: Any) -> None:
    role = f"arn:aws:iam::{target.account_id}:role/sagemaker"
    target.client("sagemaker").create_model(
        ModelName=name,
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": image, "ModelDataUrl": artifact, **container},
    )


def config(target: AwsTarget, name: str, model_name: str) -> None:
    variant = {
        "VariantName": "main",
        "ModelName": model_name,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    target.client("sagemaker").create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])


def endpoint(target: AwsTarget, name: str, config_name: str, **extra: Any) -> dict[str, Any]:
    sm = target.client("sagemaker")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, **extra)
    return dict(sm.describe_endpoint(EndpointName=name))


def until(what: str, found: Callable[[], Any]) -> Any:
    """``found()`` once it is truthy, polled until ``DEADLINE_SECONDS``."""
    return workloads.poll(found, DEADLINE_SECONDS, 0.1, what)


def described(target: AwsTarget, name: str) -> dict[str, Any]:
    return dict(target.client("sagemaker").describe_endpoint(EndpointName=name))


def ends(target: AwsTarget, name: str, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        now = described(target, name)
        return now if now["EndpointStatus"] == status else None

    return dict(until(f"{name} {status}", reached))


def invoke(url: str, payload: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{url}/invocations", data=payload.encode(), method="POST")
    with control.DIRECT.open(request, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def pids(target: AwsTarget) -> dict[str, int]:
    return {s["model"]: s["pid"] for s in serving_images.servers(target)}


# -- registering stand-ins -----------------------------------------------------------------------------------
BAD_REGISTRATIONS = [
    pytest.param(
        {"image": IMAGE, "cmd": []}, "unknown keys cmd; known: account, region, image", id="unknown-key"
    ),
    pytest.param(
        {"image": f"{REGISTRY}/churn"}, "is not <uri>:<tag> or <uri>@sha256:", id="image-without-tag"
    ),
    pytest.param({"image": "Not An Image:1"}, "is not <uri>:<tag>", id="not-an-image"),
    pytest.param({"command": ["/bin/true", "{port}"]}, "command must pass {model_dir}", id="no-model-dir"),
    pytest.param({"command": ["/bin/true", "{model_dir}"]}, "command must pass {port}", id="no-port"),
    pytest.param(
        {"command": ["/bin/true", "{model_dir}", "{port}", "{host}"]}, "unknown", id="unknown-placeholder"
    ),
    pytest.param(
        {"command": ["./serve", "{model_dir}", "{port}"]}, "neither an absolute path", id="relative"
    ),
    pytest.param(
        {"command": ["/no/such/serve", "{model_dir}", "{port}"]}, "not an executable file", id="missing"
    ),
    pytest.param(
        {"command": "serve {model_dir} {port}"}, "non-empty list of non-empty strings", id="not-a-list"
    ),
    pytest.param({"environment": {"BAD-NAME": "x"}}, "environment 'BAD-NAME'", id="bad-env-name"),
    pytest.param({"environment": {"N": 1}}, "values strings", id="env-not-a-string"),
    pytest.param(
        {"workdir": "relative/dir"}, "is not an absolute path to a directory", id="relative-workdir"
    ),
    pytest.param(
        {"startup_timeout_seconds": 0}, "is not a number of seconds in (0, 3600]", id="zero-timeout"
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_REGISTRATIONS)
def test_a_registration_the_sandbox_cannot_run_is_refused_with_a_400_saying_why(
    sandbox_target: AwsTarget, change: dict[str, Any], message: str
) -> None:
    registration = {"image": IMAGE, "command": ["/bin/true", "{model_dir}", "{port}"], **change}
    where = {"account": sandbox_target.account_id, "region": sandbox_target.region}
    request = urllib.request.Request(
        f"{sandbox_target.endpoint_url}{serving_images.ROUTE}",
        data=json.dumps({**where, **registration}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        control.DIRECT.open(request, timeout=10)
    assert raised.value.code == 400
    answer = json.loads(raised.value.read())
    assert answer["error"] == "BadRequest" and message in answer["message"]
    assert serving_images.registered(sandbox_target) == {}


def test_stand_ins_are_registered_listed_and_forgotten_per_account(
    sandbox_target: AwsTarget, script: str
) -> None:
    other = AwsTarget.sandbox(sandbox_target.endpoint_url or "")
    serving_images.register(sandbox_target, IMAGE, command(script), environment={"GREETING": "hi"})
    serving_images.register(
        sandbox_target, f"{REGISTRY}/churn@sha256:{'a' * 64}", ["python", "{model_dir}", "{port}"]
    )
    assert serving_images.registered(sandbox_target)[IMAGE] == {
        "command": command(script),
        "environment": {"GREETING": "hi"},
        "workdir": None,
        "startup_timeout_seconds": None,
    }
    assert serving_images.registered(other) == {}
    serving_images.clear(sandbox_target, IMAGE)
    assert list(serving_images.registered(sandbox_target)) == [f"{REGISTRY}/churn@sha256:{'a' * 64}"]
    serving_images.clear(sandbox_target)
    assert serving_images.registered(sandbox_target) == {}


# -- serving the deployed artifact ---------------------------------------------------------------------------
def test_an_endpoint_serves_its_artifact_from_the_stand_in_shared_by_its_endpoints_until_the_last_goes(
    sandbox_target: AwsTarget, script: str
) -> None:
    [uri] = upload(sandbox_target, {"v1/model.tar.gz": archive({"answer.txt": b"churn v1"})}).values()
    serving_images.register(
        sandbox_target, IMAGE, command(script), environment={"GREETING": "from the image"}
    )
    model(sandbox_target, "churn-v1", uri, Environment={"GREETING": "from the model"})
    config(sandbox_target, "churn-v1", "churn-v1")
    assert endpoint(sandbox_target, "churn", "churn-v1")["EndpointStatus"] == "InService"
    endpoint(sandbox_target, "churn-copy", "churn-v1")

    url = serving_images.url_for(sandbox_target, "churn-v1")
    assert url is not None
    answer = invoke(url, "a patient")
    # the container's Environment over the image's, run in a folder of its own
    assert answer["model"] == "churn v1" and answer["got"] == "a patient"
    assert answer["greeting"] == "from the model"
    [server] = serving_images.servers(sandbox_target)
    assert server["state"] == "InService" and server["artifact"] == uri and server["url"] == url
    assert Path(answer["model_dir"]).name == "model" and answer["cwd"] == str(
        Path(answer["model_dir"]).parent
    )
    assert [f["endpoint"] for f in server["fleets"]] == ["churn", "churn-copy"]  # one process for both

    sm = sandbox_target.client("sagemaker")
    sm.delete_endpoint(EndpointName="churn")
    assert not gone(server["pid"]) and invoke(url, "still")["model"] == "churn v1"
    sm.delete_endpoint(EndpointName="churn-copy")
    assert gone(server["pid"]) and serving_images.servers(sandbox_target) == []
    assert serving_images.url_for(sandbox_target, "churn-v1", timeout=1) is None


def test_each_line_of_the_stand_ins_output_is_written_as_the_role_or_dropped_as_a_refusal(
    sandbox_target: AwsTarget, script: str
) -> None:
    account, region = sandbox_target.account_id, sandbox_target.region
    [uri] = upload(sandbox_target, {"model.tar.gz": archive({"answer.txt": b"v1"})}).values()
    group = "/aws/sagemaker/Endpoints/e"
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    logging = ["logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"]
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::models-{account}/*"}
    allowed = {"Effect": "Allow", "Action": logging, "Resource": [group_arn, f"{group_arn}:*"]}
    execution_role(sandbox_target, statements=[read, allowed])
    logs = sandbox_target.client("logs")
    logs.create_log_group(logGroupName=group)
    serving_images.register(sandbox_target, IMAGE, command(script))
    model(sandbox_target, "m", uri)
    config(sandbox_target, "c", "m")
    endpoint(sandbox_target, "e", "c")
    url = serving_images.url_for(sandbox_target, "m")
    assert url is not None
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]

    def lines() -> list[str]:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        return [e["message"] for e in events]

    invoke(url, "abc")
    until("the invocation's line", lambda: "invoked with 3 characters" in lines())
    denied = {**allowed, "Effect": "Deny", "Action": "logs:PutLogEvents"}
    execution_role(sandbox_target, statements=[read, allowed, denied])
    invoke(url, "abcd")
    refusals = until(
        "the refused line",
        lambda: [r for r in workloads.refusals(sandbox_target) if r["what"] == f"container log to {group}"],
    )
    assert "logs:PutLogEvents" in refusals[0]["message"] and "with an explicit deny" in refusals[0]["message"]
    assert "invoked with 4 characters" not in lines()
    assert [s["output"][-1] for s in serving_images.servers(sandbox_target)] == ["invoked with 4 characters"]


def test_a_model_with_an_explicitly_registered_local_server_starts_no_stand_in(
    sandbox_target: AwsTarget, script: str
) -> None:
    [uri] = upload(sandbox_target, {"model.tar.gz": archive({"answer.txt": b"v1"})}).values()
    serving_images.register(sandbox_target, IMAGE, command(script))
    local_servers.register(sandbox_target, "http://127.0.0.1:9", model_data_url=uri)
    model(sandbox_target, "m", uri)
    config(sandbox_target, "c", "m")
    assert endpoint(sandbox_target, "e", "c")["EndpointStatus"] == "InService"
    assert serving_images.servers(sandbox_target) == []
    local_servers.clear(sandbox_target)


# -- a stand-in that does not start, an artifact that cannot be unpacked -------------------------------------
@pytest.mark.parametrize("mode", ["hang", "exit"])
def test_a_stand_in_that_does_not_pass_ping_fails_the_endpoint_as_sagemaker_words_it(
    sandbox_target: AwsTarget, script: str, mode: str
) -> None:
    [uri] = upload(sandbox_target, {"model.tar.gz": archive({"answer.txt": b"v1"})}).values()
    serving_images.register(sandbox_target, IMAGE, command(script, mode), startup_timeout_seconds=0.5)
    model(sandbox_target, "m", uri)
    config(sandbox_target, "c", "m")
    endpoint(sandbox_target, "e", "c")
    failed = ends(sandbox_target, "e", "Failed")
    assert failed["FailureReason"] == ping_failure("main")
    [server] = serving_images.servers(sandbox_target)
    assert server["state"] == "Failed" and gone(server["pid"])
    expected = "exited with code 3" if mode == "exit" else "did not answer GET /ping with 200 within 0.5 s"
    assert expected in server["failure"]


UNSAFE = [
    pytest.param(b"model", "not a gzip-compressed tar", id="not-gzip"),
    pytest.param(archive({"/etc/answer.txt": b"x"}), "'/etc/answer.txt' has an absolute path", id="absolute"),
    pytest.param(archive({"../answer.txt": b"x"}), "'../answer.txt' would be extracted to", id="dot-dot"),
    pytest.param(
        archive({}, {"answer.txt": "/etc/passwd"}), "is a symbolic link (to '/etc/passwd')", id="link"
    ),
]


@pytest.mark.parametrize(("body", "why"), UNSAFE)
def test_an_artifact_that_is_not_a_safe_tar_gz_fails_the_endpoint_at_once(
    sandbox_target: AwsTarget, script: str, body: bytes, why: str
) -> None:
    [uri] = upload(sandbox_target, {"model.tar.gz": body}).values()
    serving_images.register(sandbox_target, IMAGE, command(script))
    model(sandbox_target, "m", uri)
    config(sandbox_target, "c", "m")
    failed = endpoint(sandbox_target, "e", "c")
    assert failed["EndpointStatus"] == "Failed"
    assert failed["FailureReason"].startswith(
        f'Failed to extract model data archive for container "container_1" from URL "{uri}". Please ensure '
        "that the object located at the URL is a valid tar.gz archive. ("
    )
    assert why in failed["FailureReason"]
    assert serving_images.servers(sandbox_target) == []


def test_a_model_the_sandbox_cannot_host_fails_the_endpoint_saying_so(
    sandbox_target: AwsTarget, script: str
) -> None:
    [uri] = upload(sandbox_target, {"model/": b""}).values()
    serving_images.register(sandbox_target, IMAGE, command(script))
    source = {"S3DataSource": {"S3Uri": uri, "S3DataType": "S3Prefix", "CompressionType": "None"}}
    role = f"arn:aws:iam::{sandbox_target.account_id}:role/sagemaker"
    sandbox_target.client("sagemaker").create_model(
        ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": IMAGE, "ModelDataSource": source}
    )
    config(sandbox_target, "c", "m")
    failed = endpoint(sandbox_target, "e", "c")
    assert failed["FailureReason"] == (
        "The sandbox hosts compressed model data (a tar.gz) only: model m has uncompressed model data at "
        f"{uri}."
    )


# -- updates: a failing new fleet, the old fleet's server after completion and rollback ----------------------
@pytest.mark.parametrize("scale", [None, "0.02"], ids=["completes-in-the-call", "in-flight"])
def test_an_update_whose_stand_in_fails_ends_failed_on_the_previous_configuration(
    sandbox_target: AwsTarget, script: str, scale: str | None
) -> None:
    uris = upload(sandbox_target, {"v1.tar.gz": archive({"answer.txt": b"v1"}), "v2.tar.gz": archive({})})
    serving_images.register(sandbox_target, IMAGE, command(script))
    serving_images.register(sandbox_target, f"{REGISTRY}/churn:2", command(script, "exit"))
    model(sandbox_target, "v1", uris["v1.tar.gz"])
    model(sandbox_target, "v2", uris["v2.tar.gz"], image=f"{REGISTRY}/churn:2")
    config(sandbox_target, "c1", "v1")
    config(sandbox_target, "c2", "v2")
    tags = [{"Key": "launchpad:sandbox:time-scale", "Value": scale}] if scale else []
    endpoint(sandbox_target, "e", "c1", Tags=tags)
    sandbox_target.client("sagemaker").update_endpoint(EndpointName="e", EndpointConfigName="c2")
    failed = ends(sandbox_target, "e", "Failed")
    assert failed["FailureReason"] == ping_failure("main")
    assert failed["EndpointConfigName"] == "c1"


def test_a_completed_update_stops_the_old_fleets_stand_in_and_a_rollback_keeps_the_same_process(
    sandbox_target: AwsTarget, script: str
) -> None:
    uris = upload(sandbox_target, {f"{v}.tar.gz": archive({"answer.txt": v.encode()}) for v in ("v1", "v2")})
    serving_images.register(sandbox_target, IMAGE, command(script))
    for version in ("v1", "v2"):
        model(sandbox_target, version, uris[f"{version}.tar.gz"])
        config(sandbox_target, version, version)
    sm, cloudwatch = sandbox_target.client("sagemaker"), sandbox_target.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="errors",
        MetricName="Invocation5XXErrors",
        Namespace="AWS/SageMaker",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    endpoint(sandbox_target, "e", "v1", Tags=[{"Key": "launchpad:sandbox:time-scale", "Value": "0.02"}])
    v1 = until("v1's server", lambda: pids(sandbox_target).get("v1"))
    guarded = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600}
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]},
    }
    sm.update_endpoint(EndpointName="e", EndpointConfigName="v2", DeploymentConfig=guarded)
    v2 = until("v2's server", lambda: pids(sandbox_target).get("v2"))
    cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="test")
    rolled_back = ends(sandbox_target, "e", "InService")
    assert rolled_back["EndpointConfigName"] == "v1"
    until("v2's server stopped", lambda: gone(v2))
    assert pids(sandbox_target) == {"v1": v1}  # the old fleet's process served on

    cloudwatch.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="test")
    sm.update_endpoint(EndpointName="e", EndpointConfigName="v2")
    assert ends(sandbox_target, "e", "InService")["EndpointConfigName"] == "v2"
    until("v1's server stopped", lambda: gone(v1))
    url = serving_images.url_for(sandbox_target, "v2")
    assert url is not None and invoke(url, "x")["model"] == "v2"
    sm.delete_endpoint(EndpointName="e")


# -- reset and the sandbox's exit ----------------------------------------------------------------------------
@pytest.fixture
def own_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "state")
    box.up(owner_pid=os.getpid())
    yield box
    box.down()


def _serving(target: AwsTarget, script: str) -> int:
    """An endpoint served by a stand-in in ``target``: its process id, once it answers /ping."""
    [uri] = upload(target, {"model.tar.gz": archive({"answer.txt": b"v1"})}).values()
    serving_images.register(target, IMAGE, command(script))
    model(target, "m", uri)
    config(target, "c", "m")
    endpoint(target, "e", "c")
    assert serving_images.url_for(target, "m") is not None
    [server] = serving_images.servers(target)
    return int(server["pid"])


def test_a_reset_and_the_sandboxs_exit_stop_every_stand_in(own_sandbox: Sandbox, script: str) -> None:
    info = own_sandbox.require()
    first = _serving(AwsTarget.sandbox(info.url), script)
    own_sandbox.reset()
    assert gone(first)
    target = AwsTarget.sandbox(info.url)
    assert serving_images.registered(target) == {}  # the reset forgot the stand-ins too
    second = _serving(target, script)
    own_sandbox.down()
    assert gone(second)
