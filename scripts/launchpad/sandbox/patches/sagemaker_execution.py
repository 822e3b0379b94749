"""SageMaker acts as the execution role: models, endpoint fleets and data capture, under the role's policies.

AWS (SageMaker Developer Guide, "How to use SageMaker AI execution roles" / "CreateModel API: Execution Role
Permissions", "Give SageMaker AI hosted endpoints access to resources in your Amazon VPC", "Capture data from
real-time endpoint"; API Reference ``CreateModel``, ``CreateEndpoint``, ``DataCaptureConfig``):

- ``CreateModel`` checks that SageMaker can assume the execution role: "Could not assume role <arn>. Please
  ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role." The role is
  assumed with ``aws:SourceAccount`` (the account) and ``aws:SourceArn`` (the model, later the endpoint).
- When an endpoint fleet is provisioned (``CreateEndpoint``, ``UpdateEndpoint``), SageMaker, as the role of
  each variant's model: pulls a private ECR image (``ecr:GetAuthorizationToken``,
  ``ecr:BatchCheckLayerAvailability``, ``ecr:GetDownloadUrlForLayer``, ``ecr:BatchGetImage``; the repository
  policy applies); downloads the model artifact (``s3:GetObject``, and ``kms:Decrypt`` via S3 for an SSE-KMS
  object); in a VPC, looks the network up and plugs the model in (``ec2:Describe*``,
  ``ec2:CreateNetworkInterface``, ``ec2:CreateNetworkInterfacePermission``) and downloads the artifact and
  the image through the VPC ("Give SageMaker AI hosted endpoints access to resources in your Amazon VPC":
  without internet access, S3 is reached through a gateway endpoint on the subnets' route tables, which the
  model's security groups must let HTTPS out to (its prefix list, or 0.0.0.0/0), and a private ECR image
  through the ecr.api and ecr.dkr interface endpoints); reads the update's auto-rollback
  alarms (``cloudwatch:DescribeAlarms``). Any of these refused, or the artifact or image missing, and the
  fleet fails: the endpoint ends ``Failed`` with a ``FailureReason`` in AWS's words.
- Once the fleet runs, it writes the container's log to ``/aws/sagemaker/Endpoints/<endpoint>``, stream
  ``<variant>/<instance id>`` (``logs:DescribeLogStreams``, ``logs:CreateLogStream``, ``logs:PutLogEvents``
  for each line; ``logs:CreateLogGroup`` if the group is missing) and instance metrics to
  ``/aws/sagemaker/Endpoints`` (``cloudwatch:PutMetricData``);
  deleting the endpoint removes its network interfaces (``ec2:DeleteNetworkInterfacePermission``,
  ``ec2:DeleteNetworkInterface``). These do not fail the endpoint when refused; AWS drops them, the sandbox
  keeps each refusal (``/_launchpad/authz/refusals``).
- Each ``InvokeEndpoint`` of an endpoint with data capture on (sampled at ``InitialSamplingPercentage``)
  writes one JSON line to ``{DestinationS3Uri}/{endpoint}/{variant}/yyyy/mm/dd/hh/`` in SageMaker's
  capture format (``captureData.endpointInput``/``endpointOutput`` with ``observedContentType``, ``mode``,
  ``data``, ``encoding``: ``JSON``/``CSV`` for the configured content types, else ``BASE64``;
  ``eventMetadata`` with ``eventId``, ``inferenceId`` (the request's ``InferenceId``, when it has one) and
  ``inferenceTime``; ``eventVersion`` "0"), encrypted with the
  configuration's ``KmsKeyId``, as the role: ``s3:PutObject`` under the bucket policy and
  ``kms:GenerateDataKey`` under the key policy. A refused record is dropped and kept as a refusal.

The network path is modelled from the VPC's route tables, gateway and interface endpoints and the security
groups' egress rules (not network ACLs). Images in a registry the sandbox does not hold (AWS's Deep Learning
Containers, another account's registry with no such repository here) are pulled without checks, and counted.
Network interfaces are authorized, not created (no ENIs appear in ``DescribeNetworkInterfaces``).

A variant whose model's image has a local stand-in (``sagemaker_hosting``) runs it from the artifact read
here: an artifact that is not a safe tar.gz fails the fleet at once, a stand-in that does not pass ``/ping``
fails it later; the stand-in's output is the container's log (each line authorized as above).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.ec2.models import ec2_backends
from moto.ecr.models import ecr_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.authz.record import USAGE
from launchpad.sandbox.patches import sagemaker_hosting as hosting

log = logging.getLogger(__name__)

SERVICE = "sagemaker.amazonaws.com"
LOG_GROUP = "/aws/sagemaker/Endpoints/{endpoint}"
METRIC_NAMESPACE = "/aws/sagemaker/Endpoints"
_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?",
    re.ASCII,
)
_LAYER = "sha256:" + "0" * 64  # the layer the sandbox pretends each image has


class FleetFailure(Exception):
    """The fleet of a variant cannot start; the message is the endpoint's FailureReason."""


