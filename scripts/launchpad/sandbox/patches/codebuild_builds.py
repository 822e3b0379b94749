"""CodeBuild builds: what CodeBuild does as a project's service role, and a build session a test acts in.

AWS (CodeBuild User Guide, "Allow CodeBuild to interact with other AWS services" (the service role), "Use
CodeBuild with Amazon VPC", "CodeBuild with CodePipeline"; IAM User Guide, "The confused deputy problem"): a
build runs as the project's service role, which CodeBuild assumes with ``aws:SourceArn`` the project and
``aws:SourceAccount`` its account. For a build CodeBuild
- in a VPC, looks the network up (``ec2:DescribeDhcpOptions``, ``DescribeNetworkInterfaces``,
  ``DescribeSecurityGroups``, ``DescribeSubnets``, ``DescribeVpcs``), makes the build's network interface
  (``ec2:CreateNetworkInterface`` in a subnet of the project, with its security groups) and lets itself use
  it (``ec2:CreateNetworkInterfacePermission`` with ``ec2:AuthorizedService`` codebuild.amazonaws.com);
- writes the build log to the project's log group (default ``/aws/codebuild/<project>``, stream
  ``<streamName>/<build UUID>``: ``logs:CreateLogGroup`` when the group is missing, ``logs:CreateLogStream``,
  ``logs:PutLogEvents``);
- downloads the input artifact (``s3:GetObject``, and ``kms:Decrypt`` via S3 for an SSE-KMS one);
and afterwards uploads the output artifact (``s3:GetBucketAcl``, ``s3:GetBucketLocation``, ``s3:PutObject``
encrypted with the project's ``encryptionKey``: ``kms:GenerateDataKey`` via S3) and removes the interface
(``ec2:DeleteNetworkInterface``). The build's commands get the role session's credentials. A build in a VPC
reaches only the services the VPC has endpoints for (there is no NAT gateway in launchpad's networks): its
session's calls to any other service are refused with ``LaunchpadSandboxUnreachable``, where in AWS they
would time out.

Builds that run their buildspec (StartBuild, a pipeline's CodeBuild action) are ``codebuild_runs``. This
module also offers a build session without commands, so a test can act as a step's role with its
credentials (``workloads.start_build`` / ``complete_build``)::

    POST /_launchpad/codebuild/builds   {"account", "region", "project", "input": "s3://...", "output": "s3://..."}
        -> {"id", "credentials": {...}, "reachable": [...] | null}   (403 with AWS's message if refused)
    POST /_launchpad/codebuild/builds/<id>/complete   -> {"id", "status": "SUCCEEDED" | "FAILED", "message"}
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from moto.codebuild.models import codebuild_backends
from moto.ec2.models import ec2_backends
from moto.logs.models import logs_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.models import s3_backends

from launchpad.sandbox import authz, lifecycle, routes
from launchpad.sandbox.authz import acting, principals
from launchpad.sandbox.authz.principals import KEYS, Principal, UnknownCredentials
from launchpad.sandbox.patches import codebuild_images as images
from launchpad.sandbox.patches import sts

log = logging.getLogger(__name__)

ROUTE = "/_launchpad/codebuild/builds"
SERVICE = "codebuild.amazonaws.com"
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18
_MARK = "_launchpad_codebuild_builds"


class BuildFailed(Exception):
    """A phase of the build could not run; ``code`` and the message are its phase context."""

    def __init__(self, message: str, code: str = "CLIENT_ERROR") -> None:
        super().__init__(message)
        self.code = code


class Refused(BuildFailed):
    """A call CodeBuild makes as the service role was refused (``denied``: AWS's access-denied message)."""

    def __init__(self, operation: str, denied: str) -> None:
        super().__init__(f"{operation} was refused: {denied}", "ACCESS_DENIED")
        self.operation = operation
        self.denied = denied


# -- who calls, and the sandbox's own address (AWS_ENDPOINT_URL of builds) ----------------------------------
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_ENDPOINT: list[str] = []


def caller(headers: Mapping[str, str]) -> Principal:
    """Who signed a request: the principal of its access key (the sandbox's record of the keys it issued)."""
    found = _CREDENTIAL.search(headers.get("Authorization", ""))
    key = found.group(1) if found else ""
    try:
        return KEYS.identify(key)
    except UnknownCredentials:  # the gate refuses unknown keys; an unsigned call is the sandbox's own
        return principals.admin(key if key.isdigit() and len(key) == 12 else "000000000000")


def initiator(principal: Principal) -> str:
    """CODEBUILD_INITIATOR of a build someone started: a user's name, a role session's role/session."""
    if principal.user_name:
        return principal.user_name
    if principal.role_arn and principal.session_name:
        return f"{principal.role_arn.rsplit('/', 1)[-1]}/{principal.session_name}"
    return principal.arn


def endpoint() -> str:
    """The URL the sandbox serves on, as seen in the requests it answered."""
    return _ENDPOINT[0] if _ENDPOINT else "http://127.0.0.1:5000"


def _remember_endpoint() -> None:
    original = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _ENDPOINT and environ.get("SERVER_NAME") and environ.get("SERVER_PORT"):
            _ENDPOINT.append(f"http://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}")
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]


