"""Lambda: a function in a VPC, and the network interfaces Lambda makes and deletes for it as its role.

AWS (Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC" (required IAM
permissions), "VPC networking for Lambda" (Lambda Hyperplane ENIs: creating, managing and deleting them);
AWS Managed Policy Reference, "AWSLambdaVPCAccessExecutionRole" (v3); Lambda API Reference
``API_VpcConfig``, ``API_VpcConfigResponse``, ``API_CreateFunction``, ``API_UpdateFunctionConfiguration``,
``API_DeleteFunction``):

- "Lambda uses permissions in your function's execution role to create and manage network interfaces". The
  role must allow ``ec2:CreateNetworkInterface``, ``ec2:DescribeNetworkInterfaces`` (which works only when
  allowed on ``"Resource": "*"``), ``ec2:DescribeSubnets``, ``ec2:DeleteNetworkInterface``,
  ``ec2:AssignPrivateIpAddresses`` and ``ec2:UnassignPrivateIpAddresses``: the guide's list ("make sure to
  add all of the following permissions"; without ``DeleteNetworkInterface`` "your function may not be able
  to access the VPC") and the managed policy's EC2 actions. The guide does not say how Lambda uses each one;
  the sandbox checks all six, as the role (taken as ``lambda.amazonaws.com`` for the function), whenever
  ``CreateFunction`` or ``UpdateFunctionConfiguration`` sets a VPC configuration or changes the role of a
  function in a VPC: ``DescribeSubnets`` and ``DescribeNetworkInterfaces`` (on ``*``),
  ``CreateNetworkInterface`` in each subnet with the security groups, then ``AssignPrivateIpAddresses``,
  ``UnassignPrivateIpAddresses`` and ``DeleteNetworkInterface`` on each interface (``network-interface/*``
  for one not made yet). It refuses the request with ``InvalidParameterValueException`` "The provided
  execution role does not have permissions to call <operation> on EC2" naming the first one denied (AWS's
  words for ``CreateNetworkInterface``); nothing is kept. The EC2 permissions of the *caller*
  that the guide lists (``ec2:DescribeSecurityGroups``, ``ec2:DescribeSubnets``, ``ec2:DescribeVpcs``:
  Lambda "uses your permissions to verify network resources") are not checked; the resources themselves
  are: ``SubnetIds`` and ``SecurityGroupIds`` "must coexist or be both empty list", and a subnet or group
  that does not exist is refused as Lambda words EC2's answer ("Error occurred while DescribeSubnets. EC2
  Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID '...' does not exist").
- Lambda makes one Hyperplane ENI for each subnet of the configuration, with its security groups, the first
  time that subnet and security-group combination is used in the account; functions with the same
  combination share it. The sandbox's is an EC2 network interface of the account (``InterfaceType``
  ``lambda``, requester-managed, ``in-use``, described ``AWS Lambda VPC ENI-<function>``), so
  ``DescribeNetworkInterfaces`` shows it. ``GetFunctionConfiguration``'s ``VpcConfig.VpcId`` is the subnets'
  VPC.
- When a function is deleted, or updated out of a VPC (empty lists) or into other subnets or security
  groups, "Lambda only deletes the ENI if no other function (or published function version) is using" it,
  and "relies on permissions in the function execution role to delete" it (``ec2:DeleteNetworkInterface``):
  "If you delete the execution role before Lambda deletes the Hyperplane ENI, Lambda won't be able to
  delete the Hyperplane ENI." The sandbox deletes it at once (AWS: up to 20 minutes later), as the role the
  function had; a refused deletion leaves the interface in place and is kept as a refusal (the customer's
  call does not fail).

Not modelled: the function's ``Pending`` state while its interfaces are made (it is ``Active`` at once);
idle functions losing their interfaces; IPv6 (``Ipv6AllowedForDualStack``); what the function's own calls
can reach from the VPC (it reaches every service of the sandbox).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.utils import get_backend
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends

from launchpad.sandbox import authz
from launchpad.sandbox.authz import acting
from launchpad.sandbox.authz.principals import Principal
from launchpad.sandbox.authz.record import USAGE

log = logging.getLogger(__name__)

SERVICE = "lambda.amazonaws.com"
DESCRIPTION = "AWS Lambda VPC ENI-{function}"
INTERFACE_TYPE = "lambda"
_COMBINATION = "launchpad_lambda_combination"  # on the sandbox's ENIs: (subnet, sorted security groups)
COEXIST = "SubnetIds and SecurityIds must coexist or be both empty list."
# What Lambda needs of the role to attach a function to a VPC, in the order the sandbox checks it.
DESCRIBE = ("DescribeSubnets", "DescribeNetworkInterfaces")
MANAGE = ("AssignPrivateIpAddresses", "UnassignPrivateIpAddresses", "DeleteNetworkInterface")


@dataclass(frozen=True)
class Attachment:
    """A function's place in a VPC: its subnets, its security groups (sorted) and the subnets' VPC."""

    subnets: tuple[str, ...]
    groups: tuple[str, ...]
    vpc_id: str

    def combinations(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """One Hyperplane ENI per subnet, with the function's security groups."""
        for subnet in self.subnets:
            yield subnet, self.groups


