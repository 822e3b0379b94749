"""A Lambda function in a VPC: Lambda checks at CreateFunction and UpdateFunctionConfiguration that the
execution role may manage the function's network interfaces, makes one per subnet as that role (shared by
functions with the same subnet and security groups), and deletes it as that role once no function uses it
(Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC", "VPC networking for
Lambda")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from launchpad.aws import AwsTarget
from launchpad.sandbox import workloads
from tests.sandbox.support import client_error
from tests.sandbox.test_patch_lambda import ECHO, create_function, execution_role, invoke, package

pytestmark = pytest.mark.sandbox

# What the role needs to attach a function, in the order the sandbox checks it
# (AWSLambdaVPCAccessExecutionRole's EC2 actions).
NEEDED = (
    "ec2:DescribeSubnets",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:DeleteNetworkInterface",
)
CODE = package(**{"app.py": ECHO})


def _network(target: AwsTarget, subnets: int = 2) -> tuple[str, list[str], str]:
    """A VPC of the target's account with ``subnets`` subnets and a security group: (VPC, subnets, group)."""
    ec2 = target.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    ids = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24")["Subnet"]["SubnetId"] for i in range(subnets)
    ]
    group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    return vpc, ids, group


def _statements(target: AwsTarget, subnets: list[str], group: str, without: str = "") -> list[dict[str, Any]]:
    """The retrain role's network statements (modules/model-monitoring/retrain.tf), less ``without``."""
    ec2 = f"arn:aws:ec2:{target.region}:{target.account_id}"
    statements: list[dict[str, Any]] = [
        {"Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], "Resource": "*"},
        {
            "Action": ["ec2:CreateNetworkInterface"],
            "Resource": [
                f"{ec2}:network-interface/*",
                *(f"{ec2}:subnet/{s}" for s in subnets),
                f"{ec2}:security-group/{group}",
            ],
        },
        {
            "Action": [
                "ec2:AssignPrivateIpAddresses",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": f"{ec2}:network-interface/*",
        },
    ]
    kept = [{**s, "Action": [a for a in s["Action"] if a != without]} for s in statements]
    return [{"Effect": "Allow", **s} for s in kept if s["Action"]]


def _interfaces(target: AwsTarget, function: str | None = None) -> list[dict[str, Any]]:
    """The account's network interfaces Lambda made (for ``function``, the first to use them)."""
    described: list[Any] = target.client("ec2").describe_network_interfaces()["NetworkInterfaces"]
    prefix = f"AWS Lambda VPC ENI-{function or ''}"
    return [i for i in described if i["Description"].startswith(prefix)]


def _function_names(target: AwsTarget) -> list[str]:
    return [f["FunctionName"] for f in target.client("lambda").list_functions()["Functions"]]


def test_a_function_in_a_vpc_gets_one_interface_per_subnet_made_as_its_role(
    sandbox_target: AwsTarget,
) -> None:
    """CreateFunction with a VpcConfig: the role may do all Lambda needs, so one requester-managed interface
    of type lambda per subnet, with the function's security group, in use; GetFunctionConfiguration names the
    subnets' VPC; the function runs. A second function in the same subnets and group shares them."""
    target = sandbox_target
    vpc, subnets, group = _network(target)
    role = execution_role(target, "in-vpc", _statements(target, subnets, group))
    config = {"SubnetIds": subnets, "SecurityGroupIds": [group]}
    create_function(target, "in-vpc", CODE, role, VpcConfig=config)
    made = _interfaces(target, "in-vpc")
    assert sorted(i["SubnetId"] for i in made) == sorted(subnets)
    for found in made:
        assert (found["InterfaceType"], found["RequesterManaged"], found["Status"]) == (
            "lambda",
            True,
            "in-use",
        )
        assert [g["GroupId"] for g in found["Groups"]] == [group]
        assert found["VpcId"] == vpc
    answered = target.client("lambda").get_function_configuration(FunctionName="in-vpc")["VpcConfig"]
    assert (sorted(answered["SubnetIds"]), answered["SecurityGroupIds"], answered["VpcId"]) == (
        sorted(subnets),
        [group],
        vpc,
    )
    assert json.loads(invoke(target, "in-vpc", {"n": 1})["Body"]) == {"n": 1}
    record = workloads.usage(target, role)
    assert set(NEEDED) <= set(record["actions"]) and record["denied"] == []
    create_function(target, "same-vpc", CODE, role, VpcConfig=config)
    assert _interfaces(target) == made


@pytest.mark.parametrize("missing", NEEDED)
def test_a_role_without_a_permission_lambda_needs_in_the_vpc_is_refused_and_nothing_is_kept(
    sandbox_target: AwsTarget, missing: str
) -> None:
    """Each of the six permissions is needed: without it, CreateFunction is refused with Lambda's
    InvalidParameterValueException naming the operation, and neither the function nor an interface is kept;
    UpdateFunctionConfiguration moving a function into the VPC is refused the same way and changes nothing."""
    target = sandbox_target
    _, subnets, group = _network(target)
    role = execution_role(target, "short", _statements(target, subnets, group, without=missing))
    config = {"SubnetIds": subnets, "SecurityGroupIds": [group]}
    message = f"The provided execution role does not have permissions to call {missing.split(':')[1]} on EC2"
    with pytest.raises(ClientError) as raised:
        create_function(target, "refused", CODE, role, VpcConfig=config)
    assert client_error(raised) == ("InvalidParameterValueException", message)
    assert "refused" not in _function_names(target)
    create_function(target, "outside", CODE, role)
    lam = target.client("lambda")
    with pytest.raises(ClientError) as raised:
        lam.update_function_configuration(FunctionName="outside", VpcConfig=config)
    assert client_error(raised) == ("InvalidParameterValueException", message)
    assert not (lam.get_function_configuration(FunctionName="outside").get("VpcConfig") or {}).get(
        "SubnetIds"
    )
    assert _interfaces(target) == []


def test_interfaces_no_function_uses_are_deleted_as_the_role_of_the_function_that_left(
    sandbox_target: AwsTarget,
) -> None:
    """Two functions share the interfaces: deleting one keeps them; updating the other out of the VPC (empty
    lists) deletes them, as its role (ec2:DeleteNetworkInterface on each)."""
    target = sandbox_target
    _, subnets, group = _network(target)
    role = execution_role(target, "leaving", _statements(target, subnets, group))
    config = {"SubnetIds": subnets, "SecurityGroupIds": [group]}
    create_function(target, "first", CODE, role, VpcConfig=config)
    create_function(target, "second", CODE, role, VpcConfig=config)
    made = {i["NetworkInterfaceId"] for i in _interfaces(target)}
    assert len(made) == len(subnets)
    lam = target.client("lambda")
    lam.delete_function(FunctionName="first")
    assert {i["NetworkInterfaceId"] for i in _interfaces(target)} == made
    workloads.clear_usage(target, role)
    lam.update_function_configuration(
        FunctionName="second", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}
    )
    assert _interfaces(target) == []
    record = workloads.usage(target, role)
    assert (record["actions"], record["denied"]) == ({"ec2:DeleteNetworkInterface": len(made)}, [])
    # into other subnets: the interfaces of the new subnets are made, the old ones deleted
    lam.update_function_configuration(FunctionName="second", VpcConfig=config)
    lam.update_function_configuration(
        FunctionName="second", VpcConfig={"SubnetIds": subnets[:1], "SecurityGroupIds": [group]}
    )
    assert [i["SubnetId"] for i in _interfaces(target)] == subnets[:1]
    lam.delete_function(FunctionName="second")
    assert _interfaces(target) == []


def test_an_interface_the_role_may_not_delete_stays_and_is_kept_as_a_refusal(
    sandbox_target: AwsTarget,
) -> None:
    """Lambda deletes a function's interfaces with its role's permissions: a role that lost
    ec2:DeleteNetworkInterface leaves them behind (the DeleteFunction call itself succeeds); the refusal says
    why."""
    target = sandbox_target
    _, subnets, group = _network(target, subnets=1)
    role = execution_role(target, "keeper", _statements(target, subnets, group))
    create_function(target, "kept", CODE, role, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [group]})
    [eni] = _interfaces(target, "kept")
    execution_role(
        target, "keeper", _statements(target, subnets, group, without="ec2:DeleteNetworkInterface")
    )
    target.client("lambda").delete_function(FunctionName="kept")
    assert "kept" not in _function_names(target)
    assert [i["NetworkInterfaceId"] for i in _interfaces(target)] == [eni["NetworkInterfaceId"]]
    [refusal] = workloads.refusals(target)
    arn = f"arn:aws:ec2:{target.region}:{target.account_id}:network-interface/{eni['NetworkInterfaceId']}"
    assert refusal["what"] == f"deletion of network interface {eni['NetworkInterfaceId']} of kept"
    assert refusal["message"] == (
        f"User: arn:aws:sts::{target.account_id}:assumed-role/keeper/kept is not authorized to perform: "
        f"ec2:DeleteNetworkInterface on resource: {arn} because no identity-based policy allows the "
        "ec2:DeleteNetworkInterface action"
    )


def test_subnets_and_security_groups_must_exist_and_come_together(sandbox_target: AwsTarget) -> None:
    """Lambda looks the network up: subnets without security groups (or the reverse), or one that does not
    exist, are refused with its InvalidParameterValueException, before any role permission."""
    target = sandbox_target
    _, subnets, group = _network(target, subnets=1)
    role = execution_role(target, "nowhere", _statements(target, subnets, group))
    refused = [
        (
            {"SubnetIds": subnets, "SecurityGroupIds": []},
            "SubnetIds and SecurityIds must coexist or be both empty list.",
        ),
        (
            {"SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": [group]},
            "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error "
            "Message: The subnet ID 'subnet-0123456789abcdef0' does not exist",
        ),
        (
            {"SubnetIds": subnets, "SecurityGroupIds": ["sg-0123456789abcdef0"]},
            "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error "
            "Message: The security group 'sg-0123456789abcdef0' does not exist",
        ),
    ]
    for config, message in refused:
        with pytest.raises(ClientError) as raised:
            create_function(target, "nowhere", CODE, role, VpcConfig=config)
        assert client_error(raised) == ("InvalidParameterValueException", message)
    assert _function_names(target) == [] and _interfaces(target) == []