# -- taking the role ---------------------------------------------------------------------------------------
def _assume(role_arn: str, account: str, region: str, source_arn: str) -> Principal:
    try:
        return acting.assume(role_arn, SERVICE, region, source_arn, account, "SageMaker")
    except acting.Refused as refused:
        raise FleetFailure(
            f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
            f"'{SERVICE}' to assume the role. ({refused})"
        ) from refused


def check_model_role(backend: SageMakerModelBackend, model_name: str, role_arn: str | None) -> None:
    """CreateModel: SageMaker must be able to assume the execution role (ValidationError otherwise)."""
    if not authz.enabled():
        return
    arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:model/{model_name}"
    try:
        _assume(str(role_arn), backend.account_id, backend.region_name, arn)
    except FleetFailure as failure:
        raise ValidationError(str(failure).split(" (", 1)[0]) from failure


def _do(
    principal: Principal, service: str, operation: str, params: Mapping[str, Any], region: str, **headers: str
) -> acting.Denied | None:
    return acting.check(principal, acting.call(service, operation, params, region, **headers))


# -- what one variant's fleet does at start ----------------------------------------------------------------
def _containers(model: Any) -> list[Mapping[str, Any]]:
    return [c for c in [model.primary_container or {}, *(model.containers or [])] if c]