def configured(vpc_config: Mapping[str, Any] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(subnets, sorted security groups) of a VpcConfig; both empty when there is none."""
    config = vpc_config or {}
    subnets = tuple(dict.fromkeys(str(s) for s in config.get("SubnetIds") or []))
    groups = tuple(sorted({str(g) for g in config.get("SecurityGroupIds") or []}))
    return subnets, groups


def held(vpc_config: Mapping[str, Any] | None) -> Attachment | None:
    """The attachment a function had (what it leaves), read from its VpcConfig without looking anything up:
    its subnets or groups may be gone by now."""
    subnets, groups = configured(vpc_config)
    return Attachment(subnets, groups, "") if subnets and groups else None


def _not_found(operation: str, code: str, message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(
        f"Error occurred while {operation}. EC2 Error Code: {code}. EC2 Error Message: {message}"
    )


def attachment(vpc_config: Mapping[str, Any] | None, account: str, region: str) -> Attachment | None:
    """The attachment a VpcConfig asks for (None: not in a VPC), its subnets and groups looked up."""
    subnets, groups = configured(vpc_config)
    if not subnets and not groups:
        return None
    if not subnets or not groups:
        raise InvalidParameterValueException(COEXIST)
    ec2 = ec2_backends[account][region]
    vpcs = []
    for subnet in subnets:
        try:
            vpcs.append(ec2.get_subnet(subnet).vpc_id)
        except InvalidSubnetIdError:
            raise _not_found(
                "DescribeSubnets", "InvalidSubnetID.NotFound", f"The subnet ID '{subnet}' does not exist"
            ) from None
    for group in groups:
        if ec2.get_security_group_from_id(group) is None:
            raise _not_found(
                "DescribeSecurityGroups",
                "InvalidGroup.NotFound",
                f"The security group '{group}' does not exist",
            )
    return Attachment(subnets, groups, vpcs[0])


def interface(account: str, region: str, subnet: str, groups: tuple[str, ...]) -> Any:
    """The ENI Lambda made for a subnet and security-group combination, or None."""
    for eni in list(ec2_backends[account][region].enis.values()):
        if getattr(eni, _COMBINATION, None) == (subnet, groups):
            return eni
    return None


def _steps(attached: Attachment, account: str, region: str) -> list[tuple[str, dict[str, Any]]]:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("DescribeSubnets", {"SubnetIds": list(attached.subnets)}),
        ("DescribeNetworkInterfaces", {}),
    ]
    steps += [
        ("CreateNetworkInterface", {"SubnetId": subnet, "Groups": list(groups)})
        for subnet, groups in attached.combinations()
    ]
    for subnet, groups in attached.combinations():
        eni = interface(account, region, subnet, groups)
        target = eni.id if eni is not None else "*"  # one Lambda would make: its id is not known yet
        steps += [(operation, {"NetworkInterfaceId": target}) for operation in MANAGE]
    unique: dict[str, tuple[str, dict[str, Any]]] = {}
    for operation, params in steps:
        unique.setdefault(f"{operation} {sorted(params.items())}", (operation, params))
    return list(unique.values())


def check(principal: Principal, attached: Attachment, account: str, region: str) -> None:
    """Refuse, as Lambda does, an attachment whose execution role (``principal``, the role as Lambda takes
    it) may not manage the function's network interfaces."""
    if not authz.enabled():
        return
    for operation, params in _steps(attached, account, region):
        denied = acting.check(principal, acting.call("ec2", operation, params, region))
        if denied is not None:
            log.info("lambda: VPC attachment refused: %s", denied.message)
            raise InvalidParameterValueException(
                f"The provided execution role does not have permissions to call {operation} on EC2"
            )


def connect(function: str, attached: Attachment, account: str, region: str) -> None:
    """Make the ENIs of the attachment's combinations that do not exist yet."""
    ec2 = ec2_backends[account][region]
    for subnet, groups in attached.combinations():
        if interface(account, region, subnet, groups) is not None:
            continue
        eni = ec2.create_network_interface(
            subnet, [], group_ids=list(groups), description=DESCRIPTION.format(function=function)
        )
        eni.interface_type = INTERFACE_TYPE
        eni.requester_managed = True
        eni.status = "in-use"
        setattr(eni, _COMBINATION, (subnet, groups))
        log.info("lambda %s: made %s in %s for %s", function, eni.id, subnet, ", ".join(groups))


def _in_use(account: str, region: str, subnet: str, groups: tuple[str, ...]) -> bool:
    """Whether a function of the account (its $LATEST or a published version) still uses the combination."""
    storage = get_backend(account, region)._lambdas
    for group in list(storage._functions.values()):
        for fn in [group.get("latest"), *group.get("versions", [])]:
            if fn is None:
                continue
            subnets, used = configured(getattr(fn, "_vpc_config", None))
            if subnet in subnets and used == groups:
                return True
    return False


def release(
    function: str, function_arn: str, role: str, left: Attachment | None, account: str, region: str
) -> None:
    """The function left ``left`` (deleted, or moved): delete, as its execution role ``role``, the ENIs no
    function uses any more; a refused deletion keeps the ENI and is kept as a refusal."""
    if left is None:
        return
    unused = [
        eni
        for subnet, groups in left.combinations()
        if (eni := interface(account, region, subnet, groups)) is not None
        and not _in_use(account, region, subnet, groups)
    ]
    if not unused:
        return
    principal: Principal | None = None
    if authz.enabled():
        try:
            principal = acting.assume(role, SERVICE, region, function_arn, account, function)
        except acting.Refused as refused:
            for eni in unused:
                _refused(account, function, eni.id, str(refused))
            return
    for eni in unused:
        if principal is not None:
            params = {"NetworkInterfaceId": eni.id}
            denied = acting.check(principal, acting.call("ec2", "DeleteNetworkInterface", params, region))
            if denied is not None:
                _refused(account, function, eni.id, denied.message)
                continue
        ec2_backends[account][region].delete_network_interface(eni.id)
        log.info("lambda %s: deleted %s", function, eni.id)


def _refused(account: str, function: str, eni: str, message: str) -> None:
    USAGE.refuse(account, "lambda", f"deletion of network interface {eni} of {function}", message)
    log.warning("lambda %s: network interface %s not deleted: %s", function, eni, message)
