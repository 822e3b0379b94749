"""The resources a call acts on, as ARNs, from the ARN formats of the Service Authorization Reference.

For each resource type the action is authorized on, the ARN format (``arn:${Partition}:sagemaker:${Region}:
${Account}:endpoint/${EndpointName}``) is filled in from the request: an ARN parameter of that format is
taken as it is; otherwise each variable comes from the parameter of the same name or from the service's
spelling of it (``PARAMETERS``: S3's ``Bucket`` is ``${BucketName}``, CloudWatch's ``AlarmNames`` lists
``${AlarmName}``...). A resource type the request does not name is left out when the reference marks it
optional; a required one the request cannot name (a list or describe call without names, a create whose
new resource has no id yet) is authorized on the ARN with ``*`` for what the request leaves open, as AWS
authorizes such calls. Anything else the sandbox cannot place is a ``MappingError``: refused loudly, never
allowed on a guess.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.sagemaker.models import sagemaker_backends

from launchpad.sandbox.authz.calls import Call
from launchpad.sandbox.authz.catalog import Action, ResourceType

OPEN_PREFIXES = ("List", "Describe", "Get", "BatchGet", "Create", "Run", "Search", "Head")
# Actions whose resources the request cannot name: Application Auto Scaling's scalable-target ARNs are made
# by the service at registration (the Resource of such statements is "*").
UNNAMED_RESOURCES = frozenset({"application-autoscaling"})


class MappingError(LookupError):
    """The sandbox cannot tell what a call must be authorized for."""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return []


def _param(params: Mapping[str, Any], name: str) -> Any:
    """A top-level parameter by name, ignoring case (``logGroupName`` is ``LogGroupName``)."""
    wanted = name.lower()
    return next((v for k, v in params.items() if k.lower() == wanted), None)


def _name_of_arn(value: str, marker: str) -> str:
    return value.split(marker, 1)[1] if value.startswith("arn:") and marker in value else value


# -- how each service spells the variables of its ARN formats ---------------------------------------------
def _role_name_with_path(call: Call, account: str) -> list[str]:
    name = _param(call.params, "RoleName")
    if not isinstance(name, str):
        return []
    path = _param(call.params, "Path")  # CreateRole; otherwise the role's own path
    if not isinstance(path, str):
        role = next((r for r in iam_backends[account]["aws"].roles.values() if r.name == name), None)
        path = role.path if role is not None else "/"
    return [f"{path.strip('/')}/{name}".lstrip("/")]


def _kms_key_id(call: Call, account: str) -> list[str]:
    """The key of a KMS call: KeyId or TargetKeyId, else the key an AliasName points at (DeleteAlias)."""
    key = _param(call.params, "KeyId") or _param(call.params, "TargetKeyId")
    if isinstance(key, str):
        return [key_id(key, account, call.region) or _name_of_arn(key, ":key/")]
    alias = _param(call.params, "AliasName")
    found = key_id(alias, account, call.region) if isinstance(alias, str) else None
    return [found] if found else []


def key_id(key: str, account: str, region: str) -> str | None:
    """The key id behind a key id, key ARN, alias name or alias ARN (None if there is none; AWS managed
    aliases that do not exist yet are not created by looking)."""
    backend = kms_backends[account][region]
    name = "alias/" + key.split(":alias/", 1)[1] if ":alias/" in key else key
    if name.startswith("alias/"):
        return next((k.id for k in backend.keys.values() if name in k.aliases), None)
    found = _name_of_arn(name, ":key/")
    return found if found in backend.keys else None


def _model_package_name(call: Call, account: str) -> list[str]:
    value = _param(call.params, "ModelPackageName") or _param(call.params, "ModelPackageArn")
    group = _param(call.params, "ModelPackageGroupName")
    if call.operation == "CreateModelPackage" and not value and isinstance(group, str):
        return [_new_version(_name_of_arn(group, ":model-package-group/"), account, call.region)]
    return [_name_of_arn(v, ":model-package/") for v in _strings(value)]


def _new_version(group: str, account: str, region: str) -> str:
    """The name the next version of ``group`` gets, ``<group>/<n>`` (its ARN is model-package/<group>/<n>):
    what a versioned CreateModelPackage is authorized on, so the group's policy applies to it."""
    packages = sagemaker_backends[account][region].model_packages.values()
    count = sum(1 for p in packages if p.model_package_group_name == group)
    return f"{group.lower()}/{count + 1}"


def _model_package_group_name(call: Call, account: str) -> list[str]:
    value = _param(call.params, "ModelPackageGroupName")
    return [_name_of_arn(v, ":model-package-group/") for v in _strings(value)]


def _codebuild_project(call: Call, account: str) -> list[str]:
    for name in ("projectName", "name", "project"):
        if isinstance(_param(call.params, name), str):
            return [_name_of_arn(_param(call.params, name), ":project/")]
    # BatchGetBuilds' ids, StopBuild's id: <project>:<build id> or build ARNs
    ids = _strings(_param(call.params, "ids")) or _strings(_param(call.params, "id"))
    if ids:
        return sorted({_name_of_arn(i, ":build/").split(":", 1)[0] for i in ids})
    return [_name_of_arn(n, ":project/") for n in _strings(_param(call.params, "names"))]