# -- what CodeBuild does as the service role --------------------------------------------------------------
@dataclass
class Build:
    """A build as CodeBuild acts for it: the role session, and what it made (its network interface)."""

    id: str
    account: str
    region: str
    project: Mapping[str, Any]
    principal: Principal
    output: str | None
    network_interface: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:codebuild:{self.region}:{self.account}:build/{self.id}"


def _s3_location(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def as_role(
    principal: Principal, service: str, operation: str, params: Mapping[str, Any], region: str, **headers: str
) -> None:
    """Authorize what CodeBuild does as the role (everything, with the sandbox's authorization off)."""
    if not authz.enabled():
        return
    denied = acting.check(principal, acting.call(service, operation, params, region, **headers))
    if denied is not None:
        raise Refused(operation, denied.message)


def reachable(account: str, region: str, vpc_id: str) -> tuple[str, ...]:
    """The short names of the services a VPC without a NAT gateway reaches: its interface endpoints and the
    services of its gateway endpoints."""
    prefix = f"com.amazonaws.{region}."
    endpoints = ec2_backends[account][region].vpc_end_points.values()
    return tuple(sorted(e.service_name.removeprefix(prefix) for e in endpoints if e.vpc_id == vpc_id))


def take_role(
    account: str, region: str, project: Mapping[str, Any], build_id: str
) -> tuple[Principal, sts.Session]:
    """CodeBuild assumes the project's service role for the build (its trust policy decides)."""
    role = str(project.get("serviceRole"))
    name = f"AWSCodeBuild-{build_id.split(':')[1]}"
    try:
        if authz.enabled():
            acting.assume(role, SERVICE, region, project["arn"], account, name)
    except acting.Refused as refused:
        raise BuildFailed(
            f"CodeBuild is not authorized to perform: sts:AssumeRole on {role} ({refused})", "ACCESS_DENIED"
        ) from refused
    session = sts._issue(role, name, None, SERVICE, region)
    vpc = project.get("vpcConfig") or {}
    network = reachable(account, region, vpc["vpcId"]) if vpc.get("vpcId") else None
    principal = replace(session.principal, network=network)
    KEYS.issue(session.access_key, principal)
    return principal, replace(session, principal=principal)


def provision(build: Build) -> None:
    vpc = build.project.get("vpcConfig") or {}
    if not vpc.get("vpcId"):
        return
    subnets, groups = list(vpc.get("subnets") or []), list(vpc.get("securityGroupIds") or [])
    for operation in (
        "DescribeDhcpOptions",
        "DescribeNetworkInterfaces",
        "DescribeSecurityGroups",
        "DescribeSubnets",
        "DescribeVpcs",
    ):
        as_role(build.principal, "ec2", operation, {}, build.region)
    as_role(
        build.principal,
        "ec2",
        "CreateNetworkInterface",
        {"SubnetId": subnets[0], "Groups": groups},
        build.region,
    )
    build.network_interface = f"eni-{uuid.uuid4().hex[:17]}"
    permission = {
        "NetworkInterfaceId": build.network_interface,
        "AwsService": SERVICE,
        "SubnetId": subnets[0],
    }
    as_role(build.principal, "ec2", "CreateNetworkInterfacePermission", permission, build.region)


def release_network(build: Build) -> None:
    if build.network_interface:
        params = {"NetworkInterfaceId": build.network_interface}
        as_role(build.principal, "ec2", "DeleteNetworkInterface", params, build.region)


class BuildLog:
    """The build's log stream, written as the service role; lines are sent in batches, at most
    ``FLUSH_SECONDS`` after they were written (CodeBuild's agent batches them too): a timer sends what a
    quiet command left waiting."""

    FLUSH_SECONDS = 1.0
    MAX_EVENTS = 1000

    def __init__(self, build: Build) -> None:
        config = ((build.project.get("logsConfig") or {}).get("cloudWatchLogs")) or {}
        self.enabled = config.get("status", "ENABLED") == "ENABLED"
        self.group = config.get("groupName") or f"/aws/codebuild/{build.project['name']}"
        # streamName is "the prefix of the stream name" (API_CloudWatchLogsConfig); the build's UUID follows
        self.stream = "/".join(filter(None, (config.get("streamName"), build.id.split(":", 1)[1])))
        self._build = build
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sent = time.monotonic()
        self._timer: threading.Timer | None = None

    @property
    def _params(self) -> dict[str, str]:
        return {"logGroupName": self.group, "logStreamName": self.stream}

    def open(self, create_group: bool = True) -> None:
        """Make the stream (and, for a build, the group if it is missing) as the role."""
        if not self.enabled:
            return
        build, backend = self._build, logs_backends[self._build.account][self._build.region]
        if self.group not in backend.groups:
            if not create_group:
                raise BuildFailed(f"ACCESS_DENIED: the log group {self.group} of the build does not exist")
            as_role(build.principal, "logs", "CreateLogGroup", {"logGroupName": self.group}, build.region)
            backend.create_log_group(self.group, {})
        if self.stream not in backend.groups[self.group].streams:
            as_role(build.principal, "logs", "CreateLogStream", self._params, build.region)
            backend.create_log_stream(self.group, self.stream)
        as_role(build.principal, "logs", "PutLogEvents", self._params, build.region)

    def write(self, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._events.append({"timestamp": int(time.time() * 1000), "message": message})
            due = len(self._events) >= self.MAX_EVENTS or time.monotonic() - self._sent >= self.FLUSH_SECONDS
            if not due and self._timer is None:
                self._timer = threading.Timer(self.FLUSH_SECONDS, self._flush_later)
                self._timer.daemon = True
                self._timer.start()
        if due:
            self.flush(strict=False)

    def _flush_later(self) -> None:
        try:
            self.flush(strict=False)
        except Exception:  # the sandbox was reset under the build: its log group is gone
            log.debug("build %s: its log could not be sent", self._build.id, exc_info=True)

    def container(self, message: str) -> None:
        """A line of CodeBuild's own, as its agent writes them."""
        self.write(f"[Container] {datetime.now(UTC).strftime('%Y/%m/%d %H:%M:%S.%f')} {message}")

    def flush(self, strict: bool = True) -> None:
        with self._lock:
            events, self._events = self._events, []
            self._sent = time.monotonic()
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        if not events:
            return
        build = self._build
        try:
            as_role(build.principal, "logs", "PutLogEvents", self._params, build.region)
        except Refused:
            if strict:
                raise
            log.warning(
                "build %s: its role may no longer write its log; %d lines dropped", build.id, len(events)
            )
            return
        logs_backends[build.account][build.region].put_log_events(self.group, self.stream, events)


def stored_object(bucket: str, key: str, version: str | None = None) -> Any:
    """The stored S3 object (that version), or None."""
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    stored = s3_backends[owner[1]][owner[0]].buckets.get(bucket)
    if stored is None:
        return None
    if version is None:
        return stored.keys.get(key)
    return next((k for k in stored.keys.getlist(key, []) if str(k.version_id) == version), None)


def _download(build: Build, uri: str) -> None:
    bucket, key = _s3_location(uri)
    as_role(build.principal, "s3", "GetObject", {"Bucket": bucket, "Key": key}, build.region)
    if stored_object(bucket, key) is None:
        raise BuildFailed(f"CLIENT_ERROR: no matching artifact paths found: {uri} does not exist")


def upload(build: Build, uri: str, data: bytes = EMPTY_ZIP, key_arn: str | None = None) -> None:
    """Store ``data`` at ``uri`` as the role, encrypted with the project's key (as CodeBuild does)."""
    bucket, key = _s3_location(uri)
    for operation in ("GetBucketAcl", "GetBucketLocation"):
        as_role(build.principal, "s3", operation, {"Bucket": bucket}, build.region)
    key_arn = key_arn or build.project.get("encryptionKey")
    headers = (
        {"x_amz_server_side_encryption": "aws:kms", "x_amz_server_side_encryption_aws_kms_key_id": key_arn}
        if key_arn and ":alias/aws/" not in key_arn
        else {}
    )
    as_role(build.principal, "s3", "PutObject", {"Bucket": bucket, "Key": key}, build.region, **headers)
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise BuildFailed(f"UPLOAD_ARTIFACTS: the artifact bucket {bucket} does not exist")
    s3_backends[owner[1]][owner[0]].put_object(
        bucket,
        key,
        data,
        encryption="aws:kms" if headers else None,
        kms_key_id=key_arn if headers else None,
    )


# -- a build session without commands (the session route) -----------------------------------------------
_SESSIONS: dict[str, Build] = {}
_LOCK = threading.Lock()


def _log(build: Build, message: str) -> None:
    writer = BuildLog(build)
    writer.open(create_group=False)
    writer.write(message)
    writer.flush()


def start(
    account: str, region: str, project_name: str, input_uri: str | None, output_uri: str | None
) -> tuple[Build, sts.Session]:
    """Start a build session of ``project_name``: take its role, provision, log, download the input."""
    project = codebuild_backends[account][region].codebuild_projects.get(project_name)
    if project is None:
        raise BuildFailed(
            f"Project cannot be found: arn:aws:codebuild:{region}:{account}:project/{project_name}"
        )
    metadata = project.project_metadata
    build_id = f"{project_name}:{uuid.uuid4()}"
    principal, session = take_role(account, region, metadata, build_id)
    build = Build(build_id, account, region, metadata, principal, output_uri)
    provision(build)
    _log(build, f"Running build {build_id}")
    if input_uri:
        _download(build, input_uri)
    with _LOCK:
        _SESSIONS[build_id] = build
    return build, session


def complete(build_id: str) -> Build:
    """Finish a build session: upload its output artifact, log, remove its network interface."""
    with _LOCK:
        build = _SESSIONS.pop(build_id, None)
    if build is None:
        raise BuildFailed(f"no running build {build_id}")
    try:
        if build.output:
            upload(build, build.output)
        _log(build, f"Build {build_id} succeeded")
        release_network(build)
    finally:  # the build is over, failed or not: its session's credentials go with it
        KEYS.revoke_principal(build.principal)
    return build


def _route(environ: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "POST":
        return 404, {"error": "NotFound", "message": f"POST {ROUTE} or {ROUTE}/<id>/complete"}
    try:
        if path == ROUTE:
            build, session = start(
                body["account"], body["region"], body["project"], body.get("input"), body.get("output")
            )
            network = list(build.principal.network) if build.principal.network is not None else None
            return 200, {"id": build.id, "credentials": session.credentials(), "reachable": network}
        if path.startswith(f"{ROUTE}/") and path.endswith("/complete"):
            build = complete(path[len(ROUTE) + 1 : -len("/complete")])
            return 200, {"id": build.id, "status": "SUCCEEDED"}
    except BuildFailed as failed:
        return 403, {"error": "BuildFailed", "message": str(failed)}
    return 404, {"error": "NotFound", "message": f"POST {ROUTE} or {ROUTE}/<id>/complete"}


def _forget_sessions() -> None:
    with _LOCK:
        sessions = list(_SESSIONS.values())
        _SESSIONS.clear()
    for build in sessions:
        KEYS.revoke_principal(build.principal)


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    routes.add(ROUTE, _route)
    images.apply()
    _remember_endpoint()
    lifecycle.on_reset(_forget_sessions)
    setattr(routes, _MARK, True)
