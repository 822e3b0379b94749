"""CodeBuild builds: what CodeBuild does as a project's service role, and the credentials a build runs with.

AWS (CodeBuild User Guide, "Allow CodeBuild to interact with other AWS services" (the service role),
"Use CodeBuild with Amazon VPC", "CodeBuild with CodePipeline"; IAM User Guide, "The confused deputy
problem"): a build runs as the project's service role, which CodeBuild assumes with ``aws:SourceArn`` the
project and ``aws:SourceAccount`` its account. Before the build's commands run, CodeBuild
- in a VPC, looks the network up (``ec2:DescribeDhcpOptions``, ``DescribeNetworkInterfaces``,
  ``DescribeSecurityGroups``, ``DescribeSubnets``, ``DescribeVpcs``), makes the build's network interface
  (``ec2:CreateNetworkInterface`` in a subnet of the project, with its security groups) and lets itself use
  it (``ec2:CreateNetworkInterfacePermission`` with ``ec2:AuthorizedService`` codebuild.amazonaws.com);
- writes the build log to the project's log group (``logs:CreateLogStream``, ``logs:PutLogEvents``);
- downloads the input artifact (``s3:GetObject``, and ``kms:Decrypt`` via S3 for an SSE-KMS one);
and after them uploads the output artifact (``s3:GetBucketAcl``, ``s3:GetBucketLocation``, ``s3:PutObject``
encrypted with the project's ``encryptionKey``: ``kms:GenerateDataKey`` via S3) and removes the interface
(``ec2:DeleteNetworkInterface``). The build's commands get the role session's credentials.

The sandbox does not run the commands: a test or the demo runs them with the credentials, which is what they
would run with in CodeBuild. A build in a VPC reaches only the services the VPC has endpoints for (there is
no NAT gateway in launchpad's networks): its session's calls to any other service are refused with
``LaunchpadSandboxUnreachable``, where in AWS they would time out.

Sandbox routes::

    POST /_launchpad/codebuild/builds   {"account", "region", "project", "input": "s3://...", "output": "s3://..."}
        -> {"id", "credentials": {...}, "reachable": [...] | null}   (403 with AWS's message if refused)
    POST /_launchpad/codebuild/builds/<id>/complete   -> {"id", "status": "SUCCEEDED" | "FAILED", "message"}
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from moto.codebuild.models import codebuild_backends
from moto.ec2.models import ec2_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends

from launchpad.sandbox import routes
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.principals import KEYS, Principal
from launchpad.sandbox.patches import sts

ROUTE = "/_launchpad/codebuild/builds"
SERVICE = "codebuild.amazonaws.com"
_MARK = "_launchpad_codebuild_builds"


class BuildFailed(Exception):
    """A phase of the build could not run (the message says which and why, as CodeBuild reports it)."""


@dataclass
class Build:
    id: str
    account: str
    region: str
    project: Mapping[str, Any]
    principal: Principal
    output: str | None
    network_interface: str | None = None


_BUILDS: dict[str, Build] = {}
_LOCK = threading.Lock()


def _s3_location(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _as_role(
    principal: Principal, service: str, operation: str, params: Mapping[str, Any], region: str, **headers: str
) -> None:
    denied = acting.check(principal, acting.call(service, operation, params, region, **headers))
    if denied is not None:
        raise BuildFailed(f"{operation} was refused: {denied.message}")


def reachable(account: str, region: str, vpc_id: str) -> tuple[str, ...]:
    """The short names of the services a VPC without a NAT gateway reaches: its interface endpoints and the
    services of its gateway endpoints."""
    prefix = f"com.amazonaws.{region}."
    endpoints = ec2_backends[account][region].vpc_end_points.values()
    return tuple(sorted(e.service_name.removeprefix(prefix) for e in endpoints if e.vpc_id == vpc_id))


def _provision(build: Build) -> None:
    vpc = build.project.get("vpcConfig") or {}
    if vpc.get("vpcId"):
        subnets, groups = list(vpc.get("subnets") or []), list(vpc.get("securityGroupIds") or [])
        for operation in (
            "DescribeDhcpOptions",
            "DescribeNetworkInterfaces",
            "DescribeSecurityGroups",
            "DescribeSubnets",
            "DescribeVpcs",
        ):
            _as_role(build.principal, "ec2", operation, {}, build.region)
        _as_role(
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
        _as_role(build.principal, "ec2", "CreateNetworkInterfacePermission", permission, build.region)


def _log(build: Build, message: str) -> None:
    logs = ((build.project.get("logsConfig") or {}).get("cloudWatchLogs")) or {}
    if logs.get("status", "ENABLED") != "ENABLED":
        return
    group = logs.get("groupName") or f"/aws/codebuild/{build.project['name']}"
    # streamName is "the prefix of the stream name" (API_CloudWatchLogsConfig); the build's UUID follows it
    stream = "/".join(filter(None, (logs.get("streamName"), build.id.split(":", 1)[1])))
    backend = logs_backends[build.account][build.region]
    if group not in backend.groups:
        raise BuildFailed(f"ACCESS_DENIED: the log group {group} of the build does not exist")
    params = {"logGroupName": group, "logStreamName": stream}
    if stream not in backend.groups[group].streams:
        _as_role(build.principal, "logs", "CreateLogStream", params, build.region)
        backend.create_log_stream(group, stream)
    _as_role(build.principal, "logs", "PutLogEvents", params, build.region)
    now = int(datetime.now(UTC).timestamp() * 1000)
    backend.put_log_events(group, stream, [{"timestamp": now, "message": message}])


def _download(build: Build, uri: str) -> None:
    bucket, key = _s3_location(uri)
    _as_role(build.principal, "s3", "GetObject", {"Bucket": bucket, "Key": key}, build.region)
    owner = s3_backends.bucket_accounts.get(bucket)
    stored = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
    if stored is None or key not in stored.keys:
        raise BuildFailed(f"CLIENT_ERROR: no matching artifact paths found: {uri} does not exist")


def _upload(build: Build, uri: str) -> None:
    bucket, key = _s3_location(uri)
    for operation in ("GetBucketAcl", "GetBucketLocation"):
        _as_role(build.principal, "s3", operation, {"Bucket": bucket}, build.region)
    key_arn = build.project.get("encryptionKey")
    headers = (
        {"x_amz_server_side_encryption": "aws:kms", "x_amz_server_side_encryption_aws_kms_key_id": key_arn}
        if key_arn and ":alias/aws/" not in key_arn
        else {}
    )
    _as_role(build.principal, "s3", "PutObject", {"Bucket": bucket, "Key": key}, build.region, **headers)
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise BuildFailed(f"UPLOAD_ARTIFACTS: the artifact bucket {bucket} does not exist")
    s3_backends[owner[1]][owner[0]].put_object(
        bucket,
        key,
        b"PK\x05\x06" + b"\x00" * 18,
        encryption="aws:kms" if headers else None,
        kms_key_id=key_arn if headers else None,
    )


def start(
    account: str, region: str, project_name: str, input_uri: str | None, output_uri: str | None
) -> tuple[Build, sts.Session]:
    """Start a build of ``project_name``: take its role, provision, log, download the input."""
    project = codebuild_backends[account][region].codebuild_projects.get(project_name)
    if project is None:
        raise BuildFailed(
            f"Project cannot be found: arn:aws:codebuild:{region}:{account}:project/{project_name}"
        )
    metadata = project.project_metadata
    build_id = f"{project_name}:{uuid.uuid4()}"
    role = str(metadata.get("serviceRole"))
    try:
        acting.assume(
            role, SERVICE, region, metadata["arn"], account, f"AWSCodeBuild-{build_id.split(':')[1]}"
        )
    except acting.Refused as refused:
        raise BuildFailed(
            f"CodeBuild is not authorized to perform: sts:AssumeRole on {role} ({refused})"
        ) from refused
    session = sts._issue(role, f"AWSCodeBuild-{build_id.split(':')[1]}", None, SERVICE, region)
    vpc = metadata.get("vpcConfig") or {}
    network = reachable(account, region, vpc["vpcId"]) if vpc.get("vpcId") else None
    principal = replace(session.principal, network=network)
    KEYS.issue(session.access_key, principal)
    build = Build(build_id, account, region, metadata, principal, output_uri)
    _provision(build)
    _log(build, f"Running build {build_id}")
    if input_uri:
        _download(build, input_uri)
    with _LOCK:
        _BUILDS[build_id] = build
    return build, replace(session, principal=principal)


def complete(build_id: str) -> Build:
    """Finish a build: upload its output artifact, log, remove its network interface."""
    with _LOCK:
        build = _BUILDS.pop(build_id, None)
    if build is None:
        raise BuildFailed(f"no running build {build_id}")
    try:
        if build.output:
            _upload(build, build.output)
        _log(build, f"Build {build_id} succeeded")
        if build.network_interface:
            _as_role(
                build.principal,
                "ec2",
                "DeleteNetworkInterface",
                {"NetworkInterfaceId": build.network_interface},
                build.region,
            )
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


def apply() -> None:
    if getattr(routes, _MARK, False):
        return
    routes.add(ROUTE, _route)
    setattr(routes, _MARK, True)