def _pipeline_name(call: Call, account: str) -> list[str]:
    pipeline = _param(call.params, "pipeline")
    if isinstance(pipeline, Mapping) and isinstance(pipeline.get("name"), str):
        return [pipeline["name"]]
    for name in ("name", "pipelineName"):
        if isinstance(_param(call.params, name), str):
            return [_param(call.params, name)]
    return []


def _aliases(*names: str) -> Callable[[Call, str], list[str]]:
    def lookup(call: Call, account: str) -> list[str]:
        for name in names:
            found = _strings(_param(call.params, name))
            if found:
                return found
        return []

    return lookup


def _s3_keys(call: Call, account: str) -> list[str]:
    key = _param(call.params, "Key")
    if isinstance(key, str):
        return [key]
    delete = _param(call.params, "Delete")  # DeleteObjects authorizes s3:DeleteObject on every key
    if isinstance(delete, Mapping):
        return [o["Key"] for o in delete.get("Objects", []) if isinstance(o, Mapping) and "Key" in o]
    return []


PARAMETERS: dict[tuple[str, str], Callable[[Call, str], list[str]]] = {
    ("s3", "BucketName"): _aliases("Bucket"),
    ("s3", "ObjectName"): _s3_keys,
    ("iam", "RoleNameWithPath"): _role_name_with_path,
    ("kms", "KeyId"): _kms_key_id,
    ("kms", "Alias"): lambda call, _: [
        _name_of_arn(a, ":alias/").removeprefix("alias/") for a in _strings(_param(call.params, "AliasName"))
    ],
    ("sns", "TopicName"): _aliases("Name"),
    ("cloudwatch", "AlarmName"): _aliases("AlarmName", "AlarmNames"),
    ("ec2", "SecurityGroupId"): _aliases("SecurityGroupId", "GroupId", "Groups", "SecurityGroupIds"),
    ("ec2", "SubnetId"): _aliases("SubnetId", "SubnetIds"),
    ("ec2", "RouteTableId"): _aliases("RouteTableId", "RouteTableIds"),
    ("sagemaker", "ModelPackageName"): _model_package_name,
    ("sagemaker", "ModelPackageGroupName"): _model_package_group_name,
    ("codebuild", "ProjectName"): _codebuild_project,
    ("codepipeline", "PipelineName"): _pipeline_name,
}
_FIXED = ("Partition", "Region", "Account")


@lru_cache(maxsize=4096)
def _format_regex(arn_format: str) -> re.Pattern[str]:
    parts = re.split(r"(\$\{[A-Za-z0-9]+\})", arn_format)
    source = "".join(
        ("[^:]+" if p[2:-1] in _FIXED else ".+") if p.startswith("${") else re.escape(p) for p in parts
    )
    return re.compile(source)


def _given_arns(resource: ResourceType, params: Mapping[str, Any]) -> list[str]:
    pattern = _format_regex(resource.arn_format or "")
    found: list[str] = []
    for value in params.values():
        found += [v for v in _strings(value) if v.startswith("arn:") and pattern.fullmatch(v)]
    return found


def _values(prefix: str, variable: str, call: Call, account: str) -> list[str]:
    lookup = PARAMETERS.get((prefix, variable))
    if lookup is not None:
        return lookup(call, account)
    return _strings(_param(call.params, variable))


def _filled(resource: ResourceType, values: Mapping[str, Iterable[str]]) -> list[str]:
    names = list(values)
    arns = []
    for combination in itertools.product(*(values[n] for n in names)):
        arn = resource.arn_format or ""
        for name, value in zip(names, combination, strict=True):
            arn = arn.replace("${" + name + "}", value)
        arns.append(arn)
    return arns


def resources(action: Action, call: Call, account: str, partition: str = "aws") -> list[str]:
    """The ARNs ``call`` must be authorized on for ``action`` (``["*"]`` for an action without resources)."""
    if action.prefix in UNNAMED_RESOURCES or not action.resource_types:
        return ["*"]
    fixed = {"Partition": [partition], "Region": [call.region], "Account": [account]}
    found: list[str] = []
    unnamed: list[ResourceType] = []
    for resource in action.resource_types:
        if not resource.arn_format:
            continue
        given = _given_arns(resource, call.params)
        if given:
            found += given
            continue
        values: dict[str, list[str]] = {}
        for variable in resource.variables:
            values[variable] = fixed.get(variable) or _values(action.prefix, variable, call, account)
        if all(values.values()):
            found += _filled(resource, values)
        elif resource.required:
            unnamed.append(resource)
    for resource in unnamed:
        if not call.operation.startswith(OPEN_PREFIXES):
            raise MappingError(
                f"{call.name}: the request names no {resource.name} ({resource.arn_format}) for "
                f"{action.qualified}, and the sandbox will not guess one"
            )
        values = {
            v: fixed.get(v) or _values(action.prefix, v, call, account) or ["*"] for v in resource.variables
        }
        found += _filled(resource, values)
    return list(dict.fromkeys(found)) or ["*"]
