"""Lambda: ``Invoke`` runs the function's Python handler, as its execution role, in an execution environment.

AWS (Lambda API Reference ``API_Invoke``, ``API_CreateFunction``, ``API_UpdateFunctionConfiguration``,
``API_DeadLetterConfig``, ``API_LoggingConfig``, ``API_AddPermission``; Lambda Developer Guide "Lambda
runtimes", "Understanding the Lambda execution environment lifecycle", "Using Lambda environment variables"
(defined runtime environment variables), "Securing Lambda environment variables", "Data encryption at rest
for AWS Lambda", "Configure Lambda function timeout", "Configuring reserved
concurrency", "Lambda quotas", "Sending Lambda function logs to CloudWatch Logs", "Configuring advanced
logging controls", "Log-level filtering", "Asynchronous invocation", "Capturing records of Lambda
asynchronous invocations" (dead-letter queues), "Defining Lambda function permissions with an execution
role", "Working with resource-based IAM policies in Lambda"):

- ``Invoke`` ``RequestResponse`` answers 200 with the handler's return value as JSON; a handler that raised
  (or a runtime failure: an import error, a response that is not JSON-serialisable) answers 200 with
  ``X-Amz-Function-Error: Unhandled`` and the error object (``launchpad.sandbox.lambda_runner`` words them
  as the Python runtime does). ``Event`` answers 202 and runs the function later; ``DryRun`` answers 204 and
  runs nothing. ``LogType: Tail`` adds the last 4 KB of the invocation's log, base64, as
  ``X-Amz-Log-Result``. ``X-Amz-Executed-Version`` names the version that ran.
- Limits: a synchronous request over 6 MB (6,291,456 bytes) or an asynchronous one over 1 MB is refused with
  413 ``RequestEntityTooLargeException`` (the code Lambda sends for botocore's ``RequestTooLargeException``
  shape); a payload that is not JSON is ``InvalidRequestContentException``; a response over 6 MB is a
  ``Function.ResponseSizeTooLarge`` function error. A function whose reserved concurrency
  (``PutFunctionConcurrency``) is in use (0: always) throttles a synchronous call with 429
  ``TooManyRequestsException``, Reason ``ReservedFunctionConcurrentInvocationLimitExceeded``.
- The function runs in an execution environment: Lambda takes the execution role as ``lambda.amazonaws.com``
  (the role's trust policy must allow it, with ``aws:SourceArn`` the function and ``aws:SourceAccount`` its
  account; ``CreateFunction`` and ``UpdateFunctionConfiguration`` are refused with
  ``InvalidParameterValueException`` "The role defined for the function cannot be assumed by Lambda." when it
  does not) and hands the role's temporary credentials to the function, with the function's environment
  variables and Lambda's reserved ones (``AWS_LAMBDA_FUNCTION_NAME``, ``_VERSION``, ``_MEMORY_SIZE``,
  ``AWS_LAMBDA_LOG_GROUP_NAME``, ``_LOG_STREAM_NAME``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
  ``AWS_EXECUTION_ENV``, ``LAMBDA_TASK_ROOT``, ``LAMBDA_RUNTIME_DIR``, ``_HANDLER``, ``TZ``, ``LANG``,
  ``PATH``), which a function's configuration may not set (``InvalidParameterValueException`` naming the
  reserved keys). The deployment package and its layers (extracted into ``/opt`` in the order listed) may
  not unzip to more than 250 MB.
- Environment variables are encrypted at rest with ``KMSKeyArn`` (Lambda's own key when not given; an empty
  one in ``UpdateFunctionConfiguration`` goes back to it). With a customer managed key, Lambda decrypts them
  as the execution role (``kms:Decrypt`` on the key, encryption context ``aws:lambda:FunctionArn`` the
  function) when an execution environment starts; "no AWS KMS permissions are required for your user or the
  function's execution role to use the default encryption key". Refused, the invocation fails with 502
  ``KMSAccessDeniedException`` "Lambda was unable to decrypt the environment variables because KMS access was
  denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedExceptionKMS Message:
  <KMS's message>" (as AWS answers it, e.g. "... because no identity-based policy allows the kms:Decrypt
  action"), and the function does not run; a disabled key is ``KMSDisabledException``, one pending deletion
  ``KMSInvalidStateException``, a missing one ``KMSNotFoundException`` (502, the API reference's messages).
- A function in a VPC (``VpcConfig``): Lambda makes and deletes its network interfaces as the execution role,
  and checks at ``CreateFunction`` and ``UpdateFunctionConfiguration`` that the role may
  (``launchpad.sandbox.patches.awslambda_network``).
- An environment runs one invocation at a time; its module-level code runs once (init), the handler once per
  invocation. A new code or configuration gets new environments; idle ones are shut down after a while.
  ``Timeout`` ends an invocation that runs longer (``Sandbox.Timedout``, "Task timed out after 1.00
  seconds") and its environment.
- The log (``START RequestId: <id> Version: <v>``, the function's output, ``END RequestId: <id>``, ``REPORT
  RequestId: <id> Duration: ... Billed Duration: ... Memory Size: ... Max Memory Used: ...``) goes to the log
  group ``LoggingConfig.LogGroup`` (``/aws/lambda/<function>`` unless configured; also the environment's
  ``AWS_LAMBDA_LOG_GROUP_NAME``), one stream per environment, written with the execution role's
  permissions (``logs:CreateLogGroup`` when the group is missing, ``logs:CreateLogStream``,
  ``logs:PutLogEvents``); a role without them leaves no log, silently (kept here as a refusal).
- ``DeadLetterConfig`` (``TargetArn``: an SQS queue or SNS topic ARN, else ``InvalidParameterValueException``;
  an empty one removes it) and ``LoggingConfig`` (``LogFormat`` ``Text`` or ``JSON``, ``Text`` and
  ``/aws/lambda/<function>`` when not given; ``ApplicationLogLevel``/``SystemLogLevel`` only with ``JSON``,
  ``INFO`` when not given, refused with ``Text``: "LogLevel is not supported when LogFormat is set to
  "Text"...") are kept by ``CreateFunction`` and ``UpdateFunctionConfiguration`` (its ``LoggingConfig`` is the
  whole configuration) and answered by ``GetFunction``, ``GetFunctionConfiguration`` and ``ListFunctions``.
  Both calls check that the execution role may send to the target (``sqs:SendMessage``/``sns:Publish``;
  ``InvalidParameterValueException`` "The provided execution role does not have permissions to call
  SendMessage on SQS"), and keep nothing when refused.
- An asynchronous invocation (``Event``, S3 notifications, EventBridge rules and Scheduler targets) whose
  function fails (an error, a timeout, a runtime failure) is retried ``MaximumRetryAttempts`` times
  (``PutFunctionEventInvokeConfig``; 2 by default) under the same request id; then its event, unchanged, is
  sent to the dead-letter target as the execution role (SQS ``SendMessage``/SNS ``Publish``, authorized as
  that call, with the KMS key of an encrypted topic or queue), with the message attributes ``RequestID``
  (String), ``ErrorCode`` (Number: 200 for a function error, 429 when throttled) and ``ErrorMessage``
  (String, the error's message cut to 1 KB). Without a dead-letter target the event is discarded (logged);
  a refused or failed delivery (no such queue, a FIFO queue, a message too large) is dropped and kept as a
  refusal. A function with reserved concurrency 0 sends the event to the target at once, without retries.
- Who may invoke: ``lambda:InvokeFunction`` on the function, from the caller's identity policies or the
  function's resource-based policy (``AddPermission``; for AWS services such as S3 and EventBridge, the
  policy names the service and the source: ``launchpad.sandbox.authz.policies``).

How the sandbox runs it (``launchpad.sandbox.lambda_runner`` is the environment's side): one local worker
process per environment, ``python -I -S`` with an environment of nothing but the variables above,
``AWS_ENDPOINT_URL`` pointing at the sandbox (plus ``AWS_MAX_ATTEMPTS``/``AWS_RETRY_MODE``, as the sandbox's
clients cap retries, and ``HOME`` in the environment's own ``/tmp``), the code and layers unpacked once per
code version under the server's state folder, and on ``sys.path`` only the task root, the layers and
boto3 with what it needs (what the Python runtime ships), not the server's packages. A timed-out or failed
environment is killed with its process group. A sandbox reset and the server's end (``lifecycle``) drop the
queued asynchronous invocations and kill every environment, idle or busy; an invocation a reset cut short
writes nothing into the new state. The Invoke overhead (``bench_lambda``): ~85 ms cold, ~5 ms warm.

Not modelled, and said so:
- Non-Python runtimes and ``PackageType: Image`` are refused at ``Invoke`` (HTTP 501 ``NotImplemented``): the
  sandbox runs no containers and no other language. Every ``python3.x`` runtime runs on the sandbox's own
  interpreter (``AWS_EXECUTION_ENV`` still names the function's runtime).
- ``MemorySize`` is not an address-space limit: Python and boto3 map far more virtual memory than they use,
  so ``RLIMIT_AS`` at the function's size would fail imports that run in AWS. The worker's peak resident
  memory is measured instead (``Max Memory Used``) and an invocation that went over ``MemorySize`` fails as
  AWS's out-of-memory kill does (``Runtime.OutOfMemory``), afterwards; the address space is capped only far
  above it (twice the size, at least 1 GB more), so a runaway function cannot take the machine.
- Asynchronous invocations: retries follow at once (Lambda waits one, then two minutes); a throttled one
  waits for concurrency for at most ``THROTTLE_WAIT`` seconds (Lambda: up to 6 hours), then goes to the
  dead-letter target; one whose role cannot be taken or whose environment variables cannot be decrypted is
  dropped and kept as a refusal (Lambda returns an event that failed with a 500-series error, such as the
  KMS ones, to its queue for up to 6 hours); ``MaximumEventAgeInSeconds`` is not applied;
  on-success/on-failure destinations (``DestinationConfig``) receive nothing (kept as a refusal when an
  invocation fails); the 202 answer's request id is not the invocation's (moto answers its own).
- A customer managed ``KMSKeyArn``: the caller's own permissions on the key (``kms:CreateGrant`` and
  ``kms:Encrypt`` to configure it on a function, ``kms:Decrypt`` to view the variables: "Lambda uses your
  permissions to create a grant on the key") are not checked, and ``GetFunction`` always answers the
  variables in plain text.
- ``LoggingConfig``: the log is written as text whatever ``LogFormat`` says, and not filtered by the log
  levels. A dead-letter target in another account is refused (501): the sandbox evaluates no queue or topic
  policy.
- Lambda's own invocations from SQS, Kinesis and DynamoDB event source mappings, SNS subscriptions and
  CloudWatch Logs subscription filters (moto's paths into a function) are refused and kept as refusals: the
  sandbox would not check the function's resource policy for them. ``Invoke`` by a role session or user
  needs ``lambda:InvokeFunction`` (``authz.catalog``) from its identity policies or the function's policy.
- At most ``MAX_ENVIRONMENTS`` environments run at once in the whole sandbox (a small machine): past that a
  synchronous call is throttled (``ConcurrentInvocationLimitExceeded``), as an account at its concurrency
  quota is.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import concurrent.futures
import contextlib
import io
import json
import logging
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from moto.awslambda.exceptions import InvalidParameterValueException, UnknownFunctionException
from moto.awslambda.models import LambdaBackend, LambdaFunction, LambdaStorage
from moto.awslambda.policy import Policy
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend
from moto.core.exceptions import JsonRESTError
from moto.kms.models import kms_backends
from moto.logs.models import logs_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from launchpad.sandbox import authz, lambda_runner, lifecycle
from launchpad.sandbox.authz import acting, arns, documents, principals, requests
from launchpad.sandbox.authz.documents import PolicyKind
from launchpad.sandbox.authz.principals import KEYS, Principal
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches import awslambda_network as network
from launchpad.sandbox.patches import sts

log = logging.getLogger(__name__)

SERVICE = network.SERVICE  # lambda.amazonaws.com
SYNC_REQUEST_MAX = 6_291_456  # "For synchronous invocations, the maximum payload size is 6 MB." (API_Invoke)
ASYNC_REQUEST_MAX = 1_048_576  # "For asynchronous invocations, the maximum payload size is 1 MB."
RESPONSE_MAX = 6_291_556  # the size Lambda names in Function.ResponseSizeTooLarge
LOG_TAIL_BYTES = 4096  # LogResult: "The last 4 KB of the execution log"
UNZIPPED_MAX = 262_144_000  # "Deployment package (.zip file archive) size: 250 MB (unzipped)" (Lambda quotas)
INIT_SECONDS = 10.0  # the init phase's own limit, before the handler's Timeout
IDLE_SECONDS = 120.0  # an environment nobody used for this long is shut down
MAX_IDLE = 8  # idle environments kept at most (oldest shut down first)
MAX_ENVIRONMENTS = 10  # environments at once in the whole sandbox
ASYNC_WORKERS = 2
# Seconds a throttled asynchronous invocation waits for concurrency (AWS: up to 6 hours).
THROTTLE_WAIT = 300.0
PREFIX = "launchpad sandbox: "
PYTHON_RUNTIME = re.compile(r"python3\.\d+")
# "Defined runtime environment variables": reserved, a function's configuration may not set them.
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
# What boto3 needs, as the Python runtime ships it (LAMBDA_RUNTIME_DIR).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
NO_ROLE = "The role defined for the function cannot be assumed by Lambda."
_MARK = "_launchpad_lambda_patch"
_ORIGINAL_ADD_PERMISSION = LambdaBackend.add_permission


# -- errors, as Lambda answers them --------------------------------------------------------------------------
class LambdaError(JsonRESTError):
    """A Lambda error with the ``Type`` field Lambda's JSON errors carry (``User`` for the caller's fault)."""

    def __init__(self, error_type: str, message: str, status: int, **extra: str) -> None:
        super().__init__(error_type, message)
        self.code = status
        self.description = json.dumps({"Type": "User", "message": message, **extra})


class TooManyRequests(LambdaError):
    def __init__(self, reason: str) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.", 429, Reason=reason)


class RequestTooLarge(LambdaError):
    def __init__(self, message: str) -> None:
        super().__init__("RequestEntityTooLargeException", message, 413)


class InvalidRequestContent(LambdaError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestContentException", message, 400)


class NotModelled(JsonRESTError):
    """What the sandbox does not run: HTTP 501, as the authorization gate refuses what it cannot map."""

    def __init__(self, message: str) -> None:
        super().__init__("NotImplemented", f"launchpad sandbox: {message}")
        self.code = 501


class EnvironmentFailed(Exception):
    """The environment could not be made (its role cannot be taken)."""


# -- the function as one invocation sees it ------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """What an invocation runs: the function's code and configuration at one version."""

    account: str
    region: str
    name: str
    arn: str  # the unqualified function ARN
    version: str  # $LATEST or a number
    handler: str
    runtime: str
    memory: int
    timeout: float
    role: str
    variables: tuple[tuple[str, str], ...]
    code_sha: str
    revision: str  # a new one for every code update, even of the same package
    layers: tuple[str, ...]
    package_type: str
    reserved: int | None
    log_group: str  # LoggingConfig.LogGroup: /aws/lambda/<function> unless configured
    kms_key: str | None = None  # KMSKeyArn: the key of the environment variables (None: Lambda's default)

    @property
    def key(self) -> tuple[Any, ...]:
        """Environments run one spec: a new code or configuration gets new ones."""
        return (self.arn, self.version, self.handler, self.runtime, self.memory, self.timeout, self.role,
                self.variables, self.code_sha, self.revision, self.layers, self.log_group,
                self.kms_key)  # fmt: skip