def _artifact(container: Mapping[str, Any]) -> str | None:
    source = ((container.get("ModelDataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
    return container.get("ModelDataUrl") or source


def _pull(principal: Principal, role: str, image: str, region: str) -> None:
    found = _ECR_IMAGE.fullmatch(image)
    if found is None:
        return
    registry, repository_name = found.group("account"), found.group("repository")
    repositories = ecr_backends[registry][found.group("region")].repositories
    if repository_name not in repositories and registry != principal.account:
        USAGE.count("images not held")  # an AWS image (Deep Learning Containers) or another account's
        return
    base = {"registryId": registry, "repositoryName": repository_name}
    reference = (
        {"imageDigest": found.group("digest")}
        if found.group("digest")
        else {"imageTag": found.group("tag") or "latest"}
    )
    for operation, params in (
        ("GetAuthorizationToken", {}),
        ("BatchCheckLayerAvailability", {**base, "layerDigests": [_LAYER]}),
        ("GetDownloadUrlForLayer", {**base, "layerDigest": _LAYER}),
        ("BatchGetImage", {**base, "imageIds": [reference]}),
    ):
        denied = _do(principal, "ecr", operation, params, found.group("region"))
        if denied is not None:
            raise FleetFailure(
                f"The role '{role}' does not have {operation} permission for the image: '{image}'. "
                f"({denied.message})"
            )
    repository = repositories.get(repository_name)
    wanted = reference.get("imageTag") or reference.get("imageDigest")
    if repository is None or not any(
        wanted in (i.image_tag, *i.image_tags, i.image_digest) for i in repository.images
    ):
        raise FleetFailure(f"Requested image {image} not found.")


def _private_image(image: str, account: str) -> bool:
    found = _ECR_IMAGE.fullmatch(image)
    return found is not None and found.group("account") == account


def _download(principal: Principal, role: str, url: str, region: str) -> Callable[[], bytes]:
    """Download the artifact as the role: its bytes, read when called (as moto stores them: decrypted)."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    denied = _do(principal, "s3", "GetObject", {"Bucket": bucket, "Key": key}, region)
    if denied is not None:
        raise FleetFailure(
            f'Could not access model data at {url}. Please ensure that the role "{role}" exists and that its '
            f'trust relationship policy allows the action "sts:AssumeRole" for the service principal '
            f'"{SERVICE}". Also ensure that the role has "s3:GetObject" permissions and that the object is '
            f"located in {region}. ({denied.message})"
        )
    owner = s3_backends.bucket_accounts.get(bucket)
    stored = s3_backends[owner[1]][owner[0]].buckets.get(bucket) if owner else None
    found = stored.keys.get(key) if stored is not None else None
    if found is None or not hasattr(found, "value"):  # none, or a delete marker
        raise FleetFailure(f"Could not find model data at {url}.")
    return lambda: bytes(found.value)


def _attach(principal: Principal, role: str, vpc: Mapping[str, Any], region: str) -> None:
    subnets, groups = list(vpc.get("Subnets") or []), list(vpc.get("SecurityGroupIds") or [])
    steps: list[tuple[str, dict[str, Any]]] = [
        ("DescribeSubnets", {"SubnetIds": subnets}),
        ("DescribeSecurityGroups", {"GroupIds": groups}),
        ("DescribeVpcs", {}),
        ("DescribeDhcpOptions", {}),
        ("DescribeNetworkInterfaces", {}),
    ]
    for subnet in subnets:
        eni = f"eni-{uuid.uuid5(uuid.NAMESPACE_URL, subnet + role).hex[:17]}"
        steps.append(("CreateNetworkInterface", {"SubnetId": subnet, "Groups": groups}))
        steps.append(
            (
                "CreateNetworkInterfacePermission",
                {
                    "NetworkInterfaceId": eni,
                    "AwsService": SERVICE,
                    "Permission": "INSTANCE-ATTACH",
                    "SubnetId": subnet,
                },
            )
        )
    for operation, params in steps:
        denied = _do(principal, "ec2", operation, params, region)
        if denied is not None:
            raise FleetFailure(
                f"SageMaker could not attach the model to subnets {', '.join(subnets)} with the execution "
                f"role '{role}': {operation} was refused. ({denied.message})"
            )


def _egress_allows(groups: list[Any], destination: str, prefix_list: str | None) -> bool:
    """Whether a security group of ``groups`` lets HTTPS out to ``destination`` (a CIDR) or
    ``prefix_list``."""
    for group in groups:
        for rule in group.egress_rules:
            https = rule.ip_protocol in ("-1", "tcp", "6") and (
                rule.from_port is None
                or rule.from_port <= 443 <= (rule.to_port if rule.to_port is not None else 443)
            )
            cidr = (rule.ip_range or {}).get("CidrIp")
            if https and (
                cidr in ("0.0.0.0/0", destination) or (prefix_list and rule.prefix_list_id == prefix_list)
            ):
                return True
    return False


def network_problem(account: str, region: str, vpc: Mapping[str, Any], private_image: bool) -> str | None:
    """Why the model's subnets and security groups cannot reach S3 (and a private ECR image), or None."""
    ec2 = ec2_backends[account][region]
    groups = [g for g in (ec2.get_security_group_from_id(i) for i in vpc.get("SecurityGroupIds") or []) if g]
    s3 = f"com.amazonaws.{region}.s3"
    prefix_list = next((p.id for p in ec2.managed_prefix_lists.values() if p.prefix_list_name == s3), None)
    missing = [g for g in vpc.get("SecurityGroupIds") or [] if ec2.get_security_group_from_id(g) is None]
    if missing:
        return f"the security groups {', '.join(missing)} do not exist"
    for subnet_id in vpc.get("Subnets") or []:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:  # moto's InvalidSubnetIdError
            return f"the subnet {subnet_id} does not exist"
        tables = [t for t in ec2.route_tables.values() if subnet_id in t._associations.values()]
        tables = tables or [
            t for t in ec2.route_tables.values() if t.vpc_id == subnet.vpc_id and t.main_association_id
        ]
        routes = [r for t in tables for r in t.routes]
        internet = any(
            r.destination_cidr_block == "0.0.0.0/0" and (r.gateway or r.nat_gateway) for r in routes
        )
        gateway = prefix_list is not None and any(r.destination_prefix_list_id == prefix_list for r in routes)
        if not (internet or gateway):
            return (
                f"subnet {subnet_id} has no route to S3 (no S3 gateway endpoint on its route table, no NAT)"
            )
        vpc_cidr = ec2.get_vpc(subnet.vpc_id).cidr_block
        # S3 is outside the VPC either way (through the gateway endpoint, its prefix list's addresses): a rule
        # to the VPC's own CIDR does not reach it.
        if not _egress_allows(groups, "0.0.0.0/0", prefix_list if gateway else None):
            return (
                f"the security groups {', '.join(vpc.get('SecurityGroupIds') or [])} allow no HTTPS out to "
                f"S3 (the S3 prefix list {prefix_list} of the gateway endpoint, or 0.0.0.0/0)"
            )
        if private_image and not internet:
            services = {e.service_name for e in ec2.vpc_end_points.values() if e.vpc_id == subnet.vpc_id}
            missing = [n for n in ("ecr.api", "ecr.dkr") if f"com.amazonaws.{region}.{n}" not in services]
            if missing:
                endpoints = " or ".join(missing)
                return (
                    f"the VPC of subnet {subnet_id} has no {endpoints} interface endpoint (private ECR image)"
                )
            if not _egress_allows(groups, vpc_cidr, None):
                where = f"the VPC ({vpc_cidr}), where the ECR endpoints are"
                return f"the security groups allow no HTTPS out to {where}"
    return None


def _read_alarms(principal: Principal, role: str, alarms: list[str], region: str) -> None:
    denied = _do(principal, "cloudwatch", "DescribeAlarms", {"AlarmNames": alarms}, region)
    if denied is not None:
        raise FleetFailure(
            f"SageMaker could not read the auto-rollback alarms {', '.join(alarms)} with the execution role "
            f"'{role}'. ({denied.message})"
        )


def _variants(config: Any) -> list[Mapping[str, Any]]:
    return [*(config.production_variants or []), *(getattr(config, "shadow_production_variants", None) or [])]


def provision(
    backend: SageMakerModelBackend, endpoint_name: str, config: Any, deployment: Mapping[str, Any] | None
) -> str | None:
    """Start the fleet of ``config`` for ``endpoint_name`` as each variant's execution role: None when it
    runs, else the endpoint's FailureReason. A running fleet logs and publishes metrics (refusals kept)."""
    if not authz.enabled():
        return None
    region, account = backend.region_name, backend.account_id
    endpoint_arn = f"arn:aws:sagemaker:{region}:{account}:endpoint/{endpoint_name}"
    alarms = [
        a["AlarmName"]
        for a in ((deployment or {}).get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    ]
    started: list[tuple[Principal, str, hosting.Launch | None]] = []
    try:
        for variant in _variants(config):
            model = backend._models.get(variant.get("ModelName", ""))
            if model is None:
                raise FleetFailure(f'Could not find model "{variant.get("ModelName")}".')
            role = model.execution_role_arn
            principal = _assume(role, account, region, endpoint_arn)
            artifacts: dict[str, Callable[[], bytes]] = {}
            for container in _containers(model):
                if container.get("Image"):
                    _pull(principal, role, container["Image"], region)
                url = _artifact(container)
                if url:
                    artifacts[url] = _download(principal, role, url, region)
            if model.vpc_config:
                _attach(principal, role, model.vpc_config, region)
                private = any(_private_image(c.get("Image", ""), account) for c in _containers(model))
                problem = network_problem(account, region, model.vpc_config, private)
                if problem:
                    where = ", ".join(
                        filter(None, (_artifact(c) or c.get("Image") for c in _containers(model)))
                    )
                    raise FleetFailure(f"Could not download {where} from the VPC: {problem}.")
            if alarms and not started:
                _read_alarms(principal, role, alarms, region)
            started.append(
                (principal, variant["VariantName"], _stand_in(account, region, model, variant, artifacts))
            )
    except FleetFailure as failure:
        log.info("endpoint %s: fleet failed: %s", endpoint_name, failure)
        return str(failure)
    for principal, variant_name, launch in started:
        writer = _log_start(principal, account, region, endpoint_name, variant_name)
        _publish_metrics(principal, account, region, endpoint_name, variant_name)
        if launch is not None:
            hosting.start_fleet(launch, endpoint_name, config.endpoint_config_name, variant_name, writer)
    return None


def _stand_in(
    account: str,
    region: str,
    model: Any,
    variant: Mapping[str, Any],
    artifacts: Mapping[str, Callable[[], bytes]],
) -> hosting.Launch | None:
    """The local stand-in the variant's fleet runs (``sagemaker_hosting``), if its image has one."""
    try:
        return hosting.plan(account, region, model, variant, artifacts)
    except hosting.Unhostable as unhostable:
        raise FleetFailure(str(unhostable)) from unhostable


def _refused(account: str, what: str, denied: acting.Denied | str) -> None:
    message = denied if isinstance(denied, str) else denied.message
    log.info("sagemaker %s refused: %s", what, message)
    USAGE.refuse(account, "sagemaker", what, message)


def _log_start(
    principal: Principal, account: str, region: str, endpoint: str, variant: str
) -> hosting.LogWriter | None:
    """Open the instance's log stream ``<variant>/<instance id>`` as the role: a writer of the container's
    further lines, None when refused (kept as a refusal)."""
    group = LOG_GROUP.format(endpoint=endpoint)
    stream = f"{variant}/i-{uuid.uuid4().hex[:17]}"
    backend = logs_backends[account][region]
    if group not in backend.groups:
        denied = _do(principal, "logs", "CreateLogGroup", {"logGroupName": group}, region)
        _refused(account, f"log group {group}", denied or f"the log group {group} does not exist")
        return None
    for operation, params in (
        ("DescribeLogStreams", {"logGroupName": group, "logStreamNamePrefix": variant}),
        ("CreateLogStream", {"logGroupName": group, "logStreamName": stream}),
        ("PutLogEvents", {"logGroupName": group, "logStreamName": stream}),
    ):
        denied = _do(principal, "logs", operation, params, region)
        if denied is not None:
            _refused(account, f"container log to {group}", denied)
            return None
    backend.create_log_stream(group, stream)
    _put_log_line(account, region, group, stream, f"{variant}: model server started")
    return lambda line: _container_log(principal, account, region, group, stream, line)


def _put_log_line(account: str, region: str, group: str, stream: str, line: str) -> bool:
    log_group = logs_backends[account][region].groups.get(group)
    if log_group is None or stream not in log_group.streams:  # deleted, or the sandbox was reset
        return False
    now = int(datetime.now(UTC).timestamp() * 1000)
    logs_backends[account][region].put_log_events(group, stream, [{"timestamp": now, "message": line}])
    return True


def _container_log(
    principal: Principal, account: str, region: str, group: str, stream: str, line: str
) -> bool:
    """One line of the container's output to its stream, as the role; False when refused or gone."""
    params = {"logGroupName": group, "logStreamName": stream}
    denied = _do(principal, "logs", "PutLogEvents", params, region)
    if denied is not None:
        _refused(account, f"container log to {group}", denied)
        return False
    return _put_log_line(account, region, group, stream, line)


def _publish_metrics(principal: Principal, account: str, region: str, endpoint: str, variant: str) -> None:
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ],
            "Value": 0.0,
            "Unit": "Percent",
        }
    ]
    denied = _do(
        principal, "cloudwatch", "PutMetricData", {"Namespace": METRIC_NAMESPACE, "MetricData": data}, region
    )
    if denied is not None:
        _refused(account, f"instance metrics to {METRIC_NAMESPACE}", denied)
        return
    cloudwatch_backends[account][region].put_metric_data(METRIC_NAMESPACE, data)


def release(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> None:
    """DeleteEndpoint: stop the stand-ins only this endpoint used; remove the fleet's network interfaces as
    each VPC model's role (refusals kept)."""
    hosting.release(backend.account_id, backend.region_name, endpoint.endpoint_name)
    if not authz.enabled():
        return
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    for variant in _variants(config) if config is not None else []:
        model = backend._models.get(variant.get("ModelName", ""))
        if model is None or not model.vpc_config:
            continue
        try:
            principal = _assume(
                model.execution_role_arn, backend.account_id, backend.region_name, endpoint.arn
            )
        except FleetFailure as failure:
            _refused(backend.account_id, "network interface removal", str(failure))
            continue
        detach(principal, model.execution_role_arn, model.vpc_config, backend.region_name, backend.account_id)


def detach(principal: Principal, role: str, vpc: Mapping[str, Any], region: str, account: str) -> None:
    """Remove the network interfaces ``_attach`` made in ``vpc``'s subnets, as the role (AWS does when the
    fleet or job ends; a refusal does not stop it there: it is kept)."""
    for subnet in vpc.get("Subnets") or []:
        eni = f"eni-{uuid.uuid5(uuid.NAMESPACE_URL, subnet + role).hex[:17]}"
        for operation, params in (
            (
                "DeleteNetworkInterfacePermission",
                {
                    "NetworkInterfacePermissionId": f"eni-attach-{eni[4:]}",
                    "NetworkInterfaceId": eni,
                    "SubnetId": subnet,
                },
            ),
            ("DeleteNetworkInterface", {"NetworkInterfaceId": eni, "SubnetId": subnet}),
        ):
            denied = _do(principal, "ec2", operation, params, region)
            if denied is not None:
                _refused(account, f"network interface {eni} removal", denied)
                break


# -- data capture ------------------------------------------------------------------------------------------
def _encoded(body: bytes, content_type: str, header: Mapping[str, Any]) -> tuple[str, str]:
    base_type = content_type.split(";")[0].strip()
    if base_type in (header.get("JsonContentTypes") or []):
        return body.decode("utf-8", "replace"), "JSON"
    if base_type in (header.get("CsvContentTypes") or []):
        return body.decode("utf-8", "replace"), "CSV"
    return base64.b64encode(body).decode(), "BASE64"


def capture_record(
    body: bytes,
    content_type: str,
    answer: bytes,
    answer_type: str,
    config: Mapping[str, Any],
    when: datetime,
    inference_id: str | None = None,
) -> dict[str, Any]:
    """One line of SageMaker's data-capture format for a request and its answer (``inference_id``: the
    request's ``InferenceId``)."""
    modes = {
        o.get("CaptureMode")
        for o in config.get("CaptureOptions") or [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    }
    header = config.get("CaptureContentTypeHeader") or {}
    data: dict[str, Any] = {}
    for mode, key, payload, observed in (
        ("Input", "endpointInput", body, content_type),
        ("Output", "endpointOutput", answer, answer_type),
    ):
        if mode in modes:
            text, encoding = _encoded(payload, observed, header)
            data[key] = {
                "observedContentType": observed,
                "mode": mode.upper(),
                "data": text,
                "encoding": encoding,
            }
    metadata = {"eventId": str(uuid.uuid4())}
    if inference_id:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}


def capture_key(destination: str, endpoint: str, variant: str, when: datetime) -> tuple[str, str]:
    """(bucket, key) of a capture file:
    ``{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/mm-ss-mmm-<uuid>.jsonl``."""
    bucket, _, prefix = destination.removeprefix("s3://").partition("/")
    folder = "/".join(p for p in (prefix.strip("/"), endpoint, variant, when.strftime("%Y/%m/%d/%H")) if p)
    name = f"{when.strftime('%M-%S')}-{when.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    return bucket, f"{folder}/{name}"


def capture(
    backend: SageMakerModelBackend,
    endpoint: FakeEndpoint,
    variant: str,
    body: bytes,
    content_type: str,
    answer: bytes,
    answer_type: str,
    inference_id: str | None = None,
) -> None:
    """Write the capture record of one invocation, if the endpoint captures and this one is sampled."""
    config_object = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    config = (getattr(config_object, "data_capture_config", None) or {}) if config_object else {}
    if not config or not config.get("EnableCapture", True) or not config.get("DestinationS3Uri"):
        return
    if random.uniform(0, 100) >= float(config.get("InitialSamplingPercentage", 100)):
        return
    entry = next((v for v in _variants(config_object) if v["VariantName"] == variant), None)
    model = backend._models.get(entry["ModelName"]) if entry else None
    if model is None:
        return
    when = datetime.now(UTC)
    bucket, key = capture_key(config["DestinationS3Uri"], endpoint.endpoint_name, variant, when)
    record = capture_record(body, content_type, answer, answer_type, config, when, inference_id)
    line = (json.dumps(record) + "\n").encode()
    account, region = backend.account_id, backend.region_name
    try:
        principal = _assume(model.execution_role_arn, account, region, endpoint.arn)
    except FleetFailure as failure:
        _refused(account, f"data capture to s3://{bucket}/{key}", str(failure))
        return
    kms_key = config.get("KmsKeyId")
    headers = {"x_amz_server_side_encryption": "aws:kms"} if kms_key else {}
    if kms_key:
        headers["x_amz_server_side_encryption_aws_kms_key_id"] = kms_key
    denied = _do(principal, "s3", "PutObject", {"Bucket": bucket, "Key": key}, region, **headers)
    if denied is not None:
        USAGE.count("capture records refused")
        _refused(account, f"data capture to s3://{bucket}/{key}", denied)
        return
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        _refused(account, f"data capture to s3://{bucket}/{key}", f"the bucket {bucket} does not exist")
        return
    s3_backends[owner[1]][owner[0]].put_object(
        bucket, key, line, encryption="aws:kms" if kms_key else None, kms_key_id=kms_key
    )
    USAGE.count("capture records")