def spec_of(fn: LambdaFunction) -> Spec:
    reserved = fn.reserved_concurrency
    return Spec(
        account=fn.account_id,
        region=fn.region,
        name=fn.function_name,
        arn=f"arn:{fn.partition}:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}",
        version=str(fn.version),
        handler=str(fn.handler or ""),
        runtime=str(fn.run_time or ""),
        memory=int(fn.memory_size or 128),
        timeout=float(fn.timeout or 3),
        role=fn.role,
        variables=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
        code_sha=str(getattr(fn, "code_digest", "") or ""),
        revision=str((fn.code or {}).get("UUID") or getattr(fn, "code_digest", "") or ""),
        layers=tuple(layer["Arn"] for layer in fn.layers),
        package_type=str(fn.package_type or "Zip"),
        reserved=int(reserved) if reserved is not None else None,
        log_group=stored_logging(fn)["LogGroup"],
        kms_key=str(fn.kms_key_arn) if fn.kms_key_arn else None,
    )


def check_runnable(spec: Spec) -> None:
    """Refuse what the sandbox does not run (it has no containers and runs Python only)."""
    if spec.package_type == "Image":
        raise NotModelled(
            f"function {spec.name} is a container image (PackageType Image); the sandbox runs no containers, "
            "only .zip functions with a python3.x runtime"
        )
    if not PYTHON_RUNTIME.fullmatch(spec.runtime):
        raise NotModelled(
            f"function {spec.name} has runtime {spec.runtime or 'none'}; the sandbox runs python3.x "
            "functions only"
        )


# -- the code, unpacked once per version ---------------------------------------------------------------------
_CACHE_LOCK = threading.Lock()
_CACHE: dict[str, Path] = {}


def state_folder() -> Path:
    """Where the sandbox keeps unpacked code: beside the server's ready file (its state folder), else a
    temporary folder of this process."""
    with _CACHE_LOCK:
        if "root" not in _CACHE:
            argv = sys.argv
            ready = argv[argv.index("--ready-file") + 1] if "--ready-file" in argv[:-1] else None
            base = Path(ready).parent if ready else Path(tempfile.gettempdir())
            base.mkdir(parents=True, exist_ok=True)
            _CACHE["root"] = Path(tempfile.mkdtemp(prefix="lambda-", dir=base))
        return _CACHE["root"]


def _unpack(kind: str, key: str, archives: Iterable[bytes]) -> Path:
    """``archives`` extracted in order into one folder (later ones overwrite), once per ``key``."""
    target = state_folder() / kind / key
    with _CACHE_LOCK:
        if target.is_dir():
            return target
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent.parent))
        try:
            for archive in archives:
                with zipfile.ZipFile(io.BytesIO(archive)) as unzipped:
                    unzipped.extractall(partial)  # drops absolute paths and ".." (zipfile's own rule)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.rename(target)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return target


def task_root(fn: LambdaFunction) -> Path:
    return _unpack("code", fn.code_digest, [fn.code_bytes])


def opt_root(spec: Spec) -> Path:
    """The layers, extracted into one /opt in the order the function lists them."""
    layers = []
    for arn in spec.layers:
        parts = arn.split(":")
        layer = get_backend(parts[4], parts[3]).layers_versions_by_arn(arn)
        if layer is None:
            raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
        layers.append(layer)
    key = "-".join(layer.code_digest[:16] for layer in layers) or "none"
    return _unpack("opt", key, [layer.code_bytes for layer in layers])


def runtime_root() -> Path:
    """boto3 and what it needs, linked from the sandbox's own installation: the runtime's libraries."""
    import importlib.util

    target = state_folder() / "runtime"
    with _CACHE_LOCK:
        if target.is_dir():
            return target
        target.mkdir(parents=True)
        for name in RUNTIME_PACKAGES:
            found = importlib.util.find_spec(name)
            if found is None or found.origin is None:
                continue
            origin = Path(found.origin)
            source = origin.parent if found.submodule_search_locations else origin
            (target / source.name).symlink_to(source)
        return target


def check_code(code: bytes) -> None:
    """CreateFunction's and UpdateFunctionCode's checks of a .zip package."""
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as unzipped:
            size = sum(info.file_size for info in unzipped.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    if size > UNZIPPED_MAX:
        raise InvalidParameterValueException(f"Unzipped size must be smaller than {UNZIPPED_MAX} bytes")


# -- one execution environment -------------------------------------------------------------------------------
class EnvironmentGone(Exception):
    """The worker process ended (the function exited, or was killed)."""

    def __init__(self, status: int | None) -> None:
        super().__init__(f"exit status {status}")
        self.status = status


@dataclass(eq=False)  # one environment is one process: compared and hashed by identity
class Environment:
    spec: Spec
    process: subprocess.Popen[bytes]
    log_path: Path
    tmp: Path
    access_key: str
    principal: Principal
    stream: str
    read_offset: int = 0
    pending: bytes = b""
    initialized: bool = False
    stream_made: bool = False
    idle_since: float = field(default_factory=time.monotonic)

    def send(self, request: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            raise EnvironmentGone(self.process.poll()) from None

    def _line(self, deadline: float) -> dict[str, Any] | None:
        """The worker's next line, or None when it wrote none by ``deadline``."""
        poller = select.poll()  # not select(): the server may hold more than FD_SETSIZE descriptors
        poller.register(self.pipe, select.POLLIN)
        while b"\n" not in self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(max(int(remaining * 1000), 1)):
                return None
            chunk = os.read(self.pipe, 1 << 20)
            if not chunk:
                raise EnvironmentGone(self.process.wait())
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return dict(json.loads(line))

    def answer(self, timeout: float) -> dict[str, Any] | None:
        """The worker's answer, or None when the handler ran past ``timeout`` seconds (a first invocation's
        init has ``INIT_SECONDS`` of its own before that)."""
        deadline = time.monotonic() + timeout + (0.0 if self.initialized else INIT_SECONDS)
        while True:
            line = self._line(deadline)
            if line is None or not line.get("initialized"):
                return line
            deadline = time.monotonic() + timeout

    @property
    def pipe(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def output(self, split_at: int | None = None) -> tuple[str, str]:
        """What the function wrote since the last read: (before ``split_at``, the rest)."""
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(self.read_offset)
                data = handle.read()
        except OSError:
            data = b""
        cut = max(min(split_at - self.read_offset, len(data)), 0) if split_at is not None else 0
        self.read_offset += len(data)
        return data[:cut].decode("utf-8", "replace"), data[cut:].decode("utf-8", "replace")

    def stop(self) -> None:
        """Kill the worker and whatever it started (its process group)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        """Stop the worker and drop what it held: its credentials, its /tmp, its log file."""
        self.stop()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        KEYS.revoke(self.access_key)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)


def _stream_name(spec: Spec) -> str:
    """AWS's log stream of an environment: ``yyyy/mm/dd/[<version>]<32 hex>``."""
    return f"{datetime.now(UTC):%Y/%m/%d}/[{spec.version}]{uuid.uuid4().hex}"


def _environment_variables(
    spec: Spec, session: sts.Session, stream: str, paths: Mapping[str, Path]
) -> dict[str, str]:
    """The worker's whole environment: the function's variables, then Lambda's, then the sandbox's."""
    credentials = session.credentials()
    python_bin = str(Path(sys.executable).parent)
    variables = {"HOME": str(paths["tmp"]), **dict(spec.variables)}
    variables.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "LAMBDA_TASK_ROOT": str(paths["task"]),
            "LAMBDA_RUNTIME_DIR": str(paths["runtime"]),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin/:/bin:{paths['opt']}/bin",
            "TMPDIR": str(paths["tmp"]),
            # the sandbox, where the function's SDK calls go (not AWS's: nothing leaves this machine)
            "AWS_ENDPOINT_URL": server_url(),
            "AWS_MAX_ATTEMPTS": "2",
            "AWS_RETRY_MODE": "standard",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return variables


def _memory_cap_mb(spec: Spec) -> int:
    return max(spec.memory * 2, spec.memory + 1024)


def _command(spec: Spec, paths: Mapping[str, Path], log_path: Path) -> list[str]:
    return [
        sys.executable, "-I", "-S", lambda_runner.__file__,
        "--task-root", str(paths["task"]), "--opt", str(paths["opt"]), "--runtime", str(paths["runtime"]),
        "--handler", spec.handler, "--log", str(log_path), "--memory-cap-mb", str(_memory_cap_mb(spec)),
    ]  # fmt: skip


# -- the environment variables, decrypted as the execution role ----------------------------------------------
ENVIRONMENT_CONTEXT = "aws:lambda:FunctionArn"  # the encryption context of a function's variables
KMS_DENIED = (
    "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the "
    "function's KMS key settings. KMS Exception: AccessDeniedExceptionKMS Message: {message}"
)
# (the key's state) -> the Invoke error and its message (Lambda API Reference, Invoke, Errors)
KMS_KEY_STATES = {
    "Disabled": (
        "KMSDisabledException",
        "Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Check "
        "the Lambda function's KMS key settings.",
    ),
    "PendingDeletion": (
        "KMSInvalidStateException",
        "Lambda was unable to decrypt the environment variables because the KMS key used is in an invalid "
        "state for Decrypt. Check the function's KMS key settings.",
    ),
}
KMS_NOT_FOUND = (
    "Lambda was unable to decrypt the environment variables because the KMS key was not found. Check the "
    "function's KMS key settings."
)


class KmsFailure(LambdaError):
    """The environment variables could not be decrypted: the invocation fails with 502."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message, 502)


def decrypt_environment(spec: Spec, role: Principal) -> None:
    """Decrypt the function's environment variables with its customer managed key, as its execution role
    (``kms:Decrypt``, encryption context ``aws:lambda:FunctionArn`` the function), as an environment starts;
    KmsFailure when KMS refuses. Lambda's own default key (no KMSKeyArn, or an AWS managed key) needs no
    permission of the role."""
    if not spec.kms_key or not spec.variables or not authz.enabled():
        return
    found = arns.key_id(spec.kms_key, spec.account, spec.region)
    if found is None:
        raise KmsFailure("KMSNotFoundException", KMS_NOT_FOUND)
    key = kms_backends[spec.account][spec.region].keys[found]
    if key.key_manager == "AWS":
        return
    if key.key_state in KMS_KEY_STATES:
        raise KmsFailure(*KMS_KEY_STATES[key.key_state])
    params = {"KeyId": key.arn, "EncryptionContext": {ENVIRONMENT_CONTEXT: spec.arn}}
    denied = acting.check(role, acting.call("kms", "Decrypt", params, spec.region))
    if denied is not None:
        log.info("lambda %s: environment variables not decrypted: %s", spec.name, denied.message)
        raise KmsFailure("KMSAccessDeniedException", KMS_DENIED.format(message=denied.message))


def start_environment(fn: LambdaFunction, spec: Spec) -> Environment:
    """Take the execution role, decrypt the environment variables as it and start a worker for ``spec``
    (EnvironmentFailed if the role is refused, KmsFailure if KMS refuses)."""
    try:
        role = acting.assume(spec.role, SERVICE, spec.region, spec.arn, spec.account, spec.name)
    except acting.Refused as refused:
        raise EnvironmentFailed(str(refused)) from refused
    decrypt_environment(spec, role)
    session = sts._issue(spec.role, spec.name, None, SERVICE, spec.region)
    KEYS.issue(session.access_key, session.principal)
    tmp = Path(tempfile.mkdtemp(prefix="env-", dir=state_folder()))
    paths = {"task": task_root(fn), "opt": opt_root(spec), "runtime": runtime_root(), "tmp": tmp}
    stream = _stream_name(spec)
    log_path = tmp.parent / f"{tmp.name}.log"
    with log_path.open("ab") as early:  # the interpreter's own complaints, before the runner takes over
        process = subprocess.Popen(
            _command(spec, paths, log_path),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=early,
            env=_environment_variables(spec, session, stream, paths),
            cwd=paths["task"],
            start_new_session=True,  # its own process group, killed with it
        )
    return Environment(spec, process, log_path, tmp, session.access_key, session.principal, stream)


# -- the environments of the whole sandbox -------------------------------------------------------------------
class Pool:
    """Idle environments per spec, the invocations running per function, and the janitor: one thread that
    sleeps until the next idle environment is due to go (``IDLE_SECONDS``), and ends when none is left."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._idle: dict[tuple[Any, ...], list[Environment]] = {}
        self._running: dict[str, int] = {}
        self._busy: set[Environment] = set()
        self._janitor: threading.Thread | None = None
        self.generation = 0  # one more at each reset: work begun before it leaves nothing after it

    def begin(self, spec: Spec) -> None:
        """Count an invocation in, or refuse it as Lambda throttles."""
        with self._lock:
            running = self._running.get(spec.arn, 0)
            if spec.reserved is not None and running >= spec.reserved:
                raise TooManyRequests("ReservedFunctionConcurrentInvocationLimitExceeded")
            if sum(self._running.values()) >= MAX_ENVIRONMENTS:
                raise TooManyRequests("ConcurrentInvocationLimitExceeded")
            self._running[spec.arn] = running + 1

    def end(self, spec: Spec) -> None:
        with self._lock:
            self._running[spec.arn] = max(self._running.get(spec.arn, 1) - 1, 0)

    def take(self, spec: Spec) -> Environment | None:
        """An idle environment of ``spec`` (a warm start), or None."""
        gone = []
        with self._lock:
            idle = self._idle.get(spec.key) or []
            found = None
            while idle and found is None:
                environment = idle.pop()
                if environment.process.poll() is None:
                    found = environment
                else:
                    gone.append(environment)
        for environment in gone:
            environment.close()
        return found

    def running(self, environment: Environment) -> None:
        with self._lock:
            self._busy.add(environment)

    def give_back(self, environment: Environment, keep: bool) -> None:
        """The invocation is over: keep a healthy environment for the next one of its spec."""
        evicted = [] if keep else [environment]
        with self._lock:
            self._busy.discard(environment)
            if keep:
                environment.idle_since = time.monotonic()
                self._idle.setdefault(environment.spec.key, []).append(environment)
                evicted += self._over_limit()
                self._start_janitor()
                self._lock.notify_all()
        for old in evicted:
            old.close()

    def _over_limit(self) -> list[Environment]:
        idle = sorted((e for envs in self._idle.values() for e in envs), key=lambda e: e.idle_since)
        evicted = idle[: max(len(idle) - MAX_IDLE, 0)]
        for environment in evicted:
            self._idle[environment.spec.key].remove(environment)
        return evicted

    def _expired(self, now: float) -> tuple[list[Environment], float | None]:
        """Take out the environments idle too long; (them, seconds until the next one is due)."""
        expired, next_due = [], None
        for key in list(self._idle):
            for environment in list(self._idle[key]):
                due = environment.idle_since + IDLE_SECONDS - now
                if due <= 0:
                    self._idle[key].remove(environment)
                    expired.append(environment)
                else:
                    next_due = due if next_due is None else min(next_due, due)
            if not self._idle[key]:
                del self._idle[key]
        return expired, next_due

    def _start_janitor(self) -> None:
        if self._janitor is None:
            self._janitor = threading.Thread(target=self._sweep, name="lambda-janitor", daemon=True)
            self._janitor.start()

    def _sweep(self) -> None:
        while True:
            with self._lock:
                expired, next_due = self._expired(time.monotonic())
                if not expired:
                    if next_due is None:
                        self._janitor = None
                        return
                    self._lock.wait(timeout=next_due)
            for environment in expired:
                environment.close()

    def close(self) -> None:
        """Shut every environment down (a reset, or the server stopping): the idle ones, and the running
        ones, whose invocations then end as killed."""
        with self._lock:
            self.generation += 1
            idle = [e for envs in self._idle.values() for e in envs]
            self._idle.clear()
            busy = list(self._busy)
            self._lock.notify_all()
        for environment in idle:
            environment.close()
        for environment in busy:
            environment.stop()


POOL = Pool()


# -- one invocation ------------------------------------------------------------------------------------------
@dataclass
class Result:
    """What an invocation answered: the payload, the function error header, its log lines."""

    request_id: str
    payload: bytes
    function_error: str | None
    log_lines: list[str]


@dataclass
class Outcome:
    """How an invocation ended, from the worker's answer (None: no answer in time)."""

    payload: bytes
    function_error: str | None = None
    status: str = ""  # the REPORT line's Status
    notes: list[str] = field(default_factory=list)  # Lambda's own log lines after REPORT
    keep: bool = True  # whether the environment may serve again


def _failure(request_id: str, error_type: str, message: str) -> bytes:
    """The error object Lambda answers when the runtime itself failed."""
    text = f"RequestId: {request_id} Error: {message}"
    return json.dumps({"errorType": error_type, "errorMessage": text}).encode()


def _timed_out(spec: Spec, request_id: str) -> Outcome:
    message = f"Task timed out after {spec.timeout:.2f} seconds"
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return Outcome(
        _failure(request_id, "Sandbox.Timedout", message),
        "Unhandled",
        "Status: timeout",
        [f"{stamp} {request_id} {message}"],
        keep=False,
    )


def _died(request_id: str, error_type: str, message: str) -> Outcome:
    status = f"Status: error\tError Type: {error_type}"
    return Outcome(_failure(request_id, error_type, message), "Unhandled", status, keep=False)


def outcome(spec: Spec, request_id: str, answer: Mapping[str, Any] | None) -> Outcome:
    if answer is None:
        return _timed_out(spec, request_id)
    if "exit" in answer:
        return _died(
            request_id, "Runtime.ExitError", f"Runtime exited with error: exit status {answer['exit']}"
        )
    error = answer.get("error") or {}
    if int(answer.get("memory_mb") or 0) > spec.memory or error.get("errorType") == "MemoryError":
        return _died(request_id, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
    if error:
        return Outcome(json.dumps(error).encode(), "Unhandled", keep=not answer.get("init_error"))
    if "payload_base64" in answer:
        return Outcome(base64.b64decode(answer["payload_base64"]))
    return Outcome(str(answer.get("payload", "null")).encode())


def _report(spec: Spec, request_id: str, answer: Mapping[str, Any], status: str) -> str:
    duration = float(answer.get("duration_ms") or 0.0)
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: "
        f"{max(math.ceil(duration), 1)} ms\tMemory Size: {spec.memory} MB\tMax Memory Used: "
        f"{int(answer.get('memory_mb') or 1)} MB\t"
    )
    if answer.get("init_ms") is not None:
        line += f"Init Duration: {float(answer['init_ms']):.2f} ms\t"
    return line + status


def _lines(text: str) -> list[str]:
    """The function's output as log events: one per line; a runtime error report (its lines joined by
    "\\r") is one event."""
    return [line.replace(lambda_runner.ERROR_LINE_SEPARATOR, "\n") for line in text.splitlines() if line]


def run(
    environment: Environment, event: str, invoked_arn: str, request_id: str | None = None
) -> tuple[Result, bool]:
    """One invocation in ``environment``: (its result, whether the environment may serve again)."""
    spec, request_id = environment.spec, request_id or str(uuid.uuid4())
    request = {"id": request_id, "event": event, "timeout_ms": int(spec.timeout * 1000), "arn": invoked_arn}
    answer: dict[str, Any] | None
    try:
        environment.send(request)
        answer = environment.answer(spec.timeout)
    except EnvironmentGone as gone:
        answer = {"exit": gone.status}
    environment.initialized = True
    if answer is None:
        environment.stop()  # Lambda ends a timed-out environment
    ended = outcome(spec, request_id, answer)
    init_output, output = environment.output((answer or {}).get("init_log_offset"))
    lines = [*_lines(init_output), f"START RequestId: {request_id} Version: {spec.version}"]
    lines += [*_lines(output), f"END RequestId: {request_id}"]
    lines += [_report(spec, request_id, answer or {"duration_ms": spec.timeout * 1000}, ended.status)]
    result = Result(request_id, ended.payload, ended.function_error, lines + ended.notes)
    return result, ended.keep


# -- logs, as the execution role -----------------------------------------------------------------------------
def write_log(environment: Environment, lines: list[str]) -> None:
    """The invocation's log lines to the function's log group, as the execution role; a refused write is
    dropped and kept as a refusal (AWS drops it silently)."""
    spec = environment.spec
    backend = logs_backends[spec.account][spec.region]
    steps: list[tuple[str, dict[str, str]]] = []
    if spec.log_group not in backend.groups:
        steps.append(("CreateLogGroup", {"logGroupName": spec.log_group}))
    if not environment.stream_made or spec.log_group not in backend.groups:
        steps.append(
            ("CreateLogStream", {"logGroupName": spec.log_group, "logStreamName": environment.stream})
        )
    steps.append(("PutLogEvents", {"logGroupName": spec.log_group, "logStreamName": environment.stream}))
    for operation, params in steps:
        denied = acting.check(environment.principal, acting.call("logs", operation, params, spec.region))
        if denied is not None:
            USAGE.refuse(spec.account, "lambda", f"log of {spec.name} to {spec.log_group}", denied.message)
            log.info("lambda %s: log refused: %s", spec.name, denied.message)
            return
    if spec.log_group not in backend.groups:
        backend.create_log_group(spec.log_group, {})
    if environment.stream not in backend.groups[spec.log_group].streams:
        backend.create_log_stream(spec.log_group, environment.stream)
    environment.stream_made = True
    now = int(time.time() * 1000)
    backend.put_log_events(
        spec.log_group, environment.stream, [{"timestamp": now, "message": m} for m in lines]
    )


def execute(fn: LambdaFunction, event: str, invoked_arn: str, request_id: str | None = None) -> Result:
    """Run ``fn`` once with ``event`` (JSON text): throttling, an environment (warm or new), the log. An
    invocation a reset cut short leaves nothing in the new state. ``request_id``: an asynchronous
    invocation's, the same for each of its attempts (a new one when None)."""
    spec = spec_of(fn)
    check_runnable(spec)
    generation = POOL.generation
    POOL.begin(spec)
    try:
        environment = POOL.take(spec)
        if environment is None:
            try:
                environment = start_environment(fn, spec)
            except EnvironmentFailed as failed:
                log.info("lambda %s: %s", spec.name, failed)
                raise InvalidParameterValueException(NO_ROLE) from failed
        POOL.running(environment)
        keep = False
        try:
            result, keep = run(environment, event, invoked_arn, request_id)
            if POOL.generation == generation:
                write_log(environment, result.log_lines)
        finally:
            POOL.give_back(environment, keep and POOL.generation == generation)
        return result
    finally:
        POOL.end(spec)


# -- asynchronous invocations --------------------------------------------------------------------------------
class AsyncQueue:
    """Invocations to run later (``Event``, S3 notifications, EventBridge and Scheduler targets), on a few
    threads that wait for work; a reset drops what has not started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor = self._new()

    @staticmethod
    def _new() -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(ASYNC_WORKERS, thread_name_prefix="lambda-async")

    def submit(self, work: Callable[[], None]) -> None:
        with self._lock:
            self._executor.submit(_logged, work)

    def reset(self) -> None:
        with self._lock:
            old, self._executor = self._executor, self._new()
        old.shutdown(wait=False, cancel_futures=True)


def _logged(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # an asynchronous invocation has no caller to answer: its failure is logged
        log.warning("asynchronous lambda invocation failed", exc_info=True)


ASYNC = AsyncQueue()


def invoke_later(
    account: str, region: str, function_arn: str, event: str, request_id: str | None = None
) -> None:
    """Queue an asynchronous invocation of ``function_arn`` (a function ARN, qualified or not)."""

    def run() -> None:
        try:
            fn = get_backend(account, region).get_function(function_arn, None)
            run_async(fn, event, function_arn, request_id or str(uuid.uuid4()))
        except JsonRESTError as failed:
            log.warning("asynchronous invocation of %s failed: %s", function_arn, failed)
            # Lambda could not take the role, or decrypt the environment: the event is dropped
            if failed.message == NO_ROLE or isinstance(failed, KmsFailure):
                USAGE.refuse(account, "lambda", f"invocation of {function_arn}", failed.message)

    ASYNC.submit(run)


def retry_attempts(fn: LambdaFunction) -> int:
    """Retries of a failed asynchronous invocation: the function's MaximumRetryAttempts (0-2), else 2."""
    for config in getattr(fn, "event_invoke_config", None) or []:
        if "MaximumRetryAttempts" in config.config:
            return int(config.config["MaximumRetryAttempts"])
    return 2


def _throttled(fn: LambdaFunction, event: str, invoked_arn: str, request_id: str) -> Result | None:
    """Wait out a throttle (another invocation holds the function's reserved concurrency, or the sandbox's
    environments are all busy) and run the attempt; None when still throttled after ``THROTTLE_WAIT``
    seconds or when a reset came."""
    generation, waited, pause = POOL.generation, 0.0, 0.05
    while waited < THROTTLE_WAIT and POOL.generation == generation:
        time.sleep(pause)
        waited, pause = waited + pause, min(pause * 2, 1.0)
        try:
            return execute(fn, event, invoked_arn, request_id)
        except TooManyRequests:
            continue
    return None


def run_async(fn: LambdaFunction, event: str, invoked_arn: str, request_id: str) -> None:
    """An asynchronous invocation: the attempt and its retries, then the dead-letter target. A reset (or the
    server's end) stops it: no retry, no dead letter."""
    generation = POOL.generation
    error: Result | None = None
    for _ in range(1 + retry_attempts(fn)):
        if POOL.generation != generation:
            return
        try:
            result = execute(fn, event, invoked_arn, request_id)
        except TooManyRequests as throttled:
            # reserved concurrency 0: "Lambda begins sending new events to the dead-letter queue"
            waited = None if spec_of(fn).reserved == 0 else _throttled(fn, event, invoked_arn, request_id)
            if waited is None:
                dead_letter(fn, event, request_id, 429, throttled.message, generation)
                return
            result = waited
        if not result.function_error:
            return
        error = result
    if error is not None:
        dead_letter(fn, event, request_id, 200, _error_message(error.payload), generation)


def _error_message(payload: bytes) -> str:
    try:
        error = json.loads(payload)
    except ValueError:
        error = None
    text = (
        str(error.get("errorMessage", "")) if isinstance(error, dict) else payload.decode("utf-8", "replace")
    )
    return text.encode()[:ERROR_MESSAGE_MAX].decode("utf-8", "ignore")


def dead_letter(
    fn: LambdaFunction, event: str, request_id: str, code: int, message: str, generation: int
) -> None:
    """A failed asynchronous invocation's event to the function's dead-letter queue or topic, as its
    execution role, with Lambda's attributes; without one, the event is discarded (logged). A delivery
    that is refused or fails is dropped and kept as a refusal (AWS counts DestinationDeliveryFailures)."""
    target = getattr(fn, "dead_letter_target", None)
    unmodelled = [
        c for c in getattr(fn, "event_invoke_config", None) or [] if c.config.get("DestinationConfig")
    ]
    if unmodelled:
        USAGE.refuse(
            fn.account_id,
            "lambda",
            f"on-failure destination of {fn.function_name}",
            f"{PREFIX}asynchronous invocation destinations (DestinationConfig) are not modelled; the "
            f"event of {request_id} went to no destination",
        )
    if POOL.generation != generation:  # a reset came: nothing of the old state goes into the new one
        return
    if target is None:
        log.info("lambda %s: event %s discarded after its retries: %s", fn.function_name, request_id, message)
        return
    what = f"dead-letter of {fn.function_name}'s event {request_id} to {target}"
    _, _, service, region, account, name = target.split(":", 5)
    attributes = {
        "RequestID": ("String", request_id),
        "ErrorCode": ("Number", str(code)),
        "ErrorMessage": ("String", message or "-"),
    }
    function_arn = f"arn:{fn.partition}:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"
    try:
        if authz.enabled():
            principal = acting.assume(
                fn.role, SERVICE, fn.region, function_arn, fn.account_id, fn.function_name
            )
            denied = acting.check(principal, _dead_letter_call(target, event))
            if denied is not None:
                raise acting.Refused(denied.message, denied)
        if service == "sqs":
            if name.endswith(".fifo"):
                raise acting.Refused("Lambda sends dead letters to standard queues only, not FIFO queues")
            sqs_backends[account][region].send_message(
                name,
                event,
                message_attributes={k: {"DataType": t, "StringValue": v} for k, (t, v) in attributes.items()},
            )
        else:
            topic = sns_backends[account][region].topics.get(target)
            if topic is None:
                raise acting.Refused(f"Topic does not exist: {target}")
            topic.publish(
                event, message_attributes={k: {"Type": t, "Value": v} for k, (t, v) in attributes.items()}
            )
    except Exception as failed:  # refused, or what SQS or SNS answered (no such queue, a message too large)
        text = getattr(failed, "message", None) or str(failed)
        USAGE.refuse(fn.account_id, "lambda", what, text)
        log.warning("lambda %s: %s refused: %s", fn.function_name, what, text)


# -- who may invoke ------------------------------------------------------------------------------------------
def may_invoke(
    principal: Principal, function_arn: str, source_arn: str | None = None
) -> acting.Denied | None:
    """Whether ``principal`` may invoke ``function_arn`` (``lambda:InvokeFunction``; a service acting for
    ``source_arn`` carries ``aws:SourceArn``/``aws:SourceAccount``): None when it may."""
    made = acting.call("lambda", "InvokeFunction", {"FunctionName": function_arn}, function_arn.split(":")[3])
    extra = acting.source(source_arn, principal.account) if source_arn else None
    return acting.check(principal, made, extra)


def service_may_invoke(
    service: str, function_arn: str, source_arn: str, source_account: str
) -> acting.Denied | None:
    """Whether the AWS service ``service``, acting for ``source_arn`` of ``source_account``, may invoke the
    function: the function's resource-based policy must allow it."""
    if not authz.enabled():
        return None
    return may_invoke(principals.service(service, source_account), function_arn, source_arn)


def function_exists(function_arn: str) -> bool:
    parts = function_arn.split(":")
    if len(parts) < 7:
        return False
    try:
        get_backend(parts[4], parts[3]).get_function(function_arn, None)
    except (UnknownFunctionException, InvalidParameterValueException):
        return False
    return True


# -- the Invoke API ------------------------------------------------------------------------------------------
def _event_text(body: bytes) -> str:
    """The payload as the event's JSON text; {} for none (InvalidRequestContentException if not JSON)."""
    if not body.strip():
        return "{}"
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except ValueError as exc:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return text


def _check_size(body: bytes, invocation_type: str) -> None:
    if invocation_type == "Event" and len(body) > ASYNC_REQUEST_MAX:
        raise RequestTooLarge(
            f"{len(body)} byte payload is too large for the Event invocation type "
            f"(limit {ASYNC_REQUEST_MAX} bytes)"
        )
    if len(body) > SYNC_REQUEST_MAX:
        raise RequestTooLarge(
            f"Request must be smaller than {SYNC_REQUEST_MAX} bytes for the InvokeFunction operation"
        )


def _invoked_arn(fn: LambdaFunction, name: str, qualifier: str | None) -> str:
    base = f"arn:{fn.partition}:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"
    given = name.split(":function:")[-1].split(":", 1)
    qualifier = given[1] if len(given) == 2 else qualifier
    return f"{base}:{qualifier}" if qualifier else base


def invoke(
    account: str, region: str, name: str, qualifier: str | None, body: bytes, headers: Mapping[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """The Invoke API: (status, headers, payload)."""
    invocation_type = headers.get("x-amz-invocation-type") or "RequestResponse"
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        raise LambdaError(
            "ValidationException",
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
            400,
        )
    fn = get_backend(account, region).get_function(name, qualifier)
    _check_size(body, invocation_type)
    event = _event_text(body)
    invoked_arn = _invoked_arn(fn, name, qualifier)
    answer_headers = {"X-Amz-Executed-Version": str(fn.version), "Content-Type": "application/json"}
    if invocation_type == "DryRun":
        return 204, {**answer_headers, "status": "204"}, b""
    check_runnable(spec_of(fn))
    if invocation_type == "Event":
        invoke_later(account, region, invoked_arn, event)
        return 202, {**answer_headers, "status": "202"}, b""
    result = execute(fn, event, invoked_arn)
    payload, error = result.payload, result.function_error
    if len(payload) > RESPONSE_MAX:
        message = f"Response payload size exceeded maximum allowed payload size ({RESPONSE_MAX} bytes)."
        too_large = {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
        payload, error = json.dumps(too_large).encode(), "Unhandled"
    if error:
        answer_headers["X-Amz-Function-Error"] = error
    if headers.get("x-amz-log-type") == "Tail":
        text = "\n".join(result.log_lines).encode()[-LOG_TAIL_BYTES:]
        answer_headers["X-Amz-Log-Result"] = base64.b64encode(text).decode()
    return 200, answer_headers, payload


# -- where the sandbox answers -------------------------------------------------------------------------------
_SERVER: dict[str, str] = {}


def server_url() -> str:
    """The sandbox's own URL (the functions' AWS_ENDPOINT_URL), from the requests it serves."""
    return _SERVER.get("url", "http://127.0.0.1:5000")


def _remember_server_url() -> None:
    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "url" not in _SERVER and environ.get("SERVER_PORT"):
            _SERVER["url"] = f"http://{environ.get('SERVER_NAME', '127.0.0.1')}:{environ['SERVER_PORT']}"
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]


# -- moto ----------------------------------------------------------------------------------------------------
def _code_bytes(code: Mapping[str, Any], account: str, partition: str) -> bytes | None:
    """The .zip a CreateFunction or UpdateFunctionCode names (None: an image, or an S3 object moto will
    refuse itself)."""
    if code.get("ZipFile"):
        raw = code["ZipFile"]
        try:
            return base64.b64decode(raw if isinstance(raw, bytes) else raw.encode(), validate=False)
        except (binascii.Error, ValueError):
            return b""
    if code.get("S3Bucket") and code.get("S3Key"):
        try:
            stored = s3_backends[account][partition].get_object(code["S3Bucket"], code["S3Key"])
        except Exception:  # moto answers NoSuchBucket/NoSuchKey in its own words
            return None
        return bytes(stored.value) if stored is not None else None
    return None


def check_variables(variables: Mapping[str, Any] | None) -> None:
    reserved = sorted(set(variables or {}) & RESERVED_VARIABLES)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables "
            "you have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {', '.join(reserved)}"
        )


def check_role(role: str, function_arn: str, account: str, region: str) -> None:
    if not authz.enabled():
        return
    try:
        acting.assume(role, SERVICE, region, function_arn, account, "check")
    except acting.Refused as refused:
        log.info("lambda: %s: %s", NO_ROLE, refused)
        raise InvalidParameterValueException(NO_ROLE) from refused


# -- DeadLetterConfig and LoggingConfig ----------------------------------------------------------------------
LOG_FORMATS = ("JSON", "Text")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
LOG_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
DEAD_LETTER_TARGET = re.compile(r"arn:aws[a-zA-Z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:[\w.-]+", re.ASCII)
# (service) -> the call Lambda makes as the execution role, and AWS's name for the service in its refusal
DEAD_LETTER_CALLS = {"sqs": ("SendMessage", "SQS"), "sns": ("Publish", "SNS")}
LEVEL_WITH_TEXT = (
    'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change '
    'the LogFormat to "Json" and try again.'
)
ERROR_MESSAGE_MAX = 1024  # a dead-letter message's ErrorMessage: "truncated to 1 KB"


def _not_in_enum(value: Any, field_path: str, allowed: Iterable[str]) -> LambdaError:
    return LambdaError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field_path}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]",
        400,
    )


def logging_config(function_name: str, given: Mapping[str, Any] | None) -> dict[str, str]:
    """A LoggingConfig as Lambda keeps it: LogFormat Text and LogGroup /aws/lambda/<function> when not given;
    the log levels only with JSON (INFO when not given), refused with Text."""
    given = given or {}
    log_format = given.get("LogFormat") or "Text"
    if log_format not in LOG_FORMATS:
        raise _not_in_enum(log_format, "loggingConfig.logFormat", LOG_FORMATS)
    application, system = given.get("ApplicationLogLevel"), given.get("SystemLogLevel")
    if application and application not in APPLICATION_LOG_LEVELS:
        raise _not_in_enum(application, "loggingConfig.applicationLogLevel", APPLICATION_LOG_LEVELS)
    if system and system not in SYSTEM_LOG_LEVELS:
        raise _not_in_enum(system, "loggingConfig.systemLogLevel", SYSTEM_LOG_LEVELS)
    if log_format == "Text" and (application or system):
        raise InvalidParameterValueException(LEVEL_WITH_TEXT)
    group = given.get("LogGroup") or f"/aws/lambda/{function_name}"
    if not LOG_GROUP_NAME.fullmatch(group):
        raise LambdaError(
            "ValidationException",
            f"1 validation error detected: Value '{group}' at 'loggingConfig.logGroup' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
            400,
        )
    config = {"LogFormat": log_format, "LogGroup": group}
    if log_format == "JSON":
        config.update(ApplicationLogLevel=application or "INFO", SystemLogLevel=system or "INFO")
    return config


def stored_logging(fn: LambdaFunction) -> dict[str, str]:
    stored = getattr(fn, "logging_config", None)
    return dict(stored) if stored else logging_config(fn.function_name, None)


def dead_letter_target(given: Mapping[str, Any] | None) -> str | None:
    """DeadLetterConfig's TargetArn (None: no dead-letter queue; an empty TargetArn removes it)."""
    target = (given or {}).get("TargetArn") or None
    if target is not None and not DEAD_LETTER_TARGET.fullmatch(str(target)):
        raise InvalidParameterValueException(
            f"The target ARN of DeadLetterConfig must be an Amazon SQS queue or an Amazon SNS topic: {target}"
        )
    return str(target) if target is not None else None


def _dead_letter_call(target: str, body: str) -> Any:
    """The call a dead-letter delivery amounts to: SQS SendMessage, or SNS Publish."""
    _, _, service, region, _, name = target.split(":", 5)
    if service == "sqs":
        return acting.call("sqs", "SendMessage", {"QueueName": name, "MessageBody": body}, region)
    return acting.call("sns", "Publish", {"TopicArn": target, "Message": body}, region)


def check_dead_letter(role: str, target: str | None, function_arn: str, account: str, region: str) -> None:
    """CreateFunction's and UpdateFunctionConfiguration's check that the execution role may send to the
    dead-letter queue or topic (the call itself; the key of an encrypted one is checked at delivery)."""
    if target is None:
        return
    if target.split(":")[4] != account:
        raise NotModelled(
            f"a dead-letter target in another account ({target}) is not modelled: the sandbox evaluates no "
            "queue or topic policy"
        )
    if not authz.enabled():
        return
    from launchpad.sandbox.authz.gate import decide

    try:
        principal = acting.assume(role, SERVICE, region, function_arn, account, "check")
    except acting.Refused as refused:
        raise InvalidParameterValueException(NO_ROLE) from refused
    action, service = DEAD_LETTER_CALLS[target.split(":")[2]]
    made = _dead_letter_call(target, "{}")
    for needed in requests.plan(made, principal).checks:
        if needed.dependent_of is None and not decide(principal, needed).allowed:
            raise InvalidParameterValueException(
                f"The provided execution role does not have permissions to call {action} on {service}"
            )


def check_network(
    role: str, vpc_config: Mapping[str, Any] | None, function_arn: str, account: str, region: str
) -> network.Attachment | None:
    """CreateFunction's and UpdateFunctionConfiguration's check of a VPC configuration: its subnets and
    security groups, and that the execution role may manage the function's network interfaces
    (``awslambda_network``); the attachment to make, or None outside a VPC."""
    attached = network.attachment(vpc_config, account, region)
    if attached is None or not authz.enabled():
        return attached
    try:
        principal = acting.assume(role, SERVICE, region, function_arn, account, "check")
    except acting.Refused as refused:
        raise InvalidParameterValueException(NO_ROLE) from refused
    network.check(principal, attached, account, region)
    return attached


def _function_arn(fn: LambdaFunction) -> str:
    return f"arn:{fn.partition}:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"


def _validate_new_function(fn: LambdaFunction) -> network.Attachment | None:
    """CreateFunction's checks; the VPC attachment to make once the function is kept."""
    arn = _function_arn(fn)
    check_variables(fn.environment_vars)
    if fn.package_type != "Image":
        check_code(fn.code_bytes)
    check_role(fn.role, arn, fn.account_id, fn.region)
    check_dead_letter(fn.role, getattr(fn, "dead_letter_target", None), arn, fn.account_id, fn.region)
    return check_network(fn.role, getattr(fn, "_vpc_config", None), arn, fn.account_id, fn.region)


def _principal_formatter(self: Policy, principal: Any) -> Any:
    """AddPermission's Principal as the policy stores it: a service, an account's root, or an ARN."""
    if isinstance(principal, str):
        if principal == "*":
            return "*"
        if principal.endswith(".amazonaws.com"):
            return {"Service": principal}
        if re.fullmatch(r"\d{12}", principal):
            return {"AWS": f"arn:aws:iam::{principal}:root"}
        return {"AWS": principal}
    return principal


UNMODELLED_PERMISSION_KEYS = ("FunctionUrlAuthType", "InvokedViaFunctionUrl", "PrincipalOrgID")


def add_permission(backend: LambdaBackend, name: str, qualifier: str | None, raw: str) -> dict[str, Any]:
    """AddPermission, refusing what the sandbox cannot evaluate (function URLs, organizations) and leaving
    no statement behind that its policy evaluation could not read."""
    request = json.loads(raw or "{}")
    unmodelled = [key for key in UNMODELLED_PERMISSION_KEYS if request.get(key)]
    if unmodelled:
        raise NotModelled(
            f"AddPermission with {', '.join(unmodelled)} is not modelled (no function URLs, no AWS "
            "Organizations)"
        )
    statement: dict[str, Any] = _ORIGINAL_ADD_PERMISSION(backend, name, qualifier, raw)  # type: ignore[arg-type]
    fn = backend.get_function(name, qualifier)
    text = json.dumps({"Version": "2012-10-17", "Statement": fn.policy.statements})
    try:
        documents.parse(
            text, name=f"resource-based policy of function {fn.function_name}", kind=PolicyKind.RESOURCE
        )
    except documents.UnsupportedPolicy as unsupported:
        fn.policy.del_statement(statement["Sid"])
        raise NotModelled(f"the sandbox cannot evaluate this permission: {unsupported}") from None
    except documents.PolicyError as invalid:
        fn.policy.del_statement(statement["Sid"])
        raise InvalidParameterValueException(f"The provided permission is not valid: {invalid}") from None
    return statement


def _patch_models() -> None:
    original_init = LambdaFunction.__init__

    def __init__(
        self: LambdaFunction, account_id: str, spec: dict[str, Any], region: str, version: str | int = 1
    ) -> None:
        original_init(self, account_id, spec, region, version)
        # the two configurations moto does not keep (read with getattr: functions made before the patch)
        self.dead_letter_target = dead_letter_target(spec.get("DeadLetterConfig"))  # type: ignore[attr-defined]
        self.logging_config = logging_config(self.function_name, spec.get("LoggingConfig"))  # type: ignore[attr-defined]

    original_get_configuration = LambdaFunction.get_configuration

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original_get_configuration(self, on_create)
        target = getattr(self, "dead_letter_target", None)
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        config["LoggingConfig"] = stored_logging(self)
        vpc_id = getattr(self, "launchpad_vpc_id", None)
        if vpc_id and config.get("VpcConfig"):  # moto answers a made-up VPC id
            config["VpcConfig"]["VpcId"] = vpc_id
        return config

    original_put = LambdaStorage.put_function

    def put_function(self: LambdaStorage, fn: LambdaFunction) -> None:
        attached = _validate_new_function(fn)
        original_put(self, fn)
        if attached is not None:
            network.connect(fn.function_name, attached, fn.account_id, fn.region)
        fn.launchpad_vpc_id = attached.vpc_id if attached else None  # type: ignore[attr-defined]

    original_configure = LambdaFunction.update_configuration

    def update_configuration(self: LambdaFunction, updates: dict[str, Any]) -> dict[str, Any]:
        arn = _function_arn(self)
        if "Environment" in updates:
            check_variables((updates["Environment"] or {}).get("Variables"))
        if updates.get("Role"):
            check_role(updates["Role"], arn, self.account_id, self.region)
        target = getattr(self, "dead_letter_target", None)
        if "DeadLetterConfig" in updates:
            target = dead_letter_target(updates["DeadLetterConfig"])
        logging = stored_logging(self)
        if "LoggingConfig" in updates:  # the whole LoggingConfig: what it leaves out takes its default
            logging = logging_config(self.function_name, updates["LoggingConfig"])
        if "DeadLetterConfig" in updates or updates.get("Role"):
            check_dead_letter(updates.get("Role") or self.role, target, arn, self.account_id, self.region)
        role, vpc = self.role, getattr(self, "_vpc_config", None)
        before = network.held(vpc)
        attached = None
        if "VpcConfig" in updates or updates.get("Role"):
            vpc = updates.get("VpcConfig", vpc)
            attached = check_network(updates.get("Role") or role, vpc, arn, self.account_id, self.region)
        original_configure(self, updates)
        self.dead_letter_target = target  # type: ignore[attr-defined]
        self.logging_config = logging  # type: ignore[attr-defined]
        if "KMSKeyArn" in updates:  # moto does not keep it; an empty one is Lambda's default key again
            self.kms_key_arn = updates["KMSKeyArn"] or None
        if attached is not None:
            network.connect(self.function_name, attached, self.account_id, self.region)
        if "VpcConfig" in updates:
            self.launchpad_vpc_id = attached.vpc_id if attached else None  # type: ignore[attr-defined]
            network.release(self.function_name, arn, role, before, self.account_id, self.region)
        return self.get_configuration()

    original_code = LambdaFunction.update_function_code

    def update_function_code(self: LambdaFunction, updated: dict[str, Any]) -> dict[str, Any]:
        code = _code_bytes(updated, self.account_id, self.partition)
        if code is not None and not updated.get("DryRun"):
            check_code(code)
        return original_code(self, updated)

    def _invoke_lambda(self: LambdaFunction, event: str | None = None) -> tuple[str, bool, str]:
        """moto's own paths into a function (SQS/Kinesis/DynamoDB mappings, SNS, Logs subscriptions)."""
        message = (
            "launchpad sandbox: Lambda invocations by event source mappings, SNS subscriptions and Logs "
            "subscription filters are not modelled (the function's resource policy would not be checked); "
            "the function did not run"
        )
        USAGE.refuse(self.account_id, "lambda", f"invocation of {self.function_name}", message)
        log.warning("lambda %s: %s", self.function_name, message)
        return json.dumps({"errorMessage": message, "errorType": "NotImplemented"}), True, ""

    original_delete = LambdaBackend.delete_function

    def delete_function(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> None:
        """DeleteFunction; then Lambda deletes, as the function's role, the network interfaces it left."""
        fn = self.get_function(function_name, qualifier)
        original_delete(self, function_name, qualifier)
        left = network.held(getattr(fn, "_vpc_config", None))
        network.release(fn.function_name, _function_arn(fn), fn.role, left, fn.account_id, fn.region)

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaBackend.delete_function = delete_function  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaBackend.add_permission = add_permission  # type: ignore[method-assign,assignment]
    LambdaStorage.put_function = put_function  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign,assignment]
    LambdaFunction.update_function_code = update_function_code  # type: ignore[method-assign,assignment]
    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    Policy.principal_formatter = _principal_formatter  # type: ignore[method-assign,assignment]


def _patch_responses() -> None:
    def invoke_response(self: LambdaResponse) -> Any:
        name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = (self.querystring.get("Qualifier") or [None])[0]
        body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body or "").encode()
        headers = {k.lower(): v for k, v in self.headers.items()}
        return invoke(self.current_account, self.region, name, qualifier, body, headers)

    def invoke_async_response(self: LambdaResponse) -> Any:
        name = unquote(self.path.rstrip("/").rsplit("/", 2)[-2])
        body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body or "").encode()
        event = {"x-amz-invocation-type": "Event"}
        status, headers, _ = invoke(self.current_account, self.region, name, None, body, event)
        return status, headers, json.dumps({"Status": status})

    LambdaResponse.invoke = invoke_response  # type: ignore[method-assign]
    LambdaResponse.invoke_async = invoke_async_response  # type: ignore[method-assign]


def shutdown() -> None:
    """Stop everything the Lambda patch runs: queued invocations and every environment."""
    ASYNC.reset()
    POOL.close()


def _remove_state() -> None:
    shutdown()
    root = _CACHE.get("root")
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


def apply() -> None:
    if getattr(LambdaResponse, _MARK, False):
        return
    _patch_models()
    _patch_responses()
    _remember_server_url()
    lifecycle.on_reset(shutdown)
    atexit.register(_remove_state)
    setattr(LambdaResponse, _MARK, True)
